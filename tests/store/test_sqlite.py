"""The SQLite store, against real database files in a temporary folder."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import aiosqlite
import pytest

from bot.core.models import LetterMetadata, ParsedLetter, Section, Sentence
from bot.store import (
    LetterRecord,
    SchemaTooNewError,
    Store,
    StoreBusy,
    StoreFull,
    backend_of,
    open_store,
    sqlite_path,
)
from bot.store.base import MigrationError
from bot.store.sqlite import (
    LATEST_SCHEMA_VERSION,
    Migration,
    apply_migrations,
    load_migrations,
    split_statements,
)

TABLES = ("letters", "sections", "sentences", "repairs")

# --------------------------------------------------------------------------- helpers


def make_letter(
    tag: str = "a",
    *,
    sentences: int = 3,
    sections: int = 2,
    texts: list[str] | None = None,
    subject: str | None = "Voortgang van de aanpak",
) -> ParsedLetter:
    """A small, consistent letter; ``tag`` makes its text (and so its content) distinct."""
    texts = texts or [f"Zin {i} over {tag}." for i in range(1, sentences + 1)]
    original = ""
    parsed_sentences = []
    for i, text in enumerate(texts):
        if original:
            original += " "
        start = len(original)
        original += text
        parsed_sentences.append(
            Sentence(
                number=i + 1,
                section=i * sections // len(texts),
                page=1 + i // 2,
                start=start,
                end=len(original),
                text=text,
                original=text,
                norm=text.lower().rstrip("."),
            )
        )
    return ParsedLetter(
        original=original,
        source_kind="txt",
        damaged=False,
        pages=1 + (len(texts) - 1) // 2,
        metadata=LetterMetadata(subject=subject),
        sections=[Section(heading=None)] + [Section(f"Kop {n}") for n in range(1, sections)],
        sentences=parsed_sentences,
        repairs=[],
    )


async def add(
    store: Store,
    parsed: ParsedLetter,
    *,
    slug: str = "brief",
    content_hash: str | None = None,
    guild_id: int | None = None,
) -> tuple[LetterRecord, bool]:
    return await store.letters.add(
        parsed,
        slug_hint=slug,
        source_path=f"letters/{slug}.txt",
        content_hash=content_hash or f"hash:{parsed.original}",
        guild_id=guild_id,
        parser_version="test-1",
    )


def raw(path: Path) -> sqlite3.Connection:
    """A second, plain connection to look at the file the way another process would."""
    return sqlite3.connect(path)


def row_counts(path: Path) -> dict[str, int]:
    with raw(path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def check_fts(path: Path) -> None:
    """FTS5's own check that the index matches the sentences table exactly (raises if not)."""
    with raw(path) as conn:
        conn.execute(
            "INSERT INTO sentences_fts (sentences_fts, rank) VALUES ('integrity-check', 1)"
        )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "nested" / "briefbot.sqlite3"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    async with open_store(db_path) as opened:
        yield opened


# --------------------------------------------------------------------------- opening, migrations


async def test_opening_an_empty_file_creates_the_latest_schema(db_path: Path) -> None:
    store = await open_store(db_path)
    try:
        assert db_path.exists()  # noqa: ASYNC240
        assert store.schema_version == LATEST_SCHEMA_VERSION == len(load_migrations()) >= 1
        assert await store.integrity_check() == ["ok"]
        with raw(db_path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_SCHEMA_VERSION
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {*TABLES, "sentences_fts", "meta"} <= names
        assert {"sentences_fts_insert", "sentences_fts_delete", "sentences_fts_update"} <= names
        # FTS5 is usable: a stored sentence can be found.
        await add(store, make_letter(texts=["Een zin over stikstof."]))
        assert len(await store.letters.fts_search("stikstof", limit=5)) == 1
    finally:
        await store.close()


async def test_a_locked_or_full_database_raises_the_stores_own_errors(tmp_path: Path) -> None:
    """No sqlite3 error leaves the store: busy and full are StoreBusy and StoreFull (callers
    tell the user "try again" or "the storage is full" without reading SQLite's messages)."""
    path = tmp_path / "faults.sqlite3"
    async with open_store(path) as store:
        conn: aiosqlite.Connection = store._db.conn  # type: ignore[attr-defined]
        await conn.execute("PRAGMA busy_timeout = 100")
        with closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
            with pytest.raises(StoreBusy):
                await store.meta.set("key", "value")
            other.execute("ROLLBACK")
        await store.meta.set("key", "value")
        async with conn.execute("PRAGMA page_count") as cursor:
            pages = (await cursor.fetchone())[0]  # type: ignore[index]
        await conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreFull):
            await store.meta.set("big", "x" * 200_000)
        assert await store.meta.get("big") is None and await store.meta.get("key") == "value"


async def test_connection_pragmas(store: Store) -> None:
    conn: aiosqlite.Connection = store._db.conn  # type: ignore[attr-defined]
    values = {}
    for pragma in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout"):
        async with conn.execute(f"PRAGMA {pragma}") as cursor:
            values[pragma] = (await cursor.fetchone())[0]  # type: ignore[index]
    assert values == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 1,
        "busy_timeout": 5000,
    }


async def test_reopening_is_a_no_op(db_path: Path) -> None:
    async with open_store(db_path) as store:
        record, _ = await add(store, make_letter())
        await store.meta.set("k", "v")
    with raw(db_path) as conn:
        schema_before = sorted(conn.execute("SELECT type, name, sql FROM sqlite_master"))

    async with open_store(db_path) as store:
        assert store.schema_version == LATEST_SCHEMA_VERSION
        assert await store.letters.get(record.id) == record
        assert await store.meta.get("k") == "v"
    with raw(db_path) as conn:
        assert sorted(conn.execute("SELECT type, name, sql FROM sqlite_master")) == schema_before


async def test_a_newer_database_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with raw(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNewError, match="upgrade briefbot"):
        await open_store(db_path)
    with raw(db_path) as conn:  # left untouched
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_SCHEMA_VERSION + 1
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


async def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    broken = Migration(
        2, "0002_broken.sql", "CREATE TABLE extra (x);\nINSERT INTO nowhere VALUES (1);"
    )
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(MigrationError, match="0002_broken"):
            await apply_migrations(conn, [*load_migrations()[:1], broken])
        assert not conn.in_transaction
    with raw(path) as plain:
        assert plain.execute("PRAGMA user_version").fetchone()[0] == 1
        names = {r[0] for r in plain.execute("SELECT name FROM sqlite_master")}
    assert "letters" in names
    assert "extra" not in names

    fixed = Migration(2, "0002_fixed.sql", "CREATE TABLE extra (x);")
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await apply_migrations(conn, [*load_migrations()[:1], fixed]) == 2


def test_split_statements_keeps_triggers_whole() -> None:
    statements = split_statements(load_migrations()[0].sql)
    triggers = [s for s in statements if s.startswith("CREATE TRIGGER")]
    assert len(triggers) == 3
    assert all(s.endswith("END;") for s in triggers)
    assert all(sqlite3.complete_statement(s) for s in statements)
    assert split_statements("-- only a comment; with a semicolon\n") == []


# --------------------------------------------------------------------------- adding and reading


async def test_migrating_numbers_letters_per_scope_and_keeps_everything(tmp_path: Path) -> None:
    """A version-3 database (one id sequence, slugs unique across servers) gets per-scope
    numbers in the order letters were added; no sentence, vector or topic is lost."""
    db = tmp_path / "old.sqlite3"
    migrations = load_migrations()
    async with aiosqlite.connect(db, isolation_level=None) as conn:
        await conn.execute("PRAGMA foreign_keys = ON")
        await apply_migrations(conn, migrations[:3])
        rows = [(1, None, "een"), (2, 7, "twee"), (3, None, "drie"), (4, 7, "vier"), (5, 8, "vijf")]
        for letter_id, guild, slug in rows:
            await conn.execute(
                "INSERT INTO letters (id, slug, content_hash, guild_id, source_path, source_kind,"
                " damaged, pages, sentence_count, title, original, parser_version, added_at)"
                " VALUES (?, ?, ?, ?, 'p', 'txt', 0, 1, 1, 't', 'o', '1', ?)",
                (letter_id, slug, slug, guild, "2026-01-01T00:00:00+00:00"),
            )
            await conn.execute(
                "INSERT INTO sections (id, letter_id, position) VALUES (?, ?, 0)",
                (letter_id, letter_id),
            )
            await conn.execute(
                "INSERT INTO sentences (letter_id, section_id, number, page, start_offset,"
                " end_offset, text, original, norm) VALUES (?, ?, 1, 1, 0, 1, 'z', 'z', 'z')",
                (letter_id, letter_id),
            )
    async with open_store(db) as store:
        assert store.schema_version == LATEST_SCHEMA_VERSION
        refs = {r.slug: r.ref for r in await store.letters.list(guild_id=None, include_all=True)}
        assert refs == {"een": "1", "twee": "s1", "drie": "2", "vier": "s2", "vijf": "s1"}
        assert len(await store.letters.sentences(4)) == 1
        nxt, _ = await add(store, make_letter("nieuw"), guild_id=7)
        assert nxt.ref == "s3"
        assert await store.integrity_check() == ["ok"]
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*) FROM sentences").fetchone()[0] == 5 + 3


# --------------------------------------------------------------------------- all or nothing


# --------------------------------------------------------------------------- guild scoping


# --------------------------------------------------------------------------- full-text search


# --------------------------------------------------------------------------- concurrency


# --------------------------------------------------------------------------- meta and integrity


async def test_the_location_chooses_the_backend(tmp_path: Path) -> None:
    path = tmp_path / "by-url.sqlite3"
    assert backend_of(path) == backend_of(f"sqlite:{path}") == "sqlite"
    assert backend_of("postgresql://briefbot@localhost/briefbot") == "postgresql"
    assert sqlite_path(f"sqlite:///{path}") == sqlite_path(f"sqlite:{path}") == str(path)
    async with open_store(f"sqlite:{path}") as store:
        await store.meta.set("k", "v")
    async with open_store(path) as store:  # the same file, by its path
        assert await store.meta.get("k") == "v"
