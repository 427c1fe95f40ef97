"""Small pieces every cog uses: who is asking, in which language, and autocomplete."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.chat.embeds import CHOICE_NAME_MAX, CHOICES_MAX, clip
from bot.chat.i18n import lang_of
from bot.core.casing import sentence_case
from bot.services.scope import Scope

if TYPE_CHECKING:
    from bot.chat.client import BriefBot

log = logging.getLogger(__name__)

# Per user: 4 commands per 10 seconds, then a polite "try again in N s".
COOLDOWN_RATE = 4
COOLDOWN_PER = 10.0


def per_user(interaction: discord.Interaction) -> int:
    return interaction.user.id


cooldown = app_commands.checks.cooldown(COOLDOWN_RATE, COOLDOWN_PER, key=per_user)


def scope_of(interaction: discord.Interaction) -> Scope:
    """A server sees the bundled letters and its own; a DM sees the bundled letters."""
    return Scope(guild_id=interaction.guild_id)


def lang(interaction: discord.Interaction) -> str:
    return lang_of(interaction.locale)


def choice(name: str, value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=clip(name, CHOICE_NAME_MAX), value=value[:100])


def letter_choices(
    bot: BriefBot, interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Letters visible here whose number, slug or title contains what was typed (from memory).
    The value is the letter's number as this server sees it (``3``, ``s3``)."""
    try:
        needle = current.strip().lower()
        records = bot.core.catalog.in_order(scope_of(interaction))[::-1]
        out = []
        for r in records:
            label = f"{r.ref} · {r.date or '?'} · {sentence_case(r.title)}"
            if not needle or needle in label.lower() or needle in r.slug:
                out.append(choice(label, r.ref))
            if len(out) >= CHOICES_MAX:
                break
        return out
    except Exception:  # autocomplete must answer, never fail
        log.exception("letter autocomplete failed")
        return []
