"""Derived data of the letters (PostgreSQL, migration 0002): topics, recommendations, versions."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from bot.store.postgres.db import Pg
from bot.store.postgres.letters import _rowcount
from bot.store.records import (
    LetterTopicRecord,
    RecommendationRow,
    StoredRecommendation,
    TopicCountRecord,
    TopicRow,
)

RECOMMENDATIONS_KIND = "recommendations"


class PgRecommendationRepository:
    def __init__(self, db: Pg) -> None:
        self._db = db

    async def replace(
        self,
        letter_id: int,
        *,
        topics: Sequence[TopicRow],
        recommendations: Sequence[RecommendationRow],
        version: str,
    ) -> bool:
        async with self._db.write() as conn:
            # the letter's row lock: a concurrent delete of the letter waits, or went first, and
            # so does another process replacing the same letter's rows (each change feed
            # reader analyses a letter it is told about: two may do it at once)
            if not await conn.fetchval(
                "SELECT 1 FROM letters WHERE id = $1 FOR NO KEY UPDATE", letter_id
            ):
                return False
            await conn.execute("DELETE FROM recommendations WHERE letter_id = $1", letter_id)
            await conn.execute("DELETE FROM letter_topics WHERE letter_id = $1", letter_id)
            names = {t.slug: t.name for t in topics}
            used = {slug for r in recommendations for slug in r.topics}
            wanted = sorted(names.keys() | used)
            if wanted:
                await conn.execute(
                    "INSERT INTO topics (slug, name) SELECT * FROM unnest($1::text[], $2::text[])"
                    " ON CONFLICT (slug) DO NOTHING",
                    wanted,
                    [names.get(slug, slug.replace("-", " ")) for slug in wanted],
                )
            ids = {
                str(r[0]): int(r[1])
                for r in await conn.fetch(
                    "SELECT slug, id FROM topics WHERE slug = ANY($1::text[])", wanted
                )
            }
            weights = {t.slug: t.weight for t in topics}
            if ids:
                await conn.executemany(
                    "INSERT INTO letter_topics (letter_id, topic_id, weight) VALUES ($1, $2, $3)",
                    [(letter_id, ids[slug], float(weights.get(slug, 0.0))) for slug in sorted(ids)],
                )
            if recommendations:
                rec_ids = [
                    int(r[0])
                    for r in await conn.fetch(
                        "INSERT INTO recommendations"
                        " (letter_id, sentence_number, kind, cue, position)"
                        " SELECT $1, n, k, c, p - 1 FROM unnest($2::int[], $3::text[], $4::text[])"
                        " WITH ORDINALITY AS x (n, k, c, p) ORDER BY p RETURNING id",
                        letter_id,
                        [r.sentence_number for r in recommendations],
                        [r.kind for r in recommendations],
                        [r.cue for r in recommendations],
                    )
                ]
                rec_ids.sort()  # identities in insert order: the recommendations' order
                links = []
                for rec_id, rec in zip(rec_ids, recommendations, strict=True):
                    seen: set[int] = set()
                    for position, slug in enumerate(rec.topics):
                        if slug in ids and ids[slug] not in seen:
                            seen.add(ids[slug])
                            links.append((rec_id, ids[slug], position))
                if links:
                    await conn.executemany(
                        "INSERT INTO recommendation_topics (recommendation_id, topic_id, position)"
                        " VALUES ($1, $2, $3)",
                        links,
                    )
            await conn.execute(
                "INSERT INTO derived (letter_id, kind, version) VALUES ($1, $2, $3)"
                " ON CONFLICT (letter_id, kind) DO UPDATE SET version = excluded.version",
                letter_id,
                RECOMMENDATIONS_KIND,
                version,
            )
            await conn.execute(
                "DELETE FROM topics AS t WHERE NOT EXISTS"
                " (SELECT 1 FROM letter_topics AS lt WHERE lt.topic_id = t.id)"
            )
        return True

    async def versions(self, letter_id: int | None = None) -> dict[int, str]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT letter_id, version FROM derived WHERE kind = $1"
                " AND ($2::bigint IS NULL OR letter_id = $2)",
                RECOMMENDATIONS_KIND,
                letter_id,
            )
        return {int(r[0]): str(r[1]) for r in rows}

    async def delete_orphan_topics(self) -> int:
        async with self._db.write() as conn:
            status = await conn.execute(
                "DELETE FROM topics AS t WHERE NOT EXISTS"
                " (SELECT 1 FROM letter_topics AS lt WHERE lt.topic_id = t.id)"
            )
        return _rowcount(status)

    async def letter_topics(self, letter_id: int | None = None) -> builtins.list[LetterTopicRecord]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT lt.letter_id, t.slug, t.name, lt.weight FROM letter_topics AS lt"
                " JOIN topics AS t ON t.id = lt.topic_id"
                " WHERE $1::bigint IS NULL OR lt.letter_id = $1"
                " ORDER BY lt.letter_id, lt.weight DESC",
                letter_id,
            )
        return [LetterTopicRecord(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]

    async def topic_counts(self, letter_id: int | None = None) -> builtins.list[TopicCountRecord]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT r.letter_id, t.slug, count(*) FROM recommendations AS r"
                " JOIN recommendation_topics AS rt ON rt.recommendation_id = r.id"
                " JOIN topics AS t ON t.id = rt.topic_id"
                " WHERE $1::bigint IS NULL OR r.letter_id = $1 GROUP BY r.letter_id, t.slug",
                letter_id,
            )
        return [TopicCountRecord(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    async def list(
        self, letter_ids: Sequence[int], *, topic: str | None = None
    ) -> builtins.list[StoredRecommendation]:
        if not letter_ids:
            return []
        # the topics aggregated in one grouped join (a subquery per row costs a scan each)
        topic_filter = ""
        args: builtins.list[object] = [[int(i) for i in letter_ids]]
        if topic is not None:
            topic_filter = """ AND id IN (SELECT rt.recommendation_id FROM recommendation_topics
                AS rt JOIN topics AS t ON t.id = rt.topic_id WHERE t.slug = $2)"""
            args.append(topic)
        sql = f"""
            WITH r AS MATERIALIZED (
                SELECT id, letter_id, sentence_number, kind, cue, position FROM recommendations
                WHERE letter_id = ANY($1::bigint[]){topic_filter}
            ), tops AS (
                SELECT rt.recommendation_id AS id,
                       array_agg(t.slug ORDER BY rt.position, rt.topic_id) AS slugs
                FROM r JOIN recommendation_topics AS rt ON rt.recommendation_id = r.id
                JOIN topics AS t ON t.id = rt.topic_id GROUP BY rt.recommendation_id
            )
            SELECT r.id, r.letter_id, r.sentence_number, r.kind, r.cue, r.position, s.text,
                   s.page, c.heading AS section_heading, coalesce(tops.slugs, '{{}}') AS topics
            FROM r JOIN sentences AS s ON s.letter_id = r.letter_id
                AND s.number = r.sentence_number
            JOIN sections AS c ON c.id = s.section_id
            LEFT JOIN tops ON tops.id = r.id
            ORDER BY r.letter_id, r.position
        """
        async with self._db.read() as conn:
            rows = await conn.fetch(sql, *args)
        return [
            StoredRecommendation(
                id=int(r[0]), letter_id=int(r[1]), sentence_number=int(r[2]), kind=str(r[3]),
                cue=r[4], position=int(r[5]), text=str(r[6]), page=int(r[7]),
                section_heading=r[8], topics=tuple(r[9]),
            )
            for r in rows
        ]  # fmt: skip
