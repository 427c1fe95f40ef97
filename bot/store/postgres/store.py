"""The PostgreSQL backend of the store: one database shared by any number of processes.

``open_postgres_store(url)`` connects a pool, migrates the schema (``migrate.py``) and gives a
:class:`PgStore` implementing ``bot.store.base.Store``.
"""

from __future__ import annotations

import builtins

import asyncpg

from bot.store.base import StoreError
from bot.store.location import describe
from bot.store.postgres.changes import PostgresChangeFeed
from bot.store.postgres.db import DRIVER_ERRORS, Pg, store_error
from bot.store.postgres.digests import SELECT_DELIVERY, PgDigestRepository, delivery
from bot.store.postgres.letters import PgLetterRepository, PgMetaRepository
from bot.store.postgres.migrate import apply_migrations, load_migrations, schema_version
from bot.store.postgres.recommendations import PgRecommendationRepository
from bot.store.postgres.search import PgSearchRepository
from bot.store.postgres.sources import PgSourceRepository
from bot.store.postgres.vectors import PgVectorRepository
from bot.store.records import StoreStats

#: Connections per process, at most: a bot process needs a handful (reads run side by side;
#: writes are short transactions). Ten processes stay far below PostgreSQL's default of 100.
POOL_MAX = 8
CONNECT_TIMEOUT_S = 10.0


class PgStore:
    def __init__(self, pool: asyncpg.Pool, version: int, url: str) -> None:
        self._db = Pg(pool)
        self._url = url
        self._schema_version = version
        self._letters = PgLetterRepository(self._db)
        self._meta = PgMetaRepository(self._db)
        self._vectors = PgVectorRepository(self._db)
        self._recommendations = PgRecommendationRepository(self._db)
        self._digests = PgDigestRepository(self._db)
        self._sources = PgSourceRepository(self._db)
        self._search = PgSearchRepository(self._db)
        # the change feed (table from migration 0006; LISTEN on a connection of its own)
        self._changes = PostgresChangeFeed(url, pool=pool)
        self._closed = False

    @property
    def letters(self) -> PgLetterRepository:
        return self._letters

    @property
    def meta(self) -> PgMetaRepository:
        return self._meta

    @property
    def vectors(self) -> PgVectorRepository:
        return self._vectors

    @property
    def recommendations(self) -> PgRecommendationRepository:
        return self._recommendations

    @property
    def digests(self) -> PgDigestRepository:
        return self._digests

    @property
    def search(self) -> PgSearchRepository:
        return self._search

    @property
    def sources(self) -> PgSourceRepository:
        return self._sources

    @property
    def changes(self) -> PostgresChangeFeed:
        return self._changes

    @property
    def schema_version(self) -> int:
        return self._schema_version

    @property
    def pool(self) -> asyncpg.Pool:
        """The connection pool (for ``bot.store.copy`` and the tests; services never use it)."""
        return self._db.pool

    async def integrity_check(self) -> builtins.list[str]:
        """``["ok"]``, or what is wrong: a schema other than this briefbot's, a constraint not
        validated, or a sentence filed under another letter's section."""
        problems = []
        async with self._db.read() as conn:
            version = await schema_version(conn)
            if version != self._schema_version:
                problems.append(f"schema version {version}, expected {self._schema_version}")
            for row in await conn.fetch(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint"
                " WHERE NOT convalidated AND connamespace = current_schema()::regnamespace"
            ):
                problems.append(f"constraint {row[1]} of {row[0]} is not validated")
            crossed = await conn.fetchval(
                "SELECT count(*) FROM sentences AS s JOIN sections AS c ON c.id = s.section_id"
                " WHERE c.letter_id != s.letter_id"
            )
            if crossed:
                problems.append(f"{crossed} sentences are filed under another letter's section")
        return problems or ["ok"]

    async def stats(self) -> StoreStats:
        async with self._db.read() as conn:
            sentences = await conn.fetchval("SELECT count(*) FROM sentences")
            subs = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE paused_reason IS NULL),"
                " count(*) FILTER (WHERE paused_reason IS NOT NULL) FROM subscriptions"
            )
            last = await conn.fetchrow(
                f"{SELECT_DELIVERY} WHERE status = 'sent' ORDER BY updated_at DESC LIMIT 1"
            )
        return StoreStats(
            sentences=int(sentences),
            subscriptions_active=int(subs[0] or 0),
            subscriptions_paused=int(subs[1] or 0),
            last_digest=delivery(last) if last else None,
        )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._changes.close()  # its listening connection; the pool is the store's
        try:
            await self._db.pool.close()
        except DRIVER_ERRORS as exc:
            raise store_error(exc) from exc

    async def __aenter__(self) -> PgStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def connect(url: str, *, pool_max: int = POOL_MAX) -> asyncpg.Pool:
    """A pool on ``url``, or the store's error saying what to check."""
    try:
        return await asyncpg.create_pool(
            url, min_size=1, max_size=max(1, pool_max), timeout=CONNECT_TIMEOUT_S,
            command_timeout=None, server_settings={"application_name": "briefbot"},
        )  # fmt: skip
    except asyncpg.InvalidCatalogNameError as exc:
        raise StoreError(
            f"the database {describe(url)} does not exist; create it (createdb) first"
        ) from exc
    except asyncpg.InvalidAuthorizationSpecificationError as exc:
        raise StoreError(f"PostgreSQL refused the login to {describe(url)}: {exc}") from exc
    except (OSError, TimeoutError, asyncpg.CannotConnectNowError) as exc:
        busy = store_error(exc)
        busy.args = (f"cannot reach PostgreSQL at {describe(url)}; is the server running?",)
        raise busy from exc
    except DRIVER_ERRORS as exc:
        raise store_error(exc) from exc


async def open_postgres_store(url: str, *, migrate: bool = True) -> PgStore:
    """Connect to ``url`` and migrate its schema to the latest (``migrate=False``: refuse an
    outdated one instead)."""
    pool = await connect(url)
    try:
        async with pool.acquire() as conn:
            if migrate:
                version = await apply_migrations(conn, load_migrations())
            else:
                version = await schema_version(conn)
    except BaseException as exc:
        await pool.close()
        if isinstance(exc, DRIVER_ERRORS):
            raise store_error(exc) from exc
        raise
    return PgStore(pool, version, url)
