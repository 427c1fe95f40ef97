"""Where one text holds several letters: two letters saved into one file, a PDF of a letter
with the letter it answers behind it, or one letter pasted hundreds of times.

The parser reads one letter: its body ends at the closing (``Met vriendelijke groet``), so
whatever follows would be dropped without a word. :func:`split_letters` finds the letters in a
text first, each of which is then parsed on its own.

A new letter begins where a closing is followed by a salutation (``Geachte ...``) that is in
turn followed by a body and another closing. The cut between the two lies in the gap between
the first closing and the next salutation (the first letter's signature, the next letter's
letterhead), at the first of:

1. the last page break (form feed) in the gap: PDF pages, files saved one after the other;
2. a letterhead mark of the next letter (``Pagina 1 van``, ``Retouradres``, a ``>`` line);
3. the first blank line after the signature;
4. the start of the salutation's line.

Works on clean, damaged (lowercased, one line) and PDF text alike; case-insensitive regular
expressions over the original text, linear in its length (a 20 MB text takes well under a
second). Pure: no I/O.
"""

from __future__ import annotations

import itertools
import re

#: Closings of Dutch letters. The same formulas as ``bot.core.vocabulary.CLOSING_RE``, over the
#: original text (any run of non-letters between the words) instead of the projection.
_CLOSING = re.compile(
    r"\b(?:met\W+(?:zeer\W+)?(?:vriendelijke|hartelijke|collegiale|beleefde)\W+groet(?:en)?"
    r"|met\W+(?:de\W+meeste\W+)?hoogachting|hoogachtend)\b",
    re.IGNORECASE,
)
#: Salutations that open a letter (``beste`` and ``lieve`` are too common inside a body).
_SALUTATION = re.compile(r"\b(?:(?:zeer\W+|hoog)?geachte|excellenties?)\b", re.IGNORECASE)
_LETTERHEAD = re.compile(
    r"\bpagina\W+(?:1\W+)?van\b|\bretouradres\b|^[ \t]*>", re.IGNORECASE | re.MULTILINE
)
_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_WORD = re.compile(r"\w+")

#: A salutation must be followed by at least this many words before the next closing to open a
#: letter of its own ("Geachte heer, Met vriendelijke groet" is no letter).
MIN_BODY_WORDS = 20


def split_letters(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of each letter in ``text``, in order, covering all of it
    (nothing between two letters is left out). One span for a text of one letter."""
    closings = list(_CLOSING.finditer(text))
    if len(closings) < 2:
        return [(0, len(text))]
    salutations = [m.start() for m in _SALUTATION.finditer(text)]
    cuts: list[int] = []
    s_index = 0
    for closing, following in itertools.pairwise(closings):
        while s_index < len(salutations) and salutations[s_index] < closing.end():
            s_index += 1
        if s_index >= len(salutations):
            break
        salutation = salutations[s_index]
        if salutation >= following.start():
            continue  # a second closing without a new letter (a postscript, an annex)
        if _words(text, salutation, following.start()) < MIN_BODY_WORDS:
            continue
        cut = _cut(text, closing.end(), salutation)
        if not cuts or cut > cuts[-1]:
            cuts.append(cut)
    if not cuts:
        return [(0, len(text))]
    bounds = [0, *cuts, len(text)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if text[a:b].strip()]


def _words(text: str, start: int, end: int, *, most: int = MIN_BODY_WORDS) -> int:
    n = 0
    for _ in _WORD.finditer(text, start, end):
        n += 1
        if n >= most:
            break
    return n


def _cut(text: str, after: int, salutation: int) -> int:
    """Where the next letter begins, between the end of a closing and the next salutation."""
    feed = text.rfind("\f", after, salutation)
    if feed >= 0:
        return feed + 1
    mark = _LETTERHEAD.search(text, after, salutation)
    if mark is not None:
        return _with_page_number(text, mark.start(), after)
    line_end = text.find("\n", after, salutation)  # the closing's own line ends here
    if line_end >= 0:
        for blank in _BLANK_LINE.finditer(text, line_end, salutation):
            if text[line_end : blank.start()].strip():  # a signature line came first
                return blank.end()
    line_start = text.rfind("\n", after, salutation)
    return line_start + 1 if line_start >= 0 else salutation


_PAGE_NUMBER_BEFORE = re.compile(r"(?<!\S)\d{1,3}[ \t]*\n\Z")


def _with_page_number(text: str, at: int, after: int) -> int:
    """``at`` moved back to the start of its line, and over a page number just before it
    (``1`` above ``Pagina 1 van 2``): that number opens the next letter."""
    start = text.rfind("\n", after, at) + 1 or at
    if text[start:at].strip():  # the mark is inside a line (one-line damaged text)
        start = at
    number = _PAGE_NUMBER_BEFORE.search(text[max(after, start - 8) : start])
    if number is not None:
        return start - (len(number.group()))
    return start
