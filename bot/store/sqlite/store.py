"""The SQLite backend of the store: one file, one connection, WAL, FTS5.

``open_sqlite_store(path)`` opens (creating if needed) the database and migrates it; the
repositories of ``letters``, ``recommendations``, ``vectors`` and ``digests`` share its
connection (:class:`bot.store.sqlite.db.Db`).
"""

from __future__ import annotations

import asyncio
import builtins
import os
import sqlite3
from pathlib import Path

import aiosqlite

from bot.store.records import StoreStats
from bot.store.sqlite.changes import SqliteChangeFeed
from bot.store.sqlite.db import Db, store_error
from bot.store.sqlite.db import fetchall as _fetchall
from bot.store.sqlite.digests import SELECT_DELIVERY, SqliteDigestRepository, delivery
from bot.store.sqlite.letters import SqliteLetterRepository, SqliteMetaRepository
from bot.store.sqlite.migrate import apply_migrations, load_migrations
from bot.store.sqlite.recommendations import SqliteRecommendationRepository
from bot.store.sqlite.sources import SqliteSourceRepository
from bot.store.sqlite.vectors import SqliteVectorRepository

BUSY_TIMEOUT_MS = 5000
PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
)


class SqliteStore:
    def __init__(self, conn: aiosqlite.Connection, schema_version: int) -> None:
        self._db = Db(conn)
        self._schema_version = schema_version
        self._letters = SqliteLetterRepository(self._db)
        self._meta = SqliteMetaRepository(self._db)
        self._vectors = SqliteVectorRepository(self._db)
        self._recommendations = SqliteRecommendationRepository(self._db)
        self._digests = SqliteDigestRepository(self._db)
        self._sources = SqliteSourceRepository(self._db)
        self._changes = SqliteChangeFeed(self._db)
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
    def changes(self) -> SqliteChangeFeed:
        return self._changes

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

    async def stats(self) -> StoreStats:
        async with self._db.read() as conn:
            sentences = await _fetchall(conn, "SELECT count(*) FROM sentences")
            subs = await _fetchall(
                conn,
                "SELECT count(*) FILTER (WHERE paused_reason IS NULL),"
                " count(*) FILTER (WHERE paused_reason IS NOT NULL) FROM subscriptions",
            )
            last = await _fetchall(
                conn,
                f"{SELECT_DELIVERY} WHERE status = 'sent' ORDER BY updated_at DESC LIMIT 1",
            )
        return StoreStats(
            sentences=int(sentences[0][0]),
            subscriptions_active=int(subs[0][0] or 0),
            subscriptions_paused=int(subs[0][1] or 0),
            last_digest=delivery(last[0]) if last else None,
        )

    async def close(self) -> None:
        async with self._db.lock:
            if self._closed:
                return
            self._closed = True
            try:
                await self._db.conn.execute("PRAGMA optimize")
            except sqlite3.Error as exc:
                raise store_error(exc) from exc
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
    try:
        # isolation_level=None: no implicit transactions; we issue BEGIN/COMMIT ourselves.
        conn = await aiosqlite.connect(os.fspath(path), isolation_level=None)
    except sqlite3.Error as exc:
        raise store_error(exc) from exc
    try:
        conn.row_factory = sqlite3.Row
        for pragma in PRAGMAS:
            await _execute_pragma(conn, pragma)
        version = await apply_migrations(conn, load_migrations())
    except BaseException as exc:
        await conn.close()
        if isinstance(exc, sqlite3.Error):
            raise store_error(exc) from exc
        raise
    return SqliteStore(conn, version)
