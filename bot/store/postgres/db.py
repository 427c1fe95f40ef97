"""The PostgreSQL connection pool every repository of the backend shares, and its helpers.

Unlike SQLite's single connection, a pool lets reads run side by side, and other processes
share the same database: every write is one transaction on one pooled connection, and what must
not interleave across processes is kept apart by the database itself (row locks, advisory
locks, unique keys), never by a lock in this process.

asyncpg's errors end here: :func:`store_error` turns them into the store's own (``StoreBusy``,
``StoreFull``, ``StoreError``), so no caller ever sees a driver exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg

from bot.store.base import StoreBusy, StoreError, StoreFull

#: SQLSTATE classes and codes that mean "try again in a moment".
_BUSY_STATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "57P01",  # admin_shutdown (the server restarts)
    "57P03",  # cannot_connect_now (the server is starting)
    "53300",  # too_many_connections
    "53400",  # configuration_limit_exceeded
}
_FULL_STATES = {"53100", "53200"}  # disk_full, out_of_memory


def store_error(exc: BaseException) -> StoreError:
    """The store's error for a driver or connection error."""
    if isinstance(exc, StoreError):
        return exc
    state = getattr(exc, "sqlstate", None)
    text = str(exc) or type(exc).__name__
    if state in _FULL_STATES:
        return StoreFull(text)
    if (
        state in _BUSY_STATES
        or (isinstance(state, str) and state.startswith("08"))  # connection exceptions
        or isinstance(exc, OSError | asyncpg.InterfaceError | asyncio.TimeoutError)
    ):
        return StoreBusy(f"the PostgreSQL server did not answer: {text}")
    return StoreError(text)


#: What turns into the store's errors (everything the driver or the socket can raise).
DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError)


class Pg:
    """The pool, with a read and a write context."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @asynccontextmanager
    async def read(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            async with self.pool.acquire() as conn:
                yield conn
        except DRIVER_ERRORS as exc:
            raise store_error(exc) from exc

    @asynccontextmanager
    async def write(self) -> AsyncIterator[asyncpg.Connection]:
        """One transaction: committed when the block ends, rolled back if it raises (asyncpg
        rolls back on cancellation too, and a connection that cannot roll back is closed
        rather than returned to the pool inside a transaction)."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                yield conn
        except DRIVER_ERRORS as exc:
            raise store_error(exc) from exc


def utc(moment: datetime) -> datetime:
    """An aware datetime as stored (timestamptz); naive ones are refused as in SQLite."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: briefbot stores aware UTC datetimes only")
    return moment.astimezone(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """A timestamptz as read back, in UTC."""
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
