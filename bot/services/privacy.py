"""What briefbot forgets: a user's data on request, a server's data after it removed the bot.

briefbot stores no DM or question text (nothing is logged by default). Each service that keeps
data about a user or a server owns its own hook (``forget_user``, ``forget_guild``), as
Red-DiscordBot's cogs own ``red_delete_data_for_user``; this service asks every one of them,
so ``/forget-me`` is one call. Today: digests (subscriptions) for users; letters and digests for
servers. A server that removes the bot keeps its data for a grace period (it may re-add the
bot), after which everything is deleted by the periodic :class:`PurgeJob`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.services.clock import Clock, SystemClock
from bot.store import MetaRepository

log = logging.getLogger(__name__)

GRACE = timedelta(days=7)
PURGE_EVERY = timedelta(hours=1)
_KEY = "guild-left:"


class UserData(Protocol):
    async def forget_user(self, user_id: int) -> int:
        """Delete what this service keeps about a user; how many items."""
        ...


class GuildData(Protocol):
    async def forget_guild(self, guild_id: int) -> int:
        """Delete what this service keeps about a server; how many items."""
        ...


@dataclass(frozen=True, slots=True)
class Forgotten:
    """How many items of each kind were deleted (``subscriptions``, ``letters``, ...)."""

    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def subscriptions(self) -> int:
        return self.counts.get("subscriptions", 0)

    @property
    def letters(self) -> int:
        return self.counts.get("letters", 0)


class PrivacyService:
    def __init__(
        self,
        meta: MetaRepository,
        *,
        users: Mapping[str, UserData],
        guilds: Sequence[tuple[str, GuildData]],
        clock: Clock | None = None,
    ) -> None:
        """``users``: the services with data about users, by the kind of item they count;
        ``guilds``: those with data about servers, in the order they are purged."""
        self.meta = meta
        self.users = dict(users)
        self.guilds = list(guilds)
        self.clock = clock or SystemClock()

    async def forget_user(self, user_id: int) -> Forgotten:
        """Delete everything briefbot keeps about a user (``/forget-me``)."""
        counts = {kind: await owner.forget_user(user_id) for kind, owner in self.users.items()}
        log.info("user data deleted", extra={"user": user_id, **counts})
        return Forgotten(counts)

    async def guild_left(self, guild_id: int) -> datetime:
        """The bot was removed from a server: schedule its data for deletion after GRACE."""
        purge_at = self.clock.now() + GRACE
        await self.meta.set(f"{_KEY}{guild_id}", purge_at.isoformat())
        log.info(
            "server left; data kept until", extra={"guild": guild_id, "until": purge_at.isoformat()}
        )
        return purge_at

    async def guild_joined(self, guild_id: int) -> bool:
        """The bot is back in a server within the grace period: keep its data."""
        return await self.meta.delete(f"{_KEY}{guild_id}")

    async def purge_due(self) -> list[int]:
        """Delete the data of every server whose grace period is over."""
        now = self.clock.now()
        purged = []
        for key, value in await self.meta.items(_KEY):
            if datetime.fromisoformat(value) <= now:
                guild_id = int(key.removeprefix(_KEY))
                await self.purge_guild(guild_id)
                await self.meta.delete(key)
                purged.append(guild_id)
        return purged

    async def purge_guild(self, guild_id: int) -> Forgotten:
        counts = {kind: await owner.forget_guild(guild_id) for kind, owner in self.guilds}
        log.info("server data deleted", extra={"guild": guild_id, **counts})
        return Forgotten(counts)


class PurgeJob:
    """The periodic job (``bot.services.scheduler``) that deletes servers' data once their
    grace period is over, every :data:`PURGE_EVERY`."""

    name = "purge"

    def __init__(self, service: PrivacyService) -> None:
        self.service = service

    async def run(self) -> datetime:
        await self.service.purge_due()
        return self.service.clock.now() + PURGE_EVERY
