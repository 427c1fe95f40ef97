"""Service answers as embeds, shared by slash commands and direct messages.

Every cited sentence shows letter, page and sentence number; matched spans are highlighted;
text from letters or users is escaped so that it can never format, ping or break the embed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.chat.embeds import FIELD_VALUE_MAX, cite, clip, embed, paged
from bot.chat.i18n import KIND_NAMES, n, t
from bot.chat.sources import link, origin_line
from bot.core.casing import name_case, sentence_case

if TYPE_CHECKING:
    from bot.services.app import Briefbot
    from bot.services.quotes import QuoteMatch
    from bot.services.recommendations import RecommendationsAnswer
    from bot.services.summary import Summary
    from bot.services.tour import Tour
    from bot.store import LetterRecord


def esc(text: str) -> str:
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def title_of(rec: LetterRecord) -> str:
    """A letter's title as shown (sentence case where the damage lowercased it)."""
    return sentence_case(rec.title)


def from_to(rec: LetterRecord, lang: str) -> str:
    """Who wrote a letter, and to whom: "From X (signatory) to Y", names in their case."""
    sender = name_case(rec.sender or rec.signatory or "")
    if rec.sender and rec.signatory:
        sender = f"{sender} ({name_case(rec.signatory)})"
    recipient = name_case(rec.recipient or rec.recipient_role or "")
    if sender and recipient:
        return t("letters.from_to", lang, sender=sender, recipient=recipient)
    if sender:
        return t("letters.from", lang, sender=sender)
    if recipient:
        return t("letters.to", lang, recipient=recipient)
    return ""


def letter_pages(records: list[LetterRecord], lang: str) -> list[discord.Embed]:
    """``/letters``: number, title and date, who wrote it to whom, size."""
    blocks = []
    for r in records:
        head = f"**{r.ref}** · {esc(title_of(r))}" + (f" · {esc(r.date)}" if r.date else "")
        who = from_to(r, lang)
        size = f"{n(r.pages, 'page', lang)} · {n(r.sentence_count, 'sentence', lang)}"
        origin = origin_line(r.source_name, r.source_url, lang)
        blocks.append("\n".join(x for x in (head, esc(who), size, origin) if x))
    return paged(t("letters.title", lang), blocks, lang)


def cited(app: Briefbot, lang: str, letter_id: int, page: int, sentence: int) -> str:
    """A citation (letter, page, sentence), linked to the letter's original when a followed
    source gave its address."""
    rec = app.catalog.by_id.get(letter_id)
    where = cite(lang, app.catalog.ref(letter_id), page, sentence)
    return link(where, rec.source_url if rec is not None else None, page=page)


def source_of(app: Briefbot, letter_id: int) -> str:
    rec = app.catalog.by_id.get(letter_id)
    if rec is None:
        return ""
    return clip(f"#{rec.ref} {title_of(rec)}" + (f" ({rec.date})" if rec.date else ""), 120)


def summary_pages(app: Briefbot, summary: Summary, lang: str) -> list[discord.Embed]:
    rec = summary.letter
    title = t("summary.title", lang, title=title_of(rec))
    blocks = []
    if rec.date or rec.signatory:
        parts = (rec.date, name_case(rec.signatory) if rec.signatory else None)
        blocks.append(f"*{esc(' · '.join(p for p in parts if p))}*")
    for i, s in enumerate(summary.sentences, 1):
        where = cited(app, lang, s.letter_id, s.page, s.sentence)
        blocks.append(f"{i}. {esc(s.text)} ({where})")
    return paged(title, blocks, lang, source=source_of(app, rec.id))


def recommendation_pages(
    app: Briefbot, answer: RecommendationsAnswer, lang: str
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
            where = cited(app, lang, r.letter_id, r.page, r.sentence)
            lines.append(f"• *{kind}*: “{esc(r.text)}” ({where})")
        blocks.append("\n".join(lines))
    letters = {r.letter_id for r in answer.recommendations}
    source = source_of(app, next(iter(letters))) if len(letters) == 1 else ""
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


def quote_embed(app: Briefbot, match: QuoteMatch, lang: str) -> discord.Embed:
    e = embed(
        t("quote.title", lang, score=match.score),
        lang,
        source=source_of(app, match.letter_id),
        description=clip(
            f"“{highlight(match.text, match.span)}”\n"
            f"— {cited(app, lang, match.letter_id, match.page, match.sentence)}",
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


def topic_pages(topics: list, lang: str) -> list[discord.Embed]:
    blocks = [f"**{esc(tc.name)}** (`{tc.slug}`): {tc.recommendations}" for tc in topics]
    return paged(t("topics.title", lang), blocks, lang)


def answer_pages(app: Briefbot, answer, lang: str) -> list[discord.Embed]:
    """The answer, then its passages numbered as the answer cites them ([n, p. X] is the
    n-th source)."""
    blocks = [esc(answer.text)] if answer.text else []
    sources = []
    for i, p in enumerate(answer.passages, 1):
        where = cited(app, lang, p.letter_id, p.page, p.sentence)
        sources.append(f"**[{i}]** “{esc(p.text)}” ({where})")
    if sources:
        blocks.append(f"__{t('ask.sources', lang)}__\n" + "\n".join(sources))
    letters = {p.letter_id for p in answer.passages}
    source = source_of(app, next(iter(letters))) if len(letters) == 1 else ""
    return paged(t("ask.title", lang), _split_groups(blocks), lang, source=source)


def help_embed(tour: Tour, lang: str) -> discord.Embed:
    """``/help``: three things to try first, with examples from the letters, then the rest."""
    if tour.quote:
        first = t("help.try_quote", lang, fragment=esc(tour.quote))
    else:
        first = t("help.try_quote_plain", lang)
    if tour.topic:
        second = t("help.try_topic", lang, topic=esc(tour.topic))
    else:
        second = t("help.try_topic_plain", lang)
    if tour.question:
        third = t("help.try_ask", lang, question=esc(tour.question))
    else:
        third = t("help.try_ask_plain", lang)
    lines = [f"__**{t('help.tour', lang)}**__", f"1. {first}", f"2. {second}", f"3. {third}"]
    if not (tour.quote or tour.topic or tour.question):
        lines.append(t("help.no_letters", lang))
    lines += ["", f"__**{t('help.all', lang)}**__", t("help.body", lang)]
    return embed(t("help.title", lang), lang, description="\n".join(lines))
