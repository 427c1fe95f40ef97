"""Quote lookups and questions answered from candidates the database finds (PostgreSQL mode).

On SQLite the bot holds three indexes of every sentence in its process (the quote index, BM25,
the dense vectors: about 1.3 GiB at a million sentences). A store that can search itself
(``bot.store.base.SearchingStore``: PostgreSQL from migration 0007) lets a bot process hold
none of them: the database finds a few hundred candidates and the process ranks those with the
same code as the in-memory path. The composition root (``bot/services/app.py``) chooses.

Quote lookup (:class:`StoreQuoteSearch`): the fragment's words are weighted as
``bot.core.quote_index`` weighs them (IDF from the stored vocabulary; a misspelled word's
vocabulary neighbours through pg_trgm, confirmed by Levenshtein distance; the fragments of a
damaged source's accents; splits and joins of compounds); the sentences holding the rarest of
them come from the full-text index; each candidate's word coverage is counted here and blended
with rapidfuzz's ``partial_ratio`` exactly as in memory.

Questions (:class:`StoreBM25`, :class:`StoreDense`): stand-ins for ``BM25Index`` and
``DenseIndex`` behind the ask service's own ranking. BM25 candidates: sentences holding the
question's rarest stems (full-text index), scored by BM25 here from their text (df from the
stored vocabulary). Dense: no matrix of every vector; the stored vectors of the candidates
(and of their neighbours, for the context mix) are fetched and compared with the question.
So the dense retriever re-ranks the lexical pool instead of searching every sentence: a
paraphrase sharing no stem with any sentence is not found (measured in ``bench/pg_store.py``).

The ask service calls its indexes from a worker thread; these stand-ins reach the store on the
event loop from there (``_Bridge``), which is free meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections import Counter
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, TypeVar

import numpy as np
from rapidfuzz.distance import Levenshtein
from rapidfuzz.utils import default_process

from bot.core.bm25 import K1, Analyzer, B, BM25Hit
from bot.core.quote_index import (
    COMMON_SHARE,
    GATHER_CUT,
    MIN_SCORE,
    RERANK,
    SUGGEST_MIN_SCORE,
    QuoteHit,
    _blend,
    _Query,
    match_span,
    prepare_query,
)
from bot.core.text import fold
from bot.core.vectors import CONTEXT_WEIGHT, DenseHit, from_blobs, in_context, normalise
from bot.store.base import SearchRepository, VectorRepository
from bot.store.records import SearchRow, StoredVector

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Sentences fetched per quote lookup, best by the weight of the rarest words (the in-memory
#: index keeps 1,500 before its rerank cut of 100; a round trip carries fewer).
QUOTE_POOL = 200
#: The rarest words of a fragment, of which a candidate holds two (the database intersects
#: their postings in its index: cheap however common each is alone).
PAIR_TERMS = 6
#: When no sentence holds two of them: postings the rarest terms may cost (in memory: 300,000
#: array entries; here rows the database reads and scores).
QUOTE_BUDGET = 3_000
#: Trigram similarity a vocabulary word needs to be checked as a neighbour of a misspelled one
#: (then Levenshtein distance 1, or 2 from ten letters, decides, as in memory).
TRIGRAM_THRESHOLD = 0.3
EXHAUSTIVE_ROWS = 4000  # a letter filter this small is scored sentence by sentence
#: BM25 candidates fetched per question, ranked by BM25 here; the best of them are also
#: the dense retriever's lexical candidates.
ASK_POOL = 200
DENSE_FROM_POOL = 100
#: Fewer sentences than this hold two of the question's rarest stems: those holding one are
#: fetched too, the rarest stems first, within this many postings.
ASK_ENOUGH = 50
ASK_BUDGET = 8_000


# --------------------------------------------------------------------------- quote lookup


@dataclass(slots=True)
class _Plan:
    weights: dict[str, float]  # term -> weight (IDF x similarity)
    df: dict[str, int]
    total: float  # the weight of a sentence holding every query word

    def gather(self, n: int, budget: int) -> list[tuple[str, float]]:
        """The rarest terms within ``budget`` postings (at least one); common ones only count
        in the coverage."""
        out: list[tuple[str, float]] = []
        spent = 0
        for term in sorted(self.weights, key=lambda t: (self.df[t], t)):
            df = self.df[term]
            if out and (df > COMMON_SHARE * n or spent + df > budget):
                break
            out.append((term, self.weights[term]))
            spent += df
        return out

    def rare(self, n: int, most: int, words: Collection[str]) -> list[tuple[str, float]]:
        """The ``most`` rarest terms that are not common, the two rarest of the fragment's
        own ``words`` first (a sentence must hold one of those two with another term: a
        typo's neighbours are often rarer, and rarely the sentence's)."""
        terms = [t for t in sorted(self.weights, key=lambda t: (self.df[t], t))
                 if self.df[t] <= COMMON_SHARE * n]  # fmt: skip
        anchors = [t for t in terms if t in words][:2]
        rest = [t for t in terms if t not in anchors][: most - len(anchors)]
        return [(t, self.weights[t]) for t in anchors + rest]

    def coverage_weight(self, norm: str) -> float:
        present = set(norm.split())
        return sum(w for t, w in self.weights.items() if t in present)


class StoreQuoteSearch:
    """Quote lookup on the store's candidates, scored as ``QuoteIndex.search`` scores."""

    def __init__(
        self,
        search: SearchRepository,
        letters: Any,
        *,
        total: Callable[[], int],
        sentences_of: Callable[[int], int],
    ) -> None:
        self.search_repo = search
        self.letters = letters  # the store's LetterRepository (whole letters, one sentence)
        self._total = total  # live sentences (the catalog knows)
        self._sentences_of = sentences_of  # a letter's sentence count

    async def search(
        self,
        query: str,
        *,
        letters: Collection[int] | None = None,
        limit: int = 5,
        min_score: int = MIN_SCORE,
        prefix: bool = False,
    ) -> list[QuoteHit]:
        q = prepare_query(query, prefix=prefix)
        if q is None or limit < 1:
            return []
        plan = await self._plan(q)
        if plan.total <= 0:
            return []
        small = letters is not None and sum(map(self._sentences_of, letters)) <= EXHAUSTIVE_ROWS
        if letters is not None and small:
            rows = []
            for lid in letters:
                for rec in await self.letters.sentences(lid):
                    rows.append(
                        SearchRow(rec.id, rec.letter_id, rec.section_id, rec.number, rec.page,
                                  rec.text, rec.norm, 0.0)
                    )  # fmt: skip
            gathered = {r.sentence_id: plan.coverage_weight(r.norm) for r in rows}
        else:
            n = max(self._total(), 1)
            only = None if letters is None else list(letters)
            rare = affordable(plan.rare(n, PAIR_TERMS, set(q.words)), plan.df, n)
            pair = rare if len(rare) >= 2 and len(q.words) >= 3 else []
            # sentences holding three rare words when the fragment has three of its own
            # (every one of them is in the sentence it came from), with those holding two
            # when few do; else those holding two; none of these: those holding one of the
            # rarest. One statement.
            own = sum(t in q.words for t, _ in pair)
            rows = await self.search_repo.sentences_with(
                "word", pair, letter_ids=only, limit=QUOTE_POOL, at_least=3 if own >= 3 else 2,
                fill=plan.gather(n, QUOTE_BUDGET), fill_below=1,
            )  # fmt: skip
            if not rows:
                return []
            top = rows[0].score
            rows = [r for r in rows if r.score >= top * GATHER_CUT]
            gathered = {r.sentence_id: plan.coverage_weight(r.norm) for r in rows}
        if not rows:
            return []
        rows = sorted(rows, key=lambda r: (-gathered[r.sentence_id], r.sentence_id))[:RERANK]
        choices = [default_process(r.text) for r in rows]
        coverage = np.minimum(
            np.asarray([gathered[r.sentence_id] for r in rows], dtype=np.float32)
            / np.float32(plan.total),
            1.0,
        )
        scores = (await asyncio.to_thread(_blend, q, choices, coverage)).tolist()
        cov = coverage.tolist()
        order = sorted(
            range(len(rows)),
            key=lambda i: (-scores[i], -cov[i], len(choices[i]), rows[i].sentence_id),
        )
        best = [(rows[i], scores[i]) for i in order if scores[i] >= min_score][:limit]
        return await self._hits(best, q)

    async def get(self, letter_id: int, number: int) -> QuoteHit | None:
        """The sentence ``number`` of a letter, as a hit with score 100 and the whole span."""
        rec = await self.letters.sentence(letter_id, number)
        if rec is None:
            return None
        around = await self.search_repo.neighbours(
            [(letter_id, number - 1), (letter_id, number + 1)]
        )
        return QuoteHit(
            sentence_id=rec.id, letter_id=rec.letter_id, number=rec.number, page=rec.page,
            score=100, text=rec.text, span=(0, len(rec.text)),
            before=around.get((letter_id, number - 1)), after=around.get((letter_id, number + 1)),
        )  # fmt: skip

    async def _hits(self, best: list[tuple[SearchRow, int]], q: _Query) -> list[QuoteHit]:
        wanted = [(r.letter_id, r.number + d) for r, _ in best for d in (-1, 1)]
        around = await self.search_repo.neighbours(wanted)
        out = []
        for r, score in best:
            span = match_span(q.words, r.text, prefix=q.prefix)
            out.append(
                QuoteHit(
                    sentence_id=r.sentence_id, letter_id=r.letter_id, number=r.number,
                    page=r.page, score=int(score), text=r.text, span=span,
                    before=around.get((r.letter_id, r.number - 1)),
                    after=around.get((r.letter_id, r.number + 1)),
                )
            )  # fmt: skip
        return out

    async def _plan(self, q: _Query) -> _Plan:
        """The weighted terms of ``QuoteIndex._plan``, with document frequencies from the
        store: the word itself, a damaged source's fragments of it, and for a word the letters
        never use, its vocabulary neighbours and its splits into two known words; two
        neighbouring words that are one known word when joined."""
        n = max(self._total(), 1)
        words = q.words
        last = len(words) - 1
        wanted: set[str] = set(words)
        for i, word in enumerate(words):
            wanted.update(f for f in q.fragments.get(i, ()) if len(f) >= 3)
            wanted.update(_gap_sides(word))
            for k in range(3, len(word) - 2):
                wanted.update((word[:k], word[k:]))
        for a, b in pairwise(words):
            wanted.add(a + b)
        # a word the letters never use, or two that are one when joined: its vocabulary
        # neighbours (only those the vocabulary lacks are looked up, in the same round trip)
        look = [w for i, w in enumerate(words) if not (q.prefix and i == last)]
        look += [a + b for a, b in pairwise(words)]
        look = [w for w in dict.fromkeys(look) if len(w) >= 5]
        prefix = words[-1] if q.prefix and len(words[-1]) >= 2 else ""
        df, found, completions = await self.search_repo.quote_vocabulary(
            sorted(wanted), look, threshold=TRIGRAM_THRESHOLD, limit=40, prefix=prefix
        )
        near, near_df = _confirmed(found)
        df.update(near_df)
        df.update(completions)

        weights: dict[str, float] = {}

        def weight(term: str, factor: float) -> float:
            d = df.get(term, 0)
            if d <= 0:
                return 0.0
            w = math.log1p(n / d) * factor
            if w > weights.get(term, 0.0):
                weights[term] = w
            return w

        def full(term: str) -> float:
            d = df.get(term, 0)
            return math.log1p(n / d) if d > 0 else 0.0

        unknown_w = math.log1p(n)
        cost: list[float] = []
        found: list[bool] = []
        for i, word in enumerate(words):
            best = 0.0
            frags = [f for f in q.fragments.get(i, ()) if len(f) >= 3 and f in df]
            frags += _gap_forms(word, df)
            if q.prefix and i == last:
                for term, _ in completions:
                    best = max(best, weight(term, 0.9) / 0.9)
            if df.get(word, 0) > 0:
                best = max(best, weight(word, 1.0))
            elif not (q.prefix and i == last):
                for other, sim in near.get(word, ()):
                    weight(other, sim)
                    best = max(best, full(other))
                for a, b in _splits(word, df):
                    weight(a, 0.8)
                    weight(b, 0.8)
                    best = max(best, 0.5 * (full(a) + full(b)))
                for term in frags:
                    best = max(best, full(term))
            for term in frags:
                weights[term] = max(weights.get(term, 0.0), best or full(term))
            cost.append(best or unknown_w)
            found.append(best > 0)
        for i, (a, b) in enumerate(pairwise(words)):
            joined = 0.0
            if df.get(a + b, 0) > 0:
                joined = weight(a + b, 1.0)
            elif not (found[i] and found[i + 1]) and len(a) + len(b) >= 5:
                for other, sim in near.get(a + b, ())[:2]:
                    weight(other, sim)
                    joined = max(joined, full(other))
            if joined and not (found[i] and found[i + 1]):
                cost[i], cost[i + 1] = joined, 0.0
                found[i] = found[i + 1] = True
        total = sum(cost[i] for i in {w: i for i, w in reversed(list(enumerate(words)))}.values())
        weights = {t: w for t, w in weights.items() if df.get(t, 0) > 0}
        return _Plan(weights, df, total if weights and any(found) else 0.0)


def _confirmed(
    found: Mapping[str, Sequence[tuple[str, int]]],
) -> tuple[dict[str, list[tuple[str, float]]], dict[str, int]]:
    """Of the trigram neighbours of each word, those within Levenshtein distance 1 (2 from
    ten letters), as ``(word, similarity 0-1)`` (most similar, then most frequent, first, at
    most four); and their document frequencies."""
    out: dict[str, list[tuple[str, float]]] = {}
    dfs: dict[str, int] = {}
    for word, options in found.items():
        max_dist = 1 if len(word) < 10 else 2
        close = []
        for other, d in options:
            dist = Levenshtein.distance(word, other, score_cutoff=max_dist)
            if dist <= max_dist:
                close.append((dist, -d, other))
        close.sort()
        out[word] = [
            (other, 1.0 - dist / max(len(word), len(other))) for dist, _, other in close[:4]
        ]
        for _, negdf, other in close[:4]:
            dfs[other] = -negdf
    return out, dfs


#: Sentences a pair of terms may be expected to share (their dfs' product over the total,
#: as if independent) for the pair to be asked for: each is a row the database reads.
PAIR_COST = 1_500


def affordable(
    terms: Sequence[tuple[str, float]], df: Mapping[str, int], n: int
) -> list[tuple[str, float]]:
    """``terms`` (the two a sentence must hold one of first) without those whose pair with
    one of the first two would be held by too many sentences (``PAIR_COST``): two common
    words together ("tegen" and "kinderen") match thousands of sentences."""
    kept: list[tuple[str, float]] = []
    for term, weight in terms:
        d = df.get(term, 0)
        if all(df.get(x, 0) * d <= PAIR_COST * n for x, _ in kept[:2]):
            kept.append((term, weight))
    return kept


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _gap_sides(word: str) -> set[str]:
    out = set()
    for i in range(1, len(word) - 3):
        if word[i] in "aeiou":
            out.update((word[:i], word[i + 1 :]))
    return out


def _gap_forms(word: str, df: Mapping[str, int]) -> list[str]:
    """As ``bot.core.quote_index._gap_forms``, over the fetched document frequencies."""
    out = []
    for i in range(1, len(word) - 3):
        if word[i] in "aeiou":
            head, tail = word[:i], word[i + 1 :]
            longer = tail if len(tail) >= len(head) else head
            shorter = head if longer is tail else tail
            if (
                df.get(longer, 0) > 0
                and len(longer) >= 4
                and (len(shorter) <= 2 or df.get(shorter, 0) > 0)
            ):
                out.append(longer)
    return out


def _splits(word: str, df: Mapping[str, int]) -> list[tuple[str, str]]:
    out = []
    for i in range(3, len(word) - 2):
        a, b = word[:i], word[i:]
        if df.get(a, 0) > 0 and df.get(b, 0) > 0:
            out.append((a, b))
    return out[:2]


# --------------------------------------------------------------------------- questions


class _Bridge:
    """Runs the store's coroutines on the event loop from a worker thread and waits."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            coro.close()
            raise RuntimeError("the store-backed index is called from a worker thread only")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()


_pool = threading.local()  # the last BM25 pool of this worker thread, for StoreDense.search


class StoreBM25:
    """What the ask service uses of ``BM25Index``, answered from the store."""

    def __init__(self, search: SearchRepository, bridge: _Bridge) -> None:
        self.search_repo = search
        self.bridge = bridge
        self.analyzer = Analyzer()
        self._stats: tuple[int, float] | None = None
        # word -> (its df, [(stem, df)]) as the store has them; stem -> df: until letters
        # come or go (bounded)
        self._words: dict[str, tuple[int, list[tuple[str, int]]]] = {}
        self._df: dict[str, int] = {}

    # ---- the index is the store's: nothing to add, remove or count here

    def add(self, *args: object, **kwargs: object) -> None:
        self._forget()  # a letter came: the sentence count, mean length and dfs moved

    def remove_letter(self, letter_id: int) -> int:
        self._forget()
        return 0

    def _forget(self) -> None:
        self._stats = None
        self._df = {}
        self._words = {}

    def flush(self) -> None:
        return None

    def __len__(self) -> int:
        return self._totals()[0]

    # ---- queries

    def query_terms(self, query: str) -> list[str]:
        """The query's index terms; their document frequencies are fetched at once (one
        round trip) for the :meth:`df` calls that follow."""
        groups = self._groups(query)
        self._frequencies(sorted({x for _, lex in groups for x in lex}))
        return list(dict.fromkeys(self.analyzer.terms(query)))

    def surface(self, term: str) -> str:
        return self.analyzer.surface(term)

    def df(self, term: str) -> int:
        groups = self._groups(self.analyzer.surface(term))
        lexemes = [x for _, lex in groups for x in lex]
        return max(self._frequencies(lexemes).values(), default=0)

    def related(self, term: str, *, limit: int = 40) -> list[str]:
        return []  # compound-part expansion needs the whole vocabulary in memory

    def sentence_terms(self, pairs: Sequence[tuple[int, int]]) -> dict[str, int]:
        # the Dutch words an English question is matched by (bot.services.ask) come from the
        # in-memory postings; here an English question is answered by its meaning alone
        return {}

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        letter_ids: Collection[int] | None = None,
        expansions: Mapping[str, Sequence[tuple[str, float]]] | None = None,
    ) -> list[BM25Hit]:
        """BM25 over the store's candidates: the sentences holding the question's rarest
        stems (within ``ASK_BUDGET`` rows), scored here from their text with the stored
        document frequencies. The pool is kept for :meth:`StoreDense.search`."""
        _pool.rows = []
        groups = self._groups(query)
        if not groups or k < 1 or (letter_ids is not None and not letter_ids):
            return []
        n, avgdl = self._totals()
        if n == 0:
            return []
        dfs, idf, term_idf, total = self._weights(groups, n)
        if total <= 0 or not dfs:
            return []
        only = None if letter_ids is None else list(letter_ids)
        limit = max(ASK_POOL, k)
        ranked = sorted(dfs, key=lambda x: (dfs[x], x))
        # sentences holding two of the rarest stems (cheap, and the best); fewer than
        # ASK_ENOUGH so: those holding one, the rarest first, within budget (one statement)
        pairs = affordable([(x, idf[x]) for x in ranked[:PAIR_TERMS]], dfs, n)
        if len(pairs) < 2:
            pairs = []
        gather: list[tuple[str, float]] = []
        spent = 0
        for x in ranked:
            if gather and spent + dfs[x] > ASK_BUDGET:
                break
            gather.append((x, idf[x]))
            spent += dfs[x]
        rows = self.bridge.run(
            self.search_repo.sentences_with(
                "stem", pairs, letter_ids=only, limit=limit, at_least=2,
                fill=gather, fill_below=ASK_ENOUGH,
            )
        )  # fmt: skip
        k1, b = K1, B
        avgdl = max(avgdl, 1.0)
        scored: list[tuple[float, float, SearchRow]] = []
        wanted = {term for term, _ in groups}
        for row in rows:
            terms = self.analyzer.terms(row.norm)
            tf = Counter(t for t in terms if t in wanted)
            dl = len(terms)
            score = 0.0
            cover = 0.0
            for term, f in tf.items():
                w = term_idf.get(term, 0.0)
                score += w * f * (k1 + 1) / (f + k1 * (1 - b + b * dl / avgdl))
                cover += w
            if score > 0:
                scored.append((score, cover, row))
        scored.sort(key=lambda s: (-s[0], s[2].sentence_id))
        _pool.rows = [row for _, _, row in scored]
        return [
            BM25Hit(row.sentence_id, row.letter_id, float(score), min(1.0, cover / total))
            for score, cover, row in scored[:k]
        ]

    def section_coverage(
        self,
        query: str,
        pairs: Sequence[tuple[int, int]],
        *,
        expansions: Mapping[str, Sequence[tuple[str, float]]] | None = None,
    ) -> tuple[list[float], list[int | None]]:
        """The share of the question's idf mass each candidate's section holds, and the
        section's id (0.0 and None for a sentence not stored)."""
        out = [0.0] * len(pairs)
        sections: list[int | None] = [None] * len(pairs)
        groups = self._groups(query)
        if not groups or not pairs:
            return out, sections
        n, _ = self._totals()
        dfs, _idf, term_idf, total = self._weights(groups, n)
        owner = {x: term for term, lex in groups for x in lex if x in dfs}
        held = self.bridge.run(
            self.search_repo.section_terms("stem", sorted(owner), [sid for sid, _ in pairs])
        )
        for i, (sid, _) in enumerate(pairs):
            found = held.get(sid)
            if found is None:
                continue
            sections[i] = found[0]
            if total > 0:
                has = {owner[x] for x in found[1]}
                out[i] = min(1.0, sum(term_idf[t] for t in has) / total)
        return out, sections

    def concentration(self, word: str, letter_ids: Collection[int]) -> tuple[int, int]:
        groups = self._groups(word)
        if not groups or not groups[0][1]:
            return 0, 0
        return self.bridge.run(
            self.search_repo.count_holding("stem", groups[0][1][0], sorted(letter_ids))
        )

    # ---- internals

    def _weights(
        self, groups: list[tuple[str, list[str]]], n: int
    ) -> tuple[dict[str, int], dict[str, float], dict[str, float], float]:
        """df and idf of the stored stems, idf of each query term (its rarest stem; a word
        the full-text search drops as a stopword: by its own df), and the idf mass of the
        whole query (an unknown term counts as the rarest possible)."""
        dfs = self._frequencies(sorted({x for _, lex in groups for x in lex}))
        idf = {x: _idf(n, d) for x, d in dfs.items()}
        words: dict[str, float] = {}
        for term, lex in groups:
            if not lex:
                surface = self.analyzer.surface(term)
                if surface not in self._words:
                    self._lookup([surface])
                d = self._words[surface][0]
                if d > 0:
                    words[term] = _idf(n, d)
        unknown = math.log(1 + (n + 0.5) / 0.5)
        term_idf: dict[str, float] = {}
        total = 0.0
        for term, lex in groups:
            known = [idf[x] for x in lex if x in idf]
            if term in words:
                known.append(words[term])
            term_idf[term] = max(known, default=0.0)
            total += max(known, default=unknown)
        return dfs, idf, term_idf, total

    def _groups(self, text: str) -> list[tuple[str, list[str]]]:
        """The query's index terms (the analyzer's, as in memory), each with the stems the
        store's full-text search makes of the same words."""
        by_term: dict[str, list[str]] = {}
        for word in fold(text).split():
            stem = self.analyzer.terms(word)
            if stem:
                by_term.setdefault(stem[0], []).append(word)
        if not by_term:
            return []
        words = [w for ws in by_term.values() for w in ws]
        todo = [w for w in dict.fromkeys(words) if w not in self._words]
        if todo:
            self._lookup(todo)
        out = []
        for term, ws in by_term.items():
            lex = sorted({x for w in ws for x, _ in self._words.get(w, (0, []))[1]})
            out.append((term, lex))
        return out

    def _lookup(self, words: Sequence[str]) -> None:
        """Each word's df, its stems and theirs, in one round trip (cached until letters
        come or go)."""
        fresh = self.bridge.run(self.search_repo.word_terms(list(words)))
        if len(self._words) > 50_000:
            self._words.clear()
        for w in words:
            entry = fresh.get(w, (0, []))
            self._words[w] = entry
            for x, d in entry[1]:
                self._df[x] = d

    def _frequencies(self, lexemes: Sequence[str]) -> dict[str, int]:
        """df of stored stems (0: none), cached until letters come or go."""
        cache = self._df
        todo = [x for x in lexemes if x not in cache]
        if todo:
            found = self.bridge.run(self.search_repo.frequencies("stem", todo))
            if len(cache) > 100_000:
                cache.clear()
            for x in todo:
                cache[x] = found.get(x, 0)
        return {x: cache[x] for x in lexemes if cache.get(x, 0) > 0}

    def _totals(self) -> tuple[int, float]:
        if self._stats is None:
            self._stats = self.bridge.run(self.search_repo.sentence_total())
        return self._stats


class SignIndex:
    """The sign bits of every stored sentence vector (in context), 64 bytes a sentence: the
    dense candidates of a question by Hamming distance, their exact cosines then computed from
    the stored vectors. An eighth of the int8 matrix the in-memory path holds (at 1M
    sentences 61 MiB + ids against 509 MiB); built in the background from the store, questions
    use it once it is there. The bits are kept word by word (eight arrays of n uint64): a
    distance is eight passes of XOR and popcount over contiguous memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sid = np.zeros(0, dtype=np.int64)
        self._lid = np.zeros(0, dtype=np.int64)
        self._cols = np.zeros((DIM_WORDS, 0), dtype=np.uint64)
        self._tail: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._gone: set[int] = set()
        self.ready = False
        self.filled = asyncio.Event()  # set when the background fill ended (or failed)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sid) + sum(len(t[0]) for t in self._tail)

    def add(self, letter_id: int, sentence_ids: Sequence[int], vectors: np.ndarray) -> None:
        """A letter's vectors, mixed with their neighbours (``in_context``)."""
        if not len(sentence_ids):
            return
        bits = _signs(vectors)
        sids = np.asarray(sentence_ids, dtype=np.int64)
        lids = np.full(len(sids), letter_id, dtype=np.int64)
        with self._lock:
            self._gone.discard(letter_id)
            self._tail.append((sids, lids, bits))
            if sum(len(t[0]) for t in self._tail) >= 100_000:
                self._merge()

    def remove_letter(self, letter_id: int) -> None:
        with self._lock:
            self._gone.add(letter_id)

    def finish(self) -> None:
        with self._lock:
            self._merge()
            self.ready = True

    def _merge(self) -> None:
        if not self._tail:
            return
        self._sid = np.concatenate([self._sid, *(t[0] for t in self._tail)])
        self._lid = np.concatenate([self._lid, *(t[1] for t in self._tail)])
        self._cols = np.ascontiguousarray(
            np.concatenate([self._cols, *(t[2].T for t in self._tail)], axis=1)
        )
        self._tail = []

    def nearest(
        self, query: np.ndarray, m: int, letter_ids: Collection[int] | None
    ) -> list[tuple[int, int]]:
        """``(sentence_id, letter_id)`` of the ``m`` rows nearest ``query`` by Hamming
        distance, of ``letter_ids`` when given."""
        q = _signs(np.asarray(query, dtype=np.float32).reshape(1, -1))[0]
        with self._lock:
            self._merge()
            sid, lid, cols, gone = self._sid, self._lid, self._cols, set(self._gone)
        n = len(sid)
        if not n or m < 1:
            return []
        dist = np.zeros(n, dtype=np.uint16)
        for j in range(DIM_WORDS):
            dist += np.bitwise_count(cols[j] ^ q[j])
        allowed = None if letter_ids is None else set(letter_ids)
        want = m
        while True:  # the nearest rows first, then those the letters allow: widened if few
            counts = np.cumsum(np.bincount(dist, minlength=8 * 64 + 1))
            cut = int(np.searchsorted(counts, min(4 * want, n)))
            rows = np.flatnonzero(dist <= cut)
            keep = [
                i
                for i, x in enumerate(lid[rows].tolist())
                if x not in gone and (allowed is None or x in allowed)
            ]
            if len(keep) >= m or len(rows) >= n:
                break
            want *= 8
        rows = rows[np.asarray(keep, dtype=np.int64)]
        rows = rows[np.argsort(dist[rows], kind="stable")[:m]]
        return list(zip(sid[rows].tolist(), lid[rows].tolist(), strict=True))


DIM_WORDS = 8  # 512 sign bits as uint64 words


def _signs(vectors: np.ndarray) -> np.ndarray:
    packed = np.packbits(np.asarray(vectors) > 0, axis=1)
    return np.ascontiguousarray(packed).view(np.uint64)


#: Dense candidates taken from the sign index, their exact cosines computed from the store.
SIGN_CANDIDATES = 200  # measured: 94% of the exact top 10 among the 200 nearest by bits


class StoreDense:
    """What the ask service uses of ``DenseIndex``: the lexical pool and the sign index's
    nearest rows, ranked by the cosine of their stored vectors."""

    def __init__(
        self,
        search: SearchRepository,
        bridge: _Bridge,
        letters: Callable[[], frozenset[int]],
        signs: SignIndex | None = None,
    ) -> None:
        self.search_repo = search
        self.bridge = bridge
        self._letters = letters
        self.signs = signs

    def add(
        self, letter_id: int, sentence_ids: Sequence[int], vectors: np.ndarray, **_: object
    ) -> None:
        if self.signs is not None:
            self.signs.add(letter_id, sentence_ids, vectors)

    def remove_letter(self, letter_id: int) -> int:
        if self.signs is not None:
            self.signs.remove_letter(letter_id)
        return 0

    def __len__(self) -> int:
        return len(self.signs) if self.signs is not None else 0

    @property
    def letters(self) -> frozenset[int]:
        return self._letters()

    def search(
        self, query: np.ndarray, k: int = 10, *, letter_ids: Collection[int] | None = None
    ) -> list[DenseHit]:
        """The ``k`` most similar to ``query`` of this thread's last BM25 pool and of the
        sign index's nearest rows (exact cosines from the stored vectors)."""
        if k < 1:
            return []
        pool = getattr(_pool, "rows", [])[:DENSE_FROM_POOL]
        pairs = [(r.sentence_id, r.letter_id) for r in pool]
        if letter_ids is not None:
            allowed = set(letter_ids)
            pairs = [p for p in pairs if p[1] in allowed]
        if self.signs is not None and self.signs.ready:
            pairs += self.signs.nearest(query, SIGN_CANDIDATES, letter_ids)
        pairs = list(dict.fromkeys(pairs))
        if not pairs:
            return []
        sims = self._cosines(query, [sid for sid, _ in pairs])
        hits = [
            DenseHit(sid, lid, s)
            for (sid, lid), s in zip(pairs, sims, strict=True)
            if s is not None
        ]
        hits.sort(key=lambda h: (-h.score, h.sentence_id))
        return hits[:k]

    def similarity(self, query: np.ndarray, pairs: Sequence[tuple[int, int]]) -> list[float | None]:
        return self._cosines(query, [sid for sid, _ in pairs])

    def _cosines(self, query: np.ndarray, ids: Sequence[int]) -> list[float | None]:
        if not ids:
            return []
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        around = self.bridge.run(self.search_repo.vectors_around(list(ids)))
        blobs: list[bytes] = []
        owner: list[int] = []
        weight: list[float] = []
        has = np.zeros(len(ids), dtype=bool)
        for i, sid in enumerate(ids):
            for off, blob in around.get(sid, ()):
                blobs.append(blob)
                owner.append(i)
                weight.append(1.0 if off == 0 else CONTEXT_WEIGHT)  # as in_context mixes
                has[i] |= off == 0
        if not blobs:
            return [None] * len(ids)
        try:
            vecs = from_blobs(blobs)
        except ValueError:  # a damaged row: compared one by one
            return [self._cosines(query, [sid])[0] for sid in ids] if len(ids) > 1 else [None]
        weighted = vecs * np.asarray(weight, dtype=np.float32)[:, None]
        owners = np.asarray(owner)
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])  # grouped by owner
        mixed = np.zeros((len(ids), vecs.shape[1]), dtype=np.float32)
        mixed[owners[starts]] = np.add.reduceat(weighted, starts, axis=0)
        sims = normalise(mixed) @ q
        return [float(v) if ok else None for v, ok in zip(sims.tolist(), has.tolist(), strict=True)]


async def store_indexes(
    search: SearchRepository,
    vectors: VectorRepository,
    letters: Callable[[], frozenset[int]],
) -> tuple[StoreBM25, StoreDense]:
    """The ask service's two indexes, answered from the store; the sign index of the dense
    candidates starts filling in the background (questions use it once it is complete)."""
    bridge = _Bridge(asyncio.get_running_loop())
    signs = SignIndex()
    dense = StoreDense(search, bridge, letters, signs)
    task = asyncio.get_running_loop().create_task(_fill(signs, vectors))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    return StoreBM25(search, bridge), dense


_tasks: set[asyncio.Task[None]] = set()


async def _fill(signs: SignIndex, vectors: VectorRepository) -> None:
    """Every stored vector into ``signs``, a letter at a time (mixed with its neighbours)."""
    try:
        carry: list[StoredVector] = []
        async for fetched in vectors.iter_all(batch=5000):
            rows = carry + fetched
            last = rows[-1].letter_id
            cut = next((i for i in range(len(rows) - 1, -1, -1) if rows[i].letter_id != last), -1)
            complete, carry = rows[: cut + 1], rows[cut + 1 :]
            await asyncio.to_thread(_add_signs, signs, complete)
        await asyncio.to_thread(_add_signs, signs, carry)
        signs.finish()
        log.info("dense candidates ready: sign bits of %d sentence vectors", len(signs))
    except Exception:
        log.exception("the sign index of the dense candidates could not be built")
    finally:
        signs.filled.set()


def _add_signs(signs: SignIndex, rows: Sequence[StoredVector]) -> None:
    start = 0
    while start < len(rows):
        letter_id = rows[start].letter_id
        end = start
        while end < len(rows) and rows[end].letter_id == letter_id:
            end += 1
        part = rows[start:end]
        try:
            mixed = in_context(from_blobs([r.vector for r in part]))
        except ValueError:
            pass  # a damaged row: the letter's sentences are found lexically only
        else:
            signs.add(letter_id, [r.sentence_id for r in part], mixed)
        start = end


async def quote_search_ready(search: SearchRepository) -> bool:
    """Whether the store can serve quote lookups (pg_trgm and its index)."""
    return await search.available()


__all__ = [
    "SUGGEST_MIN_SCORE",
    "StoreBM25",
    "StoreDense",
    "StoreQuoteSearch",
    "quote_search_ready",
    "store_indexes",
]
