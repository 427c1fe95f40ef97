"""The one scheduler of the periodic jobs: rounds on the injected clock, woken early, a failing
round retried (the job's task never dies), stopped and started again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.clock import ManualClock
from bot.services.scheduler import RETRY_AFTER, Scheduler

START = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


class Job:
    name = "job"

    def __init__(self, clock: ManualClock, *, every: timedelta, failures: int = 0) -> None:
        self.clock = clock
        self.every = every
        self.failures = failures
        self.runs: list[datetime] = []

    async def run(self) -> datetime:
        self.runs.append(self.clock.now())
        if self.failures:
            self.failures -= 1
            raise RuntimeError("a round that fails")
        return self.clock.now() + self.every


async def settle(scheduler: Scheduler, rounds: int) -> None:
    for _ in range(200):
        await asyncio.sleep(0.005)
        if scheduler.rounds("job") >= rounds and scheduler.idle("job").is_set():
            return
    raise AssertionError(f"{rounds} rounds did not happen")


async def test_rounds_follow_the_clock_and_wake_early() -> None:
    clock = ManualClock(START)
    scheduler = Scheduler(clock)
    wake = asyncio.Event()
    job = Job(clock, every=timedelta(hours=1))
    scheduler.add(job, wake=wake)
    scheduler.start()
    await settle(scheduler, 1)
    await clock.advance(timedelta(minutes=59))
    await asyncio.sleep(0.02)
    assert job.runs == [START]  # not due yet
    await clock.advance(timedelta(minutes=1))
    await settle(scheduler, 2)
    wake.set()  # something changed: plan again now
    await settle(scheduler, 3)
    assert job.runs == [START, START + timedelta(hours=1), START + timedelta(hours=1)]
    await scheduler.stop()
    assert not scheduler.running("job")


async def test_a_failing_round_is_retried_and_the_job_lives_on(caplog) -> None:
    clock = ManualClock(START)
    scheduler = Scheduler(clock)
    job = Job(clock, every=timedelta(hours=1), failures=1)
    scheduler.add(job)
    scheduler.start()
    for _ in range(200):
        await asyncio.sleep(0.005)
        if job.runs and scheduler.idle("job").is_set():
            break
    assert scheduler.rounds("job") == 0 and scheduler.running("job")
    assert "a round of a periodic job failed" in caplog.text
    await clock.advance(RETRY_AFTER)
    await settle(scheduler, 1)
    assert job.runs == [START, START + RETRY_AFTER]
    await scheduler.stop()
    scheduler.start()  # started again (a restart after downtime): it runs at once
    await settle(scheduler, 2)
    await scheduler.stop()


def test_one_job_per_name() -> None:
    scheduler = Scheduler(ManualClock(START))
    scheduler.add(Job(ManualClock(START), every=timedelta(hours=1)))
    with pytest.raises(RuntimeError, match="scheduled already"):
        scheduler.add(Job(ManualClock(START), every=timedelta(hours=1)))


async def test_a_job_that_swallows_its_cancellation_still_stops() -> None:
    """A cancellation lost inside a round (Python 3.11's ``asyncio.wait_for`` can lose one as
    its timeout fires) must not keep the job running: ``stop`` would wait for ever."""

    class Swallowing:
        name = "job"

        def __init__(self) -> None:
            self.started = asyncio.Event()
            self.swallowed = 0

        async def run(self) -> datetime:
            self.started.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                self.swallowed += 1  # a library that lost it: the round ends as if nothing
            return START

    clock = ManualClock(START)
    scheduler = Scheduler(clock)
    job = Swallowing()
    scheduler.add(job)
    scheduler.start()
    await asyncio.wait_for(job.started.wait(), 5)
    stopping = asyncio.ensure_future(scheduler.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)  # (never cancels: a failure, not a hang)
    assert done == {stopping}, "the job did not stop"
    assert job.swallowed == 1 and not scheduler.running("job")
