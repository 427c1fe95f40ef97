"""The store's contract: every test runs against each backend (SQLite and PostgreSQL, see
``conftest.py``), through the ``Store`` protocol only; a second connection looks at the database
the way another process would."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from bot.core.models import LetterMetadata, ParsedLetter, Repair
from bot.store import (
    InvalidLetterError,
    InvalidQueryError,
    Store,
    backend_of,
    open_store,
    sqlite_path,
)
from tests.store.test_sqlite import TABLES, add, make_letter


async def scalar(location: str, sql: str) -> Any:
    """One value, read over a connection of its own."""
    if backend_of(location) == "sqlite":
        with closing(sqlite3.connect(sqlite_path(location))) as conn:
            return conn.execute(sql).fetchone()[0]
    conn = await asyncpg.connect(location)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def row_counts(location: str) -> dict[str, int]:
    return {t: await scalar(location, f"SELECT count(*) FROM {t}") for t in TABLES}


async def check_fts(location: str) -> None:
    """The full-text index matches the sentences exactly (FTS5's own check on SQLite; on
    PostgreSQL, every stored tsvector equals the one computed afresh)."""
    if backend_of(location) == "sqlite":
        with closing(sqlite3.connect(sqlite_path(location))) as conn:
            conn.execute(
                "INSERT INTO sentences_fts (sentences_fts, rank) VALUES ('integrity-check', 1)"
            )
        return
    stale = await scalar(
        location,
        "SELECT count(*) FROM sentences WHERE search IS DISTINCT FROM"
        " (to_tsvector('briefbot_nl', norm) || to_tsvector('briefbot_simple', norm))",
    )
    assert stale == 0


# --------------------------------------------------------------------------- helpers


# --------------------------------------------------------------------------- opening, migrations


async def test_two_processes_opening_a_new_file_at_once(location: str) -> None:
    first, second = await asyncio.gather(open_store(location), open_store(location))
    try:
        assert first.schema_version == second.schema_version >= 4
        parsed = make_letter()
        results = await asyncio.gather(add(first, parsed), add(second, parsed))
        assert sorted(created for _, created in results) == [False, True]
        assert results[0][0].id == results[1][0].id
    finally:
        await first.close()
        await second.close()


# --------------------------------------------------------------------------- adding and reading


async def test_add_and_read_back_every_field(store: Store) -> None:
    parsed = make_letter(sentences=5, sections=2)
    parsed.damaged = True
    parsed.metadata = LetterMetadata(
        sender="Minister van Justitie en Veiligheid",
        signatory="F. Grapperhaus",
        recipient="Tweede Kamer der Staten-Generaal",
        recipient_role="Voorzitter",
        date="2019-04-05",
        subject="Aanpak van mensenhandel",
        reference="2519321",
        contact="T 070 370 79 11",
        salutation="Geachte voorzitter,",
        closing="Hoogachtend,",
        copies="1",
    )
    parsed.repairs = [
        Repair(2, "mensen handel", "mensenhandel"),
        Repair(4, "co rdinatie", "coördinatie"),
    ]
    before = datetime.now(UTC)

    record, created = await store.letters.add(
        parsed,
        slug_hint="aanpak-mensenhandel",
        source_path="letters/aanpak-mensenhandel.txt",
        content_hash="abc123",
        guild_id=42,
        parser_version="1.0",
    )

    assert created is True
    assert record.slug == "aanpak-mensenhandel"
    assert record.guild_id == 42
    assert record.title == "Aanpak van mensenhandel"
    for name in ("sender", "signatory", "recipient", "recipient_role", "date", "subject"):
        assert getattr(record, name) == getattr(parsed.metadata, name)
    for name in ("reference", "contact", "salutation", "closing", "copies"):
        assert getattr(record, name) == getattr(parsed.metadata, name)
    assert (record.pages, record.sentence_count) == (3, 5)
    assert (record.source_kind, record.source_path) == ("txt", "letters/aanpak-mensenhandel.txt")
    assert record.damaged is True
    assert (record.content_hash, record.parser_version) == ("abc123", "1.0")
    assert record.added_at.tzinfo is not None
    assert record.added_at.utcoffset() == timedelta(0)
    assert before <= record.added_at <= datetime.now(UTC)

    assert await store.letters.get(record.id) == record
    assert await store.letters.original(record.id) == parsed.original
    assert await store.letters.count() == 1

    sections = await store.letters.sections(record.id)
    assert [(s.position, s.heading, s.letter_id) for s in sections] == [
        (0, None, record.id),
        (1, "Kop 1", record.id),
    ]

    sentences = await store.letters.sentences(record.id)
    assert [s.number for s in sentences] == [1, 2, 3, 4, 5]
    for stored, given in zip(sentences, parsed.sentences, strict=True):
        assert stored.letter_id == record.id
        assert stored.section_id == sections[given.section].id
        assert stored.section_heading == parsed.sections[given.section].heading
        assert (stored.page, stored.start_offset, stored.end_offset) == (
            given.page,
            given.start,
            given.end,
        )
        assert (stored.text, stored.original, stored.norm) == (
            given.text,
            given.original,
            given.norm,
        )
        assert parsed.original[stored.start_offset : stored.end_offset] == stored.original

    assert await store.letters.sentence(record.id, 4) == sentences[3]
    assert await store.letters.sentence(record.id, 6) is None

    repairs = await store.letters.repairs(record.id)
    assert [(r.sentence_number, r.from_text, r.to_text, r.position) for r in repairs] == [
        (2, "mensen handel", "mensenhandel", 0),
        (4, "co rdinatie", "coördinatie", 1),
    ]


async def test_a_letter_without_sentences_or_subject(store: Store) -> None:
    parsed = make_letter(texts=["x"], subject=None)
    parsed.sentences, parsed.sections = [], []
    record, created = await add(store, parsed)
    assert created
    assert record.title == "(untitled letter)"
    assert record.subject is None
    assert record.sentence_count == 0
    assert await store.letters.sentences(record.id) == []


async def test_sentences_by_ids_keeps_the_given_order(store: Store) -> None:
    first, _ = await add(store, make_letter("a"))
    second, _ = await add(store, make_letter("b"))
    a = await store.letters.sentences(first.id)
    b = await store.letters.sentences(second.id)
    wanted = [b[2].id, a[0].id, 999_999, b[0].id]
    assert await store.letters.sentences_by_ids(wanted) == [b[2], a[0], b[0]]
    assert await store.letters.sentences_by_ids([]) == []


async def test_iter_all_sentences_streams_in_batches(store: Store) -> None:
    letters = [(await add(store, make_letter(t, sentences=4)))[0] for t in "abc"]
    expected = [s for letter in letters for s in await store.letters.sentences(letter.id)]
    seen = []
    async for sentence in store.letters.iter_all_sentences(batch=5):
        seen.append(sentence)
        await store.meta.set("progress", str(sentence.id))  # writing meanwhile must not deadlock
    assert seen == expected
    assert [s async for s in store.letters.iter_all_sentences(batch=12)] == expected
    assert await store.meta.get("progress") == str(expected[-1].id)


async def test_same_content_in_the_same_scope_is_one_letter(location: str, store: Store) -> None:
    parsed = make_letter()
    first, created = await add(store, parsed, content_hash="same", guild_id=7)
    counts = await row_counts(location)

    again, created_again = await add(store, make_letter("other"), content_hash="same", guild_id=7)
    assert created and not created_again
    assert again == first
    assert await row_counts(location) == counts

    elsewhere, created_elsewhere = await add(store, parsed, content_hash="same", guild_id=8)
    global_one, created_global = await add(store, parsed, content_hash="same", guild_id=None)
    global_again, created_global_again = await add(store, parsed, content_hash="same")
    assert created_elsewhere and created_global and not created_global_again
    assert global_again == global_one
    assert len({first.id, elsewhere.id, global_one.id}) == 3
    assert await store.letters.count() == 3


async def test_slugs_are_made_unique(store: Store) -> None:
    slugs = [(await add(store, make_letter(t), slug="kamerbrief"))[0].slug for t in "abc"]
    assert slugs == ["kamerbrief", "kamerbrief-2", "kamerbrief-3"]
    # Slugs compare without regard to case, and a numeric hint never looks like an id.
    assert (await add(store, make_letter("d"), slug="KamerBrief"))[0].slug == "KamerBrief-4"
    assert (await add(store, make_letter("e"), slug="2024"))[0].slug == "letter-2024"
    assert (await add(store, make_letter("g"), slug="S12"))[0].slug == "letter-S12"
    assert (await add(store, make_letter("f"), slug="  "))[0].slug == "letter"


async def test_names_and_numbers_are_per_server(store: Store) -> None:
    """A server never learns anything about another server's letters from a name or number:
    B's zeehonden is zeehonden, its first letter s1, however many letters A added."""
    a, b = 111, 222
    bundled, _ = await add(store, make_letter("g"), slug="bundel")
    for i in range(3):
        await add(store, make_letter(f"a{i}"), slug="zeehonden", guild_id=a)
    in_b, _ = await add(store, make_letter("b"), slug="zeehonden", guild_id=b)
    assert (in_b.slug, in_b.ref) == ("zeehonden", "s1")
    assert [r.slug for r in await store.letters.list(guild_id=a)][1:] == [
        "zeehonden", "zeehonden-2", "zeehonden-3"
    ]  # fmt: skip
    # a global letter added after them is numbered in its own sequence: 2, not 6
    later, _ = await add(store, make_letter("later"), slug="zeehonden")
    assert (later.ref, later.slug) == ("2", "zeehonden")
    # a server's own letter comes first for a name both have; the number reaches the other
    assert await store.letters.resolve("zeehonden", guild_id=b) == in_b
    assert await store.letters.resolve("2", guild_id=b) == later
    assert await store.letters.resolve("zeehonden", guild_id=None) == later
    # a server letter never takes a global letter's name (the server sees both)
    own, _ = await add(store, make_letter("own"), slug="bundel", guild_id=b)
    assert own.slug == "bundel-2" and bundled.slug == "bundel"


async def test_numbers_are_never_given_twice_in_a_scope(store: Store) -> None:
    first, _ = await add(store, make_letter("a"), guild_id=5)
    second, _ = await add(store, make_letter("b"), guild_id=5)
    assert await store.letters.delete(second.id, guild_id=5)
    third, _ = await add(store, make_letter("c"), guild_id=5)
    assert (first.ref, second.ref, third.ref) == ("s1", "s2", "s3")
    # a server whose data is purged leaves no count behind
    assert not await store.letters.forget_numbers(5)  # it still has letters
    for r in (first, third):
        await store.letters.delete(r.id, guild_id=5)
    assert await store.letters.forget_numbers(5)
    again, _ = await add(store, make_letter("d"), guild_id=5)
    assert again.ref == "s1"


async def test_replace_keeps_the_number_and_name(location: str, store: Store) -> None:
    old, _ = await add(store, make_letter("oud", texts=["Oude zin over water."]), slug="brief")
    other, _ = await add(store, make_letter("ander"), slug="ander")
    new, created = await store.letters.add(
        make_letter("nieuw", texts=["Nieuwe zin over water."]),
        slug_hint="brief-pdf",
        source_path="brief.pdf",
        content_hash="nieuw",
        guild_id=None,
        parser_version="test-1",
        replace=old.id,
    )
    assert created and new.id != old.id
    assert (new.number, new.slug) == (old.number, old.slug)
    assert await store.letters.get(old.id) is None
    assert [r.id for r in await store.letters.list(guild_id=None)] == [other.id, new.id]
    await check_fts(location)
    # another scope's letter is never replaced: the new one is added beside it
    theirs, _ = await add(store, make_letter("theirs"), guild_id=9)
    added, _ = await store.letters.add(
        make_letter("mine"), slug_hint="x", source_path="x", content_hash="x", guild_id=None,
        parser_version="t", replace=theirs.id,
    )  # fmt: skip
    assert await store.letters.get(theirs.id) == theirs and added.number == 3


# --------------------------------------------------------------------------- all or nothing


def duplicate_sentence_number() -> ParsedLetter:
    parsed = make_letter(sentences=6)
    parsed.sentences[4].number = 2  # UNIQUE (letter_id, number) fails halfway through the rows
    return parsed


def missing_section() -> ParsedLetter:
    parsed = make_letter(sentences=6)
    parsed.sentences[5].section = 9
    return parsed


def negative_section() -> ParsedLetter:
    parsed = make_letter(sentences=6)
    parsed.sentences[3].section = -1
    return parsed


def bad_repair() -> ParsedLetter:
    parsed = make_letter(sentences=6)
    parsed.repairs = [Repair(1, "a", "b"), Repair(2, None, "c")]  # type: ignore[arg-type]
    return parsed


def bad_source_kind() -> ParsedLetter:
    parsed = make_letter(sentences=6)
    parsed.source_kind = "docx"  # type: ignore[assignment]
    return parsed


@pytest.mark.parametrize(
    "build",
    [duplicate_sentence_number, missing_section, negative_section, bad_repair, bad_source_kind],
)
async def test_a_failure_halfway_writes_nothing(location: str, store: Store, build) -> None:
    kept, _ = await add(store, make_letter("kept", texts=["Blijvend woord bij water."]))
    counts = await row_counts(location)

    with pytest.raises(InvalidLetterError):
        await add(store, build(), slug="broken")

    assert await row_counts(location) == counts
    assert await store.letters.resolve("broken", guild_id=None) is None
    assert await store.letters.fts_search("zin", limit=10) == []
    assert len(await store.letters.fts_search("water", limit=10)) == 1
    await check_fts(location)
    # The connection is usable afterwards, outside any transaction.
    record, created = await add(store, make_letter("after"), slug="broken")
    assert created
    assert record.slug == "broken"
    assert record.id != kept.id
    assert await store.integrity_check() == ["ok"]


# --------------------------------------------------------------------------- guild scoping


async def test_guild_scoping(store: Store) -> None:
    shared, _ = await add(store, make_letter("g"), slug="gedeeld")
    mine, _ = await add(store, make_letter("a"), slug="van-a", guild_id=111)
    theirs, _ = await add(store, make_letter("b"), slug="van-b", guild_id=222)

    resolve = store.letters.resolve
    assert (shared.ref, mine.ref, theirs.ref) == ("1", "s1", "s1")
    assert await resolve("gedeeld", guild_id=111) == shared
    assert await resolve(shared.ref, guild_id=111) == shared
    assert await resolve(f" {mine.ref} ", guild_id=111) == mine
    assert await resolve("#S1", guild_id=111) == mine
    assert await resolve("s1", guild_id=222) == theirs  # each server its own s1
    assert await resolve("VAN-A", guild_id=111) == mine
    assert await resolve("van-b", guild_id=111) is None
    assert await resolve(str(mine.id), guild_id=111) is None  # internal ids are not refs
    assert await resolve("s1", guild_id=None) is None
    assert await resolve("van-a", guild_id=None) is None
    assert await resolve("gedeeld", guild_id=None) == shared
    for nothing in ("", "  ", "onbekend", "0", "s0", "s2", "99999999999999999999999"):
        assert await resolve(nothing, guild_id=111) is None

    assert await store.letters.list(guild_id=111) == [shared, mine]
    assert await store.letters.list(guild_id=222) == [shared, theirs]
    assert await store.letters.list(guild_id=None) == [shared]
    assert await store.letters.list(guild_id=None, include_all=True) == [shared, mine, theirs]

    # Only the owning scope may delete.
    assert await store.letters.delete(theirs.id, guild_id=111) is False
    assert await store.letters.delete(shared.id, guild_id=111) is False
    assert await store.letters.delete(mine.id, guild_id=None) is False
    assert await store.letters.delete(mine.id, guild_id=111) is True
    assert await store.letters.delete(mine.id, guild_id=111) is False
    assert await store.letters.delete(shared.id, guild_id=None) is True
    assert await store.letters.list(guild_id=None, include_all=True) == [theirs]


# --------------------------------------------------------------------------- full-text search


async def test_fts_search_ignores_diacritics(store: Store) -> None:
    first, _ = await add(
        store,
        make_letter(
            texts=[
                "De coördinatie van de ketenaanpak.",
                "Een zin zonder het woord.",
                "Betere coördinatie en nog eens coördinatie.",
            ]
        ),
    )
    await add(store, make_letter(texts=["Over coordinatie in de regio."]), slug="b")
    by_number = {s.id: (s.letter_id, s.number) for s in await store.letters.sentences(first.id)}

    hits = await store.letters.fts_search("coordinatie", limit=10)
    assert len(hits) == 3
    scores = [score for _, score in hits]
    assert scores == sorted(scores)  # best (lowest bm25) first
    assert all(isinstance(i, int) and isinstance(s, float) for i, s in hits)
    assert by_number[hits[0][0]] == (first.id, 3)  # the word twice: the best match

    assert len(await store.letters.fts_search("coördinatie", limit=10)) == 3
    assert len(await store.letters.fts_search("coordinatie", limit=2)) == 2
    only_first = await store.letters.fts_search("coordinatie", limit=10, letter_ids=[first.id])
    assert {by_number[i][0] for i, _ in only_first} == {first.id}
    assert len(only_first) == 2
    assert await store.letters.fts_search("coordinatie", limit=10, letter_ids=[]) == []
    assert await store.letters.fts_search("coordinatie", limit=0) == []
    assert len(await store.letters.fts_search("coordinatie AND regio", limit=10)) == 1
    assert len(await store.letters.fts_search("coord*", limit=10)) == 3

    for bad in ('"unterminated', "AND", "kolom:woord"):
        with pytest.raises(InvalidQueryError):
            await store.letters.fts_search(bad, limit=10)


async def test_deleting_a_letter_cascades_to_everything(location: str, store: Store) -> None:
    parsed = make_letter(texts=["Uniekwoord in een zin.", "Nog een uniekwoord."])
    parsed.repairs = [Repair(1, "uniek woord", "uniekwoord")]
    record, _ = await add(store, parsed)
    other, _ = await add(store, make_letter("other"), slug="other")
    assert len(await store.letters.fts_search("uniekwoord", limit=10)) == 2

    assert await store.letters.delete(record.id, guild_id=None)

    assert await store.letters.fts_search("uniekwoord", limit=10) == []
    assert await store.letters.sentences(record.id) == []
    assert await store.letters.sections(record.id) == []
    assert await store.letters.repairs(record.id) == []
    assert await row_counts(location) == {"letters": 1, "sections": 2, "sentences": 3, "repairs": 0}
    assert len(await store.letters.sentences(other.id)) == 3
    await check_fts(location)


# --------------------------------------------------------------------------- concurrency


async def test_concurrent_adds_do_not_interleave(location: str, store: Store) -> None:
    good = [make_letter(f"goed{i}", sentences=40, sections=4) for i in range(12)]
    bad = [duplicate_sentence_number() for _ in range(4)]
    for i, parsed in enumerate(bad):  # distinct content, still broken
        parsed.original += f" {i}"
    jobs: list[Awaitable[object]] = [add(store, p, slug="gelijk") for p in good]
    jobs[3:3] = [add(store, p, slug="gelijk") for p in bad]
    jobs.append(add(store, good[0], slug="gelijk"))  # the same content again
    jobs.append(store.letters.list(guild_id=None))  # and some reads in between
    jobs.append(store.letters.fts_search("goed1", limit=5))

    results = await asyncio.gather(*jobs, return_exceptions=True)

    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 4
    assert all(isinstance(f, InvalidLetterError) for f in failures)
    letters = await store.letters.list(guild_id=None)
    assert len(letters) == len(good)
    assert sorted(r.slug for r in letters) == sorted(
        ["gelijk"] + [f"gelijk-{n}" for n in range(2, 13)]
    )
    for record in letters:
        sentences = await store.letters.sentences(record.id)
        assert [s.number for s in sentences] == list(range(1, 41))
        tag = sentences[0].text.split()[-1]
        assert all(s.text.endswith(tag) for s in sentences)
    crossed = await scalar(
        location,
        "SELECT count(*) FROM sentences s JOIN sections c ON c.id = s.section_id"
        " WHERE c.letter_id != s.letter_id",
    )
    assert crossed == 0
    assert (await row_counts(location))["sentences"] == 12 * 40
    await check_fts(location)
    assert await store.integrity_check() == ["ok"]


# --------------------------------------------------------------------------- meta and integrity


async def test_meta_get_and_set(store: Store) -> None:
    assert await store.meta.get("command_hash") is None
    await store.meta.set("command_hash", "abc")
    await store.meta.set("command_hash", "def")
    assert await store.meta.get("command_hash") == "def"


async def test_integrity_check(store: Store) -> None:
    await add(store, make_letter())
    assert await store.integrity_check() == ["ok"]


async def test_close_is_idempotent(location: str) -> None:
    store = await open_store(location)
    await store.close()
    await store.close()


async def test_a_cancelled_write_never_leaves_a_transaction_open(tmp_path):
    """A task stopped at any point of a write (shutdown, a cancelled scheduler) must leave the
    connection usable: the next write neither fails nor joins a leftover transaction."""
    async with open_store(tmp_path / "cancel.sqlite3") as store:
        for steps in range(12):
            task = asyncio.create_task(store.meta.set(f"key-{steps}", "value"))
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await store.meta.set("after", str(steps))  # would raise "within a transaction"
            assert await store.meta.get("after") == str(steps)
        assert await store.integrity_check() == ["ok"]
