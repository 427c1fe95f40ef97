"""Letters as embeds: ``/letters`` and the ``/help`` tour."""

from __future__ import annotations

import discord

from bot.chat.embeds import embed, esc, paged, title_of
from bot.chat.i18n import n, t
from bot.chat.sources.render import origin_line
from bot.core.casing import name_case
from bot.services.tour import Tour
from bot.store import LetterRecord


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
