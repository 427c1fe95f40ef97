"""Persistent storage of parsed letters.

Open a store with either form::

    store = await open_store(path)
    ...
    await store.close()

    async with open_store(path) as store:
        ...

Callers see only the protocols in ``bot.store.base`` and the records in ``bot.store.records``.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

from bot.store.base import (
    InvalidLetterError,
    InvalidQueryError,
    LetterRepository,
    MetaRepository,
    MigrationError,
    SchemaTooNewError,
    Store,
    StoreError,
)
from bot.store.records import LetterRecord, RepairRecord, SectionRecord, SentenceRecord
from bot.store.sqlite import LATEST_SCHEMA_VERSION, open_sqlite_store

__all__ = [
    "LATEST_SCHEMA_VERSION",
    "InvalidLetterError",
    "InvalidQueryError",
    "LetterRecord",
    "LetterRepository",
    "MetaRepository",
    "MigrationError",
    "RepairRecord",
    "SchemaTooNewError",
    "SectionRecord",
    "SentenceRecord",
    "Store",
    "StoreError",
    "open_store",
]


class _OpenStore:
    """What ``open_store`` returns: await it for a store, or use it with ``async with``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = path
        self._store: Store | None = None

    async def _open(self) -> Store:
        return await open_sqlite_store(self._path)

    def __await__(self) -> Generator[Any, None, Store]:
        return self._open().__await__()

    async def __aenter__(self) -> Store:
        self._store = await self._open()
        return self._store

    async def __aexit__(self, *exc_info: object) -> None:
        if self._store is not None:
            await self._store.close()
            self._store = None


def open_store(path: str | os.PathLike[str]) -> _OpenStore:
    """Open the store at ``path`` (a SQLite file; its folder is created if needed).

    Applies the connection pragmas and any pending migrations; raises ``SchemaTooNewError`` for a
    database written by a newer briefbot.
    """
    return _OpenStore(path)
