"""A real PostgreSQL for the tests: started once per session in a temporary data directory.

``PgServer.start()`` runs ``initdb`` and ``pg_ctl`` from the PostgreSQL binaries on PATH or in
``/usr/lib/postgresql/<version>/bin`` (as the user ``postgres`` when run as root, since the
server refuses to run as root), listening on 127.0.0.1 and a socket in the temporary directory,
with fsync off (a test server: speed over durability). ``BRIEFBOT_TEST_PG_URL`` points the tests
at a server that is already running instead (its user must be allowed to create databases).

Every test gets a database of its own (``fresh_database``), dropped with the server at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ENV_URL = "BRIEFBOT_TEST_PG_URL"
USER = "briefbot"


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        # /usr/local/bin/pg_ctl may be Debian's wrapper: prefer the real binaries next to it
        real = Path(os.path.realpath(found)).parent
        if (real / "initdb").exists() and (real / "postgres").exists():
            return real
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    if found and shutil.which("initdb") and shutil.which("postgres"):
        return Path(found).parent
    return None


def skip_reason() -> str | None:
    """Why the PostgreSQL tests cannot run here (None: they can)."""
    if os.environ.get(ENV_URL):
        return None
    if find_bin_dir() is None:
        return (
            "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql, "
            f"and {ENV_URL} is not set: the PostgreSQL backend is not tested"
        )
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as ``postgres`` then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@dataclass
class PgServer:
    """A running server: ``url(dbname)`` for a database on it."""

    base_url: str
    data_dir: Path | None = None
    bin_dir: Path | None = None
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def start(cls) -> PgServer:
        existing = os.environ.get(ENV_URL)
        if existing:
            return cls(base_url=existing)
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(skip_reason() or "no PostgreSQL")
        root = Path(tempfile.mkdtemp(prefix="briefbot-pg-"))
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
        data = root / "data"
        port = _free_port()
        subprocess.run(
            _as_server_user(
                [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", USER,
                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
            ),
            check=True, capture_output=True,
        )  # fmt: skip
        options = (
            f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_server_user(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                 str(root / "log"), "-w", "-t", "60", "start"]
            ),
            check=True, capture_output=True,
        )  # fmt: skip
        return cls(f"postgresql://{USER}@127.0.0.1:{port}/postgres", data, bin_dir)

    def url(self, dbname: str) -> str:
        parts = urlsplit(self.base_url)
        return urlunsplit(parts._replace(path=f"/{dbname}"))

    def fresh_database(self) -> str:
        """A new, empty database; its URL. (Synchronous: usable from any fixture, in or out
        of an event loop.)"""
        name = f"briefbot_test_{os.getpid()}_{next(self._counter)}"
        self.admin(
            f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}" TEMPLATE template0'
        )
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def admin(self, *statements: str) -> None:
        """Run statements on the server's maintenance database, on a thread of its own."""

        async def run() -> None:
            import asyncpg

            conn = await asyncpg.connect(self.base_url)
            try:
                for statement in statements:
                    await conn.execute(statement)
            finally:
                await conn.close()

        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, run()).result()

    def stop(self) -> None:
        if self.data_dir is None or self.bin_dir is None:
            return
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(
                _as_server_user(
                    [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate",
                     "-w", "stop"]
                ),
                check=True, capture_output=True,
            )  # fmt: skip
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)
