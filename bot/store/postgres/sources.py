"""Followed sources and the documents they delivered (PostgreSQL, migration 0005).

The same guarantees as the SQLite backend (:mod:`bot.store.sqlite.sources`), across processes:
a source is followed once (``config_key`` unique); one process at a time polls it (``lease`` is
one conditional UPDATE: PostgreSQL re-checks its condition on the locked row, so of two
processes asking at once exactly one gets it); a document's outcome and the cursor move
together and the cursor never moves back; at most one letter per source document.
"""

from __future__ import annotations

import builtins
import json
from datetime import datetime
from typing import Any

import asyncpg

from bot.store.postgres.db import Pg, aware, utc
from bot.store.postgres.letters import _rowcount
from bot.store.records import DocumentStatus, FollowedKind, Source, SourceDocument, SourceStats

_SOURCE_COLUMNS = (
    "id, kind, config, name, since, cursor, created_at, next_poll_at, last_poll_at, "
    "last_ok_at, last_error, failures, lease_owner, lease_until"
)
_DOCUMENT_COLUMNS = (
    "source_id, ref, version, content_hash, letter_id, status, reason, title, url, attempts, "
    "updated_at"
)


def _source(row: asyncpg.Record) -> Source:
    d: dict[str, Any] = dict(row.items())
    d["config"] = json.loads(d["config"])
    for key in ("cursor", "created_at", "next_poll_at", "last_poll_at", "last_ok_at",
                "lease_until"):  # fmt: skip
        d[key] = aware(d[key])
    return Source(**d)


def _document(row: asyncpg.Record) -> SourceDocument:
    d: dict[str, Any] = dict(row.items())
    d["updated_at"] = aware(d["updated_at"])
    return SourceDocument(**d)


class PgSourceRepository:
    def __init__(self, db: Pg) -> None:
        self._db = db

    # ------------------------------------------------------------------ sources

    async def add(
        self,
        *,
        kind: FollowedKind,
        config: dict[str, Any],
        name: str,
        since: str,
        now: datetime,
    ) -> tuple[Source, bool]:
        key = json.dumps({"kind": kind, **config}, sort_keys=True, ensure_ascii=False)
        async with self._db.write() as conn:
            row = await conn.fetchrow(
                "INSERT INTO sources (kind, config, config_key, name, since, created_at,"
                " next_poll_at) VALUES ($1, $2, $3, $4, $5, $6, $6)"
                f" ON CONFLICT (config_key) DO NOTHING RETURNING {_SOURCE_COLUMNS}",
                kind, json.dumps(config, ensure_ascii=False), key, name, since, utc(now),
            )  # fmt: skip
            if row is not None:
                return _source(row), True
            row = await conn.fetchrow(
                f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE config_key = $1", key
            )
        assert row is not None
        return _source(row), False

    async def get(self, source_id: int) -> Source | None:
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE id = $1", source_id
            )
        return _source(row) if row else None

    async def list(self) -> builtins.list[Source]:
        async with self._db.read() as conn:
            rows = await conn.fetch(f"SELECT {_SOURCE_COLUMNS} FROM sources ORDER BY id")
        return [_source(r) for r in rows]

    async def remove(self, source_id: int) -> bool:
        async with self._db.write() as conn:
            status = await conn.execute("DELETE FROM sources WHERE id = $1", source_id)
        return _rowcount(status) > 0

    async def stats(self) -> dict[int, SourceStats]:
        async with self._db.read() as conn:
            letters = {
                int(r[0]): int(r[1])
                for r in await conn.fetch(
                    "SELECT source_id, count(*) FROM letters WHERE source_id IS NOT NULL"
                    " GROUP BY source_id"
                )
            }
            docs = await conn.fetch(
                "SELECT source_id, count(*),"
                " count(*) FILTER (WHERE status IN ('skipped', 'failed'))"
                " FROM source_documents GROUP BY source_id"
            )
        out = {int(r[0]): SourceStats(letters=0, skipped=int(r[2]), documents=int(r[1]))
               for r in docs}  # fmt: skip
        for source_id, n in letters.items():
            s = out.get(source_id, SourceStats(letters=0, skipped=0, documents=0))
            out[source_id] = SourceStats(letters=n, skipped=s.skipped, documents=s.documents)
        return out

    # ------------------------------------------------------------------ polling

    async def due(self, now: datetime) -> builtins.list[Source]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE next_poll_at <= $1"
                " ORDER BY next_poll_at, id",
                utc(now),
            )
        return [_source(r) for r in rows]

    async def earliest_poll(self) -> datetime | None:
        async with self._db.read() as conn:
            return aware(await conn.fetchval("SELECT min(next_poll_at) FROM sources"))

    async def lease(
        self, source_id: int, *, owner: str, now: datetime, until: datetime
    ) -> Source | None:
        async with self._db.write() as conn:
            row = await conn.fetchrow(
                "UPDATE sources SET lease_owner = $1, lease_until = $2, last_poll_at = $3"
                " WHERE id = $4 AND (lease_owner IS NULL OR lease_owner = $1"
                f" OR lease_until <= $3) RETURNING {_SOURCE_COLUMNS}",
                owner,
                utc(until),
                utc(now),
                source_id,
            )
        return _source(row) if row else None

    async def renew(self, source_id: int, *, owner: str, until: datetime) -> bool:
        async with self._db.write() as conn:
            status = await conn.execute(
                "UPDATE sources SET lease_until = $1 WHERE id = $2 AND lease_owner = $3",
                utc(until),
                source_id,
                owner,
            )
        return _rowcount(status) > 0

    async def release(
        self,
        source_id: int,
        *,
        owner: str,
        now: datetime,
        next_poll_at: datetime,
        error: str | None,
    ) -> None:
        async with self._db.write() as conn:
            if error is None:
                await conn.execute(
                    "UPDATE sources SET lease_owner = NULL, lease_until = NULL,"
                    " next_poll_at = $1, last_ok_at = $2, last_error = NULL, failures = 0"
                    " WHERE id = $3 AND (lease_owner = $4 OR lease_owner IS NULL)",
                    utc(next_poll_at), utc(now), source_id, owner,
                )  # fmt: skip
            else:
                await conn.execute(
                    "UPDATE sources SET lease_owner = NULL, lease_until = NULL,"
                    " next_poll_at = $1, last_error = $2, failures = failures + 1"
                    " WHERE id = $3 AND (lease_owner = $4 OR lease_owner IS NULL)",
                    utc(next_poll_at), error, source_id, owner,
                )  # fmt: skip

    async def poll_soon(self, source_id: int, *, at: datetime) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE sources SET next_poll_at = least(next_poll_at, $1) WHERE id = $2",
                utc(at),
                source_id,
            )

    # ------------------------------------------------------------------ documents

    async def document(self, source_id: int, ref: str) -> SourceDocument | None:
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                f"SELECT {_DOCUMENT_COLUMNS} FROM source_documents"
                " WHERE source_id = $1 AND ref = $2",
                source_id,
                ref,
            )
        return _document(row) if row else None

    async def documents(self, source_id: int) -> builtins.list[SourceDocument]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"SELECT {_DOCUMENT_COLUMNS} FROM source_documents WHERE source_id = $1"
                ' ORDER BY ref COLLATE "C"',
                source_id,
            )
        return [_document(r) for r in rows]

    async def record(
        self,
        source_id: int,
        *,
        ref: str,
        version: str,
        status: DocumentStatus,
        now: datetime,
        content_hash: str | None = None,
        letter_id: int | None = None,
        reason: str | None = None,
        title: str | None = None,
        url: str | None = None,
        attempts: int = 0,
        cursor: datetime | None = None,
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO source_documents (source_id, ref, version, content_hash, letter_id,"
                " status, reason, title, url, attempts, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                " ON CONFLICT (source_id, ref) DO UPDATE SET version = excluded.version,"
                " content_hash = excluded.content_hash, letter_id = excluded.letter_id,"
                " status = excluded.status, reason = excluded.reason, title = excluded.title,"
                " url = excluded.url, attempts = excluded.attempts,"
                " updated_at = excluded.updated_at",
                source_id, ref, version, content_hash, letter_id, status, reason, title, url,
                attempts, utc(now),
            )  # fmt: skip
            if cursor is not None:
                await self._forward(conn, source_id, cursor)

    async def move_cursor(self, source_id: int, cursor: datetime) -> None:
        async with self._db.write() as conn:
            await self._forward(conn, source_id, cursor)

    @staticmethod
    async def _forward(conn: asyncpg.Connection, source_id: int, cursor: datetime) -> None:
        await conn.execute(
            "UPDATE sources SET cursor = $1 WHERE id = $2 AND (cursor IS NULL OR cursor < $1)",
            utc(cursor),
            source_id,
        )

    async def letter_ids(self) -> builtins.list[int]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT id FROM letters WHERE source_id IS NOT NULL ORDER BY id"
            )
        return [int(r[0]) for r in rows]

    async def letters_of(self, source_id: int, ref: str) -> builtins.list[int]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT id FROM letters WHERE source_id = $1 AND (source_ref = $2 OR"
                " starts_with(source_ref, $2 || '#')) ORDER BY source_ref = $2 DESC, id",
                source_id,
                ref,
            )
        return [int(r[0]) for r in rows]
