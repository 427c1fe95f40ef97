"""How followed sources look in Discord: ``/sources``, and a citation linked to a letter's
original (a followed source's PDF)."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.chat.embeds import embed
from bot.chat.i18n import n
from bot.services.sources import SourceView

#: key -> (English, Dutch): what this feature says.
TEXT: dict[str, tuple[str, str]] = {
    "title": ("Followed sources", "Gevolgde bronnen"),
    "none": (
        "briefbot follows no sources yet: letters arrive when someone adds them.",
        "briefbot volgt nog geen bronnen: brieven komen binnen als iemand ze toevoegt.",
    ),
    "intro": (
        "New documents of these sources arrive by themselves, for every server, and digests "
        "carry them as new.",
        "Nieuwe documenten van deze bronnen komen vanzelf binnen, voor elke server, en de "
        "overzichten melden ze als nieuw.",
    ),
    "line": ("**{name}**: {letters}; {state}", "**{name}**: {letters}; {state}"),
    "ok": ("checked {when}", "bekeken {when}"),
    "never": ("not checked yet", "nog niet bekeken"),
    "failing": (
        "the source cannot be reached at the moment (since {when}); briefbot keeps trying",
        "de bron is op dit moment niet bereikbaar (sinds {when}); briefbot blijft het proberen",
    ),
    "ask": (
        "Only the bot's operator adds sources. To have one followed, ask them{contact}.",
        "Alleen de beheerder van de bot voegt bronnen toe. Wil je er een laten volgen, vraag "
        "het dan aan de beheerder{contact}.",
    ),
    "original": ("original", "origineel"),
    "from": ("from {name}", "uit {name}"),
}


def say(key: str, lg: str, /, **values: object) -> str:
    en, nl = TEXT[key]
    text = nl if lg == "nl" else en
    return text.format(**values) if values else text


def link(text: str, url: str | None, *, page: int | None = None) -> str:
    """``text`` as a link to a letter's original (a PDF opens at ``page``); plain ``text``
    when it has no web address. Parentheses in the address are escaped (a markdown link
    would end at the first ``)``)."""
    if not url or not url.startswith(("https://", "http://")):
        return text
    target = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    if page:
        target += f"#page={page}"
    return f"[{text}]({target})"


def origin_line(source_name: str | None, url: str | None, lg: str) -> str:
    """``from Tweede Kamer · [original](...)`` for ``/letters``; '' for a letter without."""
    if not source_name and not url:
        return ""
    parts = []
    if source_name:
        parts.append(say("from", lg, name=discord.utils.escape_markdown(source_name)))
    if url and url.startswith(("https://", "http://")):
        parts.append(link(say("original", lg), url))
    return " · ".join(parts)


def _relative(moment: datetime) -> str:
    return discord.utils.format_dt(moment, "R")


def sources_embed(views: list[SourceView], lg: str, *, contact: str | None) -> discord.Embed:
    contact_text = f" ({discord.utils.escape_markdown(contact)})" if contact else ""
    if not views:
        lines = [say("none", lg)]
    else:
        lines = [say("intro", lg), ""]
        for v in views:
            s = v.source
            if s.last_error and s.failures:
                since = s.last_ok_at or s.created_at
                state = say("failing", lg, when=_relative(since))
            elif s.last_ok_at:
                state = say("ok", lg, when=_relative(s.last_ok_at))
            else:
                state = say("never", lg)
            name = discord.utils.escape_markdown(s.name)
            lines.append(
                say("line", lg, name=name, letters=n(v.stats.letters, "letter", lg), state=state)
            )
    lines += ["", say("ask", lg, contact=contact_text)]
    return embed(say("title", lg), lg, description="\n".join(lines))
