"""Run the real ``briefbot`` command line with discord.py pointed at a Discord test server
(the only change: where Discord is)::

    python tests/multi/launch.py http://127.0.0.1:PORT ws://127.0.0.1:PORT/gateway/ \
        run --shards 0-0 --shard-count 2

With ``BRIEFBOT_TRACE=PATH`` (benchmarks only) the process also writes, one JSON line each to
``PATH``: when every interaction's gateway frame was parsed and when its first response left
(``time.monotonic``, one clock for every process on the machine, so a bench can split the
test server's dispatch-to-callback time into its parts), and every 10 ms tick the event loop
came late by more than 20 ms. Nothing of the bot changes: the hooks wrap discord.py's.
"""

from __future__ import annotations

import sys
from pathlib import Path


def trace(path: str) -> None:
    """Install the ``BRIEFBOT_TRACE`` hooks (see the module)."""
    import asyncio
    import faulthandler
    import json
    import os
    import signal
    import time

    import discord.state

    out = Path(path).open("a", buffering=1)  # noqa: SIM115 (lives as long as the process)

    def write(**record: object) -> None:
        out.write(json.dumps(record) + "\n")

    parse = discord.state.ConnectionState.parse_interaction_create

    def parse_interaction_create(self, data):  # type: ignore[no-untyped-def]
        write(ev="parsed", id=data.get("id"), t=time.monotonic())
        return parse(self, data)

    discord.state.ConnectionState.parse_interaction_create = parse_interaction_create

    import discord.webhook.async_ as webhooks

    request = webhooks.AsyncWebhookAdapter.request  # interaction responses go through here

    async def traced(self, route, *args, **kwargs):  # type: ignore[no-untyped-def]
        if "/interactions/" in route.url:
            iid = route.url.split("/interactions/", 1)[1].split("/", 1)[0]
            write(ev="callback", id=iid, t=time.monotonic())
        return await request(self, route, *args, **kwargs)

    webhooks.AsyncWebhookAdapter.request = traced

    # BRIEFBOT_TRACE_STALLS=PATH: from SIGUSR1 on (the bench's measured part), every thread's
    # stack is written to PATH whenever the loop is 100 ms late (faulthandler's watchdog
    # thread writes it without the GIL: it shows what holds the loop up while it does)
    stalls = os.environ.get("BRIEFBOT_TRACE_STALLS")
    stall_file = None

    def arm(*_: object) -> None:
        nonlocal stall_file
        if stalls and stall_file is None:
            stall_file = Path(stalls).open("a")  # noqa: SIM115
            stall_file.write(f"=== measuring from {time.monotonic()}\n")
            stall_file.flush()

    signal.signal(signal.SIGUSR1, arm)

    async def lag() -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            if stall_file is not None:  # every thread's stack once the loop is 100 ms late
                faulthandler.dump_traceback_later(0.1, file=stall_file)
            await asyncio.sleep(0.01)
            late = loop.time() - before - 0.01
            if late > 0.02:
                write(ev="lag", t=time.monotonic(), ms=round(late * 1000, 1))

    from bot.chat.client import BriefbotClient

    setup_hook = BriefbotClient.setup_hook

    async def with_monitor(self):  # type: ignore[no-untyped-def]
        self._briefbot_lag = asyncio.get_running_loop().create_task(lag())
        await setup_hook(self)

    BriefbotClient.setup_hook = with_monitor  # whichever loop the bot runs on


def main(argv: list[str]) -> int:
    import os

    base, gateway, *rest = argv
    import discord.asset
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = base + "/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    discord.asset.Asset.BASE = base
    if os.environ.get("BRIEFBOT_TRACE"):
        trace(os.environ["BRIEFBOT_TRACE"])

    from bot.cli import main as cli

    return cli(rest)


if __name__ == "__main__":
    import os

    # BRIEFBOT_CODE: another checkout's ``bot/`` (a bench's baseline), else this one's
    sys.path.insert(0, os.environ.get("BRIEFBOT_CODE") or str(Path(__file__).resolve().parents[2]))
    sys.exit(main(sys.argv[1:]))
