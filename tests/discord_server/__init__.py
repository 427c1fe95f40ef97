"""A protocol-level Discord test server for testing a real discord.py bot.

The bot under test is the real, unpatched ``discord.py`` client. It talks over loopback
to :class:`DiscordTestServer`, an aiohttp app that implements the parts of Discord's
REST API (``/api/v10/...``), its gateway websocket and a tiny CDN that a bot uses in
normal operation. Only two process-wide discord.py attributes are redirected, by
:func:`running_bot` / :func:`patch_discord`: ``discord.http.Route.BASE`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``.

Background and the 17 pitfalls this server handles: ``/work/shared/notes/discord-test-server.md``.

Quick start
-----------
::

    import discord
    from discord.ext import commands
    from tests.discord_server import DiscordTestServer, running_bot

    class MyBot(commands.Bot):
        def __init__(self) -> None:
            super().__init__(
                command_prefix="!",
                intents=discord.Intents.default(),
                guild_ready_timeout=0.01,   # else on_ready waits 2 s (P2)
            )

        async def setup_hook(self) -> None:
            @self.tree.command(description="Echo text back")
            async def echo(interaction: discord.Interaction, text: str) -> None:
                await interaction.response.send_message(text)

            await self.tree.sync()      # the server records the schema; slash() uses it

    async def test_echo() -> None:
        async with DiscordTestServer() as server:
            guild = server.add_guild("Test guild")
            general = server.add_channel(guild, "general")
            alice = server.add_user("alice")
            server.add_member(guild, alice)   # permissions: @everyone's (or pass an int)
            async with running_bot(server, MyBot()) as runner:
                rec = await server.slash("echo", {"text": "hi"}, user=alice, channel=general)
                await server.wait_for_response(rec)
                assert rec.response_type == 4 and rec.content == "hi"
                assert not rec.ephemeral and rec.latency < 1
            # leaving running_bot asserts: runner task alive, server.unhandled == []

A pytest fixture usually wraps the two context managers::

    @pytest.fixture
    async def server():
        async with DiscordTestServer() as srv:
            yield srv

Model (set up before or while the bot runs)
-------------------------------------------
``add_user``, ``add_guild`` (the bot is a member; ``bot_permissions`` default: all),
``add_channel`` (per-channel ``bot_permissions`` override), ``add_role``, ``add_member``
(``permissions=`` the member's resolved permission integer, as sent in interactions),
``dm_channel(user)``, ``block_dms(user)`` (posts to that DM get 403 50007).
Guilds/channels created after READY need ``announce_guild`` / ``announce_channel``.
Everything lives in ``server.state`` (:class:`ServerState`); objects are dataclasses
from :mod:`.state` (``User``, ``Guild``, ``Channel``, ``Member``, ``Role``, ``Message``,
``Command``, ``InteractionRecord`` ...).

Driving the bot (each call dispatches over the gateway and returns immediately)
--------------------------------------------------------------------------------
* ``await server.slash("group sub", {"opt": value}, user=u, channel=c)`` - type 2
  interaction; options are typed with the schema the bot synced (``LookupError`` if the
  command is not registered, ``ValueError`` for bad options). ``channel=None`` = in DM.
  Values: str/int/float/bool, ``User``, ``Channel``, ``Role``, ``Upload(filename, data)``
  for attachment options (served at ``server.base_url + "/attachments/..."``).
* ``await server.autocomplete("cmd", "option", "partial", {...}, user=u, channel=c)`` -
  type 4 with ``focused``; result in ``record.choices``.
* ``await server.click(message, "custom_id", user=u)`` / ``server.select(...)`` - type 3
  component interaction carrying ``message``.
* ``await server.send_dm(user, "text")`` / ``server.send_message(channel, user, "text")``
  - MESSAGE_CREATE (intents apply: no DIRECT_MESSAGES -> no DM event; no MESSAGE_CONTENT
  -> empty content in guild messages unless the bot is mentioned).
* ``await server.delete_channel(c)``, ``server.delete_guild(g)`` - CHANNEL_DELETE /
  GUILD_DELETE; later requests to them get 404 Unknown Channel (10003).
* ``await server.dispatch(event, data)`` / ``dispatch_raw(frame)`` - anything else.

Observing (no sleeps: every wait is event-driven and has a timeout)
-------------------------------------------------------------------
* :class:`InteractionRecord` per interaction (``server.interactions``): ``latency``
  (dispatch -> first callback), ``response_type``, ``message`` (original response),
  ``content``/``embeds``/``components``/``flags``/``ephemeral``, ``followups``,
  ``choices``, ``callbacks`` (every attempt), ``errors``/``double_acks``.
* ``await server.wait_for_response(rec)``, ``wait_for_followups(rec, n)``,
  ``wait_for_message(channel_or_user, predicate)``, ``wait_for_request(route)``,
  ``wait_for_identify/ready/resume(n)``, ``wait_until(predicate)``; ``settle(quiet)``
  waits until the bot has been idle for ``quiet`` seconds, before asserting that
  something did NOT happen.
* ``server.messages(channel_or_user)``: stored ``Message`` objects with ``content``,
  ``embeds``, ``components``, ``flags``, ``attachments``, ``allowed_mentions`` (as sent)
  and ``pinged`` (what would notify: ``"@everyone"``, ``"@here"``, ``"<@id>"``,
  ``"<@&id>"``), ``edits``.
* ``server.requests`` (every request: method, path, query, json, time, route, status),
  ``requests_for("POST /channels/{channel_id}/messages")``, ``server.unhandled``,
  ``server.protocol_errors`` (``already_acknowledged`` 40060, ``unknown_interaction``
  10062 for late or unknown callbacks, ``invalid_webhook_token`` 50027 after the token
  TTL, ``webhook_before_ack`` ...), ``filtered_events``, ``identify_count``,
  ``resume_count``, ``command_schemas(guild=None)``, ``response_latencies()``,
  ``internal_errors`` (bugs of the server itself).

Faults
------
* ``server.add_fault(Fault.rate_limited("POST /channels/{channel_id}/messages"))``,
  ``Fault.server_error(status=500)``, ``Fault.slow(delay=...)``,
  ``Fault.unknown_channel()``, ``Fault.missing_access()``, ``Fault.missing_permissions()``,
  ``Fault.cannot_dm(user)``; narrow with ``channel=``/``user_id``; ``times=None`` = forever.
* Rate limits are enforced per route template + major parameter, with Discord's
  ``X-RateLimit-*`` headers: default 50 requests/s per bucket
  (``DiscordTestServer(rate_limit=RateLimit(5, 5.0))``, ``set_rate_limit(route, n, per)``,
  ``global_rate_limit=50``); ``server.rate_limited_count`` counts enforced 429s.
* Gateway: ``drop_gateway()`` (TCP abort; ``code=`` to close with a code),
  ``send_reconnect()`` (op 7), ``invalidate_session(resumable=False)`` (op 9);
  events dispatched while the bot is away are replayed on RESUME.
* ``DiscordTestServer(interaction_response_window=3.0)`` (``None`` disables the 3 s rule,
  also at runtime), ``interaction_token_ttl=900``, ``heartbeat_interval`` (seconds).

Pitfalls found while building this (in addition to P1-P17 of the notes)
----------------------------------------------------------------------
* P18: after INVALID_SESSION (or any non-initial IDENTIFY) discord.py sleeps 5 s in
  ``Client.before_identify_hook``; test bots can override it with a no-op.
* P19: discord.py's connector has no connection limit, so a burst of N concurrent REST
  calls opens N sockets. The server listens with a deep backlog (4096) so the kernel does
  not drop SYNs (which stalled clients for the 1 s SYN retransmit). For very large bursts
  (thousands of concurrent ``send()``s) mind the fd limit, or give the bot
  ``connector=aiohttp.TCPConnector(limit=100)``.
* P20: a 429 without a ``Via`` header is treated by discord.py as a Cloudflare ban
  (``HTTPException``, no retry); the server always sends ``Via``.
* P21: discord.py retries 500/502/504/524 after sleeping ``1 + 2 * try`` seconds, so a
  500 fault costs a test at least 1 s. Bugs inside the server therefore answer 400 and are
  collected in ``server.internal_errors`` (``running_bot`` fails the test on them).
* Without the GUILD_MEMBERS intent GUILD_CREATE carries only the bot's own member (as on
  Discord; ``member_count`` is the real count). discord.py does not chunk then, so
  ``guild.get_member(user_id)`` is ``None`` for users: use ``interaction.user``.

Measured on 2 CPUs (server and bot in one process, machine shared): 1,000 slash
interactions with 50 in flight take about 1 s (p50 dispatch-to-callback 20-40 ms);
10,000 concurrent ``channel.send()`` calls over 20 channels take 8-20 s, with a 250/s
per-channel bucket enforced and no 429s (discord.py honours the headers). The server's
own code is under a fifth of that CPU time; the rest is discord.py and aiohttp.
"""

from tests.discord_server.harness import (
    BotCrashedError,
    BotRunner,
    UnhandledRoutesError,
    find_loops,
    patch_discord,
    running_bot,
)
from tests.discord_server.server import (
    DiscordTestServer,
    FilteredEvent,
    GatewayConnection,
    GatewaySession,
)
from tests.discord_server.state import (
    Attachment,
    CallbackAttempt,
    CallbackType,
    Channel,
    ChannelType,
    Command,
    ErrorCode,
    Fault,
    Guild,
    Intents,
    InteractionRecord,
    InteractionType,
    Member,
    Message,
    MessageFlags,
    OptionType,
    Permissions,
    ProtocolError,
    RateLimit,
    RecordedRequest,
    Role,
    ServerState,
    Upload,
    User,
)

__all__ = [
    "Attachment",
    "BotCrashedError",
    "BotRunner",
    "CallbackAttempt",
    "CallbackType",
    "Channel",
    "ChannelType",
    "Command",
    "DiscordTestServer",
    "ErrorCode",
    "Fault",
    "FilteredEvent",
    "GatewayConnection",
    "GatewaySession",
    "Guild",
    "Intents",
    "InteractionRecord",
    "InteractionType",
    "Member",
    "Message",
    "MessageFlags",
    "OptionType",
    "Permissions",
    "ProtocolError",
    "RateLimit",
    "RecordedRequest",
    "Role",
    "ServerState",
    "UnhandledRoutesError",
    "Upload",
    "User",
    "find_loops",
    "patch_discord",
    "running_bot",
]
