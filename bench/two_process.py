"""Two bot processes on one store against one: interactions, and digests with a SIGKILL.

    python bench/two_process.py [--backend postgresql|sqlite] [--interactions 1000]
                                [--concurrency 50] [--digests 2000] [--window 60] [--stale 5]
                                [--phases interactions,digests] [--baseline REV|none] [--trace]

Each configuration runs real ``briefbot run`` processes (subprocesses, as in production)
against the project's Discord test server in this process, on one fresh store (a temporary
PostgreSQL started here, or a SQLite WAL file), with eight servers spread over two shards:

- **one process** serving both shards (``--shards 0-1 --shard-count 2``);
- **two processes**, one shard each (``0-0`` and ``1-1``).

Each runs with this tree's code and, for the interactions, also with ``--baseline`` (today's
code path: by default the commit this branch left ``main`` at, unpacked with ``git archive``),
in the same run, one after the other, so the machine's load is the same for both.

1. ``--interactions`` mixed interactions (summary, recommendations, quote, ask, letters and
   three autocompletes, on the servers of both shards, many users) ``--concurrency`` at a
   time: dispatch -> first response (answer or defer), p50/p99, and the complete answer. With
   ``--trace`` each bot also writes when it parsed each interaction and when its first
   response left (``tests/multi/launch.py``), so the first response splits into test server ->
   bot, inside the bot (discord.py's dispatch and our handler up to the defer) and bot -> test
   server; and how often its event loop ran more than 20 ms late.
2. ``--digests`` channel digests due within ``--window`` seconds (their due times spread
   evenly; set by another process, the bots woken through the change feed). In the two-process
   run the process of shard 1 is SIGKILLed from the middle of the window on, **at the first
   moment it holds claims in flight** (the delivery log is polled every 10 ms for claimed and
   unsent digests of that process; at least ``--kill-min-claims``); the claims it held are
   read back from the log after it died. The other process takes them over once they are
   ``--stale`` seconds old (``BRIEFBOT_CLAIM_STALE_SECONDS``; 60 by default; a live process
   renews its own every quarter of it), looking in the channel first. Counted from the test
   server's channels: digests missing, posted twice, and how late each went out (first
   message's time minus its due time); for the claims taken over, how long after the kill.
   The test server answers each post after ``--post-delay`` seconds (Discord's latency), so
   that digests are in flight when the process is killed.

The issue's target is 10,000 digests in one minute; the default here is 2,000 so that both
runs finish in a few minutes on 2 shared cores (``--digests 10000`` for the full size). The
bots' own REST pacing (``BRIEFBOT_MAX_REQUESTS_PER_SECOND``, which keeps one process under
Discord's global limit) is turned off in both runs: the test server does not enforce a global
limit, and the figure of interest is what the processes and the store can do. The machine's
load average (``/proc/loadavg``) is printed for each phase: the machine may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import REPO, baseline_tree

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


def loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


@dataclass
class Result:
    label: str
    first_ms: list[float] = field(default_factory=list)
    complete_ms: list[float] = field(default_factory=list)
    within_3s: int = 0
    unanswered: int = 0  # no first response within 60 s, or no answer after a defer in 120 s
    interactions_s: float = 0.0
    measured_from: float = 0.0  # time.monotonic() when the measured interactions began
    load: list[float] = field(default_factory=list)  # load average at start and end
    # --trace: the first response in parts (ms), and the loop's late ticks
    to_bot_ms: list[float] = field(default_factory=list)
    in_bot_ms: list[float] = field(default_factory=list)
    to_server_ms: list[float] = field(default_factory=list)
    tail_parts: tuple[float, float, float] | None = None
    lag_ms: list[float] = field(default_factory=list)
    server_lag_ms: list[float] = field(default_factory=list)
    digests: int = 0
    missing: int = 0
    doubled: int = 0
    late_s: list[float] = field(default_factory=list)
    digests_s: float = 0.0
    digest_load: list[float] = field(default_factory=list)
    held_at_kill: int = 0  # claimed and unsent by the victim, seen just before the SIGKILL
    killed_in_flight: int = 0  # the same, read from the log after it died
    taken_over: int = 0
    takeover_s: list[float] = field(default_factory=list)
    taken_late_s: list[float] = field(default_factory=list)
    found_posted: int = 0  # of those in flight: the victim's own post landed (found, not re-sent)
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


async def interactions(server, rooms, users, args, result: Result, bots: list[Bot]) -> list:
    gate = asyncio.Semaphore(args.concurrency)
    measured = []

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
            measured.append(rec)
            try:
                await server.wait_for_response(rec, timeout=60)
                if rec.response_type == 5:
                    await server.wait_for_followups(rec, 1, timeout=120)
            except TimeoutError:  # counted (and printed), never a crash of the whole bench
                result.unanswered += 1
                if rec.latency is None:
                    return
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
    result.load.append(loadavg())
    if args.trace:
        for bot in bots:  # their stall traces start now (tests/multi/launch.py)
            bot.proc.send_signal(signal.SIGUSR1)
    result.measured_from = time.monotonic()
    started = time.perf_counter()
    monitor = asyncio.create_task(lag(result.server_lag_ms))  # the test server's own loop
    await asyncio.gather(*(fire(i) for i in range(args.interactions)))
    monitor.cancel()
    result.interactions_s = time.perf_counter() - started
    result.load.append(loadavg())
    return measured


async def lag(into: list[float]) -> None:
    """Every 10 ms tick this loop (the test server's) comes more than 20 ms late, in ms."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(0.01)
        late = loop.time() - before - 0.01
        if late > 0.02:
            into.append(late * 1000)


def read_traces(paths: list[Path], measured: list, started: float, ended: float, result: Result):
    """Split each measured interaction's first response with the bots' traces."""
    parsed: dict[str, float] = {}
    callback: dict[str, float] = {}
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r["ev"] == "parsed":
                parsed.setdefault(str(r["id"]), r["t"])
            elif r["ev"] == "callback":
                callback.setdefault(str(r["id"]), r["t"])
            elif r["ev"] == "lag" and started <= r["t"] <= ended:
                result.lag_ms.append(r["ms"])
    parts = []
    for rec in measured:
        key = str(rec.id)
        first = rec.first_attempt_at
        if key in parsed and key in callback and first is not None:
            p = (
                (parsed[key] - rec.dispatched_at) * 1000,
                (callback[key] - parsed[key]) * 1000,
                (first - callback[key]) * 1000,
            )
            parts.append((rec.latency, p))
            result.to_bot_ms.append(p[0])
            result.in_bot_ms.append(p[1])
            result.to_server_ms.append(p[2])
    parts.sort(key=lambda x: x[0])
    tail = [p for _, p in parts[int(0.99 * len(parts)) :]] or [p for _, p in parts[-1:]]
    if tail:
        result.tail_parts = tuple(sum(p[k] for p in tail) / len(tail) for k in range(3))  # type: ignore[assignment]


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
        # due times set in one statement (10,000 one at a time took over a minute: the
        # window would be over before the bots heard of it), from 5 s after that on
        start = datetime.now(UTC) + timedelta(seconds=5)
        step = args.window / max(1, len(subs))
        due = {sub.id: (start + timedelta(seconds=i * step)) for i, sub in enumerate(subs)}
        async with ClaimWatch(location) as direct:
            await direct.reschedule(due)
        due_ts = {i: when.timestamp() for i, when in due.items()}
        await setup.changes.publish("subscriptions")  # every bot plans again
    finally:
        await setup.close()
    return due_ts, start.timestamp()


def count_posts(server, targets, due: dict[int, float], result: Result) -> dict[int, float]:
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
    late = {s: sent_at(first[s]) - due[s] for s in due if s in first}
    result.late_s = list(late.values())
    return late


class ClaimWatch:
    """Reads the delivery log directly (a bench's eye, not the bot's interface): the claims a
    process holds, claimed and not yet finished."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._pg = None
        self._sqlite: sqlite3.Connection | None = None

    async def __aenter__(self) -> ClaimWatch:
        if self.location.startswith(("postgresql:", "postgres:")):
            import asyncpg

            self._pg = await asyncpg.connect(self.location)
        else:
            path = self.location.removeprefix("sqlite:")
            self._sqlite = sqlite3.connect(path, timeout=30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pg is not None:
            await self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()

    async def reschedule(self, due: dict[int, datetime]) -> None:
        """Set many subscriptions' next due time in one transaction."""
        if self._pg is not None:
            await self._pg.execute(
                "UPDATE subscriptions AS s SET next_due = v.due FROM"
                " unnest($1::bigint[], $2::timestamptz[]) AS v (id, due) WHERE s.id = v.id",
                list(due), list(due.values()),
            )  # fmt: skip
            return
        assert self._sqlite is not None
        with self._sqlite:
            self._sqlite.executemany(
                "UPDATE subscriptions SET next_due = ? WHERE id = ?",
                [(when.astimezone(UTC).isoformat(), i) for i, when in due.items()],
            )

    async def held(self, pid: int) -> list[int]:
        """Subscriptions whose digest process ``pid`` has claimed and not finished."""
        sql = (
            "SELECT subscription_id FROM deliveries WHERE status = 'claimed' AND claimed_by LIKE {}"
        )
        pattern = f"%:{pid}:%"
        if self._pg is not None:
            return [int(r[0]) for r in await self._pg.fetch(sql.format("$1"), pattern)]
        assert self._sqlite is not None
        return [int(r[0]) for r in self._sqlite.execute(sql.format("?"), (pattern,))]


async def kill_holding(watch: ClaimWatch, victim: Bot, args, start: float, result: Result):
    """SIGKILL ``victim`` from the middle of the window on, the first time it holds at least
    ``--kill-min-claims`` claims in flight; returns the claims it held (read after it died)
    and when it was killed (UNIX time)."""
    await asyncio.sleep(max(0.0, start + args.window / 2 - time.time()))
    give_up = start + args.window
    while True:
        held = await watch.held(victim.pid)
        if len(held) >= args.kill_min_claims or time.time() > give_up:
            victim.kill()  # at once, no await in between
            killed = time.time()
            break
        await asyncio.sleep(0.01)
    await victim.proc.wait()
    result.held_at_kill = len(held)
    in_flight = set(await watch.held(victim.pid))  # what it left: nothing changes them now
    result.killed_in_flight = len(in_flight)
    result.notes.append(
        f"SIGKILLed the process of shard 1 {killed - start:.1f} s into the window, holding "
        f"{len(held)} claims just before the kill ({len(in_flight)} claimed and unsent in the "
        f"log after it died)"
    )
    return in_flight, killed


async def digests(server, location, targets, bots: list[Bot], args, result: Result) -> None:
    due, start = await schedule_digests(location, targets, args)
    victim = bots[1] if len(bots) > 1 else None
    result.digest_load.append(loadavg())
    in_flight: set[int] = set()
    killed = 0.0
    async with ClaimWatch(location) as watch, open_store(location) as store:
        if victim is not None:
            in_flight, killed = await kill_holding(watch, victim, args, start, result)
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
        result.digest_load.append(loadavg())
        for i in in_flight:
            d = latest.get(i)
            if d is None or f":{victim.pid}:" in (d.claimed_by or ""):  # type: ignore[union-attr]
                continue
            result.taken_over += 1
            if d.claimed_at is not None:
                result.takeover_s.append(d.claimed_at.timestamp() - killed)
    await server.settle(2.0, timeout=60)  # what the victim left in flight lands too
    late = count_posts(server, targets, due, result)
    result.taken_late_s = [late[i] for i in in_flight if i in late]
    # a post the victim had on the wire when it died may still land (the test server answers
    # after --post-delay): the process taking over finds it in the channel instead of sending
    # it again; anything posted before the claims went stale is that
    landed = [i for i in in_flight if i in late and due[i] + late[i] < killed + args.stale / 2]
    result.found_posted = len(landed)


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


async def run(label: str, shard_sets: list[str], args, *, code: Path | None, phases) -> Result:
    result = Result(label)
    work = Path(tempfile.mkdtemp(prefix="briefbot-two-logs-"))
    n_digests = args.digests if "digests" in phases else 0
    async with fresh_store(args) as location, DiscordTestServer(max_concurrency=16) as server:
        rooms, users, targets = world(server, n_digests)
        await (await Services.open(settings(location))).close()  # schema and the bundled letter
        env = {
            "BRIEFBOT_CLAIM_STALE_SECONDS": str(args.stale),
            "BRIEFBOT_MAX_REQUESTS_PER_SECOND": "0",
            "LOG_LEVEL": "WARNING",
        }
        if code is not None:
            env["BRIEFBOT_CODE"] = str(code)
        bots, traces = [], []
        for shards in shard_sets:
            extra = dict(env)
            if args.trace:
                traces.append(work / f"trace-{shards}.jsonl")
                extra["BRIEFBOT_TRACE"] = str(traces[-1])
                extra["BRIEFBOT_TRACE_STALLS"] = str(work / f"stalls-{shards}.txt")
            bot = await start_bot(server, location, work, shards, 2, **extra)
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
            if "interactions" in phases:
                measured = await interactions(server, rooms, users, args, result, bots)
                if args.trace:
                    read_traces(traces, measured, result.measured_from, time.monotonic(), result)
            if n_digests:
                await digests(server, location, targets, bots, args, result)
        finally:
            for bot in bots:
                await bot.stop()
            if os.environ.get("BRIEFBOT_BENCH_KEEP_LOGS"):
                result.notes.append(f"logs in {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    return result


# ------------------------------------------------------------------ the report


def ms(values: list[float], q: float, scale: float = 1.0) -> str:
    return f"{pct(values, q) * scale:.0f}" if values else "-"


class _Table:
    """A title, a header of the runs' labels, and one row per figure."""

    def __init__(self, title: str, results: list[Result], width: int = 16) -> None:
        self.width = width
        self.lines = [title, f"{'':<30}" + "".join(f"{r.label:>{width}}" for r in results)]

    def row(self, name: str, cells: list[str]) -> None:
        self.lines.append(f"{name:<30}" + "".join(f"{c:>{self.width}}" for c in cells))


def interaction_table(results: list[Result], args) -> list[str]:
    table = _Table(
        f"{args.interactions} interactions {args.concurrency} at a time over 8 servers on 2 "
        f"shards ({args.backend})",
        results,
    )
    row = table.row

    row("first response p50 (ms)", [ms(r.first_ms, 0.5) for r in results])
    row("first response p99 (ms)", [ms(r.first_ms, 0.99) for r in results])
    row("first response max (ms)", [ms(r.first_ms, 1.0) for r in results])
    row("complete answer p50 (ms)", [ms(r.complete_ms, 0.5) for r in results])
    row("complete answer p99 (ms)", [ms(r.complete_ms, 0.99) for r in results])
    row("interactions/s", [f"{args.interactions / r.interactions_s:.1f}" for r in results])
    row("answered within 3 s", [str(r.within_3s) for r in results])
    row("never answered", [str(r.unanswered) for r in results])
    row("load average start/end", [f"{r.load[0]:.1f}/{r.load[-1]:.1f}" for r in results])
    if args.trace:
        row("server->bot p50/p99 (ms)", [f"{ms(r.to_bot_ms, .5)}/{ms(r.to_bot_ms, .99)}"
                                           for r in results])  # fmt: skip
        row("in bot p50/p99 (ms)", [f"{ms(r.in_bot_ms, .5)}/{ms(r.in_bot_ms, .99)}"
                                      for r in results])  # fmt: skip
        row("bot->server p50/p99 (ms)", [f"{ms(r.to_server_ms, .5)}/{ms(r.to_server_ms, .99)}"
                                           for r in results])  # fmt: skip
        row(
            "slowest 1%: to/in/from bot",
            ["/".join(f"{x:.0f}" for x in r.tail_parts) if r.tail_parts else "-"
             for r in results],
        )  # fmt: skip
        row("bots' loops >20 ms late: n/max", [f"{len(r.lag_ms)}/{max(r.lag_ms, default=0):.0f}"
                                                for r in results])  # fmt: skip
        row("server's loop >20 ms late", [
            f"{len(r.server_lag_ms)}/{max(r.server_lag_ms, default=0):.0f}" for r in results
        ])  # fmt: skip
    return table.lines


def digest_table(results: list[Result], args) -> list[str]:
    table = _Table(
        f"{args.digests} digests due within {args.window:.0f} s ({args.backend}; claims stale "
        f"after {args.stale} s; each post answered after {args.post_delay} s)",
        results,
    )
    row = table.row

    row("digests missing", [str(r.missing) for r in results])
    row("digests posted twice", [str(r.doubled) for r in results])
    row("lateness p50 (ms)", [ms(r.late_s, 0.5, 1000) for r in results])
    row("lateness p99 (ms)", [ms(r.late_s, 0.99, 1000) for r in results])
    row("lateness max (ms)", [ms(r.late_s, 1.0, 1000) for r in results])
    row("all sent after (s)", [f"{r.digests_s:.1f}" for r in results])
    row("claims held at the kill", [str(r.held_at_kill) if r.killed_in_flight or r.held_at_kill
                                    else "-" for r in results])  # fmt: skip
    row("claims in flight (log)", [str(r.killed_in_flight) if r.held_at_kill else "-"
                                   for r in results])  # fmt: skip
    row("claims taken over", [f"{r.taken_over}/{r.killed_in_flight}" if r.held_at_kill else "-"
                              for r in results])  # fmt: skip
    row("in flight: landed / sent again", [
        f"{r.found_posted}/{r.killed_in_flight - r.found_posted}" if r.held_at_kill else "-"
        for r in results])  # fmt: skip
    row("takeover after kill min/max (s)", [
        f"{min(r.takeover_s):.1f}/{max(r.takeover_s):.1f}" if r.takeover_s else "-"
        for r in results])  # fmt: skip
    row("taken over: lateness max (s)", [
        f"{max(r.taken_late_s):.1f}" if r.taken_late_s else "-" for r in results])  # fmt: skip
    row("load average start/end", [f"{r.digest_load[0]:.1f}/{r.digest_load[-1]:.1f}"
                                   if r.digest_load else "-" for r in results])  # fmt: skip
    return table.lines


def baseline_code(rev: str) -> Path:
    """``bot/`` as it was at ``rev`` (``git archive``), in a temporary directory."""
    return baseline_tree(rev, Path(tempfile.mkdtemp(prefix="briefbot-two-base-")))


def default_baseline() -> str:
    out = subprocess.run(
        ["git", "merge-base", "HEAD", "main"], check=False, capture_output=True, text=True, cwd=REPO
    )
    return out.stdout.strip() or "HEAD"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default=None)
    parser.add_argument("--interactions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--digests", type=int, default=2000)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--stale", type=int, default=5)
    parser.add_argument("--post-delay", type=float, default=0.3)
    parser.add_argument("--kill-min-claims", type=int, default=1)
    parser.add_argument("--phases", default="interactions,digests")
    parser.add_argument("--processes", default="1,2", help="configurations: 1, 2 or 1,2")
    parser.add_argument(
        "--baseline",
        default=None,
        help="the code to compare the interactions with (a git revision; default: where this "
        "branch left main; 'none' to skip)",
    )
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    counts = [int(x) for x in args.processes.split(",")]
    shard_sets = {1: ["0-1"], 2: ["0-0", "1-1"]}
    from tests.pg import PgServer, skip_reason

    if args.backend is None:
        args.backend = "sqlite" if skip_reason() else "postgresql"
    rev = args.baseline or default_baseline()
    base = None if rev == "none" or "interactions" not in phases else baseline_code(rev)
    args.pg = PgServer.start() if args.backend == "postgresql" else None
    results: list[Result] = []
    digest_results: list[Result] = []
    try:
        if base is not None:  # today's code path, interactions only
            for n in counts:
                results.append(
                    await run(f"base {n}p", shard_sets[n], args, code=base,
                              phases={"interactions"})
                )  # fmt: skip
        for n in counts:
            r = await run(f"new {n}p", shard_sets[n], args, code=None, phases=phases)
            if "interactions" in phases:
                results.append(r)
            if "digests" in phases:
                digest_results.append(r)
    finally:
        if args.pg is not None:
            args.pg.stop()
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)
    lines = [f"briefbot, one process against two (baseline: {rev[:12] if base else 'none'})"]
    if results:
        lines += interaction_table(results, args)
    if digest_results:
        lines += digest_table(digest_results, args)
    for r in {id(r): r for r in results + digest_results}.values():
        lines += [f"note ({r.label}): {n}" for n in r.notes]
    if results:
        two = [r for r in results if r.label == "new 2p"]
        if two:
            lines.append(
                f"target (issue 14): two processes, first response p99 < 250 ms -> "
                f"{ms(two[0].first_ms, 0.99)} ms"
            )
    if digest_results:
        two = [r for r in digest_results if r.label == "new 2p"]
        if two:
            lines.append(
                f"target (issue 14): every digest exactly once, one process SIGKILLed with "
                f"claims in flight -> {two[0].missing} missing, {two[0].doubled} twice, "
                f"{two[0].taken_over}/{two[0].killed_in_flight} claims taken over"
            )
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
