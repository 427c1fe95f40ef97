"""Restore accented letters that scraping turned into gaps (``co rdinatie`` -> ``coördinatie``).

The damage (see :func:`bot.core.text.damage`) replaces every non-ASCII letter by a space, so
an accented word falls apart into ASCII fragments: ``coördinatie`` -> ``co rdinatie``,
``ideeën`` -> ``idee n``, ``België.`` -> ``belgi .``, ``één`` -> ``n``.

The repair inverts this with the Dutch lexicon of ``wordfreq``. Every accented word of the
lexicon is damaged the same way; its fragments form a key (``"co rdinatie"``) that points to
the most frequent accented word with that key. Adjacent tokens of the text (one space apart)
that form a key are joined when

* at least one fragment is not a word (so two real words such as ``de daling`` never join),
* the accented word is frequent enough, and
* it is far more likely than the fragments read as separate words (:func:`_accept`).

Words missing from the lexicon are handled by three rules of Dutch morphology: compounds
(``effici ntiekortingen``, ``reservekopie n``), and the diaeresis after a prefix
(``ge nitialiseerd`` -> ``geïnitialiseerd`` because ``initialiseren`` is a word).

A lone ``n`` is ``één`` or emphatic ``én``, which cannot be told apart from the letters; it is
only restored in damaged text and in a numeral context (``slechts n zaak``, ``n van de``).

Thresholds were set by measurement (``bench/repair_quality.py``).
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

__all__ = ["WordRepair", "repair_text", "warm_up"]


@dataclass(frozen=True, slots=True)
class WordRepair:
    start: int  # offset of the damaged span in the input text
    end: int  # exclusive end offset in the input text
    from_text: str  # the damaged span as in the input, e.g. "co rdinatie"
    to_text: str  # the repaired word, e.g. "coördinatie"


# Letters whose loss the repair can undo.
ACCENTS = "ëïéèöüáóúäêâôûç"

# --- thresholds, on wordfreq's zipf scale (log10 of frequency per billion words) -------------
# The repaired word must be at least this frequent.
MIN_JOINED_ZIPF = 2.0
# Below these a fragment is "not a word". wordfreq has seen damaged text too, so fragments of
# accented words reach 2-3 (``belgi`` 2.8, ``financi`` 2.4) and short strings more (``re``
# 4.3, ``co`` 4.5, ``nie`` 3.6); real words of four letters or more are mostly above 3.
NONWORD_ZIPF = 3.0
NONWORD_ZIPF_SHORT = 4.5  # fragments of two or three letters
# Required log10 likelihood ratio of the accented word over its fragments as separate words.
MIN_MARGIN = 1.5
# A key of single letters only (``v r`` -> ``vóór``) needs a very frequent word: single letters
# are mostly initials, list labels and contractions (``d'r``).
MIN_LETTERS_JOINED_ZIPF = 4.5
# Compounds: the known accented part and the other part must be this frequent.
MIN_COMPOUND_HEAD_ZIPF = 3.0
MIN_COMPOUND_PART_ZIPF = 3.5
MIN_COMPOUND_PART_LEN = 4
# Diaeresis after a prefix: the word without prefix (or its infinitive) must be this frequent.
MIN_STEM_ZIPF = 1.0
MIN_STEM_LEN = 5


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Closed-class words after which a lone ``n`` is the numeral ``één``. Counting adverbs
# (``slechts n zaak``) decide alone; prepositions (``in n keer``, ``met n ander``) need a
# singular content word after the ``n``.
_EEN_COUNTING = _wordset(
    "slechts precies exact minstens minste minst tenminste hoogstens hooguit zelfs nog"
)
_EEN_BEFORE = _wordset(
    """
    aan achter als behalve bij binnen boven buiten dan door in langs maar met na naar om
    onder op over per rond tegen tot tussen uit van voor zonder alleen ten ruim
    waarvan waarbij waarin waarop waarmee
    """
)
# Word pairs before which ``n`` is that numeral: ``n van de``, ``n of meer``, ``n keer``.
_EEN_AFTER: dict[str, frozenset[str] | None] = {
    "van": _wordset("de het deze die hen hun onze zijn haar mijn uw beide"),
    "of": _wordset("meer meerdere twee enkele ander andere"),
    "op": _wordset("n"),  # ``n op n``: één op één
    "keer": None,  # any word
}
# Hosts of the ``'n`` contraction (``zo'n``, ``m'n``, ``z'n``): never ``één``.
_CONTRACTION_HOSTS = frozenset(["zo", "m", "z", "d", "h"])
# Prefixes after which a vowel takes a diaeresis, and the vowels it applies to.
# (Not ``de``/``re``: ``de map`` is the article and a noun, not ``deïmap``.)
_DIAERESIS_PREFIXES = {"ge": "eiu", "onge": "eiu", "be": "eiu"}
_DIAERESIS = {"e": "ë", "i": "ï", "u": "ü", "o": "ö"}
_VOWELS = frozenset("aeiouy")

# A run of letters and digits (a whole word as written); fragments are its ASCII-letter runs.
_TOKEN = re.compile(r"[^\W_]+")
_ASCII_ALPHA = re.compile(r"[A-Za-z]+")
_PARTICIPLE = re.compile(r"(.+)eerd(?:e|en)?")


@dataclass(frozen=True, slots=True)
class _Entry:
    word: str  # the accented word, lowercase
    zipf: float


class _Lexicon:
    """Frequencies plus an index from damaged keys to accented words."""

    def __init__(self) -> None:
        from wordfreq import get_frequency_dict

        self.freq: dict[str, float] = get_frequency_dict("nl", wordlist="best")
        allowed = set("abcdefghijklmnopqrstuvwxyz" + ACCENTS)
        index: dict[str, _Entry] = {}
        for word, freq in self.freq.items():
            if word.isascii() or not set(word) <= allowed:
                continue
            key = " ".join("".join(ch if ch.isascii() else " " for ch in word).split())
            if not key:
                continue
            zipf = math.log10(freq) + 9.0
            old = index.get(key)
            if old is None or old.zipf < zipf:
                index[key] = _Entry(word, zipf)
        self.index = index
        self.max_parts = max(key.count(" ") + 1 for key in index)
        self.prefixes: set[str] = set()
        self.heads: dict[str, set[int]] = {}  # first fragment -> lengths of second fragments
        self.tails: set[str] = set()  # second fragments of two-fragment keys
        for key in index:
            parts = key.split(" ")
            for n in range(1, len(parts) + 1):
                self.prefixes.add(" ".join(parts[:n]))
            if len(parts) == 2:
                self.heads.setdefault(parts[0], set()).add(len(parts[1]))
                self.tails.add(parts[1])
        self.prefixes.update(_DIAERESIS_PREFIXES)

    def zipf(self, word: str) -> float:
        freq = self.freq.get(word)
        return math.log10(freq) + 9.0 if freq else 0.0

    def is_nonword(self, frag: str) -> bool:
        limit = NONWORD_ZIPF_SHORT if len(frag) <= 3 else NONWORD_ZIPF
        return self.zipf(frag) < limit


_LEXICON: _Lexicon | None = None
_LOCK = threading.Lock()


def _lexicon() -> _Lexicon:
    global _LEXICON
    if _LEXICON is None:
        with _LOCK:
            if _LEXICON is None:
                _LEXICON = _Lexicon()
    return _LEXICON


def warm_up() -> None:
    """Load the lexicon now (about 0.3 s) instead of on the first call."""
    _lexicon()


def _accept(lex: _Lexicon, parts: list[str], entry: _Entry) -> bool:
    """Join ``parts`` into ``entry.word`` when the evidence for the gap is strong enough."""
    if entry.zipf < MIN_JOINED_ZIPF:
        return False
    zipfs = [lex.zipf(p) for p in parts]
    # log10 P(word) - sum log10 P(fragment): how much likelier the word is than the fragments
    # as independent words (unigram model; collocations are covered by the threshold).
    margin = entry.zipf - 9.0 - sum(z - 9.0 for z in zipfs)
    if len(parts) == 1:  # a gap at the word's edge: ``belgi`` -> ``belgië``
        return len(parts[0]) > 1 and lex.is_nonword(parts[0]) and margin >= MIN_MARGIN
    if all(len(p) == 1 for p in parts):
        return entry.zipf >= MIN_LETTERS_JOINED_ZIPF and margin >= MIN_MARGIN
    # A single letter is no evidence of a gap (initials, ``'s``), except the ``n`` of the
    # plural ``-ën`` after ``e`` (``idee n`` -> ``ideeën``, ``categorie n``).
    evidence = any(len(p) > 1 and lex.is_nonword(p) for p in parts) or (
        parts[-1] == "n" and parts[-2].endswith("e")
    )
    if not evidence:
        return False
    # ``auto s``, ``ma s``: the plural ``'s`` after a vowel, not ``maïs``.
    if parts[-1] == "s" and parts[-2][-1] in _VOWELS:
        return False
    return margin >= MIN_MARGIN


def _suffix_compound(lex: _Lexicon, first: str, second: str) -> str | None:
    """``effici ntiekortingen`` -> ``efficiëntie`` + ``kortingen``."""
    if not lex.is_nonword(second):
        return None
    best: str | None = None
    best_zipf = 0.0
    for n in lex.heads.get(first, ()):
        rest = second[n:]
        if len(rest) < MIN_COMPOUND_PART_LEN:
            continue
        head = [first, second[:n]]
        entry = lex.index.get(" ".join(head))
        if entry is None or entry.zipf < MIN_COMPOUND_HEAD_ZIPF or not _accept(lex, head, entry):
            continue
        rest_zipf = lex.zipf(rest)
        if rest_zipf >= MIN_COMPOUND_PART_ZIPF and entry.zipf + rest_zipf > best_zipf:
            best, best_zipf = entry.word + rest, entry.zipf + rest_zipf
    return best


def _prefix_compound(lex: _Lexicon, first: str, second: str) -> str | None:
    """``reservekopie n`` -> ``reserve`` + ``kopieën``."""
    if second not in lex.tails or len(first) < 6 or not lex.is_nonword(first):
        return None
    best: str | None = None
    best_zipf = 0.0
    for cut in range(MIN_COMPOUND_PART_LEN, len(first) - 1):
        head, rest = first[:cut], first[cut:]
        entry = lex.index.get(f"{rest} {second}")
        if entry is None or entry.zipf < MIN_COMPOUND_HEAD_ZIPF:
            continue
        head_zipf = lex.zipf(head)
        if head_zipf < MIN_COMPOUND_PART_ZIPF or not _accept(lex, [rest, second], entry):
            continue
        if entry.zipf + head_zipf > best_zipf:
            best, best_zipf = head + entry.word, entry.zipf + head_zipf
    return best


def _diaeresis(lex: _Lexicon, first: str, second: str) -> str | None:
    """``ge nitialiseerd`` -> ``geïnitialiseerd``: the stem ``initialiseren`` is a word."""
    vowels = _DIAERESIS_PREFIXES.get(first)
    if vowels is None or len(second) < MIN_STEM_LEN or lex.zipf(second) >= NONWORD_ZIPF:
        return None
    best: str | None = None
    best_zipf = MIN_STEM_ZIPF
    for vowel in vowels:
        stem = vowel + second
        zipf = lex.zipf(stem)
        m = _PARTICIPLE.fullmatch(stem)
        if m and first.endswith("ge"):
            zipf = max(zipf, lex.zipf(m.group(1) + "eren"))
        if zipf >= best_zipf:
            best, best_zipf = first + _DIAERESIS[vowel] + second, zipf
    return best


def _looks_plural_or_verb(lex: _Lexicon, word: str) -> bool:
    """``bestanden``, ``worden``, ``tekens``: not what follows the numeral ``één``."""
    if word.endswith("en"):
        return True
    return word.endswith("s") and lex.zipf(word[:-1]) >= MIN_JOINED_ZIPF


def _een_context(lex: _Lexicon, tokens: list[tuple[int, int, str]], i: int, text: str) -> bool:
    """A lone ``n`` at ``tokens[i]`` reads as ``één`` (see ``_EEN_BEFORE``/``_EEN_AFTER``)."""
    if i + 1 >= len(tokens):
        return False
    start, end, _ = tokens[i]
    # ``n.`` is an initial: one space must follow. At the start of a text or a sentence
    # there is no word before, and only the words after can decide (``n van de``).
    if text[end : tokens[i + 1][0]] != " ":
        return False
    prev = tokens[i - 1][2].lower() if i and text[tokens[i - 1][1] : start] == " " else ""
    nxt = tokens[i + 1][2].lower()
    if len(prev) == 1 or prev in _CONTRACTION_HOSTS or len(nxt) == 1 or not nxt.isalpha():
        return False
    if nxt in _EEN_AFTER:
        then = _EEN_AFTER[nxt]
        return then is None or (i + 2 < len(tokens) and tokens[i + 2][2].lower() in then)
    if prev in _EEN_COUNTING:
        return True
    # ``in n keer``: a preposition, then a singular content word (a known word or a long
    # compound, not a function word, a plural or a verb).
    if prev not in _EEN_BEFORE or _looks_plural_or_verb(lex, nxt):
        return False
    zipf = lex.zipf(nxt)
    return (zipf >= NONWORD_ZIPF or len(nxt) >= 8) and zipf < 6.0


def _prefix_compound_at(
    lex: _Lexicon, tokens: list[tuple[int, int, str]], i: int, text: str
) -> str | None:
    """:func:`_prefix_compound` on ``tokens[i]`` and the next token, with case restored."""
    if i + 1 >= len(tokens):
        return None
    _, end, tok = tokens[i]
    nstart, _, ntok = tokens[i + 1]
    second = ntok.lower()
    if (
        second not in lex.tails
        or len(tok) < 6
        or text[end:nstart] != " "
        or not _ASCII_ALPHA.fullmatch(tok)
        or not _ASCII_ALPHA.fullmatch(ntok)
    ):
        return None
    word = _prefix_compound(lex, tok.lower(), second)
    return None if word is None else _case_like(word, [tok, ntok])


def _case_like(word: str, parts: list[str]) -> str | None:
    """Give the repaired word the case of its fragments; None when the case is mixed."""
    if all(p.islower() for p in parts):
        return word
    if all(p.isupper() for p in parts) and sum(map(len, parts)) > 1:
        return word.upper()
    if parts[0][:1].isupper() and parts[0][1:].islower() and all(p.islower() for p in parts[1:]):
        return word[:1].upper() + word[1:]
    return None


def repair_text(text: str, *, damaged: bool) -> tuple[str, list[WordRepair]]:
    """Return the repaired text and the repairs made (in order). Pure, no I/O, thread-safe."""
    lex = _lexicon()
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    repairs: list[WordRepair] = []
    index, prefixes, max_parts = lex.index, lex.prefixes, lex.max_parts
    n_tokens = len(tokens)
    i = 0
    while i < n_tokens:
        start, end, tok = tokens[i]
        low = tok.lower()
        if low not in prefixes:
            # Only a compound ending in a known accented word can start here.
            word = _prefix_compound_at(lex, tokens, i, text)
            if word is not None:
                nend = tokens[i + 1][1]
                repairs.append(WordRepair(start, nend, text[start:nend], word))
                i += 2
            else:
                i += 1
            continue
        if not _ASCII_ALPHA.fullmatch(tok):
            i += 1
            continue
        # The run of ASCII tokens, one space apart, whose joins are key prefixes.
        keys = [low]
        parts = [low]
        j = i + 1
        while j < n_tokens and len(parts) < max_parts:
            nstart, _, ntok = tokens[j]
            if text[tokens[j - 1][1] : nstart] != " " or not _ASCII_ALPHA.fullmatch(ntok):
                break
            key = f"{keys[-1]} {ntok.lower()}"
            parts.append(ntok.lower())
            keys.append(key)
            j += 1
            if key not in prefixes:
                break
        word: str | None = None
        n = 0
        for k in range(len(keys), 0, -1):
            entry = index.get(keys[k - 1])
            if entry is None:
                continue
            if keys[k - 1] == "n":
                ok = damaged and _een_context(lex, tokens, i, text)
            elif k == 1 and not damaged:
                # In clean text a gap at a word's edge must be visible: ``Belgi .``.
                ok = text[end : end + 2] == " ." and _accept(lex, parts[:1], entry)
            else:
                ok = _accept(lex, parts[:k], entry)
            if ok:
                word, n = entry.word, k
                break
        if word is None and len(parts) >= 2:
            first, second = parts[0], parts[1]
            word = (
                _suffix_compound(lex, first, second)
                or _prefix_compound(lex, first, second)
                or _diaeresis(lex, first, second)
            )
            n = 2
        if word is not None:
            word = _case_like(word, [t[2] for t in tokens[i : i + n]])
        if word is None:
            i += 1
            continue
        last_end = tokens[i + n - 1][1]
        repairs.append(WordRepair(start, last_end, text[start:last_end], word))
        i += n
    if not repairs:
        return text, repairs
    out: list[str] = []
    pos = 0
    for rep in repairs:
        out.append(text[pos : rep.start])
        out.append(rep.to_text)
        pos = rep.end
    out.append(text[pos:])
    return "".join(out), repairs
