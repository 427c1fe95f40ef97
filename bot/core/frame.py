"""The frame of a letter: where the salutation, body, closing and signature are.

Works on the damaged-form projection (see :mod:`bot.core.layout`), so it finds the same frame in
clean, damaged and PDF-extracted text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.boilerplate import Layout
from bot.core.lexicon import is_rare_word
from bot.core.vocabulary import (
    CLOSING_RE,
    FUNCTION_WORDS,
    MONTHS,
    ROLE_WORDS,
    SALUTATION_RE,
    TITLES,
)

_TOKEN = re.compile(r"\S+")
_SIGNATURE_SKIP = frozenset({"datum", "ons", "uw", "kenmerk", "pagina", "van", "ongerubriceerd"})
_SUBJECT = re.compile(r"\bonderwerp\b")
_SALUTATION = re.compile(r"\b" + SALUTATION_RE + r"\b")
_CLOSING = re.compile(r"\b" + CLOSING_RE + r"\b")
_POSTBUS_TAIL = re.compile(r"\s?postbus(?: [a-z]{1,2})? (?:(?:den|de|het|s|ter|ten) )?[a-z]+$")
_STREET_TAIL = re.compile(r"\s?(?P<street>[a-z]+) [a-z]{2} (?:(?:den|de|het|s|ter|ten) )?[a-z]+$")


class LineBreaks:
    """Where clean text starts a new line, seen from the projection."""

    def __init__(self, original: str, to_orig: Sequence[int]) -> None:
        self.original = original
        self.to_orig = to_orig

    def capital_line_between(self, a: int, b: int) -> bool:
        """True when, between projection positions ``a`` (exclusive end of a token) and ``b``
        (start of the next), the original breaks the line and the next line opens with a
        capital letter or a digit."""
        if b >= len(self.to_orig) or a <= 0:
            return False
        gap = self.original[self.to_orig[a - 1] + 1 : self.to_orig[b] + 1]
        if "\n" not in gap:
            return False
        first = gap.rsplit("\n", 1)[1].lstrip()[:1]
        return first.isupper() or first.isdigit()


@dataclass(slots=True)
class Span:
    start: int
    end: int

    def text(self, s: str) -> str:
        return s[self.start : self.end]


@dataclass(slots=True)
class Frame:
    """Projection spans of the parts of a letter; any part may be missing."""

    subject: Span | None = None
    salutation: Span | None = None
    closing: Span | None = None
    signatory: Span | None = None
    sender: Span | None = None
    recipient: Span | None = None
    body: Span | None = None


def _block_at_or_after(layout: Layout, pos: int) -> int | None:
    for b in layout.blocks:
        if b.end > pos:
            return max(b.start, pos)
    return None


def _inside_block(layout: Layout, pos: int) -> bool:
    return any(b.start <= pos < b.end for b in layout.blocks)


def find_frame(text: str, layout: Layout, breaks: LineBreaks | None = None) -> Frame:
    """``breaks`` (clean text only) tells where the original text started a new line."""
    frame = Frame()
    n = len(text)
    head_limit = max(600, n // 3)

    subj = next(
        (m for m in _SUBJECT.finditer(text, 0, head_limit) if not _inside_block(layout, m.start())),
        None,
    )
    sal_from = subj.end() if subj else 0
    sal = None
    for m in _SALUTATION.finditer(text, sal_from, min(n, sal_from + head_limit)):
        if _inside_block(layout, m.start()):
            continue
        if _word_before(text, m.start()) in _NOT_BEFORE_SALUTATION:
            continue  # ``met de beste bedoelingen``, ``het beste``, ``een lieve``
        sal = m
        break

    recipient_words: set[str] = set()
    ret_end = layout.return_address[1] if layout.return_address else None
    label_start = _first_label(text, ret_end or 0, head_limit)
    if ret_end is not None and label_start is not None and label_start > ret_end:
        rec = _recipient_span(text, ret_end, label_start)
        if rec:
            frame.recipient = rec
            recipient_words = set(rec.text(text).split())

    if subj:
        end = _subject_end(text, subj.end(), sal.start() if sal else None, layout, breaks)
        if end > subj.end() + 1:
            frame.subject = Span(subj.end() + 1, end)

    body_start = 0
    if sal:
        sal_end = _salutation_end(text, sal, recipient_words)
        frame.salutation = Span(sal.start(), sal_end)
        body_start = sal_end
    elif frame.subject:
        body_start = frame.subject.end
    elif ret_end is not None:
        body_start = ret_end

    closing = None
    for m in _CLOSING.finditer(text, body_start):
        if not _inside_block(layout, m.start()):
            closing = m
            break
    body_end = n
    if closing:
        frame.closing = Span(closing.start(), closing.end())
        body_end = closing.start()
        _signature(text, closing.end(), layout, frame)
    frame.body = Span(body_start, body_end)
    return frame


_NOT_BEFORE_SALUTATION = frozenset(
    """
    de het een hun zijn haar onze ons mijn uw jullie wat op naar om zo te al dit die deze
    niet geen meest zeer
    """.split()
)


def _word_before(text: str, pos: int) -> str:
    chunk = text[max(0, pos - 30) : pos].rstrip()
    return chunk.rsplit(" ", 1)[-1] if chunk else ""


def _first_label(text: str, start: int, limit: int) -> int | None:
    m = re.compile(r"\b(?:datum|onderwerp|uw kenmerk|ons kenmerk|uw brief)\b").search(
        text, start, limit
    )
    return m.start() if m else None


def _recipient_span(text: str, start: int, end: int) -> Span | None:
    chunk = text[start:end].rstrip()
    while True:
        tail = _POSTBUS_TAIL.search(chunk)
        if tail is None:
            tail = _STREET_TAIL.search(chunk)
            if tail is not None and not is_rare_word(tail.group("street"), 3.5):
                tail = None
        if tail is None:
            break
        chunk = chunk[: tail.start()].rstrip()
    chunk = chunk.strip()
    if not chunk:
        return None
    s = text.index(chunk, start)
    return Span(s, s + len(chunk))


def _subject_end(
    text: str, start: int, salutation: int | None, layout: Layout, breaks: LineBreaks | None
) -> int:
    limit = len(text) if salutation is None else salutation
    nxt = _block_at_or_after(layout, start + 1)
    if nxt is not None:
        limit = min(limit, nxt)
    label = re.compile(r"\b(?:uw kenmerk|ons kenmerk|uw brief|bijlagen?|datum)\b").search(
        text, start, limit
    )
    if label:
        limit = label.start()
    toks = list(_TOKEN.finditer(text, start, limit))[:30]
    end = start
    for i, t in enumerate(toks):
        end = t.end()
        if t.group().endswith(".") and len(t.group()) > 3:
            break
        # clean text: the subject line ends where a new line starts with a capital
        if (
            breaks is not None
            and i + 1 < len(toks)
            and breaks.capital_line_between(t.end(), toks[i + 1].start())
        ):
            break
    return end


def _salutation_end(text: str, m: re.Match[str], recipient_words: set[str]) -> int:
    toks = list(_TOKEN.finditer(text, m.end(), min(len(text), m.end() + 200)))
    taken = []
    for t in toks[:12]:
        w = t.group().rstrip(".")
        if w in TITLES or t.group() in recipient_words or w in recipient_words:
            taken.append(t)
            continue
        break
    while taken and taken[-1].group() in FUNCTION_WORDS and taken[-1].group() not in TITLES:
        taken.pop()
    while taken and taken[-1].group() in {"de", "en"}:
        taken.pop()
    return taken[-1].end() if taken else m.end()


def _signature(text: str, start: int, layout: Layout, frame: Frame) -> None:
    """Signatory name, then the function or organisation printed under it."""
    limit = len(text)
    nxt = _block_at_or_after(layout, start)
    if nxt is not None:
        limit = nxt
    toks = list(_TOKEN.finditer(text, start, limit))[:40]
    i = 0
    # Skip what a page header or scanning debris put between the closing and the name.
    while i < len(toks):
        w = toks[i].group().rstrip(".")
        if (
            w in _SIGNATURE_SKIP
            or w in MONTHS
            or (len(w) <= 2 and not toks[i].group().endswith("."))
        ):
            i += 1
            continue
        break
    while i < len(toks) and toks[i].group().rstrip(".") in {
        "dhr",
        "mw",
        "mevr",
        "mevrouw",
        "de",
        "heer",
    }:
        i += 1
    name = []
    while i < len(toks) and len(name) < 6:
        w = toks[i].group().rstrip(".")
        if w in ROLE_WORDS or (name and toks[i].group() in {"bijlage", "bijlagen"}):
            break
        name.append(toks[i])
        i += 1
    if name and len(name) >= 1:
        frame.signatory = Span(name[0].start(), name[-1].end())
    role = []
    while i < len(toks) and len(role) < 14:
        g = toks[i].group()
        if g in {"bijlage", "bijlagen", "deze", "zie", "cc", "kopie", "afschrift"} or g.startswith(
            ("http", "www.")
        ):
            break
        role.append(toks[i])
        i += 1
        if g.endswith("."):
            break
    if role:
        frame.sender = Span(role[0].start(), role[-1].end())


def org_phrases(text: str, frame: Frame) -> list[list[str]]:
    """Word sequences of the sender's name, to recognise it in letterheads and page headers."""
    if not frame.sender:
        return []
    words = [w.rstrip(".") for w in frame.sender.text(text).split()]
    return [words] if len(words) >= 2 else []
