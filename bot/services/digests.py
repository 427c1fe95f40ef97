"""Daily digests: subscriptions, what a digest holds, and delivering each one exactly once.

The Discord adapter supplies a :class:`Sender` (post to a channel or a DM); everything else is
here: schedules from the database, claims in the delivery log before anything is sent, missed
occurrences after downtime, retries with backoff for temporary failures, pausing (with a
reason, and one notice) for permanent ones.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from bot.core.schedule import FREQUENCIES, Schedule, parse_time, parse_zone
from bot.services.clock import Clock, SystemClock
from bot.services.scope import Scope
from bot.services.sources.news import is_news
from bot.services.summary import Cited
from bot.store.digests import ClaimRequest, Delivery, Outcome, Subscription

if TYPE_CHECKING:
    from bot.services.app import Briefbot
    from bot.store import LetterRecord

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=5)
MAX_NEW_LETTERS = 5  # per digest; more wait for the next one
INTRO_LETTERS = 3  # a first digest introduces the newest letters, this many
INTRO_SCAN = 30  # ... looking at most this many back for letters on the digest's topics
ACTIONS_PER_LETTER = 3
DEFAULT_ZONE = "Europe/Amsterdam"
LOG_RETENTION = timedelta(
    days=90
)  # delivery log kept this long  # a claim older than this belongs to a process that died
MAX_ATTEMPTS = 6
BATCH = 500  # due subscriptions claimed together, in one transaction
CONCURRENCY = 64  # channel digests being built and sent at once (bounds sockets and memory)
DM_CONCURRENCY = 16  # personal digests at once: opening DMs shares buckets across all users


class DeliveryError(Exception):
    """Sending failed. ``permanent`` failures pause the subscription (deleted channel, missing
    access or permissions, closed DMs); the others are retried with backoff."""

    def __init__(self, reason: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code


@dataclass(slots=True)
class NewLetter:
    """A letter as a digest shows it: new since the last digest, or introduced by a first one."""

    letter_id: int
    title: str
    date: str | None
    summary: list[Cited] = field(default_factory=list)
    actions: list[tuple[str, Cited]] = field(default_factory=list)  # (kind, recommendation)
    sender: str | None = None
    recipient: str | None = None


# How strongly a recommendation asks for something: the author's own requests and advice first,
# worries last. A sentence that leans on the one before it ("dit", "daarbij") or is a fragment
# reads badly on its own, so it comes after one that stands alone.
KIND_WEIGHT = {"request": 5.0, "advice": 4.0, "plea": 4.0, "requirement": 3.0, "concern": 1.0}
_LEANS_BACK = frozenset(
    "dit dat deze die daarbij daarom daarnaast daardoor daarmee hierbij hiervoor hierin hiermee "
    "zo ook bovendien tevens verder".split()
)
MIN_WORDS = 8
MAX_WORDS = 60


def strength(kind: str, text: str) -> float:
    """How well a recommendation serves as "what needs attention" on its own (higher first)."""
    words = text.split()
    score = KIND_WEIGHT.get(kind, 2.0)
    if words and words[0].lower().strip(".,;:()") in _LEANS_BACK:
        score -= 1.5
    if len(words) < MIN_WORDS:
        score -= 2.0
    elif len(words) > MAX_WORDS:
        score -= 1.0
    return score


def best_first(items: Sequence[tuple[str, Cited]]) -> list[tuple[str, Cited]]:
    """Recommendations, strongest first; among equals the newest letter, then letter order."""
    return sorted(
        items, key=lambda kc: (-strength(kc[0], kc[1].text), -kc[1].letter_id, kc[1].sentence)
    )


@dataclass(slots=True)
class Digest:
    """What one digest says. ``empty`` means nothing new (a pick of the day may still show)."""

    subscription_id: int
    due_date: date
    language: Literal["nl", "en"]
    topics: tuple[str, ...]
    new_letters: list[NewLetter] = field(default_factory=list)
    # a subscription's first digest, with nothing new: what the newest letters ask for
    introduction: list[NewLetter] = field(default_factory=list)
    pick: tuple[str, Cited] | None = None  # (kind, recommendation of the day)
    pick_key: str | None = None
    pick_reset: bool = False  # the pick starts a new round of the rotation
    late: bool = False
    latest_letter_id: int | None = None  # the newest letter the subscription could see
    extra: int = 0  # an operator's extra digest (``send-now`` after the day's went out)
    sample: bool = False  # an example (``/digest preview`` before any digest is set)
    first: bool = False  # the subscription's first digest
    refs: dict[int, str] = field(default_factory=dict)  # letter id -> number users see
    links: dict[int, str] = field(default_factory=dict)  # letter id -> the original's address

    def ref(self, letter_id: int) -> str:
        """The number a reader sees for a cited letter (``3``, ``s3``), never an internal id."""
        return self.refs.get(letter_id, "?")

    def link(self, letter_id: int) -> str | None:
        """The address of a cited letter's original (a followed source's PDF), if any."""
        return self.links.get(letter_id)

    @property
    def empty(self) -> bool:
        """Nothing new and nothing to introduce (a pick of the day may still show)."""
        return not self.new_letters and not self.introduction

    @property
    def marker(self) -> str:
        """Printed in the footer; finds a digest in channel history after a crash."""
        key = self.due_date.isoformat() + (f"#{self.extra}" if self.extra else "")
        return f"digest {self.subscription_id}/{key}"


@dataclass(frozen=True, slots=True)
class SendNowResult:
    digest: Digest
    message_id: int
    extra: int  # 0: it was the day's scheduled digest; N: the N-th extra digest that day
    recovered: bool = False  # the day's digest had gone out already (found in the channel)


class Sender(Protocol):
    async def send(self, sub: Subscription, digest: Digest) -> int:
        """Post the digest; return the (first) message id. Raises DeliveryError."""

    async def find_sent(self, sub: Subscription, digest: Digest) -> int | None:
        """The id of an already posted message carrying ``digest.marker``, if any."""

    async def notify_paused(self, sub: Subscription, reason: str) -> None:
        """Tell whoever set the subscription up that it was paused (best effort)."""


def _link(rec: LetterRecord | None) -> str | None:
    """A letter's original on the web (only http(s): a folder's file has no address)."""
    url = rec.source_url if rec is not None else None
    return url if url and url.startswith(("https://", "http://")) else None


def _addressee(rec: LetterRecord) -> str | None:
    """To whom a letter was written: its recipient line, else the role it names."""
    return rec.recipient or rec.recipient_role


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
            raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")
        if language not in ("nl", "en"):
            raise ValueError("language must be nl or en")
        if kind == "channel":
            if channel_id is None:
                raise ValueError("a server digest needs a channel")
            if channel_guild_id is not None and channel_guild_id != guild_id:
                raise ValueError(
                    "that channel belongs to another server; pick one of this server's channels"
                )
            existing = await self.repo.by_target(f"channel:{channel_id}")
            if existing is not None and existing.guild_id != guild_id:
                raise ValueError(
                    f"channel {channel_id} already has a digest of another server; "
                    "pick another channel"
                )
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
            new_only=new_only,
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

    # ------------------------------------------------------------------ content

    async def build(
        self,
        sub: Subscription,
        due_date: date,
        *,
        remember: bool,
        shared: Round | None = None,
    ) -> Digest:
        """What the digest for ``due_date`` says. With ``remember`` False (preview) nothing is
        stored; with True the rotation of the recommendation of the day moves on. ``shared``:
        the round of deliveries this digest belongs to (what digests have in common is then
        computed once for all of them)."""
        shared = shared or Round(self)
        visible = shared.visible(sub.guild_id)
        digest = Digest(sub.id, due_date, sub.language, sub.topics, latest_letter_id=visible.latest)
        # letters a followed source brought with its first poll, or dated long before the
        # subscription, are in the library but not news (bot.services.sources.news)
        newer = [
            r
            for r in visible.newer_than(sub.seen_letter_id)
            if is_news(r, subscribed_at=sub.created_at)
        ]
        for rec in newer[:MAX_NEW_LETTERS]:
            item = await shared.new_letter(sub.guild_id, visible, rec, sub.topics)
            if item is None:
                continue  # a topic digest only reports letters on its topics
            digest.new_letters.append(item)
        if len(newer) > MAX_NEW_LETTERS:  # the rest come in the next digest
            digest.latest_letter_id = newer[MAX_NEW_LETTERS - 1].id
        digest.first = not sub.introduced
        if digest.empty and digest.first and not sub.new_only:
            # the first digest: there is no "since the last digest" yet, so say what the
            # letters hold (the newest ones and what they ask for)
            digest.introduction = await shared.introduction(sub.guild_id, visible, sub.topics)
        if digest.empty and not sub.new_only:
            await self._pick_of_the_day(sub, digest, shared, visible, remember=remember)
        shown = [*digest.new_letters, *digest.introduction]
        cited = [n.letter_id for n in shown]
        cited += [c.letter_id for n in shown for c in n.summary]
        cited += [c.letter_id for n in shown for _, c in n.actions]
        cited += [digest.pick[1].letter_id] if digest.pick else []
        digest.refs = {i: self.app.catalog.ref(i) for i in cited}
        digest.links = {
            i: url for i in cited if (url := _link(self.app.catalog.by_id.get(i))) is not None
        }
        return digest

    async def _new_letter(
        self, scope: Scope, rec: LetterRecord, topics: tuple[str, ...], shared: Round
    ) -> NewLetter | None:
        item = NewLetter(rec.id, rec.title, rec.date, sender=rec.sender, recipient=_addressee(rec))
        item.summary = await shared.summary(scope, rec.id)
        recs = await self._recommendations(scope, letter=rec.ref, topics=topics)
        item.actions = best_first(recs)[:ACTIONS_PER_LETTER]
        if topics and not item.actions:
            return None
        return item

    async def _introduction(
        self, scope: Scope, visible: _Visible, topics: tuple[str, ...], shared: Round
    ) -> list[NewLetter]:
        """The newest letters (on ``topics``, if any) with their key requests; a letter that
        asks for nothing shows its first summary sentences instead."""
        out: list[NewLetter] = []
        for rec in reversed(visible.records[-INTRO_SCAN:]):
            recs = await self._recommendations(scope, letter=rec.ref, topics=topics)
            if topics and not recs:
                continue
            item = NewLetter(
                rec.id, rec.title, rec.date, sender=rec.sender, recipient=_addressee(rec)
            )
            item.actions = best_first(recs)[:ACTIONS_PER_LETTER]
            if not item.actions:
                item.summary = (await shared.summary(scope, rec.id))[:2]
            out.append(item)
            if len(out) >= INTRO_LETTERS:
                break
        return out

    async def sample(
        self, *, guild_id: int | None, language: str, topics: Sequence[str] = ()
    ) -> Digest:
        """What a digest looks like here before one is set (``/digest preview``): the first
        digest a new subscription of this server would get today. Nothing is stored."""
        if language not in ("nl", "en"):
            raise ValueError("language must be nl or en")
        scope = Scope(guild_id=guild_id)
        slugs = [await self.app.recommendations.resolve_topic(t, scope) for t in topics]
        now = self.clock.now()
        zone = parse_zone(DEFAULT_ZONE)
        sub = Subscription(
            id=0, kind="user", guild_id=guild_id, channel_id=None, user_id=0,
            target_key="sample", local_time="09:00", timezone=zone.key, frequency="daily",
            weekday=0, topics=tuple(sorted(set(slugs))), language=language,  # type: ignore[arg-type]
            skip_empty=False, next_due=now, next_due_date=now.astimezone(zone).date(),
            seen_letter_id=max(self.app.catalog.by_id, default=0), paused_reason=None,
            paused_at=None, notified=False, created_at=now, updated_at=now, introduced=False,
        )  # fmt: skip
        digest = await self.build(sub, sub.next_due_date, remember=False)
        digest.sample = True
        return digest

    async def _summary(self, scope: Scope, letter_id: int) -> list[Cited]:
        ref = self.app.catalog.ref(letter_id)
        summary = await self.app.summaries.summarize(scope=scope, letter=ref, length=3)
        return [Cited(s.text, s.letter_id, s.page, s.sentence) for s in summary.sentences]

    async def _recommendations(
        self, scope: Scope, *, letter: str | None, topics: Sequence[str]
    ) -> list[tuple[str, Cited]]:
        out: list[tuple[str, Cited]] = []
        seen: set[tuple[int, int]] = set()
        for topic in topics or [None]:
            try:
                answer = await self.app.recommendations.recommendations(
                    scope, topic=topic, letter=letter
                )
            except LookupError:  # a topic no letter of this server mentions (any more)
                continue
            for r in answer.recommendations:
                if (r.letter_id, r.sentence) not in seen:
                    seen.add((r.letter_id, r.sentence))
                    out.append((r.kind, Cited(r.text, r.letter_id, r.page, r.sentence)))
        return out

    async def _pick_of_the_day(
        self,
        sub: Subscription,
        digest: Digest,
        shared: Round,
        visible: _Visible,
        *,
        remember: bool,
    ) -> None:
        pool = await shared.pool(sub.guild_id, visible, sub.topics)
        if not pool:
            return
        # pool: strongest first; the rotation goes down it before repeating one
        shown = await self.repo.rotation_seen(sub.id)
        fresh = next((k for k in pool if k[0] not in shown), None) if shown else pool[0]
        reset = fresh is None
        key, kind, cited = fresh or pool[0]
        digest.pick = (kind, cited)
        digest.pick_key = key
        digest.pick_reset = reset
        if remember:
            await self.repo.rotate(sub.id, key, now=self.clock.now(), reset=reset)

    async def preview(self, sub: Subscription) -> Digest:
        """The next digest as it would be sent, without changing anything."""
        return await self.build(sub, sub.next_due_date, remember=False)

    # ------------------------------------------------------------------ delivering

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
        shared = Round(self)
        running: set[asyncio.Task[None]] = set()

        async def one(plan: _Due, claim: tuple[str, Delivery | None], now: datetime) -> None:
            result, delivery = claim
            if result in ("busy", "done"):
                return
            async with gates.get(plan.sub.kind, gates["channel"]):
                try:
                    await self._deliver_claimed(plan, result, delivery, sender, now, shared)
                except Exception:  # one subscription never stops the others
                    log.exception("digest delivery crashed", extra={"subscription": plan.sub.id})
                    await self._park(plan.sub, now + _backoff(MAX_ATTEMPTS))

        try:
            while True:
                while len(running) >= BATCH:  # back-pressure: claim only what goes out soon
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                now = self.clock.now()
                batch = await self.repo.due(now, limit=BATCH)
                if not batch:
                    break
                plans: list[_Due] = []
                for sub in batch:
                    try:
                        plans.append(self._plan(sub, now))
                    except Exception:  # a broken schedule never stops the others
                        log.exception("digest planning crashed", extra={"subscription": sub.id})
                        await self._park(sub, now + _backoff(MAX_ATTEMPTS))
                claims = await self.repo.claim_many(
                    [p.request(now) for p in plans], owner=self.owner, now=now,
                    stale_after=STALE_CLAIM,
                )  # fmt: skip
                for plan, claim in zip(plans, claims, strict=True):
                    task = asyncio.ensure_future(one(plan, claim, now))
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

    def _plan(self, sub: Subscription, now: datetime) -> _Due:
        """Which occurrence of ``sub`` is due at ``now``, which ones were missed before it,
        and the one after it."""
        schedule = schedule_of(sub)
        latest = schedule.latest_at_or_before(now)
        if latest is None or latest[0] < sub.next_due_date:
            # a retry of the current occurrence (parked after a failure), or nothing due yet
            due_date, due_at = sub.next_due_date, schedule.instant_on(sub.next_due_date)
        else:
            due_date, due_at = latest
        missed = self._missed_between(schedule, sub.next_due_date, due_date)
        following_date, following_at = schedule.next_after(max(now, due_at))
        return _Due(sub, due_date, due_at, tuple(missed), following_date, following_at)

    async def deliver(self, sub: Subscription, sender: Sender, now: datetime) -> str:
        """Handle one due subscription; returns what happened (for logs and tests)."""
        plan = self._plan(sub, now)
        ((result, delivery),) = await self.repo.claim_many(
            [plan.request(now)], owner=self.owner, now=now, stale_after=STALE_CLAIM
        )
        return await self._deliver_claimed(plan, result, delivery, sender, now, Round(self))

    async def _deliver_claimed(
        self,
        plan: _Due,
        result: str,
        delivery: Delivery | None,
        sender: Sender,
        now: datetime,
        shared: Round,
    ) -> str:
        sub = plan.sub
        if result in ("busy", "done"):  # "done": the claim moved the schedule on already
            return result
        assert delivery is not None
        digest = await self.build(sub, plan.due_date, remember=False, shared=shared)
        digest.late = now - plan.due_at > timedelta(minutes=15)
        if result in ("taken-over", "retry"):
            # a dead process, or an earlier attempt that failed after Discord may have taken
            # the message (a timeout): look in the channel before sending again
            try:
                found = await sender.find_sent(sub, digest)
            except DeliveryError as exc:  # could not look: never guess "not sent"
                log.info(
                    "could not check for a digest sent before a crash; looking again later",
                    extra={"subscription": sub.id, "reason": exc.reason},
                )
                # the claim stays ours but goes stale, so the next try looks again
                await self._park(sub, now + STALE_CLAIM + timedelta(seconds=1))
                return "retry"
            if found is not None:
                await shared.finish(
                    plan.outcome("sent", message_id=found, seen=digest.latest_letter_id)
                )
                return "recovered"
        if digest.empty and (sub.skip_empty or sub.new_only):
            await shared.finish(plan.outcome("skipped", seen=digest.latest_letter_id))
            return "skipped"
        try:
            message_id = await sender.send(sub, digest)
        except DeliveryError as exc:
            if exc.permanent:
                await shared.finish(plan.outcome("failed", error=exc.reason, pause=exc.reason))
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
                await shared.finish(plan.outcome("failed", error=exc.reason))
                log.warning("digest given up", extra={"subscription": sub.id, "reason": exc.reason})
                return "given-up"
            retry = now + _backoff(delivery.attempts)
            await shared.finish(
                Outcome(
                    subscription_id=sub.id, due_date=plan.due_date, status="failed",
                    error=exc.reason, next_due=min(retry, plan.following_at),
                    next_due_date=plan.due_date,
                )
            )  # fmt: skip
            log.info(
                "digest will be retried", extra={"subscription": sub.id, "retry": retry.isoformat()}
            )
            return "retry"
        await shared.finish(
            plan.outcome(
                "sent", message_id=message_id, seen=digest.latest_letter_id,
                pick_key=digest.pick_key, pick_reset=digest.pick_reset,
            )
        )  # fmt: skip
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

    # ------------------------------------------------------------------ an operator's digest

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
            raise ValueError(
                f"subscription {sub.id} is paused ({sub.paused_reason}); "
                "set it again with /digest set or /digest subscribe to resume it"
            )
        now = self.clock.now()
        schedule = schedule_of(sub)
        today = now.astimezone(schedule.zone).date()
        shared = Round(self)
        recovered = False
        if sub.next_due_date <= today and schedule.runs_on(today):
            due_at = schedule.instant_on(today)
            following_date, following_at = schedule.next_after(max(now, due_at))
            plan = _Due(
                sub, today, due_at, tuple(self._missed_between(schedule, sub.next_due_date, today)),
                following_date, following_at,
            )  # fmt: skip
            ((result, _),) = await self.repo.claim_many(
                [plan.request(now)], owner=self.owner, now=now, stale_after=STALE_CLAIM
            )
            if result == "busy":
                raise ValueError(
                    f"the bot is sending today's digest of subscription {sub.id} right now; "
                    "try again in a minute"
                )
            if result != "done":
                digest = await self.build(sub, today, remember=False, shared=shared)
                if result == "taken-over":
                    found = await sender.find_sent(sub, digest)
                    if found is not None:
                        await shared.finish(
                            plan.outcome("sent", message_id=found, seen=digest.latest_letter_id)
                        )
                        recovered = True
                if not recovered:
                    try:
                        message_id = await sender.send(sub, digest)
                    except DeliveryError as exc:
                        await shared.finish(
                            Outcome(
                                subscription_id=sub.id, due_date=today, status="failed",
                                error=exc.reason, next_due=sub.next_due,
                                next_due_date=sub.next_due_date,
                            )
                        )  # fmt: skip
                        raise
                    await shared.finish(
                        plan.outcome(
                            "sent", message_id=message_id, seen=digest.latest_letter_id,
                            pick_key=digest.pick_key, pick_reset=digest.pick_reset,
                        )
                    )  # fmt: skip
                    return SendNowResult(digest, message_id, extra=0)
        extra = await self.repo.claim_extra(sub.id, today, owner=self.owner, now=now)
        digest = await self.build(sub, today, remember=False, shared=shared)
        digest.extra = extra.extra
        try:
            message_id = await sender.send(sub, digest)
        except DeliveryError as exc:
            await shared.finish(
                Outcome(
                    subscription_id=sub.id, due_date=today, status="failed", error=exc.reason,
                    next_due=None, delivery_key=extra.key,
                )
            )  # fmt: skip
            raise
        await shared.finish(
            Outcome(
                subscription_id=sub.id, due_date=today, status="sent", message_id=message_id,
                next_due=None, seen_letter_id=digest.latest_letter_id,
                pick_key=digest.pick_key, pick_reset=digest.pick_reset, delivery_key=extra.key,
            )
        )  # fmt: skip
        return SendNowResult(digest, message_id, extra=extra.extra, recovered=recovered)


@dataclass(frozen=True, slots=True)
class _Due:
    """One due occurrence of a subscription, as planned before claiming it."""

    sub: Subscription
    due_date: date
    due_at: datetime
    missed: tuple[tuple[date, datetime], ...]
    following_date: date
    following_at: datetime

    def request(self, now: datetime) -> ClaimRequest:
        return ClaimRequest(
            subscription_id=self.sub.id, due_date=self.due_date, due_at=self.due_at,
            retry_at=min(self.following_at, now + STALE_CLAIM), missed=self.missed,
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
        """The occurrence is over (sent, skipped, paused or given up): on to the next one."""
        return Outcome(
            subscription_id=self.sub.id, due_date=self.due_date, status=status,
            next_due=self.following_at, next_due_date=self.following_date,
            message_id=message_id, error=error, seen_letter_id=seen, pause_reason=pause,
            pick_key=pick_key, pick_reset=pick_reset,
        )  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class _Visible:
    """The letters a server sees, by id, at the start of a round. Servers that see the same
    letters share one (and its ``key``)."""

    key: int
    ids: tuple[int, ...]
    records: tuple[LetterRecord, ...]

    @property
    def latest(self) -> int | None:
        return self.ids[-1] if self.ids else None

    def newer_than(self, letter_id: int) -> tuple[LetterRecord, ...]:
        return self.records[bisect.bisect_right(self.ids, letter_id) :]


Pool = list[tuple[str, str, Cited]]  # (rotation key, kind, recommendation)


class Round:
    """What the digests of one round of deliveries share.

    * Content computed once and reused: the letters each server sees (a snapshot, so that a
      digest marks as seen exactly what it could show), the pool of the recommendation of
      the day per (letters seen, topics), a new letter's summary, and its actions per
      (letters seen, topics). Servers that see the same letters share all of it.
    * Group commit: :meth:`finish` queues an outcome and returns once it is committed; the
      outcomes that are ready together go in one transaction.
    """

    def __init__(self, service: DigestService) -> None:
        self.service = service
        self._visible: dict[int | None, _Visible] = {}
        self._interned: dict[tuple[int, ...], _Visible] = {}
        self._pools: dict[object, asyncio.Future[Pool]] = {}
        self._letters: dict[object, asyncio.Future[NewLetter | None]] = {}
        self._intros: dict[object, asyncio.Future[list[NewLetter]]] = {}
        self._summaries: dict[object, asyncio.Future[list[Cited]]] = {}
        self._pending: list[tuple[Outcome, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    def visible(self, guild_id: int | None) -> _Visible:
        v = self._visible.get(guild_id)
        if v is None:
            records = self.service.app.catalog.in_order(Scope(guild_id=guild_id))
            ids = tuple(r.id for r in records)
            v = self._interned.get(ids)
            if v is None:
                v = self._interned[ids] = _Visible(len(self._interned), ids, tuple(records))
            self._visible[guild_id] = v
        return v

    async def _once(
        self, table: dict[object, asyncio.Future[Any]], key: object, make: Callable[[], Any]
    ) -> Any:
        """``await make()`` once per key; concurrent callers share it; a failure is not kept."""
        task = table.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            table[key] = task

            def forget_failure(t: asyncio.Future[Any]) -> None:
                if (t.cancelled() or t.exception() is not None) and table.get(key) is t:
                    del table[key]

            task.add_done_callback(forget_failure)
        return await asyncio.shield(task)

    async def pool(self, guild_id: int | None, visible: _Visible, topics: tuple[str, ...]) -> Pool:
        """The candidates for the recommendation of the day, best first: requests, advice,
        pleas and requirements (worries only when the letters hold nothing else)."""

        async def make() -> Pool:
            recs = await self.service._recommendations(
                Scope(guild_id=guild_id), letter=None, topics=topics
            )
            asks = [(kind, c) for kind, c in recs if kind != "concern"] or recs
            # thousands of letters hold hundreds of thousands: ranked off the event loop
            ranked = (
                await asyncio.to_thread(best_first, asks)
                if len(asks) > 2000
                else (best_first(asks))
            )
            return [(f"{c.letter_id}:{c.sentence}", kind, c) for kind, c in ranked]

        return await self._once(self._pools, (visible.key, topics), make)

    async def introduction(
        self, guild_id: int | None, visible: _Visible, topics: tuple[str, ...]
    ) -> list[NewLetter]:
        return await self._once(
            self._intros,
            (visible.key, topics),
            lambda: self.service._introduction(Scope(guild_id=guild_id), visible, topics, self),
        )

    async def summary(self, scope: Scope, letter_id: int) -> list[Cited]:
        return await self._once(
            self._summaries, letter_id, lambda: self.service._summary(scope, letter_id)
        )

    async def new_letter(
        self,
        guild_id: int | None,
        visible: _Visible,
        rec: LetterRecord,
        topics: tuple[str, ...],
    ) -> NewLetter | None:
        return await self._once(
            self._letters,
            (visible.key, rec.id, topics),
            lambda: self.service._new_letter(Scope(guild_id=guild_id), rec, topics, self),
        )

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
                await self.service.repo.finish_many(
                    [o for o, _ in items], now=self.service.clock.now()
                )
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


class DigestScheduler:
    """One task that sleeps until the earliest due time and wakes early when a subscription
    changes. Its body cannot die from one failure: every round is guarded and logged."""

    def __init__(self, service: DigestService, sender: Sender) -> None:
        self.service = service
        self.sender = sender
        self.rounds = 0
        self.idle = asyncio.Event()
        self._pruned_on: date | None = None

    async def _prune(self) -> None:
        """Once a day, drop the delivery log older than LOG_RETENTION."""
        today = self.service.clock.now().date()
        if self._pruned_on == today:
            return
        self._pruned_on = today
        removed = await self.service.repo.prune_deliveries(
            before=self.service.clock.now() - LOG_RETENTION
        )
        if removed:
            log.info("old digest deliveries pruned", extra={"rows": removed})

    async def run(self) -> None:
        while True:
            try:
                self.service.changed.clear()
                self.idle.clear()
                await self.service.run_due(self.sender)
                self.rounds += 1
                await self._prune()
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
