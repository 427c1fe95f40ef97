"""Small, shared text primitives: folding for matching, the scraped-corpus damage, words."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_WORD = re.compile(r"[0-9a-zà-öø-ÿ]+", re.IGNORECASE)
# Zero-width and bidirectional control characters: invisible, never meaningful in a query.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


@lru_cache(maxsize=4096)
def _strip_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def strip_accents(text: str) -> str:
    """``coördinatie`` -> ``coordinatie``; characters without a base letter stay as they are."""
    if text.isascii():
        return text
    return "".join(_strip_char(ch) if not ch.isascii() else ch for ch in text)


def remove_invisible(text: str) -> str:
    """Drop zero-width, soft-hyphen and bidi control characters."""
    return _INVISIBLE.sub("", text)


def fold(text: str) -> str:
    """The matching form: lowercase, accents stripped, only ``[a-z0-9]`` words, single spaces.

    Used for sentence ``norm`` columns, FTS5 and fuzzy matching, and applied to queries the same
    way, so that case, accents and punctuation never decide a match.
    """
    text = strip_accents(remove_invisible(text).lower())
    return _NON_ALNUM.sub(" ", text).strip()


def damage(text: str) -> str:
    """The damage found in scraped corpora such as the bundled letter.

    Lowercase; digits and punctuation except ``.`` become spaces; every accented (non-ASCII)
    letter becomes a space; whitespace collapsed. Used to test that damaged letters parse like
    clean ones, and to fold queries the way damaged sources were folded.
    """
    out = []
    for ch in text.lower():
        if "a" <= ch <= "z" or ch == ".":
            out.append(ch)
        else:
            out.append(" ")
    return _SPACES.sub(" ", "".join(out)).strip()


def words(text: str) -> list[str]:
    """Word tokens (letters and digits, accents kept), lowercased."""
    return [w.lower() for w in _WORD.findall(text)]


def collapse_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def looks_damaged(text: str) -> bool:
    """True when text shows the scraped-corpus damage: no capitals, no digits, no accents.

    Judged on letters only, so a short clean text with a capital is never called damaged.
    """
    sample = text[:200_000]
    letters = [ch for ch in sample if ch.isalpha()]
    if len(letters) < 20:
        return False
    if any(ch.isupper() for ch in letters):
        return False
    if any(ch.isdigit() for ch in sample):
        return False
    return all(ch.isascii() for ch in letters)
