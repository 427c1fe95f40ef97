"""``/forget-me`` (``/vergeet-mij``), and a server's data kept for a grace period after the bot
leaves it (the privacy service decides; its purge runs as a periodic job of the services)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.common import ClientBase, cooldown, lang
from bot.chat.i18n import cmd, n, t
from bot.chat.replies import defer, respond


class Privacy(commands.Cog):
    def __init__(self, bot: ClientBase) -> None:
        self.bot = bot
        self.services = bot.services

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.services.privacy.guild_left(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.services.privacy.guild_joined(guild.id)

    @app_commands.command(name=cmd("forget-me"), description=cmd("forget-me.desc"))
    @cooldown
    async def forget_me(self, interaction: discord.Interaction) -> None:
        lg = lang(interaction)
        await defer(interaction, ephemeral=True)
        done = await self.services.forget_user(interaction.user.id)
        await respond(
            interaction,
            content=t("forget.done", lg, subscriptions=n(done.subscriptions, "subscription", lg)),
            ephemeral=True,
        )
