"""The PostgreSQL backend: one database shared by several briefbot processes.

``open_postgres_store(url)`` gives a :class:`PgStore` implementing ``bot.store.base.Store``
(asyncpg pool; migrations in ``migrations/``, counted like SQLite's; full-text search with a
Dutch, accent-insensitive configuration; digest claims that hold across processes).
"""

from __future__ import annotations

from bot.store.postgres.migrate import (
    LATEST_SCHEMA_VERSION,
    Migration,
    apply_migrations,
    load_migrations,
    schema_version,
)
from bot.store.postgres.store import PgStore, open_postgres_store

__all__ = [
    "LATEST_SCHEMA_VERSION",
    "Migration",
    "PgStore",
    "apply_migrations",
    "load_migrations",
    "open_postgres_store",
    "schema_version",
]
