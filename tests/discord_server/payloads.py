"""Builders of Discord JSON payloads from the model in :mod:`tests.discord_server.state`.

Every function returns plain ``dict``/``list`` data shaped like Discord API v10 objects,
with the fields discord.py 2.7 needs to parse them (ids as strings, ISO timestamps, ...).
The validators at the bottom implement the Discord limits that matter to a bot (message
and embed lengths, command schemas, autocomplete choices) and produce Discord-style
``Invalid Form Body`` (50035) error bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from tests.discord_server.state import (
    Application,
    Attachment,
    Channel,
    ChannelType,
    Command,
    ErrorCode,
    Guild,
    Member,
    Message,
    Role,
    User,
)

JSON_CONTENT_TYPE = "application/json"  # exactly this: discord.py compares with == (P1)


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat(timespec="microseconds")


# --------------------------------------------------------------------------------------
# Entities
# --------------------------------------------------------------------------------------


def user_payload(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(user.id),
        "username": user.username,
        "discriminator": user.discriminator,
        "global_name": user.global_name,
        "avatar": user.avatar,
        "public_flags": 0,
    }
    if user.bot:
        data["bot"] = True  # P9: without it discord.py thinks the bot is a human
    return data


def role_payload(role: Role) -> dict[str, Any]:
    return {
        "id": str(role.id),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed,
        "mentionable": role.mentionable,
        "flags": 0,
    }


def member_payload(
    member: Member,
    guild: Guild | None = None,
    *,
    with_user: bool = True,
    with_permissions: bool = False,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r) for r in member.roles],
        "nick": member.nick,
        "avatar": None,
        "joined_at": iso(member.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user_payload(member.user)
    if with_permissions and guild is not None:
        data["permissions"] = str(guild.member_permissions(member))
    return data


def channel_payload(
    channel: Channel, *, bot_user: User | None = None, permissions: int | None = None
) -> dict[str, Any]:
    if channel.is_dm:
        data: dict[str, Any] = {
            "id": str(channel.id),
            "type": ChannelType.DM,
            "last_message_id": _last_message_id(channel),
            "recipients": [user_payload(channel.recipient)] if channel.recipient else [],
            "flags": 0,
        }
        if bot_user is not None:
            data["recipient_flags"] = 0
    else:
        data = {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": str(channel.guild_id),
            "name": channel.name,
            "position": channel.position,
            "permission_overwrites": [],
            "parent_id": None if channel.parent_id is None else str(channel.parent_id),
            "nsfw": channel.nsfw,
            "topic": channel.topic,
            "last_message_id": _last_message_id(channel),
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if channel.type in (ChannelType.GUILD_VOICE,):
            data.update(bitrate=64000, user_limit=0, rtc_region=None)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def _last_message_id(channel: Channel) -> str | None:
    if not channel.messages:
        return None
    return str(next(reversed(channel.messages)))


def guild_payload(
    guild: Guild, *, members: Iterable[Member], member_count: int, bot_user: User
) -> dict[str, Any]:
    """A GUILD_CREATE ``d``: the guild with channels, roles and the given members."""
    bot_member = guild.members.get(bot_user.id)
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "owner_id": str(guild.owner_id),
        "unavailable": False,
        "large": member_count >= 250,
        "member_count": member_count,
        "joined_at": iso(bot_member.joined_at) if bot_member else None,
        "features": [],
        "emojis": [],
        "stickers": [],
        "roles": [role_payload(r) for r in guild.roles.values()],
        "channels": [channel_payload(c) for c in guild.channels.values() if not c.deleted],
        "threads": [],
        "members": [member_payload(m) for m in members],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "description": None,
        "banner": None,
        "splash": None,
        "discovery_splash": None,
        "vanity_url_code": None,
        "application_id": None,
        "max_members": 500000,
        "nsfw": False,
        "premium_progress_bar_enabled": False,
    }


def partial_guild_payload(guild: Guild, *, permissions: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "banner": None,
        "owner": False,
        "features": [],
        "locale": "en-US",
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def application_payload(app: Application, bot_user: User) -> dict[str, Any]:
    """``GET /oauth2/applications/@me`` (no ``interactions_endpoint_url``: see P17)."""
    return {
        "id": str(app.id),
        "name": app.name,
        "icon": None,
        "description": app.description,
        "summary": "",
        "type": None,
        "bot": user_payload(bot_user),
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user_payload(app.owner),
        "team": None,
        "verify_key": app.verify_key,
        "flags": app.flags,
        "tags": [],
        "redirect_uris": [],
        "approximate_guild_count": 0,
    }


def attachment_payload(att: Attachment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(att.id),
        "filename": att.filename,
        "size": att.size,
        "url": att.url,
        "proxy_url": att.url,
    }
    if att.content_type:
        data["content_type"] = att.content_type
    if att.description:
        data["description"] = att.description
    return data


def message_payload(
    msg: Message,
    *,
    include_guild_id: bool = False,
    member: Member | None = None,
    strip_content: bool = False,
) -> dict[str, Any]:
    """A message object. ``strip_content`` mimics a missing MESSAGE_CONTENT intent."""
    data: dict[str, Any] = {
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "type": msg.type,
        "author": user_payload(msg.author),
        "content": "" if strip_content else msg.content,
        "timestamp": iso(msg.timestamp),
        "edited_timestamp": iso(msg.edited_timestamp),
        "tts": msg.tts,
        "mention_everyone": msg.mention_everyone,
        "mentions": [user_payload(u) for u in msg.mentions],
        "mention_roles": [str(r) for r in msg.mention_roles],
        "attachments": [] if strip_content else [attachment_payload(a) for a in msg.attachments],
        "embeds": [] if strip_content else list(msg.embeds),
        "components": [] if strip_content else list(msg.components),
        "pinned": msg.pinned,
        "flags": msg.flags,
    }
    if msg.nonce is not None:
        data["nonce"] = msg.nonce
    if msg.webhook_id is not None:
        data["webhook_id"] = str(msg.webhook_id)
    if msg.application_id is not None:
        data["application_id"] = str(msg.application_id)
    if msg.interaction_metadata is not None:
        data["interaction_metadata"] = msg.interaction_metadata
    if msg.message_reference is not None:
        data["message_reference"] = msg.message_reference
    if msg.reactions:
        data["reactions"] = [
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": False,
                "me_burst": False,
                "burst_colors": [],
                "emoji": _emoji_payload(emoji),
            }
            for emoji, users in msg.reactions.items()
            if users
        ]
    if include_guild_id and msg.guild_id is not None:
        data["guild_id"] = str(msg.guild_id)  # P10: discord.py needs it for guild messages
    if member is not None:
        data["member"] = member_payload(member, with_user=False)
    return data


def _emoji_payload(emoji: str) -> dict[str, Any]:
    match = re.fullmatch(r"(?:a:)?([\w~]+):(\d+)", emoji)
    if match:
        return {"id": match.group(2), "name": match.group(1)}
    return {"id": None, "name": emoji}


def command_payload(cmd: Command) -> dict[str, Any]:
    """A registered command as returned by the command endpoints (the PUT body + ids)."""
    data = dict(cmd.raw)
    data.update(
        id=str(cmd.id),
        application_id=str(cmd.application_id),
        version=str(cmd.version),
        type=cmd.type,
        name=cmd.name,
        description=cmd.description,
    )
    data.setdefault("options", [])
    data.setdefault("default_member_permissions", None)
    data.setdefault("nsfw", False)
    if cmd.guild_id is not None:
        data["guild_id"] = str(cmd.guild_id)
    return data


def ready_payload(
    *,
    user: User,
    guilds: Sequence[Guild],
    session_id: str,
    resume_gateway_url: str,
    application: Application,
    shard: list[int] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "v": 10,
        "user": user_payload(user) | {"verified": True, "mfa_enabled": False, "flags": 0},
        "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "application": {"id": str(application.id), "flags": application.flags},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "geo_ordered_rtc_regions": [],
        "user_settings": {},
        "guild_join_requests": [],
        "_trace": ["discord-test-server"],
    }
    if shard is not None:
        data["shard"] = shard
    return data


def interaction_payload(
    *,
    interaction_id: int,
    token: str,
    application_id: int,
    type: int,
    data: Mapping[str, Any],
    user: User,
    channel: Channel,
    guild: Guild | None,
    member: Member | None,
    app_permissions: int,
    attachment_size_limit: int,
    message: Mapping[str, Any] | None = None,
    locale: str = "en-US",
) -> dict[str, Any]:
    """An INTERACTION_CREATE ``d`` with everything ``Interaction._from_data`` requires (P4)."""
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": type,
        "data": dict(data),
        "token": token,
        "version": 1,
        "attachment_size_limit": attachment_size_limit,  # P4: KeyError kills the bot
        "locale": locale,
        "app_permissions": str(app_permissions),
        "entitlements": [],
        "entitlement_sku_ids": [],
    }
    if guild is not None:
        assert member is not None
        member_perms = guild.member_permissions(member)
        payload.update(
            guild_id=str(guild.id),
            guild_locale="en-US",
            guild={"id": str(guild.id), "locale": "en-US", "features": []},
            member=member_payload(member, guild, with_permissions=True),
            channel=channel_payload(channel, permissions=member_perms),  # P8: object, not id
            channel_id=str(channel.id),
            context=0,
            authorizing_integration_owners={"0": str(guild.id)},
        )
    else:
        payload.update(
            user=user_payload(user),
            channel=channel_payload(channel),
            channel_id=str(channel.id),
            context=1,
            authorizing_integration_owners={"0": str(user.id)},
        )
    if message is not None:
        payload["message"] = dict(message)
    return payload


# --------------------------------------------------------------------------------------
# Errors and validation
# --------------------------------------------------------------------------------------


def error_body(code: int, message: str, errors: Mapping[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = dict(errors)
    return body


Problem = tuple[tuple[str | int, ...], str, str]  # (path, error code, message)


def form_error_body(problems: Sequence[Problem]) -> dict[str, Any]:
    """Discord's ``Invalid Form Body`` error (50035) with nested ``errors``."""
    errors: dict[str, Any] = {}
    for path, code, message in problems:
        node = errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return error_body(ErrorCode.INVALID_FORM_BODY, "Invalid Form Body", errors)


def _max_len(problems: list[Problem], path: tuple[str | int, ...], value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        problems.append((path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))


def validate_message_body(
    body: Mapping[str, Any], *, prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    """Check content (2000), embeds (10, title 256, description 4096, 25 fields, 6000 total)."""
    problems: list[Problem] = []
    _max_len(problems, (*prefix, "content"), body.get("content"), 2000)
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        problems.append(
            ((*prefix, "embeds"), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        )
    total = 0
    for i, embed in enumerate(embeds):
        path = (*prefix, "embeds", i)
        for key, limit in (("title", 256), ("description", 4096)):
            value = embed.get(key)
            _max_len(problems, (*path, key), value, limit)
            total += len(value or "")
        footer = (embed.get("footer") or {}).get("text")
        _max_len(problems, (*path, "footer", "text"), footer, 2048)
        total += len(footer or "")
        author = (embed.get("author") or {}).get("name")
        _max_len(problems, (*path, "author", "name"), author, 256)
        total += len(author or "")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append(
                ((*path, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            )
        for j, fld in enumerate(fields):
            _max_len(problems, (*path, "fields", j, "name"), fld.get("name"), 256)
            _max_len(problems, (*path, "fields", j, "value"), fld.get("value"), 1024)
            if not fld.get("name") or not fld.get("value"):
                problems.append(
                    ((*path, "fields", j), "BASE_TYPE_REQUIRED", "This field is required")
                )
            total += len(fld.get("name") or "") + len(fld.get("value") or "")
    if total > 6000:
        problems.append(
            (
                (*prefix, "embeds"),
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
            )
        )
    return problems


_COMMAND_NAME_RE = re.compile(r"^[-_\w]{1,32}$")


def validate_commands(commands: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """The checks Discord applies to a bulk-overwrite of application commands."""
    problems: list[Problem] = []
    if len(commands) > 100:
        problems.append(((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        ctype = int(cmd.get("type") or 1)
        name = cmd.get("name") or ""
        key = (ctype, name)
        if key in seen:
            problems.append(
                ((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", f"duplicate {name!r}")
            )
        seen.add(key)
        if ctype == 1:
            _check_chat_input(problems, (i,), cmd)
        elif not 1 <= len(name) <= 32:
            problems.append(
                ((i, "name"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
            )
    return problems


def _check_chat_input(
    problems: list[Problem], path: tuple[str | int, ...], cmd: Mapping[str, Any]
) -> None:
    name = cmd.get("name") or ""
    if not _COMMAND_NAME_RE.match(name) or name != name.lower():
        problems.append(
            ((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {name!r}")
        )
    desc = cmd.get("description") or ""
    if not 1 <= len(desc) <= 100:
        problems.append(
            ((*path, "description"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        )
    options = cmd.get("options") or []
    if len(options) > 25:
        problems.append(
            ((*path, "options"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        )
    names: set[str] = set()
    seen_optional = False
    for j, opt in enumerate(options):
        opath = (*path, "options", j)
        if opt.get("name") in names:
            problems.append(
                ((*opath, "name"), "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME", "duplicate")
            )
        names.add(opt.get("name") or "")
        if opt.get("type") in (1, 2):
            _check_chat_input(problems, opath, opt)
            continue
        if opt.get("required"):
            if seen_optional:
                problems.append(
                    (
                        (*opath, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            seen_optional = True
        oname = opt.get("name") or ""
        if not _COMMAND_NAME_RE.match(oname) or oname != oname.lower():
            problems.append(
                ((*opath, "name"), "APPLICATION_COMMAND_INVALID_NAME", f"Invalid name {oname!r}")
            )
        odesc = opt.get("description") or ""
        if not 1 <= len(odesc) <= 100:
            problems.append(
                (
                    (*opath, "description"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )
            )
        choices = opt.get("choices") or []
        if len(choices) > 25:
            problems.append(
                ((*opath, "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            )
        if choices and opt.get("autocomplete"):
            problems.append(
                (
                    (*opath, "autocomplete"),
                    "APPLICATION_COMMAND_OPTIONS_AUTOCOMPLETE_CHOICES",
                    "Autocomplete and choices are mutually exclusive",
                )
            )


def validate_choices(choices: Any) -> list[Problem]:
    """Autocomplete results: at most 25 choices, names 1..100 chars, string values <= 100."""
    problems: list[Problem] = []
    if not isinstance(choices, list):
        return [(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")]
    if len(choices) > 25:
        problems.append(
            (("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        )
    for i, choice in enumerate(choices):
        name = choice.get("name") if isinstance(choice, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            problems.append(
                (
                    ("data", "choices", i, "name"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                )
            )
        value = choice.get("value") if isinstance(choice, dict) else None
        if isinstance(value, str) and len(value) > 100:
            problems.append(
                (
                    ("data", "choices", i, "value"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                )
            )
    return problems
