"""Run the real ``briefbot`` command line with discord.py pointed at a Discord test server
(the only change: where Discord is)::

    python tests/multi/launch.py http://127.0.0.1:PORT ws://127.0.0.1:PORT/gateway/ \
        run --shards 0-0 --shard-count 2
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    base, gateway, *rest = argv
    import discord.asset
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = base + "/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    discord.asset.Asset.BASE = base

    from bot.cli import main as cli

    return cli(rest)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main(sys.argv[1:]))
