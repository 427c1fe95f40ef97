"""Delivering digests: one path for the scheduler and for ``briefbot digest send-now``.

claim (:mod:`.claims`, in the delivery log, before anything is sent) -> build (:mod:`.content`)
-> check (a claim taken over from a dead process, or retried after a failure that may have
reached Discord: is the digest in the channel already?) -> send (through the adapter's
:class:`Sender`) -> finish (the outcome and what comes next, written with the outcomes ready
at the same moment: :class:`Outcomes`).

Failures: rate limits and server errors are retried (by discord.py, then here with backoff, up
to :data:`MAX_ATTEMPTS`); a permanent one (deleted channel, missing access or permissions,
closed DMs) pauses the subscription, with a reason and one notice. One subscription's failure
never delays the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.errors import Refused
from bot.services.clock import Clock
from bot.services.digests.claims import (
    CLAIMS,
    MAX_ATTEMPTS,
    Claims,
    Occurrence,
    backoff,
    schedule_of,
)
from bot.services.digests.content import DigestContent, Round
from bot.services.digests.model import DeliveryError, Digest, Sender, SendNowResult
from bot.store import DigestRepository
from bot.store.records import ClaimResult, Delivery, Outcome, Subscription

log = logging.getLogger(__name__)

BATCH = 500  # due subscriptions claimed together, in one transaction
CONCURRENCY = 64  # channel digests being built and sent at once (bounds sockets and memory)
DM_CONCURRENCY = 16  # personal digests at once: opening DMs shares buckets across all users
LATE = timedelta(minutes=15)  # a digest sent later than this after its time says so

Claim = tuple[ClaimResult, Delivery | None]


@dataclass(frozen=True, slots=True)
class Delivered:
    """How one delivery ended: ``sent``, ``recovered`` (found in the channel after a crash),
    ``skipped`` (empty), ``paused``, ``retry``, ``given-up``, ``busy`` or ``done``."""

    status: str
    digest: Digest | None = None
    message_id: int | None = None


class Outcomes:
    """Group commit: :meth:`finish` queues an outcome and returns once it is committed; the
    outcomes that are ready together go in one transaction."""

    def __init__(self, repo: DigestRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock
        self._pending: list[tuple[Outcome, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def finish(self, outcome: Outcome) -> None:
        """Record ``outcome``; returns once it is committed (with whatever else was ready)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((outcome, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        await done

    async def _flush(self) -> None:
        while self._pending:
            await asyncio.sleep(0)  # let the deliveries finishing at this moment join in
            items, self._pending = self._pending, []
            try:
                await self.repo.finish_many([o for o, _ in items], now=self.clock.now())
            except BaseException as exc:
                for _, f in items:
                    if not f.done():
                        if isinstance(exc, asyncio.CancelledError):
                            f.cancel()
                        else:
                            f.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                for _, f in items:
                    if not f.done():
                        f.set_result(None)


class Deliveries:
    def __init__(
        self,
        repo: DigestRepository,
        content: DigestContent,
        clock: Clock,
        *,
        owner: str,
        claims: Claims = CLAIMS,
    ) -> None:
        self.repo = repo
        self.claims = claims  # when a claim of a silent process is taken over
        self.content = content
        self.clock = clock
        self.owner = owner  # names this process in the claims it makes
        # the log entries this process is sending now (subscription id, log key): their claims
        # are renewed until they finish, so that only a dead process's claims go stale
        self._sending: dict[tuple[int, str], int] = {}
        self._renewer: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ claims kept fresh

    @property
    def renew_every(self) -> float:
        """Seconds between renewals: a quarter of the time after which a claim goes stale."""
        return max(1.0, self.claims.stale_after.total_seconds() / 4)

    @contextlib.asynccontextmanager
    async def _holding(self, key: tuple[int, str]) -> AsyncIterator[None]:
        self._sending[key] = self._sending.get(key, 0) + 1
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.ensure_future(self._renew())
        try:
            yield
        finally:
            left = self._sending[key] - 1
            if left:
                self._sending[key] = left
            else:
                del self._sending[key]

    async def _renew(self) -> None:
        """Renew the claims being sent, every :attr:`renew_every` seconds, while there are any.
        A failed renewal is logged and tried again at the next turn: it never stops a
        delivery (a claim that does go stale is checked in the channel by whoever takes it)."""
        while self._sending:
            await asyncio.sleep(self.renew_every)
            keys = list(self._sending)
            if not keys:
                break
            try:
                await self.repo.renew_claims(keys, owner=self.owner, now=self.clock.now())
            except Exception:
                log.warning("could not renew digest claims", exc_info=True)

    # ------------------------------------------------------------------ the scheduler's

    async def run_due(self, sender: Sender) -> int:
        """Deliver everything due now; returns how many subscriptions were handled.

        Due subscriptions are claimed :data:`BATCH` at a time, each batch in one transaction,
        and delivered as a stream: at most :data:`CONCURRENCY` channel digests and
        :data:`DM_CONCURRENCY` personal ones are built and sent at once, and the next batch is
        claimed as soon as fewer than :data:`BATCH` claimed digests are left unfinished (no
        batch waits for its slowest digest; claims stay far younger than :data:`STALE_CLAIM`).
        DMs have their own lane because opening a DM goes through buckets shared by all users
        (slow under rate limits) and must not hold up channel digests. Outcomes are written
        together and what digests share is computed once (:class:`Round`)."""
        handled = 0
        gates = {
            "channel": asyncio.Semaphore(CONCURRENCY),
            "user": asyncio.Semaphore(DM_CONCURRENCY),
        }
        shared = self.content.round()
        outcomes = Outcomes(self.repo, self.clock)
        running: set[asyncio.Task[None]] = set()

        async def one(due: Occurrence, claim: Claim, now: datetime) -> None:
            if claim[0] in ("busy", "done"):
                return
            async with gates.get(due.sub.kind, gates["channel"]):
                try:
                    await self.deliver(due, claim, sender, now, shared, outcomes)
                except Exception:  # one subscription never stops the others
                    log.exception("digest delivery crashed", extra={"subscription": due.sub.id})
                    await self._park(due.sub, now + backoff(MAX_ATTEMPTS))

        try:
            while True:
                while len(running) >= BATCH:  # back-pressure: claim only what goes out soon
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                now = self.clock.now()
                batch = await self.repo.due(now, limit=BATCH)
                if not batch:
                    break
                planned: list[Occurrence] = []
                for sub in batch:
                    try:
                        planned.append(Occurrence.due(sub, now))
                    except Exception:  # a broken schedule never stops the others
                        log.exception("digest planning crashed", extra={"subscription": sub.id})
                        await self._park(sub, now + backoff(MAX_ATTEMPTS))
                claims = await self.repo.claim_many(
                    [p.request(now, stale_after=self.claims.stale_after) for p in planned],
                    owner=self.owner,
                    now=now,
                    policy=self.claims,
                )
                for due, claim in zip(planned, claims, strict=True):
                    task = asyncio.ensure_future(one(due, claim, now))
                    running.add(task)
                    task.add_done_callback(running.discard)
                handled += len(batch)
            if running:
                await asyncio.gather(*running)
        except asyncio.CancelledError:
            for task in running:  # the process is stopping: stop sending too
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise
        except Exception:  # claiming failed: the digests in flight still finish
            await asyncio.gather(*running, return_exceptions=True)
            raise
        return handled

    async def _park(self, sub: Subscription, until: datetime) -> None:
        try:
            await self.repo.reschedule(
                sub.id, next_due=until, next_due_date=sub.next_due_date, now=self.clock.now()
            )
        except Exception:
            log.exception("could not reschedule", extra={"subscription": sub.id})

    # ------------------------------------------------------------------ one delivery

    async def deliver(
        self,
        due: Occurrence,
        claim: Claim,
        sender: Sender,
        now: datetime,
        shared: Round,
        outcomes: Outcomes,
        *,
        by: Literal["scheduler", "operator"] = "scheduler",
    ) -> Delivered:
        """Deliver one claimed occurrence: build, check, send, finish.

        ``by`` the scheduler: a late digest says so, an empty one is skipped when its
        subscription asks for that, a failure pauses it (permanent) or is retried with backoff.
        ``by`` an operator (``send-now``): sent as asked, and a failure is logged with the
        schedule as it was and raised (:class:`DeliveryError`) for the operator to read."""
        result, _ = claim
        if result in ("busy", "done"):  # "done": the claim moved the schedule on already
            return Delivered(result)
        key = due.extra.key if due.extra is not None else due.due_date.isoformat()
        async with self._holding((due.sub.id, key)):
            return await self._deliver(due, claim, sender, now, shared, outcomes, by=by)

    async def _deliver(
        self,
        due: Occurrence,
        claim: Claim,
        sender: Sender,
        now: datetime,
        shared: Round,
        outcomes: Outcomes,
        *,
        by: Literal["scheduler", "operator"],
    ) -> Delivered:
        result, _ = claim
        sub = due.sub
        operator = by == "operator"
        digest = await self.content.build(sub, due.due_date, shared=shared)
        if due.extra is not None:
            digest.extra = due.extra.extra
        if not operator:
            digest.late = now - due.due_at > LATE
        if result in ("taken-over", "retry"):
            # a dead process, or an earlier attempt that failed after Discord may have taken
            # the message (a timeout): look in the channel before sending again
            try:
                found = await sender.find_sent(sub, digest)
            except DeliveryError as exc:  # could not look: never guess "not sent"
                if operator:
                    raise
                log.info(
                    "could not check for a digest sent before a crash; looking again later",
                    extra={"subscription": sub.id, "reason": exc.reason},
                )
                # the claim stays ours but goes stale, so the next try looks again
                await self._park(sub, now + self.claims.stale_after + timedelta(seconds=1))
                return Delivered("retry", digest)
            if found is not None:
                await outcomes.finish(
                    due.outcome("sent", message_id=found, seen=digest.latest_letter_id)
                )
                return Delivered("recovered", digest, found)
        if not operator and digest.empty and (sub.skip_empty or sub.new_only):
            await outcomes.finish(due.outcome("skipped", seen=digest.latest_letter_id))
            return Delivered("skipped", digest)
        try:
            message_id = await sender.send(sub, digest)
        except DeliveryError as exc:
            if operator:
                await outcomes.finish(due.failed_as_it_was(exc.reason))
                raise
            return await self._failed(due, claim, exc, sender, now, outcomes, digest)
        await outcomes.finish(
            due.outcome(
                "sent", message_id=message_id, seen=digest.latest_letter_id,
                pick_key=digest.pick_key, pick_reset=digest.pick_reset,
            )
        )  # fmt: skip
        return Delivered("sent", digest, message_id)

    async def _failed(
        self,
        due: Occurrence,
        claim: Claim,
        exc: DeliveryError,
        sender: Sender,
        now: datetime,
        outcomes: Outcomes,
        digest: Digest,
    ) -> Delivered:
        sub = due.sub
        if exc.permanent:
            await outcomes.finish(due.outcome("failed", error=exc.reason, pause=exc.reason))
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
            return Delivered("paused", digest)
        attempts = claim[1].attempts if claim[1] is not None else 1
        if attempts >= MAX_ATTEMPTS:
            await outcomes.finish(due.outcome("failed", error=exc.reason))
            log.warning("digest given up", extra={"subscription": sub.id, "reason": exc.reason})
            return Delivered("given-up", digest)
        retry = now + backoff(attempts)
        await outcomes.finish(due.retry(retry, exc.reason))
        log.info(
            "digest will be retried", extra={"subscription": sub.id, "retry": retry.isoformat()}
        )
        return Delivered("retry", digest)

    # ------------------------------------------------------------------ an operator's

    async def send_now(self, sub: Subscription, sender: Sender) -> SendNowResult:
        """Send ``sub``'s digest now (``briefbot digest send-now``), logged like any delivery.

        "Exactly one digest per subscription and due date" still holds. If the subscription
        runs today (its local date) and today's digest has not gone out, this IS today's
        digest: it is claimed like the scheduler claims it, and the schedule moves on to the
        next occurrence, so the scheduler does not send it a second time later today. If
        today's went out already (sent, skipped or missed), or the schedule does not run
        today, it is an *extra* (logged as ``YYYY-MM-DD#N``, marker ``digest ID/DATE#N``) that
        leaves the schedule alone: the next digest comes as planned. Either way the letters
        and the recommendation it shows count as shown.

        ValueError for a paused subscription, or when the bot is sending today's digest at
        this very moment. A failure to send raises :class:`DeliveryError` after logging the
        attempt as failed; the schedule stays as it was and nothing is paused (the scheduler
        tries the day's digest at its time and deals with a permanent error then)."""
        if sub.paused_reason:
            raise Refused("paused", subscription=sub.id, reason=sub.paused_reason)
        now = self.clock.now()
        schedule = schedule_of(sub)
        today = now.astimezone(schedule.zone).date()
        shared = self.content.round()
        outcomes = Outcomes(self.repo, self.clock)
        recovered = False
        if sub.next_due_date <= today and schedule.runs_on(today):
            due = Occurrence.on(sub, today, schedule.instant_on(today), now, schedule)
            (claim,) = await self.repo.claim_many(
                [due.request(now, stale_after=self.claims.stale_after)],
                owner=self.owner,
                now=now,
                policy=self.claims,
            )
            if claim[0] == "busy":
                raise Refused("busy_sending", subscription=sub.id)
            done = await self.deliver(due, claim, sender, now, shared, outcomes, by="operator")
            if done.status == "sent":
                assert done.digest is not None and done.message_id is not None
                return SendNowResult(done.digest, done.message_id, extra=0)
            recovered = done.status == "recovered"
        logged = await self.repo.claim_extra(sub.id, today, owner=self.owner, now=now)
        extra = Occurrence.extra_of(sub, logged)
        done = await self.deliver(
            extra, ("claimed", logged), sender, now, shared, outcomes, by="operator"
        )
        assert done.digest is not None and done.message_id is not None
        return SendNowResult(done.digest, done.message_id, extra=logged.extra, recovered=recovered)
