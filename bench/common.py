"""Shared by the benchmark scripts: where the corpus is, pinning to one core, memory, the tree
before issue 14 as a baseline, the evaluation splits."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
#: The code before issue 14's scale work (ingest with vectors inline, float32 dense index, index
#: builds on the event loop): the baseline the scale benches measure against in the same run.
BASELINE_REV = "5b972046d5f8873308e889ca3dc85a5eba978de0"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def corpus_dir() -> Path | None:
    """``$BRIEFBOT_CORPUS`` if set, else ``../shared/corpus/letters`` next to the repository."""
    for candidate in (os.environ.get("BRIEFBOT_CORPUS"), REPO.parent / "shared/corpus/letters"):
        if candidate and Path(candidate, "index.csv").is_file():
            return Path(candidate)
    return None


def pin_one_core() -> str:
    """Run on one core, as the targets are stated; returns a note for the report."""
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        return "pinned to one core"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class LagMonitor:
    """How late a 10 ms sleep wakes up, sampled while running: the event loop's lag, in ms."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def tick(self) -> None:
        """Called after every sample; subclasses sample more there."""

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            await asyncio.sleep(0.01)
            self.samples.append(max(0.0, loop.time() - t - 0.01) * 1000)
            self.tick()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        if self._task:
            self._task.cancel()


def child_json(code: str, *args: object, cwd: str | Path) -> dict:
    """Run ``python -c code args...`` in ``cwd`` (a tree under test) and return the JSON object
    its last line of output prints; a failed child ends the bench with its error."""
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True, text=True, cwd=str(cwd), check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"child failed ({cwd}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline_tree(rev: str, into: Path) -> Path:
    """``bot/`` as it was at ``rev`` (``git archive``), unpacked in ``into/baseline``."""
    tree = into / "baseline"
    tree.mkdir()
    data = subprocess.run(
        ["git", "archive", rev, "bot"], capture_output=True, check=True, cwd=REPO
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=data, check=True)
    return tree


#: The split scored once, at the end, whose misses are never listed (listing them would invite
#: tuning on them). ``test``, ``test2`` and ``test3`` were held out in rounds 1, 2 and 3: all are
#: tuning data since.
HELD_OUT = ("test4",)


def add_splits(ap, *, default: str, names: str) -> None:  # type: ignore[no-untyped-def]
    """``--splits`` and ``--test`` for the quality benches (test4 is held out: scored once)."""
    ap.add_argument(
        "--splits",
        default=default,
        help=f"comma-separated: {names} (tuning data; ``a+b`` pools splits into one figure), "
        "test4 (held out: score it once, at the end)",
    )
    ap.add_argument("--test", action="store_true", help="also score the held-out test4 (once)")


def chosen_splits(args) -> list[str]:  # type: ignore[no-untyped-def]
    splits = [s.strip() for s in args.splits.split(",") if s.strip()]
    if args.test and HELD_OUT[0] not in splits:
        splits.append(HELD_OUT[0])
    return splits
