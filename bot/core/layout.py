"""The damaged-form projection of a letter, and where its pages begin.

Every detector that must work on clean and on damaged text alike runs on the *projection*:
the text put through the same damage the scraped corpora suffered (lowercase, only ``a-z`` and
``.``, single spaces). For damaged input the projection is the input itself; for clean input it
is what the damaged form of the same letter would be. A map from projection positions back to
original offsets lets every finding be cut from the original text.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass


@dataclass(slots=True)
class Projection:
    text: str
    to_orig: array  # projection index -> original offset (len(text) entries)

    def orig_start(self, pos: int) -> int:
        return self.to_orig[pos] if pos < len(self.to_orig) else self._end()

    def orig_end(self, pos: int) -> int:
        """Original offset just past projection character ``pos - 1``."""
        if pos <= 0:
            return 0
        return self.to_orig[min(pos, len(self.to_orig)) - 1] + 1

    def _end(self) -> int:
        return self.to_orig[-1] + 1 if self.to_orig else 0


_KEEP = frozenset("abcdefghijklmnopqrstuvwxyz.")


def project(original: str) -> Projection:
    """Project ``original`` to the damaged form, keeping a map back to original offsets."""
    out: list[str] = []
    to_orig = array("l")
    space = True  # suppress leading spaces
    for i, ch in enumerate(original):
        low = ch.lower() if "A" <= ch <= "Z" else ch
        if low in _KEEP:
            out.append(low)
            to_orig.append(i)
            space = False
        elif not space:
            out.append(" ")
            to_orig.append(i)
            space = True
    if out and out[-1] == " ":
        out.pop()
        to_orig.pop()
    return Projection("".join(out), to_orig)


_FORM_FEED_PAGE = re.compile(r"\f")


@dataclass(slots=True)
class Pages:
    """Page boundaries as sorted original offsets where page 2, 3, ... begin."""

    starts: list[int]

    @property
    def count(self) -> int:
        return len(self.starts) + 1

    def page_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset) + 1


def pages_from_form_feeds(original: str) -> Pages | None:
    """Form feeds end pages (pdftotext output, or PDF pages joined with ``\\f``)."""
    stripped = original.rstrip()
    positions = [m.end() for m in _FORM_FEED_PAGE.finditer(stripped)]
    return Pages(positions) if positions else None


def pages_from_headers(header_starts: list[int], original: str) -> Pages:
    """Running headers (``pagina N van M``) begin pages; one at the very top belongs to page 1."""
    starts = []
    first_text = len(original) - len(original.lstrip())  # nothing but whitespace before it
    for pos in sorted(header_starts):
        if pos <= first_text:
            continue  # the first page's own header
        starts.append(pos)
    return Pages(starts)
