"""Start-up at a large store: does the event loop stall, and are requests answered meanwhile?

    python bench/startup.py [--letters 1000] [--baseline-rev m12]

Builds (once, cached under ``bench/out/``) a store of ``--letters`` generated letters
(``bench/synthetic.py``, ~100 sentences each) with stand-in sentence vectors (as
``bench/ready_store.py`` makes them) and its recommendations marked current, so that opening it
costs what the bot's start costs and nothing else. Then, in a fresh process for today's code
(``git archive --baseline-rev``) and for this tree, it does what ``briefbot run`` does after
connecting: the services opened, the event loop tuned as the client tunes it, the indexes warmed
in the background; meanwhile a /quote and a question arrive every 250 ms, each given Discord's
3 s. Printed: the loop's lag (max, p99: a stall of more than 100 ms is a late heartbeat), the
time to each index being ready, how many requests got their answer (or a "still loading, about
N s" reply) within 3 s, and the process's RSS; then the ratio of this tree to today's.

A watchdog thread samples the loop thread's stack whenever the loop is more than 100 ms late:
the code that stalled it is printed (``--stalls``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from common import OUT, REPO

STEP = 0.25  # seconds between requests
LIMIT = 3.0  # Discord's: an interaction is answered (or deferred) within this


def ensure_store(n_letters: int) -> Path:
    """The cached start-up store of ``n_letters`` letters."""
    from bench.ready_store import _stand_in_vectors
    from bench.synthetic import ensure_synthetic_db
    from bot.core.vectors import model_version
    from bot.services.recommendations import VERSION

    target = OUT / f"startup-{n_letters}.sqlite3"
    if target.exists():
        return target
    work = target.with_name(target.name + ".tmp")
    work.write_bytes(ensure_synthetic_db(n_letters).read_bytes())
    t = time.perf_counter()
    _stand_in_vectors(work, model_version())
    with sqlite3.connect(work) as conn:
        conn.execute(
            "INSERT OR REPLACE INTO derived (letter_id, kind, version)"
            " SELECT id, 'recommendations', ? FROM letters",
            (VERSION,),
        )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    work.replace(target)
    print(f"built {target.name} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return target


_CHILD = """
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[2])
from startup import measure
print(json.dumps(asyncio.run(measure(sys.argv[3], float(sys.argv[4])))))
"""


class Watchdog(threading.Thread):
    """Samples the loop thread's stack while the loop is late (a heartbeat would be)."""

    def __init__(self, loop_thread: int) -> None:
        super().__init__(daemon=True)
        self.loop_thread = loop_thread
        self.beat = time.perf_counter()
        self.stalls: dict[str, float] = {}
        self.stop = False

    def run(self) -> None:
        while not self.stop:
            time.sleep(0.02)
            late = time.perf_counter() - self.beat
            if late > 0.1:
                frame = sys._current_frames().get(self.loop_thread)
                if frame is not None:
                    where = "".join(traceback.format_stack(frame, limit=6)[-4:])
                    self.stalls[where] = max(self.stalls.get(where, 0.0), late)


async def measure(db: str, seconds: float) -> dict[str, object]:
    """In a fresh process: the bot's start on ``db``, with requests arriving meanwhile."""
    import resource

    from bot.chat.client import tune_for_latency
    from bot.core.errors import UserError
    from bot.services.app import Services
    from bot.services.scope import OPERATOR
    from bot.settings import Settings

    loop = asyncio.get_running_loop()
    tune_for_latency(loop)
    dog = Watchdog(threading.get_ident())
    dog.start()
    lags: list[float] = []
    ready: dict[str, float] = {}
    started = time.perf_counter()

    async def monitor() -> None:
        while True:
            t = loop.time()
            dog.beat = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(max(0.0, loop.time() - t - 0.01) * 1000)

    mon = asyncio.create_task(monitor())
    settings = Settings(BRIEFBOT_DB=db, BRIEFBOT_LETTERS_DIR=str(REPO / "data" / "letters"))
    services = await Services.open(settings, seed=False)
    opened = time.perf_counter() - started
    try:  # as Services.start does once the bot serves interactions
        from bot.services.lazy import READY_WAIT

        services.quotes.ready_wait = services.answers.ready_wait = READY_WAIT
    except ImportError:  # today's code: a request waits for the index
        pass
    warm_started = time.perf_counter()

    async def warm() -> None:  # what the client does after connecting
        try:
            await services.warm(vectors=False)
        except TypeError:  # today's code: warm() also fills in missing vectors (none here)
            await services.warm()
        ready["warm"] = time.perf_counter() - warm_started

    async def watch_ready() -> None:
        while "quote" not in ready or "ask" not in ready:
            if "quote" not in ready and services.quotes._index.value is not None:
                ready["quote"] = time.perf_counter() - warm_started
            if "ask" not in ready and services.answers._indexes.value is not None:
                ready["ask"] = time.perf_counter() - warm_started
            await asyncio.sleep(0.01)

    texts = []
    async for rec in services.store.letters.iter_all_sentences(batch=500):
        if rec.id % 97 == 0:
            texts.append(rec.text)
        if len(texts) >= 200:
            break
    outcomes: list[tuple[str, float, str]] = []  # kind, seconds, how

    async def request(kind: str, text: str) -> None:
        t = time.perf_counter()
        try:
            if kind == "quote":
                coro = services.quotes.find(" ".join(text.split()[:8]), scope=OPERATOR)
            else:
                coro = services.answers.ask(" ".join(text.split()[:10]), scope=OPERATOR)
            result = await asyncio.wait_for(coro, LIMIT)
            how = "answered" if result else "empty"
        except TimeoutError:
            how = "timeout"
        except UserError as exc:
            how = f"refused:{getattr(exc, 'key', type(exc).__name__)}"
        outcomes.append((kind, time.perf_counter() - t, how))

    warm_task = asyncio.create_task(warm())
    watcher = asyncio.create_task(watch_ready())
    pending: list[asyncio.Task[None]] = []
    i = 0
    while time.perf_counter() - warm_started < seconds or not warm_task.done():
        text = texts[i % len(texts)]
        pending.append(asyncio.create_task(request("quote" if i % 2 == 0 else "ask", text)))
        i += 1
        await asyncio.sleep(STEP)
        if time.perf_counter() - warm_started > 600:
            break
    await asyncio.gather(*pending)
    await warm_task
    watcher.cancel()
    mon.cancel()
    dog.stop = True
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await services.close()
    lags.sort()
    return {
        "open_s": opened,
        "ready": ready,
        "lag_max_ms": lags[-1] if lags else 0.0,
        "lag_p99_ms": lags[int(0.99 * (len(lags) - 1))] if lags else 0.0,
        "stalls_over_100ms": sum(1 for x in lags if x > 100),
        "requests": len(outcomes),
        "within_3s": sum(1 for _, s, how in outcomes if how != "timeout" and s <= LIMIT),
        "answered": sum(1 for _, _, how in outcomes if how in ("answered", "empty")),
        "loading_replies": sum(1 for _, _, how in outcomes if how.startswith("refused")),
        "slowest_s": max((s for _, s, _ in outcomes), default=0.0),
        "peak_rss_mib": rss,
        "stalls": dog.stalls,
    }


def _child(root: str, db: Path, seconds: float) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, root, str(Path(__file__).parent), str(db), str(seconds)],
        capture_output=True, text=True, cwd=root, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"child failed ({root}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--letters", type=int, default=1000)
    ap.add_argument("--baseline-rev", default="m12")
    ap.add_argument("--seconds", type=float, default=5.0, help="requests at least this long")
    ap.add_argument("--stalls", action="store_true", help="print where the loop stalled")
    ap.add_argument("--only", choices=("baseline", "this"), help="measure one side only")
    args = ap.parse_args()
    db = ensure_store(args.letters)
    with sqlite3.connect(db) as conn:
        n = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "this":
            tree = Path(tmp) / "baseline"
            tree.mkdir()
            data = subprocess.run(
                ["git", "archive", args.baseline_rev, "bot"],
                capture_output=True, check=True, cwd=REPO,
            ).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(tree)], input=data, check=True)
            results["baseline"] = _child(str(tree), db, args.seconds)
        if args.only != "baseline":
            results["this tree"] = _child(str(REPO), db, args.seconds)
    print(f"start-up at {args.letters:,} letters, {n:,} sentences ({db.name})")
    rows = [
        ("services opened (s)", lambda r: r["open_s"]),
        ("quote index ready (s)", lambda r: r["ready"].get("quote", float("nan"))),
        ("question index ready (s)", lambda r: r["ready"].get("ask", float("nan"))),
        ("warm-up done (s)", lambda r: r["ready"].get("warm", float("nan"))),
        ("loop lag max (ms)", lambda r: r["lag_max_ms"]),
        ("loop lag p99 (ms)", lambda r: r["lag_p99_ms"]),
        ("loop stalls > 100 ms", lambda r: r["stalls_over_100ms"]),
        ("requests", lambda r: r["requests"]),
        ("  answered within 3 s", lambda r: r["within_3s"]),
        ("  of which 'still loading'", lambda r: r["loading_replies"]),
        ("slowest request (s)", lambda r: r["slowest_s"]),
        ("peak RSS (MiB)", lambda r: r["peak_rss_mib"]),
    ]
    names = list(results)
    print(
        f"{'':<28}" + "".join(f"{k:>12}" for k in names) + ("   ratio" if len(names) == 2 else "")
    )
    for label, get in rows:
        vals = [float(get(results[k])) for k in names]
        line = f"{label:<28}" + "".join(f"{v:>12.2f}" for v in vals)
        if len(vals) == 2 and vals[0]:
            line += f"{vals[1] / vals[0]:>8.2f}"
        print(line)
    if args.stalls:
        for name in names:
            for where, late in sorted(results[name]["stalls"].items(), key=lambda kv: -kv[1])[:6]:
                print(f"\n[{name}] loop late {late * 1000:.0f} ms in:\n{where}")


if __name__ == "__main__":
    main()
