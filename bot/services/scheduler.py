"""One scheduler for briefbot's periodic jobs: digest delivery, the purge of servers' data (and
whatever else runs on a clock, such as polling followed sources).

Each job runs in a task of its own that the scheduler keeps referenced: a round (``Job.run``),
then a sleep until the time the round returned, or until the job's ``wake`` event is set (a
subscription changed: plan again now). Times come from the injected clock (a manual one in
tests). A round that raises is logged and tried again after ``retry_after``: a job's task never
dies of one failure. The composition root (``bot.services.app.Services``) starts and stops it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.services.clock import Clock

log = logging.getLogger(__name__)

IDLE = timedelta(hours=1)  # a job with nothing scheduled looks again after this long
RETRY_AFTER = timedelta(seconds=30)


class Job(Protocol):
    name: str

    async def run(self) -> datetime | None:
        """One round: do what is due. Returns when the job is next due (None: nothing is
        scheduled; look again after an hour, or when woken)."""
        ...


@dataclass(eq=False)
class _Entry:
    job: Job
    wake: asyncio.Event
    retry_after: timedelta
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    rounds: int = 0
    task: asyncio.Task[None] | None = None


def _stop_if_asked() -> None:
    """A job asked to stop stops, even when a library swallowed the cancellation on its way
    (Python 3.11's ``asyncio.wait_for`` can, as its timeout fires): otherwise ``stop`` would
    wait for it for ever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._entries: dict[str, _Entry] = {}

    def add(
        self, job: Job, *, wake: asyncio.Event | None = None, retry_after: timedelta = RETRY_AFTER
    ) -> None:
        """Register ``job`` (started by :meth:`start`); ``wake`` lets others run it early."""
        if job.name in self._entries:
            raise RuntimeError(f"a job named {job.name!r} is scheduled already")
        self._entries[job.name] = _Entry(job, wake or asyncio.Event(), retry_after)

    @property
    def jobs(self) -> list[str]:
        return list(self._entries)

    def start(self, name: str | None = None) -> None:
        """Start every job (or the one named) that is not running."""
        for entry in self._selected(name):
            if entry.task is None or entry.task.done():
                entry.task = asyncio.create_task(self._loop(entry), name=f"job:{entry.job.name}")

    async def stop(self, name: str | None = None) -> None:
        """Stop every job (or the one named) and wait until its task has ended."""
        tasks = []
        for entry in self._selected(name):
            if entry.task is not None:
                entry.task.cancel()
                tasks.append(entry.task)
                entry.task = None
        await asyncio.gather(*tasks, return_exceptions=True)

    def running(self, name: str) -> bool:
        task = self._entries[name].task
        return task is not None and not task.done()

    def idle(self, name: str) -> asyncio.Event:
        """Set while the job sleeps between rounds (cleared while a round runs)."""
        return self._entries[name].idle

    def rounds(self, name: str) -> int:
        """How many rounds of the job finished."""
        return self._entries[name].rounds

    def wake(self, name: str) -> None:
        """Run the job's next round now."""
        self._entries[name].wake.set()

    def _selected(self, name: str | None) -> list[_Entry]:
        return list(self._entries.values()) if name is None else [self._entries[name]]

    async def _loop(self, entry: _Entry) -> None:
        clock = self.clock
        while True:
            try:
                entry.wake.clear()
                entry.idle.clear()
                due = await entry.job.run()
                entry.rounds += 1
                entry.idle.set()
                await clock.sleep_until(due or clock.now() + IDLE, entry.wake)
                _stop_if_asked()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "a round of a periodic job failed; trying again",
                    extra={"job": entry.job.name, "retry_in": entry.retry_after.total_seconds()},
                )
                entry.idle.set()
                await clock.sleep_until(clock.now() + entry.retry_after, entry.wake)
