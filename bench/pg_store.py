"""PostgreSQL mode against SQLite mode on the same store: quote lookup and questions.

    python bench/pg_store.py                    # 1,000 generated letters (~100k sentences)
    python bench/pg_store.py --letters 200      # quicker
    python bench/pg_store.py --pg postgresql://user@host/db   # a running server (else one is
                                                # started in a temporary directory)

One store of generated letters with their derived data (``bench/ready_store.py``: sentences,
recommendations, topics, stand-in vectors) is copied into PostgreSQL with ``briefbot copy``'s
code (timed: rows/s). Then, for each backend, the services are opened on it the way the bot
does (``Services.open`` + ``warm``: every in-memory index built from the store, timed), and the
same probes run end to end through the services: ~200 damaged quote fragments
(``bench/quote_speed.py``'s generator; the truth is the sentence each came from) through
``QuoteService.find``, and the questions of ``bench/eval`` through ``AskService.answer``.
Reported per backend: p50/p95 latency, quote top-1 accuracy, and for questions whether the top
passage is the same on both (no ground truth on generated letters); the PostgreSQL/SQLite
ratio beside each. Not pinned: the PostgreSQL server is a process of its own, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.ask_speed import questions  # noqa: E402
from bench.common import peak_rss_mb  # noqa: E402
from bench.quote_speed import make_probes  # noqa: E402
from bench.ready_store import ensure_ready_db  # noqa: E402
from bot.core.text import fold  # noqa: E402
from bot.services.app import Services  # noqa: E402
from bot.services.scope import GLOBAL  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.copy import copy_sqlite_to_postgres  # noqa: E402


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


async def measure(location: str, probes: list, truth: dict[int, tuple[int, int]], qs: list[str]):
    settings = Settings(BRIEFBOT_DB=location, BRIEFBOT_LETTERS_DIR=ROOT / "data" / "letters")
    started = time.perf_counter()
    services = await Services.open(settings, seed=False)
    try:
        await services.warm()
        ready = time.perf_counter() - started
        for p in probes[:5]:  # one warm-up pass of each kind
            await services.quotes.find(p.query, scope=GLOBAL, letter=None, limit=5)
        for q in qs[:5]:
            await services.answers.answer(q, scope=GLOBAL)
        quote_ms, correct = [], 0
        for p in probes:
            t = time.perf_counter()
            matches = await services.quotes.find(p.query, scope=GLOBAL, letter=None, limit=5)
            quote_ms.append((time.perf_counter() - t) * 1000)
            if matches:
                top = matches[0]
                if (top.letter_id, top.sentence) == truth.get(p.sentence_id) or (
                    fold(top.text) == p.norm
                ):
                    correct += 1
        ask_ms, tops = [], []
        for q in qs:
            t = time.perf_counter()
            reply = await services.answers.answer(q, scope=GLOBAL)
            ask_ms.append((time.perf_counter() - t) * 1000)
            passages = reply.answer.passages
            tops.append((passages[0].letter_id, passages[0].sentence) if passages else None)
    finally:
        await services.close()
    return {
        "rss_mib": peak_rss_mb(),
        "ready_s": ready,
        "quote_ms": quote_ms,
        "quote_top1": correct / len(probes),
        "ask_ms": ask_ms,
        "tops": tops,
    }


async def bring_up_to_date(db: Path) -> None:
    """Opening the services migrates the store and recomputes derived data an older briefbot
    wrote (not timed: the measured opens must find nothing to do, on either backend)."""
    settings = Settings(BRIEFBOT_DB=db, BRIEFBOT_LETTERS_DIR=ROOT / "data" / "letters")
    services = await Services.open(settings, seed=False)
    await services.close()


def truth_of(db: Path, probes: list) -> dict[int, tuple[int, int]]:
    import sqlite3
    from contextlib import closing

    ids = [p.sentence_id for p in probes]
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT s.id, s.letter_id, s.number FROM json_each(?) j JOIN sentences s"
            " ON s.id = j.value",
            (str(ids),),
        ).fetchall()
    return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}


async def run(args: argparse.Namespace, ready: Path) -> None:
    server = None
    url = args.pg
    if url is None:
        from tests.pg import PgServer

        server = PgServer.start()
        url = server.fresh_database()
        print(f"started PostgreSQL in {server.data_dir} ({url})")
    work = Path(tempfile.mkdtemp(prefix="briefbot-pgbench-"))
    try:
        lite = work / "store.sqlite3"
        shutil.copyfile(ready, lite)
        t = time.perf_counter()
        report = await copy_sqlite_to_postgres(str(lite), url, force=True)
        took = time.perf_counter() - t
        rows = sum(report.counts.values())
        sentences = report.counts["sentences"]
        print(
            f"store: {report.counts['letters']:,} letters, {sentences:,} sentences; copied to "
            f"PostgreSQL in {took:.1f} s ({rows / took:,.0f} rows/s, {sentences / took:,.0f} "
            "sentences/s)"
        )
        results = {}
        for name, location in (("sqlite", str(lite)), ("postgresql", url)):
            # each backend in a fresh process: no cache, warm-up or frozen heap carried over
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--measure", location, "--probes-from", str(lite),
                "--probes", str(args.probes), "--questions", str(args.questions),
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, _ = await proc.communicate()
            if proc.returncode != 0:
                raise SystemExit(f"measuring {name} failed (exit code {proc.returncode})")
            results[name] = json.loads(out.decode().strip().splitlines()[-1])
            print(f"measured {name}: peak RSS {results[name]['rss_mib']:.0f} MiB", file=sys.stderr)
        probes = make_probes(ready, args.probes, seed=11)
        qs = questions()[: args.questions]
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    s, p = results["sqlite"], results["postgresql"]
    same = sum(a == b for a, b in zip(s["tops"], p["tops"], strict=True)) / len(qs)
    print(f"\n{len(probes)} quote probes, {len(qs)} questions, end to end through the services")
    print(f"{'':34}{'SQLite':>12}{'PostgreSQL':>12}{'PG/SQLite':>11}")

    def line(label: str, a: float, b: float, fmt: str = "{:.1f}") -> None:
        ratio = b / a if a else float("nan")
        print(f"{label:34}{fmt.format(a):>12}{fmt.format(b):>12}{ratio:>10.2f}x")

    line("open + every index ready (s)", s["ready_s"], p["ready_s"])
    for q in (50, 95):
        line(f"quote lookup p{q} (ms)", pct(s["quote_ms"], q), pct(p["quote_ms"], q))
    line("quote top-1", s["quote_top1"], p["quote_top1"], "{:.3f}")
    for q in (50, 95):
        line(f"question p{q} (ms)", pct(s["ask_ms"], q), pct(p["ask_ms"], q))
    print(f"{'question: same top passage':34}{same:>24.3f}")
    print(f"{'mean question (ms)':34}{statistics.mean(s['ask_ms']):>12.1f}"
          f"{statistics.mean(p['ask_ms']):>12.1f}")  # fmt: skip
    line("peak RSS of the bot's process (MiB)", s["rss_mib"], p["rss_mib"], "{:.0f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--letters", type=int, default=1000, help="generated letters (~100 sentences each)"
    )
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--pg", help="a PostgreSQL URL to use (its database is replaced)")
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one backend, JSON out
    ap.add_argument("--probes-from", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        source = Path(args.probes_from)
        probes = make_probes(source, args.probes, seed=11)
        truth = truth_of(source, probes)
        qs = questions()[: args.questions]
        print(json.dumps(asyncio.run(measure(args.measure, probes, truth, qs))))
        return
    ready = ensure_ready_db(args.letters)  # builds (and caches) the store first: its own loop
    started = time.perf_counter()
    asyncio.run(bring_up_to_date(ready))
    print(f"derived data of the cached store up to date: {time.perf_counter() - started:.0f} s")
    asyncio.run(run(args, ready))


if __name__ == "__main__":
    main()
