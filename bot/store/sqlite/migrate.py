"""SQLite schema migrations: ``migrations/NNNN_name.sql``, applied in order under
``PRAGMA user_version``, each in one transaction with its version bump.

Migrations live per backend (a PostgreSQL backend has its own folder and its own runner);
the version numbers of both count the same schema changes.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from bot.store.base import MigrationError, SchemaTooNewError
from bot.store.sqlite.db import fetchall as _fetchall

_MIGRATION_FILE = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
#: The first line of a migration that rebuilds a table (SQLite's "12 steps": create the new
#: table, copy, drop the old one, rename). Foreign keys are off while it runs, so dropping the
#: old table does not cascade into every table that refers to it, and are checked before the
#: migration commits.
REBUILD_MARK = "-- briefbot: rebuilds tables"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The migrations shipped in ``bot/store/sqlite/migrations``, numbered 1, 2, 3 ... without
    gaps."""
    folder = resources.files("bot.store.sqlite.migrations")
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


def split_statements(sql: str) -> list[str]:
    """Split a migration script into statements (``CREATE TRIGGER ... END;`` stays whole)."""
    statements = []
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if not _is_blank(buffer):
                statements.append(buffer.strip())
            buffer = ""
    if not _is_blank(buffer.removesuffix(";")):
        raise MigrationError(f"incomplete SQL statement at the end of a migration: {buffer!r}")
    return statements


def _is_blank(statement: str) -> bool:
    code = "".join(line.split("--", 1)[0] for line in statement.splitlines())
    return code.strip().strip(";").strip() == ""


async def _user_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(conn: aiosqlite.Connection, migrations: Sequence[Migration]) -> int:
    """Bring the database up to the last of ``migrations``; return the resulting version.

    Each migration runs in its own transaction together with its ``user_version`` bump, so a
    failure or crash leaves the database at the previous version, untouched.
    """
    latest = len(migrations)
    current = await _user_version(conn)
    while True:
        if current > latest:
            raise SchemaTooNewError(
                f"the database has schema version {current}, but this briefbot only knows "
                f"versions up to {latest}; upgrade briefbot to open it"
            )
        if current == latest:
            return current
        migration = migrations[current]
        rebuild = migration.sql.lstrip().startswith(REBUILD_MARK)
        if rebuild:  # outside a transaction, or the pragma does nothing
            await conn.execute("PRAGMA foreign_keys = OFF")
        try:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated while we waited for the write lock.
                current = await _user_version(conn)
                if current == migration.version - 1:
                    for statement in split_statements(migration.sql):
                        await conn.execute(statement)
                    if rebuild:
                        broken = await _fetchall(conn, "PRAGMA foreign_key_check")
                        if broken:
                            raise MigrationError(
                                f"migration {migration.name} would break {len(broken)} "
                                f"references, e.g. {tuple(broken[0])}"
                            )
                    await conn.execute(f"PRAGMA user_version = {migration.version:d}")
                    current = migration.version
                await conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
                raise
        finally:
            if rebuild:
                await conn.execute("PRAGMA foreign_keys = ON")


LATEST_SCHEMA_VERSION = len(load_migrations())
