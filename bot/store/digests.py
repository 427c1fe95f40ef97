"""Digest subscriptions, the delivery log and the recommendation rotation (SQLite).

The delivery log is what makes a digest arrive once: its primary key is (subscription, local due
date), and a delivery is *claimed* in a write transaction before anything is sent, so two
processes (or a restart) can never both send the same digest.

Claims and outcomes come in batches (:meth:`SqliteDigestRepository.claim_many`,
:meth:`~SqliteDigestRepository.finish_many`): a burst of thousands of due digests costs a
handful of write transactions, not three per digest.

Extra digests (``briefbot digest send-now`` after the day's digest went out) are logged under the
key ``YYYY-MM-DD#N`` (N = 1, 2, ... that day) in the same ``due_date`` column: they never take
the key of a scheduled occurrence, so they cannot block or replace one. :class:`Delivery` parses
the date back and says which extra it was (``extra``; 0 for a scheduled occurrence).
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

ClaimResult = Literal["claimed", "taken-over", "done", "busy", "retry"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    id: int
    kind: Literal["channel", "user"]
    guild_id: int | None
    channel_id: int | None
    user_id: int
    target_key: str
    local_time: str
    timezone: str
    frequency: Literal["daily", "weekdays", "weekly"]
    weekday: int
    topics: tuple[str, ...]
    language: Literal["nl", "en"]
    skip_empty: bool
    next_due: datetime
    next_due_date: date
    seen_letter_id: int
    paused_reason: str | None
    paused_at: datetime | None
    notified: bool
    created_at: datetime
    updated_at: datetime
    # a digest went out (sent, or skipped as empty): the next one need not introduce the letters
    introduced: bool = False
    new_only: bool = False  # new letters only: no introduction, no pick, nothing when empty

    @property
    def active(self) -> bool:
        return self.paused_reason is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    subscription_id: int
    due_date: date
    due_at: datetime
    status: Literal["claimed", "sent", "skipped", "missed", "failed"]
    claimed_by: str | None
    claimed_at: datetime | None
    attempts: int
    message_id: int | None
    error: str | None
    updated_at: datetime
    extra: int = 0  # 0: the scheduled occurrence of due_date; N: the N-th extra that day

    @property
    def key(self) -> str:
        """Its key in the log (``due_date``, or ``due_date#N`` for an extra)."""
        day = self.due_date.isoformat()
        return f"{day}#{self.extra}" if self.extra else day


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimRequest:
    """One due occurrence to claim (see :meth:`SqliteDigestRepository.claim`)."""

    subscription_id: int
    due_date: date
    due_at: datetime
    retry_at: datetime  # the subscription is parked until then while it is being sent
    missed: tuple[tuple[date, datetime], ...] = ()
    # where the schedule goes if the occurrence turns out to be done already (None: stay)
    following_at: datetime | None = None
    following_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """How a claimed delivery ended, and what comes next for its subscription."""

    subscription_id: int
    due_date: date
    status: Literal["sent", "skipped", "failed"]
    next_due: datetime | None  # None: leave the schedule alone (an extra digest)
    next_due_date: date | None = None
    message_id: int | None = None
    error: str | None = None
    seen_letter_id: int | None = None  # letters up to this id have been shown
    pause_reason: str | None = None
    pick_key: str | None = None  # the recommendation of the day shown: remembered
    pick_reset: bool = False  # it starts a new round of the rotation
    delivery_key: str | None = None  # an extra's key (``YYYY-MM-DD#N``)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: briefbot stores aware UTC datetimes only")
    return moment.astimezone(UTC).isoformat()


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _subscription(row: sqlite3.Row) -> Subscription:
    d: dict[str, Any] = dict(zip(row.keys(), row, strict=True))
    d["topics"] = tuple(json.loads(d["topics"]))
    d["skip_empty"] = bool(d["skip_empty"])
    d["notified"] = bool(d["notified"])
    d["introduced"] = bool(d["introduced"])
    d["new_only"] = bool(d["new_only"])
    d["next_due"] = _time(d["next_due"])
    d["next_due_date"] = date.fromisoformat(d["next_due_date"])
    for key in ("paused_at", "created_at", "updated_at"):
        d[key] = _time(d[key])
    return Subscription(**d)


def _delivery(row: sqlite3.Row) -> Delivery:
    d: dict[str, Any] = dict(zip(row.keys(), row, strict=True))
    day, _, extra = str(d["due_date"]).partition("#")
    d["due_date"] = date.fromisoformat(day)
    d["extra"] = int(extra) if extra else 0
    for key in ("due_at", "claimed_at", "updated_at"):
        d[key] = _time(d[key])
    return Delivery(**d)


_SUB_COLUMNS = """
    id, kind, guild_id, channel_id, user_id, target_key, local_time, timezone, frequency, weekday,
    topics, language, skip_empty, next_due, next_due_date, seen_letter_id, paused_reason,
    paused_at, notified, created_at, updated_at, new_only,
    EXISTS (SELECT 1 FROM deliveries AS d WHERE d.subscription_id = subscriptions.id
            AND d.status IN ('sent', 'skipped')) AS introduced
"""
_SELECT_SUB = f"SELECT {_SUB_COLUMNS} FROM subscriptions"
_SELECT_DELIVERY = (
    "SELECT subscription_id, due_date, due_at, status, claimed_by, claimed_at, attempts, "
    "message_id, error, updated_at FROM deliveries"
)
_SELECT_DELIVERY_D = (
    "SELECT d.subscription_id, d.due_date, d.due_at, d.status, d.claimed_by, d.claimed_at, "
    "d.attempts, d.message_id, d.error, d.updated_at FROM deliveries AS d"
)


class SqliteDigestRepository:
    def __init__(self, db: Any) -> None:  # bot.store.sqlite._Db
        self._db = db

    # ------------------------------------------------------------------ subscriptions

    async def upsert(
        self,
        *,
        kind: Literal["channel", "user"],
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        local_time: str,
        timezone: str,
        frequency: str,
        weekday: int,
        topics: Sequence[str],
        language: str,
        skip_empty: bool,
        next_due: datetime,
        next_due_date: date,
        seen_letter_id: int,
        now: datetime,
        new_only: bool = False,
    ) -> Subscription:
        """Create or replace the subscription of a target (a channel, or a user's DMs). A
        replaced subscription is active again and keeps its delivery log and rotation."""
        target = f"channel:{channel_id}" if kind == "channel" else f"user:{user_id}"
        values = (
            kind, guild_id, channel_id, user_id, target, local_time, timezone, frequency,
            weekday, json.dumps(list(topics)), language, int(skip_empty), _iso(next_due),
            next_due_date.isoformat(), seen_letter_id, _iso(now), _iso(now), int(new_only),
        )  # fmt: skip
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO subscriptions (kind, guild_id, channel_id, user_id, target_key,"
                " local_time, timezone, frequency, weekday, topics, language, skip_empty,"
                " next_due, next_due_date, seen_letter_id, created_at, updated_at, new_only)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (target_key) DO UPDATE SET guild_id = excluded.guild_id,"
                " user_id = excluded.user_id, local_time = excluded.local_time,"
                " timezone = excluded.timezone, frequency = excluded.frequency,"
                " weekday = excluded.weekday, topics = excluded.topics,"
                " language = excluded.language, skip_empty = excluded.skip_empty,"
                " next_due = excluded.next_due, next_due_date = excluded.next_due_date,"
                " paused_reason = NULL, paused_at = NULL, notified = 0,"
                " updated_at = excluded.updated_at, new_only = excluded.new_only",
                values,
            )
            async with conn.execute(f"{_SELECT_SUB} WHERE target_key = ?", (target,)) as cur:
                row = await cur.fetchone()
        return _subscription(row)

    async def get(self, subscription_id: int) -> Subscription | None:
        async with (
            self._db.read() as conn,
            conn.execute(f"{_SELECT_SUB} WHERE id = ?", (subscription_id,)) as cur,
        ):
            row = await cur.fetchone()
        return _subscription(row) if row else None

    async def by_target(self, target_key: str) -> Subscription | None:
        async with (
            self._db.read() as conn,
            conn.execute(f"{_SELECT_SUB} WHERE target_key = ?", (target_key,)) as cur,
        ):
            row = await cur.fetchone()
        return _subscription(row) if row else None

    async def list(
        self, *, guild_id: int | None = None, user_id: int | None = None
    ) -> builtins.list[Subscription]:
        """All subscriptions, or those of one server (channel digests) and/or one user."""
        clauses, params = [], []
        if guild_id is not None:
            clauses.append("guild_id = ?")
            params.append(guild_id)
        if user_id is not None:
            clauses.append("user_id = ?")
            params.append(user_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        async with self._db.read() as conn:
            rows = await conn.execute_fetchall(f"{_SELECT_SUB}{where} ORDER BY id", params)
        return [_subscription(r) for r in rows]

    async def count(self, *, active_only: bool = False) -> int:
        where = " WHERE paused_reason IS NULL" if active_only else ""
        async with (
            self._db.read() as conn,
            conn.execute(f"SELECT count(*) FROM subscriptions{where}") as cur,
        ):
            row = await cur.fetchone()
        return int(row[0])

    async def delete(self, subscription_id: int) -> bool:
        async with self._db.write() as conn:
            cur = await conn.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))
        return cur.rowcount > 0

    async def prune_deliveries(self, *, before: datetime) -> int:
        """Forget finished deliveries due before ``before`` (the log only needs recent days to
        keep digests from being sent twice)."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "DELETE FROM deliveries WHERE due_at < ? AND status != 'claimed'", (_iso(before),)
            )
        return cur.rowcount

    async def delete_where(self, *, guild_id: int | None = None, user_id: int | None = None) -> int:
        """Remove a server's digests, or everything a user set up or receives."""
        if guild_id is None and user_id is None:
            raise ValueError("say whose subscriptions to delete")
        async with self._db.write() as conn:
            if guild_id is not None:
                cur = await conn.execute(
                    "DELETE FROM subscriptions WHERE guild_id = ?", (guild_id,)
                )
            else:
                cur = await conn.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
        return cur.rowcount

    # ------------------------------------------------------------------ the schedule

    async def earliest_due(self) -> datetime | None:
        async with (
            self._db.read() as conn,
            conn.execute(
                "SELECT min(next_due) FROM subscriptions WHERE paused_reason IS NULL"
            ) as cur,
        ):
            row = await cur.fetchone()
        return _time(row[0]) if row and row[0] else None

    async def due(self, now: datetime, *, limit: int = 500) -> builtins.list[Subscription]:
        async with self._db.read() as conn:
            rows = await conn.execute_fetchall(
                f"{_SELECT_SUB} WHERE paused_reason IS NULL AND next_due <= ?"
                " ORDER BY next_due LIMIT ?",
                (_iso(now), limit),
            )
        return [_subscription(r) for r in rows]

    async def claim(
        self,
        subscription_id: int,
        due_date: date,
        due_at: datetime,
        *,
        owner: str,
        now: datetime,
        stale_after: timedelta,
        retry_at: datetime,
        missed: Sequence[tuple[date, datetime]] = (),
    ) -> tuple[ClaimResult, Delivery | None]:
        """Claim the delivery of one due occurrence, in one write transaction.

        ``claimed``: new, ours to send. ``taken-over``: another process claimed it and went
        silent for ``stale_after``; ours now, but it may have been sent (check before
        resending). ``retry``: an earlier attempt failed; ours to try again. ``done``: sent,
        skipped or given up already. ``busy``: someone else is sending it right now.
        The subscription is parked until ``retry_at`` so that no wake-up picks it twice, and
        the ``missed`` occurrences before this one are logged as missed (never sent).
        """
        request = ClaimRequest(
            subscription_id=subscription_id, due_date=due_date, due_at=due_at,
            retry_at=retry_at, missed=tuple(missed),
        )  # fmt: skip
        (answer,) = await self.claim_many([request], owner=owner, now=now, stale_after=stale_after)
        return answer

    async def claim_many(
        self,
        requests: Sequence[ClaimRequest],
        *,
        owner: str,
        now: datetime,
        stale_after: timedelta,
    ) -> builtins.list[tuple[ClaimResult, Delivery | None]]:
        """:meth:`claim` for many subscriptions in ONE write transaction (a handful of
        statements whatever their number), answers in the order of ``requests``. A request
        whose occurrence is ``done`` also moves its subscription on to ``following_at`` when
        given, in the same transaction."""
        if not requests:
            return []
        if len({r.subscription_id for r in requests}) != len(requests):
            raise ValueError("one claim per subscription at a time")
        stamp = _iso(now)
        answers: builtins.list[tuple[ClaimResult, Delivery | None]] = []
        async with self._db.write() as conn:
            missed = [
                (r.subscription_id, d.isoformat(), _iso(at), stamp)
                for r in requests
                for d, at in r.missed
            ]
            if missed:
                await conn.executemany(
                    "INSERT INTO deliveries (subscription_id, due_date, due_at, status,"
                    " updated_at) VALUES (?, ?, ?, 'missed', ?)"
                    # an attempt a dead process left unfinished is settled too: a later
                    # occurrence supersedes it, and it is never sent now
                    " ON CONFLICT DO UPDATE SET status = 'missed',"
                    " error = 'unfinished attempt, superseded by a later digest',"
                    " updated_at = excluded.updated_at"
                    " WHERE deliveries.status IN ('claimed', 'failed')",
                    missed,
                )
            existing: dict[tuple[int, str], Delivery] = {}
            for chunk in _chunks(requests, 400):
                pairs = ", ".join("(?, ?)" for _ in chunk)
                params = [x for r in chunk for x in (r.subscription_id, r.due_date.isoformat())]
                # a join on the primary key: "(a, b) IN (VALUES ...)" would scan the whole log
                rows = await conn.execute_fetchall(
                    f"WITH wanted (sid, day) AS (VALUES {pairs}) {_SELECT_DELIVERY_D}"
                    " JOIN wanted ON d.subscription_id = wanted.sid AND d.due_date = wanted.day",
                    params,
                )
                for row in rows:
                    d = _delivery(row)
                    existing[(d.subscription_id, d.due_date.isoformat())] = d
            inserts, takeovers, parks, moves = [], [], [], []
            for r in requests:
                key = r.due_date.isoformat()
                old = existing.get((r.subscription_id, key))
                if old is None:
                    inserts.append((r.subscription_id, key, _iso(r.due_at), owner, stamp, stamp))
                    result: ClaimResult = "claimed"
                    attempts = 1
                elif old.status in ("sent", "skipped", "missed"):
                    if r.following_at is not None and r.following_date is not None:
                        moves.append(
                            (_iso(r.following_at), r.following_date.isoformat(), stamp,
                             r.subscription_id)
                        )  # fmt: skip
                    answers.append(("done", old))
                    continue
                elif (
                    old.status == "claimed"
                    and old.claimed_at is not None
                    and now - old.claimed_at < stale_after
                ):
                    answers.append(("busy", old))
                    continue
                else:  # a stale claim, or a failed attempt to retry
                    result = "taken-over" if old.status == "claimed" else "retry"
                    attempts = old.attempts + 1
                    takeovers.append((owner, stamp, stamp, r.subscription_id, key))
                parks.append((_iso(r.retry_at), stamp, r.subscription_id))
                answers.append(
                    (
                        result,
                        Delivery(
                            subscription_id=r.subscription_id, due_date=r.due_date,
                            due_at=old.due_at if old else r.due_at, status="claimed",
                            claimed_by=owner, claimed_at=now, attempts=attempts,
                            message_id=old.message_id if old else None,
                            error=old.error if old else None, updated_at=now,
                        ),
                    )
                )  # fmt: skip
            if inserts:
                await conn.executemany(
                    "INSERT INTO deliveries (subscription_id, due_date, due_at, status,"
                    " claimed_by, claimed_at, attempts, updated_at)"
                    " VALUES (?, ?, ?, 'claimed', ?, ?, 1, ?)",
                    inserts,
                )
            if takeovers:
                await conn.executemany(
                    "UPDATE deliveries SET status = 'claimed', claimed_by = ?, claimed_at = ?,"
                    " attempts = attempts + 1, updated_at = ?"
                    " WHERE subscription_id = ? AND due_date = ?",
                    takeovers,
                )
            if parks:
                await conn.executemany(
                    "UPDATE subscriptions SET next_due = ?, updated_at = ? WHERE id = ?", parks
                )
            if moves:
                await conn.executemany(
                    "UPDATE subscriptions SET next_due = ?, next_due_date = ?, updated_at = ?"
                    " WHERE id = ?",
                    moves,
                )
        return answers

    async def finish(
        self,
        subscription_id: int,
        due_date: date,
        *,
        status: Literal["sent", "skipped", "failed"],
        now: datetime,
        next_due: datetime,
        next_due_date: date,
        message_id: int | None = None,
        error: str | None = None,
        seen_letter_id: int | None = None,
        pause_reason: str | None = None,
    ) -> None:
        """Record the outcome and schedule what comes next, in one transaction."""
        await self.finish_many(
            [
                Outcome(
                    subscription_id=subscription_id, due_date=due_date, status=status,
                    next_due=next_due, next_due_date=next_due_date, message_id=message_id,
                    error=error, seen_letter_id=seen_letter_id, pause_reason=pause_reason,
                )
            ],
            now=now,
        )  # fmt: skip

    async def finish_many(self, outcomes: Sequence[Outcome], *, now: datetime) -> None:
        """Record many outcomes (delivery status, what comes next, the pick shown) in ONE
        write transaction."""
        if not outcomes:
            return
        stamp = _iso(now)
        async with self._db.write() as conn:
            await conn.executemany(
                "UPDATE deliveries SET status = ?, message_id = ?, error = ?, updated_at = ?"
                " WHERE subscription_id = ? AND due_date = ?",
                [
                    (o.status, o.message_id, o.error, stamp, o.subscription_id,
                     o.delivery_key or o.due_date.isoformat())
                    for o in outcomes
                ],
            )  # fmt: skip
            schedule = [o for o in outcomes if o.next_due is not None]
            if schedule:
                await conn.executemany(
                    "UPDATE subscriptions SET next_due = ?, next_due_date = ?,"
                    " seen_letter_id = coalesce(?, seen_letter_id),"
                    " paused_reason = coalesce(?, paused_reason),"
                    " paused_at = CASE WHEN ? IS NULL THEN paused_at ELSE ? END,"
                    " updated_at = ? WHERE id = ?",
                    [
                        (
                            _iso(o.next_due), (o.next_due_date or o.due_date).isoformat(),
                            o.seen_letter_id, o.pause_reason, o.pause_reason, stamp, stamp,
                            o.subscription_id,
                        )
                        for o in schedule
                        if o.next_due is not None
                    ],
                )  # fmt: skip
            seen_only = [o for o in outcomes if o.next_due is None and o.seen_letter_id]
            if seen_only:
                await conn.executemany(
                    "UPDATE subscriptions SET seen_letter_id = max(seen_letter_id, ?),"
                    " updated_at = ? WHERE id = ?",
                    [(o.seen_letter_id, stamp, o.subscription_id) for o in seen_only],
                )
            resets = [(o.subscription_id,) for o in outcomes if o.pick_key and o.pick_reset]
            if resets:
                await conn.executemany(
                    "DELETE FROM digest_rotation WHERE subscription_id = ?", resets
                )
            picks = [(o.subscription_id, o.pick_key, stamp) for o in outcomes if o.pick_key]
            if picks:
                await conn.executemany(
                    "INSERT INTO digest_rotation (subscription_id, item_key, shown_at)"
                    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    picks,
                )

    async def reschedule(
        self, subscription_id: int, *, next_due: datetime, next_due_date: date, now: datetime
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE subscriptions SET next_due = ?, next_due_date = ?, updated_at = ?"
                " WHERE id = ?",
                (_iso(next_due), next_due_date.isoformat(), _iso(now), subscription_id),
            )

    async def pause(self, subscription_id: int, reason: str, *, now: datetime) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE subscriptions SET paused_reason = ?, paused_at = ?, updated_at = ?"
                " WHERE id = ?",
                (reason, _iso(now), _iso(now), subscription_id),
            )

    async def mark_notified(self, subscription_id: int) -> bool:
        """True the first time only: the owner is told about a pause once."""
        async with self._db.write() as conn:
            cur = await conn.execute(
                "UPDATE subscriptions SET notified = 1 WHERE id = ? AND notified = 0",
                (subscription_id,),
            )
        return cur.rowcount > 0

    async def claim_extra(
        self, subscription_id: int, day: date, *, owner: str, now: datetime
    ) -> Delivery:
        """Log an extra digest on local ``day`` as claimed (key ``day#N``); finish it with an
        :class:`Outcome` carrying ``delivery_key=delivery.key`` and ``next_due=None``."""
        stamp = _iso(now)
        async with self._db.write() as conn:
            rows = await conn.execute_fetchall(
                "SELECT due_date FROM deliveries WHERE subscription_id = ?"
                " AND due_date >= ? AND due_date < ?",
                (subscription_id, f"{day.isoformat()}#", f"{day.isoformat()}$"),
            )
            n = 1 + max((int(str(r[0]).partition("#")[2] or 0) for r in rows), default=0)
            await conn.execute(
                "INSERT INTO deliveries (subscription_id, due_date, due_at, status, claimed_by,"
                " claimed_at, attempts, updated_at) VALUES (?, ?, ?, 'claimed', ?, ?, 1, ?)",
                (subscription_id, f"{day.isoformat()}#{n}", stamp, owner, stamp, stamp),
            )
        return Delivery(
            subscription_id=subscription_id, due_date=day, due_at=now, status="claimed",
            claimed_by=owner, claimed_at=now, attempts=1, message_id=None, error=None,
            updated_at=now, extra=n,
        )  # fmt: skip

    async def latest_deliveries(self) -> dict[int, Delivery]:
        """The most recent entry of the log of every subscription that has one."""
        async with self._db.read() as conn:
            rows = await conn.execute_fetchall(
                f"{_SELECT_DELIVERY_D} JOIN subscriptions AS s ON d.subscription_id = s.id"
                " AND d.due_date = (SELECT max(x.due_date) FROM deliveries AS x"
                " WHERE x.subscription_id = s.id)"
            )  # one index seek per subscription, whatever the length of the log
        return {int(r[0]): _delivery(r) for r in rows}

    async def deliveries(self, subscription_id: int, *, limit: int = 10) -> builtins.list[Delivery]:
        async with self._db.read() as conn:
            rows = await conn.execute_fetchall(
                f"{_SELECT_DELIVERY} WHERE subscription_id = ? ORDER BY due_date DESC LIMIT ?",
                (subscription_id, limit),
            )
        return [_delivery(r) for r in rows]

    # ------------------------------------------------------------------ rotation

    async def rotation_seen(self, subscription_id: int) -> set[str]:
        async with self._db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT item_key FROM digest_rotation WHERE subscription_id = ?",
                (subscription_id,),
            )
        return {str(r[0]) for r in rows}

    async def rotate(
        self, subscription_id: int, item_key: str, *, now: datetime, reset: bool
    ) -> None:
        """Remember ``item_key`` as shown; ``reset`` first forgets a finished round."""
        async with self._db.write() as conn:
            if reset:
                await conn.execute(
                    "DELETE FROM digest_rotation WHERE subscription_id = ?", (subscription_id,)
                )
            await conn.execute(
                "INSERT INTO digest_rotation (subscription_id, item_key, shown_at)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (subscription_id, item_key, _iso(now)),
            )
