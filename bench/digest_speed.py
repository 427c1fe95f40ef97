"""Daily digests at scale: a burst of 10,000 due in the same minute, and the scheduler's idle cost.

    python bench/digest_speed.py            # both parts; the burst without and with a global limit
    python bench/digest_speed.py --part burst --global-limit 0 [--pace 45]
        [--subs 10000] [--dms 1000] [--guilds 100] [--concurrency 64]
    python bench/digest_speed.py --part scheduler [--scheduler-subs 100000] [--wakeups 1000]

Part 1, the burst. The real bot (discord.py client, Digests cog, DigestScheduler, DiscordSender,
real HTTP over loopback) runs against the in-process protocol-level Discord test server, which
enforces its per-route buckets (50 requests/s per route and channel, with Discord's
``X-RateLimit-*`` headers) and a global limit per ``--global-limit`` (requests/s across all
routes; one burst per comma-separated value, default ``0,50``: off, then Discord's default global
limit for a bot, 50/s). ``--subs`` subscriptions (``--dms`` of them personal DM digests, the rest
channel digests spread over ``--guilds`` servers, one per channel) in five time zones are all due
at the same UTC minute. The store holds the bundled letter plus the dev corpus
(``../shared/corpus/letters/*.txt``) when present and one server-private letter; a fifth of the
subscriptions have the newest letter still unseen (a digest with a new letter: summary and
actions), the others get the recommendation of the day; a quarter filter on a topic.

The clock is the system clock shifted so that the due minute comes 1 s after the bot is ready and
warm; the scheduler sleeps until then like in production. Lateness of a digest = when its message
reached the server minus its due instant. Prints: time from due to the last delivery (target: all
within 60 s), p50/p95/max lateness, 429s, messages sent (must equal the number of subscriptions:
each digest exactly once), the delivery log, requests by route, event-loop lag and open fds
during the burst, peak RSS (bot and test server share the process).

The bot paces its own REST calls (``BRIEFBOT_MAX_REQUESTS_PER_SECOND``, default 45, under
Discord's global 50/s; see ``bot/chat/http_tuning.py``). A burst with the global limit off runs
the bot unpaced (what a bot whose global limit Discord raised can do: per-route buckets only);
with a global limit it runs paced as shipped. ``--pace N`` overrides both.

Part 2, the scheduler. ``--scheduler-subs`` subscriptions in a store (due times spread over a day,
2% paused); a wake-up is what ``DigestScheduler`` does when it wakes: ``run_due`` (its due fetch,
plus claim, build, send to a sender without network, and log for each due subscription) and then
the earliest-due query. p50/p95 over many wake-ups with nothing due (target under 10 ms), with
three due, and at an ordinary minute (about 70 due); the DB size, memory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from common import REPO, LagMonitor, corpus_dir, peak_rss_mb

sys.path.insert(0, str(REPO))

from bot.chat.client import BriefbotClient
from bot.services import digests as digest_svc
from bot.services.app import Services
from bot.services.clock import MAX_SLEEP, Clock
from bot.services.digests import delivery as digest_delivery
from bot.services.scope import Scope
from bot.settings import Settings
from bot.store.records import Subscription
from tests.discord_server import DiscordTestServer, running_bot
from tests.discord_server.state import Permissions
from tests.letters import HandmadeLetter

# Friday 27 November 2026, 08:00 UTC: the same instant in five zones.
DUE = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
ZONES = [
    ("Europe/Amsterdam", "09:00"),
    ("Europe/London", "08:00"),
    ("America/New_York", "03:00"),
    ("UTC", "08:00"),
    ("Asia/Tokyo", "17:00"),
]
POST_MESSAGE = "POST /channels/{channel_id}/messages"


class BenchBot(BriefbotClient):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


class ShiftedClock:
    """The system clock, shifted: it runs at real speed but shows the time we choose."""

    def __init__(self, shows: datetime) -> None:
        self.offset = shows - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def jump(self, shows: datetime) -> None:
        self.offset = shows - datetime.now(UTC)

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        delay = min(when - self.now(), MAX_SLEEP).total_seconds()
        if delay <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=delay)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def rss_now_mb() -> float:
    try:
        for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def files_size(folder: Path, pattern: str) -> int:
    return sum(p.stat().st_size for p in folder.glob(pattern))


def open_fds() -> int:
    try:
        return sum(1 for _ in Path(f"/proc/{os.getpid()}/fd").iterdir())
    except OSError:
        return -1


class Sampler(LagMonitor):
    """Every 10 ms: how late the event loop wakes (its lag, ms) and how many fds are open."""

    def __init__(self) -> None:
        super().__init__()
        self.fds = 0

    @property
    def lag(self) -> list[float]:
        return self.samples

    def tick(self) -> None:
        if len(self.samples) % 10 == 0:
            self.fds = max(self.fds, open_fds())


def _sub_rows(
    n: int,
    *,
    dms: int,
    channels: list[tuple[int, int]],
    users: list[int],
    topic: str | None,
    newest: int,
    due: datetime,
    rng: random.Random,
) -> list[tuple]:
    """Rows for ``subscriptions``: ``channels`` are (guild_id, channel_id); all due at ``due``."""
    now = datetime.now(UTC).isoformat()
    rows = []
    for i in range(n):
        zone, at = ZONES[i % len(ZONES)]
        local_date = due.astimezone(ZoneInfo(zone)).date().isoformat()
        topics = json.dumps([topic] if topic and i % 4 == 1 else [])
        seen = newest - 1 if i % 5 == 2 else newest
        language = "nl" if i % 2 else "en"
        if i < dms:
            kind, guild, channel, user = "user", None, None, users[i % len(users)]
            key = f"user:{user}"
        else:
            guild, channel = channels[i - dms]
            kind, user, key = "channel", users[rng.randrange(len(users))], f"channel:{channel}"
        rows.append(
            (
                kind, guild, channel, user, key, at, zone, "daily", 4, topics, language, 0,
                due.isoformat(), local_date, seen, now, now,
            )
        )  # fmt: skip
    return rows


def insert_subscriptions(db: Path, rows: list[tuple]) -> None:
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO subscriptions (kind, guild_id, channel_id, user_id, target_key,"
            " local_time, timezone, frequency, weekday, topics, language, skip_empty,"
            " next_due, next_due_date, seen_letter_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def seeded_app(
    settings: Settings, *, corpus: bool, clock: Clock | None = None
) -> tuple[Services, str]:
    app = await Services.open(settings, clock=clock)  # seeds the bundled letter
    note = "bundled letter"
    folder = corpus_dir() if corpus else None
    if folder is not None:
        await app.letters.add_path(sorted(folder.glob("*.txt")))
        note += f" + {len(list(folder.glob('*.txt')))} corpus letters"
    return app, note


# ---------------------------------------------------------------------------------- the burst


async def burst(args: argparse.Namespace, global_limit: int | None) -> None:
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "digests.sqlite3"
        shipped = Settings.model_fields["max_requests_per_second"].default
        pace = args.pace if args.pace is not None else (shipped if global_limit else 0)
        settings = Settings(
            BRIEFBOT_DB=db,
            BRIEFBOT_LETTERS_DIR=REPO / "data" / "letters",
            DISCORD_TOKEN="bench",
            BRIEFBOT_MAX_REQUESTS_PER_SECOND=pace,
        )
        t = time.perf_counter()
        clock = ShiftedClock(DUE - timedelta(hours=1))
        app, note = await seeded_app(settings, corpus=not args.no_corpus, clock=clock)
        async with DiscordTestServer(
            token="bench", interaction_response_window=None, global_rate_limit=global_limit
        ) as server:
            guilds = [server.add_guild(f"server {g}") for g in range(args.guilds)]
            users = [server.add_user(f"user{u}") for u in range(max(args.dms, 50))]
            for u, user in enumerate(users):
                server.add_member(guilds[u % len(guilds)], user, permissions=Permissions.DEFAULT)
            n_channels = args.subs - args.dms
            channels = []
            for c in range(n_channels):
                guild = guilds[c % len(guilds)]
                channels.append((guild.id, server.add_channel(guild, f"digest-{c}").id))
            # a letter only the first server sees
            private = HandmadeLetter(subject="Opvang van minderjarige slachtoffers")
            await app.letters.add_upload(
                private.text().encode(), filename="p.txt", guild_id=guilds[0].id
            )
            newest = max(r.id for r in app.catalog.by_id.values() if r.guild_id is None)
            topic = await app.recommendations.resolve_topic("mensenhandel", Scope(None))
            rows = _sub_rows(
                args.subs, dms=args.dms, channels=channels, users=[u.id for u in users],
                topic=topic, newest=newest, due=DUE, rng=rng,
            )  # fmt: skip
            insert_subscriptions(db, rows)
            setup_s = time.perf_counter() - t

            clock.jump(DUE - timedelta(hours=1))
            bot = BenchBot(settings, app, guild_ready_timeout=0.01)
            async with running_bot(server, bot, token="bench", ready_timeout=300):
                await app.warm()
                await asyncio.wait_for(app.scheduler.idle("digests").wait(), 60)
                before = len(server.requests)
                rss_before = rss_now_mb()
                fds_before = open_fds()
                limited_before = server.rate_limited_count
                sampler = Sampler()
                sampler.start()
                lead = 1.0
                clock.jump(DUE - timedelta(seconds=lead))
                due_mono = time.monotonic() + lead
                app.digests.changed.set()  # like a subscription change: the scheduler re-plans
                deadline = due_mono + args.timeout

                posts_seen, count = len(server.requests_for(POST_MESSAGE)), 0
                while count < args.subs and time.monotonic() < deadline:
                    await asyncio.sleep(0.25)
                    log = server.requests_for(POST_MESSAGE)
                    count += sum(1 for r in log[posts_seen:] if r.status == 200)
                    posts_seen = len(log)
                await server.settle(1.0, timeout=60)
                await asyncio.wait_for(app.scheduler.idle("digests").wait(), 60)
                sampler.stop()

                posts = [
                    r
                    for r in server.requests_for(POST_MESSAGE)
                    if r.status == 200 and r.time >= due_mono - lead
                ]
                markers: Counter[str] = Counter()
                last_at: dict[str, float] = {}
                for r in posts:
                    footer = ((r.json or {}).get("embeds") or [{}])[0].get("footer") or {}
                    marker = (footer.get("text") or "").split("· ")[-1]
                    markers[marker] += 1
                    last_at[marker] = max(last_at.get(marker, 0.0), r.time)
                lateness = [t - due_mono for t in last_at.values()]
                routes = Counter(
                    f"{r.route} {r.status}" for r in server.requests[before:] if r.route
                )
                with sqlite3.connect(db) as conn:
                    statuses = dict(
                        conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status")
                    )
                    pending = conn.execute(
                        "SELECT count(*) FROM subscriptions WHERE next_due <= ?",
                        (DUE.isoformat(),),
                    ).fetchone()[0]
                dup = sum(1 for c in markers.values() if c > 1)
                print(
                    f"digest burst: {args.subs:,} subscriptions due at the same minute "
                    f"({args.subs - args.dms:,} channels in {args.guilds} servers, "
                    f"{args.dms:,} DMs), 5 zones"
                )
                print(
                    f"store: {len(app.catalog.by_id)} letters ({note} + 1 private); "
                    f"setup {setup_s:.1f} s; DigestService CONCURRENCY "
                    f"{digest_delivery.CONCURRENCY}, DM_CONCURRENCY "
                    f"{digest_delivery.DM_CONCURRENCY}, BATCH {digest_delivery.BATCH}"
                )
                print(
                    "rate limits: 50 requests/s per route bucket (test server default), global "
                    + (f"{global_limit}/s" if global_limit else "off")
                    + (f"; the bot paces itself at {pace} requests/s" if pace else "; bot unpaced")
                )
                if lateness:
                    print(
                        f"due -> last delivery: {max(lateness):.1f} s  "
                        f"(lateness p50 {pct(lateness, 0.5):.1f} s, "
                        f"p95 {pct(lateness, 0.95):.1f} s, max {max(lateness):.1f} s; within 60 s: "
                        f"{sum(1 for x in lateness if x <= 60):,}/{args.subs:,})"
                    )
                print(
                    f"messages sent: {len(posts):,} for {len(markers):,} distinct digests "
                    f"(expected {args.subs:,}); digests sent twice: {dup}; "
                    f"delivery log: {statuses}; still due: {pending}"
                )
                print(f"429s received: {server.rate_limited_count - limited_before:,}")
                needed = sum(1 for r in server.requests[before:] if r.status == 200)
                if global_limit:
                    print(
                        f"  {needed:,} successful requests at {global_limit}/s: no bot can "
                        f"finish in under {needed / global_limit:.0f} s"
                    )
                print(
                    f"event-loop lag during the burst (ms): p50 {pct(sampler.lag, 0.5):.1f}, "
                    f"p99 {pct(sampler.lag, 0.99):.1f}, max {max(sampler.lag, default=0):.1f}; "
                    f"open fds {fds_before} before, {sampler.fds} at most"
                )
                print("requests: " + ", ".join(f"{k} x{v}" for k, v in routes.most_common()))
                print(
                    f"memory: RSS before the burst {rss_before:.0f} MiB, peak {peak_rss_mb():.0f} "
                    "MiB (bot + test server + its request log in one process)"
                )
        await app.close()


# ------------------------------------------------------------------------------ the scheduler


class NullSender:
    """Accepts every digest without any network: isolates the scheduler's own cost."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, sub: Subscription, digest: digest_svc.Digest) -> int:
        self.sent += 1
        return self.sent

    async def find_sent(self, sub: Subscription, digest: digest_svc.Digest) -> int | None:
        return None

    async def notify_paused(self, sub: Subscription, reason: str) -> None:
        return None

    async def check_membership(self, sub: Subscription) -> None:
        return None


class FrozenClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        return None


async def scheduler(args: argparse.Namespace) -> None:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "schedule.sqlite3"
        settings = Settings(BRIEFBOT_DB=db, BRIEFBOT_LETTERS_DIR=REPO / "data" / "letters")
        start = DUE
        clock = FrozenClock(start)
        app = await Services.open(settings, clock=clock)
        newest = max(app.catalog.by_id)
        n = args.scheduler_subs
        # due times spread over the next 24 h, whole minutes, as real schedules are
        minutes = sorted(rng.randrange(1, 24 * 60) for _ in range(n))
        rows = []
        now_iso = datetime.now(UTC).isoformat()
        for i, m in enumerate(minutes):
            due = start + timedelta(minutes=m)
            zone = "UTC"
            kind = "user" if i % 10 == 0 else "channel"
            rows.append(
                (
                    kind, 1000 + i % 500 if kind == "channel" else None,
                    10_000_000 + i if kind == "channel" else None, 20_000_000 + i,
                    f"{kind}:{i}", due.strftime("%H:%M"), zone, "daily", 4, "[]",
                    "nl", 0, due.isoformat(), due.date().isoformat(), newest,
                    "the channel was deleted" if i % 50 == 7 else None, now_iso, now_iso,
                )
            )  # fmt: skip
        with sqlite3.connect(db) as conn:
            conn.executemany(
                "INSERT INTO subscriptions (kind, guild_id, channel_id, user_id, target_key,"
                " local_time, timezone, frequency, weekday, topics, language, skip_empty,"
                " next_due, next_due_date, seen_letter_id, paused_reason, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            history = (
                (sid, (start.date() - timedelta(days=day)).isoformat(), now_iso, now_iso)
                for day in range(1, args.history_days + 1)
                for sid in range(1, n + 1)
            )
            conn.executemany(
                "INSERT INTO deliveries (subscription_id, due_date, due_at, status, updated_at)"
                " VALUES (?, ?, ?, 'sent', ?)",
                history,
            )
        conn.close()
        await app.warm()
        service = app.digests
        sender = NullSender()
        repo = app.store.digests

        async def wake() -> float:
            t = time.perf_counter()
            await service.run_due(sender)
            await repo.earliest_due()
            return (time.perf_counter() - t) * 1000

        idle = []
        for _ in range(args.wakeups):  # nothing due: 30 s before the first
            clock.at = start + timedelta(seconds=rng.randrange(0, 30))
            idle.append(await wake())
        few, few_handled = [], []
        ids = rng.sample(range(1, n + 1), k=3 * (args.wakeups // 5))
        clock.at = start + timedelta(seconds=40)
        for k in range(args.wakeups // 5):  # three made due just before each wake-up
            for sid in ids[3 * k : 3 * k + 3]:
                await repo.reschedule(
                    sid, next_due=clock.at - timedelta(seconds=1), next_due_date=start.date(),
                    now=clock.at,
                )  # fmt: skip
            before = sender.sent
            few.append(await wake())
            few_handled.append(sender.sent - before)
        busy, handled = [], []
        for k in range(args.wakeups // 10):  # walk through the day, a minute per wake-up
            clock.at = start + timedelta(minutes=1 + k)
            before = sender.sent
            busy.append(await wake())
            handled.append(sender.sent - before)
        q_earliest, q_due = [], []
        for _ in range(args.wakeups):
            t = time.perf_counter()
            await repo.earliest_due()
            q_earliest.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            await repo.due(start, limit=digest_delivery.BATCH)
            q_due.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        latest = await repo.latest_deliveries()
        listing_ms = (time.perf_counter() - t) * 1000
        size = files_size(Path(tmp), "schedule.sqlite3")
        wal = files_size(Path(tmp), "schedule.sqlite3-wal")
        print(
            f"\nscheduler: {n:,} stored subscriptions (2% paused), due times over 24 h, "
            f"{args.history_days} days of delivery log ({n * args.history_days:,} rows); "
            f"DB {size / 1e6:.0f} MB (+ {wal / 1e6:.0f} MB not yet checkpointed WAL)"
        )
        print(
            f"wake-up with nothing due (run_due + earliest_due), {len(idle)} wake-ups: "
            f"p50 {pct(idle, 0.5):.2f} ms, p95 {pct(idle, 0.95):.2f} ms, max {max(idle):.2f} ms"
        )
        print(
            f"  earliest-due query p50 {pct(q_earliest, 0.5):.3f} ms, p95 "
            f"{pct(q_earliest, 0.95):.3f} ms; due fetch p50 {pct(q_due, 0.5):.3f} ms, "
            f"p95 {pct(q_due, 0.95):.3f} ms"
        )
        print(
            f"wake-up with a few due ({statistics.mean(few_handled):.0f} each; claim, build, "
            f"send to a sender without network, log), {len(few)} wake-ups: "
            f"p50 {pct(few, 0.5):.2f} ms, p95 {pct(few, 0.95):.2f} ms"
        )
        per = [b / h for b, h in zip(busy, handled, strict=True) if h]
        print(
            f"wake-up at a minute of an ordinary day ({statistics.mean(handled):.0f} due on "
            f"average, max {max(handled)}), {len(busy)} wake-ups: p50 {pct(busy, 0.5):.1f} ms, "
            f"p95 {pct(busy, 0.95):.1f} ms; {statistics.mean(per):.2f} ms per digest"
        )
        print(
            f"last delivery of every subscription (`briefbot digest list`): {listing_ms:.0f} ms "
            f"for {len(latest):,}"
        )
        print(f"memory: RSS {rss_now_mb():.0f} MiB now, peak {peak_rss_mb():.0f} MiB")
        await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--part", choices=("all", "burst", "scheduler"), default="all")
    parser.add_argument("--subs", type=int, default=10_000)
    parser.add_argument("--dms", type=int, default=1_000)
    parser.add_argument("--guilds", type=int, default=100)
    parser.add_argument(
        "--global-limit",
        default="0,50",
        help="global requests/s of the test server, one burst per value (0 = off; Discord's "
        "default for a bot: 50); default 0,50",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after (s)")
    parser.add_argument(
        "--pace",
        type=int,
        default=None,
        help="the bot's own limit, requests/s (BRIEFBOT_MAX_REQUESTS_PER_SECOND; 0 = unpaced); "
        "default: unpaced with the global limit off, as shipped with it on",
    )
    parser.add_argument("--no-corpus", action="store_true", help="only the bundled letter")
    parser.add_argument(
        "--concurrency", type=int, default=0, help="override DigestService.CONCURRENCY"
    )
    parser.add_argument("--scheduler-subs", type=int, default=100_000)
    parser.add_argument("--wakeups", type=int, default=1000)
    parser.add_argument("--history-days", type=int, default=14, help="delivery log per sub")
    args = parser.parse_args()
    if args.concurrency:
        digest_delivery.CONCURRENCY = args.concurrency
    if args.part in ("all", "burst"):
        for value in args.global_limit.split(","):
            asyncio.run(burst(args, int(value) or None))
            print()
    if args.part in ("all", "scheduler"):
        asyncio.run(scheduler(args))


if __name__ == "__main__":
    main()
