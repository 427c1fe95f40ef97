"""Owner-only ``/sync``: push the slash commands to Discord now, changed or not."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.common import ClientBase, lang
from bot.chat.errors import UserFacingError
from bot.chat.i18n import cmd, n, t
from bot.chat.replies import defer, respond
from bot.chat.sync import sync_commands


class Admin(commands.Cog):
    def __init__(self, bot: ClientBase) -> None:
        self.bot = bot

    @app_commands.command(name=cmd("sync"), description=cmd("sync.desc"))
    @app_commands.default_permissions(administrator=True)
    async def sync(self, interaction: discord.Interaction) -> None:
        lg = lang(interaction)
        if not await self.bot.is_owner(interaction.user):  # checked at run time
            raise UserFacingError(t("error.not_owner", lg))
        await defer(interaction, ephemeral=True)
        count = await sync_commands(
            self.bot.tree,
            self.bot.services.store,
            application_id=self.bot.application_id,
            dev_guild=self.bot.settings.dev_guild,
            force=True,
        )
        await respond(
            interaction,
            content=t("sync.done", lg, count=n(count or 0, "command", lg)),
            ephemeral=True,
        )
