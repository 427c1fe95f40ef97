"""``/sources`` (``/bronnen``): what briefbot follows for every server.

Only the bot's operator follows sources (``briefbot follow add``): a public bot must not fetch
addresses for anyone. Anyone may see what is followed; a server that wants another source asks
the operator (named by ``BRIEFBOT_CONTACT`` when set). The polling itself is a job of the
services' scheduler (``bot.services.sources.poller``), not of this cog.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.common import ClientBase, cooldown, lang
from bot.chat.i18n import cmd
from bot.chat.replies import defer, respond
from bot.chat.sources.render import sources_embed


class Sources(commands.Cog):
    def __init__(self, bot: ClientBase) -> None:
        self.bot = bot
        self.service = bot.services.sources

    @app_commands.command(name=cmd("sources"), description=cmd("sources.desc"))
    @cooldown
    async def sources(self, interaction: discord.Interaction) -> None:
        lg = lang(interaction)
        await defer(interaction, ephemeral=True)
        views = await self.service.sources()
        e = sources_embed(views, lg, contact=self.bot.settings.contact)
        await respond(interaction, embeds=[e], ephemeral=True)
