"""Sync slash commands only when their payload changed: a hash of it is kept in the store.

Discord rate-limits command syncs hard, and a sync on every start (or every ``on_ready``) is the
classic way to hit that. We compute the exact payload ``tree.sync()`` would send (translations
included), hash it, and sync only when the hash differs from the one stored for that target.
"""

from __future__ import annotations

import hashlib
import json
import logging

import discord
from discord import app_commands

from bot.store import Store

log = logging.getLogger(__name__)


async def command_payload(
    tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None
) -> list[dict]:
    commands = tree._get_all_commands(guild=guild)  # what sync() sends; no public equivalent
    translator = tree.translator
    if translator:
        return [await c.get_translated_payload(tree, translator) for c in commands]
    return [c.to_dict(tree) for c in commands]


def payload_hash(payload: list[dict]) -> str:
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _key(application_id: int | None, guild_id: int | None) -> str:
    return f"command-sync:{application_id}:{guild_id or 'global'}"


async def sync_commands(
    tree: app_commands.CommandTree,
    store: Store,
    *,
    application_id: int | None,
    dev_guild: int | None,
    force: bool = False,
) -> int | None:
    """Sync to the dev guild (copying global commands there) or globally; returns the number of
    commands synced, or None when nothing changed and ``force`` is False."""
    guild = discord.Object(id=dev_guild) if dev_guild else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    payload = await command_payload(tree, guild)
    digest = payload_hash(payload)
    key = _key(application_id, dev_guild)
    if not force and await store.meta.get(key) == digest:
        log.info("commands unchanged; not syncing", extra={"target": dev_guild or "global"})
        return None
    synced = await tree.sync(guild=guild)
    await store.meta.set(key, digest)
    log.info("commands synced", extra={"target": dev_guild or "global", "count": len(synced)})
    return len(synced)
