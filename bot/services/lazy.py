"""An in-memory index built once, on first use, and changed in place under one lock after."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class LazyIndex(Generic[T]):
    """Holds an index that ``build`` makes from the store, at most once.

    ``get`` builds it on first use (concurrent callers wait for the one build). ``updating``
    lets a letter hook change the built index in place, serialised with the build; while the
    index is neither built nor being built it yields None, since the build will read the
    change from the store anyway."""

    def __init__(self, build: Callable[[], Awaitable[T]]) -> None:
        self._build = build
        self.value: T | None = None  # read from memory by autocomplete, never waits
        self._lock: asyncio.Lock | None = None  # made inside the running loop

    def _get_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def get(self) -> T:
        value = self.value
        if value is not None:
            return value
        async with self._get_lock():
            if self.value is None:
                self.value = await self._build()
            return self.value

    @asynccontextmanager
    async def updating(self) -> AsyncIterator[T | None]:
        lock = self._get_lock()
        if self.value is None and not lock.locked():
            yield None
            return
        async with lock:
            yield self.value
