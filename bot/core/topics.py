"""Topics of a letter, which recommendation belongs to which topic, and what a user means.

Pure functions. A letter's topics come from the letter itself:

- the themes of the genre that it mentions, through a small hand-written synonym table of the
  vocabulary of Dutch policy letters on these subjects (:data:`THEMES`): ``kinderporno``,
  ``kinderpornografie`` and ``beeldmateriaal van seksueel misbruik`` are one theme, so letters
  that use different words share one topic, and a user typing any of them finds it;
- its section headings (``Triagering``, ``Beleidsinformatie``), unless generic (``Tot slot``);
- its key phrases: words and two-word phrases that recur in the letter and are rare in Dutch
  (TF-IDF of lemmatised phrases against the wordfreq background frequency).

Every topic has a stable ASCII slug made from its Dutch name (:func:`slugify`), so the same
theme or heading in two letters is one topic. :func:`resolve_topic` maps what a user typed to a
topic: by slug, name, synonym, lemma, accent- and case-folded, prefix, then fuzzy (rapidfuzz).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.core.lexicon import lemma, looks_like_verb_form, zipf
from bot.core.text import fold, words
from bot.core.vocabulary import MONTHS, STOPWORDS

TOPICS_VERSION = "1"
MAX_LETTER_TOPICS = 12
MAX_TOPICS_PER_SENTENCE = 3
MAX_SLUG = 60

# --------------------------------------------------------------------------- the genre's themes


@dataclass(frozen=True, slots=True)
class Theme:
    name: str  # Dutch display name
    terms: tuple[str, ...]  # phrases that mark the theme in a sentence (any form; folded here)
    synonyms: tuple[str, ...] = ()  # what users may type that is not a marking term

    @property
    def slug(self) -> str:
        return slugify(self.name)


# fmt: off
THEMES: tuple[Theme, ...] = (
    Theme(
        "mensenhandel",
        ("mensenhandel", "mensenhandelaar", "uitbuiting", "arbeidsuitbuiting", "loverboy",
         "uitgebuit", "gedwongen prostitutie"),
        ("trafficking", "human trafficking", "uitbuiting", "arbeidsuitbuiting",
         "criminele uitbuiting", "seksuele uitbuiting"),
    ),
    Theme(
        "seksueel geweld tegen kinderen",
        ("seksueel geweld tegen kinderen", "seksueel misbruik", "kindermisbruik",
         "misbruik van kinderen", "seksueel geweld", "misbruikte", "zedendelinquent"),
        ("sgtk", "seksueel kindermisbruik", "misbruik", "zedenzaken"),
    ),
    Theme(
        "kinderpornografie",
        ("kinderpornografie", "kinderporno", "kinderpornografisch",
         "beeldmateriaal van seksueel misbruik", "misbruikmateriaal", "beelden van het misbruik",
         "beelden van seksueel misbruik"),
        ("child sexual abuse material", "csam", "kinderpornografisch materiaal",
         "beeldmateriaal"),
    ),
    Theme(
        "online seksueel geweld",
        ("online", "internet", "webcam", "grooming", "groomingzaken", "sextortion", "webcrawler",
         "sexting", "digitaal misbruik"),
        ("online misbruik", "internet misbruik", "webcammisbruik", "misbruik online"),
    ),
    Theme(
        "kindersekstoerisme",
        ("kindersekstoerisme", "kindersekstoerist", "sekstoerisme"),
        ("sekstoerisme", "kindersekstoeristen"),
    ),
    Theme(
        "prostitutie",
        ("prostitutie", "prostituee", "prostitué", "sekswerk", "sekswerker", "seksbranche",
         "seksindustrie", "bordeel", "prostituant"),
        ("sekswerk", "seksbranche", "raamprostitutie", "escort"),
    ),
    Theme(
        "jeugdzorg",
        ("jeugdzorg", "jeugdhulp", "jeugdwet", "jeugdbescherming", "jeugdreclassering",
         "jeugdzorgstelsel", "jeugdhulpinstelling", "jeugdzorginstelling"),
        ("jeugdhulp", "jeugdbeleid", "jeugdstelsel"),
    ),
    Theme(
        "huiselijk geweld en kindermishandeling",
        ("huiselijk geweld", "kindermishandeling", "veilig thuis", "amhk", "meldcode",
         "mishandeling"),
        ("kindermishandeling", "huiselijk geweld", "veilig thuis", "meldcode"),
    ),
    Theme(
        "coördinatie",
        ("coördinatie", "coördinerend", "gecoördineerd", "regie", "samenhang", "samenhangend",
         "ontschotting"),
        ("regie", "samenhang", "coordinatie", "afstemming", "samenwerking"),
    ),
    Theme(
        "regeerakkoord",
        ("regeerakkoord", "coalitieakkoord", "kabinetsformatie", "informateur"),
        ("coalitieakkoord", "formatie", "regeerprogramma"),
    ),
    Theme(
        "beleidsinformatie en registratie",
        ("beleidsinformatie", "registratie", "monitoring", "monitoren", "registratiesysteem",
         "cijfers", "informatieprotocol", "dataset"),
        ("registratie", "data", "cijfers", "monitoring", "statistiek"),
    ),
    Theme(
        "preventie",
        ("preventie", "preventief", "weerbaar", "daderschap"),
        ("voorkomen", "voorkoming", "weerbaarheid"),
    ),
    Theme(
        "hulp aan slachtoffers",
        ("slachtofferhulp", "opvang", "hulpverlening", "therapie", "ggz",
         "zorg voor slachtoffers", "hulp aan slachtoffers", "schadevergoeding"),
        ("slachtofferzorg", "opvang", "hulpverlening", "zorg"),
    ),
    Theme(
        "migratie",
        ("migrant", "migratie", "vreemdeling", "asiel", "vluchteling", "migratiestromen"),
        ("asielzoekers", "vluchtelingen", "amv", "alleenstaande minderjarige vreemdelingen"),
    ),
    Theme(
        "mensensmokkel",
        ("mensensmokkel", "mensensmokkelaar", "smokkelaar", "smokkel"),
        ("smokkel", "smuggling"),
    ),
    Theme(
        "politie en opsporing",
        ("politie", "opsporing", "politiecapaciteit", "liaison officer", "marechaussee",
         "mensenhandelteams"),
        ("politie", "opsporing", "handhaving", "capaciteit"),
    ),
    Theme(
        "strafrecht",
        ("strafbaarstelling", "strafmaat", "strafmaximum", "strafmaxima", "wetboek van strafrecht",
         "strafbedreiging", "strafbaar", "vervolging"),
        ("straf", "strafbaarheid", "wetgeving"),
    ),
    Theme(
        "privacy",
        ("privacy", "persoonsgegevens", "privacybescherming", "gepseudonimiseerd"),
        ("avg", "gegevensbescherming"),
    ),
    Theme(
        "financiering",
        ("financiering", "financiële middelen", "budget", "bekostiging", "budgetkorting",
         "efficiëntiekorting"),
        ("geld", "middelen", "bezuinigingen", "bekostiging"),
    ),
)
# fmt: on

# Headings that name a part of the letter, not a subject.
_GENERIC_HEADINGS = re.compile(
    r"^(?:tot slot|slot|afsluitend|conclusies?|concluderend|samenvatting|samenvattend|"
    r"aanbevelingen|inleiding|aanleiding|achtergrond|overige?|overige opmerkingen|"
    r"technische opmerkingen|opmerkingen|tenslotte|ten slotte|bijlagen?|"
    r"(?:hoofdstuk|artikel|paragraaf)\b.*)$"
)
# Words of the letter genre itself: never a topic on their own.
_GENRE_WORDS = frozenset(
    """
    brief brieven minister ministers staatssecretaris kamer kamerleden rapporteur nationaal
    nationale artikel artikelen lid leden wijze mate kader aanpak beleid wetsvoorstel voorstel
    besluit toelichting memorie nota rapport rapportage rapportages onderzoek reactie advies
    aanbeveling aanbevelingen punt punten opmerking opmerkingen vraag vragen belang geval
    gevallen nederland nederlandse regering overheid rijk ministerie commissie datum kenmerk
    pagina bijlage informatie aandacht sprake moment periode jaar jaren afgelopen huidige
    betrekking hierna hieronder bovenstaande bovengenoemde voornoemde namelijk ongerubriceerd
    slachtoffer slachtoffers justitie veiligheid volksgezondheid welzijn sport binnenlandse zaken
    sociale werkgelegenheid onderwijs cultuur wetenschap defensie financien buitenlandse
    immigratie integratie asiel rechtsbescherming economische koninkrijksrelaties excellentie
    excellenties geachte mevrouw heer voorzitter uitgangspunt materiaal gevolg gevolgen
    bevinding bevindingen conceptwetsvoorstel consultatieversie ontwerpbesluit uitvoeringsbesluit
    regeling richtlijn wetsartikel
    """.split()
)
# Words that make up the themes' own terms: a key phrase made of them is a theme already.
_THEME_WORDS = frozenset(w for t in THEMES for term in t.terms for w in fold(term).split())
_ADJECTIVE = re.compile(
    r"(?:lijke?r?|ische?|ieke?|ige?r?|ere|ste|ende|ele|iele|ieve|ale|aire|ueel|ieel|reel)$"
)
_CAPITALISED = re.compile(r"(?<=[a-zà-ÿ,;:] )([A-Z][a-zà-ÿ]+|[A-Z]{2,})\b")
_STOP = frozenset(fold(w) for w in STOPWORDS) | frozenset(MONTHS)


# --------------------------------------------------------------------------- text helpers


def slugify(name: str) -> str:
    """A stable ASCII slug from a Dutch name: ``Coördinatie`` -> ``coordinatie``."""
    slug = "-".join(fold(name).split())
    return slug[:MAX_SLUG].strip("-")


@lru_cache(maxsize=65536)
def _lemma_folded(word: str) -> str:
    return fold(lemma(word)) or word


def lemma_key(text: str) -> str:
    """Folded lemmas of the words of ``text``: ``Kinderen`` -> ``kind``."""
    return " ".join(_lemma_folded(w) for w in words(text))


def _contains_phrase(haystack: str, phrase: str) -> bool:
    return f" {phrase} " in f" {haystack} "


@lru_cache(maxsize=4096)
def _terms_regex(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """Marking terms as one regex over folded text. A long single word also matches inside a
    Dutch compound (``prostitutie`` in ``prostitutiebeleid``, ``migrant`` in ``migranten``);
    a short word or a phrase matches whole, with an inflection on its last word."""
    inside, whole = [], []
    for term in terms:
        f = fold(term)
        if not f:
            continue
        if " " not in f and len(f) >= 6:
            inside.append(re.escape(f))
        else:
            whole.append(re.escape(f) + r"(?:en|s|e|n)?")
    parts = []
    if inside:
        parts.append("(?:" + "|".join(sorted(inside, key=len, reverse=True)) + ")")
    if whole:
        parts.append(r"\b(?:" + "|".join(sorted(whole, key=len, reverse=True)) + r")\b")
    return re.compile("|".join(parts)) if parts else None


@dataclass(frozen=True, slots=True)
class SentenceTerms:
    """A sentence prepared for topic matching (its folded form)."""

    folded: str

    @classmethod
    def of(cls, text: str) -> SentenceTerms:
        return cls(fold(text))


def mentions(sentence: SentenceTerms, terms: Iterable[str]) -> bool:
    rx = _terms_regex(tuple(terms))
    return bool(rx and rx.search(sentence.folded))


# --------------------------------------------------------------------------- letter topics


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    name: str
    weight: float  # share of the letter's sentences about it, boosted for headings
    terms: tuple[str, ...] = ()  # what marks it in a sentence
    source: str = "theme"  # "theme", "heading" or "phrase"


@dataclass(frozen=True, slots=True)
class TopicSentence:
    """What topic extraction needs of a sentence."""

    number: int
    text: str
    section: int  # index of its section in the letter
    heading: str | None = None  # its section's heading


@dataclass(slots=True)
class LetterTopics:
    topics: list[Topic] = field(default_factory=list)

    def by_slug(self) -> dict[str, Topic]:
        return {t.slug: t for t in self.topics}


def _theme_of(text: str) -> Theme | None:
    st = SentenceTerms.of(text)
    for theme in THEMES:
        if mentions(st, theme.terms):
            return theme
    return None


def _clean_heading(heading: str) -> str | None:
    h = " ".join(words(heading))
    if not h or _GENERIC_HEADINGS.match(h) or len(h) < 4:
        return None
    content = [w for w in h.split() if fold(w) not in _STOP]
    if not content or len(content) > 4:
        return None
    return h


def _inflected_adjective(word: str) -> bool:
    """``middellange`` (lemma ``middellang``), ``landelijke``: an adjective with its -e."""
    lem = _lemma_folded(word)
    return word.endswith("e") and lem != word and not lem.endswith("e")


def _candidate_phrases(text: str, names: frozenset[str] = frozenset()) -> set[tuple[str, ...]]:
    """Words and two-word phrases of content words, as lemma tuples; ``names`` (proper names
    found by their capitals) are left out."""
    toks = words(text)
    out: set[tuple[str, ...]] = set()
    ok = [
        len(w) >= 4
        and w.isalpha()
        and fold(w) not in _STOP
        and fold(w) not in _GENRE_WORDS
        and fold(w) not in names
        and not looks_like_verb_form(w)
        and not _inflected_adjective(w)
        for w in toks
    ]
    lem = [_lemma_folded(w) for w in toks]
    for i in range(len(toks)):
        if ok[i] and lem[i] not in _GENRE_WORDS:
            out.add((lem[i],))
            if i + 1 < len(toks) and ok[i + 1] and lem[i + 1] not in _GENRE_WORDS:
                out.add((lem[i], lem[i + 1]))
    return out


def _proper_names(sentences: Sequence[TopicSentence]) -> frozenset[str]:
    """Words written with a capital inside a sentence more often than not: names of people
    and organisations (``Sprokkereef``, ``CoMensha``), never a topic. Clean text only."""
    capital: Counter[str] = Counter()
    for s in sentences:
        for m in _CAPITALISED.finditer(s.text):
            capital[fold(m.group(1))] += 1
    if not capital:
        return frozenset()
    lower: Counter[str] = Counter()
    for s in sentences:
        for w in re.findall(r"\b[a-zà-ÿ]+\b", s.text):
            if fold(w) in capital:
                lower[fold(w)] += 1
    return frozenset(w for w, n in capital.items() if n > lower[w] and zipf(w) < 3.0)


def _looks_adjective(word: str) -> bool:
    """An inflected adjective or participle (``gespecialiseerde``, ``zorgelijker``)."""
    if _ADJECTIVE.search(word):
        return True
    if word.startswith("ge") and word.endswith(("de", "te", "en")):
        return True
    return word.endswith("en") and _lemma_folded(word) == word  # an infinitive: "dwingen"


def _specificity(phrase: tuple[str, ...]) -> float:
    """How rare a phrase is in Dutch: 7 minus the mean Zipf frequency of its words."""
    z = [zipf(w) for w in phrase]
    return max(0.0, 7.0 - sum(z) / len(z))


def extract_topics(sentences: Sequence[TopicSentence], subject: str | None = None) -> LetterTopics:
    """The topics of one letter, heaviest first (at most :data:`MAX_LETTER_TOPICS`)."""
    n = max(1, len(sentences))
    prepared = [SentenceTerms.of(s.text) for s in sentences]
    subject_terms = SentenceTerms.of(subject) if subject else None
    found: dict[str, Topic] = {}

    # 1. the genre's themes the letter mentions
    for theme in THEMES:
        hits = sum(1 for st in prepared if mentions(st, theme.terms))
        in_subject = bool(subject_terms and mentions(subject_terms, theme.terms))
        if hits >= 2 or (hits and in_subject):
            weight = hits / n + (0.5 if in_subject else 0.0)
            found[theme.slug] = Topic(theme.slug, theme.name, weight, theme.terms, "theme")

    # 2. section headings
    sizes = Counter(s.section for s in sentences)
    headings: dict[int, str] = {}
    for s in sentences:
        if s.heading and s.section not in headings:
            headings[s.section] = s.heading
    for section, heading in headings.items():
        theme = _theme_of(heading)
        if theme is not None:
            weight = sizes[section] / n + 0.25
            old = found.get(theme.slug)
            found[theme.slug] = Topic(
                theme.slug,
                theme.name,
                max(weight, old.weight if old else 0.0) + 0.1,
                theme.terms,
                "theme",
            )
            continue
        name = _clean_heading(heading)
        if name is None:
            continue
        slug = slugify(name)
        if slug and slug not in found:
            found[slug] = Topic(slug, name, sizes[section] / n + 0.25, (name,), "heading")

    # 3. key phrases: recur in the letter, rare in Dutch, not already a theme
    df: Counter[tuple[str, ...]] = Counter()
    surface: dict[tuple[str, ...], Counter[str]] = {}
    names = _proper_names(sentences)
    for s in sentences:
        for phrase in _candidate_phrases(s.text, names):
            df[phrase] += 1
        toks = words(s.text)
        for i in range(len(toks)):
            for size in (1, 2):
                if i + size <= len(toks):
                    key = tuple(_lemma_folded(w) for w in toks[i : i + size])
                    surface.setdefault(key, Counter())[" ".join(toks[i : i + size])] += 1
    scored = []
    for phrase, count in df.items():
        if count < (2 if len(phrase) == 2 else 3):
            continue
        if all(w in _THEME_WORDS for w in phrase):
            continue
        if _ADJECTIVE.search(phrase[-1]) or (len(phrase) == 1 and _looks_adjective(phrase[0])):
            continue
        spec = _specificity(phrase)
        if spec < 3.2:
            continue
        text = " ".join(phrase)
        if _theme_of(text) is not None:
            continue
        score = math.log1p(count) * spec * (1.3 if len(phrase) == 2 else 1.0)
        scored.append((score, phrase))
    scored.sort(reverse=True)
    phrase_topics: list[Topic] = []
    for score, phrase in scored:
        name = surface.get(phrase, Counter({" ".join(phrase): 1})).most_common(1)[0][0]
        slug = slugify(name)
        if not slug or slug in found:
            continue
        # a single word inside an already chosen two-word phrase adds nothing
        if any(set(phrase) <= set(t.terms[0].split()) for t in phrase_topics):
            continue
        phrase_topics.append(
            Topic(slug, name, score / (10.0 * n) + df[phrase] / n, (name,), "phrase")
        )
        if len(phrase_topics) >= 3:
            break
    for t in phrase_topics:
        found.setdefault(t.slug, t)

    topics = sorted(found.values(), key=lambda t: (-t.weight, t.slug))
    return LetterTopics(topics[:MAX_LETTER_TOPICS])


def sentence_topics(
    sentences: Sequence[TopicSentence],
    letter: LetterTopics,
    numbers: Iterable[int],
) -> dict[int, list[str]]:
    """Topic slugs for each sentence in ``numbers``, most specific first.

    A sentence gets the letter's topics (and any theme of the genre) it mentions, ordered from
    the rarest in the letter to the most common; then its section heading's topic; when it
    mentions none, the topics of the two sentences before it in its section; and at last the
    letter's main topic. At most :data:`MAX_TOPICS_PER_SENTENCE`.
    """
    by_number = {s.number: s for s in sentences}
    prepared = {s.number: SentenceTerms.of(s.text) for s in sentences}
    candidates: dict[str, tuple[str, tuple[str, ...]]] = {
        t.slug: (t.name, t.terms) for t in letter.topics
    }
    for theme in THEMES:
        candidates.setdefault(theme.slug, (theme.name, theme.terms))
    frequency = {
        slug: sum(1 for st in prepared.values() if mentions(st, terms))
        for slug, (_, terms) in candidates.items()
    }
    heading_topic: dict[int, str] = {}
    for s in sentences:
        if s.heading and s.section not in heading_topic:
            theme = _theme_of(s.heading)
            name = theme.name if theme else _clean_heading(s.heading)
            if name and slugify(name) in candidates:
                heading_topic[s.section] = slugify(name)

    def direct(number: int) -> list[str]:
        st = prepared[number]
        hits = [slug for slug, (_, terms) in candidates.items() if mentions(st, terms)]
        return sorted(hits, key=lambda slug: (frequency.get(slug, 0), slug))

    main = letter.topics[0].slug if letter.topics else None
    out: dict[int, list[str]] = {}
    for number in numbers:
        s = by_number.get(number)
        if s is None:
            continue
        slugs = direct(number)
        section_slug = heading_topic.get(s.section)
        if section_slug and section_slug not in slugs[:MAX_TOPICS_PER_SENTENCE]:
            slugs = [x for x in slugs if x != section_slug][: MAX_TOPICS_PER_SENTENCE - 1]
            slugs.append(section_slug)
        if not slugs:
            for prev in (number - 1, number - 2):
                p = by_number.get(prev)
                if p is not None and p.section == s.section:
                    slugs.extend(x for x in direct(prev) if x not in slugs)
        if not slugs and main:
            slugs = [main]
        out[number] = slugs[:MAX_TOPICS_PER_SENTENCE]
    return out


# --------------------------------------------------------------------------- a user's topic


@dataclass(frozen=True, slots=True)
class TopicRef:
    slug: str
    name: str


_THEME_BY_SLUG = {t.slug: t for t in THEMES}


def synonyms_of(slug: str) -> tuple[str, ...]:
    theme = _THEME_BY_SLUG.get(slug)
    return (*theme.terms, *theme.synonyms) if theme else ()


def _keys(ref: TopicRef) -> tuple[str, ...]:
    """Every folded form under which a topic may be typed."""
    return topic_keys(ref.slug, ref.name)


@lru_cache(maxsize=32_768)
def topic_keys(slug: str, name: str) -> tuple[str, ...]:
    """``_keys`` of one topic, remembered: lemmatising costs about a millisecond a topic, and
    every topic lookup compares against all of them."""
    forms = [slug.replace("-", " "), fold(name), lemma_key(name)]
    forms.extend(fold(s) for s in synonyms_of(slug))
    forms.extend(lemma_key(s) for s in synonyms_of(slug))
    return tuple(f for f in dict.fromkeys(forms) if f)


def clean_query(query: str) -> str:
    """A user's topic as folded words; '' when nothing is left (only punctuation, emoji)."""
    return fold(query[:200])


def resolve_topic(query: str, topics: Sequence[TopicRef], *, cutoff: float = 82.0) -> str | None:
    """The slug of the topic ``query`` means among ``topics``, or None.

    Tried in order: slug or folded name; a synonym; the lemmas (``kinderen`` = ``kind``); a
    word prefix (``kinderporno`` -> ``kinderpornografie``); a word of a multi-word query that
    names a topic by itself; then fuzzy (rapidfuzz ``ratio`` with an explicit ``processor``
    and ``score_cutoff``).
    """
    q = clean_query(query)
    if not q or not topics:
        return None
    q_slug = slugify(q)
    q_lemma = lemma_key(q)
    keyed = [(ref, _keys(ref)) for ref in topics]
    for ref, _ in keyed:
        if ref.slug == q_slug or fold(ref.name) == q:
            return ref.slug
    for ref, keys in keyed:
        if q in keys or q_lemma in keys:
            return ref.slug
    if len(q) >= 4:
        prefixed = [
            ref
            for ref, keys in keyed
            if any(k.startswith(q) or (len(k) >= 5 and q.startswith(k)) for k in keys)
        ]
        if prefixed:
            return min(prefixed, key=lambda r: (len(r.name), r.slug)).slug
    q_words = [w for w in q.split() if w not in _STOP and len(w) >= 3]
    if len(q_words) > 1:
        votes: Counter[str] = Counter()
        for w in q_words:
            for ref, keys in keyed:
                if any(
                    _contains_phrase(k, w) or _contains_phrase(k, _lemma_folded(w)) for k in keys
                ):
                    votes[ref.slug] += 1
        if votes:
            best = max(votes.values())
            winners = sorted(s for s, v in votes.items() if v == best)
            if best == len(q_words) or len(winners) == 1:
                return winners[0]
    if len(q) < 4:
        return None
    from rapidfuzz import fuzz, process

    choices: dict[str, str] = {}
    for ref, keys in keyed:
        for k in keys:
            choices.setdefault(k, ref.slug)
    # plain edit-distance ratio: a typo matches, a short query inside a long name does not
    hit = process.extractOne(
        q, list(choices), scorer=fuzz.ratio, processor=fold, score_cutoff=cutoff
    )
    return choices[hit[0]] if hit else None


def close_topics(query: str, topics: Sequence[TopicRef], limit: int = 5) -> list[TopicRef]:
    """Topics that look like ``query``, for a "did you mean" message."""
    from rapidfuzz import fuzz, process

    q = clean_query(query)
    if not topics:
        return []
    if not q:
        return list(topics[:limit])
    names = {ref.slug: fold(ref.name) for ref in topics}
    hits = process.extract(
        q, names, scorer=fuzz.WRatio, processor=fold, score_cutoff=40, limit=limit
    )
    by_slug = {ref.slug: ref for ref in topics}
    return [by_slug[slug] for _, _, slug in hits]
