"""The measuring side of ``bench/memory.py``, run in a fresh process on the tree under test
(first on ``sys.path``)."""

from __future__ import annotations

import contextlib
import ctypes
import resource
import sys
import time
from pathlib import Path


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def measure(db: str, letters_dir: str, index_dir: str = "off") -> dict[str, float]:
    import bot
    from bot.services.app import Services
    from bot.settings import Settings

    assert bot.__file__.startswith(sys.path[0]), bot.__file__  # the tree under test
    settings = Settings(
        BRIEFBOT_DB=db, BRIEFBOT_LETTERS_DIR=letters_dir, BRIEFBOT_INDEX_DIR=index_dir
    )
    services = await Services.open(settings, seed=False)
    opened = rss_mib()
    t = time.perf_counter()
    try:
        await services.warm(vectors=False)
    except TypeError:  # today's code
        await services.warm()
    warm_s = time.perf_counter() - t
    with contextlib.suppress(OSError):  # freed heap back to the system, as the bot's build
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    dense = services.answers._indexes.value.dense
    dense_bytes = getattr(dense, "memory_bytes", None)
    if dense_bytes is None:
        dense_bytes = sum(getattr(dense, a).nbytes for a in ("_vec", "_sid", "_letter", "_alive"))
    out = {
        "rss_open_mib": opened,
        "rss_warm_mib": rss_mib(),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "dense_mib": dense_bytes / 2**20,
        "warm_s": warm_s,
        # an index built by a child process (bot/services/index_build.py): its peak
        "child_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    await services.close()
    return out
