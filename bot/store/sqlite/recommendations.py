"""Derived data of the letters (SQLite, migration 0002): topics, recommendations, versions.

Written by the recommendation service when a letter is added
(one transaction per letter) and read back to answer ``recommendations`` and ``topics``. Topics
are shared between letters by slug; a topic no letter uses any more is deleted.
"""

from __future__ import annotations

import asyncio
import builtins
import json
from collections.abc import Sequence
from typing import Any

from bot.store.records import (
    LetterTopicRecord,
    RecommendationRow,
    StoredRecommendation,
    TopicCountRecord,
    TopicRow,
)
from bot.store.sqlite.db import Db
from bot.store.sqlite.db import fetchall as _fetchall

RECOMMENDATIONS_KIND = "recommendations"


class SqliteRecommendationRepository:
    def __init__(self, db: Db) -> None:
        self._db = db

    async def replace(
        self,
        letter_id: int,
        *,
        topics: Sequence[TopicRow],
        recommendations: Sequence[RecommendationRow],
        version: str,
    ) -> bool:
        """Store a letter's topics and recommendations in place of any it had, and record
        ``version``, in one transaction. False (nothing written) if the letter is gone."""
        async with self._db.write() as conn:
            exists = await _fetchall(conn, "SELECT 1 FROM letters WHERE id = ?", (letter_id,))
            if not exists:
                return False
            await conn.execute("DELETE FROM recommendations WHERE letter_id = ?", (letter_id,))
            await conn.execute("DELETE FROM letter_topics WHERE letter_id = ?", (letter_id,))
            names = {t.slug: t.name for t in topics}
            used = {slug for r in recommendations for slug in r.topics}
            await conn.executemany(
                "INSERT INTO topics (slug, name) VALUES (?, ?) ON CONFLICT (slug) DO NOTHING",
                [(slug, names.get(slug, slug.replace("-", " "))) for slug in names.keys() | used],
            )
            ids = {
                row[0]: row[1]
                for row in await _fetchall(
                    conn,
                    "SELECT slug, id FROM topics WHERE slug IN (SELECT value FROM json_each(?))",
                    (json.dumps(sorted(names.keys() | used)),),
                )
            }
            weights = {t.slug: t.weight for t in topics}
            await conn.executemany(
                "INSERT INTO letter_topics (letter_id, topic_id, weight) VALUES (?, ?, ?)",
                [(letter_id, ids[slug], float(weights.get(slug, 0.0))) for slug in sorted(ids)],
            )
            # three statements for the whole letter, not two per recommendation
            await conn.executemany(
                "INSERT INTO recommendations (letter_id, sentence_number, kind, cue, position)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (letter_id, rec.sentence_number, rec.kind, rec.cue, position)
                    for position, rec in enumerate(recommendations)
                ],
            )
            rec_ids = {
                row[0]: row[1]
                for row in await _fetchall(
                    conn,
                    "SELECT position, id FROM recommendations WHERE letter_id = ?",
                    (letter_id,),
                )
            }
            # rowid order keeps the topics' order: the first is the primary topic
            await conn.executemany(
                "INSERT OR IGNORE INTO recommendation_topics (recommendation_id, topic_id)"
                " VALUES (?, ?)",
                [
                    (rec_ids[position], ids[slug])
                    for position, rec in enumerate(recommendations)
                    for slug in rec.topics
                    if slug in ids
                ],
            )
            await conn.execute(
                "INSERT INTO derived (letter_id, kind, version) VALUES (?, ?, ?)"
                " ON CONFLICT (letter_id, kind) DO UPDATE SET version = excluded.version",
                (letter_id, RECOMMENDATIONS_KIND, version),
            )
            await conn.execute(
                "DELETE FROM topics WHERE id NOT IN (SELECT topic_id FROM letter_topics)"
            )
        return True

    async def versions(self, letter_id: int | None = None) -> dict[int, str]:
        """letter id -> version of its stored recommendations (of one letter if given)."""
        one = "" if letter_id is None else " AND letter_id = ?"
        args = (RECOMMENDATIONS_KIND,) if letter_id is None else (RECOMMENDATIONS_KIND, letter_id)
        async with self._db.read() as conn:
            rows = await _fetchall(
                conn, "SELECT letter_id, version FROM derived WHERE kind = ?" + one, args
            )
        return {int(r[0]): str(r[1]) for r in rows}

    async def delete_orphan_topics(self) -> int:
        """Delete topics no letter uses (after a letter was deleted); returns how many."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM topics WHERE id NOT IN (SELECT topic_id FROM letter_topics)"
            )
            count = cursor.rowcount
            await cursor.close()
        return count

    async def letter_topics(self, letter_id: int | None = None) -> builtins.list[LetterTopicRecord]:
        """Every letter's topics, or one letter's (for the in-memory topic catalogue)."""
        one = "" if letter_id is None else " WHERE lt.letter_id = ?"
        async with self._db.read() as conn:
            rows = await _fetchall(
                conn,
                "SELECT lt.letter_id, t.slug, t.name, lt.weight FROM letter_topics AS lt"
                " JOIN topics AS t ON t.id = lt.topic_id"
                + one
                + " ORDER BY lt.letter_id, lt.weight DESC",
                () if letter_id is None else (letter_id,),
            )
        return [LetterTopicRecord(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]

    async def topic_counts(self, letter_id: int | None = None) -> builtins.list[TopicCountRecord]:
        """How many recommendations each letter (or one letter) has on each topic."""
        one = "" if letter_id is None else " WHERE r.letter_id = ?"
        async with self._db.read() as conn:
            rows = await _fetchall(
                conn,
                "SELECT r.letter_id, t.slug, count(*) FROM recommendations AS r"
                " JOIN recommendation_topics AS rt ON rt.recommendation_id = r.id"
                " JOIN topics AS t ON t.id = rt.topic_id" + one + " GROUP BY r.letter_id, t.slug",
                () if letter_id is None else (letter_id,),
            )
        return [TopicCountRecord(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def list(
        self, letter_ids: Sequence[int], *, topic: str | None = None
    ) -> builtins.list[StoredRecommendation]:
        """Recommendations of ``letter_ids`` (on ``topic`` when given), in letter order."""
        if not letter_ids:
            return []
        sql = """
            SELECT r.id, r.letter_id, r.sentence_number, r.kind, r.cue, r.position,
                   s.text, s.page, c.heading,
                   (SELECT json_group_array(t.slug) FROM
                        (SELECT t2.slug FROM recommendation_topics AS rt2
                         JOIN topics AS t2 ON t2.id = rt2.topic_id
                         WHERE rt2.recommendation_id = r.id ORDER BY rt2.rowid) AS t) AS slugs
            FROM recommendations AS r
            JOIN sentences AS s ON s.letter_id = r.letter_id AND s.number = r.sentence_number
            JOIN sections AS c ON c.id = s.section_id
            WHERE r.letter_id IN (SELECT value FROM json_each(?))
        """
        params: builtins.list[Any] = [json.dumps(builtins.list(letter_ids))]
        if topic is not None:
            sql += """ AND r.id IN (SELECT rt.recommendation_id FROM recommendation_topics AS rt
                        JOIN topics AS t ON t.id = rt.topic_id WHERE t.slug = ?)"""
            params.append(topic)
        sql += " ORDER BY r.letter_id, r.position"
        async with self._db.read() as conn:
            rows = await _fetchall(conn, sql, params)

        def records() -> builtins.list[StoredRecommendation]:
            return [
                StoredRecommendation(
                    id=int(r[0]),
                    letter_id=int(r[1]),
                    sentence_number=int(r[2]),
                    kind=str(r[3]),
                    cue=r[4],
                    position=int(r[5]),
                    text=str(r[6]),
                    page=int(r[7]),
                    section_heading=r[8],
                    topics=tuple(json.loads(r[9] or "[]")),
                )
                for r in rows
            ]

        # tens of thousands of rows at scale: build them off the event loop
        return await asyncio.to_thread(records)
