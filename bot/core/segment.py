"""Sentence segmentation for clean and damaged Dutch letter text.

A rule, not a model (measured in the project notes: the same result as pysbd at 1/2000 of its
cost): a period ends a sentence unless it closes a known abbreviation, an initial (``e.i.``) or
sits inside a web or mail address. In clean text a sentence must also be followed by a capital,
digit or quote; damaged text is all lowercase, so there the period alone decides.
"""

from __future__ import annotations

import itertools
import re

from bot.core.vocabulary import ABBREVIATIONS, SENTENCE_OPENERS

# A sentence end, with a footnote number that may stick to it: ``... in Nederland.2 Zo``.
_CANDIDATE = re.compile(
    r"[.!?]+[\"'’”)\]]*(?=\s|$)|(?<=[^\W\d_]|[)])[.!?]+[\"'’”)\]]*\d{1,2}(?=\s)"
)
_TITLES_NEVER_FINAL = frozenset(
    ["drs", "dr", "mr", "ir", "ing", "prof", "mw", "mevr", "dhr", "hr", "st"]
)
# In damaged text a number such as ``2.2`` leaves a lone period: ``artikel . sub lid j``.
_NUMBER_NOUNS = frozenset(
    """
    artikel artikelen art lid sub hoofdstuk paragraaf par onderdeel tabel figuur bijlage
    versie nr nummer punt blz pagina noot
    """.split()
)
_CONTINUATIONS = frozenset(["sub", "lid", "en", "of", "tot", "onder", "jo", "juncto", "tm"])
MAX_SENTENCE_CHARS = 1200


_NEXT_WORD = re.compile(r"\s*(\S*)")


def _word_ending_before(text: str, start: int, pos: int) -> str:
    """The last whitespace-separated word of ``text[start:pos]`` ("" when there is none)."""
    i = pos
    while i > start and text[i - 1].isspace():
        i -= 1
    j = i
    while j > start and not text[j - 1].isspace():
        j -= 1
    return text[j:i]


def _token_before(text: str, dot: int) -> str:
    i = dot
    while i > 0 and not text[i - 1].isspace():
        i -= 1
    return text[i:dot]


def _is_abbreviation(tok: str, next_char: str, damaged: bool, prev_word: str = "") -> bool:
    t = tok.lower().lstrip("(\"'‘“[")
    if not t:
        return False
    if t in _TITLES_NEVER_FINAL:
        return True
    if t in ABBREVIATIONS:
        # ``etc.`` or ``Sr.`` may close a sentence; a capital after them says it did.
        return damaged or not next_char.isupper()
    if len(t) == 1 and t.isalpha():
        return not (t == "s" and prev_word.endswith(("a", "e", "i", "o", "u", "y")))
        # an initial; but ``regio s.`` is what damage leaves of ``regio's.``
    if "." in t:
        parts = t.split(".")
        if all(len(p) <= 3 for p in parts) and all(p.isalpha() for p in parts if p):
            return True  # o.a. e.i. m.b.t. t.a.v. a.s.
    return False


def split_sentences(
    text: str, *, damaged: bool, breaks: list[int] | None = None
) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` in ``text``, whitespace trimmed, in order.

    ``breaks`` are offsets a sentence may never cross (a heading, a list item).
    """
    spans: list[tuple[int, int]] = []
    edges = sorted({0, len(text), *(b for b in (breaks or []) if 0 < b < len(text))})
    for a, b in itertools.pairwise(edges):
        spans.extend(_split_region(text, a, b, damaged))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        out.extend(_cap_length(text, s, e))
    return out


def _split_region(text: str, start: int, end: int, damaged: bool) -> list[tuple[int, int]]:
    spans = []
    s = start
    for m in _CANDIDATE.finditer(text, start, end):
        punct_end = m.end()
        first = m.start()
        # the next word (not a copy of the rest of the region: that made long texts quadratic)
        next_word = _NEXT_WORD.match(text, punct_end, end).group(1)  # type: ignore[union-attr]
        next_char = next_word[:1]
        if text[first] == "." and first > start and not text[first - 1].isspace():
            tok = _token_before(text, first)
            if tok.isdigit() and len(tok) <= 2 and not text[start : first - len(tok)].strip():
                continue  # ``1. Toegang tot hulp``: the number of a list item or heading
            prev_word = text[max(start, first - len(tok) - 40) : first - len(tok)].rsplit(None, 1)
            if _is_abbreviation(tok, next_char, damaged, prev_word[-1] if prev_word else ""):
                continue
        elif text[first] == "." and damaged and first > start:
            prev_tok = _word_ending_before(text, start, first)
            if prev_tok in _NUMBER_NOUNS or next_word in _CONTINUATIONS or not prev_tok.strip("."):
                continue
            if next_word and next_word not in SENTENCE_OPENERS:
                continue  # what damage leaves of ``ruim 2.300 kinderen``: ``ruim . kinderen``
        if not damaged and next_char and next_char.islower():
            continue  # clean text: a new sentence starts with a capital, digit or quote
        if not damaged and _inside_quote(text, s, first, end):
            continue  # ``het lesprogramma «Sekstortie? Zeg het!», dat ...``
        spans.append((s, punct_end))
        s = punct_end
    spans.append((s, end))
    return [t for t in (_trim(text, a, b) for a, b in spans) if t]


_QUOTES = (("«", "»"), ("“", "”"))


def _inside_quote(text: str, start: int, pos: int, end: int) -> bool:
    """True when ``pos`` lies inside a quotation opened in this sentence and closed soon
    after: a question or exclamation inside a quoted title does not end the sentence."""
    for open_q, close_q in _QUOTES:
        seg = text[start:pos]
        if seg.count(open_q) > seg.count(close_q):
            close = text.find(close_q, pos, min(end, pos + 120))
            if close < 0:
                continue
            after = text[close + 1 : close + 3].lstrip()[:1]
            # the sentence goes on after the quotation: ``«Zeg het!», dat ...``
            if after and (after in ",;:" or after.islower()):
                return True
    return False


def _trim(text: str, a: int, b: int) -> tuple[int, int] | None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if a >= b or not any(ch.isalnum() for ch in text[a:b]):
        return None
    return a, b


def _cap_length(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """Split pathological run-ons (tables, lists without periods) at a clause boundary."""
    out = []
    while b - a > MAX_SENTENCE_CHARS:
        window = text[a : a + MAX_SENTENCE_CHARS]
        cut = max(window.rfind("; "), window.rfind(": "))
        if cut < MAX_SENTENCE_CHARS // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = MAX_SENTENCE_CHARS - 1
        t = _trim(text, a, a + cut + 1)
        if t:
            out.append(t)
        a = a + cut + 1
    t = _trim(text, a, b)
    if t:
        out.append(t)
    return out
