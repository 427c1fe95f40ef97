"""Store commands: ``migrate`` (create or upgrade the schema of the configured store) and
``copy`` (move a SQLite store to PostgreSQL, checked). Adapters only: the work is in
``bot.store`` (``migrate_store``) and ``bot.store.copy``."""

from __future__ import annotations

import argparse

from bot.cli.output import emit_json, err, fail, out
from bot.store import (
    SchemaTooNewError,
    StoreError,
    backend_of,
    describe,
    migrate_store,
    sqlite_path,
)
from bot.store.copy import TABLES, CopyError, copy_sqlite_to_postgres


async def migrate(args: argparse.Namespace) -> int:
    """JSON keys (stable): backend, from_version, to_version."""
    try:
        report = await migrate_store(args.db)
    except SchemaTooNewError as exc:
        return fail(args, str(exc))
    except StoreError as exc:
        return fail(args, f"cannot migrate {describe(args.db)}: {exc}")
    if args.json:
        emit_json(
            {
                "backend": report.backend,
                "from_version": report.from_version,
                "to_version": report.to_version,
            }
        )
    elif report.from_version == report.to_version:
        out.print(
            f"{describe(args.db)} ({report.backend}) is up to date: schema version "
            f"{report.to_version}",
            markup=False,
        )
    else:
        out.print(
            f"migrated {describe(args.db)} ({report.backend}) from schema version "
            f"{report.from_version} to {report.to_version}",
            markup=False,
        )
    return 0


async def copy(args: argparse.Namespace) -> int:
    """JSON keys (stable): from, to, schema_version, counts {table: rows}."""
    if backend_of(args.source) != "sqlite":
        return fail(args, "copy reads a SQLite store: give --from sqlite:PATH")
    if backend_of(args.target) != "postgresql":
        return fail(args, "copy writes to PostgreSQL: give --to postgresql://USER@HOST/DB")
    source = sqlite_path(args.source)

    def progress(line: str) -> None:
        if not args.json:
            err.print(f"copied {line}", markup=False)

    try:
        report = await copy_sqlite_to_postgres(
            source, args.target, force=args.force, progress=progress
        )
    except CopyError as exc:
        return fail(args, str(exc))
    except StoreError as exc:
        return fail(args, f"cannot copy to {describe(args.target)}: {exc}")
    if args.json:
        emit_json(
            {
                "from": source,
                "to": describe(args.target),
                "schema_version": report.schema_version,
                "counts": report.counts,
            }
        )
        return 0
    out.print(
        f"copied {source} to {describe(args.target)} (schema version {report.schema_version});"
        " rows, checked equal on both sides:",
        markup=False,
    )
    for table in TABLES:
        out.print(f"  {table:<22} {report.counts.get(table, 0):>10}", markup=False)
    return 0


def _configure_copy(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from", dest="source", required=True, metavar="sqlite:PATH",
        help="the SQLite store to copy (left unchanged)",
    )  # fmt: skip
    p.add_argument(
        "--to", dest="target", required=True, metavar="postgresql://...",
        help="the PostgreSQL database to copy into (it must be empty, or --force)",
    )  # fmt: skip
    p.add_argument(
        "--force", action="store_true", help="replace whatever the target database holds"
    )


COMMANDS = [
    ("migrate", "create or upgrade the database schema, print the versions", lambda p: None,
     migrate),
    ("copy", "copy a SQLite store into PostgreSQL, checked", _configure_copy, copy),
]  # fmt: skip
