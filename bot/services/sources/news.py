"""When a letter a source delivered counts as news for a digest.

A digest carries the letters added since its last one. A followed source can deliver old
documents too: the first poll of a source with ``--since`` a year ago ingests a year of them
(``backfill``), and a document can reach the source long after its date. Those are in the
library (answers, summaries, the introduction of a first digest), but they are not news: a
digest shows a letter from a source as new only when the source dates it no earlier than
:data:`NEWS_WINDOW` before the subscription was made, and it did not come with a source's
first poll of older documents.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store.records import LetterRecord

#: How old (by the source's date) a letter may be when it arrives and still be news.
NEWS_WINDOW = timedelta(days=7)


def is_news(letter: LetterRecord, *, subscribed_at: datetime) -> bool:
    """Whether ``letter``, added after a subscription's last digest, is news to it."""
    if letter.backfill:
        return False
    if letter.published is None:  # ingested, uploaded, a folder's file: news when added
        return True
    return letter.published >= (subscribed_at - NEWS_WINDOW).date().isoformat()
