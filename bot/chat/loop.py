"""The bot's event loop: uvloop where it is installed, asyncio's own otherwise.

Measured in ``bench/two_process.py`` (two processes on one PostgreSQL, 1,000 interactions 50
at a time, a shared 2-core machine): the first response p50 fell from 37 ms to 9 ms and p99
from 388 ms to 253 ms, and the bots answered 63 interactions/s instead of 29. The reason is
the interpreter lock, not raw speed: the searches and summaries run in a worker thread
(``tune_for_latency``), and asyncio's loop releases the lock around every socket call it makes
(each send and receive of a reply), then waits its turn behind the busy worker (at least the
switch interval, longer on a loaded machine where the worker must first be scheduled to give
it back) before it can go on. libuv makes those calls inside its C loop with the lock held and
only lets go while it waits for events, so an interaction's reply no longer queues behind the
worker several times over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def event_loop_factory(choice: str = "auto") -> Callable[[], asyncio.AbstractEventLoop] | None:
    """What makes the bot's loop: ``uvloop`` (an error when it is missing), ``asyncio`` (None:
    the standard loop), or ``auto`` (uvloop when it can be imported)."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise ValueError(
                "BRIEFBOT_EVENT_LOOP=uvloop, but uvloop is not installed: install it "
                "(pip install uvloop) or set BRIEFBOT_EVENT_LOOP=asyncio"
            ) from None
        return None
    return uvloop.new_event_loop
