"""A digest as Discord embeds: grouped per letter, what needs action first, split across
embeds and messages within Discord's limits, never cut inside a sentence."""

from __future__ import annotations

import discord

from bot.chat.embeds import COLOUR, DESCRIPTION_MAX, EMBED_TOTAL_MAX, EMBEDS_PER_MESSAGE, cite, clip
from bot.chat.i18n import KIND_NAMES, t
from bot.chat.sources.render import link
from bot.core.casing import name_case, sentence_case
from bot.services.digests import Cited, Digest, NewLetter


def when(digest: Digest) -> str:
    """The digest's date as its reader writes dates (``27-11-2026``, ``2026-11-27``)."""
    if digest.language == "nl":
        return digest.due_date.strftime("%d-%m-%Y")
    return digest.due_date.isoformat()


def _line(lang: str, digest: Digest, item: Cited, kind: str | None = None) -> str:
    label = f"**{KIND_NAMES[lang].get(kind, kind)}** · " if kind else ""
    text = discord.utils.escape_markdown(item.text)
    where = cite(lang, digest.ref(item.letter_id), item.page, item.sentence)
    return f"{label}“{text}” ({link(where, digest.link(item.letter_id), page=item.page)})"


def _embed(title: str, blocks: list[str], footer: str) -> list[discord.Embed]:
    """Whole blocks per embed (a block is one cited sentence: never split)."""
    out: list[discord.Embed] = []
    current: list[str] = []
    size = 0
    for raw in blocks:
        block = clip(raw, DESCRIPTION_MAX - 100)  # a single sentence over 3,900 chars: none seen
        if current and size + len(block) + 1 > DESCRIPTION_MAX - 100:
            out.append(discord.Embed(title=title, description="\n".join(current), colour=COLOUR))
            current, size = [], 0
        current.append(block)
        size += len(block) + 1
    if current or not out:
        out.append(
            discord.Embed(title=title, description="\n".join(current) or None, colour=COLOUR)
        )
    for e in out:
        e.set_footer(text=footer)
    return out


def _esc(text: str) -> str:
    return discord.utils.escape_markdown(text)


def _byline(letter: NewLetter, lang: str) -> str | None:
    """*date* · From X to Y (names in their case where the damage lowercased them)."""
    sender = name_case(letter.sender) if letter.sender else None
    recipient = name_case(letter.recipient) if letter.recipient else None
    if sender and recipient:
        who = t("letters.from_to", lang, sender=sender, recipient=recipient)
    elif sender:
        who = t("letters.from", lang, sender=sender)
    elif recipient:
        who = t("letters.to", lang, recipient=recipient)
    else:
        who = None
    parts = [f"*{_esc(letter.date)}*" if letter.date else None, _esc(who) if who else None]
    return " · ".join(p for p in parts if p) or None


def render(digest: Digest, *, when: str) -> list[list[discord.Embed]]:
    """Messages (each a list of embeds) for one digest. ``when`` is the due date, localised."""
    lang = digest.language
    footer = t("digest.sample_footer", lang) if digest.sample else f"briefbot · {digest.marker}"
    final_footer = footer
    footer += " · 00/00"  # sized with room for the part number set below
    embeds: list[discord.Embed] = []
    header = [t("digest.title", lang, date=when)]
    if digest.sample:
        header.append(t("digest.sample", lang))
    if digest.late:
        header.append(t("digest.late", lang, time=when))
    if digest.introduction:
        header.append(t("digest.welcome", lang))
    elif digest.empty and digest.first:
        header.append(t("digest.welcome_empty", lang))
    elif digest.empty:
        header.append(t("digest.nothing_new", lang))
    head = discord.Embed(
        title=clip(header[0], 256), description="\n".join(header[1:]) or None, colour=COLOUR
    )
    head.set_footer(text=footer)
    embeds.append(head)
    for letter in digest.new_letters:
        blocks: list[str] = []
        byline = _byline(letter, lang)
        if byline:
            blocks.append(byline)
        if letter.actions:
            blocks.append(f"__{t('digest.actions', lang)}__")
            blocks.extend(_line(lang, digest, c, kind) for kind, c in letter.actions)
        if letter.summary:
            blocks.append(f"__{t('digest.summary', lang)}__")
            blocks.extend(_line(lang, digest, c) for c in letter.summary)
        blocks.append(t("digest.more", lang, letter=digest.ref(letter.letter_id)))
        title = t("digest.new_letter", lang, title=sentence_case(letter.title))
        parts = _embed(clip(title, 256), blocks, footer)
        parts[0].url = _original(digest.link(letter.letter_id))  # the title opens the original
        embeds.extend(parts)
    for letter in digest.introduction:
        blocks = []
        byline = _byline(letter, lang)
        if byline:
            blocks.append(byline)
        if letter.actions:
            blocks.append(f"__{t('digest.asks', lang)}__")
            blocks.extend(_line(lang, digest, c, kind) for kind, c in letter.actions)
        if letter.summary:
            blocks.append(f"__{t('digest.summary', lang)}__")
            blocks.extend(_line(lang, digest, c) for c in letter.summary)
        blocks.append(t("digest.more", lang, letter=digest.ref(letter.letter_id)))
        title = t("digest.letter", lang, title=sentence_case(letter.title))
        embeds.extend(_embed(clip(title, 256), blocks, footer))
    if digest.pick is not None:
        kind, item = digest.pick
        embeds.extend(_embed(t("digest.pick", lang), [_line(lang, digest, item, kind)], footer))
    messages = _into_messages(embeds)
    for i, message in enumerate(messages, 1):
        # "· 2/3" on a digest of several messages: which parts went out is visible (to a
        # restarted sender, too)
        text = final_footer if len(messages) == 1 else f"{final_footer} · {i}/{len(messages)}"
        for e in message:
            e.set_footer(text=text)
    return messages


def _original(url: str | None) -> str | None:
    return url.replace(" ", "%20") if url else None


def _size(e: discord.Embed) -> int:
    return len(e.title or "") + len(e.description or "") + len(e.footer.text or "")


def _into_messages(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    messages: list[list[discord.Embed]] = [[]]
    total = 0
    for e in embeds:
        n = _size(e)
        if messages[-1] and (
            len(messages[-1]) >= EMBEDS_PER_MESSAGE or total + n > EMBED_TOTAL_MAX
        ):
            messages.append([])
            total = 0
        messages[-1].append(e)
        total += n
    return messages
