"""Summaries of a letter, of one of its sections, or of what it says on a topic.

The key sentences, whole and in letter order, each cited (letter, page, sentence), chosen by
:func:`bot.core.summarize.choose` (TextRank with MMR and genre priors; see docs/summaries.md).

Which letter is summarised:

- ``letter`` given: that letter (an id or slug among those the scope may see);
- ``topic`` without ``letter``: the letter that ``scope`` sees with the greatest weight on the
  topic (the share of its sentences on it, more for a topic in its subject or a heading), the
  most recent one on a tie;
- neither: the most recent letter the scope sees, by the date printed on the letter when it is
  a full date, else by the moment it was added.

With a ``topic``, the summary is of the section whose heading the topic names, else of the
letter's sentences on the topic (those that mention it, and the sections headed by it).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from bot.core.errors import NotFound, Refused
from bot.core.recommend import author_of
from bot.core.summarize import DEFAULT_METHOD, SummarySentence, choose, length_of
from bot.core.text import fold
from bot.core.topics import SentenceTerms, mentions, mentions_words, slugify
from bot.services.catalog import Catalog, recency
from bot.services.recommendations import RecommendationService, TopicMatch
from bot.services.scope import Scope
from bot.store import Store
from bot.store.records import LetterRecord, SentenceRecord

_LEADING_PUNCT = re.compile(r"^[\s,;:.)\]]+")


@dataclass(frozen=True, slots=True)
class Cited:
    text: str
    letter_id: int
    page: int
    sentence: int
    section_heading: str | None = None


@dataclass(slots=True)
class Summary:
    letter: LetterRecord
    sentences: list[Cited] = field(default_factory=list)
    topic: str | None = None  # the resolved topic slug, when a topic was asked
    section: str | None = None  # the heading of the summarised section, when one was
    method: str = DEFAULT_METHOD


def _cite(s: SentenceRecord) -> Cited:
    text = _LEADING_PUNCT.sub("", s.text) or s.text
    return Cited(text, s.letter_id, s.page, s.number, s.section_heading)


def _section_named(sentences: list[SentenceRecord], topic: str) -> str | None:
    """The heading of a section that ``topic`` names (folded equal or a word prefix)."""
    q = fold(topic)
    if not q:
        return None
    headings = list(dict.fromkeys(s.section_heading for s in sentences if s.section_heading))
    for h in headings:
        if fold(h) == q:
            return h
    if len(q) >= 4:
        for h in headings:
            if fold(h).startswith(q) or f" {q}" in f" {fold(h)}":
                return h
    return None


def _choose(
    items: list[SummarySentence], length: int | str, sender: str | None, texts: list[str]
) -> list[int]:
    """The key sentences at the length asked (a named length grows with the document), with
    the author named as the letter names it (``sender``; ``texts``, its sentences). CPU work:
    run it in a thread."""
    return choose(items, length_of(length, items), author=author_of(sender, texts))


class SummaryService:
    def __init__(
        self, store: Store, catalog: Catalog, recommendations: RecommendationService
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.recommendations = recommendations

    async def summarize(
        self,
        *,
        scope: Scope,
        letter: str | None = None,
        topic: str | None = None,
        length: int | str = "default",
    ) -> Summary:
        """Summarise a letter (or a section or topic of it). ``length``: a number of sentences
        (1-20, exact), or ``short``/``default``/``long``, which grow with the document (5 sentences
        by default for a letter of a few pages, up to 10 for a long report; see
        :func:`bot.core.summarize.length_of`). ValueError for a bad length or an empty topic;
        LookupError for a letter or topic the scope does not have (TopicNotFound, with close
        topics, for a topic)."""
        length_of(length)  # a bad length fails before any work
        if topic is not None and not fold(topic[:1000]):
            raise Refused("name_topic")
        if letter is not None and not letter.strip():
            raise Refused("name_letter")

        record: LetterRecord | None = None
        slug: str | None = None
        if letter is not None:
            record = self.catalog.resolve(letter[:200], scope)
        sentences: list[SentenceRecord] = []
        section: str | None = None

        match: TopicMatch | None = None
        if topic is not None and record is not None:
            sentences = await self.store.letters.sentences(record.id)
            section = _section_named(sentences, topic)
            if section is None:
                match = await self.recommendations.match_topic(topic, scope, [record.id])
                slug = match.slug
        elif topic is not None:
            match = await self.recommendations.match_topic(topic, scope)
            slug = match.slug
            visible = list(self.catalog.visible(scope))
            if match.by == "words":
                counts = await self.recommendations.letters_mentioning(
                    match.stems, [r.id for r in visible]
                )
                candidates = [(counts.get(r.id), r) for r in visible]
            else:
                candidates = [
                    (self.recommendations.letter_topic_weights(r.id).get(slug), r) for r in visible
                ]
            weighted = [(w, r) for w, r in candidates if w]
            if not weighted:
                raise NotFound("no_letter_about", topic=repr(match.name))
            record = max(weighted, key=lambda wr: (wr[0], recency(wr[1])))[1]
        elif record is None:
            record = self.catalog.view(scope).newest
            if record is None:
                raise NotFound("no_letters")

        assert record is not None
        if not sentences:
            sentences = await self.store.letters.sentences(record.id)
        if topic is not None and section is None:
            section = _section_named(sentences, topic)

        if section is not None:
            pool = [s for s in sentences if s.section_heading == section]
        elif match is not None and match.by == "words":
            pool = [s for s in sentences if mentions_words(s.text, match.stems)]
            if not pool:
                raise NotFound("letter_silent", letter=repr(record.slug), topic=repr(match.name))
        elif slug is not None:
            terms = self.recommendations.topic_terms(slug)
            tagged = {
                r.sentence
                for r in (
                    await self.recommendations.recommendations(scope, topic=slug, letter=record.ref)
                ).recommendations
            }
            pool = [
                s
                for s in sentences
                if s.number in tagged
                or mentions(SentenceTerms.of(s.text), terms)
                or (s.section_heading and slugify(s.section_heading) == slug)
            ]
            if not pool:
                raise NotFound(
                    "letter_silent",
                    letter=repr(record.slug),
                    topic=repr(self.recommendations.topic_name(slug)),
                )
        else:
            pool = sentences

        items = [
            SummarySentence(s.number, s.text, s.norm, s.section_id, s.section_heading) for s in pool
        ]
        texts = [s.text for s in (sentences or pool)]
        chosen = set(await asyncio.to_thread(_choose, items, length, record.sender, texts))
        cited = [_cite(s) for s in pool if s.number in chosen]
        return Summary(letter=record, sentences=cited, topic=slug, section=section)
