"""Digest subscriptions, the delivery log and the rotation of the recommendation of the day
(PostgreSQL, migration 0003).

Exactly once across processes: ``claim_many`` locks the rows of the subscriptions it claims
(``SELECT ... FOR UPDATE SKIP LOCKED``, as procrastinate does), so two processes never decide
about one occurrence at the same time; a subscription another process is claiming right now is
answered ``busy`` (it is being sent). The log's primary key (subscription, due date) is the
backstop. Which claim an occurrence gets is still decided by the ``ClaimPolicy`` the digest
service passes in, inside the claiming transaction.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

import asyncpg

from bot.store.base import ClaimPolicy
from bot.store.postgres.db import Pg, aware, utc
from bot.store.postgres.letters import _rowcount
from bot.store.records import (
    ClaimRequest,
    ClaimResult,
    Delivery,
    FinishWrites,
    Outcome,
    Subscription,
)

#: What an unfinished log entry says once a later occurrence superseded it.
SUPERSEDED = "unfinished attempt, superseded by a later digest"

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


def _subscription(row: asyncpg.Record) -> Subscription:
    d: dict[str, Any] = dict(row.items())
    d["topics"] = tuple(json.loads(d["topics"]))
    for key in ("next_due", "paused_at", "created_at", "updated_at"):
        d[key] = aware(d[key])
    return Subscription(**d)


def delivery(row: asyncpg.Record) -> Delivery:
    d: dict[str, Any] = dict(row.items())
    day, _, extra = str(d["due_date"]).partition("#")
    d["due_date"] = date.fromisoformat(day)
    d["extra"] = int(extra) if extra else 0
    for key in ("due_at", "claimed_at", "updated_at"):
        d[key] = aware(d[key])
    return Delivery(**d)


class PgDigestRepository:
    def __init__(self, db: Pg) -> None:
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
        target = f"channel:{channel_id}" if kind == "channel" else f"user:{user_id}"
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO subscriptions (kind, guild_id, channel_id, user_id, target_key,"
                " local_time, timezone, frequency, weekday, topics, language, skip_empty,"
                " next_due, next_due_date, seen_letter_id, created_at, updated_at, new_only)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
                " $16, $16, $17)"
                " ON CONFLICT (target_key) DO UPDATE SET guild_id = excluded.guild_id,"
                " user_id = excluded.user_id, local_time = excluded.local_time,"
                " timezone = excluded.timezone, frequency = excluded.frequency,"
                " weekday = excluded.weekday, topics = excluded.topics,"
                " language = excluded.language, skip_empty = excluded.skip_empty,"
                " next_due = excluded.next_due, next_due_date = excluded.next_due_date,"
                " paused_reason = NULL, paused_at = NULL, notified = false,"
                " updated_at = excluded.updated_at, new_only = excluded.new_only",
                kind, guild_id, channel_id, user_id, target, local_time, timezone, frequency,
                weekday, json.dumps(list(topics)), language, bool(skip_empty), utc(next_due),
                next_due_date, seen_letter_id, utc(now), bool(new_only),
            )  # fmt: skip
            row = await conn.fetchrow(f"{_SELECT_SUB} WHERE target_key = $1", target)
        return _subscription(row)

    async def get(self, subscription_id: int) -> Subscription | None:
        async with self._db.read() as conn:
            row = await conn.fetchrow(f"{_SELECT_SUB} WHERE id = $1", subscription_id)
        return _subscription(row) if row else None

    async def by_target(self, target_key: str) -> Subscription | None:
        async with self._db.read() as conn:
            row = await conn.fetchrow(f"{_SELECT_SUB} WHERE target_key = $1", target_key)
        return _subscription(row) if row else None

    async def list(
        self, *, guild_id: int | None = None, user_id: int | None = None
    ) -> builtins.list[Subscription]:
        clauses, params = [], []
        if guild_id is not None:
            params.append(guild_id)
            clauses.append(f"guild_id = ${len(params)}")
        if user_id is not None:
            params.append(user_id)
            clauses.append(f"user_id = ${len(params)}")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        async with self._db.read() as conn:
            rows = await conn.fetch(f"{_SELECT_SUB}{where} ORDER BY id", *params)
        return [_subscription(r) for r in rows]

    async def delete(self, subscription_id: int) -> bool:
        async with self._db.write() as conn:
            status = await conn.execute("DELETE FROM subscriptions WHERE id = $1", subscription_id)
        return _rowcount(status) > 0

    async def prune_deliveries(self, *, before: datetime) -> int:
        async with self._db.write() as conn:
            status = await conn.execute(
                "DELETE FROM deliveries WHERE due_at < $1 AND status != 'claimed'", utc(before)
            )
        return _rowcount(status)

    async def delete_where(self, *, guild_id: int | None = None, user_id: int | None = None) -> int:
        if guild_id is None and user_id is None:
            raise ValueError("say whose subscriptions to delete")
        async with self._db.write() as conn:
            if guild_id is not None:
                status = await conn.execute(
                    "DELETE FROM subscriptions WHERE guild_id = $1", guild_id
                )
            else:
                status = await conn.execute("DELETE FROM subscriptions WHERE user_id = $1", user_id)
        return _rowcount(status)

    # ------------------------------------------------------------------ the schedule

    async def earliest_due(self) -> datetime | None:
        async with self._db.read() as conn:
            value = await conn.fetchval(
                "SELECT min(next_due) FROM subscriptions WHERE paused_reason IS NULL"
            )
        return aware(value)

    async def due(self, now: datetime, *, limit: int = 500) -> builtins.list[Subscription]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                f"{_SELECT_SUB} WHERE paused_reason IS NULL AND next_due <= $1"
                " ORDER BY next_due, id LIMIT $2",
                utc(now),
                limit,
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
        stamp = utc(now)
        answers: builtins.list[tuple[ClaimResult, Delivery | None]] = []
        async with self._db.write() as conn:
            # Our rows, locked until we commit; those another process is claiming are skipped.
            locked = {
                int(r[0])
                for r in await conn.fetch(
                    "SELECT id FROM subscriptions WHERE id = ANY($1::bigint[])"
                    " ORDER BY id FOR UPDATE SKIP LOCKED",
                    [r.subscription_id for r in requests],
                )
            }
            mine = [r for r in requests if r.subscription_id in locked]
            keys = [(r.subscription_id, r.due_date.isoformat()) for r in mine]
            missed_keys = [
                (r.subscription_id, d.isoformat(), at) for r in mine for d, at in r.missed
            ]
            logged = await self._logged(conn, keys + [(s, d) for s, d, _ in missed_keys])
            new_missed, superseded = [], []
            for sid, day, at in missed_keys:
                what = policy.missed(logged.get((sid, day)))
                if what == "insert":
                    new_missed.append((sid, day, utc(at), stamp))
                elif what == "supersede":
                    superseded.append((SUPERSEDED, stamp, sid, day))
            inserts, takeovers, parks, moves = [], [], [], []
            decided: dict[int, tuple[ClaimResult, Delivery | None]] = {}
            for r, key in zip(mine, keys, strict=True):
                old = logged.get(key)
                decision = policy.claim(r, old, now=now)
                if decision.move_on and r.following_at is not None and r.following_date:
                    moves.append((utc(r.following_at), r.following_date, stamp, r.subscription_id))
                if decision.park:
                    parked = decision.park_until or r.retry_at
                    parks.append((utc(parked), stamp, r.subscription_id))
                if decision.write is None:
                    decided[r.subscription_id] = (decision.result, old)
                    continue
                if decision.write == "insert":
                    inserts.append((r.subscription_id, key[1], utc(r.due_at), owner, stamp))
                else:
                    takeovers.append((owner, stamp, r.subscription_id, key[1]))
                decided[r.subscription_id] = (
                    decision.result,
                    Delivery(
                        subscription_id=r.subscription_id, due_date=r.due_date,
                        due_at=old.due_at if old else r.due_at, status="claimed",
                        claimed_by=owner, claimed_at=now,
                        attempts=old.attempts + 1 if old else 1,
                        message_id=old.message_id if old else None,
                        error=old.error if old else None, updated_at=now,
                    ),
                )  # fmt: skip
            if new_missed:
                await conn.executemany(
                    "INSERT INTO deliveries (subscription_id, due_date, due_at, status,"
                    " updated_at) VALUES ($1, $2, $3, 'missed', $4)",
                    new_missed,
                )
            if superseded:
                await conn.executemany(
                    "UPDATE deliveries SET status = 'missed', error = $1, updated_at = $2"
                    " WHERE subscription_id = $3 AND due_date = $4",
                    superseded,
                )
            if inserts:
                await conn.executemany(
                    "INSERT INTO deliveries (subscription_id, due_date, due_at, status,"
                    " claimed_by, claimed_at, attempts, updated_at)"
                    " VALUES ($1, $2, $3, 'claimed', $4, $5, 1, $5)",
                    inserts,
                )
            if takeovers:
                await conn.executemany(
                    "UPDATE deliveries SET status = 'claimed', claimed_by = $1, claimed_at = $2,"
                    " attempts = attempts + 1, updated_at = $2"
                    " WHERE subscription_id = $3 AND due_date = $4",
                    takeovers,
                )
            if parks:
                await conn.executemany(
                    "UPDATE subscriptions SET next_due = $1, updated_at = $2 WHERE id = $3", parks
                )
            if moves:
                await conn.executemany(
                    "UPDATE subscriptions SET next_due = $1, next_due_date = $2, updated_at = $3"
                    " WHERE id = $4",
                    moves,
                )
        for r in requests:
            answers.append(decided.get(r.subscription_id, ("busy", None)))
        return answers

    @staticmethod
    async def _logged(
        conn: asyncpg.Connection, keys: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], Delivery]:
        if not keys:
            return {}
        rows = await conn.fetch(
            f"{SELECT_DELIVERY_D} JOIN unnest($1::bigint[], $2::text[]) AS w (sid, day)"
            " ON d.subscription_id = w.sid AND d.due_date = w.day",
            [k[0] for k in keys],
            [k[1] for k in keys],
        )
        found: dict[tuple[int, str], Delivery] = {}
        for row in rows:
            d = delivery(row)
            found[(d.subscription_id, d.key)] = d
        return found

    async def finish_many(self, outcomes: Sequence[Outcome], *, now: datetime) -> None:
        if not outcomes:
            return
        stamp = utc(now)
        async with self._db.write() as conn:
            await conn.executemany(
                "UPDATE deliveries SET status = $1, message_id = $2, error = $3, updated_at = $4"
                " WHERE subscription_id = $5 AND due_date = $6",
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
                    "UPDATE subscriptions SET next_due = $1, next_due_date = $2,"
                    " seen_letter_id = coalesce($3, seen_letter_id),"
                    " paused_reason = coalesce($4, paused_reason),"
                    " paused_at = CASE WHEN $4::text IS NULL THEN paused_at ELSE $5 END,"
                    " updated_at = $5 WHERE id = $6",
                    [
                        (
                            utc(o.next_due), o.next_due_date or o.due_date, o.seen_letter_id,
                            o.pause_reason, stamp, o.subscription_id,
                        )
                        for o in schedule
                        if o.next_due is not None
                    ],
                )  # fmt: skip
            seen_only = writes.seen_only
            if seen_only:
                await conn.executemany(
                    "UPDATE subscriptions SET seen_letter_id = greatest(seen_letter_id, $1),"
                    " updated_at = $2 WHERE id = $3",
                    [(o.seen_letter_id, stamp, o.subscription_id) for o in seen_only],
                )
            resets = [(i,) for i in writes.resets]
            if resets:
                await conn.executemany(
                    "DELETE FROM digest_rotation WHERE subscription_id = $1", resets
                )
            picks = [(i, key, stamp) for i, key in writes.picks]
            if picks:
                await conn.executemany(
                    "INSERT INTO digest_rotation (subscription_id, item_key, shown_at)"
                    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    picks,
                )

    async def renew_claims(
        self, keys: Sequence[tuple[int, str]], *, owner: str, now: datetime
    ) -> int:
        if not keys:
            return 0
        async with self._db.write() as conn:
            renewed = await conn.fetchval(
                "WITH renewed AS (UPDATE deliveries d SET claimed_at = $1"
                " FROM unnest($2::bigint[], $3::text[]) AS k(sid, key)"
                " WHERE d.subscription_id = k.sid AND d.due_date = k.key"
                " AND d.status = 'claimed' AND d.claimed_by = $4 RETURNING 1)"
                " SELECT count(*) FROM renewed",
                utc(now), [sid for sid, _ in keys], [key for _, key in keys], owner,
            )  # fmt: skip
        return int(renewed)

    async def reschedule(
        self, subscription_id: int, *, next_due: datetime, next_due_date: date, now: datetime
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE subscriptions SET next_due = $1, next_due_date = $2, updated_at = $3"
                " WHERE id = $4",
                utc(next_due),
                next_due_date,
                utc(now),
                subscription_id,
            )

    async def mark_notified(self, subscription_id: int) -> bool:
        async with self._db.write() as conn:
            status = await conn.execute(
                "UPDATE subscriptions SET notified = true WHERE id = $1 AND NOT notified",
                subscription_id,
            )
        return _rowcount(status) > 0

    async def claim_extra(
        self, subscription_id: int, day: date, *, owner: str, now: datetime
    ) -> Delivery:
        stamp = utc(now)
        async with self._db.write() as conn:
            # the subscription's row lock: two extras of one day never get the same number
            await conn.execute(
                "SELECT 1 FROM subscriptions WHERE id = $1 FOR UPDATE", subscription_id
            )
            rows = await conn.fetch(
                "SELECT due_date FROM deliveries WHERE subscription_id = $1"
                " AND starts_with(due_date, $2)",
                subscription_id,
                f"{day.isoformat()}#",
            )
            n = 1 + max((int(str(r[0]).partition("#")[2] or 0) for r in rows), default=0)
            await conn.execute(
                "INSERT INTO deliveries (subscription_id, due_date, due_at, status, claimed_by,"
                " claimed_at, attempts, updated_at) VALUES ($1, $2, $3, 'claimed', $4, $3, 1, $3)",
                subscription_id,
                f"{day.isoformat()}#{n}",
                stamp,
                owner,
            )
        return Delivery(
            subscription_id=subscription_id, due_date=day, due_at=now, status="claimed",
            claimed_by=owner, claimed_at=now, attempts=1, message_id=None, error=None,
            updated_at=now, extra=n,
        )  # fmt: skip

    async def latest_deliveries(self) -> dict[int, Delivery]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT ON (d.subscription_id)"
                f" {SELECT_DELIVERY_D.removeprefix('SELECT ')}"
                ' ORDER BY d.subscription_id, d.due_date COLLATE "C" DESC'
            )
        return {int(r[0]): delivery(r) for r in rows}

    # ------------------------------------------------------------------ rotation

    async def rotation_seen(self, subscription_id: int) -> set[str]:
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT item_key FROM digest_rotation WHERE subscription_id = $1", subscription_id
            )
        return {str(r[0]) for r in rows}
