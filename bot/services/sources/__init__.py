"""Followed sources: the Tweede Kamer's open data and folders, polled for new letters.

``SourceService`` follows and polls (``service``); ``SourceJob`` is the scheduler's job that
polls them on time (``poller``); ``tweedekamer`` and ``folder`` know each kind of source,
``http`` how to ask politely, ``news`` when a delivered letter is news for a digest.
"""

from bot.services.sources.errors import SourceError, UnknownSourceError
from bot.services.sources.news import is_news
from bot.services.sources.poller import SourceJob
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
    "SourceJob",
    "SourceService",
    "SourceView",
    "UnknownSourceError",
    "is_news",
]
