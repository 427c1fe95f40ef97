"""The change feed of the PostgreSQL backend (``bot.store.base.ChangeFeed``): a ``changes``
table, and ``LISTEN``/``NOTIFY`` to wake every bot process the moment another commits one.

The table is the truth (a reader's cursor is the id of the last change it applied, so nothing
is lost while a process restarts or its listening connection drops); the notification is only
the wake-up call, sent by the same transaction that inserts the change (PostgreSQL delivers it
on commit, never for a rolled-back one). A waiting reader returns when notified, and otherwise
looks at the table every ``within`` seconds anyway.

Standalone: it needs only a DSN (its own listening connection) and a pool or a DSN for the
queries, so the store of the backend builds it with what it has::

    feed = await PostgresChangeFeed.open(dsn, pool=store_pool)   # the table is created if missing
    await feed.publish("letter-added", 42, origin="host:pid:abcd")

The schema (also in the backend's migrations): :data:`SCHEMA`.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
from datetime import datetime
from typing import Any

import asyncpg

from bot.store.base import StoreBusy, StoreError
from bot.store.records import Change, ChangeKind

log = logging.getLogger(__name__)

CHANNEL = "briefbot_changes"

SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT NOT NULL
                CHECK (kind IN ('letter-added', 'letter-removed', 'subscriptions', 'sources')),
    key         BIGINT,
    origin      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS changes_created_at ON changes (created_at);
"""


def _error(exc: BaseException) -> StoreError:
    if isinstance(exc, OSError | asyncpg.exceptions.CannotConnectNowError | TimeoutError):
        return StoreBusy(f"PostgreSQL did not answer: {exc}")
    return StoreError(str(exc))


class PostgresChangeFeed:
    def __init__(self, dsn: str, *, pool: Any | None = None) -> None:
        """``pool``: an ``asyncpg.Pool`` for the queries (else one of the feed's own, made by
        :meth:`open`); ``dsn``: where the listening connection goes."""
        self._dsn = dsn
        self._pool = pool
        self._own_pool = pool is None
        self._listener: asyncpg.Connection | None = None
        self._notified = asyncio.Event()
        self._latest = 0  # the highest id a notification named

    @classmethod
    async def open(
        cls, dsn: str, *, pool: Any | None = None, create: bool = True
    ) -> PostgresChangeFeed:
        feed = cls(dsn, pool=pool)
        try:
            if feed._pool is None:
                feed._pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
            if create:
                async with feed._pool.acquire() as conn:
                    await conn.execute(SCHEMA)
        except (asyncpg.PostgresError, OSError) as exc:
            await feed.close()
            raise _error(exc) from exc
        return feed

    # ------------------------------------------------------------------ the Protocol

    async def publish(self, kind: ChangeKind, key: int | None = None, *, origin: str) -> int:
        assert self._pool is not None
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                change_id = await conn.fetchval(
                    "INSERT INTO changes (kind, key, origin) VALUES ($1, $2, $3) RETURNING id",
                    kind, key, origin,
                )  # fmt: skip
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(change_id))
        except (asyncpg.PostgresError, OSError) as exc:
            raise _error(exc) from exc
        return int(change_id)

    async def since(self, cursor: int, *, limit: int = 1000) -> builtins.list[Change]:
        assert self._pool is not None
        try:
            rows = await self._pool.fetch(
                "SELECT id, kind, key, origin, created_at FROM changes WHERE id > $1"
                " ORDER BY id LIMIT $2",
                cursor, limit,
            )  # fmt: skip
        except (asyncpg.PostgresError, OSError) as exc:
            raise _error(exc) from exc
        return [
            Change(
                id=int(r["id"]),
                kind=r["kind"],
                key=r["key"],
                origin=r["origin"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    async def cursor(self) -> int:
        assert self._pool is not None
        try:
            # the identity's last value: also after a prune emptied the table
            value = await self._pool.fetchval(
                "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM changes_id_seq"
            )
        except (asyncpg.PostgresError, OSError) as exc:
            raise _error(exc) from exc
        return int(value or 0)

    async def wait(self, cursor: int, within: float) -> bool:
        await self._listen()
        if self._latest > cursor:
            return True
        self._notified.clear()
        # asyncio.timeout, not wait_for (which can swallow a cancellation on Python 3.11)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._notified.wait()
        if self._latest > cursor:
            return True
        # not notified (or the listening connection was lost): look at the table itself
        return await self.cursor() > cursor

    async def prune(self, before: datetime) -> int:
        assert self._pool is not None
        try:
            status = await self._pool.execute("DELETE FROM changes WHERE created_at < $1", before)
        except (asyncpg.PostgresError, OSError) as exc:
            raise _error(exc) from exc
        return int(status.split()[-1])

    # ------------------------------------------------------------------ listening

    async def _listen(self) -> None:
        """(Re)open the listening connection when there is none; a failure is logged and the
        reader falls back to looking at the table."""
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            conn = await asyncpg.connect(self._dsn)
            await conn.add_listener(CHANNEL, self._on_notify)
            conn.add_termination_listener(self._on_lost)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("cannot listen for changes; looking every few seconds", exc_info=exc)
            return
        self._listener = conn

    def _on_notify(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self._latest = max(self._latest, int(payload))
        self._notified.set()

    def _on_lost(self, conn: Any) -> None:
        self._listener = None
        self._notified.set()  # the reader looks at the table, and listens again

    async def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None and not listener.is_closed():
            with contextlib.suppress(Exception):
                await listener.close(timeout=2)
        if self._own_pool and self._pool is not None:
            pool, self._pool = self._pool, None
            with contextlib.suppress(Exception):
                await pool.close()
