"""Several processes on one store: each test runs on SQLite (one WAL file) and on a real
PostgreSQL (started once per session in a temporary data directory by ``tests.pg``; skipped,
saying why, only where no PostgreSQL exists)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import PgServer, skip_reason


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    server = PgServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    url = pg_server.fresh_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(params=("sqlite", "postgresql"))
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """One store that several processes share: a SQLite file or a postgresql:// URL."""
    if request.param == "sqlite":
        return str(tmp_path / "shared.sqlite3")
    return str(request.getfixturevalue("pg_url"))
