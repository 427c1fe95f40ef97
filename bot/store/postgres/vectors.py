"""Sentence vectors (PostgreSQL, migration 0002): opaque ``bytea`` (little-endian float16,
encoded by ``bot.core.vectors``); no pgvector, which Debian does not ship. The dense index is
built in memory from them, as on SQLite."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence

from bot.store.postgres.db import Pg
from bot.store.records import StoredVector

VECTORS_KIND = "vectors"


class PgVectorRepository:
    def __init__(self, db: Pg) -> None:
        self._db = db

    async def replace(
        self, letter_id: int, vectors: Sequence[tuple[int, bytes]], *, version: str
    ) -> bool:
        async with self._db.write() as conn:
            # the letter's row lock: a delete of the letter, and another process storing the
            # same letter's vectors (every vector job catches up on it), wait for this one
            if not await conn.fetchval(
                "SELECT 1 FROM letters WHERE id = $1 FOR NO KEY UPDATE", letter_id
            ):
                return False
            own = {
                int(r[0])
                for r in await conn.fetch(
                    "SELECT id FROM sentences WHERE letter_id = $1", letter_id
                )
            }
            if any(sid not in own for sid, _ in vectors):
                return False
            await conn.execute("DELETE FROM sentence_vectors WHERE letter_id = $1", letter_id)
            if vectors:
                await conn.copy_records_to_table(
                    "sentence_vectors",
                    records=[(sid, letter_id, bytes(blob)) for sid, blob in vectors],
                    columns=["sentence_id", "letter_id", "vector"],
                )
            await conn.execute(
                "INSERT INTO derived (letter_id, kind, version) VALUES ($1, $2, $3)"
                " ON CONFLICT (letter_id, kind) DO UPDATE SET version = excluded.version",
                letter_id,
                VECTORS_KIND,
                version,
            )
        return True

    async def versions(self) -> dict[int, str]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT letter_id, version FROM derived WHERE kind = $1", VECTORS_KIND
            )
        return {int(r[0]): str(r[1]) for r in rows}

    async def for_letter(self, letter_id: int) -> builtins.list[StoredVector]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT v.sentence_id, v.letter_id, v.vector FROM sentence_vectors AS v"
                " JOIN sentences AS s ON s.id = v.sentence_id"
                " WHERE v.letter_id = $1 ORDER BY s.number",
                letter_id,
            )
        return [StoredVector(int(r[0]), int(r[1]), bytes(r[2])) for r in rows]

    async def iter_all(self, batch: int = 20_000) -> AsyncIterator[builtins.list[StoredVector]]:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        last_id = 0
        while True:
            async with self._db.read() as conn:
                rows = await conn.fetch(
                    "SELECT sentence_id, letter_id, vector FROM sentence_vectors"
                    " WHERE sentence_id > $1 ORDER BY sentence_id LIMIT $2",
                    last_id,
                    batch,
                )
            if rows:
                yield [StoredVector(int(r[0]), int(r[1]), bytes(r[2])) for r in rows]
            if len(rows) < batch:
                return
            last_id = int(rows[-1][0])

    async def count(self, letter_id: int | None = None) -> int:
        async with self._db.read() as conn:
            if letter_id is None:
                return int(await conn.fetchval("SELECT count(*) FROM sentence_vectors"))
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM sentence_vectors WHERE letter_id = $1", letter_id
                )
            )

    async def delete(self, letter_id: int) -> None:
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM sentence_vectors WHERE letter_id = $1", letter_id)
            await conn.execute(
                "DELETE FROM derived WHERE letter_id = $1 AND kind = $2", letter_id, VECTORS_KIND
            )
