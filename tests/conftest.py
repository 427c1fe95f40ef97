"""Fixtures every test folder may use: a real PostgreSQL for the tests that need one (started
once per session in a temporary data directory by ``tests.pg``; skipped, saying why, only where
no PostgreSQL exists), and a fresh database of it per test."""

from __future__ import annotations

from collections.abc import Iterator

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
    """A new, empty PostgreSQL database for one test."""
    url = pg_server.fresh_database()
    yield url
    pg_server.drop_database(url)
