"""Shared CLI plumbing: open the store for a command, seeding the bundled letters once."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.cli.output import err
from bot.services.letters import ensure_seeded
from bot.settings import get_settings
from bot.store import Store, open_store


@asynccontextmanager
async def opened_store(args: argparse.Namespace, *, seed: bool = True) -> AsyncIterator[Store]:
    async with open_store(args.db) as store:
        if seed:
            report = await ensure_seeded(store, get_settings().letters_dir)
            if report and not args.json:
                for item in report.ingested:
                    err.print(
                        f"[dim]first use: added the bundled letter {item.letter.title!r}[/dim]"
                    )
        yield store
