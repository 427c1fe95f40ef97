"""What every backend writes the same way: a parsed letter's sentences as table rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.models import Sentence
from bot.store.base import InvalidLetterError

#: Letter records made from this many rows or fewer are made on the event loop; more (the
#: catalog of ten thousand letters at start: a third of a second) in a worker thread.
CONVERT_INLINE = 500


def sentence_rows(
    letter_id: int, section_ids: Sequence[int], sentences: Sequence[Sentence]
) -> list[tuple[Any, ...]]:
    """``(letter, section id, number, page, start, end, text, original, norm)`` per sentence;
    InvalidLetterError for a sentence whose section the letter does not have."""
    rows = []
    for s in sentences:
        if not 0 <= s.section < len(section_ids):
            raise InvalidLetterError(
                f"sentence {s.number} belongs to section {s.section}, "
                f"but the letter has {len(section_ids)} sections"
            )
        rows.append(
            (letter_id, section_ids[s.section], s.number, s.page, s.start, s.end, s.text,
             s.original, s.norm)
        )  # fmt: skip
    return rows
