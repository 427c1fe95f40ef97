"""An in-memory index built once, on first use, and changed in place under one lock after.

The build runs as a task of its own (a request that stops waiting never cancels it) and says
how far it is (``progress``, 0 to 1), so a request that arrives during the build can be told
"still loading, about N s" instead of hanging (:meth:`LazyIndex.get` with ``wait``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

from bot.core.errors import Refused

T = TypeVar("T")

#: How long the bot lets a request wait for an index being built before it answers "still
#: loading, about N s" (Discord wants the first response within 3 s).
READY_WAIT = 2.0


class LazyIndex(Generic[T]):
    """Holds an index that ``build`` makes from the store, at most once.

    ``get`` builds it on first use (concurrent callers wait for the one build). ``updating``
    lets a letter hook change the built index in place, serialised with the build; while the
    index is neither built nor being built it yields None, since the build will read the
    change from the store anyway. ``build`` may report its progress through :meth:`advance`."""

    def __init__(self, build: Callable[[], Awaitable[T]]) -> None:
        self._build = build
        self.value: T | None = None  # read from memory by autocomplete, never waits
        self._lock: asyncio.Lock | None = None  # made inside the running loop
        self._task: asyncio.Task[T] | None = None
        self.progress = 0.0  # share of the build done, 0 .. 1
        self._started: float | None = None
        self.ready_after: float | None = None  # seconds the build took

    def _get_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    @property
    def building(self) -> bool:
        return self._task is not None and not self._task.done()

    def advance(self, progress: float) -> None:
        """The build's progress, 0 to 1 (called by ``build``)."""
        self.progress = min(1.0, max(self.progress, progress))

    def eta(self) -> int:
        """Seconds until the index is ready, estimated from the build's progress so far (at
        least 1; 10 while there is nothing to go by)."""
        if self.value is not None:
            return 0
        if self._started is None or self.progress <= 0.02:
            return 10
        elapsed = time.monotonic() - self._started
        return max(1, round(elapsed * (1 - self.progress) / self.progress))

    async def _run(self) -> T:
        async with self._get_lock():
            if self.value is None:
                self._started = time.monotonic()
                self.progress = 0.0
                self.value = await self._build()
                self.progress = 1.0
                self.ready_after = time.monotonic() - self._started
            return self.value

    async def get(self, *, wait: float | None = None) -> T:
        """The index, built first if need be. With ``wait``: when it is not ready within that
        many seconds, Refused("still_loading", seconds=...) (the build goes on)."""
        value = self.value
        if value is not None:
            return value
        if self._task is None or (self._task.done() and self.value is None):
            self._task = asyncio.create_task(self._run(), name="build-index")
        task = self._task
        if wait is None:
            return await asyncio.shield(task)
        with contextlib.suppress(TimeoutError):  # (asyncio.timeout: see clock.sleep_until)
            async with asyncio.timeout(wait):
                return await asyncio.shield(task)
        raise Refused("still_loading", seconds=self.eta())

    @asynccontextmanager
    async def updating(self) -> AsyncIterator[T | None]:
        lock = self._get_lock()
        if self.value is None and not lock.locked():
            yield None
            return
        async with lock:
            yield self.value
