"""A real briefbot (real discord.py client, real SQLite file, real services) connected over
loopback to the project's protocol-level Discord test server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.chat.client import BriefbotClient
from bot.services.app import Services
from bot.services.clock import Clock
from bot.settings import Settings
from tests.discord_server import DiscordTestServer, running_bot
from tests.discord_server.state import Channel, Guild, Permissions, User

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"


class TestBot(BriefbotClient):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None  # discord.py waits 5 s before a re-IDENTIFY; not in tests


@dataclass
class Env:
    server: DiscordTestServer
    bot: BriefbotClient
    services: Services
    settings: Settings
    guild: Guild
    channel: Channel
    other_guild: Guild
    other_channel: Channel
    admin: User  # Manage Server in `guild`
    member: User  # plain member of `guild`
    outsider: User  # admin of `other_guild`
    owner: User  # the application's owner

    async def run(
        self,
        command: str,
        options: dict | None = None,
        *,
        user: User | None = None,
        channel: Channel | str | None = "default",
        locale: str = "en-US",
    ):
        where = self.channel if channel == "default" else channel
        rec = await self.server.slash(
            command, options or {}, user=user or self.member, channel=where, locale=locale
        )
        await self.server.wait_for_response(rec, timeout=15)
        if rec.response_type == 5:  # deferred: wait for the answer
            await self.server.wait_for_followups(rec, 1, timeout=30)
        return rec


def make_settings(tmp_path: Path, **extra: object) -> Settings:
    values = {
        "BRIEFBOT_DB": tmp_path / "bot.sqlite3",
        "BRIEFBOT_LETTERS_DIR": BUNDLED,
        "DISCORD_TOKEN": "test-token",
    }
    values.update(extra)
    return Settings(**values)


def populate(server: DiscordTestServer) -> dict:
    """Two servers, a manager, a member and the other server's manager."""
    guild = server.add_guild("Beleid")
    channel = server.add_channel(guild, "brieven")
    other = server.add_guild("Elders")
    other_channel = server.add_channel(other, "algemeen")
    admin = server.add_user("admin")
    member = server.add_user("lid")
    outsider = server.add_user("buur")
    server.add_member(guild, admin, permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD)
    server.add_member(guild, member)
    server.add_member(other, outsider, permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD)
    return {
        "guild": guild, "channel": channel, "other_guild": other, "other_channel": other_channel,
        "admin": admin, "member": member, "outsider": outsider, "owner": server.application.owner,
    }  # fmt: skip


@asynccontextmanager
async def bot_on(
    server: DiscordTestServer, world: dict, settings: Settings, *, clock: Clock | None = None
) -> AsyncIterator[Env]:
    """Start briefbot (services + client) against an existing server; stop it on exit."""
    services = await Services.open(settings, clock=clock)
    bot = TestBot(settings, services, guild_ready_timeout=0.01)
    try:
        async with running_bot(server, bot):
            yield Env(server, bot, services, settings, **world)
    finally:
        await services.close()


async def start_env(
    tmp_path: Path,
    *,
    server_kwargs: dict | None = None,
    settings: Settings | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[Env]:
    async with DiscordTestServer(**(server_kwargs or {})) as server:
        world = populate(server)
        async with bot_on(server, world, settings or make_settings(tmp_path), clock=clock) as env:
            yield env


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    async for e in start_env(tmp_path):
        yield e


# ------------------------------------------------------------------ reading what the bot sent


def answer_of(rec):
    """The message that carries the answer: the followup after a defer, else the reply."""
    if rec.followups:
        return rec.followups[-1]
    return rec.message


def text_of(message) -> str:
    """Everything a user reads in a message: content, embed titles, descriptions, fields and
    footers."""
    parts = [message.content or ""]
    for e in message.embeds:
        parts += [e.get("title") or "", e.get("description") or ""]
        parts += [f.get("name", "") + " " + f.get("value", "") for f in e.get("fields", [])]
        parts.append((e.get("footer") or {}).get("text", ""))
    return "\n".join(parts)


def new_member(env: Env, *, manager: bool = False, guild: Guild | None = None) -> User:
    """A fresh member of ``guild`` (default: the test server); each has their own cooldown."""
    u = env.server.add_user(f"{'beheerder' if manager else 'lid'}-{len(env.server.state.users)}")
    perms = Permissions.DEFAULT | (Permissions.MANAGE_GUILD if manager else 0)
    env.server.add_member(guild or env.guild, u, permissions=perms)
    return u
