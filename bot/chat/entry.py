"""What the command line uses of the Discord side, and nothing else: start the bot, sync its
commands, send one digest now. (``bot.cli`` imports no other module of ``bot.chat``.)"""

from __future__ import annotations

import discord

from bot.chat.client import BriefbotClient
from bot.chat.digests.sender import DiscordSender
from bot.chat.sync import sync_commands
from bot.services.app import Services
from bot.services.digests import SendNowResult
from bot.settings import Settings
from bot.store.records import Subscription


def bot_client(settings: Settings, services: Services) -> BriefbotClient:
    """The Discord bot on ``services`` (``briefbot run`` starts it with its token)."""
    return BriefbotClient(settings, services)


async def sync_now(settings: Settings, services: Services, token: str) -> int | None:
    """Push the slash commands to Discord now, changed or not (over REST only); how many."""
    client = BriefbotClient(settings, services, sync=False)
    try:
        await client.login(token)  # HTTP only; runs setup_hook, which registers the commands
        return await sync_commands(
            client.tree,
            services.store,
            application_id=client.application_id,
            dev_guild=settings.dev_guild,
            force=True,
        )
    finally:
        await client.close()


async def send_digest_now(services: Services, sub: Subscription, token: str) -> SendNowResult:
    """Send ``sub``'s digest now through Discord's REST API (no gateway), with the sender the
    bot uses; see ``DigestService.send_now``."""
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(token)  # REST only: sending needs no gateway
        return await services.digests.send_now(sub, DiscordSender(client))
    finally:
        await client.close()
