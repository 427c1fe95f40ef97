"""Shared CLI plumbing: the services for a command, seeding the bundled letters once."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.cli.output import err
from bot.services.app import Services
from bot.settings import get_settings


@asynccontextmanager
async def opened_services(
    args: argparse.Namespace, *, seed: bool = True
) -> AsyncIterator[Services]:
    """The services on ``--db``. With ``seed``, an empty database first gets the bundled
    letters (said on stderr, so ``--json`` output stays one object)."""
    settings = get_settings().model_copy(update={"database": args.db})
    services = await Services.open(settings, seed=False)
    try:
        if seed:
            report = await services.letters.seed()
            if report is not None and not args.json:
                for item in report.ingested:
                    err.print(
                        f"[dim]first use: added the bundled letter {item.letter.title!r}[/dim]"
                    )
        yield services
    finally:
        await services.close()
