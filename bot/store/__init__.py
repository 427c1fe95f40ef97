"""Persistent storage: letters, what is derived from them, digests.

Open a store with either form::

    store = await open_store(location)
    ...
    await store.close()

    async with open_store(location) as store:
        ...

``location`` chooses the backend: a file path or ``sqlite:PATH`` (``sqlite:///PATH``) for
SQLite, the embedded default; ``postgresql://...`` for PostgreSQL. Callers see only the
protocols in ``bot.store.base`` and the records in ``bot.store.records``, never a backend.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

from bot.store.base import (
    DigestRepository,
    InvalidLetterError,
    InvalidQueryError,
    LetterRepository,
    MetaRepository,
    MigrationError,
    RecommendationRepository,
    SchemaTooNewError,
    Store,
    StoreBusy,
    StoreError,
    StoreFull,
    VectorRepository,
)
from bot.store.records import LetterRecord, RepairRecord, SectionRecord, SentenceRecord

__all__ = [
    "DigestRepository",
    "InvalidLetterError",
    "InvalidQueryError",
    "LetterRecord",
    "LetterRepository",
    "MetaRepository",
    "MigrationError",
    "RecommendationRepository",
    "RepairRecord",
    "SchemaTooNewError",
    "SectionRecord",
    "SentenceRecord",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreFull",
    "VectorRepository",
    "backend_of",
    "open_store",
    "postgres_url",
    "sqlite_path",
]

Location = str | os.PathLike[str]
_SQLITE_PREFIXES = ("sqlite:///", "sqlite://", "sqlite:")
_POSTGRES_PREFIXES = ("postgresql://", "postgres://", "postgresql+")


def backend_of(location: Location) -> str:
    """``sqlite`` or ``postgresql``: which backend ``location`` names."""
    text = os.fspath(location)
    if text.startswith(_POSTGRES_PREFIXES):
        return "postgresql"
    return "sqlite"


def sqlite_path(location: Location) -> str:
    """The file a SQLite location names (``sqlite:data/x.sqlite3`` -> ``data/x.sqlite3``)."""
    text = os.fspath(location)
    for prefix in _SQLITE_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :] or ":memory:"
    return text


def postgres_url(location: Location) -> str:
    """The URL asyncpg takes (``postgresql+asyncpg://`` and ``postgres://`` as ``postgresql://``)."""
    text = os.fspath(location)
    if text.startswith("postgresql+"):
        text = "postgresql://" + text.split("://", 1)[1]
    return text


class _OpenStore:
    """What ``open_store`` returns: await it for a store, or use it with ``async with``."""

    def __init__(self, location: Location) -> None:
        self._location = location
        self._store: Store | None = None

    async def _open(self) -> Store:
        if backend_of(self._location) == "postgresql":
            try:
                from bot.store.postgres import open_postgres_store
            except ImportError as exc:  # asyncpg missing from this install
                raise StoreError(
                    "this install of briefbot lacks asyncpg, which PostgreSQL needs;"
                    " reinstall briefbot (pip install -e .)"
                ) from exc
            return await open_postgres_store(postgres_url(self._location))
        from bot.store.sqlite import open_sqlite_store

        return await open_sqlite_store(sqlite_path(self._location))

    def __await__(self) -> Generator[Any, None, Store]:
        return self._open().__await__()

    async def __aenter__(self) -> Store:
        self._store = await self._open()
        return self._store

    async def __aexit__(self, *exc_info: object) -> None:
        if self._store is not None:
            await self._store.close()
            self._store = None


def open_store(location: Location) -> _OpenStore:
    """Open the store at ``location`` (see the module's docstring), creating and migrating it
    as needed. Raises ``SchemaTooNewError`` for a database written by a newer briefbot."""
    return _OpenStore(location)
