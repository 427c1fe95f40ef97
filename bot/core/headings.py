"""Inline section headings in damaged text.

Damaged text has lost the line breaks and capitals that mark a heading, so a heading runs into
the first sentence of its section: ``seksueel geweld tegen kinderen ieder kind heeft recht ...``.
A prefix of a sentence is taken as a heading only when all of these hold:

* it is a short noun phrase (1-7 words, no verb or function word at its end);
* the rest reads as a new main clause: it starts with a word that opens Dutch sentences, or
  repeats the heading's first word (``mensenhandel mensenhandel is ...``);
* the phrase is a theme of the letter: it recurs in the body or is part of the subject.

When in doubt the sentence stays whole: a lost heading costs less than a sentence cut in two.
"""

from __future__ import annotations

import re

from bot.core.lexicon import looks_like_verb_form
from bot.core.vocabulary import FINITE_VERBS, FUNCTION_WORDS, STOPWORDS

# What may follow a heading. A subject pronoun or a subordinating conjunction cannot continue a
# sentence-initial noun phrase, so they mark a heading on their own; a determiner or a repeat
# of the heading's first word does so only when the phrase is a theme of the letter.
_SUBJECTS = frozenset({"ik", "wij", "we"})
_SUBORDINATORS = frozenset({"omdat", "hoewel", "aangezien", "doordat"})
_DETERMINERS = frozenset(
    {"de", "het", "een", "deze", "dit", "ieder", "iedere", "elk", "elke", "alle"}
)
_ARTICLES = frozenset({"de", "het", "een"})
_ADVERBS = frozenset(
    """
    daarbij hieronder hierboven graag tenslotte ten tot verder bovendien daarnaast eveneens
    kortom allereerst voorts eerst hiertoe daartoe daarvoor hiervoor hiermee daarmee
    hierdoor daardoor bijvoorbeeld tevens evenzeer immers uiteraard vanzelfsprekend wellicht
    ongetwijfeld
    """.split()
)


def split_inline_headings(
    text: str, units: list[tuple[str, int, int]], subject: str | None
) -> list[tuple[str, int, int]]:
    """Return ``units`` with a heading unit split off the front of sentences where one is found."""
    joined = _Phrases(text.split())
    subject_joined = " " + " ".join((subject or "").lower().split()) + " "
    out: list[tuple[str, int, int]] = []
    for kind, s, e in units:
        if kind != "s":
            out.append((kind, s, e))
            continue
        cut = _heading_length(text[s:e], joined, subject_joined)
        if cut is None:
            out.append((kind, s, e))
            continue
        toks = list(re.finditer(r"\S+", text[s:e]))
        h_end = s + toks[cut - 1].end()
        r_start = s + toks[cut].start()
        out.append(("h", s, h_end))
        out.append(("s", r_start, e))
    return out


class _Phrases:
    """Counts a run of words in the body as ``" ".join(words)`` would count it with
    ``str.count`` (non-overlapping), from an index of word positions instead of a scan of the
    whole body per sentence, which made long letters take quadratic time."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.at: dict[str, list[int]] = {}
        for i, w in enumerate(words):
            self.at.setdefault(w, []).append(i)

    def count(self, head: list[str], limit: int) -> int:
        """Occurrences of ``head`` (up to ``limit``)."""
        k = len(head)
        j = min(range(k), key=lambda i: len(self.at.get(head[i], ())))
        found, free = 0, 0  # the next occurrence must start at or after ``free``
        for p in self.at.get(head[j], ()):
            start = p - j
            if start < free or self.words[start : start + k] != head:
                continue
            found += 1
            if found >= limit:
                break
            free = start + k + 1  # occurrences that share a space overlap
        return found


def _heading_length(sentence: str, joined: _Phrases, subject_joined: str) -> int | None:
    words = sentence.split()
    if len(words) < 6:
        return None
    best = None
    for k in range(1, min(7, len(words) - 4) + 1):
        head = words[:k]
        rest = words[k:]
        if (head[0] in STOPWORDS or head[0] in _ADVERBS) and head[0] not in _ARTICLES:
            break  # a heading does not open with a preposition, adverb or pronoun
        if head[-1] in STOPWORDS or head[-1] in FUNCTION_WORDS or looks_like_verb_form(head[-1]):
            continue
        if any(w in FINITE_VERBS or w.endswith(".") for w in head):
            break
        if not any(len(w) >= 4 for w in head):
            continue
        first = rest[0]
        if first in _SUBJECTS or first in _SUBORDINATORS:
            best = k
            continue
        phrase = " " + " ".join(head) + " "
        theme = phrase in subject_joined or joined.count(head, 2) >= 2
        if theme and (first in _DETERMINERS or first == head[0]):
            best = k
    return best
