"""The SQLite backend of the store (aiosqlite, WAL, FTS5).

One connection per store. Every use of it, reads included, goes through one ``asyncio.Lock``:
a write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``/``ROLLBACK``) holds it from begin to end,
so coroutines sharing the connection never interleave transactions nor see each other's
uncommitted rows. Other processes are kept out by SQLite's own locking and ``busy_timeout``.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.models import ParsedLetter, Sentence
from bot.store.base import (
    InvalidLetterError,
    InvalidQueryError,
    MigrationError,
    SchemaTooNewError,
)
from bot.store.derived import SqliteRecommendationRepository
from bot.store.digests import SqliteDigestRepository
from bot.store.records import (
    LetterOrigin,
    LetterRecord,
    RepairRecord,
    SectionRecord,
    SentenceRecord,
    parse_ref,
)
from bot.store.rows import fetchall as _fetchall
from bot.store.rows import fetchone as _fetchone
from bot.store.sources import SqliteSourceRepository
from bot.store.vectors import SqliteVectorRepository

BUSY_TIMEOUT_MS = 5000
PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
)

_MIGRATION_FILE = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
#: The first line of a migration that rebuilds a table (SQLite's "12 steps": create the new
#: table, copy, drop the old one, rename). Foreign keys are off while it runs, so dropping the
#: old table does not cascade into every table that refers to it, and are checked before the
#: migration commits.
REBUILD_MARK = "-- briefbot: rebuilds tables"
_MAX_ROWID = 2**63 - 1
# OperationalError messages that mean "the MATCH expression is wrong", not "the database is".
_FTS_QUERY_ERRORS = ("fts5:", "no such column", "unterminated string", "unknown special query")


# --------------------------------------------------------------------------- migrations


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The migrations shipped in ``bot/store/migrations``, numbered 1, 2, 3 ... without gaps."""
    folder = resources.files("bot.store.migrations")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_FILE.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        names = ", ".join(m.name for m in found)
        raise MigrationError(f"migrations must be numbered 0001, 0002, ... without gaps: {names}")
    return found


def split_statements(sql: str) -> list[str]:
    """Split a migration script into statements (``CREATE TRIGGER ... END;`` stays whole)."""
    statements = []
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if not _is_blank(buffer):
                statements.append(buffer.strip())
            buffer = ""
    if not _is_blank(buffer.removesuffix(";")):
        raise MigrationError(f"incomplete SQL statement at the end of a migration: {buffer!r}")
    return statements


def _is_blank(statement: str) -> bool:
    code = "".join(line.split("--", 1)[0] for line in statement.splitlines())
    return code.strip().strip(";").strip() == ""


async def _user_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(conn: aiosqlite.Connection, migrations: Sequence[Migration]) -> int:
    """Bring the database up to the last of ``migrations``; return the resulting version.

    Each migration runs in its own transaction together with its ``user_version`` bump, so a
    failure or crash leaves the database at the previous version, untouched.
    """
    latest = len(migrations)
    current = await _user_version(conn)
    while True:
        if current > latest:
            raise SchemaTooNewError(
                f"the database has schema version {current}, but this briefbot only knows "
                f"versions up to {latest}; upgrade briefbot to open it"
            )
        if current == latest:
            return current
        migration = migrations[current]
        rebuild = migration.sql.lstrip().startswith(REBUILD_MARK)
        if rebuild:  # outside a transaction, or the pragma does nothing
            await conn.execute("PRAGMA foreign_keys = OFF")
        try:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated while we waited for the write lock.
                current = await _user_version(conn)
                if current == migration.version - 1:
                    for statement in split_statements(migration.sql):
                        await conn.execute(statement)
                    if rebuild:
                        broken = await _fetchall(conn, "PRAGMA foreign_key_check")
                        if broken:
                            raise MigrationError(
                                f"migration {migration.name} would break {len(broken)} "
                                f"references, e.g. {tuple(broken[0])}"
                            )
                    await conn.execute(f"PRAGMA user_version = {migration.version:d}")
                    current = migration.version
                await conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
                raise
        finally:
            if rebuild:
                await conn.execute("PRAGMA foreign_keys = ON")


LATEST_SCHEMA_VERSION = len(load_migrations())


# --------------------------------------------------------------------------- connection


class _Db:
    """The connection plus the lock that serialises its use."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self.lock:
            yield self.conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        Cancellation-safe: aiosqlite runs statements in order on its own thread, and a
        statement whose ``await`` was cancelled (a task stopped at shutdown) still runs there.
        So the ROLLBACK is always queued, after whatever is still pending (BEGIN included),
        and shielded from a second cancellation; "no transaction is active" (BEGIN failed,
        or COMMIT went through) is fine. Checking ``in_transaction`` instead would look too
        early and could leave the connection inside a transaction nobody owns.
        """
        async with self.lock:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
                yield self.conn
                await self.conn.execute("COMMIT")
            except BaseException:
                await asyncio.shield(self._rollback())
                raise

    async def _rollback(self) -> None:
        try:
            await self.conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if "no transaction is active" not in str(exc):
                raise


# --------------------------------------------------------------------------- rows -> records

_LETTER_COLUMNS = """
    id, number, slug, guild_id, title, subject, sender, signatory, recipient, recipient_role, date,
    reference, contact, salutation, closing, copies, pages, sentence_count, source_kind,
    source_path, damaged, content_hash, parser_version, added_at, source_id, source_ref,
    source_url, source_name, published, backfill
"""
_SELECT_LETTER = f"SELECT {_LETTER_COLUMNS} FROM letters"
_VISIBLE = "(guild_id IS NULL OR guild_id = ?)"
_SAME_SCOPE = "ifnull(guild_id, 0) = ?"  # the scope of guild id ? (0: the global scope)

_SELECT_SENTENCE = """
    SELECT s.id, s.letter_id, s.number, s.section_id, c.heading AS section_heading, s.page,
           s.start_offset, s.end_offset, s.text, s.original, s.norm
    FROM sentences AS s JOIN sections AS c ON c.id = s.section_id
"""


def _letter(row: sqlite3.Row) -> LetterRecord:
    fields = dict(zip(row.keys(), row, strict=True))
    fields["damaged"] = bool(fields["damaged"])
    fields["backfill"] = bool(fields["backfill"])
    fields["added_at"] = _parse_time(fields["added_at"])
    return LetterRecord(**fields)


def _sentence(row: sqlite3.Row) -> SentenceRecord:
    return SentenceRecord(**dict(zip(row.keys(), row, strict=True)))


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _now() -> str:
    return datetime.now(UTC).isoformat()


# --------------------------------------------------------------------------- repositories


class SqliteLetterRepository:
    def __init__(self, db: _Db) -> None:
        self._db = db

    # ---- writing

    async def add(
        self,
        parsed: ParsedLetter,
        *,
        slug_hint: str,
        source_path: str,
        content_hash: str,
        guild_id: int | None,
        parser_version: str,
        replace: int | None = None,
        origin: LetterOrigin | None = None,
    ) -> tuple[LetterRecord, bool]:
        try:
            async with self._db.write() as conn:
                row = await _fetchone(
                    conn,
                    f"{_SELECT_LETTER} WHERE content_hash = ? AND {_SAME_SCOPE}",
                    (content_hash, guild_id or 0),
                )
                if row is not None:
                    return _letter(row), False
                old = None
                if replace is not None:
                    old = await _fetchone(
                        conn,
                        f"SELECT number, slug FROM letters WHERE id = ? AND {_SAME_SCOPE}",
                        (replace, guild_id or 0),
                    )
                if old is not None:  # the new letter takes the old one's number and name
                    await conn.execute("DELETE FROM letters WHERE id = ?", (replace,))
                    number, slug = int(old[0]), str(old[1])
                else:
                    number = await self._next_number(conn, guild_id)
                    slug = await self._unique_slug(conn, slug_hint, guild_id)
                letter_id = await self._insert_letter(
                    conn,
                    parsed,
                    number=number,
                    slug=slug,
                    source_path=source_path,
                    content_hash=content_hash,
                    guild_id=guild_id,
                    parser_version=parser_version,
                    origin=origin,
                )
                await conn.executemany(
                    "INSERT INTO sections (letter_id, position, heading) VALUES (?, ?, ?)",
                    [(letter_id, i, s.heading) for i, s in enumerate(parsed.sections)],
                )
                section_ids = [
                    r[0]
                    for r in await _fetchall(
                        conn,
                        "SELECT id FROM sections WHERE letter_id = ? ORDER BY position",
                        (letter_id,),
                    )
                ]
                await conn.executemany(
                    """INSERT INTO sentences (letter_id, section_id, number, page, start_offset,
                           end_offset, text, original, norm)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    _sentence_rows(letter_id, section_ids, parsed.sentences),
                )
                await conn.executemany(
                    """INSERT INTO repairs (letter_id, sentence_number, from_text, to_text,
                           position)
                       VALUES (?, ?, ?, ?, ?)""",
                    [
                        (letter_id, r.sentence, r.from_text, r.to_text, i)
                        for i, r in enumerate(parsed.repairs)
                    ],
                )
                row = await _fetchone(conn, f"{_SELECT_LETTER} WHERE id = ?", (letter_id,))
        except sqlite3.IntegrityError as exc:
            raise InvalidLetterError(f"letter {slug_hint!r} cannot be stored: {exc}") from exc
        assert row is not None
        return _letter(row), True

    @staticmethod
    async def _next_number(conn: aiosqlite.Connection, guild_id: int | None) -> int:
        """The next number of the scope: one past the last ever given there (never reused)."""
        row = await _fetchone(
            conn,
            "INSERT INTO letter_numbers (scope, last) VALUES (?, 1)"
            " ON CONFLICT (scope) DO UPDATE SET last = last + 1 RETURNING last",
            (guild_id or 0,),
        )
        assert row is not None
        return int(row[0])

    @staticmethod
    async def _unique_slug(conn: aiosqlite.Connection, hint: str, guild_id: int | None) -> str:
        """A name not taken among the letters this scope sees: a server's own and the global
        ones for a server's letter, the global ones for a global letter (never another
        server's, which would tell this one that it exists)."""
        base = hint.strip() or "letter"
        if parse_ref(base) is not None:  # would be read as a letter number by resolve()
            base = f"letter-{base}"
        where = "guild_id IS NULL" if guild_id is None else "(guild_id IS NULL OR guild_id = ?)"
        params: tuple[Any, ...] = () if guild_id is None else (guild_id,)
        slug, n = base, 1
        while await _fetchone(conn, f"SELECT 1 FROM letters WHERE slug = ? AND {where}",
                              (slug, *params)):  # fmt: skip
            n += 1
            slug = f"{base}-{n}"
        return slug

    @staticmethod
    async def _insert_letter(
        conn: aiosqlite.Connection,
        parsed: ParsedLetter,
        *,
        number: int,
        slug: str,
        source_path: str,
        content_hash: str,
        guild_id: int | None,
        parser_version: str,
        origin: LetterOrigin | None = None,
    ) -> int:
        m = parsed.metadata
        cursor = await conn.execute(
            """INSERT INTO letters (number, slug, content_hash, guild_id, source_path, source_kind,
                   damaged, pages, sentence_count, sender, signatory, recipient, recipient_role,
                   date, subject, reference, contact, salutation, closing, copies, title,
                   original, parser_version, added_at, source_id, source_ref, source_url,
                   source_name, published, backfill)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                       ?, ?, ?, ?, ?, ?)""",
            (
                number,
                slug,
                content_hash,
                guild_id,
                source_path,
                parsed.source_kind,
                int(parsed.damaged),
                parsed.pages,
                len(parsed.sentences),
                m.sender,
                m.signatory,
                m.recipient,
                m.recipient_role,
                m.date,
                m.subject,
                m.reference,
                m.contact,
                m.salutation,
                m.closing,
                m.copies,
                parsed.title,
                parsed.original,
                parser_version,
                _now(),
                origin.source_id if origin else None,
                origin.source_ref if origin else None,
                origin.url if origin else None,
                origin.name if origin else None,
                origin.published if origin else None,
                int(origin.backfill) if origin else 0,
            ),
        )
        await cursor.close()
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def forget_numbers(self, guild_id: int) -> bool:
        """Forget a server's letter number sequence once it has no letters left (its data is
        purged): the last number would still say how many letters it had."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM letter_numbers WHERE scope = ?"
                " AND NOT EXISTS (SELECT 1 FROM letters WHERE guild_id = ?)",
                (guild_id, guild_id),
            )
            forgotten = cursor.rowcount > 0
            await cursor.close()
        return forgotten

    async def delete(self, letter_id: int, *, guild_id: int | None) -> bool:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM letters WHERE id = ? AND guild_id IS ?", (letter_id, guild_id)
            )
            deleted = cursor.rowcount > 0
            await cursor.close()
        return deleted

    # ---- letters

    async def get(self, letter_id: int) -> LetterRecord | None:
        async with self._db.read() as conn:
            row = await _fetchone(conn, f"{_SELECT_LETTER} WHERE id = ?", (letter_id,))
        return _letter(row) if row else None

    async def resolve(self, ref: str, *, guild_id: int | None) -> LetterRecord | None:
        ref = ref.strip()
        if not ref:
            return None
        async with self._db.read() as conn:
            row = None
            number = parse_ref(ref)
            if number is not None and number[1] <= _MAX_ROWID:
                own, n = number
                if own and guild_id is not None:
                    row = await _fetchone(
                        conn, f"{_SELECT_LETTER} WHERE guild_id = ? AND number = ?", (guild_id, n)
                    )
                elif not own:
                    row = await _fetchone(
                        conn, f"{_SELECT_LETTER} WHERE guild_id IS NULL AND number = ?", (n,)
                    )
            if row is None:  # a name: the server's own letter first, then a global one
                row = await _fetchone(
                    conn,
                    f"{_SELECT_LETTER} WHERE slug = ? AND {_VISIBLE} ORDER BY guild_id IS NULL",
                    (ref, guild_id),
                )
        return _letter(row) if row else None

    async def sharing_phrases(
        self, phrases: Sequence[str], *, guild_id: int | None, limit: int = 20
    ) -> dict[int, int]:
        """Letter id -> how many of ``phrases`` (folded words, as in the ``norm`` column) occur
        in one of its sentences, among the letters ``guild_id`` sees (the global ones only for
        None). For finding a letter that is already stored in another form (PDF and text)."""
        found: dict[int, int] = {}
        scope = "l.guild_id IS NULL"
        if guild_id is not None:
            scope = "(l.guild_id IS NULL OR l.guild_id = ?)"
        params: tuple[Any, ...] = () if guild_id is None else (guild_id,)
        async with self._db.read() as conn:
            for phrase in phrases:
                words = [w for w in phrase.split() if w.isascii() and w.isalnum()]
                if not words:
                    continue
                rows = await _fetchall(
                    conn,
                    "SELECT DISTINCT s.letter_id FROM sentences_fts AS f"
                    " JOIN sentences AS s ON s.id = f.rowid"
                    " JOIN letters AS l ON l.id = s.letter_id"
                    f" WHERE sentences_fts MATCH ? AND {scope} LIMIT ?",
                    ('"' + " ".join(words) + '"', *params, limit),
                )
                for r in rows:
                    found[int(r[0])] = found.get(int(r[0]), 0) + 1
        return found

    async def list(
        self, *, guild_id: int | None, include_all: bool = False
    ) -> builtins.list[LetterRecord]:
        async with self._db.read() as conn:
            if include_all:
                rows = await _fetchall(conn, f"{_SELECT_LETTER} ORDER BY id")
            else:
                rows = await _fetchall(
                    conn, f"{_SELECT_LETTER} WHERE {_VISIBLE} ORDER BY id", (guild_id,)
                )
        return [_letter(row) for row in rows]

    async def count(self) -> int:
        async with self._db.read() as conn:
            row = await _fetchone(conn, "SELECT count(*) FROM letters")
        return int(row[0]) if row else 0

    async def original(self, letter_id: int) -> str | None:
        async with self._db.read() as conn:
            row = await _fetchone(conn, "SELECT original FROM letters WHERE id = ?", (letter_id,))
        return str(row[0]) if row else None

    # ---- parts of a letter

    async def sections(self, letter_id: int) -> builtins.list[SectionRecord]:
        async with self._db.read() as conn:
            rows = await _fetchall(
                conn,
                "SELECT id, letter_id, position, heading FROM sections"
                " WHERE letter_id = ? ORDER BY position",
                (letter_id,),
            )
        return [SectionRecord(**dict(zip(r.keys(), r, strict=True))) for r in rows]

    async def sentences(self, letter_id: int) -> builtins.list[SentenceRecord]:
        async with self._db.read() as conn:
            rows = await _fetchall(
                conn, f"{_SELECT_SENTENCE} WHERE s.letter_id = ? ORDER BY s.number", (letter_id,)
            )
        return [_sentence(row) for row in rows]

    async def sentence(self, letter_id: int, number: int) -> SentenceRecord | None:
        async with self._db.read() as conn:
            row = await _fetchone(
                conn,
                f"{_SELECT_SENTENCE} WHERE s.letter_id = ? AND s.number = ?",
                (letter_id, number),
            )
        return _sentence(row) if row else None

    async def sentences_by_ids(self, ids: Sequence[int]) -> builtins.list[SentenceRecord]:
        if not ids:
            return []
        # One JSON parameter instead of one parameter per id: no limit on the number of ids.
        sql = _SELECT_SENTENCE.replace(
            "FROM sentences AS s",
            "FROM json_each(?) AS j JOIN sentences AS s ON s.id = j.value",
        )
        async with self._db.read() as conn:
            rows = await _fetchall(conn, f"{sql} ORDER BY j.key", (json.dumps(list(ids)),))
        return [_sentence(row) for row in rows]

    async def repairs(self, letter_id: int) -> builtins.list[RepairRecord]:
        async with self._db.read() as conn:
            rows = await _fetchall(
                conn,
                "SELECT id, letter_id, sentence_number, from_text, to_text, position"
                " FROM repairs WHERE letter_id = ? ORDER BY position",
                (letter_id,),
            )
        return [RepairRecord(**dict(zip(r.keys(), r, strict=True))) for r in rows]

    async def iter_all_sentences(self, batch: int = 5000) -> AsyncIterator[SentenceRecord]:
        # Keyset pagination: the lock is held per batch only, never while the caller works,
        # so the caller may write to the store between items.
        if batch < 1:
            raise ValueError("batch must be at least 1")
        last_id = 0
        while True:
            async with self._db.read() as conn:
                rows = await _fetchall(
                    conn,
                    f"{_SELECT_SENTENCE} WHERE s.id > ? ORDER BY s.id LIMIT ?",
                    (last_id, batch),
                )
            for row in rows:
                yield _sentence(row)
            if len(rows) < batch:
                return
            last_id = rows[-1]["id"]

    # ---- full-text search

    async def fts_search(
        self, match_expr: str, *, limit: int, letter_ids: Sequence[int] | None = None
    ) -> builtins.list[tuple[int, float]]:
        if limit < 1 or (letter_ids is not None and not letter_ids):
            return []
        sql = "SELECT rowid, rank FROM sentences_fts WHERE sentences_fts MATCH ?"
        params: builtins.list[Any] = [match_expr]
        if letter_ids is not None:
            sql += (
                " AND rowid IN (SELECT id FROM sentences"
                " WHERE letter_id IN (SELECT value FROM json_each(?)))"
            )
            params.append(json.dumps(list(letter_ids)))
        sql += " ORDER BY rank LIMIT ?"  # rank is bm25(): lower is better
        params.append(limit)
        try:
            async with self._db.read() as conn:
                rows = await _fetchall(conn, sql, params)
        except sqlite3.OperationalError as exc:
            if str(exc).startswith(_FTS_QUERY_ERRORS):
                raise InvalidQueryError(f"invalid search {match_expr!r}: {exc}") from exc
            raise
        return [(int(r[0]), float(r[1])) for r in rows]


def _sentence_rows(
    letter_id: int, section_ids: Sequence[int], sentences: Sequence[Sentence]
) -> builtins.list[tuple[Any, ...]]:
    rows = []
    for s in sentences:
        if not 0 <= s.section < len(section_ids):
            raise InvalidLetterError(
                f"sentence {s.number} belongs to section {s.section}, "
                f"but the letter has {len(section_ids)} sections"
            )
        rows.append(
            (letter_id, section_ids[s.section], s.number, s.page, s.start, s.end, s.text,
             s.original, s.norm)
        )  # fmt: skip
    return rows


class SqliteMetaRepository:
    def __init__(self, db: _Db) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        async with self._db.read() as conn:
            row = await _fetchone(conn, "SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set(self, key: str, value: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def delete(self, key: str) -> bool:
        async with self._db.write() as conn:
            cur = await conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        return cur.rowcount > 0

    async def items(self, prefix: str) -> builtins.list[tuple[str, str]]:
        """Every (key, value) whose key starts with ``prefix``."""
        async with self._db.read() as conn:
            rows = await _fetchall(
                conn,
                "SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key",
                (prefix, prefix + "\U0010ffff"),
            )
        return [(str(r[0]), str(r[1])) for r in rows]


# --------------------------------------------------------------------------- the store


class SqliteStore:
    def __init__(self, conn: aiosqlite.Connection, schema_version: int) -> None:
        self._db = _Db(conn)
        self._schema_version = schema_version
        self._letters = SqliteLetterRepository(self._db)
        self._meta = SqliteMetaRepository(self._db)
        self._vectors = SqliteVectorRepository(self._db)
        self._recommendations = SqliteRecommendationRepository(self._db)
        self._digests = SqliteDigestRepository(self._db)
        self._sources = SqliteSourceRepository(self._db)
        self._closed = False

    @property
    def letters(self) -> SqliteLetterRepository:
        return self._letters

    @property
    def meta(self) -> SqliteMetaRepository:
        return self._meta

    @property
    def vectors(self) -> SqliteVectorRepository:
        return self._vectors

    @property
    def digests(self) -> SqliteDigestRepository:
        return self._digests

    @property
    def sources(self) -> SqliteSourceRepository:
        return self._sources

    @property
    def recommendations(self) -> SqliteRecommendationRepository:
        return self._recommendations

    @property
    def schema_version(self) -> int:
        return self._schema_version

    async def integrity_check(self) -> builtins.list[str]:
        async with self._db.read() as conn:
            rows = await _fetchall(conn, "PRAGMA integrity_check")
        return [str(r[0]) for r in rows]

    async def close(self) -> None:
        async with self._db.lock:
            if self._closed:
                return
            self._closed = True
            try:
                await self._db.conn.execute("PRAGMA optimize")
            finally:
                await self._db.conn.close()

    async def __aenter__(self) -> SqliteStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def _execute_pragma(conn: aiosqlite.Connection, pragma: str) -> None:
    # Switching a new file to WAL fails at once with "database is locked" when another
    # connection is opening it at the same moment (SQLite does not use the busy handler there),
    # so retry for as long as busy_timeout would have waited.
    deadline = asyncio.get_running_loop().time() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await _fetchall(conn, pragma)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.01)


async def open_sqlite_store(path: str | os.PathLike[str]) -> SqliteStore:
    """Open (creating if needed) the database at ``path`` and migrate it to the latest schema."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: no implicit transactions; we issue BEGIN/COMMIT ourselves.
    conn = await aiosqlite.connect(os.fspath(path), isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        for pragma in PRAGMAS:
            await _execute_pragma(conn, pragma)
        version = await apply_migrations(conn, load_migrations())
    except BaseException:
        await conn.close()
        raise
    return SqliteStore(conn, version)
