"""``python -m bot.services.index_child quote|ask``: build one index of the store named by
``BRIEFBOT_DB`` and save it in ``BRIEFBOT_INDEX_DIR``, saying how far it is on standard output.
The bot starts this (``bot.services.index_build``) when a large store has no saved copy."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.services.app import Services
from bot.services.index_build import PROGRESS
from bot.settings import Settings


async def _main(index: str) -> None:
    services = await Services.open(Settings(), seed=False)  # BRIEFBOT_DB, BRIEFBOT_INDEX_DIR
    services.index_cache.child_builds = False  # this process builds (never a child's child)
    services.answers.load_models = False  # it answers no question
    service = services.quotes if index == "quote" else services.answers
    lazy = service._index if index == "quote" else service._indexes  # type: ignore[union-attr]

    async def report() -> None:
        while True:
            print(f"{PROGRESS}{lazy.progress:.3f}", flush=True)
            await asyncio.sleep(0.5)

    reporter = asyncio.create_task(report())
    try:
        await service.warm()
    finally:
        reporter.cancel()
        await services.close()  # waits for the save
    if services.index_cache.last_load.get(index) == "loaded":
        return  # another process saved it meanwhile: nothing to do
    if not any(services.index_cache.directory.glob(f"{index}/CURRENT")):  # type: ignore[union-attr]
        raise SystemExit(f"the {index} index was built but not saved")


def main(argv: list[str]) -> int:
    """``python -m bot.services.index_child quote|ask``: build that index of the store named by
    ``BRIEFBOT_DB`` and save it in ``BRIEFBOT_INDEX_DIR`` (the settings, as every command)."""
    if len(argv) != 1 or argv[0] not in ("quote", "ask"):
        print("usage: python -m bot.services.index_child quote|ask", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(_main(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
