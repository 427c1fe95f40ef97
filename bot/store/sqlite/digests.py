"""Digest subscriptions, the delivery log and the rotation of the recommendation of the day
(SQLite, migration 0003).

Storage only: which claim a due occurrence gets is decided by the ``ClaimPolicy`` the digest
service passes in (``bot.services.digests``), inside the one write transaction that claims a
whole batch (a handful of statements whatever its size).
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any, Literal

from bot.store.base import ClaimPolicy
from bot.store.records import (
    ClaimRequest,
    ClaimResult,
    Delivery,
    FinishWrites,
    Outcome,
    Subscription,
)
from bot.store.sqlite.db import Db
from bot.store.sqlite.db import iso as _iso
from bot.store.sqlite.db import parse_time as _time

#: What an unfinished log entry says once a later occurrence superseded it.
SUPERSEDED = "unfinished attempt, superseded by a later digest"


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


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


def delivery(row: sqlite3.Row) -> Delivery:
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
SELECT_DELIVERY = (
    "SELECT subscription_id, due_date, due_at, status, claimed_by, claimed_at, attempts, "
    "message_id, error, updated_at FROM deliveries"
)
SELECT_DELIVERY_D = (
    "SELECT d.subscription_id, d.due_date, d.due_at, d.status, d.claimed_by, d.claimed_at, "
    "d.attempts, d.message_id, d.error, d.updated_at FROM deliveries AS d"
)


class SqliteDigestRepository:
    def __init__(self, db: Db) -> None:
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

    async def claim_many(
        self,
        requests: Sequence[ClaimRequest],
        *,
        owner: str,
        now: datetime,
        policy: ClaimPolicy,
    ) -> builtins.list[tuple[ClaimResult, Delivery | None]]:
        if not requests:
            return []
        if len({r.subscription_id for r in requests}) != len(requests):
            raise ValueError("one claim per subscription at a time")
        stamp = _iso(now)
        answers: builtins.list[tuple[ClaimResult, Delivery | None]] = []
        async with self._db.write() as conn:
            keys = [(r.subscription_id, r.due_date.isoformat()) for r in requests]
            missed_keys = [
                (r.subscription_id, d.isoformat(), at) for r in requests for d, at in r.missed
            ]
            logged = await self._logged(conn, keys + [(s, d) for s, d, _ in missed_keys])
            new_missed, superseded = [], []
            for sid, day, at in missed_keys:
                what = policy.missed(logged.get((sid, day)))
                if what == "insert":
                    new_missed.append((sid, day, _iso(at), stamp))
                elif what == "supersede":
                    superseded.append((SUPERSEDED, stamp, sid, day))
            inserts, takeovers, parks, moves = [], [], [], []
            for r, key in zip(requests, keys, strict=True):
                old = logged.get(key)
                decision = policy.claim(r, old, now=now)
                if decision.move_on and r.following_at is not None and r.following_date:
                    moves.append(
                        (_iso(r.following_at), r.following_date.isoformat(), stamp,
                         r.subscription_id)
                    )  # fmt: skip
                if decision.park:
                    parked = decision.park_until or r.retry_at
                    parks.append((_iso(parked), stamp, r.subscription_id))
                if decision.write is None:
                    answers.append((decision.result, old))
                    continue
                if decision.write == "insert":
                    inserts.append((r.subscription_id, key[1], _iso(r.due_at), owner, stamp, stamp))
                else:
                    takeovers.append((owner, stamp, stamp, r.subscription_id, key[1]))
                answers.append(
                    (
                        decision.result,
                        Delivery(
                            subscription_id=r.subscription_id, due_date=r.due_date,
                            due_at=old.due_at if old else r.due_at, status="claimed",
                            claimed_by=owner, claimed_at=now,
                            attempts=old.attempts + 1 if old else 1,
                            message_id=old.message_id if old else None,
                            error=old.error if old else None, updated_at=now,
                        ),
                    )
                )  # fmt: skip
            if new_missed:
                await conn.executemany(
                    "INSERT INTO deliveries (subscription_id, due_date, due_at, status,"
                    " updated_at) VALUES (?, ?, ?, 'missed', ?)",
                    new_missed,
                )
            if superseded:
                await conn.executemany(
                    "UPDATE deliveries SET status = 'missed', error = ?, updated_at = ?"
                    " WHERE subscription_id = ? AND due_date = ?",
                    superseded,
                )
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

    @staticmethod
    async def _logged(
        conn: Any, keys: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], Delivery]:
        """The log entries of ``(subscription, due date)`` keys, by key."""
        found: dict[tuple[int, str], Delivery] = {}
        for chunk in _chunks(keys, 400):
            pairs = ", ".join("(?, ?)" for _ in chunk)
            params = [x for key in chunk for x in key]
            # a join on the primary key: "(a, b) IN (VALUES ...)" would scan the whole log
            rows = await conn.execute_fetchall(
                f"WITH wanted (sid, day) AS (VALUES {pairs}) {SELECT_DELIVERY_D}"
                " JOIN wanted ON d.subscription_id = wanted.sid AND d.due_date = wanted.day",
                params,
            )
            for row in rows:
                d = delivery(row)
                found[(d.subscription_id, d.key)] = d
        return found

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
            writes = FinishWrites.of(outcomes)
            schedule = writes.schedule
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
            seen_only = writes.seen_only
            if seen_only:
                await conn.executemany(
                    "UPDATE subscriptions SET seen_letter_id = max(seen_letter_id, ?),"
                    " updated_at = ? WHERE id = ?",
                    [(o.seen_letter_id, stamp, o.subscription_id) for o in seen_only],
                )
            resets = [(i,) for i in writes.resets]
            if resets:
                await conn.executemany(
                    "DELETE FROM digest_rotation WHERE subscription_id = ?", resets
                )
            picks = [(i, key, stamp) for i, key in writes.picks]
            if picks:
                await conn.executemany(
                    "INSERT INTO digest_rotation (subscription_id, item_key, shown_at)"
                    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    picks,
                )

    async def renew_claims(
        self, keys: Sequence[tuple[int, str]], *, owner: str, now: datetime
    ) -> int:
        if not keys:
            return 0
        stamp = _iso(now)
        async with self._db.write() as conn:
            before = conn.total_changes
            await conn.executemany(
                "UPDATE deliveries SET claimed_at = ? WHERE subscription_id = ? AND due_date = ?"
                " AND status = 'claimed' AND claimed_by = ?",
                [(stamp, sid, key, owner) for sid, key in keys],
            )
            return conn.total_changes - before

    async def reschedule(
        self, subscription_id: int, *, next_due: datetime, next_due_date: date, now: datetime
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE subscriptions SET next_due = ?, next_due_date = ?, updated_at = ?"
                " WHERE id = ?",
                (_iso(next_due), next_due_date.isoformat(), _iso(now), subscription_id),
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
                f"{SELECT_DELIVERY_D} JOIN subscriptions AS s ON d.subscription_id = s.id"
                " AND d.due_date = (SELECT max(x.due_date) FROM deliveries AS x"
                " WHERE x.subscription_id = s.id)"
            )  # one index seek per subscription, whatever the length of the log
        return {int(r[0]): delivery(r) for r in rows}

    # ------------------------------------------------------------------ rotation

    async def rotation_seen(self, subscription_id: int) -> set[str]:
        async with self._db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT item_key FROM digest_rotation WHERE subscription_id = ?",
                (subscription_id,),
            )
        return {str(r[0]) for r in rows}
