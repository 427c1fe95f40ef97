"""Two bot processes on one store against one: interactions, and digests with a SIGKILL.

    python bench/two_process.py [--backend postgresql|sqlite] [--interactions 1000]
                                [--concurrency 50] [--digests 2000] [--window 60] [--stale 5]

Each configuration runs real ``briefbot run`` processes (subprocesses, as in production)
against the project's Discord test server in this process, on one fresh store (a temporary
PostgreSQL started here, or a SQLite WAL file), with eight servers spread over two shards:

- **one process** serving both shards (``--shards 0-1 --shard-count 2``): the baseline;
- **two processes**, one shard each (``0-0`` and ``1-1``).

Then, in each:

1. ``--interactions`` mixed interactions (summary, recommendations, quote, ask, letters and
   three autocompletes, on the servers of both shards, many users) ``--concurrency`` at a
   time: dispatch -> first response (answer or defer), p50/p99, and the complete answer.
2. ``--digests`` channel digests due within ``--window`` seconds (their due times spread
   evenly; set by another process, the bots woken through the change feed). In the two-process
   run the process of shard 1 is SIGKILLed halfway through the window; the other takes over its
   claims after ``--stale`` seconds (``BRIEFBOT_CLAIM_STALE_SECONDS``; 60 by default; the live
   process renews its own every quarter of it). Counted from the test server's channels:
   digests missing, digests posted twice, and how late each went out (first message's time
   minus its due time). The test server answers each post after ``--post-delay`` seconds
   (Discord's latency), so that digests are in flight when the process is killed.

The issue's target is 10,000 digests in one minute; the default here is 2,000 so that both
runs finish in a few minutes on 2 shared cores (``--digests 10000`` for the full size). The
bots' own REST pacing (``BRIEFBOT_MAX_REQUESTS_PER_SECOND``, which keeps one process under
Discord's global limit) is turned off in both runs: the test server does not enforce a global
limit, and the figure of interest is what the processes and the store can do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import REPO

sys.path.insert(0, str(REPO))

from bot.services.app import Services
from bot.services.clock import ManualClock
from bot.settings import Settings
from bot.store import open_store
from tests.discord_server import DiscordTestServer, Fault
from tests.discord_server.state import DISCORD_EPOCH_MS
from tests.multi.processes import BUNDLED, Bot, start_bot

GUILDS_PER_SHARD = 4
USERS = 400
QUERIES = [
    "coördinatie van de aanpak van mensenhandel",
    "beroep op u dit onderwerp in het regeerakkoord",
    "preventie gericht op het voorkomen van daderschap",
    "signalering van slachtoffers verbeteren",
]
QUESTIONS = [
    "Wat vindt de rapporteur van het coalitieakkoord?",
    "What does the letter say about prevention?",
]
_MARKER = re.compile(r"digest (\d+)/(\d{4}-\d{2}-\d{2})")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def sent_at(message_id: int) -> float:
    """A snowflake's time, as a UNIX timestamp."""
    return ((message_id >> 22) + DISCORD_EPOCH_MS) / 1000


@dataclass
class Result:
    label: str
    first_ms: list[float] = field(default_factory=list)
    complete_ms: list[float] = field(default_factory=list)
    within_3s: int = 0
    interactions_s: float = 0.0
    digests: int = 0
    missing: int = 0
    doubled: int = 0
    late_s: list[float] = field(default_factory=list)
    digests_s: float = 0.0
    taken_over: int = 0
    killed_in_flight: int = 0
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ the world


def world(server: DiscordTestServer, digests: int) -> tuple[list, list, list]:
    guilds = [
        server.add_guild(f"s{shard}-{i}", shard=(shard, 2))
        for shard in (0, 1)
        for i in range(GUILDS_PER_SHARD)
    ]
    rooms = [server.add_channel(g, "brieven") for g in guilds]
    users = [server.add_user(f"lid-{i}") for i in range(USERS)]
    for g in guilds:
        for u in users:
            server.add_member(g, u)
    targets = [server.add_channel(guilds[i % len(guilds)], f"digest-{i}") for i in range(digests)]
    return rooms, users, targets


def settings(location: str) -> Settings:
    return Settings(BRIEFBOT_DB=location, BRIEFBOT_LETTERS_DIR=BUNDLED, DISCORD_TOKEN="test-token")


# ------------------------------------------------------------------ interactions


async def interactions(server, rooms, users, args, result: Result) -> None:
    gate = asyncio.Semaphore(args.concurrency)

    async def fire(i: int) -> None:
        user, room, kind = users[i % len(users)], rooms[i % len(rooms)], i % 8
        async with gate:
            if kind == 0:
                rec = await server.slash("summary", {"length": 3}, user=user, channel=room)
            elif kind == 1:
                rec = await server.slash(
                    "recommendations", {"topic": "mensenhandel"}, user=user, channel=room
                )
            elif kind == 2:
                rec = await server.slash(
                    "quote", {"text": QUERIES[i % len(QUERIES)]}, user=user, channel=room
                )
            elif kind == 3:
                rec = await server.slash(
                    "ask", {"question": QUESTIONS[i % len(QUESTIONS)]}, user=user, channel=room
                )
            elif kind == 4:
                rec = await server.slash("letters", {}, user=user, channel=room)
            elif kind == 5:
                rec = await server.autocomplete(
                    "quote", "text", QUERIES[i % len(QUERIES)][:12], user=user, channel=room
                )
            elif kind == 6:
                rec = await server.autocomplete(
                    "summary", "letter", "brief", user=user, channel=room
                )
            else:
                rec = await server.autocomplete(
                    "recommendations", "topic", "kind", user=user, channel=room
                )
            await server.wait_for_response(rec, timeout=60)
            if rec.response_type == 5:
                await server.wait_for_followups(rec, 1, timeout=120)
            result.first_ms.append(rec.latency * 1000)
            result.complete_ms.append((time.monotonic() - rec.dispatched_at) * 1000)
            result.within_3s += rec.latency < 3.0

    # Warm-up (not measured): every process loads its indexes and models in the background
    # after it connects; the load starts once a round of every kind in every server is
    # answered quickly by all of them.
    warm_users = iter(users[USERS // 2 :] * 20)
    deadline = time.monotonic() + 180
    while True:
        recs = []
        for room in rooms:
            for name, options in (
                ("quote", {"text": QUERIES[0]}),
                ("ask", {"question": QUESTIONS[0]}),
                ("summary", {"length": 3}),
                ("recommendations", {"topic": "mensenhandel"}),
            ):
                recs.append(await server.slash(name, options, user=next(warm_users), channel=room))
        for rec in recs:
            await server.wait_for_response(rec, timeout=60)
            if rec.response_type == 5:
                await server.wait_for_followups(rec, 1, timeout=120)
        if max(r.latency for r in recs) < 0.25 or time.monotonic() > deadline:
            break
        await asyncio.sleep(2)
    await server.settle(1.0, timeout=120)
    started = time.perf_counter()
    await asyncio.gather(*(fire(i) for i in range(args.interactions)))
    result.interactions_s = time.perf_counter() - started


# ------------------------------------------------------------------ digests


async def schedule_digests(location: str, targets, args) -> tuple[dict[int, float], float]:
    """Subscribe a digest per channel (from another process, as an operator would), due
    evenly over the window from a few seconds on; the bots are woken by the change feed.
    Returns subscription id -> due time (UNIX), and the window's start."""
    now = datetime.now(UTC)
    setup = await Services.open(settings(location), clock=ManualClock(now))
    try:
        at = (now + timedelta(hours=6)).astimezone(UTC).strftime("%H:%M")  # not due on its own
        subs = []
        for channel in targets:
            subs.append(
                await setup.digests.subscribe(
                    kind="channel",
                    user_id=1,
                    guild_id=channel.guild_id,
                    channel_id=channel.id,
                    time_text=at,
                    timezone="UTC",
                    language="en",
                )
            )
        start = datetime.now(UTC) + timedelta(seconds=5)
        step = args.window / max(1, len(subs))
        due: dict[int, float] = {}
        for i, sub in enumerate(subs):
            when = start + timedelta(seconds=i * step)
            await setup.store.digests.reschedule(
                sub.id, next_due=when, next_due_date=sub.next_due_date, now=datetime.now(UTC)
            )
            due[sub.id] = when.timestamp()
        await setup.changes.publish("subscriptions")  # every bot plans again
    finally:
        await setup.close()
    return due, start.timestamp()


def count_posts(server, targets, due: dict[int, float], result: Result) -> None:
    heads: Counter[int] = Counter()
    first: dict[int, int] = {}
    for channel in targets:
        for message in server.messages(channel, from_bot=True):
            for e in message.embeds:
                m = _MARKER.search((e.get("footer") or {}).get("text") or "")
                if m:
                    sub = int(m[1])
                    title = e.get("title") or ""
                    if title.startswith(("Digest of ", "Overzicht van ")):
                        heads[sub] += 1
                        first[sub] = min(first.get(sub, message.id), message.id)
                    break
    result.digests = len(due)
    result.missing = sum(1 for s in due if heads[s] == 0)
    result.doubled = sum(n - 1 for s, n in heads.items() if n > 1)
    result.late_s = [sent_at(first[s]) - due[s] for s in due if s in first]


async def digests(server, location, targets, bots: list[Bot], args, result: Result) -> None:
    due, start = await schedule_digests(location, targets, args)
    victim = bots[1] if len(bots) > 1 else None
    async with open_store(location) as store:
        if victim is not None:
            await asyncio.sleep(max(0.0, start + args.window / 2 - time.time()))
            victim.kill()
            await victim.proc.wait()
            latest = await store.digests.latest_deliveries()
            in_flight = {
                i
                for i, d in latest.items()
                if d.status == "claimed" and f":{victim.pid}:" in (d.claimed_by or "")
            }
            result.killed_in_flight = len(in_flight)
            result.notes.append(
                f"SIGKILLed the process of shard 1 at {args.window / 2:.0f} s into the window "
                f"with {len(in_flight)} digests claimed and in flight"
            )
        else:
            in_flight = set()
        deadline = start + args.window + args.stale + 300
        while True:
            latest = await store.digests.latest_deliveries()
            if all(latest.get(s) is not None and latest[s].status == "sent" for s in due):
                break
            if time.time() > deadline:
                result.notes.append("gave up waiting for every digest")
                break
            await asyncio.sleep(0.5)
        result.digests_s = time.time() - start
        result.taken_over = sum(
            1
            for i in in_flight
            if latest.get(i) is not None and f":{victim.pid}:" not in (latest[i].claimed_by or "")  # type: ignore[union-attr]
        )
    await server.settle(2.0, timeout=60)  # what the victim left in flight lands too
    count_posts(server, targets, due, result)


# ------------------------------------------------------------------ one configuration


@contextlib.asynccontextmanager
async def fresh_store(args):
    if args.backend == "sqlite":
        work = Path(tempfile.mkdtemp(prefix="briefbot-two-"))
        try:
            yield str(work / "shared.sqlite3")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    else:
        url = args.pg.fresh_database()
        try:
            yield url
        finally:
            args.pg.drop_database(url)


async def run(label: str, shard_sets: list[str], args) -> Result:
    result = Result(label)
    work = Path(tempfile.mkdtemp(prefix="briefbot-two-logs-"))
    async with fresh_store(args) as location, DiscordTestServer(max_concurrency=16) as server:
        rooms, users, targets = world(server, args.digests)
        await (await Services.open(settings(location))).close()  # schema and the bundled letter
        env = {
            "BRIEFBOT_CLAIM_STALE_SECONDS": str(args.stale),
            "BRIEFBOT_MAX_REQUESTS_PER_SECOND": "0",
            "LOG_LEVEL": "WARNING",
        }
        bots = []
        for shards in shard_sets:
            bot = await start_bot(server, location, work, shards, 2, **env)
            bots.append(bot)
        try:
            await server.wait_until(
                lambda: (
                    {k for k in server.shard_sessions if k is not None} == {(0, 2), (1, 2)}
                    and all(
                        s.dispatched.get("GUILD_CREATE", 0) for s in server.shard_sessions.values()
                    )
                ),
                timeout=180,
            )
            # Discord takes a while to answer a post; digests are in flight meanwhile
            server.add_fault(
                Fault.slow(
                    "POST /channels/{channel_id}/messages", delay=args.post_delay, times=None
                )
            )
            await interactions(server, rooms, users, args, result)
            await digests(server, location, targets, bots, args, result)
        finally:
            for bot in bots:
                await bot.stop()
            if os.environ.get("BRIEFBOT_BENCH_KEEP_LOGS"):
                result.notes.append(f"logs in {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    return result


def ratio(two: float, one: float) -> str:
    return f"{two / one:.2f}x" if one else "-"


def report(one: Result, two: Result, args) -> str:
    rows = [
        ("first response p50 (ms)", pct(one.first_ms, 0.5), pct(two.first_ms, 0.5)),
        ("first response p99 (ms)", pct(one.first_ms, 0.99), pct(two.first_ms, 0.99)),
        ("complete answer p50 (ms)", pct(one.complete_ms, 0.5), pct(two.complete_ms, 0.5)),
        ("complete answer p99 (ms)", pct(one.complete_ms, 0.99), pct(two.complete_ms, 0.99)),
        ("interactions/s", args.interactions / one.interactions_s,
         args.interactions / two.interactions_s),
        ("digest lateness p50 (ms)", pct(one.late_s, 0.5) * 1000, pct(two.late_s, 0.5) * 1000),
        ("digest lateness p99 (ms)", pct(one.late_s, 0.99) * 1000,
         pct(two.late_s, 0.99) * 1000),
        ("digest lateness max (ms)", max(one.late_s, default=0) * 1000,
         max(two.late_s, default=0) * 1000),
        ("all digests sent after (s)", one.digests_s, two.digests_s),
    ]  # fmt: skip
    lines = [
        f"briefbot, two processes against one ({args.backend}): {args.interactions} "
        f"interactions {args.concurrency} at a time over 8 servers on 2 shards; "
        f"{args.digests} digests due within {args.window} s",
        f"{'':<28}{'one process':>14}{'two processes':>16}{'ratio':>9}",
        *(f"{name:<28}{a:>14.1f}{b:>16.1f}{ratio(b, a):>9}" for name, a, b in rows),
        f"{'answered within 3 s':<28}{one.within_3s:>14}{two.within_3s:>16}",
        f"{'digests missing':<28}{one.missing:>14}{two.missing:>16}",
        f"{'digests posted twice':<28}{one.doubled:>14}{two.doubled:>16}",
        f"{'claims taken over':<28}{'-':>14}{f'{two.taken_over}/{two.killed_in_flight}':>16}",
        *(f"note: {n}" for n in [*one.notes, *two.notes]),
        f"target (issue 14): first response p99 < 250 ms, every digest exactly once "
        f"-> p99 {pct(two.first_ms, 0.99):.0f} ms, {two.missing} missing, "
        f"{two.doubled} twice",
    ]
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default=None)
    parser.add_argument("--interactions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--digests", type=int, default=2000)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--stale", type=int, default=5)
    parser.add_argument("--post-delay", type=float, default=0.3)
    args = parser.parse_args()
    from tests.pg import PgServer, skip_reason

    if args.backend is None:
        args.backend = "sqlite" if skip_reason() else "postgresql"
    args.pg = PgServer.start() if args.backend == "postgresql" else None
    try:
        one = await run("one process", ["0-1"], args)
        two = await run("two processes", ["0-0", "1-1"], args)
    finally:
        if args.pg is not None:
            args.pg.stop()
    print(report(one, two, args))


if __name__ == "__main__":
    asyncio.run(main())
