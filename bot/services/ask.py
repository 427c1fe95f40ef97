"""Questions in plain Dutch or English: the best passages and a short answer with citations.

Retrieval is hybrid: BM25 over stemmed, stopword-filtered sentences (:mod:`bot.core.bm25`) fused
with semantic search over sentence embeddings (:mod:`bot.core.embed`, USE multilingual, weights
shipped in a package), so paraphrases and English questions find Dutch passages. A query term
is also expanded with index terms that share a compound part with it and whose word embedding
is close (``coalitieakkoord`` -> ``regeerakkoord``). Measured in ``bench/ask_quality.py`` on 78
questions about the 26 corpus letters: hit@3 BM25 0.54, dense 0.56, hybrid 0.72 (hit@1 0.39 /
0.40 / 0.50); BM25 alone stays better on bare keyword queries (hit@3 1.00 vs 0.91). Latency
(``bench/ask_speed.py``): ``ask`` p95 12 ms at 100k sentences; retrieval p95 ~30 ms at 1M.

Embeddings are computed when a letter is added, in a worker thread, and stored
(``sentence_vectors`` + ``derived(kind='vectors', version=<model version>)``); the indexes are
built from the store. Vectors that are missing (a process killed while it embedded, a new model
version) are computed by :meth:`AskService.backfill`, which the ingest runs at its end and the
bot in the background after start, never a question: a question meanwhile is answered from
BM25 and the vectors that exist. :class:`AskService` implements the ``LetterIndex`` protocol of
:mod:`bot.services.app`. Routing only labels a question (summary, recommendations, quote); the
caller sends it to that service.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from bot.core import ask as core
from bot.core.bm25 import BM25Index
from bot.core.embed import DenseIndex, Embedder, from_blobs, in_context, model_version, to_blob
from bot.services.background import off_the_query_path
from bot.services.lazy import LazyIndex
from bot.services.scope import Scope
from bot.store.records import LetterRecord, SentenceRecord

if TYPE_CHECKING:
    from bot.services.app import Briefbot

log = logging.getLogger(__name__)

CANDIDATES = 50  # per retriever, before fusion
MAX_PASSAGES = 10
ANSWER_PASSAGES = 3  # passages the composed answer is made of
WORD_CACHE = 20_000  # word embeddings kept for query expansion

Mode = Literal["hybrid", "bm25", "dense"]

# One model per process, shared by every Briefbot (it holds ~100 MB once loaded).
_EMBEDDER = Embedder(threads=1)


@dataclass(frozen=True, slots=True)
class Passage:
    text: str
    score: float  # relevance 0-1 (see bot.core.ask.relevance)
    letter_id: int
    page: int
    sentence: int  # 1-based number within the letter


@dataclass(frozen=True, slots=True)
class Answer:
    text: str  # the composed answer, or why there is none
    passages: list[Passage] = field(default_factory=list)
    route: core.Route | None = None  # 'summary' | 'recommendations' | 'quote'
    route_arg: str | None = None  # topic, letter or quoted text the route is about
    found: bool = False


@dataclass(slots=True)
class _Indexes:
    bm25: BM25Index
    dense: DenseIndex


class AskService:
    """Implements the ``LetterIndex`` protocol of :mod:`bot.services.app`."""

    def __init__(self, app: Briefbot, *, embedder: Embedder | None = None) -> None:
        self.app = app
        self.embedder = embedder or _EMBEDDER
        self.version = model_version()
        self._indexes = LazyIndex(self._build)
        self._word_cache: dict[str, np.ndarray] = {}  # word -> embedding, oldest first
        self._word_lock = threading.Lock()

    # ------------------------------------------------------------------ LetterIndex

    async def load(self) -> None:
        """Nothing heavy: the indexes are built by ``warm`` or by the first question."""

    async def warm(self) -> None:
        await self._indexes.get()

    async def on_letter_added(self, letter: LetterRecord) -> None:
        records = await self.app.store.letters.sentences(letter.id)
        vectors = await self._embed_and_store(letter.id, records)
        async with self._indexes.updating() as indexes:
            if indexes is not None and vectors is not None:
                await asyncio.to_thread(self._index_letter, indexes, letter.id, records, vectors)

    async def on_letter_removed(self, letter_id: int) -> None:
        async with self._indexes.updating() as indexes:
            if indexes is not None:
                await asyncio.to_thread(self._unindex_letter, indexes, letter_id)

    # ------------------------------------------------------------------ questions

    async def ask(
        self, question: str, *, scope: Scope, letter: str | None = None, limit: int = 5
    ) -> Answer:
        """Answer ``question`` from the letters ``scope`` may see (or from one ``letter``,
        id or slug: LookupError when that scope cannot see it).

        Never raises for the question itself: an empty, overlong or wordless question gives an
        Answer with ``found=False`` and a message saying why.
        """
        if not isinstance(question, str):
            return Answer(text=core.problem("") or "")
        limit = max(1, min(int(limit), MAX_PASSAGES))
        why = core.problem(question)
        if why is not None:
            return Answer(text=why)
        routing = core.route(question)
        allowed: Collection[int] | None
        if letter is not None and str(letter).strip():
            record = await self.app.resolve_letter(str(letter), scope)
            allowed = (record.id,)
        else:
            allowed = self.app.catalog.visible_ids(scope)
        passages = await self.passages(question, allowed=allowed, limit=limit)
        passages = [p for p in passages if self.app.catalog.allows(scope, p.letter_id)]
        found = bool(passages)
        cited = [
            core.Cited(
                text=p.text,
                letter_id=p.letter_id,
                letter_title=self._title(p.letter_id),
                page=p.page,
                sentence=p.sentence,
                score=p.score,
            )
            for p in passages[:ANSWER_PASSAGES]
        ]
        return Answer(
            text=core.compose(question, cited, found=found),
            passages=passages,
            route=routing.route,
            route_arg=routing.arg,
            found=found,
        )

    async def passages(
        self, question: str, *, allowed: Collection[int] | None, limit: int = 5
    ) -> list[Passage]:
        """The relevant passages for ``question`` among ``allowed`` letters (None: all), best
        first; [] when none is relevant enough."""
        if core.problem(question) is not None or (allowed is not None and not allowed):
            return []
        indexes = await self._indexes.get()
        candidates = await asyncio.to_thread(self._retrieve, indexes, question, allowed)
        chosen = [c for c in candidates if c.relevance >= core.FOUND_AT][:limit]
        if not chosen:
            return []
        fetched = await self.app.store.letters.sentences_by_ids([c.sentence_id for c in chosen])
        records = {r.id: r for r in fetched}
        return [
            _passage(records[c.sentence_id], c.relevance)
            for c in chosen
            if c.sentence_id in records
        ]

    async def rank(
        self, question: str, *, allowed: Collection[int] | None = None, mode: Mode = "hybrid"
    ) -> list[core.Candidate]:
        """Every candidate of one retriever (``bm25``, ``dense``) or of the fusion (``hybrid``),
        best first, with its relevance; for evaluation (bench/ask_quality.py)."""
        if core.problem(question) is not None:
            return []
        indexes = await self._indexes.get()
        return await asyncio.to_thread(self._retrieve, indexes, question, allowed, mode)

    def _retrieve(
        self,
        indexes: _Indexes,
        question: str,
        allowed: Collection[int] | None,
        mode: Mode = "hybrid",
    ) -> list[core.Candidate]:
        """Blocking: embed the question, search both indexes, fuse, score."""
        # the embedder's tokenizer needs valid UTF-8: a lone surrogate becomes "?"
        question = question.encode("utf-8", "replace").decode("utf-8")
        terms_text = core.search_text(question)
        vecs = self.embedder.encode([question, terms_text or question])
        qvec = vecs[0] + vecs[1]
        norm = float(np.linalg.norm(qvec))
        qvec = qvec / norm if norm else qvec
        bm: list = []
        dense: list = []
        if terms_text and mode != "dense":
            expansions = self._expansions(indexes.bm25, terms_text)
            bm = indexes.bm25.search(
                terms_text, CANDIDATES, letter_ids=allowed, expansions=expansions
            )
        if mode != "bm25":
            dense = indexes.dense.search(qvec, CANDIDATES, letter_ids=allowed)
        fused = core.fuse(
            [(h.sentence_id, h.letter_id, h.score, h.coverage) for h in bm],
            [(h.sentence_id, h.letter_id, h.score) for h in dense],
            w_bm25=core.KEYWORD_W_BM25 if core.is_keyword_query(question) else core.W_BM25,
        )[: 2 * MAX_PASSAGES]
        missing = [c for c in fused if c.cosine is None]
        if missing and mode == "hybrid":
            sims = indexes.dense.similarity(qvec, [(c.sentence_id, c.letter_id) for c in missing])
            for c, sim in zip(missing, sims, strict=True):
                c.cosine = sim
        for c in fused:
            c.relevance = core.relevance(c.cosine, c.coverage)
        return fused

    def _expansions(self, bm25: BM25Index, text: str) -> dict[str, list[tuple[str, float]]]:
        """Related index terms of each query term that the embeddings confirm mean nearly
        the same (``coalitieakkoord`` -> ``regeerakkoord``), with their weights."""
        wanted: dict[str, list[str]] = {}
        for term in bm25.query_terms(text):
            if bm25.df(term) <= core.EXPAND_MAX_DF:
                related = bm25.related(term, limit=core.EXPAND_CANDIDATES)
                if related:
                    wanted[term] = related
        if not wanted:
            return {}
        words = {bm25.surface(t) for t in wanted} | {
            bm25.surface(r) for rel in wanted.values() for r in rel
        }
        vectors = self._word_vectors(sorted(words))
        out: dict[str, list[tuple[str, float]]] = {}
        for term, related in wanted.items():
            q = vectors[bm25.surface(term)]
            chosen = []
            for other in related:
                weight = core.expansion_weight(float(vectors[bm25.surface(other)] @ q))
                if weight > 0:
                    chosen.append((other, weight))
            if chosen:
                out[term] = chosen
        return out

    def _word_vectors(self, words: list[str]) -> dict[str, np.ndarray]:
        cache = self._word_cache
        with self._word_lock:
            known = {w: cache[w] for w in words if w in cache}
        todo = [w for w in words if w not in known]
        if todo:
            fresh = dict(zip(todo, self.embedder.encode(todo), strict=True))
            with self._word_lock:
                for word, vec in fresh.items():
                    if len(cache) >= WORD_CACHE:
                        cache.pop(next(iter(cache)))
                    cache[word] = vec
            known.update(fresh)
        return known

    # ------------------------------------------------------------------ building

    async def backfill(self) -> int:
        """Embed and store the vectors of the letters that have none (or of another model
        version): work an ingest left undone. Run by the ingest and, in the background, by
        the bot; never by a question. Each letter joins the built index as soon as its vectors
        are stored. Returns how many letters were embedded."""
        versions = await self.app.store.vectors.versions()
        stale = sorted(i for i in self.app.catalog.by_id if versions.get(i) != self.version)
        done = 0
        for letter_id in stale:
            if letter_id not in self.app.catalog.by_id:  # removed meanwhile
                continue
            records = await self.app.store.letters.sentences(letter_id)
            vectors = await self._embed_and_store(letter_id, records)
            if vectors is None:
                continue
            done += 1
            async with self._indexes.updating() as indexes:
                if indexes is not None and letter_id in self.app.catalog.by_id:
                    await asyncio.to_thread(
                        indexes.dense.add, letter_id, [r.id for r in records], in_context(vectors)
                    )
        if done:
            log.info("embedded %d letters that had no current vectors", done)
        return done

    async def _embed_and_store(
        self, letter_id: int, records: Sequence[SentenceRecord]
    ) -> np.ndarray | None:
        vectors = await off_the_query_path(self.embedder.encode, [r.text for r in records])
        blobs = await off_the_query_path(lambda: [to_blob(v) for v in vectors])
        stored = await self.app.store.vectors.replace(
            letter_id,
            [(r.id, b) for r, b in zip(records, blobs, strict=True)],
            version=self.version,
        )
        return vectors if stored else None

    async def _build(self) -> _Indexes:
        indexes = _Indexes(BM25Index(), DenseIndex())
        known = set(self.app.catalog.by_id)
        # BM25 from the sentences, one letter at a time (ids are in letter order)
        pending: list[tuple[int, str]] = []
        current: int | None = None
        batch: list[tuple[int, list[tuple[int, str]]]] = []
        n_batch = 0
        async for rec in self.app.store.letters.iter_all_sentences(batch=20_000):
            if rec.letter_id != current:
                if current is not None and current in known:
                    batch.append((current, pending))
                    n_batch += len(pending)
                current, pending = rec.letter_id, []
                if n_batch >= 20_000:
                    await asyncio.to_thread(_add_bm25, indexes.bm25, batch)
                    batch, n_batch = [], 0
            pending.append((rec.id, rec.text))
        if current is not None and current in known:
            batch.append((current, pending))
        await asyncio.to_thread(_add_bm25, indexes.bm25, batch)
        await asyncio.to_thread(indexes.bm25.flush)
        # dense from the stored vectors
        indexes.dense.reserve(await self.app.store.vectors.count())
        carry: list = []
        async for fetched in self.app.store.vectors.iter_all(batch=20_000):
            rows = carry + fetched
            # keep the last letter of the batch for the next one: it may continue there
            last = rows[-1].letter_id
            cut = next((i for i in range(len(rows) - 1, -1, -1) if rows[i].letter_id != last), -1)
            complete, carry = rows[: cut + 1], rows[cut + 1 :]
            await asyncio.to_thread(_add_dense, indexes.dense, complete, known)
        await asyncio.to_thread(_add_dense, indexes.dense, carry, known)
        await asyncio.to_thread(indexes.dense.optimize)
        log.info("ask indexes built: %d sentences, %d vectors", len(indexes.bm25),
                 len(indexes.dense))  # fmt: skip
        return indexes

    @staticmethod
    def _index_letter(
        indexes: _Indexes, letter_id: int, records: Sequence[SentenceRecord], vectors: np.ndarray
    ) -> None:
        indexes.bm25.add(letter_id, [(r.id, r.text) for r in records])
        indexes.dense.add(letter_id, [r.id for r in records], in_context(vectors))

    @staticmethod
    def _unindex_letter(indexes: _Indexes, letter_id: int) -> None:
        indexes.bm25.remove_letter(letter_id)
        indexes.dense.remove_letter(letter_id)

    # ------------------------------------------------------------------ scope

    def _title(self, letter_id: int) -> str:
        rec = self.app.catalog.by_id.get(letter_id)
        return rec.title if rec is not None else f"brief {letter_id}"


def _passage(rec: SentenceRecord, score: float) -> Passage:
    return Passage(
        text=rec.text,
        score=round(float(score), 3),
        letter_id=rec.letter_id,
        page=rec.page,
        sentence=rec.number,
    )


def _add_bm25(index: BM25Index, letters: list[tuple[int, list[tuple[int, str]]]]) -> None:
    for letter_id, sentences in letters:
        index.add(letter_id, sentences)


def _add_dense(index: DenseIndex, rows: Sequence, known: set[int]) -> None:
    """Stored vectors (sentence id order, whole letters) into the index, mixed with context."""
    start = 0
    while start < len(rows):
        letter_id = rows[start].letter_id
        end = start
        while end < len(rows) and rows[end].letter_id == letter_id:
            end += 1
        if letter_id in known:
            part = rows[start:end]
            try:
                vectors = in_context(from_blobs([r.vector for r in part]))
            except ValueError as exc:  # a damaged row: the letter is found by BM25 only
                log.warning("letter %d: stored vectors unreadable (%s)", letter_id, exc)
            else:
                index.add(letter_id, [r.sentence_id for r in part], vectors, maintain=False)
        start = end
