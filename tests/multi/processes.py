"""Real ``briefbot`` processes against a Discord test server in this test process: start them
(``briefbot run`` with its shards, or any other command), stop them, SIGKILL them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from tests.discord_server import DiscordTestServer

REPO = Path(__file__).resolve().parents[2]
LAUNCH = Path(__file__).resolve().parent / "launch.py"
BUNDLED = REPO / "data" / "letters"
TOKEN = "test-token"


def environment(location: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "BRIEFBOT_DB": location,
        "BRIEFBOT_LETTERS_DIR": str(BUNDLED),
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@dataclass
class Bot:
    """One ``briefbot run`` process."""

    proc: asyncio.subprocess.Process
    log: Path
    shards: str

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind (a crash, an OOM kill, a pulled plug)."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self, grace: float = 30) -> int | None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), grace)
            except TimeoutError:
                self.kill()
                await self.proc.wait()
        return self.proc.returncode


async def start_bot(
    server: DiscordTestServer, location: str, workdir: Path, shards: str, count: int, **env: str
) -> Bot:
    log = workdir / f"bot-{shards}.log"
    handle = log.open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(LAUNCH), server.base_url, server.gateway_url,
        "run", "--shards", shards, "--shard-count", str(count),
        env=environment(location, **env), stdout=handle, stderr=handle, cwd=REPO,
    )  # fmt: skip
    handle.close()
    return Bot(proc, log, shards)


@contextlib.asynccontextmanager
async def bots(
    server: DiscordTestServer, location: str, workdir: Path, count: int = 2, **env: str
) -> AsyncIterator[list[Bot]]:
    """One ``briefbot run`` per shard (``--shards i-i --shard-count count``), each ready (its
    shard sent READY) when this yields; all stopped at the end."""
    started = [
        await start_bot(server, location, workdir, f"{i}-{i}", count, **env) for i in range(count)
    ]
    try:
        for bot in started:
            shard = int(bot.shards.split("-")[0])
            try:
                await server.wait_until(
                    lambda s=shard: (
                        (s, count) in server.shard_sessions  # type: ignore[misc]
                        and server.shard_sessions[(s, count)].dispatched.get("GUILD_CREATE", 0) > 0
                    ),
                    timeout=120,
                )
            except TimeoutError as exc:
                raise AssertionError(f"shard {shard} never connected:\n{bot.output()}") from exc
        yield started
    finally:
        for bot in started:
            await bot.stop()


async def cli(location: str, *args: str, **env: str) -> tuple[int, str]:
    """Another ``briefbot`` command on the same store (an operator's); exit code and output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=environment(location, **env), cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 300)
    return proc.returncode or 0, out.decode(errors="replace")
