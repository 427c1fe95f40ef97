"""Memory of a bot process at a large store: RSS with the services opened and every index
warmed, for today's code and this tree, in fresh processes.

    python bench/memory.py [--letters 1000] [--baseline-rev REV] [--only this|baseline]

The store is ``bench/startup.py``'s (generated letters, stand-in vectors, recommendations
marked current), built once and cached under ``bench/out/``. Printed: RSS after the warm-up
(what the bot holds while it serves), the peak during it, the dense index's own arrays, and
the ratio of this tree to today's. Target (issue 14): at most 2 GiB at a million sentences.

This tree is measured twice: a **cold** start (no saved indexes: built, by a child process on a
large store, whose peak is printed apart) and a **warm** one (the saved indexes loaded,
memory-mapped: their pages count in RSS as they are read, and the system may drop them).
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

from common import BASELINE_REV, REPO, baseline_tree, child_json
from startup import ensure_store, working_copy

_CHILD = """
import asyncio, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from memory_child import measure
print(json.dumps(asyncio.run(measure(sys.argv[3], sys.argv[4], sys.argv[5]))))
"""


def _child(root: str, db: Path, index_dir: str = "off") -> dict:
    letters = REPO / "data" / "letters"
    return child_json(_CHILD, root, Path(__file__).parent, db, letters, index_dir, cwd=root)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--letters", type=int, default=1000)
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--only", choices=("baseline", "this"))
    args = ap.parse_args()
    db = ensure_store(args.letters)
    with sqlite3.connect(db) as conn:
        n = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "this":
            tree = baseline_tree(args.baseline_rev, Path(tmp))
            results["baseline"] = _child(str(tree), db)
        if args.only != "baseline":
            saved = str(Path(tmp) / "index")
            results["cold"] = _child(str(REPO), working_copy(db), saved)
            results["warm"] = _child(str(REPO), working_copy(db), saved)
    print(f"memory of a warmed bot process at {args.letters:,} letters, {n:,} sentences")
    names = list(results)
    ratios = [k for k in names if k != "baseline"] if "baseline" in names else []
    print(
        f"{'':<32}"
        + "".join(f"{k:>12}" for k in names)
        + "".join(f"{k + '/base':>12}" for k in ratios)
    )
    for label, key in (
        ("RSS after open (MiB)", "rss_open_mib"),
        ("RSS warmed (MiB)", "rss_warm_mib"),
        ("peak RSS (MiB)", "peak_mib"),
        ("peak of a build child (MiB)", "child_peak_mib"),
        ("dense index arrays (MiB)", "dense_mib"),
        ("warm-up (s)", "warm_s"),
    ):
        vals = {k: float(results[k].get(key, 0.0)) for k in names}
        line = f"{label:<32}" + "".join(
            f"{vals[k]:>12.0f}" if vals[k] >= 10 else f"{vals[k]:>12.1f}" for k in names
        )
        for k in ratios:
            base = vals["baseline"]
            line += f"{vals[k] / base:>12.2f}" if base else f"{'':>12}"
        print(line)
    for k in ratios:
        per = results[k]["rss_warm_mib"] / max(1, n) * 1_000_000 / 1024
        print(f"{k}: {per:.2f} GiB per million sentences at this size (linear estimate)")


if __name__ == "__main__":
    main()
