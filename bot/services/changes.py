"""Several bot processes on one store: what one changes, the others take in within seconds.

Each process keeps the catalog and the indexes in memory, and its scheduler sleeps until a due
time it computed. So a process that stores or deletes a letter (an ingest, an upload, a
followed source), or changes a subscription or a followed source, says so in the store's change
feed (:class:`bot.store.base.ChangeFeed`) through :class:`ChangePublisher`; every process runs
:class:`ChangeJob`, which reads the feed from where it left off and applies what the others did:

- ``letter-added``: the letter is read from the store and indexed here (catalog, quotes,
  recommendations, questions), as if it had been ingested here;
- ``letter-removed``: the letter is forgotten here;
- ``subscriptions`` / ``sources``: the digest job / the source poller wakes and plans again.

A process never applies its own changes (they carry its ``origin``). Publishing comes after the
store's own commit, so a process that dies between the two leaves a change unsaid: the job
therefore also compares the store's letters with the catalog every :data:`RECONCILE` (cheap: one
list of ids), which also covers a process that was away longer than the feed is kept.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.services.catalog import Catalog
from bot.services.clock import Clock
from bot.services.letters import LetterService
from bot.services.letters.report import Ingested
from bot.store import Store
from bot.store.base import ChangeFeed
from bot.store.records import Change, ChangeKind

log = logging.getLogger(__name__)

LISTEN = 5.0  # seconds a round waits for a sign of a change before it looks anyway
RECONCILE = timedelta(minutes=5)  # the store's letters compared with the catalog this often
KEEP = timedelta(days=1)  # changes older than this are pruned (every process has read them)
BATCH = 500


def process_name() -> str:
    """Names this process in what it writes (host, pid and a random part: a restarted process
    with the same pid is another one)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ChangePublisher:
    """Tells the other processes what this one changed. Never fails the change itself: the
    store has it already, and the others' reconcile finds it (a letter) or their next planned
    round does (a subscription)."""

    def __init__(self, feed: ChangeFeed, origin: str | None = None) -> None:
        self.feed = feed
        self.origin = origin or process_name()
        self.published = 0

    async def publish(self, kind: ChangeKind, key: int | None = None) -> None:
        try:
            await self.feed.publish(kind, key, origin=self.origin)
            self.published += 1
        except Exception:
            log.exception("could not tell the other processes of a change", extra={"kind": kind})


class ChangeJob:
    """The scheduler's job that applies the other processes' changes (see the module)."""

    name = "changes"

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        letters: LetterService,
        publisher: ChangePublisher,
        *,
        wakes: dict[ChangeKind, Callable[[], None]],
        clock: Clock,
        listen: float = LISTEN,
    ) -> None:
        self.store = store
        self.feed = store.changes
        self.catalog = catalog
        self.letters = letters
        self.origin = publisher.origin
        self.wakes = wakes
        self.clock = clock
        self.listen = listen
        self.cursor = 0
        self.applied = 0  # changes of other processes taken in (letters, wakes)
        self._reconciled: datetime | None = None
        self._pruned: datetime | None = None

    async def start_at(self) -> None:
        """Read from the feed's latest change on (call it before the catalog is loaded: a
        change made meanwhile is then applied, and applying a letter twice is harmless)."""
        self.cursor = await self.feed.cursor()

    async def run(self) -> datetime | None:
        await self.catch_up()
        now = self.clock.now()
        if self._reconciled is None or now - self._reconciled >= RECONCILE:
            self._reconciled = now
            await self.reconcile()
        if self._pruned is None or now - self._pruned >= timedelta(hours=1):
            self._pruned = now
            await self.feed.prune(now - KEEP)
        await self.feed.wait(self.cursor, self.listen)
        return self.clock.now()  # the next round at once: it starts by reading what came

    async def catch_up(self) -> int:
        """Apply every change after the cursor; how many were other processes'."""
        applied = 0
        while True:
            changes = await self.feed.since(self.cursor, limit=BATCH)
            for change in changes:
                if change.origin != self.origin:
                    await self._apply(change)
                    applied += 1
                self.cursor = change.id
            if len(changes) < BATCH:
                break
        if applied:
            self.applied += applied
            log.info("took in other processes' changes", extra={"changes": applied})
        return applied

    async def _apply(self, change: Change) -> None:
        if change.kind == "letter-added" and change.key is not None:
            await self._index(change.key)
        elif change.kind == "letter-removed" and change.key is not None:
            await self.letters.forget_letter(change.key)
        else:
            wake = self.wakes.get(change.kind)
            if wake is not None:
                wake()

    async def _index(self, letter_id: int) -> bool:
        if letter_id in self.catalog.by_id:
            return False
        record = await self.store.letters.get(letter_id)
        if record is None:  # removed again meanwhile
            return False
        async with self.letters.writing():
            if record.id not in self.catalog.by_id:
                await self.letters.index_stored(
                    Ingested(record.source_path, record, "unchanged", 0)
                )
        return True

    async def reconcile(self) -> int:
        """Compare the store's letters with the catalog and mend the difference (a change
        that was never published, or pruned before this process read it)."""
        stored = {r.id for r in await self.store.letters.list(guild_id=None, include_all=True)}
        known = set(self.catalog.by_id)
        mended = 0
        for letter_id in sorted(stored - known):
            mended += await self._index(letter_id)
        for letter_id in known - stored:
            await self.letters.forget_letter(letter_id)
            mended += 1
        if mended:
            log.info("letters mended from the store", extra={"letters": mended})
            await asyncio.sleep(0)
        return mended
