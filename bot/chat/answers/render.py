"""Answers as embeds: summaries, recommendations, quotes, topics, and a question's reply
(whichever way it was answered), shared by the slash commands and direct messages.

Every cited sentence shows letter, page and sentence number; matched spans are highlighted;
text from letters or users is escaped.
"""

from __future__ import annotations

import re

import discord

from bot.chat.embeds import (
    CHOICE_MAX,
    FIELD_VALUE_MAX,
    cite,
    clip,
    embed,
    esc,
    paged,
    source_of,
    title_of,
)
from bot.chat.i18n import KIND_NAMES, t
from bot.chat.sources.render import link
from bot.core.casing import name_case
from bot.services.ask import Answer, Reply
from bot.services.catalog import Catalog
from bot.services.quotes import QuoteMatch, QuoteSuggestion
from bot.services.recommendations import RecommendationsAnswer, TopicCount
from bot.services.summary import Summary

_SPACES = re.compile(r"\s+")


def cited(catalog: Catalog, lang: str, letter_id: int, page: int, sentence: int) -> str:
    """A citation (letter, page, sentence), linked to the letter's original when a followed
    source gave its address."""
    rec = catalog.by_id.get(letter_id)
    where = cite(lang, catalog.ref(letter_id), page, sentence)
    return link(where, rec.source_url if rec is not None else None, page=page)


def summary_pages(catalog: Catalog, summary: Summary, lang: str) -> list[discord.Embed]:
    rec = summary.letter
    title = t("summary.title", lang, title=title_of(rec))
    blocks = []
    if rec.date or rec.signatory:
        parts = (rec.date, name_case(rec.signatory) if rec.signatory else None)
        blocks.append(f"*{esc(' · '.join(p for p in parts if p))}*")
    for i, s in enumerate(summary.sentences, 1):
        where = cited(catalog, lang, s.letter_id, s.page, s.sentence)
        blocks.append(f"{i}. {esc(s.text)} ({where})")
    return paged(title, blocks, lang, source=source_of(catalog, rec.id))


def recommendation_pages(
    catalog: Catalog, answer: RecommendationsAnswer, lang: str
) -> list[discord.Embed]:
    if answer.topic:
        title = t("recommendations.topic_title", lang, topic=answer.name(answer.topic))
    else:
        title = t("recommendations.title", lang)
    blocks = []
    if answer.letters_searched < answer.letters_total:
        blocks.append(
            t(
                "recommendations.capped",
                lang,
                shown=answer.letters_searched,
                total=answer.letters_total,
            )
        )
    for group, recs in answer.grouped():
        lines = [f"__**{esc(group.name)}**__ ({group.recommendations})"]
        for r in recs:
            kind = KIND_NAMES[lang].get(r.kind, r.kind)
            where = cited(catalog, lang, r.letter_id, r.page, r.sentence)
            lines.append(f"• *{kind}*: “{esc(r.text)}” ({where})")
        blocks.append("\n".join(lines))
    letters = {r.letter_id for r in answer.recommendations}
    source = source_of(catalog, next(iter(letters))) if len(letters) == 1 else ""
    return paged(title, _split_groups(blocks), lang, source=source)


def _split_groups(blocks: list[str]) -> list[str]:
    """A topic group longer than a page is split between its items, not inside one."""
    out = []
    for block in blocks:
        if len(block) < 3300:
            out.append(block)
            continue
        current: list[str] = []
        size = 0
        for line in block.split("\n"):
            if current and size + len(line) > 3300:
                out.append("\n".join(current))
                current, size = [], 0
            current.append(line)
            size += len(line) + 1
        out.append("\n".join(current))
    return out


def highlight(text: str, span: tuple[int, int]) -> str:
    a, b = span
    if not (0 <= a < b <= len(text)):
        return esc(text)
    return f"{esc(text[:a])}**{esc(text[a:b])}**{esc(text[b:])}"


def quote_embed(catalog: Catalog, match: QuoteMatch, lang: str) -> discord.Embed:
    e = embed(
        t("quote.title", lang, score=match.score),
        lang,
        source=source_of(catalog, match.letter_id),
        description=clip(
            f"“{highlight(match.text, match.span)}”\n"
            f"— {cited(catalog, lang, match.letter_id, match.page, match.sentence)}",
            4000,
        ),
    )
    if match.before:
        e.add_field(
            name=t("quote.before", lang),
            value=clip(esc(match.before), FIELD_VALUE_MAX),
            inline=False,
        )
    if match.after:
        e.add_field(
            name=t("quote.after", lang), value=clip(esc(match.after), FIELD_VALUE_MAX), inline=False
        )
    return e


def topic_pages(topics: list[TopicCount], lang: str) -> list[discord.Embed]:
    blocks = [f"**{esc(tc.name)}** (`{tc.slug}`): {tc.recommendations}" for tc in topics]
    return paged(t("topics.title", lang), blocks, lang)


def answer_pages(catalog: Catalog, answer: Answer, lang: str) -> list[discord.Embed]:
    """The answer, then its passages numbered as the answer cites them ([n, p. X] is the
    n-th source)."""
    blocks = [esc(answer.text)] if answer.text else []
    sources = []
    for i, p in enumerate(answer.passages, 1):
        where = cited(catalog, lang, p.letter_id, p.page, p.sentence)
        sources.append(f"**[{i}]** “{esc(p.text)}” ({where})")
    if sources:
        blocks.append(f"__{t('ask.sources', lang)}__\n" + "\n".join(sources))
    letters = {p.letter_id for p in answer.passages}
    source = source_of(catalog, next(iter(letters))) if len(letters) == 1 else ""
    return paged(t("ask.title", lang), _split_groups(blocks), lang, source=source)


def reply_pages(catalog: Catalog, reply: Reply, lang: str) -> list[discord.Embed] | None:
    """A question's reply, whichever way it was answered; None when there is nothing to show."""
    if not reply.found:
        return None
    if reply.kind == "summary" and reply.summary is not None:
        return summary_pages(catalog, reply.summary, lang)
    if reply.kind == "recommendations" and reply.recommendations is not None:
        return recommendation_pages(catalog, reply.recommendations, lang)
    if reply.kind == "quote":
        return [quote_embed(catalog, reply.quotes[0], lang)]
    return answer_pages(catalog, reply.answer, lang)


def choice_name(suggestion: QuoteSuggestion) -> str:
    """At most :data:`CHOICE_MAX` characters of a sentence for an autocomplete list: its
    start, or, when the match lies further on, the stretch around the match."""
    text = _SPACES.sub(" ", suggestion.text).strip() or "(empty sentence)"
    if len(text) <= CHOICE_MAX:
        return text
    start = suggestion.span[0] if suggestion.text.strip() == text else 0
    if start + 40 <= CHOICE_MAX - 1:
        return text[: CHOICE_MAX - 1].rstrip() + "…"
    cut = max(0, start - 20)
    if len(text) - cut <= CHOICE_MAX - 1:  # the match is near the end: show the end
        return "…" + text[len(text) - (CHOICE_MAX - 1) :].lstrip()
    return "…" + text[cut : cut + CHOICE_MAX - 2].strip() + "…"
