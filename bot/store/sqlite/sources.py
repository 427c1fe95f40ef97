"""Followed sources and the documents they delivered (SQLite).

Storage only: which documents are new, changed or gone, and what to do about them, is decided
in :mod:`bot.services.sources`. What this module guarantees:

* a source is followed once (``config_key`` is unique);
* one process at a time polls a source: :meth:`SqliteSourceRepository.lease` takes it in a
  write transaction (a lease that ran out, because its process died, is taken over);
* a document's outcome and the source's cursor move together, in one transaction
  (:meth:`SqliteSourceRepository.record`), and the cursor never moves back;
* at most one letter per source document (the unique index ``letters_source_ref``), so a
  poll repeated after a crash finds the letter it stored and does not store it again.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from datetime import datetime
from typing import Any

from bot.store.records import DocumentStatus, FollowedKind, Source, SourceDocument, SourceStats
from bot.store.sqlite.db import Db, fetchall, fetchone
from bot.store.sqlite.db import iso as _iso
from bot.store.sqlite.db import parse_time as _time

_SOURCE_COLUMNS = (
    "id, kind, config, name, since, cursor, created_at, next_poll_at, last_poll_at, "
    "last_ok_at, last_error, failures, lease_owner, lease_until"
)
_DOCUMENT_COLUMNS = (
    "source_id, ref, version, content_hash, letter_id, status, reason, title, url, attempts, "
    "updated_at"
)


def _source(row: sqlite3.Row) -> Source:
    d: dict[str, Any] = dict(zip(row.keys(), row, strict=True))
    d["config"] = json.loads(d["config"])
    for key in ("cursor", "created_at", "next_poll_at", "last_poll_at", "last_ok_at",
                "lease_until"):  # fmt: skip
        d[key] = _time(d[key])
    return Source(**d)


def _document(row: sqlite3.Row) -> SourceDocument:
    d: dict[str, Any] = dict(zip(row.keys(), row, strict=True))
    d["updated_at"] = _time(d["updated_at"])
    return SourceDocument(**d)


class SqliteSourceRepository:
    def __init__(self, db: Db) -> None:
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
        """Follow a source; ``(existing, False)`` when the same source is followed already."""
        key = json.dumps({"kind": kind, **config}, sort_keys=True, ensure_ascii=False)
        async with self._db.write() as conn:
            row = await fetchone(
                conn, f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE config_key = ?", (key,)
            )
            if row is not None:
                return _source(row), False
            cursor = await conn.execute(
                "INSERT INTO sources (kind, config, config_key, name, since, created_at,"
                " next_poll_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, json.dumps(config, ensure_ascii=False), key, name, since, _iso(now),
                 _iso(now)),
            )  # fmt: skip
            source_id = cursor.lastrowid
            await cursor.close()
            row = await fetchone(
                conn, f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE id = ?", (source_id,)
            )
        assert row is not None
        return _source(row), True

    async def get(self, source_id: int) -> Source | None:
        async with self._db.read() as conn:
            row = await fetchone(
                conn, f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE id = ?", (source_id,)
            )
        return _source(row) if row else None

    async def list(self) -> builtins.list[Source]:
        async with self._db.read() as conn:
            rows = await fetchall(conn, f"SELECT {_SOURCE_COLUMNS} FROM sources ORDER BY id")
        return [_source(r) for r in rows]

    async def remove(self, source_id: int) -> bool:
        """Stop following a source. Its letters stay (they keep their origin's address)."""
        async with self._db.write() as conn:
            cursor = await conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))
            removed = cursor.rowcount > 0
            await cursor.close()
        return removed

    async def stats(self) -> dict[int, SourceStats]:
        """Per source: letters still stored, documents skipped or failed, documents seen."""
        async with self._db.read() as conn:
            letters = dict(
                await fetchall(
                    conn,
                    "SELECT source_id, count(*) FROM letters WHERE source_id IS NOT NULL"
                    " GROUP BY source_id",
                )
            )
            docs = await fetchall(
                conn,
                "SELECT source_id, count(*), sum(status IN ('skipped', 'failed'))"
                " FROM source_documents GROUP BY source_id",
            )
        out = {int(r[0]): SourceStats(letters=0, skipped=int(r[2] or 0), documents=int(r[1]))
               for r in docs}  # fmt: skip
        for source_id, n in letters.items():
            s = out.get(int(source_id), SourceStats(letters=0, skipped=0, documents=0))
            out[int(source_id)] = SourceStats(letters=int(n), skipped=s.skipped,
                                              documents=s.documents)  # fmt: skip
        return out

    # ------------------------------------------------------------------ polling

    async def due(self, now: datetime) -> builtins.list[Source]:
        async with self._db.read() as conn:
            rows = await fetchall(
                conn,
                f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE next_poll_at <= ? ORDER BY"
                " next_poll_at, id",
                (_iso(now),),
            )
        return [_source(r) for r in rows]

    async def earliest_poll(self) -> datetime | None:
        async with self._db.read() as conn:
            row = await fetchone(conn, "SELECT min(next_poll_at) FROM sources")
        return _time(row[0]) if row and row[0] else None

    async def lease(
        self, source_id: int, *, owner: str, now: datetime, until: datetime
    ) -> Source | None:
        """Take the source for a poll: granted when nobody holds it, its lease ran out, or
        ``owner`` holds it already. None when another process is polling it (or it is gone)."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE sources SET lease_owner = ?, lease_until = ?, last_poll_at = ?"
                " WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)",
                (owner, _iso(until), _iso(now), source_id, owner, _iso(now)),
            )
            taken = cursor.rowcount > 0
            await cursor.close()
            row = None
            if taken:
                row = await fetchone(
                    conn, f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE id = ?", (source_id,)
                )
        return _source(row) if row else None

    async def renew(self, source_id: int, *, owner: str, until: datetime) -> bool:
        """Extend a lease ``owner`` holds (a long poll); False if it is no longer theirs."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE sources SET lease_until = ? WHERE id = ? AND lease_owner = ?",
                (_iso(until), source_id, owner),
            )
            kept = cursor.rowcount > 0
            await cursor.close()
        return kept

    async def release(
        self,
        source_id: int,
        *,
        owner: str,
        now: datetime,
        next_poll_at: datetime,
        error: str | None,
    ) -> None:
        """End a poll: when to poll next, and whether it went well (``error`` None)."""
        async with self._db.write() as conn:
            if error is None:
                sql = (
                    "UPDATE sources SET lease_owner = NULL, lease_until = NULL, next_poll_at = ?,"
                    " last_ok_at = ?, last_error = NULL, failures = 0 WHERE id = ?"
                    " AND (lease_owner = ? OR lease_owner IS NULL)"
                )
                params: tuple[Any, ...] = (_iso(next_poll_at), _iso(now), source_id, owner)
            else:
                sql = (
                    "UPDATE sources SET lease_owner = NULL, lease_until = NULL, next_poll_at = ?,"
                    " last_error = ?, failures = failures + 1 WHERE id = ?"
                    " AND (lease_owner = ? OR lease_owner IS NULL)"
                )
                params = (_iso(next_poll_at), error, source_id, owner)
            await conn.execute(sql, params)

    async def poll_soon(self, source_id: int, *, at: datetime) -> None:
        """Bring a source's next poll forward to ``at`` (never push it back)."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE sources SET next_poll_at = min(next_poll_at, ?) WHERE id = ?",
                (_iso(at), source_id),
            )

    # ------------------------------------------------------------------ documents

    async def document(self, source_id: int, ref: str) -> SourceDocument | None:
        async with self._db.read() as conn:
            row = await fetchone(
                conn,
                f"SELECT {_DOCUMENT_COLUMNS} FROM source_documents WHERE source_id = ? AND ref = ?",
                (source_id, ref),
            )
        return _document(row) if row else None

    async def documents(self, source_id: int) -> builtins.list[SourceDocument]:
        async with self._db.read() as conn:
            rows = await fetchall(
                conn,
                f"SELECT {_DOCUMENT_COLUMNS} FROM source_documents WHERE source_id = ?"
                " ORDER BY ref",
                (source_id,),
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
        """Remember what became of a document and, in the same transaction, move the source's
        cursor forward to ``cursor`` (never back)."""
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO source_documents (source_id, ref, version, content_hash, letter_id,"
                " status, reason, title, url, attempts, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (source_id, ref) DO UPDATE SET version = excluded.version,"
                " content_hash = excluded.content_hash, letter_id = excluded.letter_id,"
                " status = excluded.status, reason = excluded.reason, title = excluded.title,"
                " url = excluded.url, attempts = excluded.attempts,"
                " updated_at = excluded.updated_at",
                (source_id, ref, version, content_hash, letter_id, status, reason, title, url,
                 attempts, _iso(now)),
            )  # fmt: skip
            if cursor is not None:
                await conn.execute(
                    "UPDATE sources SET cursor = ? WHERE id = ? AND (cursor IS NULL OR cursor < ?)",
                    (_iso(cursor), source_id, _iso(cursor)),
                )

    async def move_cursor(self, source_id: int, cursor: datetime) -> None:
        """Move the cursor forward (never back) without a document (an empty page)."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE sources SET cursor = ? WHERE id = ? AND (cursor IS NULL OR cursor < ?)",
                (_iso(cursor), source_id, _iso(cursor)),
            )

    async def letter_ids(self) -> builtins.list[int]:
        """Every letter a followed source brought (ids), ascending."""
        async with self._db.read() as conn:
            rows = await fetchall(
                conn, "SELECT id FROM letters WHERE source_id IS NOT NULL ORDER BY id"
            )
        return [int(r[0]) for r in rows]

    async def letters_of(self, source_id: int, ref: str) -> builtins.list[int]:
        """The letters a document became (``ref``, and ``ref#2`` ... for a document that
        holds several letters), in order."""
        async with self._db.read() as conn:
            rows = await fetchall(
                conn,
                "SELECT id FROM letters WHERE source_id = ? AND (source_ref = ? OR"
                " substr(source_ref, 1, ?) = ?) ORDER BY source_ref = ? DESC, id",
                (source_id, ref, len(ref) + 1, ref + "#", ref),
            )
        return [int(r[0]) for r in rows]
