"""Several processes on one store: each test runs on SQLite (one WAL file) and on a real
PostgreSQL (started once per session in a temporary data directory by ``tests.pg``; skipped,
saying why, only where no PostgreSQL exists)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=("sqlite", "postgresql"))
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """One store that several processes share: a SQLite file or a postgresql:// URL."""
    if request.param == "sqlite":
        return str(tmp_path / "shared.sqlite3")
    return str(request.getfixturevalue("pg_url"))
