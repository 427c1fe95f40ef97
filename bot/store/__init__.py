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

import asyncio
import sqlite3
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
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
from bot.store.location import (
    Location,
    backend_of,
    describe,
    postgres_url,
    sqlite_path,
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
    "MigrationReport",
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
    "describe",
    "migrate_store",
    "open_store",
    "postgres_url",
    "sqlite_path",
]


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


def _sqlite_version(path: str) -> int:
    """The schema version of a SQLite file, read without changing it (0: none yet)."""
    if path == ":memory:" or not Path(path).is_file():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the SQLite database at {path}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What ``migrate_store`` did: the backend and its schema version before and after."""

    backend: str
    from_version: int
    to_version: int


async def migrate_store(location: Location) -> MigrationReport:
    """Create or upgrade the schema of the store at ``location`` (what opening it does), and
    say from which version to which. ``SchemaTooNewError`` for a newer database."""
    backend = backend_of(location)
    if backend == "postgresql":
        from bot.store.postgres.migrate import schema_version
        from bot.store.postgres.store import connect

        pool = await connect(postgres_url(location), pool_max=1)
        try:
            async with pool.acquire() as conn:
                before = await schema_version(conn)
        finally:
            await pool.close()
    else:
        before = await asyncio.to_thread(_sqlite_version, sqlite_path(location))
    async with open_store(location) as store:
        return MigrationReport(backend, before, store.schema_version)


def open_store(location: Location) -> _OpenStore:
    """Open the store at ``location`` (see the module's docstring), creating and migrating it
    as needed. Raises ``SchemaTooNewError`` for a database written by a newer briefbot."""
    return _OpenStore(location)
