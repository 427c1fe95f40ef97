"""Answering questions, the pure parts: routing, fusion, relevance and the composed answer.

- :func:`route` labels a question that asks for a summary, recommendations or a quote (Dutch or
  English) and extracts its topic or quoted text; the caller sends it to that service.
- :func:`fuse` merges the BM25 and the dense ranking (weighted reciprocal rank fusion).
- :func:`relevance` turns a passage's evidence (cosine similarity, share of the question's
  terms it matches) into a calibrated 0-1 score; below :data:`FOUND_AT` nothing is an answer.
- :func:`compose` writes the short answer: the best passages, in reading order, with citations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.text import fold

Route = Literal["summary", "recommendations", "quote"]

MAX_QUESTION_CHARS = 1000


# Words that frame a question rather than say what it is about; dropped before BM25 (the
# embeddings see the whole question). Folded forms.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


QUESTION_FILLER = _words(
    """
    wat welke welk wie wiens waar waarom wanneer hoe hoeveel hoezeer
    zegt zeggen zei gezegd vindt vinden vond schrijft schrijven schreef staat stond stelt
    noemt meldt vermeldt beschrijft brief brieven rapporteur rapporteurs nationaal nationale
    volgens graag geef vertel uitleg leg uit weet iemand
    what which who whom whose where why when how much many does do did say says said about
    is are was were the a an of to in on for and or it its this that there letter letters
    national rapporteur tell me please explain according
    """
)


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True, slots=True)
class Routing:
    route: Route | None
    arg: str | None = None


_QUOTES = (
    r"\"([^\"]{3,})\"",
    r"“([^”]{3,})”",
    r"„([^”“\"]{3,})[”“\"]",
    r"«([^»]{3,})»",
    r"‘([^’]{3,})’",
    r"‚([^‘’]{3,})[‘’]",
    r"(?<![a-z])'([^']{3,})'(?![a-z])",
)
_QUOTE_CUE = re.compile(
    r"\b(?:citaat|citaten|citeer|citeren|quote|quotes|quoted|letterlijk|verbatim"
    r"|waar\s+staat|waar\s+stond|in\s+welke\s+brief\s+staat|welke\s+brief\s+zegt"
    r"|where\s+does\s+it\s+say|where\s+is\s+it\s+written|which\s+letter\s+says"
    r"|who\s+(?:said|wrote))\b",
    re.IGNORECASE,
)
_QUOTE_THAT = re.compile(
    r"\b(?:waar\s+staat|waar\s+stond|in\s+welke\s+brief\s+staat|welke\s+brief\s+zegt"
    r"|where\s+does\s+it\s+say|which\s+letter\s+says|who\s+(?:said|wrote))"
    r"(?:\s+(?:er|het|de\s+zin|de\s+passage|the\s+sentence))?\s*(?:dat|that|:)?\s*(.+)$",
    re.IGNORECASE,
)
_RECOMMEND = re.compile(
    r"\b(?:aanbeveling\w*|aanbevolen|aanbeveelt|beveelt|bevelen|beveel|adviezen|pleit\w*"
    r"|recommend\w*|advice|advises?|advised)\b"
    r"|\b(?:wat|welke)\s+(?:adviseert|adviseren|raadt|raden)\b",
    re.IGNORECASE,
)
_SUMMARY = re.compile(
    r"\b(?:samenvatting\w*|samenvatten|samengevat|vat\b.{0,120}\bsamen|kort\s+samen"
    r"|summary|summaries|summari[sz]e\w*|sum\s+up|sum\s+.{1,60}\s+up|tl;?\s?dr|gist)\b",
    re.IGNORECASE,
)
_TOPIC_PREP = re.compile(
    r"\b(?:over|inzake|omtrent|betreffende|aangaande|rond|rondom|met\s+betrekking\s+tot"
    r"|m\.b\.t\.|op\s+het\s+gebied\s+van|ten\s+aanzien\s+van|t\.a\.v\.|voor|van|aan|in"
    r"|about|on|regarding|concerning|around|for|of|to|in|from)\s+",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(?:(?:de|het|een|deze|dit|die|the|a|an|this|that|these|those|zijn|haar|hun|his|her"
    r"|their|mijn|my|brief|brieven|letter|letters|rapporteur|nationaal|national)\s+)+",
    re.IGNORECASE,
)
_TRAIL = re.compile(
    r"(?:(?:^|\s+)(?:aan|samen|doen|doet|gedaan|geven|geeft|is|zijn|er|please|up|worden|wordt"
    r"|gegeven|staan|staat))+$",
    re.IGNORECASE,
)
# What is left of "vat de brief samen", "summarize it": no topic or letter named.
_NO_TOPIC = _words(
    "me mij ons it this dat het die alles all brief brieven letter letters document documenten "
    "tekst text deze dit"
)
_EDGE_PUNCT = " \t\n?!.,;:\"'“”‘’„«»()[]"


def route(question: str) -> Routing:
    """Which service a question asks for, with its argument (topic, letter or quoted text)."""
    text = " ".join(question.split())[:MAX_QUESTION_CHARS]
    if not text:
        return Routing(None)
    quoted = _quoted(text)
    if quoted and (_QUOTE_CUE.search(text) or len(quoted) >= 0.5 * len(text)):
        return Routing("quote", quoted)
    if _QUOTE_CUE.search(text):
        if quoted:
            return Routing("quote", quoted)
        m = _QUOTE_THAT.search(text)
        if m and _clean(m.group(1)):
            return Routing("quote", _clean(m.group(1)))
        return Routing("quote", _topic_after(text, _QUOTE_CUE))
    if _RECOMMEND.search(text):
        return Routing("recommendations", _topic_after(text, _RECOMMEND))
    if _SUMMARY.search(text):
        return Routing("summary", _summary_arg(text))
    return Routing(None)


def _quoted(text: str) -> str | None:
    found = []
    for pattern in _QUOTES:
        for m in re.finditer(pattern, text):
            inner = m.group(1).strip()
            if any(ch.isalnum() for ch in inner):
                found.append((m.start(), inner))
    if not found:
        return None
    return max(found, key=lambda f: len(f[1]))[1]


def _topic_after(text: str, cue: re.Pattern[str]) -> str | None:
    """The topic a routed question names: the words after a topic preposition that follows
    the cue (``aanbevelingen over X``), else before it (``X-aanbevelingen``), else None."""
    m = cue.search(text)
    rest = text[m.end() :] if m else text
    prep = None
    for p in _TOPIC_PREP.finditer(rest):
        if p.group(0).strip().lower() in ("aan", "to") and not _clean(rest[p.end() :]):
            continue
        prep = p
        # prefer the content prepositions over "van/of/in/aan"
        if p.group(0).strip().lower() not in ("van", "of", "in", "aan", "to", "voor", "for"):
            break
    if prep is not None:
        return _clean(rest[prep.end() :])
    cleaned = _clean(rest)
    if cleaned and len(cleaned.split()) <= 6:
        return cleaned
    return None


def _summary_arg(text: str) -> str | None:
    m = re.search(r"\bvat\b(.{0,120})\bsamen\b", text, re.IGNORECASE)
    if m:
        return _clean(m.group(1))
    m = re.search(r"\bsum\s+(.{1,60})\s+up\b", text, re.IGNORECASE)
    if m:
        return _clean(m.group(1))
    return _topic_after(text, _SUMMARY)


def _clean(fragment: str) -> str | None:
    out = fragment.strip(_EDGE_PUNCT)
    for _ in range(3):
        out = _LEAD.sub("", out).strip(_EDGE_PUNCT)
        prep = re.match(
            r"^(?:over|van|aan|voor|inzake|about|of|on|to|for|regarding)\s+", out, re.IGNORECASE
        )
        if prep:
            out = out[prep.end() :]
        out = _TRAIL.sub("", out).strip(_EDGE_PUNCT)
    if not out or not any(ch.isalnum() for ch in out):
        return None
    if fold(out) in _NO_TOPIC:
        return None
    return out


# --------------------------------------------------------------------------- query checks


def problem(question: str) -> str | None:
    """Why a question cannot be searched, for a person; None when it can."""
    text = question.strip()
    if not text:
        return "Stel een vraag (in het Nederlands of Engels)."
    if len(text) > MAX_QUESTION_CHARS:
        return (
            f"De vraag is {len(text)} tekens lang; stel een kortere vraag "
            f"(hoogstens {MAX_QUESTION_CHARS} tekens)."
        )
    words = [w for w in fold(text).split() if len(w) > 1 or w.isdigit()]
    if not words:
        return "De vraag bevat geen woorden om naar te zoeken."
    return None


def search_text(question: str) -> str:
    """The question without its framing words, for BM25 (``wat zegt de brief over X`` -> X)."""
    kept = [w for w in fold(question).split() if w not in QUESTION_FILLER]
    return " ".join(kept)


# --------------------------------------------------------------------------- fusion


@dataclass(slots=True)
class Candidate:
    sentence_id: int
    letter_id: int
    bm25_rank: int | None = None  # 0-based
    bm25: float = 0.0
    coverage: float = 0.0  # share of the question's idf mass matched (0-1)
    dense_rank: int | None = None
    cosine: float | None = None
    fused: float = 0.0
    relevance: float = 0.0


RRF_K = 10
W_BM25 = 1.0
W_DENSE = 1.0
# A bare keyword query (a few words, no question words) means those words: BM25 counts double.
# Measured: keyword questions hit@3 0.82 -> 0.91, the others unchanged.
KEYWORD_W_BM25 = 2.0
KEYWORD_MAX_WORDS = 4


def is_keyword_query(question: str) -> bool:
    """A few words without question framing (``daling gemelde slachtoffers``)."""
    words = fold(question).split()
    return 0 < len(words) <= KEYWORD_MAX_WORDS and not any(w in QUESTION_FILLER for w in words)


def fuse(
    bm25: Sequence[tuple[int, int, float, float]],
    dense: Sequence[tuple[int, int, float]],
    *,
    k: int = RRF_K,
    w_bm25: float = W_BM25,
    w_dense: float = W_DENSE,
) -> list[Candidate]:
    """Weighted reciprocal rank fusion. ``bm25``: ``(sentence_id, letter_id, score, coverage)``
    best first; ``dense``: ``(sentence_id, letter_id, cosine)`` best first. Returns every
    candidate, best first (ties: lower sentence id first)."""
    by_id: dict[int, Candidate] = {}
    for rank, (sid, lid, score, coverage) in enumerate(bm25):
        c = by_id.setdefault(sid, Candidate(sid, lid))
        c.bm25_rank, c.bm25, c.coverage = rank, score, coverage
        c.fused += w_bm25 / (k + rank + 1)
    for rank, (sid, lid, cos) in enumerate(dense):
        c = by_id.setdefault(sid, Candidate(sid, lid))
        c.dense_rank, c.cosine = rank, cos
        c.fused += w_dense / (k + rank + 1)
    return sorted(by_id.values(), key=lambda c: (-c.fused, c.sentence_id))


# --------------------------------------------------------------------------- expansion

# A query term is expanded with index terms sharing a compound part (BM25Index.related) whose
# word embedding is close to its own: USE gives coalitieakkoord~regeerakkoord 0.57,
# regeerakkoord~akkoord 0.78, unrelated compounds sharing a part mostly < 0.45.
EXPAND_MAX_DF = 20  # only terms in at most this many sentences are expanded (rare or unknown)
EXPAND_CANDIDATES = 20
EXPAND_MIN = 0.50
EXPAND_FULL = 0.70


def expansion_weight(similarity: float) -> float:
    """The weight (0-1) of a related term in the query, from its word similarity."""
    if similarity < EXPAND_MIN:
        return 0.0
    return min(1.0, (similarity - EXPAND_MIN) / (EXPAND_FULL - EXPAND_MIN))


# --------------------------------------------------------------------------- relevance

# Calibrated on bench/eval/questions.jsonl (78 answerable, 15 unanswerable questions; see
# bench/ask_quality.py). The cosine is between the question (question + its search text) and a
# sentence vector mixed with its neighbours': a question's best sentence scores 0.24-0.45 at
# the 5th-50th percentile when the letters answer it, and 0.11-0.34 when they do not. A passage
# counts as an answer from cosine 0.275 alone, or from 57.5% of the question's idf mass alone
# (a single shared word, e.g. "burgemeester", covers too little).
COS_LOW = 0.20
COS_HIGH = 0.70
COVERAGE_LOW = 0.50
FOUND_AT = 0.15


def relevance(cosine: float | None, coverage: float) -> float:
    """A passage's 0-1 relevance from its cosine similarity and its BM25 term coverage."""
    dense = 0.0
    if cosine is not None:
        dense = min(1.0, max(0.0, (cosine - COS_LOW) / (COS_HIGH - COS_LOW)))
    lexical = min(1.0, max(0.0, (coverage - COVERAGE_LOW) / (1.0 - COVERAGE_LOW)))
    # evidence from both sides counts more than either alone
    return min(1.0, max(dense, lexical) + 0.25 * min(dense, lexical))


# --------------------------------------------------------------------------- composition


@dataclass(frozen=True, slots=True)
class Cited:
    """A passage as the answer shows it."""

    text: str
    letter_id: int
    letter_title: str
    page: int
    sentence: int
    score: float


def language(question: str) -> Literal["nl", "en"]:
    """``en`` when the question reads as English, else ``nl``."""
    words = fold(question).split()
    en = sum(w in _ENGLISH for w in words)
    nl = sum(w in _DUTCH for w in words)
    return "en" if en > nl else "nl"


_ENGLISH = _words(
    "the what which who why how does do did is are was were about of to and should can could "
    "would will there this that in on for with by from any has have"
)
_DUTCH = _words(
    "de het een wat welke wie waarom hoe is zijn was waren over van en moet moeten kan kunnen "
    "zou zullen er dit dat in op voor met door bij heeft hebben niet geen wordt worden"
)


def compose(question: str, passages: Sequence[Cited], *, found: bool) -> str:
    """The short answer: the passages grouped per letter (letters in order of their best
    passage, passages in reading order), each followed by its citation ``[n]`` (n = its place
    in ``passages``) and its page. Says so, in the question's language, when nothing relevant
    was found."""
    en = language(question) == "en"
    if not found or not passages:
        return (
            "I found no passage in the letters that answers this question."
            if en
            else "Ik vond in de brieven geen passage die deze vraag beantwoordt."
        )
    by_letter: dict[int, list[tuple[int, Cited]]] = {}
    for n, p in enumerate(passages, 1):
        by_letter.setdefault(p.letter_id, []).append((n, p))
    intro = "According to" if en else "Volgens"
    page = "p."
    lines = []
    for items in by_letter.values():
        body = " ".join(
            f"{p.text} [{n}, {page} {p.page}]"
            for n, p in sorted(items, key=lambda item: item[1].sentence)
        )
        lines.append(f"{intro} “{items[0][1].letter_title}”: {body}")
    return "\n".join(lines)
