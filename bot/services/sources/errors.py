"""Refusals of the sources service: message keys of the one catalogue (``bot.core.refusals``).

Only the bot's operator follows sources (on the command line), so these are said in English
there; they carry keys like every refusal, and the catalogue has their Dutch too.
"""

from __future__ import annotations

from bot.core.errors import NotFound, Refused


class SourceError(Refused):
    """A request about sources that cannot be done as asked (the CLI shows it as an error line,
    exit code 1)."""


class UnknownSourceError(NotFound):
    def __init__(self, source: object) -> None:
        super().__init__("source.unknown", source=source)
