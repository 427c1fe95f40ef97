"""Candidates found by PostgreSQL (``bot.store.base.SearchRepository``, migration 0007).

The vocabulary table holds every word (``kind 'w'``: the words of ``norm``) and Dutch stem
(``kind 's'``: the lexemes of ``briefbot_nl``) with its document frequency, kept by triggers.
Misspelled words find their vocabulary neighbours through pg_trgm's trigram index on the words
(a short string against a table of tens of thousands of words: a millisecond; a trigram index
on whole sentences was measured at 200 ms per fragment at 100k sentences on this machine, far
too slow at 1M). Sentences are found through the existing GIN index on ``search``: a word or a
stem is one lexeme of that ``tsvector``, looked up exactly (``'word'::tsquery``).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from bot.store.base import TermKind
from bot.store.postgres.db import Pg
from bot.store.records import SearchRow

_KIND = {"word": "w", "stem": "s"}


def _lexeme(term: str) -> str:
    """A term as a tsquery of one exact lexeme."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


class PgSearchRepository:
    def __init__(self, db: Pg) -> None:
        self._db = db
        self._available: bool | None = None

    async def available(self) -> bool:
        if self._available is None:
            async with self._db.read() as conn:
                found = await conn.fetchval(
                    "SELECT to_regclass('vocabulary_trigrams') IS NOT NULL"
                    " AND EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')"
                )
            self._available = bool(found)
        return self._available

    async def sentence_total(self) -> tuple[int, float]:
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM sentences),"
                " (SELECT coalesce(sum(df), 0) FROM vocabulary WHERE kind = 's')"
            )
        n = int(row[0])
        return n, (float(row[1]) / n if n else 0.0)

    async def frequencies(self, kind: TermKind, terms: Sequence[str]) -> dict[str, int]:
        if not terms:
            return {}
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT term, df FROM vocabulary WHERE kind = $1 AND term = ANY($2::text[])"
                " AND df > 0",
                _KIND[kind],
                list(dict.fromkeys(terms)),
            )
        return {str(r[0]): int(r[1]) for r in rows}

    async def similar_words(
        self, words: Sequence[str], *, threshold: float, limit: int
    ) -> dict[str, builtins.list[tuple[str, int]]]:
        if not words:
            return {}
        async with self._db.read() as conn, conn.transaction():
            await conn.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', $1, true)", str(threshold)
            )
            rows = await conn.fetch(
                "SELECT q.word, v.term, v.df FROM unnest($1::text[]) AS q(word)"
                " CROSS JOIN LATERAL ("
                "   SELECT term, df, similarity(term, q.word) AS sim FROM vocabulary"
                "   WHERE kind = 'w' AND term % q.word AND df > 0 AND term <> q.word"
                "   ORDER BY sim DESC, df DESC, term LIMIT $2) AS v",
                list(dict.fromkeys(words)),
                limit,
            )
        out: dict[str, builtins.list[tuple[str, int]]] = {}
        for r in rows:
            out.setdefault(str(r[0]), []).append((str(r[1]), int(r[2])))
        return out

    async def words_with_prefix(self, prefix: str, *, limit: int) -> builtins.list[tuple[str, int]]:
        if not prefix:
            return []
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT term, df FROM vocabulary WHERE kind = 'w' AND term LIKE $1 AND df > 0"
                " ORDER BY df DESC, term LIMIT $2",
                pattern,
                limit,
            )
        return [(str(r[0]), int(r[1])) for r in rows]

    async def stems(self, words: Sequence[str]) -> dict[str, builtins.list[str]]:
        if not words:
            return {}
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT w, tsvector_to_array(to_tsvector('briefbot_nl'::regconfig, w))"
                " FROM unnest($1::text[]) AS w",
                list(dict.fromkeys(words)),
            )
        return {str(r[0]): [str(x) for x in r[1]] for r in rows}

    async def sentences_with(
        self,
        kind: TermKind,
        terms: Sequence[tuple[str, float]],
        *,
        letter_ids: Sequence[int] | None,
        limit: int,
        at_least: int = 1,
    ) -> builtins.list[SearchRow]:
        if not terms or limit < 1 or (letter_ids is not None and not letter_ids):
            return []
        del kind  # words and stems are both lexemes of the `search` column
        lexemes = [_lexeme(t) for t, _ in terms]
        if at_least >= 2 and len(lexemes) >= 2:
            # one of the two rarest terms (the first two: the caller orders them) with another:
            # the index intersects their postings, and only the sentences holding such a pair
            # are read, however common the other terms are together
            pairs = [(a, b) for i, a in enumerate(lexemes[:2]) for b in lexemes[i + 1 :]]
            match = " | ".join(f"{a} & {b}" for a, b in pairs)
        else:
            match = " | ".join(lexemes)
        # the score: one term test per term, inline (an unnest per row costs three times more)
        first = 3 if letter_ids is None else 4
        score = " + ".join(
            f"CASE WHEN s.search @@ ${first + 2 * i}::tsquery THEN ${first + 2 * i + 1}::float8"
            " ELSE 0 END"
            for i in range(len(lexemes))
        )
        sql = (
            f"SELECT s.id, s.letter_id, s.section_id, s.number, s.page, s.text, s.norm, {score}"
            " AS score FROM sentences AS s WHERE s.search @@ $1::tsquery"
            + (" AND s.letter_id = ANY($3::bigint[])" if letter_ids is not None else "")
            # ties (the same terms held) go to the shorter sentence, as BM25's length
            # normalisation would rank them
            + " ORDER BY score DESC, length(s.search), s.id LIMIT $2"
        )
        args: list[Any] = [match, limit]
        if letter_ids is not None:
            args.append([int(i) for i in letter_ids])
        for lexeme, (_, weight) in zip(lexemes, terms, strict=True):
            args += [lexeme, float(weight)]
        async with self._db.read() as conn:
            rows = await conn.fetch(sql, *args)
        return [
            SearchRow(
                sentence_id=int(r[0]),
                letter_id=int(r[1]),
                section_id=int(r[2]),
                number=int(r[3]),
                page=int(r[4]),
                text=str(r[5]),
                norm=str(r[6]),
                score=float(r[7] or 0.0),
            )
            for r in rows
        ]

    async def section_terms(
        self, kind: TermKind, terms: Sequence[str], sentence_ids: Sequence[int]
    ) -> dict[int, tuple[int, set[str]]]:
        if not sentence_ids:
            return {}
        del kind
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "WITH c AS (SELECT id, section_id FROM sentences WHERE id = ANY($3::bigint[])),"
                " held AS (SELECT DISTINCT s.section_id, t.term"
                "  FROM unnest($1::text[], $2::text[]) AS t(term, q)"
                "  JOIN sentences AS s ON s.section_id IN (SELECT section_id FROM c)"
                "  AND s.search @@ t.q::tsquery)"
                " SELECT c.id, c.section_id, array_remove(array_agg(held.term), NULL)"
                " FROM c LEFT JOIN held ON held.section_id = c.section_id"
                " GROUP BY c.id, c.section_id",
                list(terms),
                [_lexeme(t) for t in terms],
                [int(i) for i in sentence_ids],
            )
        return {int(r[0]): (int(r[1]), {str(x) for x in r[2]}) for r in rows}

    async def count_holding(
        self, kind: TermKind, term: str, letter_ids: Sequence[int]
    ) -> tuple[int, int]:
        del kind
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                "SELECT count(*), count(*) FILTER (WHERE letter_id = ANY($2::bigint[]))"
                " FROM sentences WHERE search @@ $1::tsquery",
                _lexeme(term),
                [int(i) for i in letter_ids],
            )
        return int(row[0]), int(row[1])

    async def vectors_around(
        self, sentence_ids: Sequence[int]
    ) -> dict[int, builtins.list[tuple[int, bytes]]]:
        if not sentence_ids:
            return {}
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT c.id, n.number - c.number, v.vector FROM sentences AS c"
                " JOIN sentences AS n ON n.letter_id = c.letter_id"
                " AND n.number BETWEEN c.number - 1 AND c.number + 1"
                " JOIN sentence_vectors AS v ON v.sentence_id = n.id"
                " WHERE c.id = ANY($1::bigint[])",
                [int(i) for i in dict.fromkeys(sentence_ids)],
            )
        out: dict[int, builtins.list[tuple[int, bytes]]] = {}
        for r in rows:
            out.setdefault(int(r[0]), []).append((int(r[1]), bytes(r[2])))
        return out

    async def neighbours(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
        if not pairs:
            return {}
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT s.letter_id, s.number, s.text"
                " FROM unnest($1::bigint[], $2::int[]) AS p(letter_id, number)"
                " JOIN sentences AS s ON s.letter_id = p.letter_id AND s.number = p.number",
                [int(a) for a, _ in pairs],
                [int(b) for _, b in pairs],
            )
        return {(int(r[0]), int(r[1])): str(r[2]) for r in rows}
