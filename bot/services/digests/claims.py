"""Exactly once: which occurrence of a subscription is due, and the rules of claiming it.

A digest is *claimed* in the delivery log (one entry per subscription and local due date) in a
write transaction before anything is sent; the store runs :class:`Claims` inside that
transaction and writes what it decides. A process that dies mid-delivery leaves a claim that
goes stale after :data:`STALE_CLAIM` and is taken over (the channel is checked for the digest
before anything is sent again). A live process renews the claims it is still sending
(:meth:`bot.store.base.DigestRepository.renew_claims`, every quarter of that time), so a slow
delivery is never taken over and a dead process's claims are taken over within
:data:`STALE_CLAIM` of its last renewal. After downtime the latest missed occurrence is sent
once, late; the ones before it are logged as missed, never sent in a burst.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from bot.core.schedule import Schedule, parse_time, parse_zone
from bot.store.records import ClaimDecision, ClaimRequest, Delivery, Outcome, Subscription

STALE_CLAIM = timedelta(seconds=60)  # a claim not renewed for this long: its process died
MAX_ATTEMPTS = 6  # a digest that failed this often (temporary failures) is given up


class Claims:
    """The claim rules of the delivery log, as pure functions of what it holds
    (``bot.store.base.ClaimPolicy``).

    ``claimed``: no entry yet; ours to send. ``taken-over``: another process claimed it and
    went silent for ``stale_after``; ours now, but it may have been sent (look before sending
    again). ``retry``: an earlier attempt failed; ours to try again. ``done``: sent, skipped or
    missed already (the schedule moves on). ``busy``: someone else is sending it right now.
    Whatever is claimed parks its subscription until the request's ``retry_at``, so that no
    wake-up picks it twice."""

    def __init__(self, stale_after: timedelta = STALE_CLAIM) -> None:
        self.stale_after = stale_after

    def claim(
        self, request: ClaimRequest, logged: Delivery | None, *, now: datetime
    ) -> ClaimDecision:
        if logged is None:
            return ClaimDecision("claimed", write="insert", park=True)
        if logged.status in ("sent", "skipped", "missed"):
            return ClaimDecision("done", move_on=True)
        if (
            logged.status == "claimed"
            and logged.claimed_at is not None
            and now - logged.claimed_at < self.stale_after
        ):
            # someone is sending it: look again when the claim would go stale (not sooner: the
            # holder renews it while it lives; not later: a dead holder is taken over then)
            until = logged.claimed_at + self.stale_after + timedelta(seconds=1)
            if request.following_at is not None:
                until = min(until, request.following_at)
            return ClaimDecision("busy", park=True, park_until=until)
        # a stale claim (its process died), or a failed attempt to retry
        result = "taken-over" if logged.status == "claimed" else "retry"
        return ClaimDecision(result, write="take-over", park=True)

    @staticmethod
    def missed(logged: Delivery | None) -> Literal["insert", "supersede"] | None:
        """A missed occurrence is logged as missed; an attempt a dead process left unfinished
        is settled too (a later occurrence supersedes it, and it is never sent now)."""
        if logged is None:
            return "insert"
        return "supersede" if logged.status in ("claimed", "failed") else None


CLAIMS = Claims()


def schedule_of(sub: Subscription) -> Schedule:
    return Schedule(
        parse_time(sub.local_time), parse_zone(sub.timezone), sub.frequency, sub.weekday
    )


def backoff(attempts: int) -> timedelta:
    """How long a digest waits before its next attempt after a temporary failure."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def missed_between(schedule: Schedule, first: date, due: date) -> list[tuple[date, datetime]]:
    """The occurrences from local date ``first`` up to (not including) ``due``."""
    out = []
    day = first
    while day < due:
        if schedule.runs_on(day):
            out.append((day, schedule.instant_on(day)))
        day += timedelta(days=1)
    return out


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One digest of a subscription to deliver: a scheduled occurrence (with the ones missed
    before it and the one after it), or an operator's extra digest (``extra``: its log entry,
    ``YYYY-MM-DD#N``), which leaves the schedule alone."""

    sub: Subscription
    due_date: date
    due_at: datetime
    missed: tuple[tuple[date, datetime], ...] = ()
    following_date: date | None = None
    following_at: datetime | None = None
    extra: Delivery | None = None

    @classmethod
    def due(cls, sub: Subscription, now: datetime) -> Occurrence:
        """Which occurrence of ``sub`` is due at ``now``, which were missed before it, and the
        one after it."""
        schedule = schedule_of(sub)
        latest = schedule.latest_at_or_before(now)
        if latest is None or latest[0] < sub.next_due_date:
            # a retry of the current occurrence (parked after a failure), or nothing due yet
            due_date, due_at = sub.next_due_date, schedule.instant_on(sub.next_due_date)
        else:
            due_date, due_at = latest
        return cls.on(sub, due_date, due_at, now, schedule)

    @classmethod
    def on(
        cls,
        sub: Subscription,
        due_date: date,
        due_at: datetime,
        now: datetime,
        schedule: Schedule | None = None,
    ) -> Occurrence:
        """The occurrence of local ``due_date`` (sent at ``now`` or later)."""
        schedule = schedule or schedule_of(sub)
        missed = missed_between(schedule, sub.next_due_date, due_date)
        following_date, following_at = schedule.next_after(max(now, due_at))
        return cls(sub, due_date, due_at, tuple(missed), following_date, following_at)

    @classmethod
    def extra_of(cls, sub: Subscription, logged: Delivery) -> Occurrence:
        return cls(sub, logged.due_date, logged.due_at, extra=logged)

    def request(self, now: datetime, *, stale_after: timedelta = STALE_CLAIM) -> ClaimRequest:
        assert self.following_at is not None and self.extra is None
        return ClaimRequest(
            subscription_id=self.sub.id, due_date=self.due_date, due_at=self.due_at,
            retry_at=min(self.following_at, now + stale_after), missed=self.missed,
            following_at=self.following_at, following_date=self.following_date,
        )  # fmt: skip

    def outcome(
        self,
        status: Literal["sent", "skipped", "failed"],
        *,
        message_id: int | None = None,
        error: str | None = None,
        pause: str | None = None,
        seen: int | None = None,
        pick_key: str | None = None,
        pick_reset: bool = False,
    ) -> Outcome:
        """The occurrence is over (sent, skipped, paused or given up): on to the next one; an
        extra digest leaves the schedule as it is."""
        return Outcome(
            subscription_id=self.sub.id, due_date=self.due_date, status=status,
            next_due=None if self.extra else self.following_at,
            next_due_date=None if self.extra else self.following_date,
            message_id=message_id, error=error, seen_letter_id=seen, pause_reason=pause,
            pick_key=pick_key, pick_reset=pick_reset,
            delivery_key=self.extra.key if self.extra else None,
        )  # fmt: skip

    def retry(self, at: datetime, error: str) -> Outcome:
        """A temporary failure: this occurrence again at ``at`` (never later than the next)."""
        assert self.following_at is not None
        return Outcome(
            subscription_id=self.sub.id, due_date=self.due_date, status="failed", error=error,
            next_due=min(at, self.following_at), next_due_date=self.due_date,
        )  # fmt: skip

    def failed_as_it_was(self, error: str) -> Outcome:
        """A failure an operator is told about: logged, the schedule as it was, nothing
        paused (the scheduler deals with the occurrence at its time)."""
        return Outcome(
            subscription_id=self.sub.id, due_date=self.due_date, status="failed", error=error,
            next_due=None if self.extra else self.sub.next_due,
            next_due_date=None if self.extra else self.sub.next_due_date,
            delivery_key=self.extra.key if self.extra else None,
        )  # fmt: skip
