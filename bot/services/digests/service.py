"""Daily digests: the service adapters call (subscriptions, previews, delivery, a user's
data), built on :mod:`.content` (what a digest says), :mod:`.claims` (exactly once) and
:mod:`.delivery` (one path for the scheduler and ``send-now``). The periodic job is in
:mod:`.scheduler`; the Discord adapter supplies the :class:`~.model.Sender`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal

from bot.core.errors import Refused
from bot.core.schedule import FREQUENCIES, Schedule, parse_time, parse_zone
from bot.services.catalog import Catalog
from bot.services.clock import Clock, SystemClock
from bot.services.digests.claims import CLAIMS, Claims
from bot.services.digests.content import DigestContent
from bot.services.digests.delivery import Deliveries
from bot.services.digests.model import Digest, Sender, SendNowResult
from bot.services.recommendations import RecommendationService
from bot.services.scope import Scope
from bot.services.summary import SummaryService
from bot.store import DigestRepository
from bot.store.records import ChangeKind, Delivery, Subscription

log = logging.getLogger(__name__)


async def _unsaid(kind: ChangeKind) -> None:
    return None


class DigestService:
    def __init__(
        self,
        repo: DigestRepository,
        catalog: Catalog,
        *,
        recommendations: RecommendationService,
        summaries: SummaryService,
        clock: Clock | None = None,
        claims: Claims = CLAIMS,
    ) -> None:
        """``claims``: the claim rules (how long before a silent process's claim is taken
        over: ``BRIEFBOT_CLAIM_STALE_SECONDS``)."""
        self.repo = repo
        self.catalog = catalog
        self.recommendations = recommendations
        self.clock = clock or SystemClock()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.changed = asyncio.Event()  # set when a subscription changes: the scheduler wakes
        # tells the other bot processes that subscriptions changed (bot.services.changes)
        self.publish: Callable[[ChangeKind], Awaitable[None]] = _unsaid
        self.content = DigestContent(
            catalog, recommendations=recommendations, summaries=summaries, digests=repo
        )
        self.deliveries = Deliveries(
            repo, self.content, self.clock, owner=self.owner, claims=claims
        )

    # ------------------------------------------------------------------ subscriptions

    async def subscribe(
        self,
        *,
        kind: Literal["channel", "user"],
        user_id: int,
        guild_id: int | None,
        channel_id: int | None = None,
        time_text: str = "09:00",
        timezone: str = "Europe/Amsterdam",
        topics: Sequence[str] = (),
        language: str = "nl",
        frequency: str = "daily",
        skip_empty: bool = False,
        channel_guild_id: int | None = None,
        new_only: bool = False,
    ) -> Subscription:
        """Create or replace a digest. Validates every option (ValueError with a message).

        A server's digest goes to one of that server's channels: ``channel_guild_id`` (the
        server the channel belongs to, when the caller knows it) must be ``guild_id``, and a
        channel that has a digest of another server is not taken over."""
        at = parse_time(time_text)
        zone = parse_zone(timezone)
        if frequency not in FREQUENCIES:
            raise Refused("bad_frequency", choices=", ".join(FREQUENCIES))
        if language not in ("nl", "en"):
            raise Refused("bad_language")
        if kind == "channel":
            if channel_id is None:
                raise Refused("needs_channel")
            if channel_guild_id is not None and channel_guild_id != guild_id:
                raise Refused("foreign_channel")
            existing = await self.repo.by_target(f"channel:{channel_id}")
            if existing is not None and existing.guild_id != guild_id:
                raise Refused("channel_taken", channel=channel_id)
        scope = Scope(guild_id=guild_id)
        slugs = [await self.recommendations.resolve_topic(t, scope) for t in topics if t.strip()]
        now = self.clock.now()
        weekday = now.astimezone(zone).weekday()
        schedule = Schedule(at, zone, frequency, weekday)  # type: ignore[arg-type]
        due_date, due_at = schedule.next_after(now)
        sub = await self.repo.upsert(
            kind=kind,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            local_time=at.strftime("%H:%M"),
            timezone=zone.key,
            frequency=frequency,
            weekday=weekday,
            topics=sorted(set(slugs)),
            language=language,
            skip_empty=skip_empty,
            next_due=due_at,
            next_due_date=due_date,
            seen_letter_id=max(self.catalog.by_id, default=0),
            now=now,
            new_only=new_only,
        )
        await self._changed()
        log.info("digest set", extra={"subscription": sub.id, "kind": kind, "guild": guild_id})
        return sub

    async def off(self, subscription_id: int) -> bool:
        removed = await self.repo.delete(subscription_id)
        await self._changed()
        return removed

    async def for_target(
        self, *, channel_id: int | None = None, user_id: int | None = None
    ) -> Subscription | None:
        key = f"channel:{channel_id}" if channel_id is not None else f"user:{user_id}"
        return await self.repo.by_target(key)

    async def visible_to(self, *, user_id: int, guild_id: int | None) -> list[Subscription]:
        """What ``/digest status`` shows: the user's own digest and, in a server, that server's
        channel digests."""
        out = []
        mine = await self.for_target(user_id=user_id)
        if mine is not None:
            out.append(mine)
        if guild_id is not None:
            out.extend(s for s in await self.repo.list(guild_id=guild_id) if s.kind == "channel")
        return out

    async def stoppable(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        manager: bool,
        channel_id: int | None = None,
    ) -> list[Subscription]:
        """The digests a user may stop here. With ``channel_id``: that channel's digest, if it
        is this server's and the user manages the server. Without: the user's own digest and,
        for a server manager, the server's channel digests (the ones ``/digest status`` lists
        to them). One digest can be stopped at once; several mean "ask which"."""
        if channel_id is not None:
            sub = await self.for_target(channel_id=channel_id)
            ok = sub is not None and manager and guild_id is not None and sub.guild_id == guild_id
            return [sub] if ok and sub is not None else []
        visible = await self.visible_to(user_id=user_id, guild_id=guild_id)
        return [s for s in visible if s.kind == "user" or manager]

    async def preview_for(
        self, *, user_id: int, guild_id: int | None, channel_id: int | None = None
    ) -> Subscription | None:
        """Which digest ``/digest preview`` shows: the channel's, else the user's own, else
        the server's first channel digest; None when none is set here."""
        visible = await self.visible_to(user_id=user_id, guild_id=guild_id)
        if channel_id is not None:
            return next(
                (s for s in visible if s.kind == "channel" and s.channel_id == channel_id), None
            )
        return next((s for s in visible if s.kind == "user"), None) or next(iter(visible), None)

    async def get(self, subscription_id: int) -> Subscription | None:
        return await self.repo.get(subscription_id)

    async def overview(self) -> list[tuple[Subscription, Delivery | None]]:
        """Every subscription with its latest log entry (``briefbot digest list``)."""
        subs = await self.repo.list()
        last = await self.repo.latest_deliveries()
        return [(s, last.get(s.id)) for s in subs]

    async def stop(
        self, *, user_id: int, guild_id: int | None, manager: bool, subscription_id: int
    ) -> Subscription | None:
        """Stop one of the digests :meth:`stoppable` offers this user here; None when it is not
        one of them (any more)."""
        allowed = await self.stoppable(user_id=user_id, guild_id=guild_id, manager=manager)
        sub = next((s for s in allowed if s.id == subscription_id), None)
        if sub is None or not await self.off(sub.id):
            return None
        return sub

    # ------------------------------------------------------------------ previews

    async def preview(self, sub: Subscription) -> Digest:
        """The next digest as it would be sent, without changing anything."""
        return await self.content.build(sub, sub.next_due_date)

    async def sample(
        self, *, guild_id: int | None, language: str, topics: Sequence[str] = ()
    ) -> Digest:
        """What a digest looks like here before one is set (``/digest preview``): the first
        digest a new subscription of this server would get today. Nothing is stored."""
        if language not in ("nl", "en"):
            raise Refused("bad_language")
        scope = Scope(guild_id=guild_id)
        slugs = [await self.recommendations.resolve_topic(t, scope) for t in topics]
        return await self.content.sample(
            guild_id=guild_id, language=language, now=self.clock.now(), topics=slugs
        )

    async def preview_here(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        language: str,
        sender: Sender,
        channel_id: int | None = None,
    ) -> Digest | None:
        """What ``/digest preview`` shows: the digest :meth:`preview_for` picks; before any is
        set here, an example (:meth:`sample`); None when a channel was named that has no
        digest. A personal digest set up in another server carries that server's letters, so
        it is shown only while the user is still a member there (else DeliveryError, as the
        delivery would pause it)."""
        sub = await self.preview_for(user_id=user_id, guild_id=guild_id, channel_id=channel_id)
        if sub is None:
            if channel_id is not None:
                return None
            return await self.sample(guild_id=guild_id, language=language)
        if sub.kind == "user" and sub.guild_id not in (None, guild_id):
            await sender.check_membership(sub)
        return await self.preview(sub)

    # ------------------------------------------------------------------ delivering

    async def run_due(self, sender: Sender) -> int:
        """Deliver everything due now (see :meth:`.delivery.Deliveries.run_due`)."""
        return await self.deliveries.run_due(sender)

    async def send_now(self, sub: Subscription, sender: Sender) -> SendNowResult:
        """An operator's digest now (see :meth:`.delivery.Deliveries.send_now`)."""
        return await self.deliveries.send_now(sub, sender)

    # ------------------------------------------------------------------ a user's data

    async def forget_user(self, user_id: int) -> int:
        """Delete every digest the user receives or set up; how many."""
        removed = await self.repo.delete_where(user_id=user_id)
        await self._changed()
        return removed

    async def forget_guild(self, guild_id: int) -> int:
        """Delete a server's digests (channel digests, and personal ones set up there)."""
        removed = await self.repo.delete_where(guild_id=guild_id)
        await self._changed()
        return removed

    async def _changed(self) -> None:
        """A subscription changed: this process's digest job plans again, and so do the
        others'."""
        self.changed.set()
        await self.publish("subscriptions")
