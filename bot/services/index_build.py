"""Building an index in a child process, so that a start without a saved copy never holds up
the bot's event loop.

Building the quote index or the question indexes of a million sentences is a minute of CPU
work. In the bot's own process that work competes with the event loop for the interpreter
(numpy and the store release it, much of the rest does not), and the loop stalls. So, when the
store is large and the built indexes can be saved (``bot/services/index_cache.py``), the index
is built by ``python -m bot.services.index_child`` instead: a child process that opens the same
store, builds the index the same way, saves it, and says how far it is on its standard output;
the bot then loads the saved copy (memory-mapped: the build's memory peak stays in the child).
If the child fails, the bot builds the index itself, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

PROGRESS = "progress "  # a line of the child's output: how far it is, 0 to 1
_ROOT = str(Path(__file__).resolve().parents[2])  # this tree (also when run from a checkout)


async def build_in_child(
    index: str,
    *,
    location: str,
    directory: Path,
    letters_dir: Path | None,
    progress: Callable[[float], None] | None = None,
) -> bool:
    """Build index ``index`` (``quote`` or ``ask``) of the store at ``location`` in a child
    process that saves it in ``directory``; True when it did. ``progress`` hears how far the
    child is (0 to 1)."""
    args = [sys.executable, "-m", "bot.services.index_child", index]
    # the store's location goes in the environment, not the command line: a PostgreSQL URL
    # may hold a password, and every user of the machine can read a process's arguments
    env = dict(os.environ, BRIEFBOT_DB=location, BRIEFBOT_INDEX_DIR=str(directory))
    if letters_dir is not None:
        env["BRIEFBOT_LETTERS_DIR"] = str(letters_dir)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH", "")) if p)
    try:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
    except OSError as exc:
        log.warning("%s index: no child process to build it (%s); building it here", index, exc)
        return False
    assert proc.stdout is not None and proc.stderr is not None
    errors = asyncio.create_task(proc.stderr.read())
    try:
        async for raw in proc.stdout:
            line = raw.decode(errors="replace").strip()
            if line.startswith(PROGRESS) and progress is not None:
                with contextlib.suppress(ValueError):
                    progress(float(line[len(PROGRESS) :]))
        code = await proc.wait()
    except BaseException:  # cancelled (the bot is stopping): the child goes too
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        errors.cancel()
        raise
    stderr = (await errors).decode(errors="replace").strip()
    if code != 0:
        tail = stderr.splitlines()[-1] if stderr else f"exit code {code}"
        log.warning("%s index: the child process building it failed (%s); building it here",
                    index, tail)  # fmt: skip
        return False
    return True
