"""Small pieces every cog uses: the client they belong to, who is asking, in which language,
and autocomplete."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.embeds import CHOICE_MAX, CHOICES_MAX, clip
from bot.chat.i18n import lang_of
from bot.core.casing import sentence_case
from bot.services.app import Services
from bot.services.catalog import Catalog
from bot.services.digests import Sender
from bot.services.scope import Scope
from bot.settings import Settings

log = logging.getLogger(__name__)


class ClientBase(commands.AutoShardedBot):
    """What the cogs use of the Discord client: the services, the settings and the digests'
    sender. Sharded (discord.py's ``AutoShardedBot``): one process serves the shards its
    settings name, or all of them. The client is ``bot.chat.client.BriefbotClient``; cogs name
    this base instead, so that no cog imports the client (which imports every cog)."""

    settings: Settings
    services: Services
    sender: Sender


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
    """An autocomplete choice within Discord's limits (the name clipped, the value cut)."""
    return app_commands.Choice(name=clip(name, CHOICE_MAX), value=value[:CHOICE_MAX])


def letter_choices(
    catalog: Catalog, interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Letters visible here whose number, slug or title contains what was typed (from memory).
    The value is the letter's number as this server sees it (``3``, ``s3``)."""
    try:
        needle = current.strip().lower()
        records = catalog.in_order(scope_of(interaction))[::-1]
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
