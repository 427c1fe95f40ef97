"""Extractive summaries of a letter (or of one section or topic of it): pure, offline, no model.

Given the sentences of a letter, :func:`choose` returns the numbers of the ``k`` key sentences in
letter order. Methods (compared in ``bench/summary_methods.py``, the choice explained in
docs/summaries.md):

``lead``
    the first ``k`` usable sentences (baseline);
``textrank``
    PageRank over the cosine-similarity graph of TF-IDF vectors of stemmed words;
``lexrank``
    PageRank over the graph of pairs whose cosine similarity passes a threshold (0.1);
``textrank-mmr`` / ``lexrank-mmr``
    the centrality, then Maximal Marginal Relevance selection (lambda 0.6) against redundancy;
``coverage`` (the default)
    sentences picked for what they newly cover of the document (words, the field's themes, the
    neighbours in their section), each part of the document (a headed section) first, with the
    priors below; a finding's reward grows with its TextRank centrality (the author's requests
    and concerns weigh by their kind instead);
``policy``
    TextRank with MMR, and priors for the genre: the author's recommendations, requests and
    concerns (:mod:`bot.core.recommend`) weigh more; meta sentences ("hieronder licht ik toe")
    weigh less; sentences whose numbers the damage deleted ("in de periode tot steeg ... met en"),
    very short and very long sentences weigh less; headings, salutations, thanks, closing
    formulas and scanner debris are never chosen.

Every chosen sentence is a whole sentence of the letter, so a summary states nothing the letter
does not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import Stemmer

from bot.core.errors import Refused
from bot.core.recommend import (
    FIRST_PERSON_ONLY,
    Author,
    classify,
    is_closing_formula,
    is_question_heading,
)
from bot.core.text import fold
from bot.core.vocabulary import NEGATIONS, STOPWORDS

Method = Literal["lead", "textrank", "lexrank", "textrank-mmr", "lexrank-mmr", "policy", "coverage"]
METHODS: tuple[Method, ...] = (
    "lead",
    "textrank",
    "lexrank",
    "textrank-mmr",
    "lexrank-mmr",
    "policy",
    "coverage",
)
DEFAULT_METHOD: Method = "coverage"
MMR_LAMBDA = 0.6
LEXRANK_THRESHOLD = 0.1
DAMPING = 0.85
SECTION_PENALTY = 0.1
NEAR_DUPLICATE = 0.9  # a sentence this similar to one already chosen adds nothing
ASK_PRIOR = 2.0  # request, advice, plea
CONCERN_PRIOR = 1.4  # concern, requirement
CONCLUSION_PRIOR = 1.25  # "daarom", "dan ook", "derhalve": the author draws the conclusion
QUESTION_PRIOR = 0.2  # a question asks; a summary says
FIGURE_PRIOR = 1.3  # "1.412 keer", "43 procent": the key figure of a part
TREND_PRIOR = 1.4  # "een flinke daling", "steeg van 412 naar 689": a finding on how things move
MIN_WORDS = 6
LONG_WORDS = 70
ANAPHORA_PRIOR = 0.6  # "dit is zorgelijk", "ze worden ...": leans on the sentence before
THEME_WEIGHT = 0.5  # a shared theme counts like this much of a sentence's own words
COVER_REACH = 1.0  # sentences: how far a chosen sentence covers its neighbours
COVER_REWARD = 0.1  # what a sentence's own worth adds to what it covers
SECTION_BONUS = 0.03  # what the first sentence from a section not yet in the summary adds
SECTION_COST = 0.01  # what each sentence already taken from its section costs
LENGTH_FACTOR = 0.7  # default length: this times the square root of the usable sentences
CENTRAL_WEIGHT = 0.4  # how much a finding's TextRank centrality scales its reward ...
CENTRAL_CAP = 2.0  # ... at most this many times
MAX_PARTS = 8  # the default length grows to one sentence per headed part, up to this many

_STEMMER = Stemmer.Stemmer("dutch_porter")
_STOP = frozenset(fold(w) for w in STOPWORDS) - frozenset(NEGATIONS)


@dataclass(frozen=True, slots=True)
class SummarySentence:
    number: int
    text: str
    norm: str
    section: int | None = None
    heading: str | None = None  # the heading of its section, to drop a heading-only sentence


# --------------------------------------------------------------------------- sentence priors

_SALUTATION = re.compile(r"^(?:zeer |hoog)?geachte\b|^excellentie|^beste\b|^l\.s\b")
_THANKS = re.compile(
    r"\b(?:ik dank u|dank ik u|mijn dank|met (?:veel )?(?:belangstelling|waardering|aandacht) "
    r"(?:heb|nam) ik|ik waardeer het|ik stel het (?:bijzonder )?op prijs)\b"
)
_META = re.compile(
    r"\b(?:hieronder|hierna|navolgende|onderstaande|in deze brief|met deze brief|middels deze brief"
    r"|in deze notitie|deze notitie|treft u|licht ik|zal ik (?:\w+ ){0,3}?(?:toelichten|ingaan|"
    r"uiteenzetten)|brengt (?:\w+ ){0,3}?(?:advies|reactie) uit|breng (?:\w+ ){0,3}?(?:advies|"
    r"reactie) uit|heeft (?:u|uw \w+) (?:\w+ ){0,5}?(?:gevraagd|verzocht)|bij brief van|"
    r"uw (?:advies)?aanvraag|(?:ons|mij) (?:\w+ ){0,4}?(?:gevraagd|verzocht)|"
    r"ga ik (?:\w+ ){0,3}?in op|achtereenvolgens|bijgaand|ontvangt u|reageer ik|reageren wij|"
    r"in de bijlage|hierbij (?:\w+ ){0,2}?(?:bied|zend|stuur|informeer|ontvangt|treft)|"
    r"(?:mijn|onze|zijn|haar) (?:\w+ )?(?:taak|taken) (?:om|te|aan|is)\b|het mijn (?:\w+ )?taak)\b"
)
# A request about the handling of the document itself, not about the matter: "wij vragen uw
# raad kennis te nemen van deze brief", "ik verzoek u deze brief te betrekken bij het debat",
# "... het rapport met uw beleidsreactie aan de Tweede Kamer te sturen".
_PROCEDURAL = re.compile(
    r"\bkennis (?:te )?nemen van (?:deze|dit|de|bijgaande?|het) (?:\w+ )?(?:brief|notitie|"
    r"rapport|informatie|rapportage|memo|advies)\b"
    r"|\b(?:deze|dit|de|het) (?:\w+ )?(?:brief|notitie|rapport|rapportage|advies) (?:\w+ ){0,4}?"
    r"(?:te )?betrekken bij\b"
    r"|\b(?:rapport|advies|brief|rapportage) (?:\w+ ){0,8}?(?:aan|naar) de (?:tweede |eerste )?"
    r"kamer (?:\w+ ){0,2}?(?:te )?(?:sturen|zenden|toe te zenden|aan te bieden)\b"
)
PROCEDURAL_PRIOR = 0.3  # times the weight of a request about handling the document itself
# A sentence that only points at a table or figure: "Tabel 2 laat zien hoeveel ...".
_POINTS_AT_TABLE = re.compile(
    r"^(?:in )?(?:de )?(?:tabel|figuur|grafiek|overzicht|kaart) (?:\w+ )?(?:laat|laten|toont|"
    r"tonen|geeft|geven|bevat|bevatten|staat|staan|vat|beschrijft)\b"
)
_NUMBER_TOKEN = re.compile(r"^[\d.,%€-]*\d[\d.,%€-]*$")
TABLE_PRIOR = 0.2  # a table printed as a run of numbers, or a sentence that points at one
# A finding on a trend: what grows, falls, doubles (the findings policy documents lead with).
_TREND = re.compile(
    r"\b(?:stijging|stijgende|daling|dalende|toename|afname|toenemend\w*|afnemend\w*|verdubbel\w*|"
    r"verdrievoudig\w*|"
    r"gestegen|gedaald|steeg|stegen|daalde|daalden|groeit|groeide|gegroeid|toegenomen|afgenomen|"
    r"(?:neemt|nam) (?:\w+ )?(?:toe|af)|keer zoveel|maal zoveel|verviervoudig\w*|"
    # a figure set against an earlier one: "214 meldingen, tegen 61 een jaar eerder"
    r"tegen \d[\d.,]* (?:\w+ ){0,3}?(?:in (?:19|20)\d\d|een jaar eerder|vorig jaar)|"
    r"(?:meer|minder) dan (?:in|een jaar eerder|vorig jaar)|ten opzichte van (?:19|20)\d\d)\b"
)
# A figure: a count or share that states how large something is (not a year, not a date).
_FIGURE = re.compile(
    r"(?<![\d.,/-])(?!(?:19|20)\d\d\b)(?:\d{1,3}(?:\.\d{3})+|\d{3,})(?![\d/-])"
    r"|\d+(?:,\d+)?\s?(?:procent|%)|\b\d+(?:,\d+)? (?:miljoen|miljard)\b"
)
_CONCLUSION = re.compile(
    r"\b(?:daarom|dan ook|derhalve|kortom|concluderend|alles afwegend|samenvattend|om die reden)\b"
)
_FINITE = (
    "steeg|stegen|daalde|daalden|lijken|lijkt|heeft|hebben|werd|werden|neemt|nam|bedraagt"
    "|bedroeg|verscheen|is|was|waren"
)
# A number deleted by the damage leaves a preposition before a conjunction or a finite verb
# ("in de periode tot steeg ... met en sindsdien", "de cijfers over lijken", "tussen en").
_DELETED_NUMBER = re.compile(
    rf"\b(?:tot|tussen|sinds|vanaf|per|circa|ruim|bijna|ongeveer) (?:en|of|{_FINITE})\b"
    rf"|\b(?:over|in|met|van) (?:steeg|stegen|daalde|daalden|lijken|lijkt|heeft|hebben|bedraagt"
    rf"|bedroeg)\b"
    r"|\bmet en\b|\bvan tot\b|\btot en met (?:de|het|een|en)\b"
    r"|^(?:in|sinds) (?:is|was|heeft|werd)\b"
    r"|^(?:in|sinds|vanaf|tot) \w+ (?:ik|we|wij)\b"
)


# A sentence that opens by pointing back ("dit", "deze", "ze", "hierdoor") says little alone.
_ANAPHORA = re.compile(
    r"^(?:dit|deze|dat|die|ze|zij|hij|het|hierdoor|daardoor|hiermee|daarmee|hiervoor|daarvoor|"
    r"zo|ook dit|en|maar|onder hen)\b(?! \w+ (?:brief|advies|notitie)\b)"
)


def is_debris(text: str) -> bool:
    """Scanner or layout debris: few letters, many symbols ("~/•~ ~J/~:/J)~ L...J~.")."""
    letters = sum(ch.isalpha() for ch in text)
    return letters < 0.6 * max(1, len(text.replace(" ", "")))


def has_deleted_numbers(text: str) -> bool:
    """True when the damage deleted numbers so that the sentence reads badly."""
    if any(ch.isdigit() for ch in text):
        return False
    return bool(_DELETED_NUMBER.search(fold(text)))


def is_boilerplate(text: str, heading: str | None = None) -> bool:
    """Never part of a summary: closing formulas, salutations, thanks, headings, debris."""
    f = fold(text)
    if not f or is_debris(text):
        return True
    if heading and f == fold(heading):
        return True
    if _SALUTATION.search(f) or _THANKS.search(f):
        return True
    return is_closing_formula(text)


def prior(s: SummarySentence, author: Author = FIRST_PERSON_ONLY) -> float:
    """How much a sentence may count in a summary: 0 never, 1 neutral, more for the author's
    recommendations and concerns (``author``: how the document names its author besides
    ``ik`` and ``wij``, see :func:`bot.core.recommend.author_of`)."""
    if is_boilerplate(s.text, s.heading):
        return 0.0
    if s.heading and is_question_heading(s.heading):
        return 0.0  # the questions of an answers document: what was asked, not said
    f = fold(s.text)
    n_words = len(f.split())
    if n_words < 3:
        return 0.0
    weight = 1.0
    if n_words < MIN_WORDS:
        weight *= 0.3
    elif n_words > LONG_WORDS:
        weight *= 0.5
    if _META.search(f):
        weight *= 0.4
    if _PROCEDURAL.search(f):
        weight *= PROCEDURAL_PRIOR
    if _POINTS_AT_TABLE.search(f) or _is_table_row(s.text):
        weight *= TABLE_PRIOR
    if has_deleted_numbers(s.text):
        weight *= 0.3
    if _CONCLUSION.search(f):
        weight *= CONCLUSION_PRIOR
    if _TREND.search(f):
        weight *= TREND_PRIOR
    elif _FIGURE.search(s.text):
        weight *= FIGURE_PRIOR
    if s.text.rstrip().endswith("?"):
        weight *= QUESTION_PRIOR
    cue = classify(s.text, author)
    if cue is not None:
        weight *= ASK_PRIOR if cue.kind in ("request", "advice", "plea") else CONCERN_PRIOR
    return weight


def _is_table_row(text: str) -> bool:
    """A table flattened into a sentence: at least six numbers, and numbers at least a third of
    its words (``Krijgsmachtdeel 2024 2025 2026 Landmacht 2.310 2.480 ...``)."""
    words = text.split()
    numbers = sum(bool(_NUMBER_TOKEN.match(w)) for w in words)
    return numbers >= 6 and numbers * 3 >= len(words)


def standalone(s: SummarySentence) -> float:
    """1, or less for a sentence that leans on the one before it ("dit is zorgelijk")."""
    return ANAPHORA_PRIOR if _ANAPHORA.search(fold(s.text)) else 1.0


# --------------------------------------------------------------------------- vectors and graphs


def _terms(text: str) -> list[str]:
    return _STEMMER.stemWords([w for w in fold(text).split() if w not in _STOP and len(w) > 1])


def tfidf_matrix(texts: Sequence[str]) -> np.ndarray:
    """Rows: L2-normalised TF-IDF vectors of stemmed content words (IDF within the letter)."""
    docs = [_terms(t) for t in texts]
    vocab: dict[str, int] = {}
    for d in docs:
        for w in d:
            vocab.setdefault(w, len(vocab))
    m = np.zeros((len(docs), max(1, len(vocab))), dtype=np.float64)
    for i, d in enumerate(docs):
        for w in d:
            m[i, vocab[w]] += 1.0
    df = (m > 0).sum(axis=0)
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    m = np.log1p(m) * idf
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1.0, norms)


def pagerank(weights: np.ndarray, damping: float = DAMPING, iterations: int = 100) -> np.ndarray:
    n = weights.shape[0]
    if n == 0:
        return np.zeros(0)
    w = weights.copy()
    np.fill_diagonal(w, 0.0)
    out = w.sum(axis=1, keepdims=True)
    # a sentence similar to none spreads its weight evenly (a dangling node)
    trans = np.where(out > 0, w / np.where(out == 0, 1.0, out), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        new = (1 - damping) / n + damping * trans.T @ rank
        if np.abs(new - rank).sum() < 1e-9:
            return new
        rank = new
    return rank


def centrality(sim: np.ndarray, method: str) -> np.ndarray:
    if method.startswith("lexrank"):
        return pagerank((sim > LEXRANK_THRESHOLD).astype(np.float64))
    return pagerank(sim)


def mmr(
    relevance: np.ndarray,
    sim: np.ndarray,
    k: int,
    lam: float = MMR_LAMBDA,
    *,
    sections: Sequence[object] | None = None,
    section_penalty: float = 0.0,
) -> list[int]:
    """Maximal Marginal Relevance: indexes of ``k`` items, each the best trade-off between its
    relevance and its similarity to those already chosen. With ``sections``, each item already
    chosen from the same section also costs ``section_penalty``, so the summary covers the
    letter's parts."""
    chosen: list[int] = []
    candidates = [i for i in range(len(relevance)) if relevance[i] > 0]
    top = relevance.max() if len(relevance) else 0.0
    rel = relevance / top if top > 0 else relevance
    while candidates and len(chosen) < k:
        if chosen:
            redundancy = sim[np.ix_(candidates, chosen)].max(axis=1)
        else:
            redundancy = np.zeros(len(candidates))
        scores = lam * rel[candidates] - (1 - lam) * redundancy
        scores = np.where(redundancy >= NEAR_DUPLICATE, -np.inf, scores)
        if sections is not None and section_penalty:
            taken = [sections[i] for i in chosen]
            scores = scores - section_penalty * np.array(
                [taken.count(sections[i]) for i in candidates], dtype=np.float64
            )
        if not np.isfinite(scores).any():
            break
        best = candidates[int(np.argmax(scores))]
        chosen.append(best)
        candidates.remove(best)
    return chosen


# --------------------------------------------------------------------------- the summary


def choose(
    sentences: Sequence[SummarySentence],
    k: int,
    *,
    method: Method = DEFAULT_METHOD,
    author: Author = FIRST_PERSON_ONLY,
) -> list[int]:
    """The numbers of at most ``k`` key sentences, in letter order. ``author`` (see
    :func:`bot.core.recommend.author_of`) lets the priors know the author's requests when it
    writes of itself in the third person (``de Raad adviseert``)."""
    if k < 1 or not sentences:
        return []
    if method not in METHODS:
        raise ValueError(f"unknown summary method {method!r}; choose one of {', '.join(METHODS)}")
    priors = np.array([prior(s, author) for s in sentences])
    usable = [i for i, p in enumerate(priors) if p > 0]
    if not usable:
        return []
    if method == "lead":
        return sorted(sentences[i].number for i in usable[:k])
    subset = [sentences[i] for i in usable]
    vectors = tfidf_matrix([s.norm or s.text for s in subset])
    if method == "coverage":
        reward = priors[usable] * np.array([standalone(s) for s in subset])
        if CENTRAL_WEIGHT:
            sim = vectors @ vectors.T
            central = centrality(sim, "textrank")
            # findings: the most central statements of what is; the author's requests and
            # concerns already weigh more by their kind
            factor = np.minimum(
                (central / max(central.mean(), 1e-12)) ** CENTRAL_WEIGHT, CENTRAL_CAP
            )
            asks = np.array([classify(s.text, author) is not None for s in subset])
            trends = np.array([bool(_TREND.search(s.norm or fold(s.text))) for s in subset])
            factor = np.where(trends, np.maximum(factor, 1.0), factor)
            reward = reward * np.where(asks, np.minimum(factor, 1.0), factor)
        tiles = np.hstack([vectors, THEME_WEIGHT * theme_matrix([s.text for s in subset])])
        return sorted(subset[i].number for i in coverage_pick(subset, tiles, reward, k))
    sim = vectors @ vectors.T
    central = centrality(sim, method)
    if method == "policy":
        central = central * priors[usable]
    if method == "policy":
        picked = mmr(
            central, sim, k, sections=[s.section for s in subset], section_penalty=SECTION_PENALTY
        )
    elif method.endswith("mmr"):
        picked = mmr(central, sim, k)
    else:
        picked = list(np.argsort(-central, kind="stable")[:k])
    return sorted(subset[i].number for i in picked)


def theme_matrix(texts: Sequence[str]) -> np.ndarray:
    """Rows: which of the field's themes (:data:`bot.core.topics.THEMES`: its synonyms and
    word families, "online"/"grooming"/"webcam", "preventie"/"weerbaar") each sentence
    mentions. Sentences on one matter often share a theme and few exact words."""
    from bot.core.topics import THEMES, SentenceTerms, mentions

    m = np.zeros((len(texts), len(THEMES)), dtype=np.float64)
    for i, text in enumerate(texts):
        st = SentenceTerms.of(text)
        for j, theme in enumerate(THEMES):
            if mentions(st, theme.terms):
                m[i, j] = 1.0
    return m


def coverage_pick(
    sentences: Sequence[SummarySentence], tiles: np.ndarray, reward: np.ndarray, k: int
) -> list[int]:
    """At most ``k`` indexes that together cover the document best (a facility-location
    objective, after Lin and Bilmes 2011): every sentence is covered by the chosen sentence
    most like it, in words and themes or by being near it in the same section; each pick adds
    what it newly covers plus its own reward (a request or concern is worth more)."""
    n = len(sentences)
    norms = np.linalg.norm(tiles, axis=1, keepdims=True)
    unit = tiles / np.where(norms == 0, 1.0, norms)
    like = unit @ unit.T
    pos = np.arange(n)
    near = np.exp(-np.abs(pos[:, None] - pos[None, :]) / COVER_REACH)
    codes: dict[object, int] = {}
    sections = np.array([codes.setdefault(s.section, len(codes)) for s in sentences])
    same = np.equal.outer(sections, sections).astype(np.float64)
    cover = np.maximum(like, near * same)
    np.fill_diagonal(cover, 1.0)
    fresh = (np.bincount(sections)[sections] >= 2).astype(np.float64)
    if any(s.heading for s in sentences):
        # the unheaded opening of a document with headed parts introduces them: no part of
        # its own to cover
        fresh[[s.heading is None for s in sentences]] = 0.0
    covered = np.zeros(n)
    taken = np.zeros(len(codes))
    chosen: list[int] = []
    while len(chosen) < k:
        gains = np.maximum(cover - covered[None, :], 0.0).sum(axis=1) / n
        gains = (
            gains + COVER_REWARD * reward + SECTION_BONUS * fresh - SECTION_COST * taken[sections]
        )
        for i in chosen:
            gains[i] = -np.inf
        gains[reward <= 0] = -np.inf
        if chosen:
            gains[like[:, chosen].max(axis=1) >= NEAR_DUPLICATE] = -np.inf
        best = int(np.argmax(gains))
        if not np.isfinite(gains[best]):
            break
        chosen.append(best)
        covered = np.maximum(covered, cover[best])
        fresh[sections == sections[best]] = 0.0
        taken[sections[best]] += 1
    return chosen


NAMED_LENGTHS = {
    "short": "short",
    "kort": "short",
    "default": "default",
    "standaard": "default",
    "normal": "default",
    "long": "long",
    "lang": "long",
}
BASE_LENGTHS = {"short": 3, "default": 5, "long": 10}


def default_length(sentences: Sequence[SummarySentence]) -> int:
    """The default length for a document: 5 sentences for a letter of up to three pages or so,
    growing with the square root of its usable sentences to 10 for a long report (a ten-page
    document has more main points than a one-page one), and to one sentence for each headed
    part that says more than a line (up to :data:`MAX_PARTS`): every part has its point."""
    usable = [s for s in sentences if prior(s) > 0]
    by_size = round(LENGTH_FACTOR * math.sqrt(len(usable)))
    counts: dict[object, int] = {}
    for s in usable:
        if s.heading is not None and not is_question_heading(s.heading):
            counts[s.section] = counts.get(s.section, 0) + 1
    parts = min(MAX_PARTS, sum(1 for n in counts.values() if n >= 2))
    return min(10, max(BASE_LENGTHS["default"], by_size, parts))


def length_of(length: int | str, sentences: Sequence[SummarySentence] | None = None) -> int:
    """A number of sentences from 1..20 (exact) or a name: ``short``/``default``/``long``
    (also ``kort``/``standaard``/``lang``): 3/5/10, or, given the document's ``sentences``,
    its :func:`default_length` with short about 60 % and long twice that (at most 20)."""
    if isinstance(length, bool):
        raise Refused("summary_length")
    if isinstance(length, str):
        key = length.strip().lower()
        if key in NAMED_LENGTHS:
            name = NAMED_LENGTHS[key]
            if sentences is None:
                return BASE_LENGTHS[name]
            default = default_length(sentences)
            if name == "short":
                return max(BASE_LENGTHS["short"], round(0.6 * default))
            if name == "long":
                return min(20, 2 * default)
            return default
        if not key.isdigit():
            raise Refused("summary_length")
        length = int(key)
    if not 1 <= length <= 20:
        raise Refused("summary_length")
    return int(length)
