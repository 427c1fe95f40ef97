"""Interactions under load, through the protocol-level Discord test server.

    python bench/discord_load.py [--letters 10000] [--interactions 1000] [--concurrency 50]
                                 [--same-process]

Starts the real bot on a synthetic store (10,000 letters, about 1 million sentences, from
``bench/ready_store.py``: recommendations computed, stand-in vectors), warms its indexes,
then fires ``--interactions`` mixed interactions (slash commands and autocomplete, many
users) ``--concurrency`` at a time. Prints p50/p95/p99 time from dispatch to the first
response (answer or defer) and to the complete answer, per kind too, the share answered
within 3 s, the bot's event-loop lag while under load, its garbage-collection pauses and its
memory. Targets: all within 3 s, p99 < 250 ms, lag < 50 ms.

The bot runs in its own process, as in production, connected over loopback to the test server
in this one (which also generates the load). ``--same-process`` runs both on one event loop
instead: then the server's own work shows up as the bot's lag.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, LagMonitor, peak_rss_mb

sys.path.insert(0, str(REPO))

from bench.ready_store import ensure_ready_db
from bot.chat.client import BriefbotClient
from bot.services.app import Services
from bot.settings import Settings
from tests.discord_server import DiscordTestServer, running_bot
from tests.discord_server.state import Permissions

QUERIES = [
    "coördinatie van de aanpak van mensenhandel",
    "beroep op u dit onderwerp in het regeerakkoord",
    "preventie gericht op het voorkomen van daderschap",
    "kinderpornografie op nederlandse servers",
    "signalering van slachtoffers verbeteren",
]
QUESTIONS = [
    "Wat vindt de rapporteur van het coalitieakkoord?",
    "What does the letter say about prevention?",
    "Hoe staat het met de capaciteit van de politie?",
]


KINDS = [
    "/summary",
    "/recommendations",
    "/quote",
    "/ask",
    "/letters",
    "autocomplete /quote text",
    "autocomplete /summary letter",
    "autocomplete topic",
]


class BenchBot(BriefbotClient):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


class GcPauses:
    """Every garbage collection and how long it held the interpreter."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started: list[float] = []

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started.append(time.perf_counter())
        elif self._started:
            self.pauses.append(time.perf_counter() - self._started.pop())

    def install(self) -> GcPauses:
        gc.callbacks.append(self)
        return self


def bench_settings(work: Path) -> Settings:
    return Settings(
        BRIEFBOT_DB=work, BRIEFBOT_LETTERS_DIR=REPO / "data" / "letters", DISCORD_TOKEN="bench"
    )


async def open_warm(work: Path) -> tuple[Services, int, float]:
    t = time.perf_counter()
    app = await Services.open(bench_settings(work), seed=False)
    sentences = sum(r.sentence_count for r in app.catalog.by_id.values())
    await app.warm()
    return app, sentences, time.perf_counter() - t


# ------------------------------------------------------------------ the load


async def fire_all(server: DiscordTestServer, channel, users, args) -> tuple[list, float]:
    rng = random.Random(7)
    gate = asyncio.Semaphore(args.concurrency)
    records: list = []

    async def fire(i: int) -> None:
        user = users[i % len(users)]
        kind = i % 8
        async with gate:
            if kind == 0:
                rec = await server.slash("summary", {"length": 3}, user=user, channel=channel)
            elif kind == 1:
                rec = await server.slash(
                    "recommendations", {"topic": "mensenhandel"}, user=user, channel=channel
                )
            elif kind == 2:
                rec = await server.slash(
                    "quote", {"text": rng.choice(QUERIES)}, user=user, channel=channel
                )
            elif kind == 3:
                rec = await server.slash(
                    "ask", {"question": rng.choice(QUESTIONS)}, user=user, channel=channel
                )
            elif kind == 4:
                rec = await server.slash("letters", {}, user=user, channel=channel)
            elif kind == 5:
                rec = await server.autocomplete(
                    "quote", "text", rng.choice(QUERIES)[:12], user=user, channel=channel
                )
            elif kind == 6:
                rec = await server.autocomplete(
                    "summary", "letter", "brief", user=user, channel=channel
                )
            else:
                rec = await server.autocomplete(
                    "recommendations", "topic", "kind", user=user, channel=channel
                )
            await server.wait_for_response(rec, timeout=60)
            if rec.response_type == 5:
                await server.wait_for_followups(rec, 1, timeout=120)
            complete = time.monotonic() - rec.dispatched_at
            records.append((KINDS[kind], rec, complete))

    t = time.perf_counter()
    await asyncio.gather(*(fire(i) for i in range(args.interactions)))
    return records, time.perf_counter() - t


def report(args, records, elapsed: float, bot: dict, server: DiscordTestServer) -> str:
    first = [r.latency * 1000 for _, r, _ in records]
    within = sum(1 for _, r, _ in records if r.latency < 3.0)
    per_kind = {
        name: (
            [r.latency * 1000 for k, r, _ in records if k == name],
            [done * 1000 for k, _, done in records if k == name],
        )
        for name in KINDS
    }
    lag_ms, gc_ms = bot["lag_ms"], bot["gc_ms"]
    return "\n".join(
        [
            f"briefbot Discord load: {len(records)} interactions, "
            f"{args.concurrency} at a time, {args.users} users; "
            + (
                "bot and test server on one event loop"
                if args.same_process
                else "the bot in its own process"
            ),
            f"store: {bot['letters']:,} letters, {bot['sentences']:,} sentences; "
            f"open + warm {bot['warm_s']:.1f} s",
            f"dispatch -> first response (ms): p50 {pct(first, 0.5):.1f}  "
            f"p95 {pct(first, 0.95):.1f}  p99 {pct(first, 0.99):.1f}  max {max(first):.1f}",
            f"answered or deferred within 3 s: {within}/{len(records)}",
            f"bot event-loop lag under load (ms): p50 {pct(lag_ms, 0.5):.1f}  "
            f"p99 {pct(lag_ms, 0.99):.1f}  max {max(lag_ms, default=0):.1f}",
            f"bot garbage collections: {len(gc_ms)}, longest {max(gc_ms, default=0):.1f} ms",
            f"throughput: {len(records) / elapsed:.0f} interactions/s; "
            f"bot peak RSS {bot['peak_rss_mb']:.0f} MiB",
            f"protocol errors: {len(server.protocol_errors)}",
            "per kind (ms):                first response p50 / p95 / max"
            "     complete answer p50 / p95",
            *(
                f"  {name:<28} {pct(v, 0.5):>7.1f} {pct(v, 0.95):>7.1f} "
                f"{max(v, default=0):>7.1f}      {pct(d, 0.5):>7.1f} {pct(d, 0.95):>7.1f}"
                for name, (v, d) in per_kind.items()
            ),
        ]
    )


def world(server: DiscordTestServer, n_users: int):
    guild = server.add_guild("Bench")
    channel = server.add_channel(guild, "bench")
    users = [server.add_user(f"user{i}") for i in range(n_users)]
    for u in users:
        server.add_member(guild, u, permissions=Permissions.DEFAULT)
    return channel, users


# ------------------------------------------------------------------ one event loop


async def run_same_process(args: argparse.Namespace, work: Path) -> None:
    app, sentences, warm_s = await open_warm(work)
    pauses = GcPauses().install()
    async with DiscordTestServer(interaction_response_window=None) as server:
        channel, users = world(server, args.users)
        bot = BenchBot(bench_settings(work), app, guild_ready_timeout=0.01)
        async with running_bot(server, bot, ready_timeout=120):
            lag = LagMonitor()
            lag.start()
            gc_before = len(pauses.pauses)
            records, elapsed = await fire_all(server, channel, users, args)
            lag.stop()
            stats = {
                "letters": len(app.catalog.by_id), "sentences": sentences, "warm_s": warm_s,
                "lag_ms": lag.samples, "peak_rss_mb": peak_rss_mb(),
                "gc_ms": [p * 1000 for p in pauses.pauses[gc_before:]],
            }  # fmt: skip
            print(report(args, records, elapsed, stats, server))
    await app.close()


# ------------------------------------------------------------------ the bot in its own process


async def bot_process(args: argparse.Namespace) -> None:
    """The child: the bot alone, pointed at the test server's URLs; SIGUSR1 starts the lag
    and GC measurement, SIGTERM ends it, writes the numbers to ``--report`` and shuts down."""
    import discord.asset
    import discord.gateway
    import discord.http
    import yarl

    if args.workers:
        from bot.chat import client as chat_client

        chat_client.CPU_WORKERS = int(args.workers)
    discord.http.Route.BASE = args.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(args.gateway_url)
    discord.asset.Asset.BASE = args.base_url
    work = Path(args.db)
    app, sentences, warm_s = await open_warm(work)
    pauses = GcPauses().install()
    lag = LagMonitor()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    marks: dict[str, int] = {}

    def begin() -> None:
        marks["gc"] = len(pauses.pauses)
        lag.start()

    loop.add_signal_handler(signal.SIGUSR1, begin)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    bot = BenchBot(bench_settings(work), app, guild_ready_timeout=0.01)
    runner = asyncio.create_task(bot.start("test-token"))
    await asyncio.wait({runner, asyncio.ensure_future(stop.wait())}, return_when="FIRST_COMPLETED")
    lag.stop()
    stats = {
        "letters": len(app.catalog.by_id), "sentences": sentences, "warm_s": warm_s,
        "lag_ms": lag.samples, "peak_rss_mb": peak_rss_mb(),
        "gc_ms": [p * 1000 for p in pauses.pauses[marks.get("gc", 0):]],
        "crashed": repr(runner.exception()) if runner.done() and runner.exception() else None,
    }  # fmt: skip
    await asyncio.to_thread(Path(args.report).write_text, json.dumps(stats))
    await bot.close()
    await app.close()


async def run_split(args: argparse.Namespace, work: Path) -> None:
    async with DiscordTestServer(interaction_response_window=None) as server:
        channel, users = world(server, args.users)
        report_file = work.with_suffix(".report.json")
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--bot-process", "--db", str(work),
            "--report", str(report_file), "--api-base", server.api_base,
            "--gateway-url", server.gateway_url, "--base-url", server.base_url,
            *(["--workers", str(args.workers)] if args.workers else []),
        )  # fmt: skip
        try:
            # after open + warm; the commands were synced in setup_hook, before READY
            await server.wait_for_ready(1, timeout=900)
            await asyncio.sleep(1)  # the guild is delivered and settled
            child.send_signal(signal.SIGUSR1)
            records, elapsed = await fire_all(server, channel, users, args)
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
            await child.wait()
        stats = json.loads(report_file.read_text())
        if stats.get("crashed"):
            print(f"the bot crashed: {stats['crashed']}")
        print(report(args, records, elapsed, stats, server))


async def run(args: argparse.Namespace, db: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "bench.sqlite3"
        await asyncio.to_thread(shutil.copyfile, db, work)  # streamed: no 2 GB in memory
        if args.same_process:
            await run_same_process(args, work)
        else:
            await run_split(args, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--same-process", action="store_true")
    parser.add_argument(
        "--workers", type=int, default=0, help="worker threads of the bot (default: as shipped)"
    )
    for hidden in ("--bot-process",):
        parser.add_argument(hidden, action="store_true", help=argparse.SUPPRESS)
    for hidden in ("--db", "--report", "--api-base", "--gateway-url", "--base-url"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bot_process:
        asyncio.run(bot_process(args))
        return
    db = ensure_ready_db(args.letters)  # builds it (its own event loop) when not cached
    asyncio.run(run(args, db))


if __name__ == "__main__":
    main()
