"""Copying a whole store from one backend to another: ``briefbot copy --from sqlite:PATH
--to postgresql://...``.

Table by table, in the order of their references, keeping every id (so sentence ids in vectors,
subscription ids in the delivery log, letter numbers all stay what they were). The SQLite file
is read in batches on a thread; the rows go to PostgreSQL with ``COPY``, all in ONE transaction
that commits only after the row counts of every table were checked equal: a failure leaves the
target as it was. A target that holds anything is refused unless ``force`` (then emptied first,
in the same transaction).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.store.base import StoreError

#: Every table of the store, parents before children (the order rows are copied in).
TABLES = (
    "sources",
    "letters",
    "letter_numbers",
    "sections",
    "sentences",
    "repairs",
    "meta",
    "topics",
    "letter_topics",
    "recommendations",
    "recommendation_topics",
    "sentence_vectors",
    "derived",
    "subscriptions",
    "deliveries",
    "digest_rotation",
    "source_documents",
)

#: Columns PostgreSQL keeps that SQLite holds in another form: how to read them from SQLite.
SQLITE_EXPRESSIONS = {
    # SQLite keeps a recommendation's topics in rowid order (the first is the primary topic)
    ("recommendation_topics", "position"): (
        "row_number() OVER (PARTITION BY recommendation_id ORDER BY rowid) - 1"
    ),
}

BATCH = 5000


class CopyError(StoreError):
    """The store could not be copied; the target is left as it was."""


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: str
    target: str
    schema_version: int
    counts: dict[str, int]  # table -> rows copied (equal in source and target)


def _to_timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _to_date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "boolean": lambda v: None if v is None else bool(v),
    "timestamp with time zone": _to_timestamp,
    "date": _to_date,
    "bytea": lambda v: None if v is None else bytes(v),
    "double precision": lambda v: None if v is None else float(v),
    "text": lambda v: None if v is None else str(v),
}


#: The vocabulary of the sentences as migration 0007 first fills it (its triggers keep it after).
VOCABULARY_RECOUNT = (
    "DELETE FROM vocabulary;"
    " INSERT INTO vocabulary (kind, term, df)"
    " SELECT t.kind, t.term, count(*) FROM sentences AS s, briefbot_terms(s.norm) AS t"
    " GROUP BY t.kind, t.term"
)


async def copy_sqlite_to_postgres(
    source: str, target: str, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> CopyReport:
    """Copy the SQLite store at path ``source`` into the PostgreSQL database at URL ``target``."""
    from bot.store import open_store
    from bot.store.postgres import PgStore

    if not await asyncio.to_thread(Path(source).is_file):
        raise CopyError(f"there is no SQLite database at {source}; check the path after sqlite:")
    async with open_store(source) as sqlite_store:  # migrates an older file first
        version = sqlite_store.schema_version
    opened = await open_store(target)
    if not isinstance(opened, PgStore):
        await opened.close()
        raise CopyError("copy writes to PostgreSQL: give --to postgresql://...")
    try:
        if opened.schema_version != version:
            raise CopyError(
                f"the SQLite store has schema version {version} but PostgreSQL has "
                f"{opened.schema_version}; run the same briefbot on both"
            )
        counts = await _copy(source, opened, force=force, progress=progress)
    finally:
        await opened.close()
    return CopyReport(source=source, target=target, schema_version=version, counts=counts)


async def _copy(
    source: str, store: Any, *, force: bool, progress: Callable[[str], None] | None
) -> dict[str, int]:
    import asyncpg

    from bot.store.postgres.db import DRIVER_ERRORS, store_error

    say = progress or (lambda _text: None)
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True, check_same_thread=False)
    try:
        async with store.pool.acquire() as conn, conn.transaction():
            held = {t: int(await conn.fetchval(f"SELECT count(*) FROM {t}")) for t in TABLES}
            if any(held.values()) and not force:
                raise CopyError(
                    f"the target database is not empty ({held['letters']} letters, "
                    f"{held['subscriptions']} digest subscriptions); use --force to replace "
                    "what it holds"
                )
            if any(held.values()):
                await conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
            # the vocabulary (migration 0007) is counted once after the sentences are in, not
            # by its trigger batch by batch (100k sentences: 21 s instead of 23 s); the
            # trigger is on again before the commit
            vocabulary = bool(
                await conn.fetchval(
                    "SELECT 1 FROM pg_trigger WHERE tgname = 'sentences_vocabulary_add'"
                )
            )
            if vocabulary:
                await conn.execute("ALTER TABLE sentences DISABLE TRIGGER sentences_vocabulary_add")
            counts: dict[str, int] = {}
            for table in TABLES:
                columns = await _columns(conn, table)
                counts[table] = await _copy_table(lite, conn, table, columns)
                say(f"{table}: {counts[table]}")
            if vocabulary:
                await conn.execute(VOCABULARY_RECOUNT)
                await conn.execute("ALTER TABLE sentences ENABLE TRIGGER sentences_vocabulary_add")
            for table in TABLES:  # identities continue after the copied ids
                if "id" in (await _columns(conn, table)):
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                    )
            await conn.execute(f"ANALYZE {', '.join(TABLES)}")  # plans fit the new rows
            for table in TABLES:  # checked before anything is committed
                want = await asyncio.to_thread(_sqlite_count, lite, table)
                have = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
                if want != have or counts[table] != want:
                    raise CopyError(
                        f"{table}: {want} rows in SQLite but {have} in PostgreSQL after the "
                        "copy; nothing was written, try again"
                    )
    except asyncpg.PostgresError as exc:
        raise CopyError(f"PostgreSQL refused the copy ({exc}); nothing was written") from exc
    except DRIVER_ERRORS as exc:
        raise store_error(exc) from exc
    except sqlite3.Error as exc:
        raise CopyError(f"cannot read the SQLite store ({exc}); nothing was written") from exc
    finally:
        lite.close()
    return counts


async def _columns(conn: Any, table: str) -> dict[str, str]:
    """PostgreSQL's stored (not generated) columns of ``table``: name -> data type."""
    rows = await conn.fetch(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'"
        " ORDER BY ordinal_position",
        table,
    )
    return {str(r[0]): str(r[1]) for r in rows}


def _sqlite_count(lite: sqlite3.Connection, table: str) -> int:
    return int(lite.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


async def _copy_table(
    lite: sqlite3.Connection, conn: Any, table: str, columns: dict[str, str]
) -> int:
    names = list(columns)
    have = {r[1] for r in lite.execute(f"PRAGMA table_info({table})")}
    select = []
    for name in names:
        expression = SQLITE_EXPRESSIONS.get((table, name))
        if expression is None and name not in have:
            raise CopyError(f"the SQLite table {table} has no column {name}; migrate it first")
        select.append(expression or f'"{name}"')
    convert = [_CONVERT.get(columns[n], lambda v: v) for n in names]
    order = " ORDER BY rowid" if _has_rowid(lite, table) else ""
    cursor = lite.execute(f"SELECT {', '.join(select)} FROM {table}{order}")
    total = 0
    try:
        while True:
            rows = await asyncio.to_thread(cursor.fetchmany, BATCH)
            if not rows:
                break
            records = [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows]
            await conn.copy_records_to_table(table, records=records, columns=names)
            total += len(records)
    finally:
        cursor.close()
    return total


def _has_rowid(lite: sqlite3.Connection, table: str) -> bool:
    sql = lite.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return bool(sql) and "WITHOUT ROWID" not in str(sql[0]).upper()
