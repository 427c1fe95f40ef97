"""Model objects of the Discord test server: users, guilds, channels, messages, interactions.

Everything here is plain data (dataclasses) plus :class:`ServerState`, the container that
creates and indexes the objects. JSON payloads are built from these objects in
:mod:`tests.discord_server.payloads`; the HTTP and gateway behaviour lives in
:mod:`tests.discord_server.server`.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

# --------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------

DISCORD_EPOCH_MS = 1_420_070_400_000


class Intents:
    """Gateway intent bits (https://discord.com/developers/docs/events/gateway#gateway-intents)."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MODERATION = 1 << 2
    GUILD_EXPRESSIONS = 1 << 3
    GUILD_INTEGRATIONS = 1 << 4
    GUILD_WEBHOOKS = 1 << 5
    GUILD_INVITES = 1 << 6
    GUILD_VOICE_STATES = 1 << 7
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    GUILD_MESSAGE_TYPING = 1 << 11
    DIRECT_MESSAGES = 1 << 12
    DIRECT_MESSAGE_REACTIONS = 1 << 13
    DIRECT_MESSAGE_TYPING = 1 << 14
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class Permissions:
    """Permission bits used by the server's checks."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    USE_APPLICATION_COMMANDS = 1 << 31
    SEND_MESSAGES_IN_THREADS = 1 << 38
    #: What a fresh member gets through @everyone in a new guild (roughly Discord's default).
    DEFAULT = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | MENTION_EVERYONE
        | USE_EXTERNAL_EMOJIS
        | USE_APPLICATION_COMMANDS
        | SEND_MESSAGES_IN_THREADS
    )
    #: Every bit Discord currently defines (used as the bot's default: pessimistic for pings).
    ALL = (1 << 51) - 1


class MessageFlags:
    CROSSPOSTED = 1 << 0
    SUPPRESS_EMBEDS = 1 << 2
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    SUPPRESS_NOTIFICATIONS = 1 << 12
    IS_COMPONENTS_V2 = 1 << 15


class ChannelType:
    GUILD_TEXT = 0
    DM = 1
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    GUILD_FORUM = 15


class InteractionType:
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType:
    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9


class OptionType:
    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    BOOLEAN = 5
    USER = 6
    CHANNEL = 7
    ROLE = 8
    MENTIONABLE = 9
    NUMBER = 10
    ATTACHMENT = 11


class ErrorCode:
    """JSON error codes the server returns (subset of Discord's)."""

    GENERAL = 0
    UNKNOWN_CHANNEL = 10003
    UNKNOWN_GUILD = 10004
    UNKNOWN_MEMBER = 10007
    UNKNOWN_MESSAGE = 10008
    UNKNOWN_USER = 10013
    UNKNOWN_WEBHOOK = 10015
    UNKNOWN_APPLICATION_COMMAND = 10063
    UNKNOWN_INTERACTION = 10062
    UNAUTHORIZED = 40001
    ALREADY_ACKNOWLEDGED = 40060
    MISSING_ACCESS = 50001
    CANNOT_EDIT_OTHERS_MESSAGE = 50005
    CANNOT_SEND_EMPTY_MESSAGE = 50006
    CANNOT_SEND_TO_USER = 50007
    MISSING_PERMISSIONS = 50013
    INVALID_WEBHOOK_TOKEN = 50027
    INVALID_FORM_BODY = 50035


# --------------------------------------------------------------------------------------
# Snowflakes and time
# --------------------------------------------------------------------------------------


class SnowflakeGenerator:
    """Strictly increasing Discord-style snowflakes whose timestamp part is "now"."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        value = max(candidate, self._last + 1)
        self._last = value
        return value

    def skip_ms(self) -> int:
        """A snowflake from the next millisecond (its shard differs from the last one's)."""
        value = ((self._last >> 22) + 1) << 22
        self._last = value
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_snowflake(value: Any) -> int | None:
    """Parse an id given as int or numeric string; ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


# --------------------------------------------------------------------------------------
# Entities
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class User:
    """A Discord user. ``bot=True`` marks bot accounts (the bot user always has it)."""

    id: int
    username: str
    discriminator: str = "0"
    global_name: str | None = None
    avatar: str | None = None
    bot: bool = False
    #: When False, posting into this user's DM channel fails with 403 50007.
    accepts_dms: bool = True

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass(eq=False)
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    mentionable: bool = True
    managed: bool = False
    color: int = 0

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"


@dataclass(eq=False)
class Member:
    """A user's membership in a guild.

    ``permissions`` is the member's resolved permission integer (what Discord puts into
    ``member.permissions`` of an interaction); ``None`` means "@everyone's permissions plus
    the permissions of the member's roles".
    """

    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    permissions: int | None = None
    joined_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class Channel:
    """A guild text/voice/category channel or a DM channel (``type == 1``).

    ``bot_permissions`` overrides the guild-wide bot permissions for this channel.
    Messages are stored in insertion order in ``messages`` (id -> Message).
    """

    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    nsfw: bool = False
    recipient: User | None = None
    bot_permissions: int | None = None
    deleted: bool = False
    messages: dict[int, Message] = field(default_factory=dict, repr=False)

    @property
    def is_dm(self) -> bool:
        return self.type == ChannelType.DM

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def history(self, *, include_deleted: bool = False) -> list[Message]:
        """Messages of the channel, oldest first."""
        return [m for m in self.messages.values() if include_deleted or not m.deleted]


@dataclass(eq=False)
class Guild:
    """A guild. ``bot_permissions`` are the bot's guild-wide permissions (default: all)."""

    id: int
    name: str
    owner_id: int
    bot_permissions: int = Permissions.ALL
    everyone_permissions: int = Permissions.DEFAULT
    deleted: bool = False
    unavailable: bool = False
    channels: dict[int, Channel] = field(default_factory=dict, repr=False)
    members: dict[int, Member] = field(default_factory=dict, repr=False)
    roles: dict[int, Role] = field(default_factory=dict, repr=False)
    bot_role_id: int | None = None

    def member(self, user: User | int) -> Member | None:
        return self.members.get(user if isinstance(user, int) else user.id)

    def member_permissions(self, member: Member) -> int:
        """Resolved guild permissions of ``member`` (explicit ``permissions`` wins)."""
        if member.permissions is not None:
            return member.permissions
        if member.user.id == self.owner_id:
            return Permissions.ALL
        value = self.everyone_permissions
        for role_id in member.roles:
            role = self.roles.get(role_id)
            if role is not None:
                value |= role.permissions
        if value & Permissions.ADMINISTRATOR:
            return Permissions.ALL
        return value

    def bot_permissions_in(self, channel: Channel | None) -> int:
        value = self.bot_permissions
        if channel is not None and channel.bot_permissions is not None:
            value = channel.bot_permissions
        if value & Permissions.ADMINISTRATOR:
            return Permissions.ALL
        return value


@dataclass(eq=False)
class Application:
    id: int
    name: str
    owner: User
    description: str = ""
    verify_key: str = "0" * 64
    flags: int = 0


@dataclass(eq=False)
class Attachment:
    """A stored file, served by the server's CDN route at :attr:`url`."""

    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Upload:
    """A file a *user* attaches to a slash command option or a message sent by a test."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(eq=False)
class Message:
    """A message as the server stores it.

    ``allowed_mentions`` is stored exactly as the bot sent it (``None`` when absent);
    ``pinged`` lists the mentions that WOULD notify someone under Discord's rules, as
    canonical tokens: ``"@everyone"``, ``"@here"``, ``"<@USER_ID>"``, ``"<@&ROLE_ID>"``.
    ``request_body`` is the JSON body of the request that created the message.
    """

    id: int
    channel_id: int
    author: User
    content: str = ""
    guild_id: int | None = None
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    tts: bool = False
    type: int = 0
    nonce: str | int | None = None
    pinned: bool = False
    allowed_mentions: dict[str, Any] | None = None
    mentions: list[User] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    pinged: list[str] = field(default_factory=list)
    message_reference: dict[str, Any] | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    timestamp: datetime = field(default_factory=utcnow)
    edited_timestamp: datetime | None = None
    deleted: bool = False
    reactions: dict[str, set[int]] = field(default_factory=dict)
    request_body: dict[str, Any] | None = None
    #: Every previous version of the message (content, embeds, components, flags) before edits.
    edits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MessageFlags.EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & MessageFlags.LOADING)

    @property
    def pings_everyone(self) -> bool:
        return "@everyone" in self.pinged or "@here" in self.pinged

    @property
    def pinged_user_ids(self) -> list[int]:
        return [int(t[2:-1]) for t in self.pinged if t.startswith("<@") and t[2].isdigit()]

    @property
    def pinged_role_ids(self) -> list[int]:
        return [int(t[3:-1]) for t in self.pinged if t.startswith("<@&")]

    def custom_ids(self) -> list[str]:
        """All ``custom_id`` values of the message's components (nested rows included)."""
        found: list[str] = []

        def walk(items: Iterable[Any]) -> None:
            for item in items:
                if isinstance(item, dict):
                    if "custom_id" in item:
                        found.append(item["custom_id"])
                    walk(item.get("components") or ())
                    accessory = item.get("accessory")
                    if accessory:
                        walk([accessory])

        walk(self.components)
        return found


@dataclass(eq=False)
class Command:
    """An application command as registered by ``tree.sync()`` (``raw`` = what was PUT)."""

    id: int
    application_id: int
    name: str
    type: int
    description: str
    guild_id: int | None
    raw: dict[str, Any]
    version: int = 0

    @property
    def options(self) -> list[dict[str, Any]]:
        return list(self.raw.get("options") or [])


# --------------------------------------------------------------------------------------
# Records (what tests assert on)
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class RecordedRequest:
    """One HTTP request received by the server."""

    method: str
    path: str  # path below /api/v10 (e.g. "/channels/1/messages"), or the raw path otherwise
    query: dict[str, str]
    json: Any
    time: float  # time.monotonic() when received
    route: str | None = None  # matched template, e.g. "POST /channels/{channel_id}/messages"
    params: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, str, int]] = field(default_factory=list)  # (field, filename, size)
    status: int | None = None
    response: Any = None
    headers: dict[str, str] = field(default_factory=dict)  # request headers
    response_headers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.method} {self.path} -> {self.status}>"


@dataclass(eq=False)
class ProtocolError:
    """A request the bot made that Discord would reject as a protocol violation."""

    kind: str  # "already_acknowledged", "unknown_interaction", "invalid_webhook_token", ...
    code: int
    message: str
    interaction_id: int | None = None
    request: RecordedRequest | None = None


@dataclass(eq=False)
class CallbackAttempt:
    """One ``POST /interactions/{id}/{token}/callback`` for an interaction."""

    type: int
    body: dict[str, Any]
    at: float
    status: int
    accepted: bool


@dataclass(eq=False)
class InteractionRecord:
    """Everything the server knows about one dispatched interaction.

    ``latency`` is the time from dispatch to the first callback attempt; ``message`` is the
    original response message (created by a type 4/5 callback or, for type 6/7, the message
    that carried the component); ``followups`` are messages sent with
    ``POST /webhooks/{app_id}/{token}``.
    """

    id: int
    token: str
    type: int
    name: str
    user: User
    channel: Channel
    guild: Guild | None
    payload: dict[str, Any]
    dispatched_at: float
    source_message: Message | None = None
    callbacks: list[CallbackAttempt] = field(default_factory=list)
    response_type: int | None = None
    responded_at: float | None = None
    message: Message | None = None
    followups: list[Message] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None
    errors: list[ProtocolError] = field(default_factory=list)

    @property
    def first_attempt_at(self) -> float | None:
        return self.callbacks[0].at if self.callbacks else None

    @property
    def latency(self) -> float | None:
        """Seconds from dispatch to the first callback attempt (accepted or not)."""
        first = self.first_attempt_at
        return None if first is None else first - self.dispatched_at

    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None

    @property
    def double_acks(self) -> int:
        return sum(1 for e in self.errors if e.kind == "already_acknowledged")

    @property
    def content(self) -> str | None:
        return None if self.message is None else self.message.content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return [] if self.message is None else self.message.embeds

    @property
    def components(self) -> list[dict[str, Any]]:
        return [] if self.message is None else self.message.components

    @property
    def flags(self) -> int:
        return 0 if self.message is None else self.message.flags

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MessageFlags.EPHEMERAL)

    @property
    def deferred(self) -> bool:
        return self.response_type in (
            CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
            CallbackType.DEFERRED_UPDATE_MESSAGE,
        )

    def __repr__(self) -> str:
        return (
            f"<InteractionRecord id={self.id} type={self.type} name={self.name!r} "
            f"response_type={self.response_type} followups={len(self.followups)}>"
        )


# --------------------------------------------------------------------------------------
# Faults and rate limits
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class Fault:
    """An injected failure, matched against incoming REST requests.

    ``route`` is either a route template exactly as discord.py writes it
    (``"POST /channels/{channel_id}/messages"``) or a glob matched against the template
    and against the concrete ``"METHOD /path"``; ``None`` matches every route.
    ``channel_id``/``user_id`` narrow it down (``user_id`` matches the user's DM channel,
    ``{user_id}`` path parameters and ``POST /users/@me/channels`` for that recipient).
    ``delay`` seconds are waited before answering; with ``status=None`` the request then
    proceeds normally (a slow response). ``times=None`` means forever; ``hits`` counts uses.
    """

    route: str | None = None
    status: int | None = None
    code: int = 0
    message: str = ""
    retry_after: float = 0.0
    is_global: bool = False
    delay: float = 0.0
    times: int | None = 1
    channel_id: int | None = None
    user_id: int | None = None
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches_route(self, template: str | None, method: str, path: str) -> bool:
        if self.route is None:
            return True
        if template is not None and (
            self.route == template or fnmatch.fnmatchcase(template, self.route)
        ):
            return True
        return fnmatch.fnmatchcase(f"{method} {path}", self.route)

    # -- factories ---------------------------------------------------------------------

    @classmethod
    def rate_limited(
        cls,
        route: str | None = None,
        *,
        retry_after: float = 0.05,
        is_global: bool = False,
        times: int | None = 1,
        channel: Channel | int | None = None,
    ) -> Fault:
        """429 with ``retry_after`` (per-route bucket, or global with ``is_global``)."""
        return cls(
            route=route,
            status=429,
            message="You are being rate limited.",
            retry_after=retry_after,
            is_global=is_global,
            times=times,
            channel_id=_id_of(channel),
        )

    @classmethod
    def server_error(
        cls,
        route: str | None = None,
        *,
        status: int = 500,
        times: int | None = 1,
        channel: Channel | int | None = None,
    ) -> Fault:
        """500/502/503/504 (discord.py retries 500, 502, 504 and 524)."""
        return cls(
            route=route,
            status=status,
            message={500: "500: Internal Server Error", 502: "502: Bad Gateway"}.get(
                status, f"{status}: Server Error"
            ),
            times=times,
            channel_id=_id_of(channel),
        )

    @classmethod
    def slow(
        cls,
        route: str | None = None,
        *,
        delay: float,
        times: int | None = 1,
        channel: Channel | int | None = None,
    ) -> Fault:
        """Answer normally, but only after ``delay`` seconds (simulated timeout/latency)."""
        return cls(route=route, delay=delay, times=times, channel_id=_id_of(channel))

    @classmethod
    def unknown_channel(
        cls,
        route: str | None = None,
        *,
        channel: Channel | int | None = None,
        times: int | None = 1,
    ) -> Fault:
        return cls(
            route=route,
            status=404,
            code=ErrorCode.UNKNOWN_CHANNEL,
            message="Unknown Channel",
            times=times,
            channel_id=_id_of(channel),
        )

    @classmethod
    def missing_access(
        cls,
        route: str | None = None,
        *,
        channel: Channel | int | None = None,
        times: int | None = 1,
    ) -> Fault:
        return cls(
            route=route,
            status=403,
            code=ErrorCode.MISSING_ACCESS,
            message="Missing Access",
            times=times,
            channel_id=_id_of(channel),
        )

    @classmethod
    def missing_permissions(
        cls,
        route: str | None = None,
        *,
        channel: Channel | int | None = None,
        times: int | None = 1,
    ) -> Fault:
        return cls(
            route=route,
            status=403,
            code=ErrorCode.MISSING_PERMISSIONS,
            message="Missing Permissions",
            times=times,
            channel_id=_id_of(channel),
        )

    @classmethod
    def cannot_dm(cls, user: User | int, *, times: int | None = 1) -> Fault:
        """403 50007 on posts to ``user``'s DM channel (see also ``User.accepts_dms``)."""
        return cls(
            route="POST /channels/{channel_id}/messages",
            status=403,
            code=ErrorCode.CANNOT_SEND_TO_USER,
            message="Cannot send messages to this user",
            times=times,
            user_id=_id_of(user),
        )


@dataclass(frozen=True)
class RateLimit:
    """A fixed-window bucket: ``limit`` requests per ``per`` seconds per route + major params."""

    limit: int
    per: float


@dataclass
class Bucket:
    limit: int
    per: float
    remaining: int
    reset_at: float
    hash: str


def _id_of(obj: Any) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, int):
        return obj
    return int(obj.id)


# --------------------------------------------------------------------------------------
# Mentions
# --------------------------------------------------------------------------------------

_MENTION_RE = re.compile(r"<@(!?)(\d+)>|<@&(\d+)>|@(everyone|here)")


@dataclass
class MentionResult:
    users: list[User]
    roles: list[int]
    everyone: bool
    pinged: list[str]
    error: str | None = None


def resolve_mentions(
    *,
    content: str,
    allowed_mentions: Mapping[str, Any] | None,
    users: Mapping[int, User],
    guild: Guild | None,
    can_mention_everyone: bool,
    replied_user: User | None = None,
) -> MentionResult:
    """Compute which mentions in ``content`` would ping, following Discord's rules.

    Without ``allowed_mentions`` everything parsed pings (``@everyone``/``@here`` only in
    guilds and only with MENTION_EVERYONE). With it, only what ``parse`` (``users``,
    ``roles``, ``everyone``) or the explicit ``users``/``roles`` id lists allow pings;
    ``replied_user`` pings the author of the referenced message (default: True without
    ``allowed_mentions``, False with it). ``parse: ["users"]`` together with ``users`` is
    a 400 error on Discord (reported in ``error``).
    """
    user_ids: list[int] = []
    role_ids: list[int] = []
    everyone = here = False
    for match in _MENTION_RE.finditer(content or ""):
        if match.group(2):
            uid = int(match.group(2))
            if uid not in user_ids:
                user_ids.append(uid)
        elif match.group(3):
            rid = int(match.group(3))
            if rid not in role_ids:
                role_ids.append(rid)
        elif match.group(4) == "everyone":
            everyone = True
        else:
            here = True

    error = None
    if allowed_mentions is None:
        parse = {"users", "roles", "everyone"}
        allowed_users: set[int] = set()
        allowed_roles: set[int] = set()
        reply_pings = True
    else:
        parse = set(allowed_mentions.get("parse") or [])
        allowed_users = {int(x) for x in allowed_mentions.get("users") or []}
        allowed_roles = {int(x) for x in allowed_mentions.get("roles") or []}
        reply_pings = bool(allowed_mentions.get("replied_user", False))
        if "users" in parse and allowed_users:
            error = "parse:users and users are mutually exclusive"
        if "roles" in parse and allowed_roles:
            error = "parse:roles and roles are mutually exclusive"

    pinged: list[str] = []
    mentioned_users: list[User] = []
    for uid in user_ids:
        user = users.get(uid)
        if user is None:
            continue
        if "users" in parse or uid in allowed_users:
            mentioned_users.append(user)
            pinged.append(f"<@{uid}>")
    mentioned_roles: list[int] = []
    if guild is not None:
        for rid in role_ids:
            role = guild.roles.get(rid)
            if role is None:
                continue
            if ("roles" in parse or rid in allowed_roles) and (
                role.mentionable or can_mention_everyone
            ):
                mentioned_roles.append(rid)
                pinged.append(f"<@&{rid}>")
    mention_everyone = False
    if guild is not None and "everyone" in parse and can_mention_everyone:
        if everyone:
            pinged.append("@everyone")
            mention_everyone = True
        if here:
            pinged.append("@here")
            mention_everyone = True
    if replied_user is not None and reply_pings and replied_user not in mentioned_users:
        mentioned_users.append(replied_user)
        pinged.append(f"<@{replied_user.id}>")
    return MentionResult(mentioned_users, mentioned_roles, mention_everyone, pinged, error)


# --------------------------------------------------------------------------------------
# The state container
# --------------------------------------------------------------------------------------


class ServerState:
    """All entities of the fake Discord, indexed by id. Create things through this class."""

    def __init__(self, *, bot_name: str = "briefbot", app_name: str | None = None) -> None:
        self.snowflake = SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.attachments: dict[int, Attachment] = {}
        self.dm_channels: dict[int, Channel] = {}  # recipient user id -> DM channel
        self.global_commands: dict[str, Command] = {}
        self.guild_commands: dict[int, dict[str, Command]] = {}
        self._command_version = itertools.count(1)
        owner = self.add_user("owner")
        self.bot_user = self.add_user(bot_name, bot=True)
        self.application = Application(id=self.bot_user.id, name=app_name or bot_name, owner=owner)

    # -- creation ----------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        *,
        bot: bool = False,
        global_name: str | None = None,
        id: int | None = None,
    ) -> User:
        user = User(id=id or self.snowflake(), username=username, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        owner: User | None = None,
        bot_permissions: int = Permissions.ALL,
        everyone_permissions: int = Permissions.DEFAULT,
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        gid = self.snowflake()
        if shard is not None:  # the next id on that shard: (id >> 22) % count == shard id
            shard_id, count = shard
            while (gid >> 22) % count != shard_id:
                gid = self.snowflake.skip_ms()
        guild = Guild(
            id=gid,
            name=name,
            owner_id=(owner or self.application.owner).id,
            bot_permissions=bot_permissions,
            everyone_permissions=everyone_permissions,
        )
        guild.roles[gid] = Role(id=gid, guild_id=gid, name="@everyone", mentionable=False)
        bot_role = Role(
            id=self.snowflake(),
            guild_id=gid,
            name=self.bot_user.username,
            permissions=bot_permissions,
            position=1,
            managed=True,
            mentionable=False,
        )
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        guild.members[self.bot_user.id] = Member(
            user=self.bot_user, guild_id=gid, roles=[bot_role.id], permissions=bot_permissions
        )
        self.guilds[gid] = guild
        return guild

    def add_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = ChannelType.GUILD_TEXT,
        topic: str | None = None,
        parent: Channel | None = None,
        bot_permissions: int | None = None,
    ) -> Channel:
        channel = Channel(
            id=self.snowflake(),
            type=type,
            name=name,
            guild_id=guild.id,
            position=len(guild.channels),
            topic=topic,
            parent_id=parent.id if parent else None,
            bot_permissions=bot_permissions,
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_role(
        self,
        guild: Guild,
        name: str,
        *,
        permissions: int = 0,
        mentionable: bool = True,
    ) -> Role:
        role = Role(
            id=self.snowflake(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            position=len(guild.roles),
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        return role

    def add_member(
        self,
        guild: Guild,
        user: User,
        *,
        permissions: int | None = None,
        roles: Iterable[Role | int] = (),
        nick: str | None = None,
    ) -> Member:
        member = Member(
            user=user,
            guild_id=guild.id,
            roles=[r if isinstance(r, int) else r.id for r in roles],
            nick=nick,
            permissions=permissions,
        )
        guild.members[user.id] = member
        return member

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between the bot and ``user`` (created on first use)."""
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = Channel(id=self.snowflake(), type=ChannelType.DM, recipient=user)
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
        return channel

    def add_attachment(
        self, filename: str, data: bytes, *, base_url: str, channel_id: int, **extra: Any
    ) -> Attachment:
        aid = self.snowflake()
        att = Attachment(
            id=aid,
            filename=filename,
            data=data,
            url=f"{base_url}/attachments/{channel_id}/{aid}/{quote(filename)}",
            **extra,
        )
        self.attachments[aid] = att
        return att

    # -- lookups -------------------------------------------------------------------------

    def guild_of(self, channel: Channel) -> Guild | None:
        return None if channel.guild_id is None else self.guilds.get(channel.guild_id)

    def find_command(self, name: str, guild: Guild | None) -> Command | None:
        """Resolve a command name like Discord's client: guild commands first, then global."""
        if guild is not None:
            cmd = self.guild_commands.get(guild.id, {}).get(name)
            if cmd is not None:
                return cmd
        return self.global_commands.get(name)

    def next_command_version(self) -> int:
        return next(self._command_version)
