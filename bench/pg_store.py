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
import os
import shutil
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


async def measure(
    location: str,
    probes: list,
    truth: dict[int, tuple[int, int]],
    qs: list[str],
    search: str = "store",
):
    settings = Settings(BRIEFBOT_DB=location, BRIEFBOT_LETTERS_DIR=ROOT / "data" / "letters")
    started = time.perf_counter()
    services = await Services.open(settings, seed=False, search=search)  # type: ignore[arg-type]
    try:
        await services.warm()
        # PostgreSQL mode: the sign bits of the dense candidates fill in the background
        dense = services.answers._indexes.value.dense
        signs = getattr(dense, "signs", None)
        if signs is not None:
            await signs.filled.wait()
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
        ask_ms, tops, top3 = [], [], []
        for q in qs:
            t = time.perf_counter()
            reply = await services.answers.answer(q, scope=GLOBAL)
            ask_ms.append((time.perf_counter() - t) * 1000)
            passages = reply.answer.passages
            tops.append((passages[0].letter_id, passages[0].sentence) if passages else None)
            top3.append([(p.letter_id, p.sentence) for p in passages[:3]])
    finally:
        await services.close()
    return {
        "rss_mib": peak_rss_mb(),
        "ready_s": ready,
        "quote_ms": quote_ms,
        "quote_top1": correct / len(probes),
        "ask_ms": ask_ms,
        "tops": tops,
        "top3": top3,
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
        if args.copied:
            print(f"store: {ready}, already copied to {url} (not timed here)")
        else:
            t = time.perf_counter()
            report = await copy_sqlite_to_postgres(str(lite), url, force=True)
            took = time.perf_counter() - t
            rows = sum(report.counts.values())
            sentences = report.counts["sentences"]
            print(
                f"store: {report.counts['letters']:,} letters, {sentences:,} sentences; copied "
                f"to PostgreSQL in {took:.1f} s ({rows / took:,.0f} rows/s, "
                f"{sentences / took:,.0f} sentences/s)"
            )
        results = {}
        runs = (
            ("sqlite", str(lite), "memory"),
            ("pg-memory", url, "memory"),
            ("pg-store", url, "store"),
        )
        for name, location, search in runs:
            # each in a fresh process: no cache, warm-up or frozen heap carried over
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--measure", location, "--probes-from", str(lite),
                "--probes", str(args.probes), "--questions", str(args.questions),
                "--search", search, stdout=asyncio.subprocess.PIPE,
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

    s, old, new = results["sqlite"], results["pg-memory"], results["pg-store"]
    print(f"\n{len(probes)} quote probes, {len(qs)} questions, end to end through the services")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores, shared)")
    print(f"{'':36}{'SQLite':>10}{'PG old':>10}{'PG new':>10}{'new/SQLite':>11}{'new/old':>9}")

    def line(label: str, a: float, b: float, c: float, fmt: str = "{:.1f}") -> None:
        r1 = c / a if a else float("nan")
        r2 = c / b if b else float("nan")
        print(
            f"{label:36}{fmt.format(a):>10}{fmt.format(b):>10}{fmt.format(c):>10}"
            f"{r1:>10.2f}x{r2:>8.2f}x"
        )

    line("open + every index ready (s)", s["ready_s"], old["ready_s"], new["ready_s"])
    for q in (50, 95):
        line(
            f"quote lookup p{q} (ms)",
            pct(s["quote_ms"], q), pct(old["quote_ms"], q), pct(new["quote_ms"], q),
        )  # fmt: skip
    line("quote top-1", s["quote_top1"], old["quote_top1"], new["quote_top1"], "{:.3f}")
    for q in (50, 95):
        line(
            f"question p{q} (ms)", pct(s["ask_ms"], q), pct(old["ask_ms"], q),
            pct(new["ask_ms"], q),
        )  # fmt: skip

    def same(a: dict, b: dict) -> float:
        return sum(x == y for x, y in zip(a["tops"], b["tops"], strict=True)) / len(qs)

    def in_top3(a: dict, b: dict) -> float:
        """The reference's top passage among the other's first three."""
        hits = [x is None or tuple(x) in {tuple(p) for p in t}
                for x, t in zip(a["tops"], b["top3"], strict=True)]  # fmt: skip
        return sum(hits) / len(qs)

    print(f"{'question: same top passage as SQLite':36}{1.0:>10.3f}{same(s, old):>10.3f}"
          f"{same(s, new):>10.3f}")  # fmt: skip
    print(f"{'  SQLite top passage in the top 3':36}{1.0:>10.3f}{in_top3(s, old):>10.3f}"
          f"{in_top3(s, new):>10.3f}")  # fmt: skip
    print(f"{'  answered (a passage found)':36}"
          + "".join(f"{sum(t is not None for t in r['tops']) / len(qs):>10.3f}"
                    for r in (s, old, new)))  # fmt: skip
    line("peak RSS of the bot's process (MiB)", s["rss_mib"], old["rss_mib"], new["rss_mib"],
         "{:.0f}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--letters", type=int, default=1000, help="generated letters (~100 sentences each)"
    )
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--pg", help="a PostgreSQL URL to use (its database is replaced)")
    ap.add_argument(
        "--store", type=Path, help="a SQLite store to use instead of the generated letters"
    )
    ap.add_argument(
        "--copied", action="store_true", help="the --pg database already holds a copy of --store"
    )
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one backend, JSON out
    ap.add_argument("--probes-from", help=argparse.SUPPRESS)
    ap.add_argument("--search", default="store", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        source = Path(args.probes_from)
        probes = make_probes(source, args.probes, seed=11)
        truth = truth_of(source, probes)
        qs = questions()[: args.questions]
        print(json.dumps(asyncio.run(measure(args.measure, probes, truth, qs, args.search))))
        return
    if args.copied and not (args.pg and args.store):
        ap.error("--copied needs --pg and --store")
    # builds (and caches) the store first: its own loop
    ready = args.store or ensure_ready_db(args.letters)
    started = time.perf_counter()
    asyncio.run(bring_up_to_date(ready))
    print(f"derived data of the cached store up to date: {time.perf_counter() - started:.0f} s")
    asyncio.run(run(args, ready))


if __name__ == "__main__":
    main()
