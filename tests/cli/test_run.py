"""``briefbot run``: a clear line and exit 2 without a usable token; a clean stop on SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.cli import ops
from bot.settings import get_settings
from tests.discord_server import DiscordTestServer, patch_discord

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"


def test_missing_token_is_one_clear_line_and_exit_2(tmp_path):
    env = {**os.environ, "DISCORD_TOKEN": "", "BRIEFBOT_DB": str(tmp_path / "x.sqlite3")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _args(tmp_path) -> argparse.Namespace:
    return argparse.Namespace(db=tmp_path / "run.sqlite3", json=False)


async def test_a_rejected_token_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DISCORD_TOKEN", "not-the-right-token")
    monkeypatch.setenv("BRIEFBOT_LETTERS_DIR", str(BUNDLED))
    get_settings.cache_clear()
    try:
        async with DiscordTestServer(token="test-token") as server:
            with patch_discord(server):
                code = await ops.run(_args(tmp_path))
    finally:
        get_settings.cache_clear()
    assert code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()  # one line, as the README promises
    assert "rejected the token" in line


async def test_sigterm_stops_cleanly_and_closes_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "test-token")
    monkeypatch.setenv("BRIEFBOT_LETTERS_DIR", str(BUNDLED))
    get_settings.cache_clear()
    try:
        async with DiscordTestServer(token="test-token") as server:
            server.add_guild("Beleid")
            with patch_discord(server):
                runner = asyncio.create_task(ops.run(_args(tmp_path)))
                await server.wait_for_ready(timeout=60)
                await server.settle(0.2)
                os.kill(os.getpid(), signal.SIGTERM)
                code = await asyncio.wait_for(runner, 30)
    finally:
        get_settings.cache_clear()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    assert code == 0
    # closed cleanly: the WAL was checkpointed away and another process may open it at once
    with sqlite3.connect(tmp_path / "run.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM letters").fetchone()[0] == 1
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not [
        t
        for t in leftover
        if t.get_name() in ("start-jobs", "warm-indexes", "discord")
        or t.get_name().startswith("job:")
    ]


# ---------------------------------------------------------------- Discord cannot be reached

# The real program, in a process of its own, with discord.py pointed at a loopback port where
# nothing listens (the only change: where Discord is). What the operator sees is all of it.
UNREACHABLE = """
import socket, sys
import discord.http
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _unreachable(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DISCORD_TOKEN": "abc.def.ghi",
        "BRIEFBOT_DB": str(tmp_path / "x.sqlite3"),
        "BRIEFBOT_LETTERS_DIR": str(BUNDLED),
        "LOG_LEVEL": "INFO",
    }
    return subprocess.run(
        [sys.executable, "-c", UNREACHABLE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_without_discord_is_one_line_and_exit_3(tmp_path):
    result = _unreachable(tmp_path, "run")
    assert result.returncode == 3, result.stderr
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1, lines  # no voice warnings, no log noise, no traceback
    assert lines[0].startswith("Cannot reach Discord (127.0.0.1:")
    assert "Check this machine's network connection" in lines[0]


def test_sync_without_discord_is_the_same_line(tmp_path):
    result = _unreachable(tmp_path, "sync")
    assert result.returncode == 3, result.stderr
    (line,) = (result.stdout + result.stderr).strip().splitlines()
    assert line.startswith("Cannot reach Discord")


def test_what_each_start_failure_says():
    import aiohttp
    import discord
    from aiohttp.client_reqrep import ConnectionKey

    key = ConnectionKey("discord.com", 443, True, True, None, None, None)
    dns = aiohttp.ClientConnectorDNSError(key, OSError(-2, "Name or service not known"))
    message, code = ops.discord_failure(dns)
    assert code == 3 and "the name discord.com does not resolve" in message
    message, code = ops.discord_failure(TimeoutError())
    assert code == 3 and "timed out" in message
    assert ops.discord_failure(discord.LoginFailure("bad")) == (ops.REJECTED_HELP, 2)
    assert ops.discord_failure(RuntimeError("a bug")) is None  # a bug still shows


async def test_a_gateway_outage_after_the_start_is_retried_with_backoff(tmp_path, monkeypatch):
    """Once up, briefbot rides out an outage: discord.py retries the refused connections with
    exponential backoff and resumes; ``run`` keeps running and still stops cleanly."""
    monkeypatch.setenv("DISCORD_TOKEN", "test-token")
    monkeypatch.setenv("BRIEFBOT_LETTERS_DIR", str(BUNDLED))
    get_settings.cache_clear()
    try:
        async with DiscordTestServer(token="test-token") as server:
            server.add_guild("Beleid")
            with patch_discord(server):
                runner = asyncio.create_task(ops.run(_args(tmp_path)))
                await server.wait_for_ready(timeout=60)
                await server.gateway_outage(2)
                await server.wait_until(
                    lambda: (
                        server.refused_gateway_count == 2
                        and server.session is not None
                        and server.session.conn is not None
                    ),
                    timeout=30,
                )
                assert not runner.done()
                os.kill(os.getpid(), signal.SIGTERM)
                code = await asyncio.wait_for(runner, 30)
    finally:
        get_settings.cache_clear()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    assert code == 0
    assert server.resume_count + server.identify_count >= 2  # connected again after the outage
