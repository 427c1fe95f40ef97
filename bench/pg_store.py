"""PostgreSQL mode against SQLite mode on the same store: quote lookup and questions.

    python bench/pg_store.py                    # 1,000 generated letters (~100k sentences)
    python bench/pg_store.py --letters 200      # quicker
    python bench/pg_store.py --baseline /tmp/base --no-memory --reference /tmp/ref.json
                                                # store mode against a checkout of older code
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
    skip_analysis: bool = False,
):
    settings = Settings(BRIEFBOT_DB=location, BRIEFBOT_LETTERS_DIR=ROOT / "data" / "letters")
    if skip_analysis:
        _skip_analysis()
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


def _skip_analysis() -> None:
    """Open without analysing the recommendations and topics of letters that lack current
    ones (``--skip-analysis``: at 1M sentences the analysis of 10,000 letters takes most of
    an hour on two shared cores; quote lookups and questions do not search them, though a
    question may be routed to them: run every backend of one comparison alike)."""
    from bot.services.recommendations import RecommendationService

    async def catalogue_only(self: RecommendationService) -> None:
        await self._load_catalogue()

    RecommendationService.load = catalogue_only  # type: ignore[method-assign]


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
        reference = _load_reference(args, ready)
        if reference is not None:
            results["sqlite"] = reference
            print(f"SQLite mode: reused from {args.reference} (same store, probes, questions)",
                  file=sys.stderr)  # fmt: skip
        runs = [("sqlite", str(lite), "memory", ROOT)] if reference is None and args.sqlite else []
        if args.memory:
            runs.append(("pg-memory", url, "memory", ROOT))
        if args.baseline is not None:
            runs.append(("pg-before", url, "store", args.baseline))
        runs.append(("pg-store", url, "store", ROOT))
        for name, location, search, root in runs:
            # each in a fresh process: no cache, warm-up or frozen heap carried over; the
            # baseline with the code of its own checkout
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(root / "bench" / "pg_store.py"), "--measure", location,
                "--probes-from", str(lite), "--probes", str(args.probes),
                "--questions", str(args.questions), "--search", search,
                *(["--skip-analysis"] if args.skip_analysis else []),
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, _ = await proc.communicate()
            if proc.returncode != 0:
                raise SystemExit(f"measuring {name} failed (exit code {proc.returncode})")
            results[name] = json.loads(out.decode().strip().splitlines()[-1])
            if args.keep is not None:  # each run's figures as soon as they are there
                args.keep.write_text(json.dumps(results))
            print(f"measured {name}: peak RSS {results[name]['rss_mib']:.0f} MiB", file=sys.stderr)
        if reference is None and args.reference is not None and args.sqlite:
            _save_reference(args, ready, results["sqlite"])
        probes = make_probes(ready, args.probes, seed=11)
        qs = questions()[: args.questions]
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print_table(results, len(probes), len(qs))


COLUMNS = (
    ("sqlite", "SQLite"),
    ("pg-memory", "PG memory"),
    ("pg-before", "store old"),
    ("pg-store", "store new"),
)


def print_table(results: dict[str, dict], n_probes: int, n_questions: int) -> None:
    """The table: a column per run, then new/SQLite and new/old (the baseline checkout's
    store mode when measured, else PostgreSQL with in-memory search). Without SQLite mode
    (``--no-sqlite``) the top passages are compared with the old code's."""
    cols = [(key, label) for key, label in COLUMNS if key in results]
    old_key = "pg-before" if "pg-before" in results else "pg-memory"
    old = results.get(old_key)
    ref_key = "sqlite" if "sqlite" in results else old_key
    ref_label = "SQLite" if ref_key == "sqlite" else "old"
    s = results[ref_key]
    print(f"\n{n_probes} quote probes, {n_questions} questions, end to end through the services")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores, shared)")
    print(
        f"{'':36}" + "".join(f"{label:>11}" for _, label in cols)
        + (f"{'new/SQLite':>11}" if "sqlite" in results else "")
        + (f"{'new/old':>9}" if old is not None else "")
    )  # fmt: skip

    def line(label: str, get, fmt: str = "{:.1f}", ratio: bool = True) -> None:
        values = {key: get(results[key]) for key, _ in cols}
        text = f"{label:36}" + "".join(f"{fmt.format(values[k]):>11}" for k, _ in cols)
        if ratio:
            c = values["pg-store"]
            if "sqlite" in values:
                a = values["sqlite"]
                text += f"{(c / a if a else float('nan')):>10.2f}x"
            if old is not None:
                b = values[old_key]
                text += f"{(c / b if b else float('nan')):>8.2f}x"
        print(text)

    line("open + every index ready (s)", lambda r: r["ready_s"])
    for q in (50, 95):
        line(f"quote lookup p{q} (ms)", lambda r, q=q: pct(r["quote_ms"], q))
    line("quote top-1", lambda r: r["quote_top1"], "{:.3f}")
    for q in (50, 95):
        line(f"question p{q} (ms)", lambda r, q=q: pct(r["ask_ms"], q))

    def same(b: dict) -> float:
        return sum(x == y for x, y in zip(s["tops"], b["tops"], strict=True)) / n_questions

    def in_top3(b: dict) -> float:
        """The reference's top passage among the other's first three."""
        hits = [x is None or tuple(x) in {tuple(p) for p in t}
                for x, t in zip(s["tops"], b["top3"], strict=True)]  # fmt: skip
        return sum(hits) / n_questions

    line(f"question: same top passage as {ref_label}"[:36], same, "{:.3f}", ratio=False)
    line(f"  {ref_label} top passage in the top 3"[:36], in_top3, "{:.3f}", ratio=False)
    line(
        "  answered (a passage found)",
        lambda r: sum(t is not None for t in r["tops"]) / n_questions, "{:.3f}",
    )  # fmt: skip
    line("peak RSS of the bot's process (MiB)", lambda r: r["rss_mib"], "{:.0f}")
    if s.get("reused"):
        print("(SQLite column reused from an earlier run on the same store, probes and questions)")


def _reference_key(args: argparse.Namespace, ready: Path) -> dict:
    return {"store": str(ready.resolve()), "probes": args.probes, "questions": args.questions}


def _load_reference(args: argparse.Namespace, ready: Path) -> dict | None:
    """SQLite mode's figures from an earlier run on the same store, probes and questions
    (``--reference FILE``; at 1M sentences that run takes ten minutes and does not depend on
    the PostgreSQL code under test)."""
    if args.reference is None or not args.reference.exists():
        return None
    saved = json.loads(args.reference.read_text())
    if saved.get("key") != _reference_key(args, ready):
        return None
    return {**saved["result"], "reused": True}


def _save_reference(args: argparse.Namespace, ready: Path, result: dict) -> None:
    args.reference.write_text(json.dumps({"key": _reference_key(args, ready), "result": result}))


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
    ap.add_argument(
        "--baseline", type=Path, help="a checkout of the code to compare store mode with "
        "(e.g. `git worktree add /tmp/base main`): measured in the same run"
    )  # fmt: skip
    ap.add_argument(
        "--sqlite", action=argparse.BooleanOptionalAction, default=True,
        help="measure SQLite mode (at 1M sentences its indexes take ten minutes and more)",
    )  # fmt: skip
    ap.add_argument(
        "--memory", action=argparse.BooleanOptionalAction, default=True,
        help="also measure PostgreSQL with the in-memory indexes (the default search)",
    )  # fmt: skip
    ap.add_argument(
        "--reference", type=Path,
        help="a file keeping SQLite mode's figures: reused when it holds this store's, probes' "
        "and questions' (SQLite mode does not depend on the PostgreSQL code)",
    )  # fmt: skip
    ap.add_argument(
        "--skip-analysis", action="store_true",
        help="open without analysing the recommendations of letters that lack current ones "
        "(on every backend alike; a store made by an older briefbot then opens in a minute)",
    )  # fmt: skip
    ap.add_argument("--keep", type=Path, help="write every run's raw figures to this file")
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one backend, JSON out
    ap.add_argument("--probes-from", help=argparse.SUPPRESS)
    ap.add_argument("--search", default="store", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        source = Path(args.probes_from)
        probes = make_probes(source, args.probes, seed=11)
        truth = truth_of(source, probes)
        qs = questions()[: args.questions]
        result = measure(args.measure, probes, truth, qs, args.search, args.skip_analysis)
        print(json.dumps(asyncio.run(result)))
        return
    if args.copied and not (args.pg and args.store):
        ap.error("--copied needs --pg and --store")
    # builds (and caches) the store first: its own loop
    ready = args.store or ensure_ready_db(args.letters)
    if not args.skip_analysis:
        started = time.perf_counter()
        asyncio.run(bring_up_to_date(ready))
        print(f"derived data of the cached store up to date: {time.perf_counter() - started:.0f} s")
    asyncio.run(run(args, ready))


if __name__ == "__main__":
    main()
