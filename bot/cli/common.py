"""Shared CLI plumbing: open the application for a command, seeding the bundled letters once."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.cli.output import err
from bot.services.app import Briefbot
from bot.settings import get_settings


@asynccontextmanager
async def opened_app(args: argparse.Namespace, *, seed: bool = True) -> AsyncIterator[Briefbot]:
    """The application on ``--db``. With ``seed``, an empty database first gets the bundled
    letters (said on stderr, so ``--json`` output stays one object)."""
    settings = get_settings().model_copy(update={"database": args.db})
    app = await Briefbot.open(settings, seed=False)
    try:
        if seed and not app.catalog.by_id:
            report = await app.add_path([settings.letters_dir])
            if not args.json:
                for item in report.ingested:
                    err.print(
                        f"[dim]first use: added the bundled letter {item.letter.title!r}[/dim]"
                    )
        yield app
    finally:
        await app.close()
