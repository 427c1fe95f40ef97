"""``/forget-me`` (``/vergeet-mij``), and a server's data removed after the bot leaves it."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.common import cooldown, lang
from bot.chat.i18n import cmd, n, t
from bot.chat.replies import defer, respond
from bot.services.privacy import PrivacyService

if TYPE_CHECKING:
    from bot.chat.client import BriefBot

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(hours=1)


class Privacy(commands.Cog):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.service = PrivacyService(bot.core, clock=bot.clock)
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self._task = self.bot.spawn(self._purge_loop(), name="server-data-purge")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _purge_loop(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            try:
                await self.service.purge_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("purging servers' data failed; trying again later")
            await self.bot.clock.sleep_until(self.bot.clock.now() + PURGE_EVERY, self.wake)
            self.wake.clear()

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.service.guild_left(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.service.guild_joined(guild.id)

    @app_commands.command(name=cmd("forget-me"), description=cmd("forget-me.desc"))
    @cooldown
    async def forget_me(self, interaction: discord.Interaction) -> None:
        lg = lang(interaction)
        await defer(interaction, ephemeral=True)
        done = await self.service.forget_user(interaction.user.id)
        self.bot.core_changed()
        await respond(
            interaction,
            content=t("forget.done", lg, subscriptions=n(done.subscriptions, "subscription", lg)),
            ephemeral=True,
        )
