"""Work that may take seconds (reading a new letter, embedding its sentences, finding its
recommendations) runs on a thread of its own, so that it never queues in front of the searches
and answers users are waiting for (those share the event loop's one worker thread).

A thread per job, not a pool: adding a letter is rare next to its seconds of work, and no
thread outlives its job (a process that forks, like the kill tests' zygote, needs none left)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


async def off_the_query_path(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``asyncio.to_thread``, on a thread of its own."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[R] = loop.create_future()

    def settle(ok: bool, value: object) -> None:
        if future.done():  # the caller was cancelled meanwhile
            return
        if ok:
            future.set_result(value)  # type: ignore[arg-type]
        else:
            future.set_exception(value)  # type: ignore[arg-type]

    def run() -> None:
        try:
            outcome: tuple[bool, object] = (True, fn(*args, **kwargs))
        except BaseException as exc:  # handed to the awaiting task
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="briefbot-ingest", daemon=True).start()
    return await future
