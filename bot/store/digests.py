"""Digest subscriptions, the delivery log and the recommendation rotation (SQLite).

The delivery log is what makes a digest arrive once: its primary key is (subscription, local due
date), and a delivery is *claimed* in a write transaction before anything is sent, so two
processes (or a restart) can never both send the same digest.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Sequence
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
    d["next_due"] = _time(d["next_due"])
    d["next_due_date"] = date.fromisoformat(d["next_due_date"])
    for key in ("paused_at", "created_at", "updated_at"):
        d[key] = _time(d[key])
    return Subscription(**d)


def _delivery(row: sqlite3.Row) -> Delivery:
    d: dict[str, Any] = dict(zip(row.keys(), row, strict=True))
    d["due_date"] = date.fromisoformat(d["due_date"])
    for key in ("due_at", "claimed_at", "updated_at"):
        d[key] = _time(d[key])
    return Delivery(**d)


_SUB_COLUMNS = """
    id, kind, guild_id, channel_id, user_id, target_key, local_time, timezone, frequency, weekday,
    topics, language, skip_empty, next_due, next_due_date, seen_letter_id, paused_reason,
    paused_at, notified, created_at, updated_at
"""
_SELECT_SUB = f"SELECT {_SUB_COLUMNS} FROM subscriptions"
_SELECT_DELIVERY = (
    "SELECT subscription_id, due_date, due_at, status, claimed_by, claimed_at, attempts, "
    "message_id, error, updated_at FROM deliveries"
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
    ) -> Subscription:
        """Create or replace the subscription of a target (a channel, or a user's DMs). A
        replaced subscription is active again and keeps its delivery log and rotation."""
        target = f"channel:{channel_id}" if kind == "channel" else f"user:{user_id}"
        values = (
            kind, guild_id, channel_id, user_id, target, local_time, timezone, frequency,
            weekday, json.dumps(list(topics)), language, int(skip_empty), _iso(next_due),
            next_due_date.isoformat(), seen_letter_id, _iso(now), _iso(now),
        )  # fmt: skip
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO subscriptions (kind, guild_id, channel_id, user_id, target_key,"
                " local_time, timezone, frequency, weekday, topics, language, skip_empty,"
                " next_due, next_due_date, seen_letter_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (target_key) DO UPDATE SET guild_id = excluded.guild_id,"
                " user_id = excluded.user_id, local_time = excluded.local_time,"
                " timezone = excluded.timezone, frequency = excluded.frequency,"
                " weekday = excluded.weekday, topics = excluded.topics,"
                " language = excluded.language, skip_empty = excluded.skip_empty,"
                " next_due = excluded.next_due, next_due_date = excluded.next_due_date,"
                " paused_reason = NULL, paused_at = NULL, notified = 0,"
                " updated_at = excluded.updated_at",
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
        key = due_date.isoformat()
        async with self._db.write() as conn:
            for m_date, m_at in missed:
                await conn.execute(
                    "INSERT INTO deliveries (subscription_id, due_date, due_at, status,"
                    " updated_at) VALUES (?, ?, ?, 'missed', ?) ON CONFLICT DO NOTHING",
                    (subscription_id, m_date.isoformat(), _iso(m_at), _iso(now)),
                )
            async with conn.execute(
                f"{_SELECT_DELIVERY} WHERE subscription_id = ? AND due_date = ?",
                (subscription_id, key),
            ) as cur:
                row = await cur.fetchone()
            existing = _delivery(row) if row else None
            if existing is None:
                await conn.execute(
                    "INSERT INTO deliveries (subscription_id, due_date, due_at, status,"
                    " claimed_by, claimed_at, attempts, updated_at)"
                    " VALUES (?, ?, ?, 'claimed', ?, ?, 1, ?)",
                    (subscription_id, key, _iso(due_at), owner, _iso(now), _iso(now)),
                )
                result: ClaimResult = "claimed"
            elif existing.status in ("sent", "skipped", "missed"):
                return "done", existing
            elif (
                existing.status == "claimed"
                and existing.claimed_at
                and (now - existing.claimed_at < stale_after)
            ):
                return "busy", existing
            else:  # a stale claim, or a failed attempt to retry
                result = "taken-over" if existing.status == "claimed" else "retry"
                await conn.execute(
                    "UPDATE deliveries SET status = 'claimed', claimed_by = ?, claimed_at = ?,"
                    " attempts = attempts + 1, updated_at = ?"
                    " WHERE subscription_id = ? AND due_date = ?",
                    (owner, _iso(now), _iso(now), subscription_id, key),
                )
            await conn.execute(
                "UPDATE subscriptions SET next_due = ?, updated_at = ? WHERE id = ?",
                (_iso(retry_at), _iso(now), subscription_id),
            )
            async with conn.execute(
                f"{_SELECT_DELIVERY} WHERE subscription_id = ? AND due_date = ?",
                (subscription_id, key),
            ) as cur:
                row = await cur.fetchone()
        return result, _delivery(row)

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
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE deliveries SET status = ?, message_id = ?, error = ?, updated_at = ?"
                " WHERE subscription_id = ? AND due_date = ?",
                (status, message_id, error, _iso(now), subscription_id, due_date.isoformat()),
            )
            await conn.execute(
                "UPDATE subscriptions SET next_due = ?, next_due_date = ?,"
                " seen_letter_id = coalesce(?, seen_letter_id),"
                " paused_reason = coalesce(?, paused_reason),"
                " paused_at = CASE WHEN ? IS NULL THEN paused_at ELSE ? END,"
                " updated_at = ? WHERE id = ?",
                (
                    _iso(next_due), next_due_date.isoformat(), seen_letter_id, pause_reason,
                    pause_reason, _iso(now), _iso(now), subscription_id,
                ),
            )  # fmt: skip

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
