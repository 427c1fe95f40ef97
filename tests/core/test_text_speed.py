"""The shared text helpers' fast paths give exactly what the plain ones give.

:class:`bot.core.text.Prefiltered` (a regex searched only where its required literals are) is
checked against the plain compiled pattern for every large pattern of the analysis, on the
sentences of the bundled letter (and of the corpus when it is there), in their clean, folded
and damaged forms; :func:`bot.core.text.fold`'s ASCII path and word cache against the
definition.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from bot.core import recommend, summarize, topics
from bot.core.parse import parse_letter
from bot.core.text import (
    Prefiltered,
    damage,
    fold,
    prefiltered,
    required_literals,
    strip_accents,
)
from tests.corpus import REPO, corpus_dir


def _texts() -> list[str]:
    files = sorted((REPO / "data/letters").glob("*.txt"))
    corpus = corpus_dir()
    if corpus is not None:
        files += sorted(corpus.glob("*.txt"))[:8]
    out: list[str] = []
    for f in files:
        for s in parse_letter(f.read_text(encoding="utf-8")).sentences:
            out += [s.text, fold(s.text), damage(s.text)]
    return out


TEXTS = _texts()


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Every module-level pattern of the analysis (the prefiltered ones by their pattern)."""
    found = []
    for module in (recommend, topics, summarize):
        for name, found_value in vars(module).items():
            value = found_value
            if isinstance(value, Prefiltered):
                value = value.pattern_object
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found.append((f"{module.__name__}.{name}", value))
    found += [
        (f"theme {t.slug}", topics._terms_regex(t.terms).pattern_object)  # type: ignore[union-attr]
        for t in topics.THEMES
    ]
    return found


def _same(a: re.Match[str] | None, b: re.Match[str] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.span() == b.span() and a.groups() == b.groups() and a.re.groups == b.re.groups


@pytest.mark.parametrize(("name", "pattern"), _patterns(), ids=lambda v: str(v)[:40])
def test_prefiltered_matches_as_the_pattern_does(name: str, pattern: re.Pattern[str]) -> None:
    fast = prefiltered(pattern)
    for text in TEXTS:
        assert _same(fast.search(text), pattern.search(text)), (name, text)
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in pattern.finditer(text)]
        assert fast.sub("#", text) == pattern.sub("#", text)
        pos, end = len(text) // 3, 2 * len(text) // 3
        assert _same(fast.search(text, pos), pattern.search(text, pos)), (name, text, pos)
        assert _same(fast.search(text, pos, end), pattern.search(text, pos, end))


def test_the_analysis_patterns_are_prefiltered() -> None:
    """The large alternations do get a prefilter (and so the speed): a literal set for each."""
    for name in ("_REQUEST", "_ADVICE", "_PLEA", "_CONCERN", "_REQUIREMENT"):
        rx = getattr(recommend, name)
        assert isinstance(rx, Prefiltered)
        assert rx.literals, name
    assert required_literals(re.compile(r"\bik (?:\w+ ){0,3}?verzoek\b")) == ("verzoek",)


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [
        (r"\bik (?:\w+ ){0,3}?verzoek\b|\bverzoek ik\b", "dan verzoek ik u", (4, 14)),
        (r"(?<!on)\bgewenst\b|\bwenselijk\b", "ongewenst maar wenselijk", (15, 24)),
        (r"[|(]a|b\|c|(?:x|y)z", "b|c en xz", (0, 3)),
        (r"a[]|]b|zz", "a|b", (0, 3)),
        (r"(?:een|twee)+ drie|vier?", "vie", (0, 3)),
        (r"(?i:ABC)|def", "abc", (0, 3)),
        (r"x*|abc", "q", (0, 0)),
        (
            r"^(?:\w+ ){0,3}?verzocht (?:wordt|worden)\b|\bnooit\b",
            "er wordt verzocht worden",
            (0, 24),
        ),
    ],
)
def test_prefiltered_corner_cases(source: str, text: str, expected: tuple[int, int] | None) -> None:
    plain = re.compile(source)
    fast = prefiltered(source)
    found = fast.search(text)
    assert _same(found, plain.search(text))
    assert (found.span() if found else None) == expected


def test_required_literals_are_sound_or_absent() -> None:
    assert required_literals(re.compile(r"abc", re.IGNORECASE)) is None
    assert required_literals(re.compile(r"\w+")) is None
    assert required_literals(re.compile(r"a?bc")) == ("bc",)
    # one literal of each alternative
    assert set(required_literals(re.compile(r"foo|bar(?:x|y)")) or ()) == {"foo", "bar"}


def _fold_reference(text: str) -> str:
    """fold as defined: invisible marks dropped, lowercase, accents stripped, [a-z0-9] words."""
    text = re.sub("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]", "", text)
    text = "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


@pytest.mark.parametrize(
    "text",
    ["Coördinatie", "  De Raad\u200b adviseert: 12% ", "ÉÉN", "ﬁnanciën", "x", "", "a\u00adb"],
)
def test_fold_fast_paths_agree_with_the_definition(text: str) -> None:
    for t in (text, text * 5):  # short (cached) and long
        assert fold(t) == _fold_reference(t) == fold(t)
        assert strip_accents(t).isascii() or not t.isascii()


def test_fold_on_letter_text_agrees_with_the_definition() -> None:
    for text in TEXTS[:600]:
        assert fold(text) == _fold_reference(text)
        for word in text.split()[:5]:
            assert fold(word) == _fold_reference(word)


def test_texts_are_there() -> None:
    assert len(TEXTS) > 100
    assert Path(REPO / "data/letters").is_dir()
