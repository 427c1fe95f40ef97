"""Followed sources on time: the periodic job that polls them, for the services' scheduler
(``bot.services.scheduler``).

Due times are in the database (``sources.next_poll_at``); the job sleeps until the earliest and
is woken when a source is followed (``SourceService.changed``, also from another process). A
round polls every due source at once (each in its own guarded task: one source's outage or bug
never holds up another). What another process (``briefbot follow poll``, another bot process)
stored or removed is taken in by the change job (``bot.services.changes``), for every kind of
letter alike. A round that fails is logged by the scheduler and tried again a minute later.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.services.sources.service import SourceService

log = logging.getLogger(__name__)

AFTER_CRASH = timedelta(minutes=1)  # a failed round is tried again this much later


class SourceJob:
    name = "sources"

    def __init__(self, service: SourceService) -> None:
        self.service = service

    async def run(self) -> datetime | None:
        report = await self.service.poll_due()
        if report.added or report.errors:
            log.info(
                "sources polled",
                extra={
                    "added": len(report.added),
                    "skipped": len(report.skipped),
                    "failed": len(report.errors),
                },
            )
        return await self.service.repo.earliest_poll()
