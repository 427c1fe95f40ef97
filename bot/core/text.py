"""Small, shared text primitives: folding for matching, the scraped-corpus damage, words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_WORD = re.compile(r"[0-9a-zà-öø-ÿ]+", re.IGNORECASE)
# Zero-width and bidirectional control characters: invisible, never meaningful in a query.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


@lru_cache(maxsize=4096)
def _strip_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _StripTable(dict[int, str]):
    """``str.translate``'s table for :func:`strip_accents`, filled as characters are met."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        out = ch if ch.isascii() else _strip_char(ch)
        if len(self) < 65_536:
            self[code] = out
        return out


_STRIP = _StripTable()


def strip_accents(text: str) -> str:
    """``coördinatie`` -> ``coordinatie``; characters without a base letter stay as they are."""
    if text.isascii():
        return text
    return text.translate(_STRIP)


def remove_invisible(text: str) -> str:
    """Drop zero-width, soft-hyphen and bidi control characters."""
    return _INVISIBLE.sub("", text)


def fold(text: str) -> str:
    """The matching form: lowercase, accents stripped, only ``[a-z0-9]`` words, single spaces.

    Used for sentence ``norm`` columns, FTS5 and fuzzy matching, and applied to queries the same
    way, so that case, accents and punctuation never decide a match.
    """
    if len(text) <= _SHORT:
        return _fold_short(text)
    return _fold(text)


_SHORT = 32  # a word or a short phrase: folded once, remembered


def _fold(text: str) -> str:
    if text.isascii():  # nothing invisible, no accents: the same result, sooner
        return _NON_ALNUM.sub(" ", text.lower()).strip()
    text = strip_accents(remove_invisible(text).lower())
    return _NON_ALNUM.sub(" ", text).strip()


_fold_short = lru_cache(maxsize=65536)(_fold)


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


# --------------------------------------------------------------------------- fast regexes


class Prefiltered:
    """A compiled regex that first looks, with plain substring tests, for the literal text its
    matches must contain, and runs only what can match: the same answers, faster.

    Built for the large alternations of cue words that classify sentences (``\\bik (?:\\w+
    ){0,3}?verzoek\\b|...``): Python's ``re`` tries every branch at every position, while a
    sentence holds the words of few of them. Each top-level alternative gets the set of
    literals one of which every match of it contains (:func:`required_literals`); a search
    runs the alternatives whose literals are in the text, in their order (an alternative that
    cannot match anywhere changes no leftmost-first answer), nothing when none is, and the
    whole pattern when every one is. A pattern with capturing groups is prefiltered as a whole
    (removing an alternative would renumber them); a case-insensitive one is left as it is.
    Used like the pattern (``search``, ``finditer``, ``sub``; anything else is the pattern's)."""

    __slots__ = ("_alternatives", "_always", "_cache", "_full", "_literal_bits", "literals",
                 "pattern_object")  # fmt: skip

    MAX_CACHED = 2048  # reduced patterns kept per pattern

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern_object = pattern
        self.literals = required_literals(pattern)
        self._alternatives: list[tuple[tuple[str, ...] | None, str]] = []
        self._cache: dict[int, re.Pattern[str]] = {}  # alternatives run (bits) -> their regex
        if pattern.groups == 0 and not pattern.flags & re.IGNORECASE:
            pieces = _top_level_alternatives(pattern.pattern)
            if len(pieces) > 1:
                for piece in pieces:
                    try:
                        sub = re.compile(piece, pattern.flags)
                    except re.error:  # pragma: no cover - a piece of a valid pattern
                        self._alternatives = []
                        break
                    self._alternatives.append((required_literals(sub), piece))
        # which alternatives each literal lets run, as bits (alternative i: bit i); those that
        # need no literal always run
        bits: dict[str, int] = {}
        self._always = 0
        for i, (lits, _) in enumerate(self._alternatives):
            if lits is None:
                self._always |= 1 << i
            else:
                for lit in lits:
                    bits[lit] = bits.get(lit, 0) | 1 << i
        self._literal_bits = tuple(sorted(bits.items()))
        self._full = (1 << len(self._alternatives)) - 1

    def _runnable(self, text: str, pos: int, endpos: int | None = None) -> re.Pattern[str] | None:
        """What to run on ``text[pos:endpos]``: None when nothing can match."""
        if pos or endpos is not None:
            text = text[pos:endpos]  # a match, and so what it must hold, lies in there
        if not self._alternatives:
            lits = self.literals
            if lits is None:
                return self.pattern_object
            for lit in lits:  # a loop, not any(): this runs thousands of times per letter
                if lit in text:
                    return self.pattern_object
            return None
        present = self._always
        for lit, bits in self._literal_bits:
            if lit in text:
                present |= bits
        if not present:
            return None
        if present == self._full:
            return self.pattern_object
        compiled = self._cache.get(present)
        if compiled is None:
            alternatives = self._alternatives
            source = "|".join(
                alternatives[i][1] for i in range(len(alternatives)) if present >> i & 1
            )
            compiled = re.compile(source, self.pattern_object.flags)
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            self._cache[present] = compiled
        return compiled

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        run = self._runnable(text, pos, endpos)
        if run is None:
            return None
        return run.search(text, pos) if endpos is None else run.search(text, pos, endpos)

    def finditer(
        self, text: str, pos: int = 0, endpos: int | None = None
    ) -> Iterator[re.Match[str]]:
        run = self._runnable(text, pos, endpos)
        if run is None:
            return iter(())
        return run.finditer(text, pos) if endpos is None else run.finditer(text, pos, endpos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str, count: int = 0) -> str:
        run = self._runnable(text, 0)
        return text if run is None else run.sub(repl, text, count)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pattern_object, name)

    def __repr__(self) -> str:
        return f"Prefiltered({self.pattern_object!r})"


def _top_level_alternatives(source: str) -> list[str]:
    """``source`` cut at its top-level ``|`` (outside groups, classes and escapes)."""
    pieces, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            if source[i + 1 : i + 2] == "^":
                i += 1
            if source[i + 1 : i + 2] == "]":  # a "]" first in a class is a literal
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            pieces.append(source[start:i])
            start = i + 1
        i += 1
    pieces.append(source[start:])
    return pieces if "|".join(pieces) == source else [source]


def prefiltered(pattern: str | re.Pattern[str], flags: int = 0) -> Prefiltered:
    """``re.compile(pattern, flags)`` with a substring prefilter (:class:`Prefiltered`)."""
    compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
    return Prefiltered(compiled)


# Fewer than this many characters in the shortest required literal: not worth testing.
_MIN_LITERAL = 2


def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings of which every match of ``pattern`` contains at least one (as a substring of
    the matched text), or None when no such set was found. Sound by construction: a branch
    contributes the union of its alternatives' sets, a sequence the best set of one of its
    parts (a run of literal characters, a group, a repeat of at least one); assertions and
    anything else count as needing nothing."""
    if pattern.flags & re.IGNORECASE or not isinstance(pattern.pattern, str):
        return None
    from re import _parser as sre_parse  # type: ignore[attr-defined]

    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # pragma: no cover - compiled already, so it parses
        return None
    found = _required(list(tree))
    if not found or min(len(s) for s in found) < _MIN_LITERAL:
        return None
    # a literal that holds another is implied by it: keep the shorter
    kept = sorted(set(found), key=len)
    out: list[str] = []
    for lit in kept:
        if not any(k in lit for k in out):
            out.append(lit)
    return tuple(out)


def _required(items: list) -> frozenset[str] | None:  # type: ignore[type-arg]
    """The best literal set one of ``items`` (a parsed sequence) requires, or None."""
    from re import _constants as k  # type: ignore[attr-defined]

    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def end_run() -> None:
        if run:
            candidates.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        if op is k.LITERAL:
            run.append(chr(av))
            continue
        if op is k.AT:
            continue  # zero width: the literals on both sides are still contiguous
        end_run()
        got: frozenset[str] | None = None
        if op is k.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if (add_flags | del_flags) & (k.SRE_FLAG_IGNORECASE | k.SRE_FLAG_LOCALE):
                return None
            got = _required(list(sub))
        elif op is k.BRANCH:
            union: set[str] = set()
            for alt in av[1]:
                part = _required(list(alt))
                if not part:
                    union = set()
                    break
                union |= part
            got = frozenset(union) or None
        elif op in _REPEATS and av[0] >= 1:
            got = _required(list(av[2]))
        elif op is getattr(k, "ATOMIC_GROUP", None):
            got = _required(list(av))
        # IN, ANY, NOT_LITERAL, CATEGORY, assertions, group references: need no literal
        if got:
            candidates.append(got)
    end_run()
    if not candidates:
        return None
    return max(candidates, key=lambda s: (min(len(x) for x in s), -len(s)))


def _repeat_ops() -> tuple[object, ...]:
    from re import _constants as k  # type: ignore[attr-defined]

    names = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    return tuple(getattr(k, n) for n in names if hasattr(k, n))


_REPEATS = _repeat_ops()
