"""The Dutch word-frequency lexicon (wordfreq's ``nl`` list, shipped inside the package).

Loaded once, lazily, and shared: the accent repair, the letterhead rules (a street name is a rare
word) and name detection all ask it how common a word is.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

_lock = threading.Lock()
_freqs: dict[str, float] | None = None


def _table() -> dict[str, float]:
    global _freqs
    if _freqs is None:
        with _lock:
            if _freqs is None:
                from wordfreq import get_frequency_dict

                _freqs = get_frequency_dict("nl", wordlist="best")
    return _freqs


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """Zipf frequency of ``word`` in Dutch (0 for unknown words, ~7 for ``de``)."""
    f = _table().get(word.lower())
    return round(math.log10(f) + 9, 2) if f else 0.0


_en_freqs: dict[str, float] | None = None


@lru_cache(maxsize=65536)
def zipf_en(word: str) -> float:
    """Zipf frequency of ``word`` in English (wordfreq's ``en`` list, shipped in the package)."""
    global _en_freqs
    if _en_freqs is None:
        with _lock:
            if _en_freqs is None:
                from wordfreq import get_frequency_dict

                _en_freqs = get_frequency_dict("en", wordlist="best")
    f = _en_freqs.get(word.lower())
    return round(math.log10(f) + 9, 2) if f else 0.0


def is_rare_word(word: str, threshold: float = 3.0) -> bool:
    return zipf(word.strip(".")) < threshold


def warm_up() -> None:
    """Load the word table and the lemma dictionary now (at start-up, in a worker thread)
    instead of on the first request, where loading would stall it for half a second."""
    _table()
    lemma("kinderen")
    zipf_en("the")


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """Dictionary form (simplemma, Dutch): ``kinderen`` -> ``kind``, ``ontving`` ->
    ``ontvangen``."""
    import simplemma

    return simplemma.lemmatize(word.lower(), lang="nl")


def looks_like_verb_form(word: str) -> bool:
    """A conjugated verb (``zend``, ``ontving``, ``werkt``): its lemma is an infinitive that the
    word itself is not a form of by plain inflection (``jongens`` -> ``jongen`` is a noun)."""
    w = word.lower()
    lem = lemma(w)
    return lem != w and lem.endswith("en") and not w.startswith(lem)
