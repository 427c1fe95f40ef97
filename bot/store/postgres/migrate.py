"""PostgreSQL schema migrations: ``migrations/NNNN_name.sql``, applied in order, each in one
transaction together with its row in ``schema_version``.

The version numbers count the same schema changes as SQLite's (``bot/store/sqlite/migrations``),
so a store of either backend at version N holds the same data. Several processes starting at
once migrate one after the other: the runner holds an advisory lock while it looks and applies.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import asyncpg

from bot.store.base import MigrationError, SchemaTooNewError
from bot.store.postgres.db import DRIVER_ERRORS, store_error

_MIGRATION_FILE = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
#: pg_advisory_lock key of the migration runner ("briefbot" in ASCII, as a number).
MIGRATION_LOCK = 0x6272696566626F74

_CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The migrations shipped in ``bot/store/postgres/migrations``, numbered 1, 2, 3 ..."""
    folder = resources.files("bot.store.postgres.migrations")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_FILE.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        names = ", ".join(m.name for m in found)
        raise MigrationError(f"migrations must be numbered 0001, 0002, ... without gaps: {names}")
    return found


async def schema_version(conn: asyncpg.Connection) -> int:
    """The version of the database (0: empty, no briefbot schema yet)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))


async def apply_migrations(conn: asyncpg.Connection, migrations: Sequence[Migration]) -> int:
    """Bring the database up to the last of ``migrations``; return the resulting version. A
    failing migration leaves the database at the previous version, untouched."""
    latest = len(migrations)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    except DRIVER_ERRORS as exc:
        raise store_error(exc) from exc
    try:
        try:
            current = await schema_version(conn)
        except DRIVER_ERRORS as exc:
            raise store_error(exc) from exc
        if current > latest:
            raise SchemaTooNewError(
                f"the database has schema version {current}, but this briefbot only knows "
                f"versions up to {latest}; upgrade briefbot to open it"
            )
        if current == latest:
            return current
        for migration in migrations[current:]:
            try:
                async with conn.transaction():
                    await conn.execute(_CREATE_VERSION_TABLE)
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                        migration.version,
                        migration.name,
                    )
            except asyncpg.PostgresError as exc:
                raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
            except DRIVER_ERRORS as exc:
                raise store_error(exc) from exc
            current = migration.version
        return current
    finally:
        with contextlib.suppress(*DRIVER_ERRORS):  # a connection that is gone took its lock
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)


LATEST_SCHEMA_VERSION = len(load_migrations())
