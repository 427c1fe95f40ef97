"""The store's own search (``SearchRepository``, PostgreSQL migration 0007), against a real
PostgreSQL: the vocabulary its triggers keep, the lookups the services build candidates from,
and quote lookups and questions through ``Services`` on PostgreSQL agreeing with the in-memory
path on the same letters. SQLite has no such repository (its indexes live in the process)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import replace
from pathlib import Path

import asyncpg
import numpy as np
import pytest

from bot.core.models import ParsedLetter
from bot.core.text import damage, fold
from bot.core.vectors import to_blob
from bot.services.app import Services
from bot.services.scope import GLOBAL
from bot.services.search_backend import PAIR_COST, SignIndex, affordable
from bot.settings import Settings
from bot.store import Store, open_store
from bot.store.base import SearchingStore, SearchRepository
from tests.store.test_sqlite import add, make_letter

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"

TEXTS = [
    "De coördinatie van de aanpak van mensenhandel ligt bij het kabinet.",
    "Gemeenten organiseren de jeugdhulp voor kinderen in hun regio.",
    "Het kabinet versterkt de coördinatie van de jeugdhulp.",
    "Slachtoffers van mensenhandel krijgen opvang en bescherming.",
]


@pytest.fixture
async def pg_store(pg_url: str):
    async with open_store(pg_url) as opened:
        yield opened


def search_of(store: Store) -> SearchRepository:
    assert isinstance(store, SearchingStore)
    return store.search


def letter_of(tag: str, texts: list[str]) -> ParsedLetter:
    """A test letter whose norms are folded as the parser folds them."""
    parsed = make_letter(tag, texts=texts)
    return replace(
        parsed,
        sentences=[replace(s, norm=" ".join(fold(s.text).split())) for s in parsed.sentences],
    )


async def vocabulary(url: str) -> dict[tuple[str, str], int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT kind, term, df FROM vocabulary WHERE df > 0")
    finally:
        await conn.close()
    return {(str(r[0]), str(r[1])): int(r[2]) for r in rows}


async def stored_words(store: Store) -> Counter[str]:
    """df of every word of the stored norms, counted here."""
    counts: Counter[str] = Counter()
    async for rec in store.letters.iter_all_sentences():
        counts.update(set(rec.norm.split()))
    return counts


async def test_sqlite_has_no_store_search(tmp_path: Path) -> None:
    async with open_store(str(tmp_path / "b.sqlite3")) as lite:
        assert not isinstance(lite, SearchingStore)
        assert lite.schema_version == 7


async def test_vocabulary_follows_every_write(pg_store: Store, pg_url: str) -> None:
    first, _ = await add(pg_store, letter_of("a", TEXTS[:2]), slug="a")
    second, _ = await add(pg_store, letter_of("b", TEXTS[2:]), slug="b")
    words = {t: df for (k, t), df in (await vocabulary(pg_url)).items() if k == "w"}
    assert words == dict(await stored_words(pg_store))
    assert words["coordinatie"] == 2 and words["mensenhandel"] == 2
    stems = {t for (k, t), _ in (await vocabulary(pg_url)).items() if k == "s"}
    assert "kinder" in stems or "kind" in stems  # Dutch stems, accents dropped

    assert await pg_store.letters.delete(first.id, guild_id=None)  # cascades to sentences
    words = {t: df for (k, t), df in (await vocabulary(pg_url)).items() if k == "w"}
    assert words == dict(await stored_words(pg_store))
    assert words["coordinatie"] == 1 and "gemeenten" not in words

    conn = await asyncpg.connect(pg_url)
    try:  # what `briefbot copy --force` does before it copies
        await conn.execute("TRUNCATE letters, sections, sentences CASCADE")
    finally:
        await conn.close()
    assert await vocabulary(pg_url) == {}
    assert second.id


async def test_lookups(pg_store: Store) -> None:
    letter, _ = await add(pg_store, letter_of("a", TEXTS), slug="a")
    search = search_of(pg_store)
    assert await search.available()  # pg_trgm ships with Debian's postgresql-contrib
    n, mean = await search.sentence_total()
    assert n == 4 and mean > 3

    assert await search.frequencies("word", ["coordinatie", "de", "onbekend"]) == {
        "coordinatie": 2,
        "de": 3,
    }
    similar = await search.similar_words(["coordinatei", "mensenhandle"], threshold=0.3, limit=5)
    assert similar["coordinatei"][0] == ("coordinatie", 2)
    assert similar["mensenhandle"][0] == ("mensenhandel", 2)
    assert await search.words_with_prefix("jeugd", limit=5) == [("jeugdhulp", 2)]
    stems = await search.stems(["kinderen", "de"])
    assert stems["de"] == [] and len(stems["kinderen"]) == 1
    assert (await search.frequencies("stem", stems["kinderen"])) == {stems["kinderen"][0]: 1}

    both = await search.sentences_with(
        "word", [("coordinatie", 2.0), ("kabinet", 1.0), ("mensenhandel", 0.5)],
        letter_ids=None, limit=10, at_least=2,
    )  # fmt: skip
    assert [r.number for r in both] == [1, 3]  # two of the words; 3.5 before 3.0
    assert [r.score for r in both] == [3.5, 3.0]
    assert both[0].text == TEXTS[0] and both[0].norm.startswith("de coordinatie")
    one = await search.sentences_with(
        "word", [("mensenhandel", 1.0), ("jeugdhulp", 1.0)], letter_ids=None, limit=10
    )
    assert sorted(r.number for r in one) == [1, 2, 3, 4]
    assert (
        await search.sentences_with(
            "word", [("mensenhandel", 1.0)], letter_ids=[letter.id + 99], limit=10
        )
        == []
    )
    sections = {r.number: r.section_id for r in one}
    ids = {r.number: r.sentence_id for r in one}
    held = await search.section_terms("word", ["kabinet", "opvang"], [ids[1], ids[2], ids[4]])
    assert held[ids[1]] == (sections[1], {"kabinet"})  # sentences 1-2: section 0; 3-4: 1
    assert held[ids[2]] == (sections[1], {"kabinet"})
    assert held[ids[4]] == (sections[4], {"kabinet", "opvang"})
    assert await search.count_holding("word", "kabinet", [letter.id]) == (2, 2)
    assert await search.count_holding("word", "kabinet", [letter.id + 1]) == (2, 0)
    texts = await search.neighbours([(letter.id, 2), (letter.id, 5)])
    assert texts == {(letter.id, 2): TEXTS[1]}


async def test_one_round_trip_lookups_agree_with_their_parts(pg_store: Store) -> None:
    """``quote_vocabulary`` and ``word_terms`` return what the single lookups return;
    ``sentences_with``'s stages (three terms, then two, then ``fill``) each run only when the
    ones before found too few sentences."""
    letter, _ = await add(pg_store, letter_of("a", TEXTS), slug="a")
    search = search_of(pg_store)
    words = ["coordinatie", "de", "onbekend", "jeugdhulp"]
    look = ["coordinatei", "mensenhandle", "coordinatie"]  # a stored word is not looked up
    df, similar, completions = await search.quote_vocabulary(
        words, look, threshold=0.3, limit=5, prefix="jeugd"
    )
    assert df == await search.frequencies("word", words)
    expected = await search.similar_words(look[:2], threshold=0.3, limit=5)
    assert similar == expected and "coordinatie" not in similar
    assert completions == await search.words_with_prefix("jeugd", limit=12)
    _, _, none = await search.quote_vocabulary(words, [], threshold=0.3, limit=5)
    assert none == []
    higher, _, _ = await search.quote_vocabulary(words, look, threshold=0.9, limit=5)
    assert higher == df  # a threshold above pg_trgm's default filters beside `%`

    terms = await search.word_terms(["kinderen", "de", "onbekend"])
    stems = await search.stems(["kinderen"])
    stem_df = await search.frequencies("stem", stems["kinderen"])
    assert terms["kinderen"] == (1, [(x, stem_df.get(x, 0)) for x in stems["kinderen"]])
    assert terms["de"] == (3, [])  # a stopword: no stem
    assert terms["onbekend"][0] == 0 and all(d == 0 for _, d in terms["onbekend"][1])

    three = [("coordinatie", 2.0), ("aanpak", 1.0), ("kabinet", 1.0), ("mensenhandel", 0.5)]
    rows = await search.sentences_with("word", three, letter_ids=None, limit=4, at_least=3)
    # sentence 1 holds three of them; fewer than a quarter of the limit (1): sentence 3's two
    # are not asked for
    assert [r.number for r in rows] == [1]
    rows = await search.sentences_with("word", three, letter_ids=None, limit=8, at_least=3)
    assert [r.number for r in rows] == [1, 3]  # 1 < 8 // 4: the pairs follow
    fill = [("opvang", 1.0)]
    pair = [("coordinatie", 2.0), ("opvang", 1.0)]  # no sentence holds both
    rows = await search.sentences_with(
        "word", pair, letter_ids=None, limit=10, at_least=2, fill=fill
    )
    assert [(r.number, r.score) for r in rows] == [(4, 1.0)]
    two = [("coordinatie", 2.0), ("kabinet", 1.0)]
    rows = await search.sentences_with(
        "word", two, letter_ids=None, limit=10, at_least=2, fill=fill
    )
    assert [r.number for r in rows] == [3, 1]  # found (the same score: shorter first): no fill
    rows = await search.sentences_with(
        "word", two, letter_ids=[letter.id], limit=10, at_least=2, fill=fill, fill_below=5
    )
    assert [r.number for r in rows] == [3, 1, 4]  # fewer than five: the fill follows
    assert await search.sentences_with("word", [], letter_ids=None, limit=10, fill=fill) == rows[2:]

    # a name's sentences inside some letters: counted in them, or (most letters) outside them
    other, _ = await add(pg_store, letter_of("b", TEXTS[:1]), slug="b")
    assert await search.count_holding("word", "kabinet", [letter.id]) == (3, 2)
    assert await search.count_holding("word", "kabinet", [other.id]) == (3, 1)
    assert await search.count_holding("word", "kabinet", [letter.id, other.id]) == (3, 3)
    assert await search.count_holding("word", "onbekend", [letter.id, other.id]) == (0, 0)


async def test_vectors_around(pg_store: Store) -> None:
    letter, _ = await add(pg_store, letter_of("a", TEXTS), slug="a")
    records = await pg_store.letters.sentences(letter.id)
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(len(records), 512)).astype(np.float32)
    await pg_store.vectors.replace(
        letter.id, [(r.id, to_blob(v)) for r, v in zip(records, vectors, strict=True)], version="t"
    )
    around = await search_of(pg_store).vectors_around([records[0].id, records[2].id])
    assert sorted(off for off, _ in around[records[0].id]) == [0, 1]
    assert sorted(off for off, _ in around[records[2].id]) == [-1, 0, 1]


# --------------------------------------------------------------------------- through Services


async def open_services(location: str, search: str = "store") -> Services:
    settings = Settings(BRIEFBOT_DB=location, BRIEFBOT_LETTERS_DIR=str(BUNDLED))
    return await Services.open(settings, search=search)  # type: ignore[arg-type]


@pytest.fixture
async def both(pg_url: str, tmp_path: Path):
    """The bundled letter on SQLite (in-memory indexes) and on PostgreSQL (store-backed)."""
    lite = await open_services(str(tmp_path / "b.sqlite3"))
    pg = await open_services(pg_url)
    try:
        yield lite, pg
    finally:
        await lite.close()
        await pg.close()


async def test_postgres_mode_builds_no_index(both: tuple[Services, Services]) -> None:
    lite, pg = both
    assert lite.quotes.backend is None and pg.quotes.backend is not None
    await pg.quotes.warm()
    await pg.answers.warm()
    assert pg.quotes._index.value is None  # nothing of every sentence in the process
    assert type(pg.answers._indexes.value.bm25).__name__ == "StoreBM25"


async def test_quotes_agree_with_memory(both: tuple[Services, Services]) -> None:
    lite, pg = both
    letter = next(iter(lite.catalog.by_id))
    records = await lite.store.letters.sentences(letter)
    rng = np.random.default_rng(5)
    picked = [r for r in records if len(r.norm.split()) >= 8]
    picked = [picked[i] for i in rng.choice(len(picked), size=12, replace=False)]
    agree = 0
    for rec in picked:
        words = rec.text.split()
        start = int(rng.integers(0, max(1, len(words) - 7)))
        fragment = " ".join(words[start : start + 7])
        for query in (fragment, damage(fragment), _typo(fragment, rng)):
            mem = await lite.quotes.find(query, scope=GLOBAL, limit=3)
            sto = await pg.quotes.find(query, scope=GLOBAL, limit=3)
            assert sto, query
            assert sto[0].text == rec.text or sto[0].score >= mem[0].score - 2, query
            agree += (mem[0].letter_id, mem[0].sentence) == (sto[0].letter_id, sto[0].sentence)
            assert sto[0].before is None or sto[0].before in {r.text for r in records}
    assert agree >= 0.9 * 3 * len(picked)
    nothing = await pg.quotes.find("xylofoon quasar zeppelin", scope=GLOBAL)
    assert nothing == []
    ref = await pg.quotes.get(f"{lite.catalog.ref(letter)}:2", scope=GLOBAL)
    assert ref.text == records[1].text and ref.before == records[0].text


def _typo(text: str, rng: np.random.Generator) -> str:
    """One letter of the longest word swapped with its neighbour."""
    words = text.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    j = int(rng.integers(1, len(w) - 2))
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


async def test_questions_from_the_store(both: tuple[Services, Services]) -> None:
    lite, pg = both
    await lite.answers.backfill()  # vectors stored in each store (the same model)
    await pg.answers.backfill()
    await pg.answers.warm()
    signs = pg.answers._indexes.value.dense.signs
    await signs.filled.wait()  # the dense candidates' sign bits, filled from the store
    assert signs.ready and len(signs) == sum(r.sentence_count for r in pg.catalog.by_id.values())
    questions = [
        "Wat vraagt de rapporteur over de coördinatie van de aanpak?",
        "Hoeveel slachtoffers van mensenhandel zijn er?",
        "Wat zegt de brief over seksueel misbruik van kinderen?",
        "What does the letter say about child sexual abuse?",  # no Dutch word in common
    ]
    same = 0
    for q in questions:
        mem = await lite.answers.answer(q, scope=GLOBAL)
        sto = await pg.answers.answer(q, scope=GLOBAL)
        assert sto.answer.passages, q
        top = sto.answer.passages[0]
        assert top.text in {r.text for r in await pg.store.letters.sentences(top.letter_id)}
        if mem.answer.passages:
            same += (mem.answer.passages[0].sentence, mem.answer.passages[0].text) == (
                top.sentence,
                top.text,
            )
    assert same >= 1
    letter = next(iter(pg.catalog.by_id))
    assert await pg.store.vectors.for_letter(letter)  # what the dense part compares with


async def test_without_pg_trgm_quotes_stay_in_memory(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    first = await open_services(pg_url)
    await first.close()
    conn = await asyncpg.connect(pg_url)
    try:  # as on a server without postgresql-contrib: the migration leaves the index out
        await conn.execute("DROP INDEX vocabulary_trigrams")
    finally:
        await conn.close()
    caplog.set_level(logging.WARNING, logger="bot.services.app")
    services = await open_services(pg_url)
    try:
        assert services.quotes.backend is None
        assert [r.message for r in caplog.records if "pg_trgm" in r.message]
        found = await services.quotes.find("coordinatie van de aanpak", scope=GLOBAL)
        assert found and found[0].score >= 62
        ask = await services.answers.answer("Wie heeft de brief ondertekend?", scope=GLOBAL)
        assert ask.found
    finally:
        await services.close()


async def test_memory_mode_on_postgres_is_the_baseline(pg_url: str) -> None:
    services = await open_services(pg_url, search="memory")
    try:
        assert services.quotes.backend is None
        await services.answers.warm()
        assert type(services.answers._indexes.value.bm25).__name__ == "BM25Index"
    finally:
        await services.close()


def test_sign_index_finds_the_nearest_vectors() -> None:
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(300, 512)).astype(np.float32)
    signs = SignIndex()
    signs.add(1, list(range(100)), vectors[:100])
    signs.add(2, list(range(100, 300)), vectors[100:])
    signs.finish()
    assert len(signs) == 300
    query = vectors[150] + 0.3 * rng.normal(size=512).astype(np.float32)
    assert signs.nearest(query, 3, None)[0] == (150, 2)
    assert all(lid == 1 for _, lid in signs.nearest(query, 5, [1]))
    signs.remove_letter(2)
    assert all(lid == 1 for _, lid in signs.nearest(query, 10, None))
    assert signs.nearest(query, 0, None) == []


def test_affordable_pairs_leave_out_two_common_words() -> None:
    """A term is asked for in pairs with the first two only when the pair is not expected in
    more than ``PAIR_COST`` sentences: the rare anchor pairs with a common word, two common
    words do not pair."""
    n = 1_000_000
    df = {"zeldzaam": 500, "tegen": 60_000, "kinderen": 100_000, "uniek": 3}
    terms = [("zeldzaam", 5.0), ("tegen", 2.8), ("kinderen", 2.3), ("uniek", 9.0)]
    kept = [t for t, _ in affordable(terms, df, n)]
    assert 500 * 60_000 <= PAIR_COST * n < 60_000 * 100_000
    assert kept == ["zeldzaam", "tegen", "uniek"]  # "kinderen" with "tegen": too many
    assert [t for t, _ in affordable(terms[1:3], df, n)] == ["tegen"]


async def test_autocomplete_from_the_store(both: tuple[Services, Services]) -> None:
    """Store mode answers autocomplete at once from what it looked up for an earlier keystroke
    and looks the new text up in the background; a named letter the scope does not see, or an
    empty prefix, gives nothing."""
    _, pg = both
    letter = next(iter(pg.catalog.by_id))
    records = await pg.store.letters.sentences(letter)
    rec = next(r for r in records if len(r.norm.split()) >= 8)
    typed = " ".join(rec.text.split()[:4])
    assert pg.quotes.suggest(typed, GLOBAL) == []  # nothing looked up yet: started now
    found = await _suggested(pg, typed)
    assert any(s.text == rec.text for s in found)
    ref = pg.catalog.ref(letter)
    in_letter = await _suggested(pg, typed, letter=ref)
    assert in_letter and all(s.value.startswith(f"{ref}:") for s in in_letter)
    assert pg.quotes.suggest(typed, GLOBAL, letter="999") == []
    assert pg.quotes.suggest("   ", GLOBAL) == []


async def _suggested(services: Services, typed: str, **kwargs: str) -> list:
    """Autocomplete once its background lookup for ``typed`` has come back (at most 4 s)."""
    for _ in range(200):
        found = services.quotes.suggest(typed, GLOBAL, **kwargs)
        if found:
            return found
        await asyncio.sleep(0.02)
    return []
