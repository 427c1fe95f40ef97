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
    assert "rejected the token" in capsys.readouterr().err


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
        t for t in leftover if t.get_name() in ("digest-scheduler", "warm-indexes", "discord")
    ]
