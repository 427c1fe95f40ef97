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


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern of the words starting with ``prefix``."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


#: ``at_least=3``: sentences holding two terms too when those holding three are fewer than
#: the limit over this
TRIPLES_SHARE = 4

#: pg_trgm.similarity_threshold's default: the `%` operator's cut unless a session changes it
_TRGM_DEFAULT = 0.3


def _ranked(terms: Sequence[tuple[str, float]], at_least: int, where: str, args: list[Any]) -> str:
    """The best ``$1`` sentences holding ``terms`` (one of the first two with another when
    ``at_least`` is 2), scored by the weights of the terms they hold; ``args`` takes the
    statement's parameters."""
    lexemes = [_lexeme(t) for t, _ in terms]
    if at_least >= 3 and len(lexemes) >= 3:
        # one of the two rarest with two others
        triples = {
            tuple(sorted((a, b, c)))
            for a in lexemes[:2]
            for i, b in enumerate(lexemes)
            for c in lexemes[i + 1 :]
            if a not in (b, c)
        }
        match = " | ".join(f"{a} & {b} & {c}" for a, b, c in sorted(triples))
    elif at_least >= 2 and len(lexemes) >= 2:
        # one of the two rarest terms (the first two: the caller orders them) with another:
        # the index intersects their postings, and only the sentences holding such a pair are
        # read, however common the other terms are together
        pairs = [(a, b) for i, a in enumerate(lexemes[:2]) for b in lexemes[i + 1 :]]
        match = " | ".join(f"{a} & {b}" for a, b in pairs)
    else:
        match = " | ".join(lexemes)
    args.append(match)
    at = len(args)
    # the score: one term test per term, inline (an unnest per row costs three times more)
    score = []
    for lexeme, (_, weight) in zip(lexemes, terms, strict=True):
        args += [lexeme, float(weight)]
        score.append(
            f"CASE WHEN s.search @@ ${len(args) - 1}::tsquery THEN ${len(args)}::float8 ELSE 0 END"
        )
    # ties (the same terms held) go to the shorter sentence, as BM25's length normalisation
    # would rank them
    return (
        "SELECT s.id, s.letter_id, s.section_id, s.number, s.page, s.text, s.norm, "
        + " + ".join(score)
        + f" AS score, length(s.search) AS len FROM sentences AS s WHERE s.search @@ ${at}::tsquery"
        + where
        + " ORDER BY score DESC, len, s.id LIMIT $1"
    )


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

    async def quote_vocabulary(
        self,
        words: Sequence[str],
        similar_to: Sequence[str],
        *,
        threshold: float,
        limit: int,
        prefix: str = "",
        prefix_limit: int = 12,
    ) -> tuple[
        dict[str, int], dict[str, builtins.list[tuple[str, int]]], builtins.list[tuple[str, int]]
    ]:
        # one statement: pg_trgm's `%` takes its threshold from a setting (default 0.3); a
        # higher one is a plain filter beside it, a lower one needs the setting (a transaction)
        if threshold < _TRGM_DEFAULT:
            df = await self.frequencies("word", words)
            similar = await self.similar_words(
                [w for w in similar_to if w not in df], threshold=threshold, limit=limit
            )
            completions = await self.words_with_prefix(prefix, limit=prefix_limit) if prefix else []
            return df, similar, completions
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "WITH f AS (SELECT term, df FROM vocabulary"
                "  WHERE kind = 'w' AND term = ANY($1::text[]) AND df > 0)"
                " SELECT 0, NULL, term, df FROM f"
                " UNION ALL SELECT 1, q.word, v.term, v.df FROM unnest($2::text[]) AS q(word)"
                " CROSS JOIN LATERAL ("
                "   SELECT term, df, similarity(term, q.word) AS sim FROM vocabulary"
                "   WHERE kind = 'w' AND term % q.word AND df > 0 AND term <> q.word"
                "   AND similarity(term, q.word) >= $3"
                "   ORDER BY sim DESC, df DESC, term LIMIT $4) AS v"
                " WHERE NOT EXISTS (SELECT 1 FROM f WHERE f.term = q.word)"
                " UNION ALL (SELECT 2, NULL, term, df FROM vocabulary"
                "  WHERE $5 <> '' AND kind = 'w' AND term LIKE $6 AND df > 0"
                "  ORDER BY df DESC, term LIMIT $7)",
                list(dict.fromkeys(words)),
                list(dict.fromkeys(similar_to)),
                float(threshold),
                limit,
                prefix,
                _like_prefix(prefix),
                prefix_limit,
            )
        df: dict[str, int] = {}
        similar: dict[str, builtins.list[tuple[str, int]]] = {}
        completions: builtins.list[tuple[str, int]] = []
        for r in rows:
            if r[0] == 0:
                df[str(r[2])] = int(r[3])
            elif r[0] == 1:
                similar.setdefault(str(r[1]), []).append((str(r[2]), int(r[3])))
            else:
                completions.append((str(r[2]), int(r[3])))
        return df, similar, completions

    async def words_with_prefix(self, prefix: str, *, limit: int) -> builtins.list[tuple[str, int]]:
        if not prefix:
            return []
        pattern = _like_prefix(prefix)
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

    async def word_terms(
        self, words: Sequence[str]
    ) -> dict[str, tuple[int, builtins.list[tuple[str, int]]]]:
        if not words:
            return {}
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT q.w, coalesce((SELECT df FROM vocabulary"
                "  WHERE kind = 'w' AND term = q.w AND df > 0), 0),"
                " array(SELECT x FROM unnest(tsvector_to_array("
                "  to_tsvector('briefbot_nl'::regconfig, q.w))) AS x ORDER BY x),"
                " array(SELECT coalesce(v.df, 0) FROM unnest(tsvector_to_array("
                "  to_tsvector('briefbot_nl'::regconfig, q.w))) AS x"
                "  LEFT JOIN vocabulary AS v ON v.kind = 's' AND v.term = x AND v.df > 0"
                "  ORDER BY x)"
                " FROM unnest($1::text[]) AS q(w)",
                list(dict.fromkeys(words)),
            )
        return {
            str(r[0]): (int(r[1]), [(str(x), int(d)) for x, d in zip(r[2], r[3], strict=True)])
            for r in rows
        }

    async def sentences_with(
        self,
        kind: TermKind,
        terms: Sequence[tuple[str, float]],
        *,
        letter_ids: Sequence[int] | None,
        limit: int,
        at_least: int = 1,
        fill: Sequence[tuple[str, float]] = (),
        fill_below: int = 1,
    ) -> builtins.list[SearchRow]:
        if limit < 1 or (letter_ids is not None and not letter_ids) or not (terms or fill):
            return []
        del kind  # words and stems are both lexemes of the `search` column
        args: list[Any] = [limit]
        only = ""
        if letter_ids is not None:
            args.append([int(i) for i in letter_ids])
            only = " AND s.letter_id = ANY($2::bigint[])"
        # stages, each only when those before found too few sentences: the test is evaluated
        # once, before the stage's scan (a one-time filter)
        stages: list[tuple[Sequence[tuple[str, float]], int, int]] = []
        if terms:
            if at_least >= 3 and len(terms) >= 3:
                stages.append((terms, 3, 0))
                stages.append((terms, 2, max(1, limit // TRIPLES_SHARE)))
            else:
                stages.append((terms, at_least, 0))
        if fill:
            stages.append((fill, 1, fill_below))
        parts: list[str] = []
        for i, (stage_terms, stage_least, below) in enumerate(stages):
            gate = ""
            if i:
                args.append(below)
                found = " + ".join(f"(SELECT count(*) FROM c{j})" for j in range(i))
                gate = f" AND {found} < ${len(args)}::int"
            parts.append(_ranked(stage_terms, stage_least, only + gate, args))
        sql = (
            "WITH "
            + ", ".join(f"c{i} AS ({part})" for i, part in enumerate(parts))
            + " "
            + " UNION ALL ".join(f"SELECT {i} AS part, * FROM c{i}" for i in range(len(parts)))
            + " ORDER BY part, score DESC, len, id"
        )
        async with self._db.read() as conn:
            rows = await conn.fetch(sql, *args)
        seen: set[int] = set()
        out: builtins.list[SearchRow] = []
        for r in rows:
            sid = int(r["id"])
            if sid in seen:
                continue
            seen.add(sid)
            out.append(
                SearchRow(
                    sentence_id=sid,
                    letter_id=int(r["letter_id"]),
                    section_id=int(r["section_id"]),
                    number=int(r["number"]),
                    page=int(r["page"]),
                    text=str(r["text"]),
                    norm=str(r["norm"]),
                    score=float(r["score"] or 0.0),
                )
            )
        return out

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
        # the total is the vocabulary's (counting a common word's sentences took a second
        # at 1M sentences); those in the letters: the index intersects the term's postings
        # with the letters' sentences, and only those are read; when the letters are most of
        # them (a sender every letter has), those outside them are counted instead
        async with self._db.read() as conn:
            row = await conn.fetchrow(
                "SELECT coalesce((SELECT df FROM vocabulary WHERE kind = $3 AND term = $4), 0),"
                " CASE WHEN 2 * cardinality($2::bigint[]) > (SELECT count(*) FROM letters)"
                "  THEN NULL ELSE (SELECT count(*) FROM sentences"
                "   WHERE search @@ $1::tsquery AND letter_id = ANY($2::bigint[])) END,"
                " CASE WHEN 2 * cardinality($2::bigint[]) > (SELECT count(*) FROM letters)"
                "  THEN (SELECT count(*) FROM sentences WHERE search @@ $1::tsquery"
                "   AND letter_id IN (SELECT id FROM letters WHERE id <> ALL($2::bigint[])))"
                "  END",
                _lexeme(term),
                sorted({int(i) for i in letter_ids}),
                _KIND[kind],
                term,
            )
        total = int(row[0])
        inside = int(row[1]) if row[1] is not None else max(0, total - int(row[2]))
        return max(int(row[0]), inside), inside

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
