"""Embeds within Discord's limits, with one colour, one footer style and citations everywhere;
text from letters and users escaped so that it can never format, ping or break an embed."""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.chat.i18n import t
from bot.core.casing import sentence_case
from bot.services.catalog import Catalog
from bot.store import LetterRecord

COLOUR = discord.Colour(0x1F6FB2)
ERROR_COLOUR = discord.Colour(0xC0392B)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_VALUE_MAX = 1024
FIELD_NAME_MAX = 256
FIELDS_MAX = 25
EMBED_TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT_MAX = 2000
CHOICE_MAX = 100  # an autocomplete choice's name and value
CHOICES_MAX = 25

PAGE_CHARS = 3500  # room below DESCRIPTION_MAX for a heading line and the footer


def clip(text: str, limit: int) -> str:
    """Cut at a word boundary with an ellipsis, only when ``text`` is longer than ``limit``."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def cite(lang: str, letter: str, page: int, sentence: int) -> str:
    """``letter`` is the number users see (``LetterRecord.ref``), never an internal id."""
    return t("cite", lang, letter=letter, page=page, sentence=sentence)


def embed(title: str, lang: str, *, source: str = "", description: str = "") -> discord.Embed:
    e = discord.Embed(title=clip(title, TITLE_MAX), colour=COLOUR, description=description or None)
    e.set_footer(text=t("footer", lang, source=source or "Nationaal Rapporteur"))
    return e


def error_embed(message: str) -> discord.Embed:
    return discord.Embed(description=clip(message, DESCRIPTION_MAX), colour=ERROR_COLOUR)


def paged(
    title: str, blocks: Iterable[str], lang: str, *, source: str = "", limit: int = PAGE_CHARS
) -> list[discord.Embed]:
    """Embeds holding whole ``blocks`` (a block is never split across pages), each page under
    ``limit`` characters, numbered when there is more than one."""
    pages: list[list[str]] = [[]]
    size = 0
    for raw in blocks:
        block = clip(raw, limit)
        if pages[-1] and size + len(block) + 2 > limit:
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += len(block) + 2
    out = []
    for i, page in enumerate(pages, 1):
        e = embed(title, lang, source=source, description="\n\n".join(page))
        if len(pages) > 1:
            e.set_footer(
                text=t("footer", lang, source=(source or "Nationaal Rapporteur"))
                + " · "
                + t("page", lang, page=i, pages=len(pages))
            )
        out.append(e)
    return out


def esc(text: str) -> str:
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def title_of(rec: LetterRecord) -> str:
    """A letter's title as shown (sentence case where the damage lowercased it)."""
    return sentence_case(rec.title)


def source_of(catalog: Catalog, letter_id: int) -> str:
    """The footer of an answer from one letter: its number, title and date."""
    rec = catalog.by_id.get(letter_id)
    if rec is None:
        return ""
    return clip(f"#{rec.ref} {title_of(rec)}" + (f" ({rec.date})" if rec.date else ""), 120)
