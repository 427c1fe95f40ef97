"""Shared by the benchmark scripts: where the corpus is, pinning to one core, memory."""

from __future__ import annotations

import asyncio
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
