"""Recommendations per topic, and the topics of the letters.

When a letter is added, :class:`RecommendationService` finds every recommendation, request,
plea, requirement and concern of its author (:mod:`bot.core.recommend`), the letter's topics and
each recommendation's topics (:mod:`bot.core.topics`), and stores them in one transaction with
the analyser version (``derived`` kind ``recommendations``). Letters stored before, or by an
older analyser, are analysed again by :meth:`RecommendationService.load`.

Queries read the store; the topic catalogue (which letter has which topics, and how many
recommendations on each) is kept in memory, so that :meth:`RecommendationService.suggest_topics`
answers Discord autocomplete without touching the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

from bot.core.errors import Refused
from bot.core.models import ParsedLetter
from bot.core.recommend import RECOMMEND_VERSION, author_of, classify_all
from bot.core.summarize import is_debris
from bot.core.text import fold
from bot.core.topics import (
    THEMES,
    TOPICS_VERSION,
    TopicNotFound,
    TopicRef,
    TopicSentence,
    clean_query,
    close_topics,
    extract_topics,
    fts_expression,
    resolve_topic,
    sentence_topics,
    slugify,
    synonyms_of,
    topic_keys,
    word_stems,
)
from bot.services.background import off_the_query_path
from bot.services.catalog import Catalog
from bot.services.scope import Scope
from bot.store import InvalidQueryError, Store
from bot.store.records import LetterRecord, RecommendationRow, SentenceRecord, TopicRow

log = logging.getLogger(__name__)

__all__ = [
    "PREPARED",
    "VERSION",
    "Recommendation",
    "RecommendationService",
    "RecommendationsAnswer",
    "TopicCount",
    "TopicMatch",
    "TopicNotFound",
    "analyse_letter",
    "analyse_parsed",
    "analysis_key",
]

VERSION = f"rec{RECOMMEND_VERSION}-top{TOPICS_VERSION}"
MAX_TOPIC_CHARS = 200
MAX_WORD_HITS = 5000  # sentences read for a topic found only as words
INLINE_TOPIC_LETTERS = 500  # up to this many letters, a scope's topic list is made on the spot


def _log_failure(job: asyncio.Future[object]) -> None:
    if not job.cancelled() and job.exception() is not None:
        log.error("computing topics failed", exc_info=job.exception())


@dataclass(frozen=True, slots=True)
class Recommendation:
    text: str
    kind: str  # request, advice, plea, requirement, concern
    topics: list[str]  # slugs; the first is the primary topic
    letter_id: int
    page: int
    sentence: int
    cue: str | None = None
    section_heading: str | None = None


@dataclass(frozen=True, slots=True)
class TopicCount:
    slug: str
    name: str
    recommendations: int


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """What a user's topic resolved to.

    ``by`` is ``"topic"`` for one of the letters' topics, ``"words"`` when no topic has that
    name but sentences hold its words (``stems``): then ``slug`` is made from the query and
    ``name`` is the query as typed, and the answer is what mentions those words."""

    slug: str
    name: str
    by: str = "topic"  # "topic" or "words"
    stems: tuple[str, ...] = ()


@dataclass(slots=True)
class RecommendationsAnswer:
    topic: str | None  # the resolved topic slug, None when no topic was asked
    recommendations: list[Recommendation] = field(default_factory=list)
    topic_names: dict[str, str] = field(default_factory=dict)  # slug -> Dutch name
    letters_total: int = 0  # the letters in scope (and the ``letter`` asked for)
    letters_searched: int = 0  # fewer than letters_total when ``max_letters`` cut them
    # "topic": ``topic`` is one of the letters' topics; "words": no topic has that name, and
    # these are the recommendations that hold its words (adapters should say so)
    matched_by: str = "topic"
    # with a topic and no recommendations on it: how many sentences mention it all the same
    mentions: int | None = None

    def name(self, slug: str) -> str:
        return self.topic_names.get(slug, slug.replace("-", " "))

    def grouped(self) -> list[tuple[TopicCount, list[Recommendation]]]:
        """The recommendations grouped for display, each shown once: under the asked topic,
        or else under its primary topic; groups in the order they first appear."""
        groups: dict[str, list[Recommendation]] = {}
        for rec in self.recommendations:
            slug = self.topic or (rec.topics[0] if rec.topics else "overig")
            groups.setdefault(slug, []).append(rec)
        return [
            (TopicCount(slug, self.name(slug), len(recs)), recs) for slug, recs in groups.items()
        ]


# --------------------------------------------------------------------------- the analysis (pure)


def analyse_letter(
    sentences: Sequence[SentenceRecord], subject: str | None, sender: str | None = None
) -> tuple[list[TopicRow], list[RecommendationRow]]:
    """A letter's topics and recommendations. CPU work: run it in a thread.

    The author is who the letter says it is (``sender``, and how its text names itself):
    "wij adviseren", "de Raad beveelt aan" and "het college verzoekt" count when the Raad or
    the college wrote the letter."""
    ts = [TopicSentence(s.number, s.text, s.section_id, s.section_heading) for s in sentences]
    author = author_of(sender, [s.text for s in sentences])
    letter_topics = extract_topics(ts, subject, exclude=(*author.names, sender or ""))
    found = classify_all(
        [s.text for s in sentences], author, [s.section_heading for s in sentences]
    )
    cues = {
        s.number: cue
        for s, cue in zip(sentences, found, strict=True)
        if cue is not None and not is_debris(s.text)
    }
    per_sentence = sentence_topics(ts, letter_topics, cues)
    rows = [
        RecommendationRow(n, cues[n].kind, cues[n].cue, tuple(per_sentence.get(n, ())))
        for n in sorted(cues)
    ]
    topics = [TopicRow(t.slug, t.name, round(t.weight, 4)) for t in letter_topics.topics]
    known = {t.slug for t in topics}
    theme_names = {t.slug: t.name for t in THEMES}
    for row in rows:
        for slug in row.topics:
            if slug not in known:
                known.add(slug)
                topics.append(TopicRow(slug, theme_names.get(slug, slug.replace("-", " ")), 0.0))
    return topics, rows


Analysis = tuple[list[TopicRow], list[RecommendationRow]]

#: Analyses computed ahead, where the letter was read (an ingest's reading processes), by
#: :func:`analysis_key`: the letter service sets it around an ingest, and adding a letter takes
#: the analysis from here when its stored sentences give the same key, instead of computing it
#: again on this process.
PREPARED: ContextVar[dict[str, Analysis] | None] = ContextVar(
    "briefbot_prepared_analysis", default=None
)


def analysis_key(
    sentences: Sequence[SentenceRecord], subject: str | None, sender: str | None
) -> str:
    """What :func:`analyse_letter` reads of a letter, as a digest: the sentences' numbers,
    texts and headings, which sentences share a section (sections renumbered by first
    appearance: the analysis only compares them), the subject and the sender."""
    rank: dict[int, int] = {}
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((subject, sender)).encode("utf-8", "surrogatepass"))
    for s in sentences:
        section = rank.setdefault(s.section_id, len(rank))
        h.update(
            repr((s.number, section, s.section_heading, s.text)).encode("utf-8", "surrogatepass")
        )
    return h.hexdigest()


def analyse_parsed(parsed: ParsedLetter) -> tuple[str, Analysis]:
    """:func:`analyse_letter` of a parsed letter as it will be stored, with its
    :func:`analysis_key` (run where the letter is read: a reading process)."""
    records = [
        SentenceRecord(
            id=s.number,
            letter_id=0,
            number=s.number,
            section_id=s.section,
            section_heading=parsed.sections[s.section].heading
            if 0 <= s.section < len(parsed.sections)
            else None,
            page=s.page,
            start_offset=s.start,
            end_offset=s.end,
            text=s.text,
            original=s.original,
            norm=s.norm,
        )
        for s in parsed.sentences
    ]
    subject, sender = parsed.metadata.subject, parsed.metadata.sender
    return analysis_key(records, subject, sender), analyse_letter(records, subject, sender)


# --------------------------------------------------------------------------- the service


class RecommendationService:
    def __init__(self, store: Store, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog
        # letter id -> slug -> weight; letter id -> slug -> recommendations; slug -> name
        self._letter_topics: dict[int, dict[str, float]] = {}
        self._counts: dict[int, Counter[str]] = {}
        self._names: dict[str, str] = {}
        self._topic_cache: dict[tuple[int, ...], list[TopicRef]] = {}  # visible letters -> topics
        self._topic_jobs: dict[tuple[int, ...], asyncio.Future[list[TopicRef]]] = {}  # in flight
        self._loaded = False

    # ---- LetterIndex

    async def load(self) -> None:
        """Analyse the letters that lack current derived data, then load the topic catalogue."""
        versions = await self.store.recommendations.versions()
        stale = [lid for lid in sorted(self.catalog.by_id) if versions.get(lid) != VERSION]
        for letter_id in stale:
            await self._derive(self.catalog.by_id[letter_id])
        if stale:
            log.info("analysed recommendations and topics of %d letter(s)", len(stale))
        await self._load_catalogue()

    async def warm(self) -> None:
        if not self._loaded:
            await self._load_catalogue()
        # The topics of the shared letters (every server without letters of its own sees
        # exactly these) and their lookup keys: computed now, not in a user's first command.
        await asyncio.to_thread(self._warm_topics, self._letter_ids(Scope(guild_id=None)))

    def _warm_topics(self, letter_ids: list[int]) -> None:
        for ref in self._visible_topics(letter_ids):
            topic_keys(ref.slug, ref.name)

    async def on_letter_added(self, letter: LetterRecord) -> None:
        if (await self.store.recommendations.versions(letter.id)).get(letter.id) == VERSION:
            # analysed already (by the process that stored it; this one heard of it through
            # the change feed): read what it found instead of doing the work again
            await self._load_letter(letter.id)
        else:
            await self._derive(letter)

    async def on_letter_removed(self, letter_id: int) -> None:
        self._letter_topics.pop(letter_id, None)
        self._topic_cache.clear()
        self._counts.pop(letter_id, None)
        await self.store.recommendations.delete_orphan_topics()

    async def _derive(self, letter: LetterRecord) -> None:
        sentences = await self.store.letters.sentences(letter.id)
        prepared = PREPARED.get()
        ready = None
        if prepared:
            ready = prepared.pop(analysis_key(sentences, letter.subject, letter.sender), None)
        if ready is not None:  # analysed where it was read, from the same sentences
            topics, rows = ready
        else:
            topics, rows = await off_the_query_path(
                analyse_letter, sentences, letter.subject, letter.sender
            )
        stored = await self.store.recommendations.replace(
            letter.id, topics=topics, recommendations=rows, version=VERSION
        )
        if not stored:
            return
        self._letter_topics[letter.id] = {t.slug: t.weight for t in topics}
        self._topic_cache.clear()
        counts: Counter[str] = Counter()
        for row in rows:
            counts.update(set(row.topics))
        self._counts[letter.id] = counts
        for t in topics:
            self._names.setdefault(t.slug, t.name)

    async def _load_letter(self, letter_id: int) -> None:
        weights: dict[str, float] = {}
        for row in await self.store.recommendations.letter_topics(letter_id):
            weights[row.slug] = row.weight
            self._names.setdefault(row.slug, row.name)
        counts: Counter[str] = Counter()
        for c in await self.store.recommendations.topic_counts(letter_id):
            counts[c.slug] = c.recommendations
        self._letter_topics[letter_id] = weights
        self._counts[letter_id] = counts
        self._topic_cache.clear()

    async def _load_catalogue(self) -> None:
        letter_topics: dict[int, dict[str, float]] = defaultdict(dict)
        names: dict[str, str] = {}
        for row in await self.store.recommendations.letter_topics():
            letter_topics[row.letter_id][row.slug] = row.weight
            names[row.slug] = row.name
        counts: dict[int, Counter[str]] = defaultdict(Counter)
        for c in await self.store.recommendations.topic_counts():
            counts[c.letter_id][c.slug] = c.recommendations
        self._letter_topics = dict(letter_topics)
        self._topic_cache.clear()
        self._counts = dict(counts)
        self._names = names
        self._loaded = True

    # ---- scoping

    def _letter_ids(self, scope: Scope) -> list[int]:
        return list(self.catalog.view(scope).ids)

    def _visible_topics(self, letter_ids: Iterable[int]) -> list[TopicRef]:
        key = tuple(letter_ids)
        cached = self._topic_cache.get(key)
        if cached is None:
            cached = self._compute_visible_topics(key)
            if len(self._topic_cache) >= 64:
                self._topic_cache.clear()
            self._topic_cache[key] = cached
        return cached

    def _topics_job(self, letter_ids: list[int]) -> asyncio.Future[list[TopicRef]]:
        """The topics of a new set of letters, computed once off the event loop (a few hundred
        ms at ten thousand letters); concurrent callers share the one job."""
        key = tuple(letter_ids)
        job = self._topic_jobs.get(key)
        if job is None:
            job = asyncio.get_running_loop().run_in_executor(None, self._visible_topics, key)
            self._topic_jobs[key] = job

            def done(j: asyncio.Future[list[TopicRef]]) -> None:
                self._topic_jobs.pop(key, None)
                _log_failure(j)

            job.add_done_callback(done)
        return job

    def _compute_visible_topics(self, letter_ids: Iterable[int]) -> list[TopicRef]:
        slugs: dict[str, float] = {}
        for lid in letter_ids:
            for slug, weight in self._letter_topics.get(lid, {}).items():
                slugs[slug] = max(slugs.get(slug, 0.0), weight) + self._counts.get(
                    lid, Counter()
                ).get(slug, 0)
        ordered = sorted(slugs, key=lambda s: (-slugs[s], s))
        return [TopicRef(s, self._names.get(s, s.replace("-", " "))) for s in ordered]

    async def _letters(self, scope: Scope, letter: str | None) -> list[int]:
        if letter is None:
            return self._letter_ids(scope)
        if not letter.strip():
            raise Refused("name_letter")
        record = self.catalog.resolve(letter[:200], scope)
        return [record.id]

    # ---- queries

    async def resolve_topic(self, topic: str, scope: Scope) -> str:
        """The slug of the topic the user means, among the topics of letters ``scope`` sees.
        ValueError for an empty topic; LookupError, naming close topics, for an unknown one."""
        if not self._loaded:
            await self._load_catalogue()
        if len(topic) > MAX_TOPIC_CHARS * 5:
            raise Refused("topic_too_long")
        if not clean_query(topic):
            raise Refused("name_topic")
        refs = await self._refs(scope)
        slug = resolve_topic(topic, refs)
        if slug is None:
            close = close_topics(topic, refs)
            raise TopicNotFound(topic, close or refs[:5], close=bool(close))
        return slug

    async def match_topic(
        self, topic: str, scope: Scope, letter_ids: Sequence[int] | None = None
    ) -> TopicMatch:
        """The topic a user means, or, when no topic has that name but the letters
        (``letter_ids``, else all ``scope`` sees) hold its words, a match on the words.
        TopicNotFound (a LookupError carrying the close topics and how many sentences mention
        the words) when neither."""
        try:
            slug = await self.resolve_topic(topic, scope)
        except TopicNotFound as missing:
            stems = word_stems(topic)
            ids = self._letter_ids(scope) if letter_ids is None else list(letter_ids)
            if not stems or not await self._sentences_with(stems, ids, limit=1):
                raise
            name = " ".join(topic.split())[:MAX_TOPIC_CHARS]
            slug = slugify(" ".join(stems)) or missing.query
            return TopicMatch(slug, name, "words", stems)
        return TopicMatch(slug, self.topic_name(slug))

    async def _sentences_with(
        self, stems: Sequence[str], letter_ids: Sequence[int], *, limit: int = MAX_WORD_HITS
    ) -> list[int]:
        """Ids of sentences of ``letter_ids`` that hold a word starting with every stem."""
        expr = fts_expression(stems)
        if not expr or not letter_ids:
            return []
        try:
            hits = await self.store.letters.fts_search(
                expr, limit=limit, letter_ids=list(letter_ids)
            )
        except InvalidQueryError:
            return []
        return [sentence_id for sentence_id, _ in hits]

    async def letters_mentioning(
        self, stems: Sequence[str], letter_ids: Sequence[int]
    ) -> Counter[int]:
        """letter id -> how many of its sentences hold the words (of ``letter_ids``)."""
        ids = await self._sentences_with(stems, letter_ids)
        if not ids:
            return Counter()
        return Counter(s.letter_id for s in await self.store.letters.sentences_by_ids(ids))

    async def mentions(self, topic: TopicMatch, letter_ids: Sequence[int]) -> int:
        """How many sentences of ``letter_ids`` mention the topic (its words, or for a topic
        its name and its theme's terms); at most :data:`MAX_WORD_HITS`."""
        if topic.by == "words":
            return len(await self._sentences_with(topic.stems, letter_ids))
        seen: set[int] = set()
        for term in (self.topic_name(topic.slug), *synonyms_of(topic.slug)):
            seen.update(await self._sentences_with(word_stems(term), letter_ids))
            if len(seen) >= MAX_WORD_HITS:
                break
        return len(seen)

    async def recommendations(
        self,
        scope: Scope,
        *,
        topic: str | None = None,
        letter: str | None = None,
        max_letters: int | None = None,
    ) -> RecommendationsAnswer:
        """The recommendations of the letters ``scope`` sees (of one ``letter``, on one
        ``topic``), in letter order. ``max_letters`` keeps only the most recently added
        letters (a chat answer need not hold ten thousand letters' worth)."""
        letter_ids = await self._letters(scope, letter)
        total = len(letter_ids)
        if max_letters is not None and len(letter_ids) > max_letters:
            letter_ids = letter_ids[-max(1, max_letters) :]
        match = await self.match_topic(topic, scope, letter_ids) if topic is not None else None
        slug = match.slug if match else None
        if match is not None and match.by == "words":
            rows = await self._rows_with_words(match.stems, letter_ids)
            if not rows:
                refs = await self._refs(scope)
                close = close_topics(topic or "", refs)
                raise TopicNotFound(
                    topic or "",
                    close or refs[:5],
                    close=bool(close),
                    mentions=await self.mentions(match, letter_ids),
                )
        else:
            rows = await self.store.recommendations.list(letter_ids, topic=slug)

        def build() -> list[Recommendation]:
            return [
                Recommendation(
                    text=r.text,
                    kind=r.kind,
                    topics=list(r.topics),
                    letter_id=r.letter_id,
                    page=r.page,
                    sentence=r.sentence_number,
                    cue=r.cue,
                    section_heading=r.section_heading,
                )
                for r in rows
                if self.catalog.allows(scope, r.letter_id)
            ]

        recs = await asyncio.to_thread(build) if len(rows) > 500 else build()
        names = {s: self._names.get(s, s.replace("-", " ")) for r in recs for s in r.topics}
        answer = RecommendationsAnswer(slug, recs, names, total, len(letter_ids))
        if match is not None:
            names[match.slug] = match.name
            answer.matched_by = match.by
            if not recs:
                answer.mentions = await self.mentions(match, letter_ids)
        return answer

    async def _refs(self, scope: Scope) -> list[TopicRef]:
        letter_ids = self._letter_ids(scope)
        refs = self._topic_cache.get(tuple(letter_ids))
        if refs is None:
            refs = await asyncio.shield(self._topics_job(letter_ids))
        return refs

    async def _rows_with_words(self, stems: Sequence[str], letter_ids: Sequence[int]) -> list:
        """The stored recommendations (of ``letter_ids``) whose sentence holds the words."""
        ids = await self._sentences_with(stems, letter_ids)
        if not ids:
            return []
        sentences = await self.store.letters.sentences_by_ids(ids)
        wanted = {(s.letter_id, s.number) for s in sentences}
        letters = sorted({letter for letter, _ in wanted})
        rows = await self.store.recommendations.list(letters)
        return [r for r in rows if (r.letter_id, r.sentence_number) in wanted]

    async def topics(self, scope: Scope, *, letter: str | None = None) -> list[TopicCount]:
        """The topics of the letters ``scope`` sees (or of one letter), with how many
        recommendations each has there; most recommendations first."""
        if not self._loaded:
            await self._load_catalogue()
        letter_ids = await self._letters(scope, letter)
        counts: Counter[str] = Counter()
        present: set[str] = set()
        for lid in letter_ids:
            present.update(self._letter_topics.get(lid, {}))
            counts.update(self._counts.get(lid, Counter()))
        out = [
            TopicCount(slug, self._names.get(slug, slug.replace("-", " ")), counts.get(slug, 0))
            for slug in present | set(counts)
        ]
        out.sort(key=lambda t: (-t.recommendations, t.name))
        return out

    def topic_name(self, slug: str) -> str:
        return self._names.get(slug, slug.replace("-", " "))

    def topic_terms(self, slug: str) -> tuple[str, ...]:
        """What marks the topic in a sentence: the theme's terms, else its name."""
        return synonyms_of(slug) or (self.topic_name(slug),)

    def letter_topic_weights(self, letter_id: int) -> dict[str, float]:
        return dict(self._letter_topics.get(letter_id, {}))

    def suggest_topics(self, prefix: str, scope: Scope, limit: int = 25) -> list[tuple[str, str]]:
        """(slug, name) of topics for autocomplete, from memory; never raises."""
        try:
            limit = max(0, min(int(limit), 25))
            letter_ids = self._letter_ids(scope)
            refs = self._topic_cache.get(tuple(letter_ids))
            if refs is None and len(letter_ids) > INLINE_TOPIC_LETTERS:
                self._topics_job(letter_ids)  # the next keystroke has them
                return []
            if refs is None:
                refs = self._visible_topics(letter_ids)
            q = fold(prefix[:100]) if prefix else ""
            if not q:
                return [(r.slug, r.name) for r in refs[:limit]]
            first: list[TopicRef] = []
            second: list[TopicRef] = []
            for r in refs:
                keys = [
                    fold(r.name),
                    r.slug.replace("-", " "),
                    *(fold(s) for s in synonyms_of(r.slug)),
                ]
                if any(k.startswith(q) for k in keys):
                    first.append(r)
                elif any(q in k for k in keys) or q in slugify(r.name):
                    second.append(r)
            return [(r.slug, r.name) for r in (first + second)[:limit]]
        except Exception:  # autocomplete must never fail
            log.exception("suggest_topics failed")
            return []
