"""Digests on time: the periodic job that delivers what is due, for the services' scheduler
(``bot.services.scheduler``).

Each subscription's next due time is stored in UTC; the job sleeps until the earliest and is
woken when a subscription changes (``DigestService.changed``). Once a day it forgets the
delivery log older than :data:`LOG_RETENTION`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from bot.services.digests.model import Sender
from bot.services.digests.service import DigestService

log = logging.getLogger(__name__)

LOG_RETENTION = timedelta(days=90)  # the delivery log is kept this long


class DigestJob:
    name = "digests"

    def __init__(self, service: DigestService, sender: Sender | None = None) -> None:
        self.service = service
        self.sender = sender  # set before the job starts (the bot's, once it is connected)
        self._pruned_on: date | None = None

    async def run(self) -> datetime | None:
        if self.sender is None:
            raise RuntimeError("the digest job has no sender; start it with Services.start")
        await self.service.run_due(self.sender)
        await self._prune()
        return await self.service.repo.earliest_due()

    async def _prune(self) -> None:
        """Once a day, drop the delivery log older than LOG_RETENTION."""
        now = self.service.clock.now()
        if self._pruned_on == now.date():
            return
        self._pruned_on = now.date()
        removed = await self.service.repo.prune_deliveries(before=now - LOG_RETENTION)
        if removed:
            log.info("old digest deliveries pruned", extra={"rows": removed})
