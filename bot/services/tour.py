"""The first things to try, with examples taken from the letters a user can see (``/help``).

Each example is checked before it is offered: the quote fragment is found again by quote
lookup, and the question is answered by the ask service. What the letters do not support is
left out (the help then shows the command without an example).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.core.recommend import best_first
from bot.services.ask import AskService
from bot.services.catalog import Catalog
from bot.services.quotes import QuoteService
from bot.services.recommendations import RecommendationService
from bot.services.scope import GLOBAL, Scope
from bot.services.summary import Cited, SummaryService

FRAGMENT_WORDS = 5
CANDIDATES = 6  # sentences tried for a fragment, topics tried for a question
CACHE_SIZE = 64
QUESTION = {
    "nl": "Wat zegt de brief over {topic}?",
    "en": "What does the letter say about {topic}?",
}
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True, slots=True)
class Tour:
    """Examples for the three things to try first; None where the letters give none."""

    quote: str | None = None  # a few words of a real sentence, found again by /quote
    topic: str | None = None  # a topic name with recommendations
    question: str | None = None  # a question the letters answer, in the user's language


def fragment_of(text: str, words: int = FRAGMENT_WORDS) -> str | None:
    """A run of ``words`` words of a sentence, as someone half remembers it: the run with the
    most content words that starts and ends on one, nearest the middle."""
    found = _WORD.findall(text)
    if len(found) < words + 2:
        return None
    stop = _stopwords()

    def content(w: str) -> bool:
        return w.lower() not in stop and len(w) > 2

    best: tuple[int, int] | None = None  # (score, start)
    middle = (len(found) - words) / 2
    for start in range(len(found) - words + 1):
        run = found[start : start + words]
        if not (content(run[0]) and content(run[-1])):
            continue
        score = sum(content(w) for w in run) * 100 - abs(start - middle)
        if best is None or score > best[0]:
            best = (int(score), start)
    if best is None:
        return None
    return " ".join(found[best[1] : best[1] + words])


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords("nl"))


class TourService:
    def __init__(
        self,
        catalog: Catalog,
        *,
        recommendations: RecommendationService,
        summaries: SummaryService,
        quotes: QuoteService,
        answers: AskService,
    ) -> None:
        self.catalog = catalog
        self.recommendations = recommendations
        self.summaries = summaries
        self.quotes = quotes
        self.answers = answers
        self._cache: dict[tuple[tuple[int, ...], str], Tour] = {}
        self._lock = asyncio.Lock()

    def cached(self, scope: Scope, lang: str) -> Tour | None:
        """The examples if they are known already (no waiting)."""
        return self._cache.get((self.catalog.view(scope).ids, "nl" if lang == "nl" else "en"))

    async def warm(self) -> None:
        """Compute the examples for the shared letters (what most servers see) in advance."""
        for lang in ("nl", "en"):
            await self.tour(GLOBAL, lang)

    async def tour(self, scope: Scope, lang: str) -> Tour:
        """The examples for ``scope`` in ``lang`` (``nl`` or ``en``); computed once per set of
        visible letters."""
        lang = "nl" if lang == "nl" else "en"
        key = (self.catalog.view(scope).ids, lang)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                cached = await self._make(scope, lang)
                if len(self._cache) >= CACHE_SIZE:
                    self._cache.clear()
                self._cache[key] = cached
        return cached

    async def _make(self, scope: Scope, lang: str) -> Tour:
        newest = self.catalog.view(scope).newest
        if newest is None:
            return Tour()
        topics = await self.recommendations.topics(scope)
        named = [t for t in topics if t.recommendations > 0]
        topic = named[0].name if named else None
        return Tour(
            quote=await self._fragment(scope, newest.id),
            topic=topic,
            question=await self._question(scope, lang, [t.name for t in named]),
        )

    async def _fragment(self, scope: Scope, letter_id: int) -> str | None:
        """Words from the newest letter's strongest recommendation (else its summary) that
        quote lookup finds again."""
        ref = self.catalog.ref(letter_id)  # the number this scope sees, not the row id
        answer = await self.recommendations.recommendations(scope, letter=ref)
        cited = [
            (r.kind, Cited(r.text, r.letter_id, r.page, r.sentence)) for r in answer.recommendations
        ]
        sentences = [c for _, c in best_first(cited)]
        if len(sentences) < CANDIDATES:
            summary = await self.summaries.summarize(scope=scope, letter=ref)
            sentences += [Cited(s.text, s.letter_id, s.page, s.sentence) for s in summary.sentences]
        for c in sentences[:CANDIDATES]:
            fragment = fragment_of(c.text)
            if fragment is None:
                continue
            matches = await self.quotes.find(fragment, scope=scope, limit=1)
            if matches and (matches[0].letter_id, matches[0].sentence) == (c.letter_id, c.sentence):
                return fragment
        return None

    async def _question(self, scope: Scope, lang: str, topics: list[str]) -> str | None:
        """A question about one of the main topics that the letters answer (the second topic
        first, so that the tour shows two topics when it can)."""
        order = topics[1:2] + topics[:1] + topics[2:CANDIDATES]
        for name in order:
            question = QUESTION[lang].format(topic=name)
            answer = await self.answers.ask(question, scope=scope)
            if answer.found and answer.route is None:
                return question
        return None
