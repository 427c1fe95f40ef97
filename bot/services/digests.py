"""Daily digests: subscriptions, what a digest holds, and delivering each one exactly once.

The Discord adapter supplies a :class:`Sender` (post to a channel or a DM); everything else is
here: schedules from the database, claims in the delivery log before anything is sent, missed
occurrences after downtime, retries with backoff for temporary failures, pausing (with a
reason, and one notice) for permanent ones.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from bot.core.schedule import FREQUENCIES, Schedule, parse_time, parse_zone
from bot.services.clock import Clock, SystemClock
from bot.services.scope import Scope
from bot.store.digests import Subscription

if TYPE_CHECKING:
    from bot.services.app import Briefbot

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=5)  # a claim older than this belongs to a process that died
MAX_ATTEMPTS = 6
BATCH = 500
CONCURRENCY = 64


class DeliveryError(Exception):
    """Sending failed. ``permanent`` failures pause the subscription (deleted channel, missing
    access or permissions, closed DMs); the others are retried with backoff."""

    def __init__(self, reason: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code


@dataclass(frozen=True, slots=True)
class Cited:
    text: str
    letter_id: int
    page: int
    sentence: int


@dataclass(slots=True)
class NewLetter:
    letter_id: int
    title: str
    date: str | None
    summary: list[Cited] = field(default_factory=list)
    actions: list[tuple[str, Cited]] = field(default_factory=list)  # (kind, recommendation)


@dataclass(slots=True)
class Digest:
    """What one digest says. ``empty`` means nothing new (a pick of the day may still show)."""

    subscription_id: int
    due_date: date
    language: Literal["nl", "en"]
    topics: tuple[str, ...]
    new_letters: list[NewLetter] = field(default_factory=list)
    pick: tuple[str, Cited] | None = None  # (kind, recommendation of the day)
    pick_key: str | None = None
    late: bool = False

    @property
    def empty(self) -> bool:
        return not self.new_letters

    @property
    def marker(self) -> str:
        """Printed in the footer; finds a digest in channel history after a crash."""
        return f"digest {self.subscription_id}/{self.due_date.isoformat()}"


class Sender(Protocol):
    async def send(self, sub: Subscription, digest: Digest) -> int:
        """Post the digest; return the (first) message id. Raises DeliveryError."""

    async def find_sent(self, sub: Subscription, digest: Digest) -> int | None:
        """The id of an already posted message carrying ``digest.marker``, if any."""

    async def notify_paused(self, sub: Subscription, reason: str) -> None:
        """Tell whoever set the subscription up that it was paused (best effort)."""


def schedule_of(sub: Subscription) -> Schedule:
    return Schedule(
        parse_time(sub.local_time), parse_zone(sub.timezone), sub.frequency, sub.weekday
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class DigestService:
    def __init__(self, app: Briefbot, *, clock: Clock | None = None) -> None:
        self.app = app
        self.clock = clock or SystemClock()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.changed = asyncio.Event()  # set when a subscription changes: the scheduler wakes

    @property
    def repo(self):
        return self.app.store.digests

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
    ) -> Subscription:
        """Create or replace a digest. Validates every option (ValueError with a message)."""
        at = parse_time(time_text)
        zone = parse_zone(timezone)
        if frequency not in FREQUENCIES:
            raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")
        if language not in ("nl", "en"):
            raise ValueError("language must be nl or en")
        if kind == "channel" and channel_id is None:
            raise ValueError("a server digest needs a channel")
        scope = Scope(guild_id=guild_id)
        slugs = [
            await self.app.recommendations.resolve_topic(t, scope) for t in topics if t.strip()
        ]
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
            seen_letter_id=max(self.app.catalog.by_id, default=0),
            now=now,
        )
        self.changed.set()
        log.info("digest set", extra={"subscription": sub.id, "kind": kind, "guild": guild_id})
        return sub

    async def off(self, subscription_id: int) -> bool:
        removed = await self.repo.delete(subscription_id)
        self.changed.set()
        return removed

    async def for_target(
        self, *, channel_id: int | None = None, user_id: int | None = None
    ) -> Subscription | None:
        key = f"channel:{channel_id}" if channel_id is not None else f"user:{user_id}"
        return await self.repo.by_target(key)

    # ------------------------------------------------------------------ content

    async def build(self, sub: Subscription, due_date: date, *, remember: bool) -> Digest:
        """What the digest for ``due_date`` says. With ``remember`` False (preview) nothing is
        stored; with True the rotation of the recommendation of the day moves on."""
        scope = Scope(guild_id=sub.guild_id)
        digest = Digest(sub.id, due_date, sub.language, sub.topics)
        new = sorted(
            (r for r in self.app.catalog.visible(scope) if r.id > sub.seen_letter_id),
            key=lambda r: r.id,
        )
        for rec in new[:5]:
            item = NewLetter(rec.id, rec.title, rec.date)
            summary = await self.app.summaries.summarize(scope=scope, letter=str(rec.id), length=3)
            item.summary = [
                Cited(s.text, s.letter_id, s.page, s.sentence) for s in summary.sentences
            ]
            recs = await self._recommendations(scope, letter=str(rec.id), topics=sub.topics)
            item.actions = recs[:3]
            if sub.topics and not item.actions:
                continue  # a topic digest only reports letters on its topics
            digest.new_letters.append(item)
        if digest.empty:
            await self._pick_of_the_day(sub, digest, scope, remember=remember)
        return digest

    async def _recommendations(
        self, scope: Scope, *, letter: str | None, topics: Sequence[str]
    ) -> list[tuple[str, Cited]]:
        out: list[tuple[str, Cited]] = []
        seen: set[tuple[int, int]] = set()
        for topic in topics or [None]:
            answer = await self.app.recommendations.recommendations(
                scope, topic=topic, letter=letter
            )
            for r in answer.recommendations:
                if (r.letter_id, r.sentence) not in seen:
                    seen.add((r.letter_id, r.sentence))
                    out.append((r.kind, Cited(r.text, r.letter_id, r.page, r.sentence)))
        return out

    async def _pick_of_the_day(
        self, sub: Subscription, digest: Digest, scope: Scope, *, remember: bool
    ) -> None:
        pool = await self._recommendations(scope, letter=None, topics=sub.topics)
        if not pool:
            return
        shown = await self.repo.rotation_seen(sub.id)
        keyed = [(f"{c.letter_id}:{c.sentence}", kind, c) for kind, c in pool]
        fresh = [k for k in keyed if k[0] not in shown]
        reset = not fresh
        key, kind, cited = (fresh or keyed)[0]
        digest.pick = (kind, cited)
        digest.pick_key = key
        if remember:
            await self.repo.rotate(sub.id, key, now=self.clock.now(), reset=reset)

    async def preview(self, sub: Subscription) -> Digest:
        """The next digest as it would be sent, without changing anything."""
        return await self.build(sub, sub.next_due_date, remember=False)

    # ------------------------------------------------------------------ delivering

    async def run_due(self, sender: Sender) -> int:
        """Deliver everything due now; returns how many subscriptions were handled."""
        handled = 0
        gate = asyncio.Semaphore(CONCURRENCY)
        while True:
            now = self.clock.now()
            batch = await self.repo.due(now, limit=BATCH)
            if not batch:
                return handled

            async def one(sub: Subscription, now: datetime = now) -> None:
                async with gate:
                    try:
                        await self.deliver(sub, sender, now)
                    except Exception:  # one subscription never stops the others
                        log.exception("digest delivery crashed", extra={"subscription": sub.id})
                        await self._park(sub, now + _backoff(MAX_ATTEMPTS))

            await asyncio.gather(*(one(s) for s in batch))
            handled += len(batch)

    async def _park(self, sub: Subscription, until: datetime) -> None:
        try:
            await self.repo.reschedule(
                sub.id, next_due=until, next_due_date=sub.next_due_date, now=self.clock.now()
            )
        except Exception:
            log.exception("could not reschedule", extra={"subscription": sub.id})

    async def deliver(self, sub: Subscription, sender: Sender, now: datetime) -> str:
        """Handle one due subscription; returns what happened (for logs and tests)."""
        schedule = schedule_of(sub)
        latest = schedule.latest_at_or_before(now)
        if latest is None or latest[0] < sub.next_due_date:
            # a retry of the current occurrence (parked after a failure), or nothing due yet
            due_date, due_at = sub.next_due_date, schedule.instant_on(sub.next_due_date)
        else:
            due_date, due_at = latest
        missed = self._missed_between(schedule, sub.next_due_date, due_date)
        following_date, following_at = schedule.next_after(max(now, due_at))
        result, delivery = await self.repo.claim(
            sub.id,
            due_date,
            due_at,
            owner=self.owner,
            now=now,
            stale_after=STALE_CLAIM,
            retry_at=min(following_at, now + STALE_CLAIM),
            missed=missed,
        )
        if result == "busy":
            return "busy"
        if result == "done":
            await self.repo.reschedule(
                sub.id, next_due=following_at, next_due_date=following_date, now=now
            )
            return "done"
        assert delivery is not None
        digest = await self.build(sub, due_date, remember=False)
        digest.late = now - due_at > timedelta(minutes=15)
        if result == "taken-over":
            found = await sender.find_sent(sub, digest)
            if found is not None:
                await self._finish(
                    sub, due_date, "sent", following_at, following_date, message_id=found
                )
                return "recovered"
        if digest.empty and sub.skip_empty:
            await self._finish(sub, due_date, "skipped", following_at, following_date)
            return "skipped"
        try:
            message_id = await sender.send(sub, digest)
        except DeliveryError as exc:
            if exc.permanent:
                await self._finish(
                    sub, due_date, "failed", following_at, following_date,
                    error=exc.reason, pause=exc.reason, keep_seen=True,
                )  # fmt: skip
                log.warning(
                    "digest paused",
                    extra={"subscription": sub.id, "reason": exc.reason, "code": exc.code},
                )
                if await self.repo.mark_notified(sub.id):
                    try:
                        await sender.notify_paused(sub, exc.reason)
                    except Exception:
                        log.info(
                            "could not tell the owner about a pause", extra={"subscription": sub.id}
                        )
                return "paused"
            if delivery.attempts >= MAX_ATTEMPTS:
                await self._finish(
                    sub,
                    due_date,
                    "failed",
                    following_at,
                    following_date,
                    error=exc.reason,
                    keep_seen=True,
                )
                log.warning("digest given up", extra={"subscription": sub.id, "reason": exc.reason})
                return "given-up"
            retry = now + _backoff(delivery.attempts)
            await self.repo.finish(
                sub.id, due_date, status="failed", now=now, error=exc.reason,
                next_due=min(retry, following_at), next_due_date=due_date,
            )  # fmt: skip
            log.info(
                "digest will be retried", extra={"subscription": sub.id, "retry": retry.isoformat()}
            )
            return "retry"
        if digest.pick_key:
            await self.repo.rotate(
                sub.id, digest.pick_key, now=now,
                reset=digest.pick_key in await self.repo.rotation_seen(sub.id),
            )  # fmt: skip
        await self._finish(
            sub, due_date, "sent", following_at, following_date, message_id=message_id
        )
        return "sent"

    def _missed_between(
        self, schedule: Schedule, first: date, due: date
    ) -> list[tuple[date, datetime]]:
        out = []
        day = first
        while day < due:
            if schedule.runs_on(day):
                out.append((day, schedule.instant_on(day)))
            day += timedelta(days=1)
        return out

    async def _finish(
        self,
        sub: Subscription,
        due_date: date,
        status: Literal["sent", "skipped", "failed"],
        next_due: datetime,
        next_due_date: date,
        *,
        message_id: int | None = None,
        error: str | None = None,
        pause: str | None = None,
        keep_seen: bool = False,
    ) -> None:
        seen = (
            None
            if keep_seen
            else max(
                (r.id for r in self.app.catalog.visible(Scope(guild_id=sub.guild_id))),
                default=sub.seen_letter_id,
            )
        )
        await self.repo.finish(
            sub.id,
            due_date,
            status=status,
            now=self.clock.now(),
            next_due=next_due,
            next_due_date=next_due_date,
            message_id=message_id,
            error=error,
            seen_letter_id=seen,
            pause_reason=pause,
        )


class DigestScheduler:
    """One task that sleeps until the earliest due time and wakes early when a subscription
    changes. Its body cannot die from one failure: every round is guarded and logged."""

    def __init__(self, service: DigestService, sender: Sender) -> None:
        self.service = service
        self.sender = sender
        self.rounds = 0
        self.idle = asyncio.Event()

    async def run(self) -> None:
        while True:
            try:
                self.service.changed.clear()
                self.idle.clear()
                await self.service.run_due(self.sender)
                self.rounds += 1
                earliest = await self.service.repo.earliest_due()
                self.idle.set()
                now = self.service.clock.now()
                until = earliest if earliest is not None else now + timedelta(hours=1)
                await self.service.clock.sleep_until(until, self.service.changed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("digest scheduler round failed; retrying in 30 s")
                self.idle.set()
                await self.service.clock.sleep_until(
                    self.service.clock.now() + timedelta(seconds=30), self.service.changed
                )
