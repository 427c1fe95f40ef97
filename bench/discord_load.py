"""Interactions under load, through the protocol-level Discord test server.

    python bench/discord_load.py [--letters 10000] [--interactions 1000] [--concurrency 50]

Starts the real bot on a synthetic store (10,000 letters, about 1 million sentences, from
``bench/ready_store.py``: recommendations computed, stand-in vectors), warms its indexes,
then fires ``--interactions`` mixed interactions (slash commands and autocomplete, many
users) ``--concurrency`` at a time. Prints p50/p95/p99
time from dispatch to the first response (answer or defer), the share answered within 3 s,
event-loop lag while under load, and memory. Targets: all within 3 s, p99 < 250 ms, lag < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, LagMonitor, peak_rss_mb

sys.path.insert(0, str(REPO))

from bench.ready_store import ensure_ready_db
from bot.chat.client import BriefBot
from bot.services.app import Briefbot
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


class BenchBot(BriefBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


async def run(args: argparse.Namespace, db: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "bench.sqlite3"
        await asyncio.to_thread(shutil.copyfile, db, work)  # streamed: no 2 GB in memory
        settings = Settings(
            BRIEFBOT_DB=work, BRIEFBOT_LETTERS_DIR=REPO / "data" / "letters", DISCORD_TOKEN="bench"
        )
        t = time.perf_counter()
        app = await Briefbot.open(settings, seed=False)
        sentences = sum(r.sentence_count for r in app.catalog.by_id.values())
        await app.warm()
        warm_s = time.perf_counter() - t
        gc_pauses: list[float] = []
        gc_started: list[float] = []

        def on_gc(phase: str, info: dict) -> None:
            if phase == "start":
                gc_started.append(time.perf_counter())
            elif gc_started:
                gc_pauses.append((time.perf_counter() - gc_started.pop(), info["generation"]))

        gc.callbacks.append(on_gc)
        async with DiscordTestServer(interaction_response_window=None) as server:
            guild = server.add_guild("Bench")
            channel = server.add_channel(guild, "bench")
            users = [server.add_user(f"user{i}") for i in range(args.users)]
            for u in users:
                server.add_member(guild, u, permissions=Permissions.DEFAULT)
            bot = BenchBot(settings, app=app, guild_ready_timeout=0.01)
            async with running_bot(server, bot, ready_timeout=120):
                rng = random.Random(7)
                lag = LagMonitor()
                gate = asyncio.Semaphore(args.concurrency)
                records = []

                async def fire(i: int) -> None:
                    user = users[i % len(users)]
                    kind = i % 8
                    async with gate:
                        if kind == 0:
                            rec = await server.slash(
                                "summary", {"length": 3}, user=user, channel=channel
                            )
                        elif kind == 1:
                            rec = await server.slash(
                                "recommendations",
                                {"topic": "mensenhandel"},
                                user=user,
                                channel=channel,
                            )
                        elif kind == 2:
                            rec = await server.slash(
                                "quote", {"text": rng.choice(QUERIES)}, user=user, channel=channel
                            )
                        elif kind == 3:
                            rec = await server.slash(
                                "ask",
                                {"question": rng.choice(QUESTIONS)},
                                user=user,
                                channel=channel,
                            )
                        elif kind == 4:
                            rec = await server.slash("letters", {}, user=user, channel=channel)
                        elif kind == 5:
                            rec = await server.autocomplete(
                                "quote",
                                "text",
                                rng.choice(QUERIES)[:12],
                                user=user,
                                channel=channel,
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

                lag.start()
                if os.environ.get("BRIEFBOT_WATCHDOG"):
                    sys.path.insert(0, "/tmp")
                    import watchdog

                    watchdog.start(asyncio.get_running_loop())
                t = time.perf_counter()
                await asyncio.gather(*(fire(i) for i in range(args.interactions)))
                elapsed = time.perf_counter() - t
                lag.stop()
                first = [r.latency * 1000 for _, r, _ in records]
                within = sum(1 for _, r, _ in records if r.latency < 3.0)
                per_kind = {
                    name: (
                        [r.latency * 1000 for k, r, _ in records if k == name],
                        [done * 1000 for k, _, done in records if k == name],
                    )
                    for name in KINDS
                }
                lag_ms = lag.samples
                report = [
                    f"briefbot Discord load: {len(records)} interactions, "
                    f"{args.concurrency} at a time, {args.users} users",
                    f"store: {len(app.catalog.by_id):,} letters, {sentences:,} sentences; "
                    f"open + warm {warm_s:.1f} s",
                    f"dispatch -> first response (ms): p50 {pct(first, 0.5):.1f}  "
                    f"p95 {pct(first, 0.95):.1f}  p99 {pct(first, 0.99):.1f}  max {max(first):.1f}",
                    f"answered or deferred within 3 s: {within}/{len(records)}",
                    f"event-loop lag (ms): p50 {pct(lag_ms, 0.5):.1f}  p99 {pct(lag_ms, 0.99):.1f}"
                    f"  max {max(lag_ms):.1f}",
                    f"throughput: {len(records) / elapsed:.0f} interactions/s; "
                    f"peak RSS {peak_rss_mb():.0f} MiB",
                    f"protocol errors: {len(server.protocol_errors)}",
                    f"garbage collections: {len(gc_pauses)}, longest "
                    f"{max((p for p, _ in gc_pauses), default=0) * 1000:.1f} ms",
                    "per kind (ms):                first response p50 / p95 / max"
                    "     complete answer p50 / p95",
                    *(
                        f"  {name:<28} {pct(v, 0.5):>7.1f} {pct(v, 0.95):>7.1f} "
                        f"{max(v, default=0):>7.1f}      {pct(d, 0.5):>7.1f} {pct(d, 0.95):>7.1f}"
                        for name, (v, d) in per_kind.items()
                    ),
                ]
                print("\n".join(report))
                if os.environ.get("BRIEFBOT_WATCHDOG"):
                    watchdog.report()
        await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--users", type=int, default=500)
    args = parser.parse_args()
    db = ensure_ready_db(args.letters)  # builds it (its own event loop) when not cached
    asyncio.run(run(args, db))


if __name__ == "__main__":
    main()
