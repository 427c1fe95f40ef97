"""Memory of a bot process at a large store: RSS with the services opened and every index
warmed, for today's code and this tree, in fresh processes.

    python bench/memory.py [--letters 1000] [--baseline-rev REV] [--only this|baseline]

The store is ``bench/startup.py``'s (generated letters, stand-in vectors, recommendations
marked current), built once and cached under ``bench/out/``. Printed: RSS after the warm-up
(what the bot holds while it serves), the peak during it, the dense index's own arrays, and
the ratio of this tree to today's. Target (issue 14): at most 2 GiB at a million sentences.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from common import BASELINE_REV, REPO, baseline_tree
from startup import ensure_store

_CHILD = """
import asyncio, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from memory_child import measure
print(json.dumps(asyncio.run(measure(sys.argv[3], sys.argv[4]))))
"""


def _child(root: str, db: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, root, str(Path(__file__).parent), str(db),
         str(REPO / "data" / "letters")],
        capture_output=True, text=True, cwd=root, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"child failed ({root}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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
            results["this tree"] = _child(str(REPO), db)
    print(f"memory of a warmed bot process at {args.letters:,} letters, {n:,} sentences")
    names = list(results)
    print(
        f"{'':<32}" + "".join(f"{k:>12}" for k in names) + ("   ratio" if len(names) == 2 else "")
    )
    for label, key in (
        ("RSS after open (MiB)", "rss_open_mib"),
        ("RSS warmed (MiB)", "rss_warm_mib"),
        ("peak RSS (MiB)", "peak_mib"),
        ("dense index arrays (MiB)", "dense_mib"),
        ("warm-up (s)", "warm_s"),
    ):
        vals = [float(results[k][key]) for k in names]
        line = f"{label:<32}" + "".join(f"{v:>12.0f}" if v >= 10 else f"{v:>12.1f}" for v in vals)
        if len(vals) == 2 and vals[0]:
            line += f"{vals[1] / vals[0]:>8.2f}"
        print(line)
    if "this tree" in results:
        per = results["this tree"]["rss_warm_mib"] / max(1, n) * 1_000_000 / 1024
        print(f"this tree: {per:.2f} GiB per million sentences at this size (linear estimate)")


if __name__ == "__main__":
    main()
