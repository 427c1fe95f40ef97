"""Questions in plain Dutch or English: the best passages and a short answer with citations.

Retrieval is hybrid: BM25 over stemmed, stopword-filtered sentences (:mod:`bot.core.bm25`) fused
with semantic search over sentence embeddings (:mod:`bot.core.vectors`, USE multilingual, weights
shipped in a package), so paraphrases and English questions find Dutch passages. A query term
is also expanded with index terms that share a compound part with it and whose word embedding
is close (``coalitieakkoord`` -> ``regeerakkoord``), an English question's words are paired
with the Dutch words of the sentences the embeddings found (``victims`` -> ``slachtoffers``,
:meth:`AskService._translations`), and each candidate's section (an answer
block, a headed part of a letter) is ranked by the share of the question it holds: a third
vote. Around retrieval:

- a question about a letter itself (signatory, recipient, sender, date, subject) is answered
  from its metadata (:meth:`AskService._about_letter`);
- a question naming letters by their sender, recipient or signatory is answered from those
  (:meth:`AskService._named_letters`);
- what the question asks for ranks candidates: the author's requests or concerns (from the
  recommendations), a number, a time, a reason, a yes or no (:mod:`bot.core.ask`);
- a candidate that is itself a question (a member's question kept in answers to parliamentary
  questions, a rhetorical question) gives its place to the sentence that answers it;
- when a Dutch question's content words that no document holds (nor a close relative of them)
  carry a share of it, the answer says that no letter mentions them, before the passages that
  match the rest (:func:`bot.core.ask.asks_for_absent`);
- each passage carries the neighbouring sentences that complete it (``Passage.context``).

Measured (``bench/ask_quality.py``, ``bench/kamervragen.py``, dev and test sets kept apart; see
the README's table). Latency: ``bench/ask_speed.py``.

Embeddings are computed when a letter is added, in a worker thread, and stored
(``sentence_vectors`` + ``derived(kind='vectors', version=<model version>)``); the indexes are
built from the store. Vectors that are missing (a process killed while it embedded, a new model
version) are computed by :meth:`AskService.backfill`, which the ingest runs at its end and the
bot in the background after start, never a question: a question meanwhile is answered from
BM25 and the vectors that exist. :class:`AskService` implements the ``LetterIndex`` protocol of
:mod:`bot.services.catalog`. :meth:`AskService.ask` labels a question with its route (summary,
recommendations, quote); :meth:`AskService.answer` follows the route and returns one
:class:`Reply`, which both adapters render.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Awaitable, Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from bot.core import ask as core
from bot.core import lexicon
from bot.core.bm25 import BM25Index
from bot.core.text import fold
from bot.core.vectors import (
    DenseIndex,
    SentenceEncoder,
    from_blobs,
    in_context,
    model_version,
    to_blob,
)
from bot.services.background import off_the_query_path
from bot.services.catalog import Catalog
from bot.services.index_cache import IndexCache, code_version, diff, manifest, saved_or_built
from bot.services.lazy import LazyIndex
from bot.services.quotes import SLICE, QuoteMatch, QuoteService
from bot.services.recommendations import RecommendationsAnswer, RecommendationService
from bot.services.scope import Scope
from bot.services.summary import Summary, SummaryService
from bot.services.vectors import EMBED_INLINE, ENCODE_AHEAD, VectorProgress
from bot.store import Store
from bot.store.records import LetterRecord, SentenceRecord

log = logging.getLogger(__name__)

CANDIDATES = 50  # per retriever, before fusion
MAX_PASSAGES = 10
ANSWER_PASSAGES = 3  # passages the composed answer is made of
# A question naming at most this many letters is answered from those (and gets all their
# requests scored); names that fit more are searched for in every letter. Measured on the
# written sets (bench/ask_quality.py, all splits, 319 answerable questions): 3 / 5 / 8 / no
# limit: hit@3 186 / 189 / 188 / 177 ("wat wil de minister van X" named 18 letters, and
# restricting the search to them lost the one that answers).
NAMED_MAX = 5
WORD_CACHE = 20_000  # word embeddings kept for query expansion

Mode = Literal["hybrid", "bm25", "dense"]

# One model per process, shared by every AskService (it holds ~100 MB once loaded).
_ENCODER = SentenceEncoder(threads=1)
# The dense scan of a question runs here while its BM25 side runs in the asking thread (the
# scan's arithmetic releases the GIL: at a million sentences they overlap, ~60 and ~40 ms).
_DENSE_POOL = ThreadPoolExecutor(2, thread_name_prefix="briefbot-dense")


@dataclass(frozen=True, slots=True)
class Context:
    """A sentence shown with a passage because it completes it."""

    text: str
    page: int
    sentence: int


@dataclass(frozen=True, slots=True)
class Passage:
    text: str
    score: float  # relevance 0-1 (see bot.core.ask.relevance)
    letter_id: int
    page: int
    sentence: int  # 1-based number within the letter
    # the sentences before and after it that complete it, in letter order (not itself)
    context: tuple[Context, ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    text: str  # the composed answer, or why there is none
    passages: list[Passage] = field(default_factory=list)
    route: core.Route | None = None  # 'summary' | 'recommendations' | 'quote'
    route_arg: str | None = None  # topic, letter or quoted text the route is about
    found: bool = False
    field: core.Field | None = None  # set when answered from a letter's metadata
    letters: tuple[int, ...] = ()  # the letters the question named (answered from these)
    # "aanbevelingen over X" where X is none of the scope's topics: X (the text says so, and
    # names close topics)
    unknown_topic: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A question answered the way it asks: a summary, recommendations or a quote when it
    asks for one (``kind``), else the cited passages (``answer``). ``found``: there is
    something to show (for ``answer``: passages, a letter's metadata, or the note that the
    letters have no such topic). The CLI and the Discord adapter render this, and nothing
    else."""

    kind: Literal["summary", "recommendations", "quote", "answer"]
    answer: Answer
    found: bool
    summary: Summary | None = None
    recommendations: RecommendationsAnswer | None = None
    quotes: tuple[QuoteMatch, ...] = ()


@dataclass(slots=True)
class _Indexes:
    bm25: BM25Index
    dense: DenseIndex


class AskService:
    """Implements the ``LetterIndex`` protocol of :mod:`bot.services.catalog`."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        *,
        summaries: SummaryService,
        recommendations: RecommendationService,
        quotes: QuoteService,
        encoder: SentenceEncoder | None = None,
        indexes: Callable[[], Awaitable[tuple[Any, Any]]] | None = None,
        cache: IndexCache | None = None,
    ) -> None:
        self.store = store
        # the built indexes are saved here and loaded at the next start (None: always built)
        self.cache = cache
        self.catalog = catalog
        self.summaries = summaries
        self.recommendations = recommendations
        self.quotes = quotes
        self.encoder = encoder or _ENCODER
        self.version = model_version()
        # set: the store answers for both indexes (bot.services.search_backend), nothing is
        # built in the process
        self._store_indexes = indexes
        self._indexes = LazyIndex(self._build)
        self._word_cache: dict[str, np.ndarray] = {}  # word -> embedding, oldest first
        self._word_lock = threading.Lock()
        self._names: tuple[tuple[int, int], dict[str, frozenset[int]]] | None = None
        # vectors: letter id -> sentences of the letters still without current vectors (known
        # once ``load`` ran); set when there is work for the vector job
        self._pending_sentences: dict[int, int] = {}
        self.vectors_wanted = asyncio.Event()
        self._backfill_lock: asyncio.Lock | None = None
        # None: a question waits for the indexes however long they take to build (the command
        # line); the bot sets lazy.READY_WAIT: then "still loading, about N s" instead
        self.ready_wait: float | None = None
        self.embedded_sentences = 0  # sentences embedded by this process (for the benches)
        self._workers = 1  # encoding threads of the backfill running now
        self._models: asyncio.Future[None] | None = None  # see prepare()
        self.load_models = True  # False: a process that only builds the index (index_child)

    # ------------------------------------------------------------------ LetterIndex

    async def load(self) -> None:
        """Nothing heavy (the indexes are built by ``warm`` or by the first question): which
        letters still wait for their vectors."""
        await self._find_pending()

    async def _find_pending(self) -> None:
        """The letters whose vectors are missing or of another model version, and the letters
        added here since the index was built whose vectors are not in it yet (another process
        may have stored them: they are then loaded, not computed again)."""
        versions = await self.store.vectors.versions()
        self._pending_sentences = {
            i: rec.sentence_count
            for i, rec in self.catalog.by_id.items()
            if versions.get(i) != self.version or i in self._pending_sentences
        }
        if self._pending_sentences:
            self.vectors_wanted.set()

    def waiting(self) -> frozenset[int]:
        """The letters still waiting for their vectors (from memory)."""
        return frozenset(self._pending_sentences)

    def pending(self) -> VectorProgress:
        """How many letters and sentences still wait for their vectors (from memory)."""
        return VectorProgress.of(
            list(self.catalog.by_id.values()), set(self._pending_sentences), self.version
        )

    async def warm(self) -> None:
        await self._indexes.get()

    async def with_vectors(self) -> frozenset[int]:
        """The letters the semantic index holds (built first if need be)."""
        return (await self._indexes.get()).dense.letters

    async def on_letter_added(self, letter: LetterRecord) -> None:
        """The letter is answerable at once from BM25 (and the quote index); its vectors are
        computed afterwards by :meth:`backfill` (the ingest's end, the bot's vector job), and
        join the dense index when stored."""
        if EMBED_INLINE.get():  # an upload: its vectors now, a failure undoes the add
            records = await self.store.letters.sentences(letter.id)
            vectors = await self._embed_and_store(letter.id, records)
            async with self._indexes.updating() as indexes:
                if indexes is not None:
                    await asyncio.to_thread(self._index_bm25, indexes, letter.id, records)
                    if vectors is not None:
                        await asyncio.to_thread(
                            indexes.dense.add, letter.id, [r.id for r in records],
                            in_context(vectors),
                        )  # fmt: skip
            if vectors is not None:
                self._pending_sentences.pop(letter.id, None)
                return
        else:
            async with self._indexes.updating() as indexes:
                if indexes is not None:
                    records = await self.store.letters.sentences(letter.id)
                    await asyncio.to_thread(self._index_bm25, indexes, letter.id, records)
        self._pending_sentences[letter.id] = letter.sentence_count
        self.vectors_wanted.set()

    async def on_letter_removed(self, letter_id: int) -> None:
        self._pending_sentences.pop(letter_id, None)
        async with self._indexes.updating() as indexes:
            if indexes is not None:
                await asyncio.to_thread(self._unindex_letter, indexes, letter_id)

    # ------------------------------------------------------------------ questions

    async def ask(
        self, question: str, *, scope: Scope, letter: str | None = None, limit: int = 5
    ) -> Answer:
        """Answer ``question`` from the letters ``scope`` may see (or from one ``letter``,
        id or slug: LookupError when that scope cannot see it).

        - A question about a letter itself (who signed it, to whom, when, what about) is
          answered from its metadata (:func:`bot.core.ask.letter_field`).
        - A question that names letters by their sender, recipient or signatory ("de NVVB",
          "the informateur") is answered from those letters only.
        - "aanbevelingen over X" is routed to the recommendations only when X is one of the
          topics the scope has; otherwise the answer says so, names close topics, and gives
          the passages that match the words.

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
        named: tuple[int, ...] = ()
        name_words: tuple[str, ...] = ()
        if letter is not None and str(letter).strip():
            record = self.catalog.resolve(str(letter), scope)
            allowed = (record.id,)
            named = (record.id,)
        else:
            allowed = self.catalog.visible_ids(scope)
            indexes = await self._indexes.get(wait=self.ready_wait)
            named, name_words = await asyncio.to_thread(
                self._named_letters, question, scope, indexes
            )
        field = core.letter_field(question)
        if field is not None and routing.route is None:
            return await self._about_letter(question, field, scope, named)
        close: list[str] | None = None  # set: the question's topic is not one of the scope's
        unknown_topic = routing.arg
        if routing.route == "recommendations" and routing.arg:
            close = await self._unknown_topic(routing.arg, scope)
            if close is not None:
                routing = core.Routing(None)
        passages, absent = await self._passages(
            question,
            allowed=named or allowed,
            limit=limit,
            drop=name_words,
            named=bool(named),
        )
        passages = [p for p in passages if self.catalog.allows(scope, p.letter_id)]
        found = bool(passages)
        cited = [
            core.Cited(
                text=p.text,
                letter_id=p.letter_id,
                letter_title=self._title(p.letter_id),
                page=p.page,
                sentence=p.sentence,
                score=p.score,
                before=tuple(
                    (c.text, c.page, c.sentence) for c in p.context if c.sentence < p.sentence
                ),
                after=tuple(
                    (c.text, c.page, c.sentence) for c in p.context if c.sentence > p.sentence
                ),
            )
            for p in passages[:ANSWER_PASSAGES]
        ]
        text = core.compose(question, cited, found=found, absent=absent)
        if close is not None and unknown_topic:
            note = core.no_such_topic(question, unknown_topic, close, found=found)
            text = f"{note}\n{text}" if found else note
        return Answer(
            text=text,
            passages=passages,
            route=routing.route,
            route_arg=routing.arg,
            found=found,
            letters=named,
            unknown_topic=unknown_topic if close is not None else None,
        )

    async def answer(
        self,
        question: str,
        *,
        scope: Scope,
        summary_length: int | str = "default",
        max_letters: int | None = None,
        quotes: int = 3,
    ) -> Reply:
        """The question answered the way it asks (see :meth:`ask` for the routing): a summary
        ("vat de brief samen", of ``summary_length``), the recommendations on a topic the
        scope has ("aanbevelingen over X", of at most ``max_letters`` letters), the sentence a
        quoted fragment comes from (the best ``quotes``), else the cited passages. An unknown
        topic is never answered with every recommendation: the answer says the letters have no
        such topic and names close ones. Refusals of the routed service (an unknown letter, a
        bad length) are raised as they are."""
        answer = await self.ask(question, scope=scope)
        if answer.route == "summary":
            summary = await self.summaries.summarize(
                scope=scope, topic=answer.route_arg, length=summary_length
            )
            return Reply("summary", answer, bool(summary.sentences), summary=summary)
        if answer.route == "recommendations":
            recs = await self.recommendations.recommendations(
                scope, topic=answer.route_arg, max_letters=max_letters
            )
            return Reply(
                "recommendations", answer, bool(recs.recommendations), recommendations=recs
            )
        if answer.route == "quote" and answer.route_arg:
            matches = await self.quotes.find(answer.route_arg, scope=scope, limit=quotes)
            if matches:
                return Reply("quote", answer, True, quotes=tuple(matches))
        return Reply("answer", answer, answer.found or answer.unknown_topic is not None)

    # ------------------------------------------------------------------ naming letters

    def _named_letters(
        self, question: str, scope: Scope, indexes: _Indexes
    ) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """The letters ``question`` names by sender, recipient or signatory, among those
        ``scope`` sees, and the question's words that named them. ``()`` when it names none,
        or when its names fit every letter the scope sees (then only role words such as
        "minister" are returned, to leave out of the search)."""
        terms = core.name_terms(question)
        if not terms:
            return (), ()
        index = self._name_index()
        visible = self.catalog.visible_ids(scope)
        matched: dict[int, float] = {}
        used: set[str] = set()
        n = max(len(self.catalog.by_id), 1)
        for term in dict.fromkeys(terms):
            if not core.names_by_itself(term, question):
                continue
            owners = index.get(term)
            if not owners:
                continue
            seen = owners if visible is None else owners & visible
            if not seen:
                continue
            total, inside = indexes.bm25.concentration(term, seen)
            if total and inside < core.NAME_CONCENTRATION * total:
                continue  # a word of other letters' text too, not a name
            used.add(term)
            weight = math.log(1 + n / len(owners))
            for lid in seen:
                matched[lid] = matched.get(lid, 0.0) + weight
        if not matched:
            return (), ()
        best = max(matched.values())
        chosen = tuple(sorted(lid for lid, w in matched.items() if w >= best - 1e-9))
        n_visible = len(self.catalog.view(scope).ids)
        # names that fit many letters ("de minister" of every ministry's letter and of every
        # letter to a minister) single none out: the search stays over every letter
        if n_visible > 1 and (
            len(chosen) > max(1, core.NAMED_SHARE * n_visible) or len(chosen) > NAMED_MAX
        ):
            return (), tuple(t for t in used if t in core.ROLES)
        return chosen, tuple(sorted(used))

    def _name_index(self) -> dict[str, frozenset[int]]:
        """Word -> letters whose sender, recipient or signatory holds it (cached per catalog)."""
        by_id = self.catalog.by_id
        key = (len(by_id), max(by_id, default=0))
        cached = self._names
        if cached is not None and cached[0] == key:
            return cached[1]
        index: dict[str, set[int]] = {}
        for rec in list(by_id.values()):
            words = core.name_terms(rec.signatory or "")  # a person's name: every word
            for name in (rec.sender, rec.recipient, rec.recipient_role):
                if name:
                    words += core.organisation_words(name)
            words += core.role_heads(words)
            for word in words:
                index.setdefault(word, set()).add(rec.id)
        frozen = {w: frozenset(ids) for w, ids in index.items()}
        self._names = (key, frozen)
        return frozen

    # ------------------------------------------------------------------ about a letter

    async def _about_letter(
        self, question: str, field: core.Field, scope: Scope, named: tuple[int, ...]
    ) -> Answer:
        """Who signed a letter, to whom it is addressed, who sent it, its date, its subject:
        from the stored metadata, with the letter's citation. The letter is the one the
        question names, else the only one the scope sees, else the most recent one."""
        view = self.catalog.view(scope)
        ids = named or (view.ids if len(view.ids) == 1 else ())
        records = [self.catalog.by_id[i] for i in ids if i in self.catalog.by_id]
        most_recent = False
        if not records and view.newest is not None:
            records, most_recent = [view.newest], True
        if not records:
            return Answer(text=core.compose(question, [], found=False))
        records = records[:3]
        lines = [core.describe(question, field, _meta(r)) for r in records]
        if most_recent and len(view.ids) > 1:
            lines.append(core.most_recent_note(question))
        passages: list[Passage] = []
        if field == "subject":
            for rec in records[:1]:
                summary = await self.summaries.summarize(
                    scope=scope, letter=str(rec.id), length=ANSWER_PASSAGES
                )
                passages += [
                    Passage(s.text, 1.0, s.letter_id, s.page, s.sentence) for s in summary.sentences
                ]
        return Answer(
            text="\n".join(lines),
            passages=passages,
            found=True,
            field=field,
            letters=tuple(r.id for r in records),
        )

    # ------------------------------------------------------------------ topics

    async def _unknown_topic(self, topic: str, scope: Scope) -> list[str] | None:
        """None when ``topic`` is one of the scope's topics (or no topic at all); else the
        names of the closest topics (maybe none)."""
        try:
            await self.recommendations.resolve_topic(topic, scope)
        except LookupError:
            known = await self.recommendations.topics(scope)  # most recommendations first
            pairs = [(t.slug, t.name) for t in known]
            return core.close_topics(topic, pairs) or [name for _, name in pairs[:3]]
        except ValueError:
            return None
        return None

    async def passages(
        self,
        question: str,
        *,
        allowed: Collection[int] | None,
        limit: int = 5,
        drop: Sequence[str] = (),
        named: bool = False,
    ) -> list[Passage]:
        """The relevant passages for ``question`` among ``allowed`` letters (None: all), best
        first, each with the neighbouring sentences that complete it; [] when none is
        relevant enough. ``drop``: words that named the letters (left out of the search when
        the letters' text does not hold them); ``named``: the question named these letters, so
        what it asks of their author (their requests, their concerns) is an answer."""
        found, _ = await self._passages(question, allowed=allowed, limit=limit, drop=drop,
                                        named=named)  # fmt: skip
        return found

    async def _passages(
        self,
        question: str,
        *,
        allowed: Collection[int] | None,
        limit: int,
        drop: Sequence[str],
        named: bool,
    ) -> tuple[list[Passage], tuple[str, ...]]:
        """:meth:`passages`, and the question's words that no letter holds when they carry a
        share of it (:func:`bot.core.ask.asks_for_absent`): the answer says so."""
        if core.problem(question) is not None or (allowed is not None and not allowed):
            return [], ()
        indexes = await self._indexes.get(wait=self.ready_wait)
        kinds = core.request_kinds(question)
        extra: list[tuple[int, int]] = []
        if kinds and named and allowed is not None and len(allowed) <= NAMED_MAX:
            for rec in await self._requests_of(sorted(allowed), kinds):
                extra.append((rec.id, rec.letter_id))
        if kinds:
            drop = (*drop, *core.intent_words(question))
        notes: dict[str, Any] = {}
        candidates = await asyncio.to_thread(
            self._retrieve, indexes, question, allowed, "hybrid", tuple(drop), extra, notes
        )
        absent: tuple[str, ...] = ()
        if core.asks_for_absent(question, notes.get("absent", 0.0)):
            absent = tuple(notes.get("absent_words", ()))
        records: dict[int, SentenceRecord] = {}
        types = core.answer_types(question)
        if candidates:
            records = {
                r.id: r
                for r in await self.store.letters.sentences_by_ids(
                    [c.sentence_id for c in candidates]
                )
            }
            if not core.wants_questions(question):
                candidates = await self._answers_for_questions(candidates, records)
        if types and candidates:
            for c in candidates:
                rec = records.get(c.sentence_id)
                if rec is not None and core.fits_answer_type(rec.text, types):
                    c.fused += core.ANSWER_TYPE_BONUS
            candidates.sort(key=lambda c: (-c.fused, c.sentence_id))
        if kinds and candidates:
            wanted = await self.store.recommendations.list(
                sorted({c.letter_id for c in candidates})
            )
            asks = {(r.letter_id, r.sentence_number): r.kind for r in wanted if r.kind in kinds}
            for c in candidates:
                rec = records.get(c.sentence_id)
                kind = None if rec is None else asks.get((rec.letter_id, rec.number))
                if kind is not None:
                    bonus = core.NAMED_REQUEST_BONUS if named else core.REQUEST_BONUS
                    c.fused += bonus * core.KIND_WEIGHT.get(kind, 0.5)
                    if named:
                        c.relevance = max(c.relevance, core.NAMED_REQUEST_RELEVANCE)
            candidates.sort(key=lambda c: (-c.fused, c.sentence_id))
        # The question is answered when one of its best candidates is relevant enough; then
        # the passages are its best candidates in order, down to those with any evidence.
        if not any(c.relevance >= core.FOUND_AT for c in candidates[: 2 * limit]):
            return [], absent
        chosen = [c for c in candidates if core.has_evidence(c)][:limit]
        missing = [c.sentence_id for c in chosen if c.sentence_id not in records]
        if missing:
            records.update({r.id: r for r in await self.store.letters.sentences_by_ids(missing)})
        out = []
        for c in chosen:
            rec = records.get(c.sentence_id)
            if rec is not None:
                out.append(_passage(rec, c.relevance, await self._context(rec)))
        return out, absent

    async def _answers_for_questions(
        self, candidates: list[core.Candidate], records: dict[int, SentenceRecord]
    ) -> list[core.Candidate]:
        """Each candidate that is itself a question gives its place (score, evidence) to the
        sentence that answers it: the first one after it that is not a question (the answer
        block after a quoted parliamentary question, the sentence after a rhetorical one).
        When that sentence is a candidate already it keeps the better of both; a question
        without such a sentence is dropped. ``records`` gains the sentences found."""
        out: dict[int, core.Candidate] = {}
        for c in candidates:
            rec = records.get(c.sentence_id)
            if rec is None or not core.is_question(rec.text):
                have = out.get(c.sentence_id)
                if have is None:
                    out[c.sentence_id] = c
                elif c.fused > have.fused:
                    _take_evidence(have, c)
                continue
            answer = None
            for step in range(1, core.ANSWER_AFTER + 1):
                nxt = await self.store.letters.sentence(rec.letter_id, rec.number + step)
                if nxt is None:
                    break
                if not core.is_question(nxt.text):
                    answer = nxt
                    break
            if answer is None:
                continue
            records.setdefault(answer.id, answer)
            have = out.get(answer.id)
            if have is None:
                moved = core.Candidate(answer.id, answer.letter_id)
                _take_evidence(moved, c)
                out[answer.id] = moved
            elif c.fused > have.fused:
                _take_evidence(have, c)
        return sorted(out.values(), key=lambda c: (-c.fused, c.sentence_id))

    async def _requests_of(
        self, letter_ids: list[int], kinds: frozenset[str]
    ) -> list[SentenceRecord]:
        """The sentences of the recommendations of ``kinds`` in ``letter_ids``."""
        rows = await self.store.recommendations.list(letter_ids)
        wanted = {(r.letter_id, r.sentence_number) for r in rows if r.kind in kinds}
        out: list[SentenceRecord] = []
        for lid in sorted({w[0] for w in wanted}):
            out += [
                rec
                for rec in await self.store.letters.sentences(lid)
                if (lid, rec.number) in wanted
            ]
        return out

    async def _context(self, rec: SentenceRecord) -> tuple[Context, ...]:
        """The sentence before ``rec`` when ``rec`` leans on it, and the one after when that
        completes it; both only within the same section."""
        out = []
        if rec.number > 1 and core.leans_on_previous(rec.text):
            prev = await self.store.letters.sentence(rec.letter_id, rec.number - 1)
            if prev is not None and prev.section_id == rec.section_id:
                out.append(Context(prev.text, prev.page, prev.number))
        following = await self.store.letters.sentence(rec.letter_id, rec.number + 1)
        if (
            following is not None
            and following.section_id == rec.section_id
            and core.completed_by_next(rec.text, following.text)
        ):
            out.append(Context(following.text, following.page, following.number))
        return tuple(out)

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
        drop: Sequence[str] = (),
        extra: Sequence[tuple[int, int]] = (),
        notes: dict[str, Any] | None = None,
    ) -> list[core.Candidate]:
        """Blocking: embed the question, search both indexes, fuse, score. ``drop``: words to
        leave out of the BM25 query unless the allowed letters' text holds them; ``extra``:
        ``(sentence_id, letter_id)`` to score as candidates too; ``notes``: filled with
        ``absent``, the share of the question's idf mass in words no document holds
        (:func:`bot.core.ask.absent_share`), and ``absent_words``, those words."""
        # the encoder's tokenizer needs valid UTF-8: a lone surrogate becomes "?"
        question = question.encode("utf-8", "replace").decode("utf-8")
        terms_text = core.search_text(question)
        if drop:
            intent = core.intent_words(question)
            gone = {
                w
                for w in drop
                if w in core.ROLES
                or w in intent
                or not indexes.bm25.search(w, 1, letter_ids=allowed)
            }
            terms_text = " ".join(w for w in terms_text.split() if w not in gone)
        vecs = self.encoder.encode([question, terms_text or question])
        qvec = vecs[0] + vecs[1]
        norm = float(np.linalg.norm(qvec))
        qvec = qvec / norm if norm else qvec
        bm: list = []
        dense: list = []
        expansions: dict[str, list[tuple[str, float]]] = {}
        scan = None
        if mode != "bm25":
            scan = _DENSE_POOL.submit(indexes.dense.search, qvec, CANDIDATES, letter_ids=allowed)
        english = core.language(question) == "en"
        if terms_text and mode != "dense":
            expansions = self._expansions(indexes.bm25, terms_text)
            if english and scan is not None:
                dense = scan.result()
            if english and dense:
                for term, alts in self._translations(indexes.bm25, terms_text, dense).items():
                    expansions.setdefault(term, []).extend(alts)
            bm = indexes.bm25.search(
                terms_text, CANDIDATES, letter_ids=allowed, expansions=expansions
            )
            if notes is not None:
                share, words = _absent_share(indexes.bm25, terms_text, expansions, allowed)
                notes["absent"], notes["absent_words"] = share, words
        if scan is not None:
            dense = scan.result()
        fused = core.fuse(
            [(h.sentence_id, h.letter_id, h.score, h.coverage) for h in bm],
            [(h.sentence_id, h.letter_id, h.score) for h in dense],
            w_bm25=core.bm25_weight(question),
        )
        if mode == "hybrid" and fused and core.W_SECTION:
            self._add_section_evidence(indexes, terms_text, fused, expansions)
            fused.sort(key=lambda c: (-c.fused, c.sentence_id))
        fused = fused[: 2 * MAX_PASSAGES]
        have = {c.sentence_id for c in fused}
        for sid, lid in extra:
            if sid not in have:
                have.add(sid)
                fused.append(core.Candidate(sid, lid))
        missing = [c for c in fused if c.cosine is None]
        if missing and mode == "hybrid":
            sims = indexes.dense.similarity(qvec, [(c.sentence_id, c.letter_id) for c in missing])
            for c, sim in zip(missing, sims, strict=True):
                c.cosine = sim
        for c in fused:
            c.relevance = core.relevance(c.cosine, c.coverage)
        return fused

    @staticmethod
    def _add_section_evidence(
        indexes: _Indexes,
        terms_text: str,
        fused: list[core.Candidate],
        expansions: dict[str, list[tuple[str, float]]],
    ) -> None:
        """Rank the candidates' sections (an answer block, a headed part of a letter) by the
        share of the question's terms they hold, and add that rank to each candidate's fused
        score: the sentence that answers is found through the block that answers."""
        if not terms_text:
            return
        pairs = [(c.sentence_id, c.letter_id) for c in fused]
        coverage, section_ids = indexes.bm25.section_coverage(
            terms_text, pairs, expansions=expansions
        )
        keys = [
            None if sec is None else (c.letter_id, sec)
            for c, sec in zip(fused, section_ids, strict=True)
        ]
        for c, cov in zip(fused, coverage, strict=True):
            c.section_coverage = cov
        best: dict[tuple[int, int], float] = {}
        for key, cov in zip(keys, coverage, strict=True):
            if key is not None and cov > 0:
                best[key] = max(best.get(key, 0.0), cov)
        rank = {key: r for r, key in enumerate(sorted(best, key=lambda k: -best[k]))}
        for c, key in zip(fused, keys, strict=True):
            if key in rank:
                c.fused += core.W_SECTION / (core.RRF_K + rank[key] + 1)

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

    def _translations(
        self, bm25: BM25Index, text: str, dense: Sequence
    ) -> dict[str, list[tuple[str, float]]]:
        """Dutch index terms for the English words of a question: the words of the sentences
        the embeddings found (they are multilingual) whose word embedding is close to an
        English word's (``victims`` ~ ``slachtoffers`` 0.95, ``housing`` ~ ``huisvesting``
        0.76; unrelated words < 0.55): BM25 then matches a Dutch passage by its words."""
        english = [w for w in dict.fromkeys(fold(text).split()) if core.is_english_word(w)]
        if not english:
            return {}
        pool = bm25.sentence_terms(
            [(h.sentence_id, h.letter_id) for h in dense[: core.TRANSLATE_FROM]]
        )
        n = max(len(bm25), 1)
        # words in more than a tenth of the sentences are no one's translation; of the others
        # the most frequent are kept (each is embedded once, then cached)
        common = max(3, n // 10)
        kept = sorted(((-df, t) for t, df in pool.items() if df <= common))
        pool = {t: -neg for neg, t in kept[: core.TRANSLATE_POOL]}
        if not pool:
            return {}
        surfaces = {bm25.surface(t): t for t in pool}
        vectors = self._word_vectors(sorted(set(english) | set(surfaces)))
        names = list(surfaces)
        matrix = np.stack([vectors[w] for w in names])
        out: dict[str, list[tuple[str, float]]] = {}
        for word in english:
            terms = bm25.query_terms(word)
            if not terms:
                continue
            sims = matrix @ vectors[word]
            best = np.argsort(-sims)[: core.TRANSLATIONS]
            chosen = []
            for i in best.tolist():
                w = core.translation_weight(float(sims[i]))
                if w > 0 and surfaces[names[i]] != terms[0]:
                    chosen.append((surfaces[names[i]], w))
            if chosen:
                out[terms[0]] = chosen
        return out

    def _word_vectors(self, words: list[str]) -> dict[str, np.ndarray]:
        cache = self._word_cache
        with self._word_lock:
            known = {w: cache[w] for w in words if w in cache}
        todo = [w for w in words if w not in known]
        if todo:
            fresh = dict(zip(todo, self.encoder.encode(todo), strict=True))
            with self._word_lock:
                for word, vec in fresh.items():
                    if len(cache) >= WORD_CACHE:
                        cache.pop(next(iter(cache)))
                    cache[word] = vec
            known.update(fresh)
        return known

    # ------------------------------------------------------------------ building

    async def backfill(
        self, *, workers: int = 1, on_letter: Callable[[VectorProgress], None] | None = None
    ) -> int:
        """Embed and store the vectors of the letters that have none (or of another model
        version): the ingest leaves them to this, which the bot runs in the background (its
        vector job), the command line after an ingest, never a question. Letters are done in
        the order they were added; each joins the built index as soon as its vectors are
        stored; a letter added meanwhile is done in the same run. One run at a time.
        ``workers``: threads that encode at once (the command line uses every core; the bot
        keeps one for its answers). ``on_letter`` hears the progress after each letter.
        Returns how many letters were embedded."""
        if self._backfill_lock is None:
            self._backfill_lock = asyncio.Lock()
        async with self._backfill_lock:
            self._workers = workers
            try:
                done = await self._backfill(on_letter)
            finally:
                self._workers = 1
                self.encoder.close()  # no thread outlives the work (a process that forks)
        if done:
            log.debug("embedded the sentences of %d letters", done)
        return done

    async def _backfill(self, on_letter: Callable[[VectorProgress], None] | None) -> int:
        self.vectors_wanted.clear()
        await self._find_pending()
        self.vectors_wanted.clear()
        done = 0
        todo = sorted(self._pending_sentences, reverse=True)  # oldest letter last: popped
        stored = await self.store.vectors.versions()  # what other processes computed already
        ahead: dict[int, tuple[list[SentenceRecord], np.ndarray]] = {}  # encoded, not stored
        while todo:
            letter_id = todo.pop()
            if not todo:  # letters added meanwhile are done in this run too
                todo = sorted(set(self._pending_sentences) - {letter_id}, reverse=True)
                if todo:
                    stored = await self.store.vectors.versions()
            if letter_id not in self.catalog.by_id:  # removed meanwhile
                self._pending_sentences.pop(letter_id, None)
                continue
            if letter_id not in self._pending_sentences:
                continue
            records, computed = ahead.pop(letter_id, (None, None))
            if records is None:
                records = await self.store.letters.sentences(letter_id)
            vectors = None
            if computed is None and stored.get(letter_id) == self.version:
                vectors = await self._stored_vectors(letter_id, records)
            if vectors is None:
                if computed is None:  # this letter and the next few, encoded in one go
                    ahead = await self._encode_ahead(letter_id, records, todo, stored)
                    computed = ahead.pop(letter_id)[1]
                vectors = await self._embed_and_store(letter_id, records, computed)
                if vectors is not None:
                    done += 1
                    self.embedded_sentences += len(records)
            if vectors is not None:
                async with self._indexes.updating() as indexes:
                    if indexes is not None and letter_id in self.catalog.by_id:
                        await asyncio.to_thread(
                            indexes.dense.add,
                            letter_id,
                            [r.id for r in records],
                            in_context(vectors),
                        )
            self._pending_sentences.pop(letter_id, None)
            if on_letter is not None:
                on_letter(self.pending())
        return done

    async def _stored_vectors(
        self, letter_id: int, records: Sequence[SentenceRecord]
    ) -> np.ndarray | None:
        """The letter's vectors when another process (a bot sharing the store, ``briefbot
        ingest``) stored them already for this model version: loaded, not computed again."""
        stored = await self.store.vectors.for_letter(letter_id)
        if [v.sentence_id for v in stored] != [r.id for r in records]:
            return None  # incomplete or stale: computed again
        return await off_the_query_path(from_blobs, [v.vector for v in stored])

    async def _encode_ahead(
        self,
        letter_id: int,
        records: list[SentenceRecord],
        todo: list[int],
        stored: dict[int, str],
    ) -> dict[int, tuple[list[SentenceRecord], np.ndarray]]:
        """The vectors of ``letter_id`` and of the letters next in ``todo`` (popped from its
        end) that wait too, up to :data:`ENCODE_AHEAD` sentences, encoded in one call: the
        threads stay busy to the end of a batch instead of a letter, and a sentence several
        letters share is encoded once. Nothing is stored here (the caller stores each letter
        when its turn comes, so a letter removed meanwhile is skipped as before)."""
        group = [(letter_id, records)]
        size = len(records)
        for next_id in reversed(todo):
            if size >= ENCODE_AHEAD:
                break
            if (
                next_id not in self._pending_sentences
                or next_id not in self.catalog.by_id
                or stored.get(next_id) == self.version
            ):
                continue
            more = await self.store.letters.sentences(next_id)
            group.append((next_id, more))
            size += len(more)
        texts = [r.text for _, rs in group for r in rs]
        vectors = await off_the_query_path(self.encoder.encode, texts, workers=self._workers)
        out: dict[int, tuple[list[SentenceRecord], np.ndarray]] = {}
        start = 0
        for lid, rs in group:
            out[lid] = (rs, vectors[start : start + len(rs)])
            start += len(rs)
        return out

    async def _embed_and_store(
        self,
        letter_id: int,
        records: Sequence[SentenceRecord],
        vectors: np.ndarray | None = None,
    ) -> np.ndarray | None:
        if vectors is None:
            vectors = await off_the_query_path(
                self.encoder.encode, [r.text for r in records], workers=self._workers
            )
        blobs = await off_the_query_path(lambda: [to_blob(v) for v in vectors])
        stored = await self.store.vectors.replace(
            letter_id,
            [(r.id, b) for r, b in zip(records, blobs, strict=True)],
            version=self.version,
        )
        return vectors if stored else None

    async def _build(self) -> _Indexes:
        # the word lists and the model questions are embedded with load meanwhile, in a thread
        # of their own (quote lookups are not queued behind them); a question hears "still
        # loading" until they are there, instead of waiting for them past Discord's limit
        models = self.prepare() if self.load_models else None
        if self._store_indexes is not None:  # the store finds the candidates: nothing to build
            bm25, dense = await self._store_indexes()
            indexes = _Indexes(bm25, dense)
        else:
            indexes = await self._build_indexes()
        if models is not None:
            await models
        return indexes

    def prepare(self) -> asyncio.Future[None]:
        """Start loading the word lists and the question model, once, in a thread of their own
        (the bot's start does this first; the question index waits for it)."""
        if self._models is None:
            pool = ThreadPoolExecutor(1, thread_name_prefix="briefbot-model")
            self._models = asyncio.get_running_loop().run_in_executor(pool, self._prepare_models)
            self._models.add_done_callback(lambda _: pool.shutdown(wait=False))
        return self._models

    def _prepare_models(self) -> None:
        try:
            lexicon.warm_up()
            load = getattr(self.encoder, "load", None)
            if load is not None:
                load()
        except Exception:  # the first question loads (and reports) it again
            log.exception("loading the question models failed")

    async def _build_indexes(self) -> _Indexes:
        total = sum(r.sentence_count for r in list(self.catalog.by_id.values()))
        return await saved_or_built(
            self.cache, "ask", total, load=self._load_saved, build=self._build_and_save,
            progress=self._indexes.advance,
        )  # fmt: skip

    async def _build_and_save(self) -> _Indexes:
        indexes = await self._build_from_store()
        if self.cache is not None and self.cache.enabled:
            self.cache.spawn(self.save())
        return indexes

    # ------------------------------------------------------------------ saved copy

    def _cache_key(self) -> dict[str, object]:
        modules = ("bot.core.bm25", "bot.core.text", "bot.core.vocabulary", "bot.core.vectors")
        return {
            "index": "ask",
            "code": code_version(*modules),
            "model": self.version,
            "schema": self.store.schema_version,
        }

    async def save(self) -> None:
        """Save the built indexes (the next start loads them); nothing when not built."""
        cache = self.cache
        if cache is None or not cache.enabled:
            return
        async with self._indexes.updating() as indexes:
            if indexes is None:
                return
            b_arrays, b_blobs, b_meta = await asyncio.to_thread(indexes.bm25.export_state)
            d_arrays, _, d_meta = await asyncio.to_thread(indexes.dense.export_state)
            by_id = dict(self.catalog.by_id)
            letters = await asyncio.to_thread(manifest, indexes.bm25.letters, by_id)
            dense_letters = await asyncio.to_thread(manifest, d_meta.pop("letters"), by_id)  # type: ignore[arg-type]
        arrays = {f"bm25.{k}": v for k, v in b_arrays.items()}
        arrays |= {f"dense.{k}": v for k, v in d_arrays.items()}
        arrays["dense.letters"] = dense_letters
        meta = {"bm25": b_meta, "dense": d_meta, "letters": len(letters),
                "rows": b_meta["rows"]}  # fmt: skip
        blobs = {f"bm25.{k}": v for k, v in b_blobs.items()}
        await asyncio.to_thread(cache.save, "ask", self._cache_key(), arrays, blobs, meta, letters)

    async def _load_saved(self) -> _Indexes | None:
        """The indexes as last saved, with what changed in the store since: letters deleted
        are dropped, letters stored are added (their sentences to BM25, their stored vectors to
        the dense index); None when there is no usable saved copy or so much changed that
        building them again is quicker."""
        cache = self.cache
        if cache is None or not cache.enabled:
            return None
        snap = await asyncio.to_thread(cache.load, "ask", self._cache_key())
        if snap is None:
            return None

        def restore() -> _Indexes:
            part = {k[5:]: v for k, v in snap.arrays.items() if k.startswith("bm25.")}
            blobs = {k[5:]: v for k, v in snap.blobs.items() if k.startswith("bm25.")}
            bm25 = BM25Index.from_state(part, blobs, snap.meta["meta"]["bm25"])
            part = {k[6:]: v for k, v in snap.arrays.items() if k.startswith("dense.")}
            meta = dict(snap.meta["meta"]["dense"])
            meta["letters"] = np.asarray(part["letters"])[:, 0].tolist()
            return _Indexes(bm25, DenseIndex.from_state(part, meta))

        try:
            indexes = await asyncio.to_thread(restore)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            cache.last_load["ask"] = "corrupt"
            log.warning("ask indexes: saved copy %s unusable (%s); building them from the store",
                        snap.folder, exc)  # fmt: skip
            return None
        self._indexes.advance(0.4)
        by_id = dict(self.catalog.by_id)
        words = await asyncio.to_thread(diff, snap.letters, by_id)
        meaning = await asyncio.to_thread(diff, np.asarray(snap.arrays["dense.letters"]), by_id)
        adding = sum(by_id[i].sentence_count for i in words.add if i in by_id)
        if adding > max(50_000, len(indexes.bm25)):
            cache.last_load["ask"] = "rebuilt"
            log.info("ask indexes: %d sentences stored since they were saved; building again",
                     adding)  # fmt: skip
            return None
        for lid in words.drop:
            await asyncio.to_thread(indexes.bm25.remove_letter, lid)
        for lid in meaning.drop:
            await asyncio.to_thread(indexes.dense.remove_letter, lid)
        batch: list[tuple[int, list[tuple[int, str, int]]]] = []
        for lid in words.add:
            records = await self.store.letters.sentences(lid)
            batch.append((lid, [(r.id, r.text, r.section_id) for r in records]))
            if sum(len(rows) for _, rows in batch) >= 20_000:
                await asyncio.to_thread(_add_bm25, indexes.bm25, batch)
                batch = []
        await asyncio.to_thread(_add_bm25, indexes.bm25, batch)
        if words.add or words.drop:
            await asyncio.to_thread(indexes.bm25.flush)  # as a build: one segment, same scores
        self._indexes.advance(0.7)
        stored = await self.store.vectors.versions()
        vectors_added = 0
        for lid in meaning.add:
            if lid not in stored:
                continue  # none yet: the vector job computes them
            part = await self.store.vectors.for_letter(lid)
            await asyncio.to_thread(_add_dense, indexes.dense, part, set(by_id))
            vectors_added += 1
        if vectors_added or meaning.drop:
            await asyncio.to_thread(indexes.dense.optimize)
        log.info(
            "ask indexes loaded from %s: %d sentences, %d vectors (%d letters added since, "
            "%d dropped)", snap.folder, len(indexes.bm25), len(indexes.dense), len(words.add),
            len(words.drop),
        )  # fmt: skip
        if adding + len(words.drop) + vectors_added > max(1000, len(indexes.bm25) // 20):
            cache.spawn(self.save())
        return indexes

    async def _build_from_store(self) -> _Indexes:
        indexes = _Indexes(BM25Index(), DenseIndex())
        known = set(self.catalog.by_id)
        # BM25 from the sentences, one letter at a time (ids are in letter order)
        pending: list[tuple[int, str, int]] = []
        current: int | None = None
        batch: list[tuple[int, list[tuple[int, str, int]]]] = []
        n_batch = 0
        total = max(1, sum(r.sentence_count for r in list(self.catalog.by_id.values())))
        seen = 0
        async for rec in self.store.letters.iter_all_sentences(batch=5000):
            seen += 1
            if seen % SLICE == 0:  # the event loop gets a turn every few milliseconds
                await asyncio.sleep(0)
            if rec.letter_id != current:
                if current is not None and current in known:
                    batch.append((current, pending))
                    n_batch += len(pending)
                current, pending = rec.letter_id, []
                if n_batch >= 20_000:
                    await asyncio.to_thread(_add_bm25, indexes.bm25, batch)
                    batch, n_batch = [], 0
                    self._indexes.advance(0.5 * seen / total)
            pending.append((rec.id, rec.text, rec.section_id))
        if current is not None and current in known:
            batch.append((current, pending))
        await asyncio.to_thread(_add_bm25, indexes.bm25, batch)
        await asyncio.to_thread(indexes.bm25.flush)
        self._indexes.advance(0.6)
        # dense from the stored vectors
        indexes.dense.reserve(await self.store.vectors.count())
        carry: list = []
        done = 0
        async for fetched in self.store.vectors.iter_all(batch=1000):
            done += len(fetched)
            self._indexes.advance(0.6 + 0.3 * done / total)
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
    def _index_bm25(indexes: _Indexes, letter_id: int, records: Sequence[SentenceRecord]) -> None:
        indexes.bm25.add(
            letter_id, [(r.id, r.text) for r in records], [r.section_id for r in records]
        )

    @staticmethod
    def _unindex_letter(indexes: _Indexes, letter_id: int) -> None:
        indexes.bm25.remove_letter(letter_id)
        indexes.dense.remove_letter(letter_id)

    # ------------------------------------------------------------------ scope

    def _title(self, letter_id: int) -> str:
        rec = self.catalog.by_id.get(letter_id)
        return rec.title if rec is not None else f"brief {letter_id}"


def _passage(rec: SentenceRecord, score: float, context: tuple[Context, ...] = ()) -> Passage:
    return Passage(
        text=rec.text,
        score=round(float(score), 3),
        letter_id=rec.letter_id,
        page=rec.page,
        sentence=rec.number,
        context=context,
    )


def _meta(rec: LetterRecord) -> core.LetterMeta:
    return core.LetterMeta(
        id=rec.id,
        title=rec.title,
        sender=rec.sender,
        signatory=rec.signatory,
        recipient=rec.recipient,
        recipient_role=rec.recipient_role,
        date=rec.date,
        subject=rec.subject,
        pages=rec.pages,
    )


def _take_evidence(into: core.Candidate, other: core.Candidate) -> None:
    """``into`` takes the better of its own and ``other``'s score and evidence."""
    into.fused = max(into.fused, other.fused)
    into.relevance = max(into.relevance, other.relevance)
    into.coverage = max(into.coverage, other.coverage)
    into.section_coverage = max(into.section_coverage, other.section_coverage)
    if other.cosine is not None:
        into.cosine = max(into.cosine or 0.0, other.cosine)
    if into.bm25_rank is None or (other.bm25_rank is not None and other.bm25_rank < into.bm25_rank):
        into.bm25_rank = other.bm25_rank
    if into.dense_rank is None or (
        other.dense_rank is not None and other.dense_rank < into.dense_rank
    ):
        into.dense_rank = other.dense_rank


def _absent_share(
    bm25: BM25Index,
    text: str,
    expansions: dict[str, list[tuple[str, float]]],
    allowed: Collection[int] | None = None,
) -> tuple[float, tuple[str, ...]]:
    """The share of the idf mass of ``text``'s terms in words no sentence of the ``allowed``
    letters (None: all) holds and that have no close relative among the index terms
    (:func:`bot.core.ask.counts_as_absent`), and those words. (Within the scope: whether a
    letter the asker cannot see holds a word is not told.)"""
    n = max(len(bm25), 1)
    seen: dict[str, tuple[float, bool]] = {}
    words: list[str] = []
    for word in dict.fromkeys(text.split()):
        for term in bm25.query_terms(word)[:1]:
            if term in seen:
                continue
            df = bm25.df(term)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            seen_df = df if allowed is None or not df else bm25.concentration(word, allowed)[1]
            relatives = [w for _, w in expansions.get(term, ())]
            absent = core.counts_as_absent(word, term, seen_df, relatives)
            if absent and _said_apart(bm25, word, allowed):
                absent = False
            seen[term] = (idf, absent)
            if absent:
                words.append(word)
    return core.absent_share(list(seen.values())), tuple(words)


def _said_apart(bm25: BM25Index, word: str, allowed: Collection[int] | None = None) -> bool:
    """Does one indexed sentence hold both parts of the compound ``word`` ("gastgegevens":
    "de gegevens van gasten")? Then the documents speak of it, in other words."""
    searched = 0
    for head, tail in core.compound_splits(word):
        query = f"{head} {tail}"
        terms = bm25.query_terms(query)
        if len(terms) < 2 or not all(bm25.df(t) for t in terms):
            continue
        hits = bm25.search(query, 1, letter_ids=allowed)
        if hits and hits[0].coverage >= 0.999:
            return True
        searched += 1
        if searched >= core.COMPOUND_SEARCHES:  # a search costs milliseconds at 1M sentences
            break
    return False


def _add_bm25(index: BM25Index, letters: list[tuple[int, list[tuple[int, str, int]]]]) -> None:
    for letter_id, rows in letters:
        index.add(letter_id, [(sid, text) for sid, text, _ in rows], [sec for _, _, sec in rows])


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
