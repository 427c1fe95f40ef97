"""Followed sources: the Tweede Kamer's open data and folders, polled for new letters.

``SourceService`` follows and polls (``service``); ``SourcePoller`` is the bot's task that
polls them on time (``poller``); ``tweedekamer`` and ``folder`` know each kind of source,
``http`` how to ask politely, ``news`` when a delivered letter is news for a digest.
"""

from bot.services.sources.errors import SourceError, UnknownSourceError
from bot.services.sources.news import is_news
from bot.services.sources.service import (
    Added,
    Failure,
    PollReport,
    Skipped,
    SourceService,
    SourceView,
)

__all__ = [
    "Added",
    "Failure",
    "PollReport",
    "Skipped",
    "SourceError",
    "SourceService",
    "SourceView",
    "UnknownSourceError",
    "is_news",
]
