"""A digest as Discord embeds: grouped per letter, what needs action first, split across
embeds and messages within Discord's limits, never cut inside a sentence."""

from __future__ import annotations

import discord

from bot.chat.embeds import COLOUR, DESCRIPTION_MAX, EMBED_TOTAL_MAX, EMBEDS_PER_MESSAGE, cite, clip
from bot.chat.i18n import KIND_NAMES, t
from bot.services.digests import Cited, Digest


def _line(lang: str, digest: Digest, item: Cited, kind: str | None = None) -> str:
    label = f"**{KIND_NAMES[lang].get(kind, kind)}** · " if kind else ""
    text = discord.utils.escape_markdown(item.text)
    return f"{label}“{text}” ({cite(lang, digest.ref(item.letter_id), item.page, item.sentence)})"


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


def render(digest: Digest, *, when: str) -> list[list[discord.Embed]]:
    """Messages (each a list of embeds) for one digest. ``when`` is the due date, localised."""
    lang = digest.language
    footer = f"briefbot · {digest.marker}"
    final_footer = footer
    footer += " · 00/00"  # sized with room for the part number set below
    embeds: list[discord.Embed] = []
    header = [t("digest.title", lang, date=when)]
    if digest.late:
        header.append(t("digest.late", lang, time=when))
    if digest.empty:
        header.append(t("digest.nothing_new", lang))
    head = discord.Embed(
        title=clip(header[0], 256), description="\n".join(header[1:]) or None, colour=COLOUR
    )
    head.set_footer(text=footer)
    embeds.append(head)
    for letter in digest.new_letters:
        blocks: list[str] = []
        if letter.date:
            blocks.append(f"*{discord.utils.escape_markdown(letter.date)}*")
        if letter.actions:
            blocks.append(f"__{t('digest.actions', lang)}__")
            blocks.extend(_line(lang, digest, c, kind) for kind, c in letter.actions)
        if letter.summary:
            blocks.append(f"__{t('digest.summary', lang)}__")
            blocks.extend(_line(lang, digest, c) for c in letter.summary)
        blocks.append(t("digest.more", lang, letter=digest.ref(letter.letter_id)))
        embeds.extend(
            _embed(clip(t("digest.new_letter", lang, title=letter.title), 256), blocks, footer)
        )
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
