"""The bot's task that polls followed sources on time.

Due times are in the database (``sources.next_poll_at``); one task sleeps until the earliest
and wakes early when a source is followed. A round polls every due source at once (each in its
own guarded task: one source's outage or bug never holds up another); the round itself cannot
end the task: any failure is logged and the next round comes a minute later.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.services.sources.service import SourceService

log = logging.getLogger(__name__)

IDLE_WAIT = timedelta(hours=1)  # with nothing followed, look again this often
AFTER_CRASH = timedelta(minutes=1)


class SourcePoller:
    def __init__(self, service: SourceService) -> None:
        self.service = service
        self.rounds = 0
        self.idle = asyncio.Event()  # set while it sleeps between rounds (tests wait on it)

    async def run(self) -> None:
        clock = self.service.clock
        while True:
            try:
                self.service.changed.clear()
                self.idle.clear()
                report = await self.service.poll_due()
                caught = await self.service.catch_up()  # what `briefbot follow poll` did
                self.rounds += 1
                if report.added or report.errors or caught:
                    log.info(
                        "sources polled",
                        extra={
                            "from_other_processes": caught,
                            "added": len(report.added),
                            "skipped": len(report.skipped),
                            "failed": len(report.errors),
                        },
                    )
                earliest = await self.service.repo.earliest_poll()
                self.idle.set()
                until = earliest if earliest is not None else clock.now() + IDLE_WAIT
                await clock.sleep_until(until, self.service.changed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("polling the followed sources failed; trying again in a minute")
                self.idle.set()
                await clock.sleep_until(clock.now() + AFTER_CRASH, self.service.changed)
