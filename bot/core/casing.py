"""Case for display, where the damage took it away.

Damaged letters are stored lowercased (``corinne dettmeijer vermeulen``,
``mensenhandel en seksueel geweld tegen kinderen``). The stored text stays as it is; these pure
functions give names and titles back the case a reader expects, following Dutch conventions,
and only where the case is lost (text with any capital is returned unchanged).

* :func:`name_case` for people, organisations and addresses: every word capitalised except
  Dutch function words, name particles inside a name (``van der``, ``de``), role nouns
  (``minister``, ``informateur``), titles (``drs.``, ``mr.``) and lone letters (``p a`` for
  ``p/a``); initials (``e.i.``) and vowel-less acronyms (``ggd``) in capitals; ``ij`` at the
  start of a word as ``IJ``.
* :func:`sentence_case` for subjects and titles: a capital first letter, acronyms in capitals.
"""

from __future__ import annotations

import re

#: Lowercase inside a name or an organisation's name: function words and name particles.
_PARTICLES = frozenset(
    "van de der den het 't te ter ten op in uit aan en of voor tegen bij met over tot om "
    "onder na naar per zonder tussen vanuit inzake la le du d' von zu vom".split()
)
#: Role nouns stay lowercase inside an address ("de minister van Justitie").
_ROLES = frozenset(
    "minister ministers staatssecretaris staatssecretarissen informateur informateurs formateur "
    "voorzitter voorzitters lid leden commissie griffier".split()
)
_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]?")
_TITLE = re.compile(r"[a-z]{2,6}\.")  # drs. mr. dr. prof. ir. mw. dhr. ing.
_ACRONYM = re.compile(r"[bcdfghjklmnpqrstvwxz]{2,5}")
_WORD = re.compile(r"\S+")


def case_lost(text: str) -> bool:
    """True when ``text`` has letters but no capital: its case was taken away."""
    return any(ch.isalpha() for ch in text) and not any(ch.isupper() for ch in text)


def _capitalise(word: str) -> str:
    """``dettmeijer-vermeulen`` -> ``Dettmeijer-Vermeulen``, ``ijzerman`` -> ``IJzerman``,
    ``d'ancona`` -> ``d'Ancona``."""
    if "-" in word:
        return "-".join(_capitalise(part) for part in word.split("-"))
    if word.startswith(("d'", "l'")) and len(word) > 2:
        return word[:2] + _capitalise(word[2:])
    if word.startswith("ij"):
        return "IJ" + word[2:]
    return word[:1].upper() + word[1:]


def _name_word(word: str, *, first: bool) -> str:
    bare = word.strip(",;:()")
    if _INITIALS.fullmatch(bare):
        return word.upper()
    if _ACRONYM.fullmatch(bare):
        return word.upper()
    if _TITLE.fullmatch(bare) or len(bare) == 1:
        return word
    if first:  # a name that starts with its particle capitalises it: "De Vries", "D'Ancona"
        cased = _capitalise(word)
        return cased[:1].upper() + cased[1:]
    if bare in _PARTICLES or bare in _ROLES:
        return word
    return _capitalise(word)


def name_case(text: str | None) -> str:
    """A person's or an organisation's name, or an address line, in the case a reader expects
    (only when the case was lost)."""
    if not text or not case_lost(text):
        return text or ""
    out = []
    first = True  # the first word that is not a title starts the name
    for m in _WORD.finditer(text):
        word = m.group()
        cased = _name_word(word, first=first)
        out.append((m.start(), m.end(), cased))
        if first and not _TITLE.fullmatch(word.strip(",;:()")):
            first = False
    return _rebuild(text, out)


def sentence_case(text: str | None) -> str:
    """A subject or title in sentence case (only when the case was lost)."""
    if not text or not case_lost(text):
        return text or ""
    out = []
    first = True
    for m in _WORD.finditer(text):
        word = m.group()
        bare = word.strip(",;:()")
        if _ACRONYM.fullmatch(bare):
            cased = word.upper()
        elif first:
            cased = _capitalise(word)
        else:
            cased = word
        out.append((m.start(), m.end(), cased))
        first = False
    return _rebuild(text, out)


def _rebuild(text: str, parts: list[tuple[int, int, str]]) -> str:
    pieces = []
    last = 0
    for start, end, word in parts:
        pieces.append(text[last:start])
        pieces.append(word)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)
