"""The Discord test server: an aiohttp app with REST under ``/api/v10`` and a gateway.

See the package docstring (:mod:`tests.discord_server`) for usage. In short::

    async with DiscordTestServer() as server:
        guild = server.add_guild("Test guild")
        general = server.add_channel(guild, "general")
        alice = server.add_user("alice")
        server.add_member(guild, alice)
        async with running_bot(server, MyBot()):
            rec = await server.slash("echo", {"text": "hi"}, user=alice, channel=general)
            await server.wait_for_response(rec)
            assert rec.content == "hi"
"""

# The waiting helpers take ``timeout=`` on purpose: test code reads better with it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import unquote

from aiohttp import BodyPartReader, WSMsgType, web

from tests.discord_server import payloads as P
from tests.discord_server.state import (
    Application,
    Attachment,
    Bucket,
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
    parse_snowflake,
    resolve_mentions,
    utcnow,
)

API_PREFIX = "/api/v10"
#: Bucket enforced per route + major parameters unless configured otherwise.
DEFAULT_RATE_LIMIT = RateLimit(limit=50, per=1.0)

# Routes whose requests are not subject to the per-route bucket enforcement.
_EXEMPT_FROM_RATE_LIMITS = ("POST /interactions/", "GET /gateway")
_WEBHOOK_ROUTE_PREFIX = (
    "POST /webhooks/",
    "GET /webhooks/",
    "PATCH /webhooks/",
    "DELETE /webhooks/",
)
_NO_AUTH_PREFIXES = ("POST /interactions/", *_WEBHOOK_ROUTE_PREFIX)
# Flags a bot may set on a channel message / an interaction response.
_CHANNEL_MESSAGE_FLAGS = (
    MessageFlags.SUPPRESS_EMBEDS
    | MessageFlags.SUPPRESS_NOTIFICATIONS
    | MessageFlags.IS_COMPONENTS_V2
)
_INTERACTION_MESSAGE_FLAGS = _CHANNEL_MESSAGE_FLAGS | MessageFlags.EPHEMERAL
_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    InteractionType.APPLICATION_COMMAND: frozenset({4, 5, 9}),
    InteractionType.MESSAGE_COMPONENT: frozenset({4, 5, 6, 7, 9}),
    InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE: frozenset({8}),
    InteractionType.MODAL_SUBMIT: frozenset({4, 5, 6, 7}),
}


class _HTTPError(Exception):
    def __init__(
        self, status: int, body: dict[str, Any] | None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _err(status: int, code: int, message: str) -> _HTTPError:
    return _HTTPError(status, P.error_body(code, message))


@dataclass
class _File:
    field: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class _Ctx:
    record: RecordedRequest
    params: dict[str, str]
    body: Any
    files: list[_File]
    request: web.Request

    @property
    def json(self) -> dict[str, Any]:
        return self.body if isinstance(self.body, dict) else {}


_Response = tuple[int, Any]
_Handler = Callable[[_Ctx], Awaitable[_Response]]


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


# --------------------------------------------------------------------------------------
# Gateway objects
# --------------------------------------------------------------------------------------


class GatewayConnection:
    """One websocket connection from the bot."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.transport = request.transport
        self.path = request.path
        self.query = dict(request.query)
        self.session: GatewaySession | None = None
        self.opened_at = time.monotonic()
        self.heartbeats = 0
        self.resumed = False
        self.closed = False

    async def send(self, frame: str) -> bool:
        if self.closed or self.ws.closed:
            return False
        try:
            await self.ws.send_str(frame)
        except (ConnectionError, RuntimeError):
            return False
        return True

    async def send_json(self, obj: Any) -> bool:
        return await self.send(json.dumps(obj, separators=(",", ":")))

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (a network failure)."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    async def close(self, code: int) -> None:
        self.closed = True
        with contextlib.suppress(Exception):
            await self.ws.close(code=code)


class GatewaySession:
    """A gateway session (created by IDENTIFY, continued by RESUME).

    Every dispatch gets the next sequence number and is kept in ``backlog`` so that a
    RESUME can replay what the bot missed while disconnected.
    """

    def __init__(self, session_id: str, identify: dict[str, Any], max_backlog: int) -> None:
        self.session_id = session_id
        self.identify = identify
        self.intents = int(identify.get("intents") or 0)
        self.seq = 0
        self.backlog: deque[tuple[int, str]] = deque(maxlen=max_backlog)
        self.conn: GatewayConnection | None = None
        self.resumable = True
        self.lock = asyncio.Lock()
        self.dispatched: dict[str, int] = {}
        shard = identify.get("shard")
        #: ``(shard_id, shard_count)`` from IDENTIFY; None: an unsharded session (all guilds).
        self.shard: tuple[int, int] | None = (int(shard[0]), int(shard[1])) if shard else None

    def has(self, intent: int) -> bool:
        return bool(self.intents & intent)

    def serves(self, guild_id: int | None) -> bool:
        """Whether this session receives the events of ``guild_id`` (None: direct messages).
        Like Discord: a guild belongs to shard ``(guild_id >> 22) % shard_count``, and DMs
        to shard 0."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % count == shard_id

    async def send_dispatch(self, event: str, data: Any) -> None:
        async with self.lock:
            self.seq += 1
            frame = json.dumps(
                {"op": 0, "t": event, "s": self.seq, "d": data}, separators=(",", ":")
            )
            self.backlog.append((self.seq, frame))
            self.dispatched[event] = self.dispatched.get(event, 0) + 1
            conn = self.conn
            if conn is not None:
                await conn.send(frame)


@dataclass(eq=False)
class FilteredEvent:
    """A dispatch the server did not deliver because the session lacks an intent."""

    event: str
    data: Any
    missing_intent: int


@dataclass
class _Waiter:
    predicate: Callable[[], bool]
    future: asyncio.Future[None]


@dataclass
class _MessageWaiter:
    predicate: Callable[[Message], bool]
    future: asyncio.Future[Message]
    from_bot: bool


@dataclass
class _Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: _Handler
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = f"{self.method} {self.template}"


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


class DiscordTestServer:
    """A protocol-level Discord server on 127.0.0.1 for testing a real discord.py bot.

    Parameters
    ----------
    token:
        Bot token the server accepts (REST ``Authorization: Bot <token>`` and IDENTIFY);
        ``None`` accepts any token.
    heartbeat_interval:
        Seconds announced in HELLO.
    interaction_response_window:
        Seconds after dispatch during which the initial callback is accepted (Discord: 3);
        later callbacks get 404 Unknown interaction (10062). ``None`` disables the check
        (handy under a debugger).
    interaction_token_ttl:
        Seconds an interaction token stays valid for followups/edits (Discord: 15 min);
        afterwards webhook requests get 401 Invalid Webhook Token (50027).
    rate_limit:
        Default bucket enforced per route template + major parameters (channel, guild,
        webhook); ``None`` disables enforcement (and rate-limit headers). Override per
        route with :meth:`set_rate_limit`. Interaction callbacks and webhooks are exempt.
    global_rate_limit:
        Requests per second across all routes before a global 429 (``None``: off).
    attachment_size_limit:
        Sent in every interaction (``attachment_size_limit``) and enforced on uploads.
    allowed_privileged_intents:
        Privileged intents "enabled in the developer portal"; IDENTIFY asking for others
        is closed with 4014 like Discord.
    max_backlog:
        Dispatches kept per session for RESUME replay.
    recommended_shards, max_concurrency:
        What ``GET /gateway/bot`` answers (``shards``, ``session_start_limit.max_concurrency``).
        Sharding works as on Discord: IDENTIFY with ``shard: [id, count]``; a session receives
        the guilds with ``(guild_id >> 22) % count == id`` (READY, GUILD_CREATE and their
        events, interactions included), DMs go to shard 0; :meth:`add_guild` takes
        ``shard=(id, count)`` to create a guild on a given shard.
    """

    def __init__(
        self,
        *,
        token: str | None = "test-token",
        heartbeat_interval: float = 41.25,
        interaction_response_window: float | None = 3.0,
        interaction_token_ttl: float = 15 * 60.0,
        rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
        global_rate_limit: int | None = None,
        attachment_size_limit: int = 10 * 1024 * 1024,
        allowed_privileged_intents: int = Intents.PRIVILEGED,
        max_backlog: int = 10_000,
        bot_name: str = "briefbot",
        recommended_shards: int = 1,
        max_concurrency: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.interaction_response_window = interaction_response_window
        self.interaction_token_ttl = interaction_token_ttl
        self.default_rate_limit = rate_limit
        self.global_rate_limit = global_rate_limit
        self.attachment_size_limit = attachment_size_limit
        self.allowed_privileged_intents = allowed_privileged_intents
        self.max_backlog = max_backlog
        #: What ``GET /gateway/bot`` recommends: how many shards, and how many may IDENTIFY
        #: at once (``session_start_limit.max_concurrency``).
        self.recommended_shards = recommended_shards
        self.max_concurrency = max_concurrency
        self.host = host
        self.port = port

        #: The model: users, guilds, channels, messages, commands.
        self.state = ServerState(bot_name=bot_name)

        # Records ----------------------------------------------------------------------
        #: Every HTTP request received (REST, CDN and unknown paths).
        self.requests: list[RecordedRequest] = []
        #: Requests to routes this server does not implement (answered 404).
        self.unhandled: list[RecordedRequest] = []
        #: Requests Discord would reject as protocol violations (double acks, ...).
        self.protocol_errors: list[ProtocolError] = []
        #: Dispatches withheld because of missing intents.
        self.filtered_events: list[FilteredEvent] = []
        #: Interactions by id.
        self.interactions: dict[int, InteractionRecord] = {}
        #: 429s produced by bucket enforcement (not by injected faults).
        self.rate_limited_count = 0
        self.faults: list[Fault] = []
        #: Exceptions raised by this server's own code while handling a request or frame.
        self.internal_errors: list[BaseException] = []

        # Gateway ------------------------------------------------------------------------
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        #: The latest session that sent READY (with several shards, see ``shard_sessions``).
        self.session: GatewaySession | None = None
        #: The live session of each shard (``(shard_id, shard_count)``; None: unsharded);
        #: a guild's events go to the session that serves it (:meth:`session_for`).
        self.shard_sessions: dict[tuple[int, int] | None, GatewaySession] = {}
        self.identify_count = 0
        self.resume_count = 0
        self.ready_count = 0
        self.failed_resume_count = 0
        self.heartbeat_count = 0
        self.identifies: list[dict[str, Any]] = []
        self.gateway_errors: list[str] = []
        self.presence: dict[str, Any] | None = None
        #: Set to False to stop answering heartbeats (simulates a zombie connection).
        self.ack_heartbeats = True
        #: Gateway connection attempts to refuse with 503 (see :meth:`gateway_outage`).
        self.refuse_gateway = 0
        self.refused_gateway_count = 0

        # Internals ------------------------------------------------------------------------
        self._routes: dict[str, list[_Route]] = {}
        self._requests_by_route: dict[str, list[RecordedRequest]] = {}
        self._interactions_by_token: dict[str, InteractionRecord] = {}
        self._rate_limits: dict[str, RateLimit | None] = {}
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._global_window: tuple[float, int] = (0.0, 0)
        self._nonces: dict[tuple[int, str], Message] = {}
        self._waiters: list[_Waiter] = []
        self._message_waiters: dict[int, list[_MessageWaiter]] = {}
        self._last_activity = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._register_routes()

    # ==================================================================================
    # Lifecycle
    # ==================================================================================

    async def start(self) -> Self:
        """Start listening (ephemeral port by default); returns ``self``."""
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("GET", "/gateway", self._handle_gateway)
        app.router.add_route("GET", "/gateway/", self._handle_gateway)
        app.router.add_route("GET", "/gateway/resume/", self._handle_gateway)
        app.router.add_route("*", "/{tail:.*}", self._handle_http)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await self._runner.setup()
        # discord.py's connector has no connection limit: a burst of 1,000 requests opens
        # 1,000 sockets at once. With the default backlog (128) the kernel drops SYNs and
        # clients stall for the 1 s SYN retransmit, so ask for a deep accept queue.
        site = web.TCPSite(self._runner, self.host, self.port, backlog=4096)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        """Close all gateway connections and stop the HTTP server."""
        for conn in list(self.connections):
            if not conn.ws.closed:
                await conn.close(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.cancel()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (wrap it in ``yarl.URL``)."""
        return f"ws://{self.host}:{self.port}/gateway/"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway/resume/"

    # ==================================================================================
    # Model shortcuts
    # ==================================================================================

    @property
    def bot_user(self) -> User:
        return self.state.bot_user

    @property
    def application(self) -> Application:
        return self.state.application

    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> User:
        """Create a user (not yet in any guild)."""
        return self.state.add_user(username, bot=bot, global_name=global_name)

    def add_guild(
        self,
        name: str = "Test guild",
        *,
        owner: User | None = None,
        bot_permissions: int = Permissions.ALL,
        everyone_permissions: int = Permissions.DEFAULT,
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """Create a guild the bot is a member of (sent in READY / GUILD_CREATE on IDENTIFY).

        ``shard=(id, count)``: a guild whose id puts it on that shard. Guilds added after the
        bot connected need :meth:`announce_guild`.
        """
        return self.state.add_guild(
            name,
            owner=owner,
            bot_permissions=bot_permissions,
            everyone_permissions=everyone_permissions,
            shard=shard,
        )

    def add_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = ChannelType.GUILD_TEXT,
        topic: str | None = None,
        bot_permissions: int | None = None,
    ) -> Channel:
        """Create a guild channel; ``bot_permissions`` overrides the bot's guild permissions."""
        return self.state.add_channel(
            guild, name, type=type, topic=topic, bot_permissions=bot_permissions
        )

    def add_role(
        self, guild: Guild, name: str, *, permissions: int = 0, mentionable: bool = True
    ) -> Role:
        return self.state.add_role(guild, name, permissions=permissions, mentionable=mentionable)

    def add_member(
        self,
        guild: Guild,
        user: User,
        *,
        permissions: int | None = None,
        roles: Iterable[Role | int] = (),
        nick: str | None = None,
    ) -> Member:
        """Make ``user`` a member; ``permissions`` is the member's resolved permission int."""
        return self.state.add_member(guild, user, permissions=permissions, roles=roles, nick=nick)

    def dm_channel(self, user: User) -> Channel:
        """The bot's DM channel with ``user`` (created on first use)."""
        return self.state.dm_channel(user)

    def block_dms(self, user: User, blocked: bool = True) -> None:
        """Posts to ``user``'s DM channel fail with 403 50007 while blocked."""
        user.accepts_dms = not blocked

    def channel_of(self, where: Channel | User | int) -> Channel:
        if isinstance(where, Channel):
            return where
        if isinstance(where, User):
            return self.state.dm_channel(where)
        return self.state.channels[where]

    def messages(
        self, where: Channel | User | int, *, from_bot: bool | None = None
    ) -> list[Message]:
        """Non-deleted messages of a channel (a ``User`` means the DM channel), oldest first."""
        channel = self.channel_of(where)
        msgs = channel.history()
        if from_bot is None:
            return msgs
        bot_id = self.bot_user.id
        return [m for m in msgs if (m.author.id == bot_id) == from_bot]

    def commands(self, guild: Guild | None = None) -> list[Command]:
        """Commands registered by the bot (global, or for ``guild``)."""
        if guild is None:
            return list(self.state.global_commands.values())
        return list(self.state.guild_commands.get(guild.id, {}).values())

    def command_schemas(self, guild: Guild | None = None) -> list[dict[str, Any]]:
        """Exactly what the bot PUT for its commands (global, or for ``guild``)."""
        return [c.raw for c in self.commands(guild)]

    # ==================================================================================
    # Records and faults
    # ==================================================================================

    def requests_for(self, route: str) -> list[RecordedRequest]:
        """Requests for a route template (``"POST /channels/{channel_id}/messages"``)."""
        return list(self._requests_by_route.get(route, ()))

    def response_latencies(self) -> list[float]:
        """Dispatch-to-first-callback seconds of every interaction that got a callback."""
        return [r.latency for r in self.interactions.values() if r.latency is not None]

    def add_fault(self, fault: Fault) -> Fault:
        """Inject a failure (see :class:`Fault` and its factories); returns it (``hits``)."""
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_rate_limit(self, route: str, limit: int | None, per: float = 1.0) -> None:
        """Enforce ``limit`` requests per ``per`` seconds for a route template.

        ``limit=None`` exempts the route. Example, Discord's message bucket::

            server.set_rate_limit("POST /channels/{channel_id}/messages", 5, 5.0)
        """
        self._rate_limits[route] = None if limit is None else RateLimit(limit, per)
        self._buckets = {k: v for k, v in self._buckets.items() if k[0] != route}

    def assert_no_protocol_errors(self) -> None:
        if self.protocol_errors:
            lines = "\n".join(
                f"  {e.kind} ({e.code}) {e.message} interaction={e.interaction_id}"
                for e in self.protocol_errors
            )
            raise AssertionError(f"protocol errors:\n{lines}")

    # ==================================================================================
    # Waiting
    # ==================================================================================

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
        what: str = "condition",
        *,
        poll: float = 0.01,
    ) -> None:
        """Wait until ``predicate()`` is true.

        It is re-checked after every server event (request, gateway frame) and every
        ``poll`` seconds, so predicates over the *bot's* state (``bot.get_channel(i) is
        None`` after a CHANNEL_DELETE) work too.
        """
        if predicate():
            return
        loop = asyncio.get_running_loop()
        waiter = _Waiter(predicate, loop.create_future())
        self._waiters.append(waiter)
        deadline = loop.time() + timeout
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
                await asyncio.wait({waiter.future}, timeout=min(poll, remaining))
                if waiter.future.done():
                    waiter.future.result()  # re-raise a predicate error
                    return
                if predicate():
                    return
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
            if not waiter.future.done():
                waiter.future.cancel()

    async def wait_for_response(
        self, interaction: InteractionRecord | int, timeout: float = 5.0
    ) -> InteractionRecord:
        """Wait for the first callback attempt of an interaction (accepted or refused)."""
        rec = self._interaction(interaction)
        await self.wait_until(
            lambda: bool(rec.callbacks), timeout, f"a response to interaction {rec.name!r}"
        )
        return rec

    async def wait_for_followups(
        self, interaction: InteractionRecord | int, count: int = 1, timeout: float = 5.0
    ) -> list[Message]:
        """Wait until the interaction has ``count`` followup messages; returns them."""
        rec = self._interaction(interaction)
        await self.wait_until(
            lambda: len(rec.followups) >= count,
            timeout,
            f"{count} followup(s) to interaction {rec.name!r}",
        )
        return rec.followups

    async def wait_for_message(
        self,
        where: Channel | User | int,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
        *,
        from_bot: bool = True,
        include_existing: bool = True,
    ) -> Message:
        """Wait for a (bot-authored by default) message in a channel matching ``predicate``.

        A ``User`` means the bot's DM channel with that user. Edited messages are checked
        again after each edit. Existing messages count unless ``include_existing=False``.
        """
        channel = self.channel_of(where)
        pred = predicate or (lambda _m: True)
        bot_id = self.bot_user.id
        if include_existing:
            for msg in channel.history():
                if (msg.author.id == bot_id or not from_bot) and pred(msg):
                    return msg
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        waiter = _MessageWaiter(pred, future, from_bot)
        self._message_waiters.setdefault(channel.id, []).append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            last = [m.content for m in channel.history()[-5:]]
            raise TimeoutError(
                f"timed out after {timeout}s waiting for a message in channel {channel.id}; "
                f"last messages: {last!r}"
            ) from None
        finally:
            waiters = self._message_waiters.get(channel.id, [])
            if waiter in waiters:
                waiters.remove(waiter)

    async def wait_for_identify(self, count: int = 1, timeout: float = 5.0) -> None:
        await self.wait_until(lambda: self.identify_count >= count, timeout, f"IDENTIFY #{count}")

    async def wait_for_ready(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until READY was sent ``count`` times."""
        await self.wait_until(lambda: self.ready_count >= count, timeout, f"READY #{count}")

    async def wait_for_resume(self, count: int = 1, timeout: float = 5.0) -> None:
        await self.wait_until(lambda: self.resume_count >= count, timeout, f"RESUME #{count}")

    async def wait_for_request(
        self,
        route: str,
        count: int = 1,
        timeout: float = 5.0,
    ) -> RecordedRequest:
        """Wait until ``count`` requests for a route template arrived; returns the last."""
        await self.wait_until(
            lambda: len(self._requests_by_route.get(route, ())) >= count,
            timeout,
            f"{count} x {route}",
        )
        return self._requests_by_route[route][count - 1]

    async def settle(self, quiet: float = 0.05, timeout: float = 5.0) -> None:
        """Wait until the bot made no request (REST or gateway, heartbeats aside) for
        ``quiet`` seconds: use before asserting that something did NOT happen."""
        deadline = time.monotonic() + timeout
        while True:
            idle = time.monotonic() - self._last_activity
            if idle >= quiet:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"server did not settle within {timeout}s")
            await asyncio.sleep(quiet - idle)

    def _changed(self) -> None:
        self._last_activity = time.monotonic()
        if not self._waiters:
            return
        for waiter in list(self._waiters):
            if waiter.future.done():
                continue
            try:
                ok = waiter.predicate()
            except Exception as exc:
                waiter.future.set_exception(exc)
                continue
            if ok:
                waiter.future.set_result(None)

    def _message_changed(self, msg: Message) -> None:
        waiters = self._message_waiters.get(msg.channel_id)
        if not waiters:
            return
        is_bot = msg.author.id == self.bot_user.id
        for waiter in list(waiters):
            if waiter.future.done() or (waiter.from_bot and not is_bot) or msg.deleted:
                continue
            try:
                ok = waiter.predicate(msg)
            except Exception as exc:
                waiter.future.set_exception(exc)
                continue
            if ok:
                waiter.future.set_result(msg)

    def _interaction(self, interaction: InteractionRecord | int) -> InteractionRecord:
        if isinstance(interaction, InteractionRecord):
            return interaction
        return self.interactions[interaction]

    # ==================================================================================
    # Gateway: dispatch API
    # ==================================================================================

    def session_for(self, guild_id: int | None) -> GatewaySession | None:
        """The session that receives ``guild_id``'s events (None: DMs, shard 0): the shard
        that serves it; None when no session serves it (its shard never identified)."""
        for session in reversed(list(self.shard_sessions.values())):
            if session.serves(guild_id):
                return session
        return None

    def _session_or_raise(self, guild_id: int | None) -> GatewaySession:
        session = self.session_for(guild_id)
        if session is None:
            if self.session is None:
                raise RuntimeError("no gateway session: the bot has not identified")
            where = "direct messages" if guild_id is None else f"guild {guild_id}"
            raise RuntimeError(f"no gateway session serves {where} (its shard is not connected)")
        return session

    async def dispatch(self, event: str, data: dict[str, Any]) -> bool:
        """Send a dispatch to the session that serves it (by ``data["guild_id"]``; without
        one, shard 0), filtered by intents like Discord.

        Returns False when the event was withheld (see ``filtered_events``). If the bot is
        momentarily disconnected the event is kept for RESUME replay.
        """
        session = self._session_or_raise(parse_snowflake(data.get("guild_id")))
        return await self._dispatch_to(session, event, data)

    async def dispatch_raw(self, frame: dict[str, Any]) -> None:
        """Send an arbitrary frame as-is (for malformed-payload tests); ``s`` is yours."""
        session = self.session
        if session is None or session.conn is None:
            raise RuntimeError("no connected gateway session")
        await session.conn.send_json(frame)

    async def _dispatch_to(self, session: GatewaySession, event: str, data: dict[str, Any]) -> bool:
        missing = _required_intent(event, data)
        if missing and not session.has(missing):
            self.filtered_events.append(FilteredEvent(event, data, missing))
            return False
        if (
            event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
            and data.get("guild_id")
            and not session.has(Intents.MESSAGE_CONTENT)
            and not self._keeps_content(data)
        ):
            data = dict(data, content="", embeds=[], attachments=[], components=[])
            data.pop("poll", None)
        await session.send_dispatch(event, data)
        return True

    def _keeps_content(self, data: Mapping[str, Any]) -> bool:
        """Discord sends content without MESSAGE_CONTENT for the bot's own messages and
        for messages that mention the bot."""
        bot_id = str(self.bot_user.id)
        if (data.get("author") or {}).get("id") == bot_id:
            return True
        return any(u.get("id") == bot_id for u in data.get("mentions") or [])

    async def _echo(self, event: str, msg: Message) -> None:
        """Dispatch a message event for ``msg`` if a session exists (never raises)."""
        session = self.session_for(msg.guild_id)
        if msg.ephemeral or session is None:
            return
        member = None
        if msg.guild_id is not None:
            guild = self.state.guilds.get(msg.guild_id)
            member = guild.member(msg.author) if guild else None
        data = P.message_payload(msg, include_guild_id=True, member=member)
        await self._dispatch_to(session, event, data)

    async def _echo_delete(self, msg: Message) -> None:
        session = self.session_for(msg.guild_id)
        if msg.ephemeral or session is None:
            return
        data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        await self._dispatch_to(session, "MESSAGE_DELETE", data)

    # -- gateway faults ----------------------------------------------------------------

    def _current_connection(self) -> GatewayConnection:
        if self.session is None or self.session.conn is None:
            raise RuntimeError("the bot has no open gateway connection")
        return self.session.conn

    def shard_connection(self, shard_id: int) -> GatewayConnection:
        """The open connection of shard ``shard_id`` (for faults on one shard)."""
        for key, session in self.shard_sessions.items():
            if key is not None and key[0] == shard_id and session.conn is not None:
                return session.conn
        raise RuntimeError(f"shard {shard_id} has no open gateway connection")

    async def drop_gateway(self, *, code: int | None = None) -> None:
        """Close the bot's websocket: abruptly (TCP abort, no close frame) by default, or
        with a close ``code`` (4000 = reconnect and resume; 4004 etc. are fatal)."""
        conn = self._current_connection()
        if code is None:
            conn.abort()
        else:
            await conn.close(code)

    async def gateway_outage(self, attempts: int) -> None:
        """Drop the bot's gateway connection and refuse its next ``attempts`` connection
        attempts with 503 (a network or Discord outage after the bot was up); counted in
        ``refused_gateway_count``."""
        self.refuse_gateway = attempts
        self._current_connection().abort()

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT: the bot should reconnect and RESUME."""
        await self._current_connection().send_json({"op": 7, "d": None})

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; non-resumable makes the bot IDENTIFY again."""
        conn = self._current_connection()
        if not resumable and conn.session is not None:
            conn.session.resumable = False
        await conn.send_json({"op": 9, "d": resumable})

    # -- live state changes ------------------------------------------------------------

    async def announce_guild(self, guild: Guild) -> bool:
        """Dispatch GUILD_CREATE for a guild added after the bot connected (bot joined)."""
        session = self._session_or_raise(guild.id)
        data = self._guild_create(session, guild)
        del data["unavailable"]  # no "unavailable" key: discord.py fires on_guild_join
        return await self._dispatch_to(session, "GUILD_CREATE", data)

    async def announce_channel(self, channel: Channel) -> bool:
        """Dispatch CHANNEL_CREATE for a channel created after the bot connected."""
        return await self.dispatch("CHANNEL_CREATE", P.channel_payload(channel))

    async def delete_channel(self, channel: Channel) -> bool:
        """Delete a channel (later requests to it get 404 10003) and dispatch CHANNEL_DELETE."""
        channel.deleted = True
        self._changed()
        if self.session_for(channel.guild_id) is None:
            return False
        return await self.dispatch("CHANNEL_DELETE", P.channel_payload(channel))

    async def delete_guild(self, guild: Guild, *, unavailable: bool = False) -> bool:
        """Remove the bot from a guild (or mark it ``unavailable``) and dispatch GUILD_DELETE."""
        data: dict[str, Any] = {"id": str(guild.id)}
        if unavailable:
            guild.unavailable = True
            data["unavailable"] = True
        else:
            guild.deleted = True
            for channel in guild.channels.values():
                channel.deleted = True
        self._changed()
        session = self.session_for(guild.id)
        if session is None:
            return False
        return await self._dispatch_to(session, "GUILD_DELETE", data)

    # ==================================================================================
    # User actions: messages
    # ==================================================================================

    async def send_dm(
        self,
        user: User,
        content: str,
        *,
        attachments: Sequence[Upload] = (),
        reference: Message | None = None,
    ) -> Message:
        """``user`` writes to the bot in DM; dispatches MESSAGE_CREATE (needs DIRECT_MESSAGES)."""
        return await self.send_message(
            self.state.dm_channel(user), user, content, attachments=attachments, reference=reference
        )

    async def send_message(
        self,
        channel: Channel,
        author: User,
        content: str,
        *,
        attachments: Sequence[Upload] = (),
        reference: Message | None = None,
        embeds: Sequence[dict[str, Any]] = (),
    ) -> Message:
        """``author`` posts in ``channel``; dispatches MESSAGE_CREATE (with ``guild_id`` in
        guilds). Content is withheld from the bot without MESSAGE_CONTENT unless it
        mentions the bot."""
        self._session_or_raise(channel.guild_id)
        if channel.deleted:
            raise ValueError(f"channel {channel.id} is deleted")
        guild = self.state.guild_of(channel)
        if guild is not None and guild.member(author) is None:
            raise ValueError(f"{author.username} is not a member of {guild.name}; add_member()")
        can_everyone = True
        if guild is not None:
            member = guild.member(author)
            assert member is not None
            can_everyone = bool(guild.member_permissions(member) & Permissions.MENTION_EVERYONE)
        replied = reference.author if reference is not None else None
        mentions = resolve_mentions(
            content=content,
            allowed_mentions=None,
            users=self.state.users,
            guild=guild,
            can_mention_everyone=can_everyone,
            replied_user=replied,
        )
        msg = Message(
            id=self.state.snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            content=content,
            embeds=list(embeds),
            type=19 if reference is not None else 0,
            mentions=mentions.users,
            mention_roles=mentions.roles,
            mention_everyone=mentions.everyone,
            pinged=mentions.pinged,
        )
        for upload in attachments:
            msg.attachments.append(
                self.state.add_attachment(
                    upload.filename,
                    upload.data,
                    base_url=self.base_url,
                    channel_id=channel.id,
                    content_type=upload.content_type,
                )
            )
        if reference is not None:
            msg.message_reference = _reference_payload(reference)
        self._store(channel, msg)
        await self._echo("MESSAGE_CREATE", msg)
        self._changed()
        return msg

    # ==================================================================================
    # User actions: interactions
    # ==================================================================================

    async def slash(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: User,
        channel: Channel | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """``user`` runs a registered slash command; returns the interaction's record.

        ``command`` is ``"name"`` or ``"group sub"`` / ``"group subgroup sub"``.
        ``options`` maps option names to Python values, converted with the registered
        schema: str/int/bool/float, a :class:`User` (user/mentionable), :class:`Channel`,
        :class:`Role`, or an :class:`Upload` for attachment options (served by this
        server's CDN route and put into ``resolved.attachments``). ``channel=None`` runs
        the command in the bot's DM with ``user``.
        """
        channel, guild = self._interaction_place(user, channel)
        parts = command.split()
        cmd = self._command_for(parts[0], guild, channel)
        resolved: dict[str, dict[str, Any]] = {}
        opts = self._build_options(
            cmd.options, parts[1:], dict(options or {}), resolved, guild, channel, cmd.name
        )
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": 1}
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)  # P5
        return await self._dispatch_interaction(
            InteractionType.APPLICATION_COMMAND, data, user, channel, command, locale=locale
        )

    async def autocomplete(
        self,
        command: str,
        focused: str,
        value: str = "",
        options: Mapping[str, Any] | None = None,
        *,
        user: User,
        channel: Channel | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """``user`` types ``value`` into option ``focused`` (which must have autocomplete);
        the bot's choices end up in ``record.choices``."""
        channel, guild = self._interaction_place(user, channel)
        parts = command.split()
        cmd = self._command_for(parts[0], guild, channel)
        resolved: dict[str, dict[str, Any]] = {}
        opts = self._build_options(
            cmd.options,
            parts[1:],
            dict(options or {}),
            resolved,
            guild,
            channel,
            cmd.name,
            focused=(focused, value),
        )
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        return await self._dispatch_interaction(
            InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE,
            data,
            user,
            channel,
            f"{command}:{focused}",
            locale=locale,
        )

    async def click(
        self,
        message: Message,
        custom_id: str,
        *,
        user: User,
        component_type: int = 2,
        values: Sequence[str] | None = None,
    ) -> InteractionRecord:
        """``user`` clicks the button (or uses the select, with ``values``) ``custom_id``
        on ``message``; dispatches a component interaction carrying the message."""
        if message.deleted:
            raise ValueError("the message was deleted")
        component = _find_component(message.components, custom_id)
        if component is None:
            raise ValueError(
                f"message {message.id} has no component {custom_id!r}; it has "
                f"{message.custom_ids()!r}"
            )
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        channel = self.state.channels[message.channel_id]
        self._interaction_place(user, channel)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        elif component_type in (3, 5, 6, 7, 8):
            data["values"] = []
        return await self._dispatch_interaction(
            InteractionType.MESSAGE_COMPONENT,
            data,
            user,
            channel,
            custom_id,
            source_message=message,
        )

    async def select(
        self, message: Message, custom_id: str, values: Sequence[str], *, user: User
    ) -> InteractionRecord:
        """``user`` picks ``values`` in the string select ``custom_id``."""
        return await self.click(message, custom_id, user=user, component_type=3, values=values)

    def _interaction_place(
        self, user: User, channel: Channel | None
    ) -> tuple[Channel, Guild | None]:
        if channel is None:
            channel = self.state.dm_channel(user)
        if channel.deleted:
            raise ValueError(f"channel {channel.id} is deleted")
        guild = self.state.guild_of(channel)
        if guild is not None and guild.member(user) is None:
            raise ValueError(f"{user.username} is not a member of {guild.name}; add_member()")
        return channel, guild

    def _command_for(self, name: str, guild: Guild | None, channel: Channel) -> Command:
        cmd = self.state.find_command(name, guild)
        if cmd is None:
            known = sorted(
                {
                    *self.state.global_commands,
                    *self.state.guild_commands.get(guild.id if guild else 0, {}),
                }
            )
            raise LookupError(
                f"command {name!r} is not registered here (did the bot sync?); registered: {known}"
            )
        if channel.is_dm:
            contexts = cmd.raw.get("contexts")
            dm_ok = cmd.raw.get("dm_permission")
            if (
                cmd.guild_id is not None
                or (contexts is not None and 1 not in contexts)
                or dm_ok is False
            ):
                raise LookupError(f"command {name!r} is not available in DMs")
        return cmd

    def _build_options(
        self,
        schema: list[dict[str, Any]],
        path: list[str],
        given: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        guild: Guild | None,
        channel: Channel,
        where: str,
        *,
        focused: tuple[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        if path:
            for opt in schema:
                if opt.get("name") == path[0] and opt.get("type") in (
                    OptionType.SUB_COMMAND,
                    OptionType.SUB_COMMAND_GROUP,
                ):
                    inner = self._build_options(
                        list(opt.get("options") or []),
                        path[1:],
                        given,
                        resolved,
                        guild,
                        channel,
                        f"{where} {path[0]}",
                        focused=focused,
                    )
                    entry: dict[str, Any] = {"type": opt["type"], "name": opt["name"]}
                    entry["options"] = inner
                    return [entry]
            raise ValueError(f"{where!r} has no subcommand {path[0]!r}")
        subs = [o["name"] for o in schema if o.get("type") in (1, 2)]
        if subs:
            raise ValueError(f"{where!r} is a group; name a subcommand of {subs}")
        by_name = {o["name"]: o for o in schema}
        unknown = set(given) - set(by_name)
        if focused is not None:
            unknown.discard(focused[0])
        if unknown:
            raise ValueError(
                f"{where!r} has no option(s) {sorted(unknown)}; it has {list(by_name)}"
            )
        out: list[dict[str, Any]] = []
        for opt in schema:
            name = opt["name"]
            if focused is not None and name == focused[0]:
                if not opt.get("autocomplete"):
                    raise ValueError(f"option {name!r} of {where!r} has no autocomplete")
                out.append(
                    {"type": opt["type"], "name": name, "value": focused[1], "focused": True}
                )
                continue
            if name not in given:
                if opt.get("required") and focused is None:
                    raise ValueError(f"{where!r} requires option {name!r}")
                continue
            value = self._option_value(opt, given[name], resolved, guild, channel, where)
            out.append({"type": opt["type"], "name": name, "value": value})
        if focused is not None and focused[0] not in by_name:
            raise ValueError(f"{where!r} has no option {focused[0]!r}")
        return out

    def _option_value(
        self,
        opt: Mapping[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        guild: Guild | None,
        channel: Channel,
        where: str,
    ) -> Any:
        otype = opt["type"]
        name = opt["name"]

        def bad(expected: str) -> ValueError:
            return ValueError(f"option {name!r} of {where!r} expects {expected}, got {value!r}")

        if otype == OptionType.STRING:
            if not isinstance(value, str):
                raise bad("a str")
            _check_range(opt, len(value), "min_length", "max_length", where)
        elif otype == OptionType.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad("an int")
            _check_range(opt, value, "min_value", "max_value", where)
        elif otype == OptionType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad("a number")
            _check_range(opt, value, "min_value", "max_value", where)
        elif otype == OptionType.BOOLEAN:
            if not isinstance(value, bool):
                raise bad("a bool")
        elif otype in (OptionType.USER, OptionType.MENTIONABLE) and isinstance(value, User):
            resolved.setdefault("users", {})[str(value.id)] = P.user_payload(value)
            member = guild.member(value) if guild else None
            if member is not None and guild is not None:
                resolved.setdefault("members", {})[str(value.id)] = P.member_payload(
                    member, guild, with_user=False, with_permissions=True
                )
            return str(value.id)
        elif otype in (OptionType.ROLE, OptionType.MENTIONABLE) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = P.role_payload(value)
            return str(value.id)
        elif otype == OptionType.CHANNEL:
            if not isinstance(value, Channel):
                raise bad("a Channel")
            perms = 0
            if guild is not None:
                perms = guild.bot_permissions_in(value)
            resolved.setdefault("channels", {})[str(value.id)] = P.channel_payload(
                value, permissions=perms
            )
            return str(value.id)
        elif otype == OptionType.ATTACHMENT:
            if not isinstance(value, Upload | Attachment):
                raise bad("an Upload")
            att = value
            if isinstance(value, Upload):
                att = self.state.add_attachment(
                    value.filename,
                    value.data,
                    base_url=self.base_url,
                    channel_id=channel.id,
                    content_type=value.content_type,
                )
            payload = P.attachment_payload(att)  # type: ignore[arg-type]
            payload["ephemeral"] = True
            resolved.setdefault("attachments", {})[str(att.id)] = payload
            return str(att.id)
        else:
            raise bad(f"a value for option type {otype}")
        choices = opt.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(
                f"option {name!r} of {where!r} only accepts {[c['value'] for c in choices]}"
            )
        return value

    async def _dispatch_interaction(
        self,
        itype: int,
        data: dict[str, Any],
        user: User,
        channel: Channel,
        name: str,
        *,
        source_message: Message | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        session = self._session_or_raise(channel.guild_id)
        iid = self.state.snowflake()
        token = "itk" + secrets.token_hex(32)
        guild = self.state.guild_of(channel)
        member = guild.member(user) if guild is not None else None
        app_perms = guild.bot_permissions_in(channel) if guild is not None else Permissions.ALL
        message_data = None
        if source_message is not None:
            message_data = P.message_payload(source_message)
        payload = P.interaction_payload(
            interaction_id=iid,
            token=token,
            application_id=self.application.id,
            type=itype,
            data=data,
            user=user,
            channel=channel,
            guild=guild,
            member=member,
            app_permissions=app_perms,
            attachment_size_limit=self.attachment_size_limit,
            message=message_data,
            locale=locale,
        )
        rec = InteractionRecord(
            id=iid,
            token=token,
            type=itype,
            name=name,
            user=user,
            channel=channel,
            guild=guild,
            payload=payload,
            dispatched_at=time.monotonic(),
            source_message=source_message,
        )
        self.interactions[iid] = rec
        self._interactions_by_token[token] = rec
        await self._dispatch_to(session, "INTERACTION_CREATE", payload)
        self._changed()
        return rec

    # ==================================================================================
    # HTTP plumbing
    # ==================================================================================

    def _register_routes(self) -> None:
        table: list[tuple[str, str, _Handler]] = [
            ("GET", "/gateway", self._h_gateway),
            ("GET", "/gateway/bot", self._h_gateway_bot),
            ("GET", "/users/@me", self._h_me),
            ("GET", "/users/@me/guilds", self._h_my_guilds),
            ("POST", "/users/@me/channels", self._h_open_dm),
            ("GET", "/users/{user_id}", self._h_user),
            ("GET", "/oauth2/applications/@me", self._h_application),
            ("GET", "/applications/@me", self._h_application),
            ("GET", "/applications/{application_id}/commands", self._h_get_commands),
            ("PUT", "/applications/{application_id}/commands", self._h_put_commands),
            ("POST", "/applications/{application_id}/commands", self._h_post_command),
            ("GET", "/applications/{application_id}/commands/{command_id}", self._h_get_command),
            (
                "DELETE",
                "/applications/{application_id}/commands/{command_id}",
                self._h_delete_command,
            ),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._h_get_commands,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._h_put_commands,
            ),
            (
                "POST",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._h_post_command,
            ),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self._h_get_command,
            ),
            (
                "DELETE",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self._h_delete_command,
            ),
            ("GET", "/channels/{channel_id}", self._h_get_channel),
            ("GET", "/channels/{channel_id}/messages", self._h_get_messages),
            ("POST", "/channels/{channel_id}/messages", self._h_post_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._h_get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._h_patch_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._h_delete_message),
            ("POST", "/channels/{channel_id}/typing", self._h_typing),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._h_add_reaction,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._h_remove_reaction,
            ),
            ("GET", "/guilds/{guild_id}", self._h_get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._h_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self._h_guild_roles),
            ("GET", "/guilds/{guild_id}/members/{member_id}", self._h_guild_member),
            (
                "POST",
                "/interactions/{webhook_id}/{webhook_token}/callback",
                self._h_interaction_callback,
            ),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self._h_followup),
            (
                "GET",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._h_get_webhook_message,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._h_patch_webhook_message,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._h_delete_webhook_message,
            ),
        ]
        for method, template, handler in table:
            self._routes.setdefault(method, []).append(
                _Route(method, template, _compile(template), handler)
            )

    def _match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for route in self._routes.get(method, ()):
            m = route.regex.match(path)
            if m is not None:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    async def _read_body(self, request: web.Request) -> tuple[Any, list[_File]]:
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: list[_File] = []
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue  # nested multipart: not used by discord.py
                name = part.name or ""
                if name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    data = await part.read(decode=False)
                    files.append(
                        _File(
                            name,
                            part.filename or name,
                            bytes(data),
                            part.headers.get("Content-Type"),
                        )
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, []
        if request.content_type == "application/json":
            try:
                return json.loads(raw), []
            except ValueError:
                raise _err(400, 50109, "The request body contains invalid JSON.") from None
        return raw.decode(errors="replace"), []

    async def _handle_http(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.rel_url.raw_path
        if raw_path.startswith("/attachments/"):
            return await self._handle_cdn(request)
        method = request.method
        api = raw_path.startswith(API_PREFIX + "/")
        path = raw_path[len(API_PREFIX) :] if api else raw_path
        record = RecordedRequest(
            method=method,
            path=path,
            query=dict(request.query),
            json=None,
            time=time.monotonic(),
            headers=dict(request.headers),
        )
        self.requests.append(record)
        headers: dict[str, str] = {}
        try:
            try:
                record.json, files = await self._read_body(request)
            finally:
                self._last_activity = time.monotonic()
            record.files = [(f.field, f.filename, len(f.data)) for f in files]
            matched = self._match(method, path) if api else None
            if matched is None:
                self.unhandled.append(record)
                raise _err(404, 0, "404: Not Found")
            route, params = matched
            record.route = route.key
            record.params = params
            self._requests_by_route.setdefault(route.key, []).append(record)
            self._check_auth(route.key, request)
            await self._apply_faults(route.key, method, path, params, record.json)
            headers = self._check_rate_limits(route.key, params)
            status, body = await route.handler(_Ctx(record, params, record.json, files, request))
        except _HTTPError as exc:
            status, body = exc.status, exc.body
            headers.update(exc.headers)
        except Exception as exc:
            # A bug in this server: answer 400 (a 5xx would make discord.py retry with
            # sleeps) and record it; running_bot() fails the test on internal errors.
            self.internal_errors.append(exc)
            status, body = 400, P.error_body(0, f"discord test server bug: {exc!r}")
        record.status = status
        record.response = body
        record.response_headers = headers
        self._changed()
        if body is None:
            return web.Response(status=status, headers=headers)
        headers["Content-Type"] = P.JSON_CONTENT_TYPE  # exactly, see P1
        return web.Response(status=status, body=P.dumps(body), headers=headers)

    async def _handle_cdn(self, request: web.Request) -> web.StreamResponse:
        record = RecordedRequest(
            method=request.method,
            path=request.rel_url.raw_path,
            query=dict(request.query),
            json=None,
            time=time.monotonic(),
            route="GET /attachments/{channel_id}/{attachment_id}/{filename}",
        )
        self.requests.append(record)
        parts = request.rel_url.raw_path.split("/")
        att = None
        if len(parts) == 5 and request.method in ("GET", "HEAD"):
            aid = parse_snowflake(parts[3])
            att = self.state.attachments.get(aid) if aid is not None else None
        record.status = 200 if att is not None else 404
        self._changed()
        if att is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            status=200,
            body=att.data,
            headers={"Content-Type": att.content_type or "application/octet-stream"},
        )

    def _check_auth(self, route_key: str, request: web.Request) -> None:
        if self.token is None or route_key.startswith(_NO_AUTH_PREFIXES):
            return
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise _err(401, 0, "401: Unauthorized")

    async def _apply_faults(
        self,
        route_key: str,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: Any,
    ) -> None:
        if not self.faults:
            return
        for fault in self.faults:
            if fault.exhausted or not fault.matches_route(route_key, method, path):
                continue
            if fault.channel_id is not None and params.get("channel_id") != str(fault.channel_id):
                continue
            if fault.user_id is not None and not self._fault_user_matches(
                fault.user_id, params, body
            ):
                continue
            fault.hits += 1
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status is None:
                return
            if fault.status == 429:
                raise self._rate_limited_error(
                    fault.retry_after,
                    is_global=fault.is_global,
                    bucket=_bucket_hash(route_key),
                    limit=1,
                )
            raise _err(fault.status, fault.code, fault.message or f"{fault.status}")
        return

    def _fault_user_matches(self, user_id: int, params: Mapping[str, str], body: Any) -> bool:
        if params.get("user_id") == str(user_id) or params.get("member_id") == str(user_id):
            return True
        cid = parse_snowflake(params.get("channel_id"))
        if cid is not None:
            channel = self.state.channels.get(cid)
            if channel is not None and channel.recipient is not None:
                return channel.recipient.id == user_id
        return isinstance(body, dict) and str(body.get("recipient_id")) == str(user_id)

    def _rate_limited_error(
        self, retry_after: float, *, is_global: bool, bucket: str, limit: int
    ) -> _HTTPError:
        retry_after = max(retry_after, 0.001)
        headers = {
            "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers.update(
                {
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                    "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                    "X-RateLimit-Bucket": bucket,
                }
            )
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
            "code": 0,
        }
        return _HTTPError(429, body, headers)

    def _check_rate_limits(self, route_key: str, params: Mapping[str, str]) -> dict[str, str]:
        if route_key.startswith(_EXEMPT_FROM_RATE_LIMITS) or route_key.startswith(
            _WEBHOOK_ROUTE_PREFIX
        ):
            return {}
        now = time.monotonic()
        if self.global_rate_limit is not None:
            start, count = self._global_window
            if now - start >= 1.0:
                start, count = now, 0
            if count >= self.global_rate_limit:
                self.rate_limited_count += 1
                raise self._rate_limited_error(
                    start + 1.0 - now, is_global=True, bucket="global", limit=0
                )
            self._global_window = (start, count + 1)
        limit = self._rate_limits.get(route_key, self.default_rate_limit)
        if limit is None:
            return {}
        major = "+".join(
            params[k]
            for k in ("channel_id", "guild_id", "webhook_id", "webhook_token")
            if k in params
        )
        key = (route_key, major)
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.reset_at:
            bucket = Bucket(
                limit=limit.limit,
                per=limit.per,
                remaining=limit.limit,
                reset_at=now + limit.per,
                hash=_bucket_hash(route_key),
            )
            self._buckets[key] = bucket
        reset_after = bucket.reset_at - now
        if bucket.remaining <= 0:
            self.rate_limited_count += 1
            raise self._rate_limited_error(
                reset_after, is_global=False, bucket=bucket.hash, limit=bucket.limit
            )
        bucket.remaining -= 1
        reset_after_ms = math.ceil(reset_after * 1000) / 1000
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after_ms:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after_ms:.3f}",
            "X-RateLimit-Bucket": bucket.hash,
        }

    def _protocol_error(
        self,
        kind: str,
        status: int,
        code: int,
        message: str,
        ctx: _Ctx,
        rec: InteractionRecord | None = None,
    ) -> _HTTPError:
        error = ProtocolError(kind, code, message, rec.id if rec else None, ctx.record)
        self.protocol_errors.append(error)
        if rec is not None:
            rec.errors.append(error)
        return _err(status, code, message)

    # ==================================================================================
    # REST handlers: users, application, commands
    # ==================================================================================

    async def _h_gateway(self, ctx: _Ctx) -> _Response:
        return 200, {"url": self.gateway_url.rstrip("/")}

    async def _h_gateway_bot(self, ctx: _Ctx) -> _Response:
        return 200, {
            "url": self.gateway_url.rstrip("/"),
            "shards": self.recommended_shards,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000 - self.identify_count,
                "reset_after": 86_400_000,
                "max_concurrency": self.max_concurrency,
            },
        }

    async def _h_me(self, ctx: _Ctx) -> _Response:
        data = P.user_payload(self.bot_user)
        data.update(verified=True, mfa_enabled=False, flags=0, locale="en-US")
        return 200, data

    async def _h_my_guilds(self, ctx: _Ctx) -> _Response:
        return 200, [
            P.partial_guild_payload(g, permissions=g.bot_permissions)
            for g in self.state.guilds.values()
            if not g.deleted
        ]

    async def _h_user(self, ctx: _Ctx) -> _Response:
        user = self._user_param(ctx.params["user_id"])
        return 200, P.user_payload(user)

    def _user_param(self, raw: str) -> User:
        uid = parse_snowflake(raw)
        user = self.state.users.get(uid) if uid is not None else None
        if user is None:
            raise _err(404, ErrorCode.UNKNOWN_USER, "Unknown User")
        return user

    async def _h_open_dm(self, ctx: _Ctx) -> _Response:
        rid = parse_snowflake(ctx.json.get("recipient_id"))
        user = self.state.users.get(rid) if rid is not None else None
        if user is None or user is self.bot_user:
            raise _err(400, 50033, "Invalid Recipient(s)")
        channel = self.state.dm_channel(user)
        return 200, P.channel_payload(channel, bot_user=self.bot_user)

    async def _h_application(self, ctx: _Ctx) -> _Response:
        return 200, P.application_payload(self.application, self.bot_user)

    def _commands_scope(self, ctx: _Ctx) -> tuple[int | None, dict[str, Command]]:
        if ctx.params["application_id"] != str(self.application.id):
            raise _err(403, 50001, "Missing Access")
        if "guild_id" in ctx.params:
            guild = self._guild_param(ctx.params["guild_id"])
            return guild.id, self.state.guild_commands.setdefault(guild.id, {})
        return None, self.state.global_commands

    async def _h_get_commands(self, ctx: _Ctx) -> _Response:
        _, scope = self._commands_scope(ctx)
        return 200, [P.command_payload(c) for c in scope.values()]

    def _make_command(
        self, raw: dict[str, Any], guild_id: int | None, existing: Command | None
    ) -> Command:
        return Command(
            id=existing.id if existing else self.state.snowflake(),
            application_id=self.application.id,
            name=raw.get("name", ""),
            type=int(raw.get("type") or 1),
            description=raw.get("description") or "",
            guild_id=guild_id,
            raw=raw,
            version=self.state.next_command_version(),
        )

    async def _h_put_commands(self, ctx: _Ctx) -> _Response:
        guild_id, scope = self._commands_scope(ctx)
        body = ctx.body
        if not isinstance(body, list):
            raise _HTTPError(400, P.form_error_body([((), "BASE_TYPE_ARRAY", "Must be an array")]))
        problems = P.validate_commands(body)
        if problems:
            raise _HTTPError(400, P.form_error_body(problems))
        old = dict(scope)
        scope.clear()
        for raw in body:
            cmd = self._make_command(raw, guild_id, old.get(raw.get("name", "")))
            scope[cmd.name] = cmd
        return 200, [P.command_payload(c) for c in scope.values()]

    async def _h_post_command(self, ctx: _Ctx) -> _Response:
        guild_id, scope = self._commands_scope(ctx)
        raw = ctx.json
        problems = P.validate_commands([raw])
        if problems:
            raise _HTTPError(400, P.form_error_body(problems))
        existing = scope.get(raw.get("name", ""))
        cmd = self._make_command(raw, guild_id, existing)
        scope[cmd.name] = cmd
        return (200 if existing else 201), P.command_payload(cmd)

    def _command_param(self, ctx: _Ctx) -> tuple[dict[str, Command], Command]:
        _, scope = self._commands_scope(ctx)
        for cmd in scope.values():
            if str(cmd.id) == ctx.params["command_id"]:
                return scope, cmd
        raise _err(404, ErrorCode.UNKNOWN_APPLICATION_COMMAND, "Unknown application command")

    async def _h_get_command(self, ctx: _Ctx) -> _Response:
        _, cmd = self._command_param(ctx)
        return 200, P.command_payload(cmd)

    async def _h_delete_command(self, ctx: _Ctx) -> _Response:
        scope, cmd = self._command_param(ctx)
        del scope[cmd.name]
        return 204, None

    # ==================================================================================
    # REST handlers: guilds and channels
    # ==================================================================================

    def _guild_param(self, raw: str) -> Guild:
        gid = parse_snowflake(raw)
        guild = self.state.guilds.get(gid) if gid is not None else None
        if guild is None or guild.deleted:
            raise _err(404, ErrorCode.UNKNOWN_GUILD, "Unknown Guild")
        return guild

    def _channel_param(self, ctx: _Ctx, *, send: bool = False) -> tuple[Channel, Guild | None]:
        cid = parse_snowflake(ctx.params.get("channel_id"))
        channel = self.state.channels.get(cid) if cid is not None else None
        if channel is None or channel.deleted:
            raise _err(404, ErrorCode.UNKNOWN_CHANNEL, "Unknown Channel")
        guild = self.state.guild_of(channel)
        if channel.guild_id is not None:
            if guild is None or guild.deleted:
                raise _err(404, ErrorCode.UNKNOWN_CHANNEL, "Unknown Channel")
            perms = guild.bot_permissions_in(channel)
            if not perms & Permissions.VIEW_CHANNEL:
                raise _err(403, ErrorCode.MISSING_ACCESS, "Missing Access")
            if send and not perms & Permissions.SEND_MESSAGES:
                raise _err(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")
        elif (
            send
            and channel.recipient is not None
            and (not channel.recipient.accepts_dms or channel.recipient.bot)
        ):
            raise _err(403, ErrorCode.CANNOT_SEND_TO_USER, "Cannot send messages to this user")
        return channel, guild

    def _message_param(self, ctx: _Ctx, channel: Channel) -> Message:
        mid = parse_snowflake(ctx.params.get("message_id"))
        msg = channel.messages.get(mid) if mid is not None else None
        if msg is None or msg.deleted:
            raise _err(404, ErrorCode.UNKNOWN_MESSAGE, "Unknown Message")
        return msg

    async def _h_get_guild(self, ctx: _Ctx) -> _Response:
        guild = self._guild_param(ctx.params["guild_id"])
        data = P.guild_payload(
            guild, members=[], member_count=len(guild.members), bot_user=self.bot_user
        )
        for key in ("members", "channels", "threads", "voice_states", "presences"):
            data.pop(key, None)
        if ctx.record.query.get("with_counts") in ("1", "true"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return 200, data

    async def _h_guild_channels(self, ctx: _Ctx) -> _Response:
        guild = self._guild_param(ctx.params["guild_id"])
        return 200, [P.channel_payload(c) for c in guild.channels.values() if not c.deleted]

    async def _h_guild_roles(self, ctx: _Ctx) -> _Response:
        guild = self._guild_param(ctx.params["guild_id"])
        return 200, [P.role_payload(r) for r in guild.roles.values()]

    async def _h_guild_member(self, ctx: _Ctx) -> _Response:
        guild = self._guild_param(ctx.params["guild_id"])
        uid = parse_snowflake(ctx.params["member_id"])
        member = guild.members.get(uid) if uid is not None else None
        if member is None:
            raise _err(404, ErrorCode.UNKNOWN_MEMBER, "Unknown Member")
        return 200, P.member_payload(member)

    async def _h_get_channel(self, ctx: _Ctx) -> _Response:
        channel, _ = self._channel_param(ctx)
        return 200, P.channel_payload(channel, bot_user=self.bot_user)

    async def _h_typing(self, ctx: _Ctx) -> _Response:
        self._channel_param(ctx, send=True)
        return 204, None

    async def _h_get_messages(self, ctx: _Ctx) -> _Response:
        channel, guild = self._channel_param(ctx)
        if (
            guild is not None
            and not guild.bot_permissions_in(channel) & Permissions.READ_MESSAGE_HISTORY
        ):
            return 200, []
        query = ctx.record.query
        limit = max(1, min(100, int(query.get("limit", "50"))))
        msgs = channel.history()
        before = parse_snowflake(query.get("before"))
        after = parse_snowflake(query.get("after"))
        around = parse_snowflake(query.get("around"))
        if before is not None:
            selected = [m for m in msgs if m.id < before][-limit:]
        elif after is not None:
            selected = [m for m in msgs if m.id > after][:limit]
        elif around is not None:
            older = [m for m in msgs if m.id <= around][-(limit // 2 + 1) :]
            newer = [m for m in msgs if m.id > around][: limit - len(older)]
            selected = older + newer
        else:
            selected = msgs[-limit:]
        return 200, [self._rest_message(m) for m in reversed(selected)]

    async def _h_get_message(self, ctx: _Ctx) -> _Response:
        channel, _ = self._channel_param(ctx)
        return 200, self._rest_message(self._message_param(ctx, channel))

    async def _h_post_message(self, ctx: _Ctx) -> _Response:
        channel, guild = self._channel_param(ctx, send=True)
        body = ctx.json
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            existing = self._nonces.get((channel.id, str(nonce)))
            if existing is not None:
                return 200, self._rest_message(existing)
        if (
            guild is not None
            and ctx.files
            and not (guild.bot_permissions_in(channel) & Permissions.ATTACH_FILES)
        ):
            raise _err(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")
        msg = self._new_bot_message(channel, body, ctx.files, flag_mask=_CHANNEL_MESSAGE_FLAGS)
        if nonce is not None:
            msg.nonce = nonce
            self._nonces[(channel.id, str(nonce))] = msg
        self._store(channel, msg)
        await self._echo("MESSAGE_CREATE", msg)
        return 200, self._rest_message(msg)

    async def _h_patch_message(self, ctx: _Ctx) -> _Response:
        channel, _ = self._channel_param(ctx)
        msg = self._message_param(ctx, channel)
        if msg.author.id != self.bot_user.id:
            raise _err(
                403,
                ErrorCode.CANNOT_EDIT_OTHERS_MESSAGE,
                "Cannot edit a message authored by another user",
            )
        self._edit_message(msg, ctx.json, ctx.files, flag_mask=_CHANNEL_MESSAGE_FLAGS)
        await self._echo("MESSAGE_UPDATE", msg)
        return 200, self._rest_message(msg)

    async def _h_delete_message(self, ctx: _Ctx) -> _Response:
        channel, guild = self._channel_param(ctx)
        msg = self._message_param(ctx, channel)
        if msg.author.id != self.bot_user.id and (
            guild is None or not guild.bot_permissions_in(channel) & Permissions.MANAGE_MESSAGES
        ):
            raise _err(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")
        msg.deleted = True
        await self._echo_delete(msg)
        return 204, None

    async def _h_add_reaction(self, ctx: _Ctx) -> _Response:
        channel, _ = self._channel_param(ctx)
        msg = self._message_param(ctx, channel)
        msg.reactions.setdefault(ctx.params["emoji"], set()).add(self.bot_user.id)
        return 204, None

    async def _h_remove_reaction(self, ctx: _Ctx) -> _Response:
        channel, _ = self._channel_param(ctx)
        msg = self._message_param(ctx, channel)
        msg.reactions.get(ctx.params["emoji"], set()).discard(self.bot_user.id)
        return 204, None

    # -- message building ----------------------------------------------------------------

    def _rest_message(self, msg: Message) -> dict[str, Any]:
        return P.message_payload(msg, include_guild_id=True)

    def _store(self, channel: Channel, msg: Message) -> None:
        self.state.messages[msg.id] = msg
        if not msg.ephemeral:
            channel.messages[msg.id] = msg
        self._message_changed(msg)

    def _attachments_from(
        self,
        body: Mapping[str, Any],
        files: Sequence[_File],
        channel: Channel,
        existing: Sequence[Attachment],
    ) -> list[Attachment] | None:
        """Attachments described by ``body['attachments']`` + uploaded ``files``.

        Returns None when the body does not touch attachments (edits keep them)."""
        total = sum(len(f.data) for f in files)
        if total > self.attachment_size_limit:
            raise _err(413, 40005, "Request entity too large")
        by_index: dict[int, _File] = {}
        for i, f in enumerate(files):
            m = re.fullmatch(r"files\[(\d+)\]", f.field)
            by_index[int(m.group(1)) if m else i] = f
        if "attachments" not in body:
            if not files:
                return None
            entries: list[dict[str, Any]] = [{"id": i} for i in sorted(by_index)]
        else:
            entries = list(body.get("attachments") or [])
        keep = {a.id: a for a in existing}
        out: list[Attachment] = []
        for entry in entries:
            aid = parse_snowflake(entry.get("id"))
            if aid is not None and aid in keep:
                out.append(keep[aid])
                continue
            f = by_index.get(aid if aid is not None else -1)
            if f is None:
                raise _HTTPError(
                    400,
                    P.form_error_body(
                        [(("attachments",), "ATTACHMENT_NOT_FOUND", f"Unknown attachment {entry}")]
                    ),
                )
            out.append(
                self.state.add_attachment(
                    entry.get("filename") or f.filename,
                    f.data,
                    base_url=self.base_url,
                    channel_id=channel.id,
                    content_type=f.content_type
                    if f.content_type not in (None, "application/octet-stream")
                    else None,
                    description=entry.get("description"),
                )
            )
        return out

    def _mentions_for(
        self, channel: Channel, content: str, allowed: Any, reference: Message | None
    ) -> Any:
        guild = self.state.guild_of(channel)
        can_everyone = guild is None or bool(
            guild.bot_permissions_in(channel) & Permissions.MENTION_EVERYONE
        )
        result = resolve_mentions(
            content=content,
            allowed_mentions=allowed if isinstance(allowed, dict) else None,
            users=self.state.users,
            guild=guild,
            can_mention_everyone=can_everyone,
            replied_user=reference.author if reference is not None else None,
        )
        if result.error:
            raise _HTTPError(
                400,
                P.form_error_body(
                    [
                        (
                            ("allowed_mentions",),
                            "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                            result.error,
                        )
                    ]
                ),
            )
        return result

    def _new_bot_message(
        self,
        channel: Channel,
        body: Mapping[str, Any],
        files: Sequence[_File],
        *,
        flag_mask: int,
        extra_flags: int = 0,
        msg_type: int = 0,
        interaction: InteractionRecord | None = None,
        allow_empty: bool = False,
    ) -> Message:
        problems = P.validate_message_body(body)
        if problems:
            raise _HTTPError(400, P.form_error_body(problems))
        attachments = self._attachments_from(body, files, channel, ()) or []
        content = body.get("content") or ""
        embeds = list(body.get("embeds") or [])
        components = list(body.get("components") or [])
        if not allow_empty and not (
            content
            or embeds
            or attachments
            or components
            or body.get("sticker_ids")
            or body.get("poll")
        ):
            raise _err(400, ErrorCode.CANNOT_SEND_EMPTY_MESSAGE, "Cannot send an empty message")
        reference = None
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            reference = self.state.messages.get(int(ref["message_id"]))
            if (reference is None or reference.deleted) and ref.get("fail_if_not_exists", True):
                raise _HTTPError(
                    400,
                    P.form_error_body(
                        [(("message_reference",), "REPLIES_UNKNOWN_MESSAGE", "Unknown message")]
                    ),
                )
        allowed = body.get("allowed_mentions")
        mentions = self._mentions_for(channel, content, allowed, reference)
        msg = Message(
            id=self.state.snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=self.bot_user,
            content=content,
            embeds=embeds,
            components=components,
            attachments=attachments,
            flags=(int(body.get("flags") or 0) & flag_mask) | extra_flags,
            tts=bool(body.get("tts")),
            type=19 if reference is not None and msg_type == 0 else msg_type,
            allowed_mentions=allowed if isinstance(allowed, dict) else None,
            mentions=mentions.users,
            mention_roles=mentions.roles,
            mention_everyone=mentions.everyone,
            pinged=mentions.pinged,
            request_body=dict(body),
        )
        if reference is not None:
            msg.message_reference = _reference_payload(reference)
        if interaction is not None:
            msg.webhook_id = self.application.id
            msg.application_id = self.application.id
            msg.interaction_id = interaction.id
            msg.interaction_metadata = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": P.user_payload(interaction.user),
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
                "name": interaction.name,
                "command_type": 1,
            }
        return msg

    def _edit_message(
        self,
        msg: Message,
        body: Mapping[str, Any],
        files: Sequence[_File],
        *,
        flag_mask: int,
    ) -> None:
        problems = P.validate_message_body(body)
        if problems:
            raise _HTTPError(400, P.form_error_body(problems))
        channel = self.state.channels.get(msg.channel_id) or Channel(id=msg.channel_id, type=0)
        msg.edits.append(
            {
                "content": msg.content,
                "embeds": msg.embeds,
                "components": msg.components,
                "flags": msg.flags,
                "attachments": list(msg.attachments),
            }
        )
        if "content" in body:
            msg.content = body.get("content") or ""
        if "embeds" in body:
            msg.embeds = list(body.get("embeds") or [])
        if "components" in body:
            msg.components = list(body.get("components") or [])
        if "flags" in body and body.get("flags") is not None:
            keep = msg.flags & ~flag_mask & ~MessageFlags.LOADING
            msg.flags = keep | (int(body["flags"]) & flag_mask & ~MessageFlags.EPHEMERAL)
        new_attachments = self._attachments_from(body, files, channel, msg.attachments)
        if new_attachments is not None:
            msg.attachments = new_attachments
        if "allowed_mentions" in body and isinstance(body["allowed_mentions"], dict):
            msg.allowed_mentions = body["allowed_mentions"]
        mentions = self._mentions_for(channel, msg.content, msg.allowed_mentions, None)
        msg.mentions = mentions.users
        msg.mention_roles = mentions.roles
        msg.mention_everyone = mentions.everyone
        msg.pinged = mentions.pinged
        msg.flags &= ~MessageFlags.LOADING
        msg.edited_timestamp = utcnow()
        msg.request_body = dict(body)
        self._message_changed(msg)

    # ==================================================================================
    # REST handlers: interactions and webhooks
    # ==================================================================================

    async def _h_interaction_callback(self, ctx: _Ctx) -> _Response:
        now = ctx.record.time
        iid = parse_snowflake(ctx.params["webhook_id"])
        rec = self.interactions.get(iid) if iid is not None else None
        body = ctx.json
        ctype = int(body.get("type") or 0)
        if rec is None or rec.token != ctx.params["webhook_token"]:
            raise self._protocol_error(
                "unknown_interaction",
                404,
                ErrorCode.UNKNOWN_INTERACTION,
                "Unknown interaction",
                ctx,
            )

        def attempt(status: int, accepted: bool) -> None:
            rec.callbacks.append(CallbackAttempt(ctype, body, now, status, accepted))

        age = now - rec.dispatched_at
        if rec.response_type is not None:
            attempt(400, False)
            raise self._protocol_error(
                "already_acknowledged",
                400,
                ErrorCode.ALREADY_ACKNOWLEDGED,
                "Interaction has already been acknowledged.",
                ctx,
                rec,
            )
        window = self.interaction_response_window
        if (window is not None and age > window) or age > self.interaction_token_ttl:
            attempt(404, False)
            raise self._protocol_error(
                "unknown_interaction",
                404,
                ErrorCode.UNKNOWN_INTERACTION,
                "Unknown interaction",
                ctx,
                rec,
            )
        if ctype not in _ALLOWED_CALLBACKS.get(rec.type, frozenset()):
            attempt(400, False)
            raise self._protocol_error(
                "invalid_callback_type",
                400,
                ErrorCode.INVALID_FORM_BODY,
                f"Interaction callback type {ctype} is not valid for interaction type {rec.type}",
                ctx,
                rec,
            )
        data = body.get("data") or {}
        resource_message: Message | None = None
        try:
            if ctype == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE:
                msg = self._new_bot_message(
                    rec.channel,
                    data,
                    ctx.files,
                    flag_mask=_INTERACTION_MESSAGE_FLAGS,
                    msg_type=20 if rec.type == InteractionType.APPLICATION_COMMAND else 0,
                    interaction=rec,
                )
                rec.message = resource_message = msg
            elif ctype == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
                flags = MessageFlags.LOADING | (
                    int(data.get("flags") or 0) & MessageFlags.EPHEMERAL
                )
                msg = self._new_bot_message(
                    rec.channel,
                    {},
                    (),
                    flag_mask=0,
                    extra_flags=flags,
                    msg_type=20 if rec.type == InteractionType.APPLICATION_COMMAND else 0,
                    interaction=rec,
                    allow_empty=True,
                )
                rec.message = resource_message = msg
            elif ctype == CallbackType.DEFERRED_UPDATE_MESSAGE:
                rec.message = rec.source_message
            elif ctype == CallbackType.UPDATE_MESSAGE:
                assert rec.source_message is not None
                self._edit_message(
                    rec.source_message, data, ctx.files, flag_mask=_CHANNEL_MESSAGE_FLAGS
                )
                rec.message = resource_message = rec.source_message
            elif ctype == CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
                choices = data.get("choices")
                problems = P.validate_choices(choices)
                if problems:
                    raise _HTTPError(400, P.form_error_body(problems))
                rec.choices = list(choices)
            elif ctype == CallbackType.MODAL:
                rec.modal = dict(data)
        except _HTTPError as exc:
            attempt(exc.status, False)
            raise
        attempt(200, True)
        rec.response_type = ctype
        rec.responded_at = now
        if ctype in (4, 5):
            assert resource_message is not None
            self._store(rec.channel, resource_message)
            await self._echo("MESSAGE_CREATE", resource_message)
        elif ctype == 7 and resource_message is not None:
            await self._echo("MESSAGE_UPDATE", resource_message)
        if ctx.record.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        info: dict[str, Any] = {"id": str(rec.id), "type": rec.type}
        response: dict[str, Any] = {"interaction": info}
        if resource_message is not None:
            info["response_message_id"] = str(resource_message.id)
            info["response_message_loading"] = resource_message.loading
            info["response_message_ephemeral"] = resource_message.ephemeral
            response["resource"] = {"type": ctype, "message": self._rest_message(resource_message)}
        elif ctype in (6, 8, 9):
            response["resource"] = {"type": ctype}
        return 200, response

    def _webhook_interaction(self, ctx: _Ctx) -> InteractionRecord:
        rec = self._interactions_by_token.get(ctx.params["webhook_token"])
        if rec is None or ctx.params["webhook_id"] != str(self.application.id):
            raise self._protocol_error(
                "unknown_webhook", 404, ErrorCode.UNKNOWN_WEBHOOK, "Unknown Webhook", ctx
            )
        if ctx.record.time - rec.dispatched_at > self.interaction_token_ttl:
            raise self._protocol_error(
                "invalid_webhook_token",
                401,
                ErrorCode.INVALID_WEBHOOK_TOKEN,
                "Invalid Webhook Token",
                ctx,
                rec,
            )
        if (
            rec.response_type is None
            or rec.type == InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE
        ):
            raise self._protocol_error(
                "webhook_before_ack",
                404,
                ErrorCode.UNKNOWN_WEBHOOK,
                "Unknown Webhook",
                ctx,
                rec,
            )
        return rec

    def _webhook_message(self, ctx: _Ctx, rec: InteractionRecord) -> Message:
        raw = ctx.params["message_id"]
        msg: Message | None = None
        if raw == "@original":
            msg = rec.message
        else:
            mid = parse_snowflake(raw)
            candidates = [rec.message, *rec.followups]
            msg = next((m for m in candidates if m is not None and m.id == mid), None)
        if msg is None or msg.deleted:
            raise _err(404, ErrorCode.UNKNOWN_MESSAGE, "Unknown Message")
        return msg

    async def _h_followup(self, ctx: _Ctx) -> _Response:
        rec = self._webhook_interaction(ctx)
        body = ctx.json
        original = rec.message
        if (
            original is not None
            and original.loading
            and not original.deleted
            and rec.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        ):
            # Discord: the first followup after a "thinking" defer replaces the loading
            # message (and keeps the defer's ephemerality), unless that was deleted.
            self._edit_message(original, body, ctx.files, flag_mask=_CHANNEL_MESSAGE_FLAGS)
            msg = original
            rec.followups.append(msg)
            await self._echo("MESSAGE_UPDATE", msg)
        else:
            msg = self._new_bot_message(
                rec.channel,
                body,
                ctx.files,
                flag_mask=_INTERACTION_MESSAGE_FLAGS,
                msg_type=20 if rec.type == InteractionType.APPLICATION_COMMAND else 0,
                interaction=rec,
            )
            rec.followups.append(msg)
            self._store(rec.channel, msg)
            await self._echo("MESSAGE_CREATE", msg)
        if ctx.record.query.get("wait") in ("1", "true", "True"):
            return 200, self._rest_message(msg)
        return 204, None

    async def _h_get_webhook_message(self, ctx: _Ctx) -> _Response:
        rec = self._webhook_interaction(ctx)
        return 200, self._rest_message(self._webhook_message(ctx, rec))

    async def _h_patch_webhook_message(self, ctx: _Ctx) -> _Response:
        rec = self._webhook_interaction(ctx)
        msg = self._webhook_message(ctx, rec)
        self._edit_message(msg, ctx.json, ctx.files, flag_mask=_CHANNEL_MESSAGE_FLAGS)
        await self._echo("MESSAGE_UPDATE", msg)
        return 200, self._rest_message(msg)

    async def _h_delete_webhook_message(self, ctx: _Ctx) -> _Response:
        rec = self._webhook_interaction(ctx)
        msg = self._webhook_message(ctx, rec)
        msg.deleted = True
        await self._echo_delete(msg)
        return 204, None

    # ==================================================================================
    # Gateway
    # ==================================================================================

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        if self.refuse_gateway > 0:  # an outage: the upgrade fails, the client must retry
            self.refuse_gateway -= 1
            self.refused_gateway_count += 1
            self._changed()
            return web.Response(status=503, text="gateway unavailable")
        ws = web.WebSocketResponse(max_msg_size=0, compress=False, heartbeat=None)
        if not ws.can_prepare(request).ok:
            return web.Response(status=400, text="websocket upgrade expected")
        await ws.prepare(request)
        conn = GatewayConnection(ws, request)
        self.connections.append(conn)
        self._changed()
        await conn.send_json(
            {"op": 10, "d": {"heartbeat_interval": int(self.heartbeat_interval * 1000)}}
        )
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        frame = json.loads(msg.data)
                    except ValueError:
                        self.gateway_errors.append(f"invalid JSON frame: {msg.data[:200]!r}")
                        await conn.close(4002)
                        break
                    try:
                        await self._on_gateway_frame(conn, frame)
                    except Exception as exc:
                        self.internal_errors.append(exc)
                elif msg.type == WSMsgType.BINARY:
                    self.gateway_errors.append("binary frame from client")
                    await conn.close(4002)
                    break
        finally:
            conn.closed = True
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
            self._changed()
        return ws

    async def _on_gateway_frame(self, conn: GatewayConnection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        data = frame.get("d")
        if op == 1:
            conn.heartbeats += 1
            self.heartbeat_count += 1
            if self.ack_heartbeats:
                await conn.send_json({"op": 11})
            return
        self._last_activity = time.monotonic()
        if op == 2:
            await self._on_identify(conn, data or {})
        elif op == 6:
            await self._on_resume(conn, data or {})
        elif op == 8:
            await self._on_request_members(conn, data or {})
        elif op == 3:
            self.presence = data
        elif op == 4:
            pass  # voice state update: not modelled
        else:
            self.gateway_errors.append(f"unknown opcode {op}")
            await conn.close(4001)
        self._changed()

    async def _on_identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        if conn.session is not None:
            self.gateway_errors.append("IDENTIFY on an identified connection")
            await conn.close(4005)
            return
        if self.token is not None and data.get("token") != self.token:
            self.gateway_errors.append("IDENTIFY with a wrong token")
            await conn.close(4004)
            return
        intents = int(data.get("intents") or 0)
        if intents & Intents.PRIVILEGED & ~self.allowed_privileged_intents:
            self.gateway_errors.append("IDENTIFY with disallowed intents")
            await conn.close(4014)
            return
        shard = data.get("shard")
        if shard is not None and not _valid_shard(shard):
            self.gateway_errors.append(f"IDENTIFY with an invalid shard {shard!r}")
            await conn.close(4010)  # Discord: Invalid shard
            return
        self.identify_count += 1
        self.identifies.append(data)
        session = GatewaySession(secrets.token_hex(16), data, self.max_backlog)
        self.sessions[session.session_id] = session
        # A new IDENTIFY ends the earlier session of the same shard (unsharded: of every shard).
        if session.shard is None:
            replaced = list(self.shard_sessions)
        else:
            replaced = [k for k in self.shard_sessions if k is None or k[0] == session.shard[0]]
        for key in replaced:
            self.shard_sessions.pop(key).resumable = False
        self.shard_sessions[session.shard] = session
        self.session = session
        conn.session = session
        session.conn = conn
        guilds = [g for g in self.state.guilds.values() if not g.deleted and session.serves(g.id)]
        await session.send_dispatch(
            "READY",
            P.ready_payload(
                user=self.bot_user,
                guilds=guilds,
                session_id=session.session_id,
                resume_gateway_url=self.resume_gateway_url,
                application=self.application,
                shard=list(shard) if shard else None,
            ),
        )
        self.ready_count += 1
        for guild in guilds:
            await session.send_dispatch("GUILD_CREATE", self._guild_create(session, guild))

    def _guild_create(self, session: GatewaySession, guild: Guild) -> dict[str, Any]:
        members = list(guild.members.values())
        if not session.has(Intents.GUILD_MEMBERS):
            # Like Discord: without GUILD_MEMBERS only the bot itself is sent (and
            # discord.py does not chunk, since chunking needs the intent).
            members = [m for m in members if m.user.id == self.bot_user.id]
        return P.guild_payload(
            guild, members=members, member_count=len(guild.members), bot_user=self.bot_user
        )

    async def _on_resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        ok = (
            session is not None
            and session.resumable
            and (self.token is None or data.get("token") == self.token)
            and isinstance(seq, int)
            and seq <= session.seq
        )
        if ok and session is not None and session.backlog:
            oldest = session.backlog[0][0]
            ok = seq >= oldest - 1  # type: ignore[operator]
        if not ok or session is None:
            self.failed_resume_count += 1
            await conn.send_json({"op": 9, "d": False})
            return
        async with session.lock:
            old = session.conn
            if old is not None and old is not conn:
                old.abort()
            session.conn = conn
            conn.session = session
            conn.resumed = True
            for frame_seq, frame in session.backlog:
                if frame_seq > seq:  # type: ignore[operator]
                    await conn.send(frame)
            session.seq += 1
            frame = json.dumps(
                {
                    "op": 0,
                    "t": "RESUMED",
                    "s": session.seq,
                    "d": {"_trace": ["discord-test-server"]},
                },
                separators=(",", ":"),
            )
            session.backlog.append((session.seq, frame))
            await conn.send(frame)
        self.session = session
        self.resume_count += 1

    async def _on_request_members(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = conn.session
        if session is None:
            await conn.close(4003)
            return
        gid = parse_snowflake(data.get("guild_id"))
        guild = self.state.guilds.get(gid) if gid is not None else None
        if guild is None:
            return
        members = list(guild.members.values())
        not_found: list[str] = []
        user_ids = data.get("user_ids")
        if user_ids is not None:
            wanted = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            members = [m for m in members if m.user.id in wanted]
            not_found = [str(u) for u in wanted if u not in guild.members]
        else:
            query = str(data.get("query") or "").lower()
            members = [m for m in members if m.user.username.lower().startswith(query)]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
        payload: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [P.member_payload(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": not_found,
        }
        if data.get("presences"):
            payload["presences"] = []
        if data.get("nonce") is not None:
            payload["nonce"] = data["nonce"]
        await session.send_dispatch("GUILD_MEMBERS_CHUNK", payload)


def _valid_shard(shard: Any) -> bool:
    return (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in shard)
        and 0 <= shard[0] < shard[1]
    )


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

_GUILDS_EVENTS = frozenset(
    {
        "GUILD_CREATE",
        "GUILD_UPDATE",
        "GUILD_DELETE",
        "GUILD_ROLE_CREATE",
        "GUILD_ROLE_UPDATE",
        "GUILD_ROLE_DELETE",
        "CHANNEL_CREATE",
        "CHANNEL_UPDATE",
        "CHANNEL_DELETE",
        "CHANNEL_PINS_UPDATE",
        "THREAD_CREATE",
        "THREAD_UPDATE",
        "THREAD_DELETE",
        "THREAD_LIST_SYNC",
    }
)


def _required_intent(event: str, data: Mapping[str, Any]) -> int:
    """The intent Discord requires to deliver ``event`` (0: always delivered)."""
    in_guild = bool(data.get("guild_id"))
    if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"):
        return Intents.GUILD_MESSAGES if in_guild else Intents.DIRECT_MESSAGES
    if event.startswith("MESSAGE_REACTION_"):
        return Intents.GUILD_MESSAGE_REACTIONS if in_guild else Intents.DIRECT_MESSAGE_REACTIONS
    if event == "TYPING_START":
        return Intents.GUILD_MESSAGE_TYPING if in_guild else Intents.DIRECT_MESSAGE_TYPING
    if event in _GUILDS_EVENTS:
        return Intents.GUILDS
    if event in ("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"):
        return Intents.GUILD_MEMBERS
    if event == "PRESENCE_UPDATE":
        return Intents.GUILD_PRESENCES
    return 0


def _bucket_hash(route_key: str) -> str:
    return hashlib.sha1(route_key.encode()).hexdigest()[:16]


def _reference_payload(msg: Message) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "type": 0,
        "message_id": str(msg.id),
        "channel_id": str(msg.channel_id),
    }
    if msg.guild_id is not None:
        ref["guild_id"] = str(msg.guild_id)
    return ref


def _find_component(items: Iterable[Any], custom_id: str) -> dict[str, Any] | None:
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("custom_id") == custom_id:
            return item
        found = _find_component(item.get("components") or (), custom_id)
        if found is not None:
            return found
        accessory = item.get("accessory")
        if isinstance(accessory, dict):
            found = _find_component([accessory], custom_id)
            if found is not None:
                return found
    return None


def _check_range(
    opt: Mapping[str, Any], value: float, lo_key: str, hi_key: str, where: str
) -> None:
    lo, hi = opt.get(lo_key), opt.get(hi_key)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ValueError(
            f"option {opt['name']!r} of {where!r}: {value} outside [{lo}, {hi}] ({lo_key}/{hi_key})"
        )
