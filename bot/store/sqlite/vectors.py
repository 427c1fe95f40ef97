"""Sentence vectors (SQLite, migration 0002: ``sentence_vectors`` and ``derived``).

Written by the ask service when a letter is added (one transaction per
letter, together with ``derived(kind='vectors', version=<model version>)``) and read back at
start to build the in-memory dense index. A vector is an opaque blob here (``bot.core.vectors``
encodes it: little-endian float16).
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence

from bot.store.records import StoredVector
from bot.store.sqlite.db import Db
from bot.store.sqlite.db import fetchall as _fetchall

VECTORS_KIND = "vectors"


class SqliteVectorRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def replace(
        self, letter_id: int, vectors: Sequence[tuple[int, bytes]], *, version: str
    ) -> bool:
        """Store a letter's ``(sentence_id, vector)`` pairs in place of any it had and record
        ``version``, in one transaction. False (nothing written) if the letter is gone or a
        sentence id is not one of its sentences."""
        async with self._db.write() as conn:
            rows = await _fetchall(
                conn, "SELECT id FROM sentences WHERE letter_id = ?", (letter_id,)
            )
            own = {int(r[0]) for r in rows}
            exists = own or await _fetchall(
                conn, "SELECT 1 FROM letters WHERE id = ?", (letter_id,)
            )
            if not exists or any(sid not in own for sid, _ in vectors):
                return False
            await conn.execute("DELETE FROM sentence_vectors WHERE letter_id = ?", (letter_id,))
            await conn.executemany(
                "INSERT INTO sentence_vectors (sentence_id, letter_id, vector) VALUES (?, ?, ?)",
                [(sid, letter_id, blob) for sid, blob in vectors],
            )
            await conn.execute(
                "INSERT INTO derived (letter_id, kind, version) VALUES (?, ?, ?)"
                " ON CONFLICT (letter_id, kind) DO UPDATE SET version = excluded.version",
                (letter_id, VECTORS_KIND, version),
            )
        return True

    async def versions(self) -> dict[int, str]:
        """letter id -> model version of its stored vectors."""
        async with self._db.read() as conn:
            rows = await _fetchall(
                conn, "SELECT letter_id, version FROM derived WHERE kind = ?", (VECTORS_KIND,)
            )
        return {int(r[0]): str(r[1]) for r in rows}

    async def for_letter(self, letter_id: int) -> builtins.list[StoredVector]:
        """A letter's vectors in sentence order."""
        async with self._db.read() as conn:
            rows = await _fetchall(
                conn,
                "SELECT v.sentence_id, v.letter_id, v.vector FROM sentence_vectors AS v"
                " JOIN sentences AS s ON s.id = v.sentence_id"
                " WHERE v.letter_id = ? ORDER BY s.number",
                (letter_id,),
            )
        return [StoredVector(int(r[0]), int(r[1]), bytes(r[2])) for r in rows]

    async def iter_all(self, batch: int = 20_000) -> AsyncIterator[builtins.list[StoredVector]]:
        """Every stored vector in sentence id order, ``batch`` rows per list (the lock is held
        per batch only)."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        last_id = 0
        while True:
            async with self._db.read() as conn:
                rows = await _fetchall(
                    conn,
                    "SELECT sentence_id, letter_id, vector FROM sentence_vectors"
                    " WHERE sentence_id > ? ORDER BY sentence_id LIMIT ?",
                    (last_id, batch),
                )
            if rows:
                yield [StoredVector(int(r[0]), int(r[1]), bytes(r[2])) for r in rows]
            if len(rows) < batch:
                return
            last_id = int(rows[-1][0])

    async def count(self, letter_id: int | None = None) -> int:
        async with self._db.read() as conn:
            if letter_id is None:
                rows = await _fetchall(conn, "SELECT count(*) FROM sentence_vectors")
            else:
                rows = await _fetchall(
                    conn,
                    "SELECT count(*) FROM sentence_vectors WHERE letter_id = ?",
                    (letter_id,),
                )
        return int(rows[0][0])

    async def delete(self, letter_id: int) -> None:
        """Forget a letter's vectors (they are recomputed on the next load)."""
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM sentence_vectors WHERE letter_id = ?", (letter_id,))
            await conn.execute(
                "DELETE FROM derived WHERE letter_id = ? AND kind = ?", (letter_id, VECTORS_KIND)
            )
