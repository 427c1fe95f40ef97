"""The SQLite connection every repository of the backend shares, and its small helpers.

One connection per store. Every use of it, reads included, goes through one ``asyncio.Lock``:
a write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``/``ROLLBACK``) holds it from begin to end,
so coroutines sharing the connection never interleave transactions nor see each other's
uncommitted rows. Other processes are kept out by SQLite's own locking and ``busy_timeout``.

SQLite's errors end here: :func:`store_error` turns them into the store's own (``StoreBusy``,
``StoreFull``, ``StoreError``), so no caller ever matches a ``sqlite3`` message.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.store.base import StoreBusy, StoreError, StoreFull

SQLITE_FULL = 13


def store_error(exc: sqlite3.Error) -> StoreError:
    """The store's error for a SQLite error: full, busy (locked, or the disk failed to answer),
    or any other refusal of the database."""
    text = str(exc)
    if getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL or "database or disk is full" in text:
        return StoreFull(text)
    if isinstance(exc, sqlite3.OperationalError) and (
        "locked" in text or "busy" in text or "disk" in text
    ):
        return StoreBusy(text)
    return StoreError(text)


class Db:
    """The connection plus the lock that serialises its use."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self.lock:
            try:
                yield self.conn
            except sqlite3.Error as exc:
                raise store_error(exc) from exc

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
            except BaseException as exc:
                await asyncio.shield(self._rollback())
                if isinstance(exc, sqlite3.Error):
                    raise store_error(exc) from exc
                raise

    async def _rollback(self) -> None:
        try:
            await self.conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if "no transaction is active" not in str(exc):
                raise store_error(exc) from exc


async def fetchone(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> sqlite3.Row | None:
    async with conn.execute(sql, params) as cursor:
        return await cursor.fetchone()


async def fetchall(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> list[sqlite3.Row]:
    return list(await conn.execute_fetchall(sql, params))


def iso(moment: datetime) -> str:
    """An aware datetime as stored: UTC ISO-8601."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: briefbot stores aware UTC datetimes only")
    return moment.astimezone(UTC).isoformat()


def parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()
