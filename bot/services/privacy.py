"""What briefbot forgets: a user's data on request, a server's data after it removed the bot.

briefbot stores no DM or question text (nothing is logged by default). What it keeps about a
user is their digest subscriptions (personal ones, and the server digests they set up); about a
server, its letters and its digests. A server that removes the bot keeps its data for a grace
period (it may re-add the bot), after which everything is deleted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.services.clock import Clock, SystemClock

if TYPE_CHECKING:
    from bot.services.app import Briefbot

log = logging.getLogger(__name__)

GRACE = timedelta(days=7)
_KEY = "guild-left:"


@dataclass(frozen=True, slots=True)
class Forgotten:
    subscriptions: int = 0
    letters: int = 0


class PrivacyService:
    def __init__(self, app: Briefbot, *, clock: Clock | None = None) -> None:
        self.app = app
        self.clock = clock or SystemClock()

    async def forget_user(self, user_id: int) -> Forgotten:
        """Delete every subscription the user receives or set up."""
        removed = await self.app.store.digests.delete_where(user_id=user_id)
        log.info("user data deleted", extra={"user": user_id, "subscriptions": removed})
        return Forgotten(subscriptions=removed)

    async def guild_left(self, guild_id: int) -> datetime:
        """The bot was removed from a server: schedule its data for deletion after GRACE."""
        purge_at = self.clock.now() + GRACE
        await self.app.store.meta.set(f"{_KEY}{guild_id}", purge_at.isoformat())
        log.info(
            "server left; data kept until", extra={"guild": guild_id, "until": purge_at.isoformat()}
        )
        return purge_at

    async def guild_joined(self, guild_id: int) -> bool:
        """The bot is back in a server within the grace period: keep its data."""
        return await self.app.store.meta.delete(f"{_KEY}{guild_id}")

    async def purge_due(self) -> list[int]:
        """Delete the data of every server whose grace period is over."""
        now = self.clock.now()
        purged = []
        for key, value in await self.app.store.meta.items(_KEY):
            if datetime.fromisoformat(value) <= now:
                guild_id = int(key.removeprefix(_KEY))
                await self.purge_guild(guild_id)
                await self.app.store.meta.delete(key)
                purged.append(guild_id)
        return purged

    async def purge_guild(self, guild_id: int) -> Forgotten:
        letters = [r.id for r in self.app.catalog.by_id.values() if r.guild_id == guild_id]
        for letter_id in letters:
            await self.app.remove_letter(letter_id, guild_id=guild_id)
        await self.app.store.letters.forget_numbers(guild_id)
        subs = await self.app.store.digests.delete_where(guild_id=guild_id)
        log.info(
            "server data deleted",
            extra={"guild": guild_id, "letters": len(letters), "subscriptions": subs},
        )
        return Forgotten(subscriptions=subs, letters=len(letters))
