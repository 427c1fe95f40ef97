"""The SQLite backend: the embedded default (one file, no server to run).

``open_sqlite_store(path)`` gives a :class:`SqliteStore` implementing ``bot.store.base.Store``;
its migrations are in ``migrations/`` and its online backup and checked restore in
:mod:`bot.store.sqlite.backup`.
"""

from __future__ import annotations

from bot.store.sqlite.migrate import (
    LATEST_SCHEMA_VERSION,
    REBUILD_MARK,
    Migration,
    apply_migrations,
    load_migrations,
    split_statements,
)
from bot.store.sqlite.store import SqliteStore, open_sqlite_store

__all__ = [
    "LATEST_SCHEMA_VERSION",
    "REBUILD_MARK",
    "Migration",
    "SqliteStore",
    "apply_migrations",
    "load_migrations",
    "open_sqlite_store",
    "split_statements",
]
