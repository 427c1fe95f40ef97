"""Reading many files on every core: a bounded pool of reading processes.

An ingest of a folder spends its time in pure Python: reading each file (a PDF in a child
process of its own, :mod:`bot.services.letters.pdf_reader`), parsing its letters and analysing
them (recommendations and topics). :func:`read_files` does that in a pool of processes
(``concurrent.futures.ProcessPoolExecutor``, started with ``spawn``: safe in a process with
threads, the bot's), a few files ahead of the store, and hands the readings back **in file
order**, so letters are numbered as the files are sorted, whatever finished first. The store
writes and the indexes stay with the caller, on its event loop.

Nothing is lost: a file the reader refuses is its :class:`LetterError`; any other failure in a
reading process is that file's error; if a reading process dies (killed, out of memory) the
files it still held are read again here, in a thread, one at a time. Few files (or one core)
are read in a thread, as before: starting processes costs more than it saves.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from bot.services.background import off_the_query_path
from bot.services.letters.files import read_file
from bot.services.letters.reading import Reading, read_letters
from bot.services.recommendations import Analysis, analyse_parsed

log = logging.getLogger(__name__)

#: Fewer files than this are read in a thread (starting reading processes takes a second).
POOL_MIN_FILES = 8
#: Reading processes at most (each holds the lexicon: about 150 MB).
MAX_WORKERS = 4
#: Files handed to each reading process ahead of the one being stored.
AHEAD = 2


@dataclass(slots=True)
class FileReading:
    """What one file held: its letters and their analyses (by ``analysis_key``), or why
    it could not be read (``error``: a :class:`LetterError` or any other exception)."""

    path: Path
    reading: Reading | None = None
    analyses: dict[str, Analysis] = field(default_factory=dict)
    error: BaseException | None = None


def reading_workers(configured: int | None = None) -> int:
    """Reading processes for a large ingest: ``configured`` (``BRIEFBOT_READ_WORKERS``; 1 reads
    in a thread), else every core this process may use, at most :data:`MAX_WORKERS`."""
    if configured is not None:
        return max(1, min(int(configured), 32))
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def read_and_analyse(path: str, analyse: bool = True) -> FileReading:
    """Read one file's letters, and analyse each (blocking: a reading process, or a thread).
    Raises nothing: a failure is the result's ``error``."""
    out = FileReading(Path(path))
    try:
        data = read_file(path)
        out.reading = read_letters(data, name=Path(path).name, isolate=True)
        if analyse:
            for part in out.reading.parts:
                key, analysis = analyse_parsed(part.parsed)
                out.analyses[key] = analysis
    except Exception as exc:  # reported for this file; the others go on
        out.reading = None
        out.error = exc
    return out


def _start(parent: int) -> None:
    """A reading process ends when the process it reads for is gone (killed with SIGKILL,
    say: the pool's queues would keep it waiting for ever), then loads the word lists once,
    before its first file."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="briefbot-parent-watch", daemon=True).start()
    from bot.core.lexicon import warm_up
    from bot.core.repair import warm_up as warm_repair

    warm_up()
    warm_repair()


async def read_files(
    files: Sequence[Path], *, workers: int | None = None, analyse: bool = True
) -> AsyncIterator[FileReading]:
    """Each of ``files`` read (and its letters analysed), in order. ``workers``: reading
    processes (default :func:`reading_workers`); 1, or fewer than :data:`POOL_MIN_FILES`
    files, reads in a thread."""
    n = reading_workers() if workers is None else max(1, workers)
    if n <= 1 or len(files) < POOL_MIN_FILES:
        for f in files:
            yield await off_the_query_path(read_and_analyse, str(f), analyse)
        return
    pool = ProcessPoolExecutor(
        n,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(os.getpid(),),
    )
    pending: deque[tuple[Path, Future[FileReading] | None]] = deque()
    todo = iter(files)
    broken = False

    def submit() -> None:
        f = next(todo, None)
        if f is None:
            return
        if broken:
            pending.append((f, None))
            return
        try:
            pending.append((f, pool.submit(read_and_analyse, str(f), analyse)))
        except (BrokenProcessPool, RuntimeError):
            pending.append((f, None))

    try:

        def fill() -> None:
            for _ in range(n * AHEAD + 1):
                submit()

        await off_the_query_path(fill)  # the first submit starts the processes: not on the loop
        while pending:
            f, future = pending.popleft()
            result: FileReading | None = None
            if future is not None:
                try:
                    result = await asyncio.wrap_future(future)
                except BrokenProcessPool:
                    if not broken:
                        log.warning(
                            "a reading process died; the files it held are read here",
                            extra={"path": str(f)},
                        )
                    broken = True
                except Exception as exc:  # the result could not come back (not picklable)
                    result = FileReading(f, error=exc)
            if result is None:  # the pool broke: read here, in a thread
                result = await off_the_query_path(read_and_analyse, str(f), analyse)
            submit()
            yield result
    finally:
        for _, future in pending:
            if future is not None:
                future.cancel()
        # joined off the event loop: the processes end once their current file is done
        await off_the_query_path(pool.shutdown, True, cancel_futures=True)
