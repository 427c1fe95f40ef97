"""Start-up at a large store: does the event loop stall, and are requests answered meanwhile?

    python bench/startup.py [--letters 1000] [--baseline-rev REV] [--stalls]

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

This tree is measured twice, one after the other: a **cold** start (no saved indexes: they are
built from the store, then saved to a fresh folder while the process closes) and a **warm**
start (a restart: the saved indexes are loaded, memory-mapped; ``bot/services/index_cache.py``).

A watchdog thread samples the loop thread's stack whenever the loop is more than 100 ms late:
the code that stalled it is printed (``--stalls``).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from common import BASELINE_REV, OUT, REPO, baseline_tree, child_json

STEP = 0.25  # seconds between requests
LIMIT = 3.0  # Discord's: an interaction is answered (or deferred) within this


def working_copy(store: Path) -> Path:
    """A copy of ``store`` for this tree (made once, kept beside it): this tree migrates the
    store it opens, and the baseline, run on ``store`` itself, could not open it after that."""
    target = store.with_name(store.stem + "-current.sqlite3")
    if not target.exists():
        work = target.with_name(target.name + ".tmp")
        shutil.copyfile(store, work)
        work.replace(target)
    return target


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


# The child puts the measured tree first on sys.path and imports nothing of this one.
_CHILD = """
import asyncio, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from startup_child import measure
print(json.dumps(asyncio.run(measure(sys.argv[3], float(sys.argv[4]), sys.argv[5], sys.argv[6]))))
"""


def _child(root: str, db: Path, seconds: float, index_dir: str = "off") -> dict:
    letters = REPO / "data" / "letters"
    here = Path(__file__).parent
    return child_json(_CHILD, root, here, db, seconds, letters, index_dir, cwd=root)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--letters", type=int, default=1000)
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
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
            tree = baseline_tree(args.baseline_rev, Path(tmp))
            results["baseline"] = _child(str(tree), db, args.seconds)
        if args.only != "baseline":
            saved = Path(tmp) / "index"
            mine = working_copy(db)
            results["cold"] = _child(str(REPO), mine, args.seconds, str(saved))
            results["warm"] = _child(str(REPO), mine, args.seconds, str(saved))
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
        ("close incl. saving (s)", lambda r: r.get("close_s", float("nan"))),
    ]
    names = list(results)
    ratios = [k for k in names if k != "baseline"] if "baseline" in names else []
    print(
        f"{'':<28}"
        + "".join(f"{k:>12}" for k in names)
        + "".join(f"{k + '/base':>12}" for k in ratios)
    )
    for label, get in rows:
        vals = {k: float(get(results[k])) for k in names}
        line = f"{label:<28}" + "".join(f"{vals[k]:>12.2f}" for k in names)
        for k in ratios:
            base = vals["baseline"]
            line += f"{vals[k] / base:>12.2f}" if base else f"{'':>12}"
        print(line)
    for k in names:
        loads = results[k].get("index_loads")
        if loads:
            print(f"{k}: saved indexes {', '.join(f'{n} {how}' for n, how in loads.items())}")
    if args.stalls:
        for name in names:
            for where, late in sorted(results[name]["stalls"].items(), key=lambda kv: -kv[1])[:6]:
                print(f"\n[{name}] loop late {late * 1000:.0f} ms in:\n{where}")


if __name__ == "__main__":
    main()
