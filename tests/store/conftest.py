"""The store's tests run against every backend: SQLite (a file in a temporary folder) and
PostgreSQL (a real server started once per session in a temporary data directory by
``tests.pg``; those cases are skipped, saying why, only where no PostgreSQL exists)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import Store, open_store

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where a new, empty store of ``backend`` lives: a file path or a postgresql:// URL."""
    if backend == "sqlite":
        return str(tmp_path / "data" / "nested" / "briefbot.sqlite3")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def store(location: str) -> AsyncIterator[Store]:
    async with open_store(location) as opened:
        yield opened
