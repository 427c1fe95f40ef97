"""Shared by the benchmark scripts: where the corpus is, pinning to one core, memory."""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
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
