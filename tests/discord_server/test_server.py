"""Tests of the Discord test server itself, driven by a small real discord.py bot."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands, tasks

from tests.discord_server import (
    BotCrashedError,
    CallbackType,
    Channel,
    DiscordTestServer,
    Fault,
    Guild,
    Intents,
    MessageFlags,
    Permissions,
    UnhandledRoutesError,
    Upload,
    User,
    running_bot,
)

CITIES = ["Amsterdam", "Berlin", "Bern", "Brussels", "Budapest", "Copenhagen"]

# ======================================================================================
# The sample bot
# ======================================================================================


class VoteView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Yes", custom_id="vote:yes", style=discord.ButtonStyle.green)
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(
            content=f"voted yes by {interaction.user.name}", view=None
        )


class SampleBot(commands.Bot):
    """A couple of app commands, a button view and a DM echo."""

    def __init__(
        self, *, intents: discord.Intents | None = None, guild_id: int | None = None
    ) -> None:
        super().__init__(
            command_prefix="!",
            intents=intents or discord.Intents.default(),
            guild_ready_timeout=0.01,
            help_command=None,
        )
        self.guild_id = guild_id
        self.synced: list[app_commands.AppCommand] = []
        self.synced_guild: list[app_commands.AppCommand] = []
        self.seen: list[tuple[bool, str, bool]] = []  # (in guild, content, author is bot)
        self.errors: list[BaseException] = []

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(description="Echo text back")
        @app_commands.describe(text="What to echo")
        async def echo(interaction: discord.Interaction, text: str, shout: bool = False) -> None:
            await interaction.response.send_message(text.upper() if shout else text)

        @tree.command(description="Reply only you can see")
        async def secret(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.send_message(f"psst: {text}", ephemeral=True)

        async def city_complete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=c, value=c)
                for c in CITIES
                if c.lower().startswith(current.lower())
            ]

        @tree.command(description="Weather for a city")
        @app_commands.autocomplete(city=city_complete)
        async def weather(interaction: discord.Interaction, city: str) -> None:
            await interaction.response.send_message(f"sunny in {city}")

        @tree.command(description="Defer, then follow up twice")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await asyncio.sleep(0)
            await interaction.followup.send("step 1")
            await interaction.followup.send("step 2", ephemeral=True)

        @tree.command(description="A message with a button")
        async def vote(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Vote now", view=VoteView())

        @tree.command(description="Read an uploaded file")
        async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
            data = await file.read()
            digest = hashlib.sha256(data).hexdigest()[:8]
            await interaction.response.send_message(
                f"{file.filename}: {len(data)} bytes {digest}",
                file=discord.File(io.BytesIO(data[::-1]), "reversed.txt"),
            )

        @tree.command(description="Post text in this channel")
        async def say(interaction: discord.Interaction, text: str, safe: bool = True) -> None:
            mentions = discord.AllowedMentions.none() if safe else discord.AllowedMentions.all()
            assert isinstance(interaction.channel, discord.abc.Messageable)
            await interaction.channel.send(text, allowed_mentions=mentions)
            await interaction.response.send_message("posted", ephemeral=True)

        @tree.command(description="Reply after a delay")
        async def slowreply(interaction: discord.Interaction, delay: float) -> None:
            await asyncio.sleep(delay)
            await interaction.response.send_message("finally")

        @tree.command(description="Reply, wait, follow up")
        async def later(interaction: discord.Interaction, delay: float) -> None:
            await interaction.response.send_message("first")
            await asyncio.sleep(delay)
            try:
                await interaction.followup.send("second")
            except discord.HTTPException as exc:
                self.errors.append(exc)

        @tree.command(description="Edit the original response")
        async def edit(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("v1", embed=discord.Embed(title="Digest"))
            original = await interaction.original_response()
            assert original.content == "v1"
            await interaction.edit_original_response(content="v2")

        @tree.command(description="Answered twice (bug on purpose)")
        async def twice(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("from the command")

        @tree.command(description="DM me")
        async def dmme(interaction: discord.Interaction) -> None:
            try:
                await interaction.user.send("hello in DM")
            except discord.Forbidden as exc:
                await interaction.response.send_message(f"cannot dm: {exc.code}", ephemeral=True)
            else:
                await interaction.response.send_message("sent", ephemeral=True)

        admin = app_commands.Group(name="admin", description="Admin tools")
        digest = app_commands.Group(name="digest", description="Digest tools", parent=admin)

        @digest.command(name="run", description="Run the digest")
        async def digest_run(interaction: discord.Interaction, count: int = 3) -> None:
            await interaction.response.send_message(f"digest x{count}")

        tree.add_command(admin)
        self.synced = await tree.sync()

        if self.guild_id is not None:
            guild = discord.Object(id=self.guild_id)

            @app_commands.command(description="Only in the test guild")
            async def gonly(interaction: discord.Interaction) -> None:
                await interaction.response.send_message(f"guild {interaction.guild_id}")

            tree.add_command(gonly, guild=guild)
            self.synced_guild = await tree.sync(guild=guild)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s here before every non-initial IDENTIFY (after
        # INVALID_SESSION); a test bot does not need to respect the identify rate limit.
        return None

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # The bug /twice exists to show: a listener answering an interaction the tree
        # also answers.
        if interaction.data and interaction.data.get("name") == "twice":
            try:
                await interaction.response.send_message("from the listener")
            except discord.HTTPException as exc:
                self.errors.append(exc)

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append((message.guild is not None, message.content, message.author.bot))
        if message.author.bot:
            return
        if message.guild is None:
            await message.channel.send(f"you said: {message.content}")


class DigestBot(SampleBot):
    """Posts a scheduled "digest" into a channel from a tasks.loop."""

    def __init__(self, channel_id: int) -> None:
        super().__init__()
        self.channel_id = channel_id
        self.posted = 0

    async def setup_hook(self) -> None:
        await super().setup_hook()
        self.digest.start()

    @tasks.loop(seconds=0.02)
    async def digest(self) -> None:
        channel = self.get_channel(self.channel_id)
        assert isinstance(channel, discord.TextChannel)
        self.posted += 1
        await channel.send(
            f"digest #{self.posted}", allowed_mentions=discord.AllowedMentions.none()
        )

    @digest.before_loop
    async def before_digest(self) -> None:
        await self.wait_until_ready()


# ======================================================================================
# Fixtures
# ======================================================================================


@dataclass
class World:
    server: DiscordTestServer
    guild: Guild
    general: Channel
    alice: User
    bob: User


@pytest.fixture
async def server() -> AsyncIterator[DiscordTestServer]:
    async with DiscordTestServer() as srv:
        yield srv


def populate(server: DiscordTestServer) -> World:
    guild = server.add_guild("Test guild")
    general = server.add_channel(guild, "general")
    alice = server.add_user("alice")
    bob = server.add_user("bob")
    server.add_member(guild, alice, permissions=Permissions.DEFAULT)
    server.add_member(guild, bob, permissions=Permissions.DEFAULT | Permissions.ADMINISTRATOR)
    return World(server, guild, general, alice, bob)


@pytest.fixture
def world(server: DiscordTestServer) -> World:
    return populate(server)


# ======================================================================================
# Login, sync, slash commands
# ======================================================================================


async def test_login_and_sync_schema_captured_exactly(world: World) -> None:
    server = world.server
    bot = SampleBot(guild_id=world.guild.id)
    async with running_bot(server, bot):
        assert server.identify_count == 1
        assert server.identifies[0]["intents"] == discord.Intents.default().value
        assert server.identifies[0]["token"] == "test-token"
        schemas = {c["name"]: c for c in server.command_schemas()}
        assert schemas["echo"] == {
            "name": "echo",
            "description": "Echo text back",
            "type": 1,
            "options": [
                {"type": 3, "name": "text", "description": "What to echo", "required": True},
                {"type": 5, "name": "shout", "description": "…", "required": False},
            ],
            "nsfw": False,
            "dm_permission": True,
            "default_member_permissions": None,
            "contexts": None,
            "integration_types": None,
        }
        assert schemas["weather"]["options"][0]["autocomplete"] is True
        admin = schemas["admin"]["options"][0]
        assert (admin["type"], admin["name"], admin["options"][0]["name"]) == (2, "digest", "run")
        assert "gonly" not in schemas
        assert [c["name"] for c in server.command_schemas(world.guild)] == ["gonly"]
        # discord.py parsed the server's answers into AppCommand objects with our ids
        assert sorted(c.name for c in bot.synced) == sorted(schemas)
        by_name = {c.name: c for c in server.commands()}
        assert all(c.id == by_name[c.name].id for c in bot.synced)
        assert bot.synced_guild[0].guild_id == world.guild.id
        # the bot's view of the world came from READY + GUILD_CREATE
        assert bot.user is not None and bot.user.bot and bot.user.id == server.bot_user.id
        dguild = bot.get_guild(world.guild.id)
        assert dguild is not None and dguild.get_channel(world.general.id) is not None
        assert dguild.me.guild_permissions.administrator


async def test_slash_reply_in_guild_and_dm(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        rec = await server.slash(
            "echo", {"text": "hi", "shout": True}, user=world.alice, channel=world.general
        )
        await server.wait_for_response(rec)
        assert rec.response_type == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE
        assert rec.content == "HI" and not rec.ephemeral
        assert rec.latency is not None and 0 <= rec.latency < 2
        assert rec.message is not None and rec.message in server.messages(world.general)
        # DM: channel=None means "in the bot's DM with the user"
        dm = await server.slash("echo", {"text": "in dm"}, user=world.alice)
        await server.wait_for_response(dm)
        assert dm.content == "in dm" and dm.channel.is_dm
        # subcommand group
        sub = await server.slash(
            "admin digest run", {"count": 7}, user=world.bob, channel=world.general
        )
        await server.wait_for_response(sub)
        assert sub.content == "digest x7"
        server.assert_no_protocol_errors()


async def test_slash_helper_validates_like_a_discord_client(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        with pytest.raises(LookupError):
            await server.slash("nope", user=world.alice, channel=world.general)
        with pytest.raises(ValueError, match="requires option 'text'"):
            await server.slash("echo", user=world.alice, channel=world.general)
        with pytest.raises(ValueError, match="expects a bool"):
            await server.slash(
                "echo", {"text": "x", "shout": "yes"}, user=world.alice, channel=world.general
            )
        with pytest.raises(ValueError, match="is a group"):
            await server.slash("admin", user=world.alice, channel=world.general)


async def test_ephemeral_flag(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        rec = await server.slash("secret", {"text": "x"}, user=world.alice, channel=world.general)
        await server.wait_for_response(rec)
        assert rec.ephemeral and rec.flags & MessageFlags.EPHEMERAL
        assert rec.content == "psst: x"
        assert server.messages(world.general) == []  # ephemeral: not in channel history


async def test_autocomplete_choices(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        rec = await server.autocomplete(
            "weather", "city", "Be", user=world.alice, channel=world.general
        )
        await server.wait_for_response(rec)
        assert rec.response_type == CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
        assert rec.choices == [
            {"name": "Berlin", "value": "Berlin"},
            {"name": "Bern", "value": "Bern"},
        ]


async def test_guild_only_command(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot(guild_id=world.guild.id)):
        rec = await server.slash("gonly", user=world.alice, channel=world.general)
        assert rec.payload["data"]["guild_id"] == str(world.guild.id)  # P5
        await server.wait_for_response(rec)
        assert rec.content == f"guild {world.guild.id}"
        with pytest.raises(LookupError):
            await server.slash("gonly", user=world.alice)  # not available in DMs


async def test_defer_then_followups(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        rec = await server.slash("slow", user=world.alice, channel=world.general)
        await server.wait_for_followups(rec, 2)
        assert rec.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        first, second = rec.followups
        # the first followup after a "thinking" defer replaces the loading message
        assert first is rec.message and first.content == "step 1" and not first.loading
        assert second.content == "step 2" and second.ephemeral
        assert [m.content for m in server.messages(world.general)] == ["step 1"]


async def test_original_response_edit_and_embed(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        rec = await server.slash("edit", user=world.alice, channel=world.general)
        await server.wait_for_request(
            "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
        )
        assert rec.content == "v2" and rec.embeds[0]["title"] == "Digest"
        assert rec.message is not None and rec.message.edits[0]["content"] == "v1"
        gets = server.requests_for(
            "GET /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
        )
        assert gets[0].params["message_id"] == "@original" and gets[0].status == 200


async def test_button_click_edits_message(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        rec = await server.slash("vote", user=world.alice, channel=world.general)
        await server.wait_for_response(rec)
        message = rec.message
        assert message is not None and message.custom_ids() == ["vote:yes"]
        click = await server.click(message, "vote:yes", user=world.bob)
        assert click.payload["message"]["id"] == str(message.id)
        await server.wait_for_response(click)
        assert click.response_type == CallbackType.UPDATE_MESSAGE
        assert message.content == "voted yes by bob" and message.components == []
        assert click.message is message
        with pytest.raises(ValueError):
            await server.click(message, "vote:yes", user=world.bob)  # the button is gone


async def test_attachment_option_download_and_file_upload(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        data = b"hello world"
        rec = await server.slash(
            "upload",
            {"file": Upload("notes.txt", data, "text/plain")},
            user=world.alice,
            channel=world.general,
        )
        await server.wait_for_response(rec)
        assert rec.content == f"notes.txt: 11 bytes {hashlib.sha256(data).hexdigest()[:8]}"
        cdn = [r for r in server.requests if r.path.startswith("/attachments/")]
        assert len(cdn) == 1 and cdn[0].status == 200
        # the bot's reply carried a file: multipart callback, stored and served
        assert rec.message is not None
        (att,) = rec.message.attachments
        assert (att.filename, att.data) == ("reversed.txt", data[::-1])
        callback = server.requests_for("POST /interactions/{webhook_id}/{webhook_token}/callback")[
            0
        ]
        assert callback.files == [("files[0]", "reversed.txt", 11)]


# ======================================================================================
# Messages, DMs, intents, mentions
# ======================================================================================


async def test_dm_reply_and_no_self_reply_loop(world: World) -> None:
    server = world.server
    bot = SampleBot()
    async with running_bot(server, bot):
        await server.send_dm(world.alice, "hello bot")
        reply = await server.wait_for_message(world.alice)
        assert reply.content == "you said: hello bot"
        await server.settle(0.1)
        # the bot saw its own reply echoed back (bot: true) and did not answer it
        assert (False, "you said: hello bot", True) in bot.seen
        assert [m.content for m in server.messages(world.alice, from_bot=True)] == [
            "you said: hello bot"
        ]


async def test_intents_filtering(server: DiscordTestServer) -> None:
    w = populate(server)
    intents = discord.Intents.default()
    intents.dm_messages = False
    bot = SampleBot(intents=intents)
    async with running_bot(server, bot):
        await server.send_dm(w.alice, "anyone there?")
        await server.settle(0.1)
        assert server.messages(w.alice, from_bot=True) == []
        assert bot.seen == []
        assert [(e.event, e.missing_intent) for e in server.filtered_events] == [
            ("MESSAGE_CREATE", Intents.DIRECT_MESSAGES)
        ]


async def test_message_content_intent(world: World) -> None:
    server = world.server
    bot = SampleBot()  # Intents.default(): no message_content
    async with running_bot(server, bot):
        await server.send_message(world.general, world.alice, "secret words")
        await server.send_message(world.general, world.alice, f"hey {server.bot_user.mention}")
        await server.send_dm(world.alice, "dm words")
        await server.wait_until(lambda: len(bot.seen) >= 4)  # DM + the bot's own DM reply
        guild_seen = [content for in_guild, content, _ in bot.seen if in_guild]
        assert guild_seen == ["", f"hey {server.bot_user.mention}"]
        assert (False, "dm words", False) in bot.seen


async def test_mention_pings(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        text = f"@everyone look {world.alice.mention}"
        unsafe = await server.slash(
            "say", {"text": text, "safe": False}, user=world.bob, channel=world.general
        )
        msg = await server.wait_for_message(world.general, lambda m: m.content == text)
        assert sorted(msg.pinged) == sorted(["@everyone", world.alice.mention])
        assert msg.mention_everyone and msg.pings_everyone
        await server.wait_for_response(unsafe)

        await server.slash(
            "say", {"text": "@everyone again"}, user=world.bob, channel=world.general
        )
        safe = await server.wait_for_message(
            world.general, lambda m: m.content == "@everyone again"
        )
        assert safe.allowed_mentions == {"parse": []}
        assert safe.pinged == [] and not safe.mention_everyone

        # an interaction reply without allowed_mentions pings too
        rec = await server.slash(
            "echo", {"text": "@here hi"}, user=world.bob, channel=world.general
        )
        await server.wait_for_response(rec)
        assert rec.message is not None and rec.message.pinged == ["@here"]


# ======================================================================================
# REST faults and rate limits
# ======================================================================================


async def test_429_is_retried_by_discord_py(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()) as runner:
        fault = server.add_fault(
            Fault.rate_limited("POST /channels/{channel_id}/messages", retry_after=0.05)
        )
        channel = runner.bot.get_channel(world.general.id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("after a 429")
        posts = server.requests_for("POST /channels/{channel_id}/messages")
        assert [p.status for p in posts] == [429, 200]
        assert posts[1].time - posts[0].time >= 0.05
        assert fault.hits == 1
        assert [m.id for m in server.messages(world.general)] == [sent.id]


async def test_global_429_and_slow_responses(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()) as runner:
        channel = runner.bot.get_channel(world.general.id)
        assert isinstance(channel, discord.TextChannel)
        server.add_fault(Fault.rate_limited(retry_after=0.05, is_global=True))
        await channel.send("after a global 429")
        posts = server.requests_for("POST /channels/{channel_id}/messages")
        assert [p.status for p in posts] == [429, 200]
        assert posts[0].response == {
            "message": "You are being rate limited.",
            "retry_after": 0.05,
            "global": True,
            "code": 0,
        }
        slow = server.add_fault(Fault.slow("GET /channels/{channel_id}", delay=0.2))
        start = time.monotonic()
        fetched = await runner.bot.fetch_channel(world.general.id)
        assert fetched.id == world.general.id and time.monotonic() - start >= 0.2
        assert slow.hits == 1


async def test_500_then_success(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()) as runner:
        server.add_fault(Fault.server_error("POST /channels/{channel_id}/messages", status=500))
        channel = runner.bot.get_channel(world.general.id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("eventually")  # discord.py sleeps 1 s, then retries
        posts = server.requests_for("POST /channels/{channel_id}/messages")
        assert [p.status for p in posts] == [500, 200]


async def test_rate_limit_buckets_are_enforced_and_respected(world: World) -> None:
    server = world.server
    server.set_rate_limit("POST /channels/{channel_id}/messages", 5, 0.2)
    async with running_bot(server, SampleBot()) as runner:
        channel = runner.bot.get_channel(world.general.id)
        assert isinstance(channel, discord.TextChannel)
        start = time.monotonic()
        await asyncio.gather(*(channel.send(f"m{i}") for i in range(12)))
        elapsed = time.monotonic() - start
        posts = server.requests_for("POST /channels/{channel_id}/messages")
        assert len(server.messages(world.general)) == 12
        assert elapsed >= 0.35  # 12 posts need three 0.2 s windows
        ok = [p for p in posts if p.status == 200]
        assert len(ok) == 12
        assert ok[0].response_headers["X-RateLimit-Limit"] == "5"
        assert ok[0].response_headers["X-RateLimit-Remaining"] == "4"
        assert server.rate_limited_count == sum(1 for p in posts if p.status == 429)


async def test_rate_limit_headers_make_discord_py_wait(world: World) -> None:
    server = world.server
    route = "POST /channels/{channel_id}/messages"
    server.set_rate_limit(route, 2, 0.3)
    async with running_bot(server, SampleBot()) as runner:
        channel = runner.bot.get_channel(world.general.id)
        assert isinstance(channel, discord.TextChannel)
        for text in ("one", "two", "three"):
            await channel.send(text)
        posts = server.requests_for(route)
        assert [p.status for p in posts] == [200, 200, 200]  # no 429: discord.py waited
        headers = posts[0].response_headers
        assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]) == ("2", "1")
        assert float(headers["X-RateLimit-Reset-After"]) <= 0.31  # rounded up to the ms
        assert posts[1].response_headers["X-RateLimit-Bucket"] == headers["X-RateLimit-Bucket"]
        assert posts[2].time - posts[0].time >= 0.29


async def test_forbidden_and_not_found(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()) as runner:
        bot = runner.bot
        # 403 50007: the user does not accept DMs
        server.block_dms(world.alice)
        user = await bot.fetch_user(world.alice.id)
        with pytest.raises(discord.Forbidden) as forbidden:
            await user.send("hi")
        assert forbidden.value.code == 50007
        rec = await server.slash("dmme", user=world.alice, channel=world.general)
        await server.wait_for_response(rec)
        assert rec.content == "cannot dm: 50007"
        # 404 10003 injected, and for a deleted channel
        channel = bot.get_channel(world.general.id)
        assert isinstance(channel, discord.TextChannel)
        server.add_fault(Fault.unknown_channel(channel=world.general))
        with pytest.raises(discord.NotFound) as not_found:
            await channel.send("x")
        assert not_found.value.code == 10003
        # 403 50001 / 50013 from channel permissions
        hidden = server.add_channel(world.guild, "hidden", bot_permissions=0)
        readonly = server.add_channel(
            world.guild, "readonly", bot_permissions=Permissions.VIEW_CHANNEL
        )
        with pytest.raises(discord.Forbidden) as no_access:
            await bot.http.send_message(hidden.id, params=_params("x"))
        assert no_access.value.code == 50001
        with pytest.raises(discord.Forbidden) as no_perms:
            await bot.http.send_message(readonly.id, params=_params("x"))
        assert no_perms.value.code == 50013
        # 400 50035 for a too long message
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.code == 50035


def _params(content: str) -> Any:
    from discord.http import handle_message_parameters

    return handle_message_parameters(content=content)


async def test_channel_and_guild_delete(world: World) -> None:
    server = world.server
    extra = server.add_channel(world.guild, "extra")
    other = server.add_guild("Other guild")
    async with running_bot(server, SampleBot()) as runner:
        bot = runner.bot
        assert bot.get_channel(extra.id) is not None
        await server.delete_channel(extra)
        await server.wait_until(lambda: bot.get_channel(extra.id) is None)
        with pytest.raises(discord.NotFound) as exc:
            await bot.fetch_channel(extra.id)
        assert exc.value.code == 10003
        await server.delete_guild(other)
        await server.wait_until(lambda: bot.get_guild(other.id) is None)
        joined = server.add_guild("Joined later")
        news = server.add_channel(joined, "news")
        await server.announce_guild(joined)
        await server.wait_until(lambda: bot.get_channel(news.id) is not None)


async def test_channel_post_with_file_multipart(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()) as runner:
        channel = runner.bot.get_channel(world.general.id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("report", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), "r.csv"))
        assert sent.attachments[0].filename == "r.csv"
        assert await sent.attachments[0].read() == b"a,b\n1,2\n"
        (stored,) = server.messages(world.general)
        assert stored.content == "report" and stored.attachments[0].data == b"a,b\n1,2\n"


async def test_scheduled_posts_and_loops_cancelled_at_teardown(world: World) -> None:
    server = world.server
    bot = DigestBot(world.general.id)
    async with running_bot(server, bot) as runner:
        await server.wait_for_message(world.general, lambda m: m.content == "digest #3")
        assert runner.bot.is_ready()
    # P14: the harness cancelled the loop before closing the bot
    assert bot.digest in runner.loops and not bot.digest.is_running()
    assert all(m.allowed_mentions == {"parse": []} for m in server.messages(world.general))


# ======================================================================================
# Interaction protocol rules
# ======================================================================================


async def test_answering_twice_is_flagged(world: World) -> None:
    server = world.server
    bot = SampleBot()
    async with running_bot(server, bot):
        rec = await server.slash("twice", user=world.alice, channel=world.general)
        await server.wait_until(lambda: len(rec.callbacks) == 2)
        assert rec.double_acks == 1
        assert [c.status for c in rec.callbacks] == [200, 400]
        (error,) = server.protocol_errors
        assert (error.kind, error.code) == ("already_acknowledged", 40060)
        await server.wait_until(lambda: bool(bot.errors) or rec.double_acks > 0)
        with pytest.raises(AssertionError):
            server.assert_no_protocol_errors()


async def test_three_second_window() -> None:
    # a 1 s window (Discord's is 3 s): wide enough that a loaded CI machine answers in time
    async with DiscordTestServer(interaction_response_window=1.0) as server:
        w = populate(server)
        async with running_bot(server, SampleBot()):
            late = await server.slash("slowreply", {"delay": 1.5}, user=w.alice, channel=w.general)
            await server.wait_for_response(late)
            assert not late.acknowledged
            assert late.callbacks[0].status == 404
            assert [(e.kind, e.code) for e in late.errors] == [("unknown_interaction", 10062)]
            on_time = await server.slash(
                "slowreply", {"delay": 0.0}, user=w.alice, channel=w.general
            )
            await server.wait_for_response(on_time)
            assert on_time.acknowledged and on_time.content == "finally"
            # the window can be switched off at any time (e.g. while debugging)
            server.interaction_response_window = None
            slow = await server.slash("slowreply", {"delay": 1.5}, user=w.alice, channel=w.general)
            await server.wait_for_response(slow)
            assert slow.acknowledged and slow.latency is not None and slow.latency >= 1.5


async def test_interaction_token_expires() -> None:
    async with DiscordTestServer(interaction_token_ttl=0.6) as server:
        w = populate(server)
        bot = SampleBot()
        async with running_bot(server, bot):
            rec = await server.slash("later", {"delay": 0.8}, user=w.alice, channel=w.general)
            await server.wait_until(lambda: bool(bot.errors), timeout=5)
            assert rec.content == "first" and rec.followups == []
            error = bot.errors[0]
            assert isinstance(error, discord.HTTPException) and error.code == 50027
            assert [e.kind for e in rec.errors] == ["invalid_webhook_token"]


# ======================================================================================
# Gateway faults
# ======================================================================================


async def test_gateway_drop_resume_and_replay(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        await server.drop_gateway()
        # dispatched while the bot is away: replayed on RESUME
        await server.send_dm(world.alice, "while away")
        await server.wait_for_resume()
        assert server.identify_count == 1 and server.resume_count == 1
        assert server.connections[-1].path == "/gateway/resume/"  # READY.resume_gateway_url
        reply = await server.wait_for_message(world.alice)
        assert reply.content == "you said: while away"
        rec = await server.slash(
            "echo", {"text": "still here"}, user=world.alice, channel=world.general
        )
        await server.wait_for_response(rec)
        assert rec.content == "still here"


async def test_gateway_reconnect_op7(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        await server.send_reconnect()
        await server.wait_for_resume()
        rec = await server.slash("echo", {"text": "ok"}, user=world.alice, channel=world.general)
        await server.wait_for_response(rec)
        assert rec.content == "ok" and server.identify_count == 1


async def test_invalid_session_reidentifies(world: World) -> None:
    server = world.server
    async with running_bot(server, SampleBot()):
        first_session = server.session
        await server.invalidate_session(resumable=False)
        await server.wait_for_ready(2)
        assert server.identify_count == 2 and server.session is not first_session
        rec = await server.slash(
            "echo", {"text": "new session"}, user=world.alice, channel=world.general
        )
        await server.wait_for_response(rec)
        assert rec.content == "new session"


async def test_member_chunk_request_answered(server: DiscordTestServer) -> None:
    w = populate(server)
    intents = discord.Intents.default()
    intents.members = True
    bot = SampleBot(intents=intents)
    async with running_bot(server, bot):
        guild = bot.get_guild(w.guild.id)
        assert guild is not None and guild.chunked
        assert {m.name for m in guild.members} == {"alice", "bob", server.bot_user.username}
        members = await guild.query_members("ali")
        assert [m.name for m in members] == ["alice"]


# ======================================================================================
# The harness' own checks
# ======================================================================================


async def test_unhandled_routes_are_recorded_and_fail_the_run(world: World) -> None:
    server = world.server
    with pytest.raises(UnhandledRoutesError, match="/emojis"):
        async with running_bot(server, SampleBot()) as runner:
            guild = runner.bot.get_guild(world.guild.id)
            assert guild is not None
            with pytest.raises(discord.NotFound):
                await guild.fetch_emojis()
    assert [(r.method, r.path) for r in server.unhandled] == [
        ("GET", f"/guilds/{world.guild.id}/emojis")
    ]


async def test_runner_task_death_is_detected(world: World) -> None:
    server = world.server
    with pytest.raises(BotCrashedError, match="attachment_size_limit"):
        async with running_bot(server, SampleBot()) as runner:
            rec = await server.slash("echo", {"text": "x"}, user=world.alice, channel=world.general)
            await server.wait_for_response(rec)
            bad = dict(rec.payload, id="1", token="t")
            del bad["attachment_size_limit"]  # P4: a KeyError here kills bot.start()
            await server.dispatch_raw({"op": 0, "t": "INTERACTION_CREATE", "s": 999, "d": bad})
            await server.wait_until(lambda: not runner.alive)
