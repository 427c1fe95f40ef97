"""The change feed of the SQLite backend (``bot.store.base.ChangeFeed``): a ``changes`` table
in the same file, which every process on it writes to and reads from.

Waiting is cheap: ``PRAGMA data_version`` changes when another connection committed to the
file, and only then is the table read (one indexed lookup past the cursor). A process does not
see its own commits in ``data_version``, and does not need to: it never applies its own
changes.
"""

from __future__ import annotations

import asyncio
import builtins
from datetime import datetime

from bot.store.records import Change, ChangeKind
from bot.store.sqlite.db import Db, fetchall, fetchone, iso, now_iso, parse_time

POLL_SECONDS = 0.25  # how often a waiting reader looks at data_version


class SqliteChangeFeed:
    def __init__(self, db: Db, *, poll: float = POLL_SECONDS) -> None:
        self._db = db
        self._poll = poll
        self._version: int | None = None

    async def publish(self, kind: ChangeKind, key: int | None = None, *, origin: str) -> int:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO changes (kind, key, origin, created_at) VALUES (?, ?, ?, ?)",
                (kind, key, origin, now_iso()),
            )
            return int(cursor.lastrowid or 0)

    async def since(self, cursor: int, *, limit: int = 1000) -> builtins.list[Change]:
        async with self._db.read() as conn:
            rows = await fetchall(
                conn,
                "SELECT id, kind, key, origin, created_at FROM changes WHERE id > ?"
                " ORDER BY id LIMIT ?",
                (cursor, limit),
            )
        return [
            Change(
                id=int(r["id"]),
                kind=r["kind"],
                key=None if r["key"] is None else int(r["key"]),
                origin=str(r["origin"]),
                created_at=parse_time(r["created_at"]),  # type: ignore[arg-type]
            )
            for r in rows
        ]

    async def cursor(self) -> int:
        async with self._db.read() as conn:
            # sqlite_sequence keeps the highest id ever given, also after a prune emptied it
            row = await fetchone(conn, "SELECT seq FROM sqlite_sequence WHERE name = 'changes'")
        return int(row[0]) if row is not None else 0

    async def _data_version(self) -> int:
        async with self._db.read() as conn:
            row = await fetchone(conn, "PRAGMA data_version")
        assert row is not None
        return int(row[0])

    async def wait(self, cursor: int, within: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        if self._version is None:
            self._version = await self._data_version()
            if await self.cursor() > cursor:
                return True
        while True:
            version = await self._data_version()
            if version != self._version:
                self._version = version
                if await self.cursor() > cursor:
                    return True
            left = deadline - loop.time()
            if left <= 0:
                return False
            await asyncio.sleep(min(self._poll, left))

    async def prune(self, before: datetime) -> int:
        async with self._db.write() as conn:
            cursor = await conn.execute("DELETE FROM changes WHERE created_at < ?", (iso(before),))
            return cursor.rowcount
