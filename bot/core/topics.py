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

from bot.core.errors import NotFound
from bot.core.lexicon import lemma, looks_like_verb_form, zipf
from bot.core.text import fold, prefiltered, words
from bot.core.vocabulary import INSTITUTION_NOUNS, MONTHS, STOPWORDS

TOPICS_VERSION = "2"
MAX_LETTER_TOPICS = 12
MAX_TOPICS_PER_SENTENCE = 3
MAX_PHRASE_TOPICS = 4
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
    r"technische opmerkingen|opmerkingen|tenslotte|ten slotte|bijlagen?|algemeen|"
    r"algemene opmerkingen|bevindingen|oordeel|ons oordeel|het oordeel|knelpunten|"
    r"maatregelen|het beeld|beeld|context|analyse|toelichting|voorstellen|advies|"
    r"ons advies|het advies|adviezen|reactie|vervolg|vervolgstappen|stand van zaken|"
    r"voortgang|uitwerking|afsluiting|kernboodschap|resultaten|uitkomsten|cijfers|"
    r"(?:vraag|vragen|antwoord|antwoorden)\b.*|(?:hoofdstuk|artikel|paragraaf|bijlage)\b.*|"
    r"(?:wat|hoe|waarom|welke) .*|.*\b(?:directoraat|directie|dienst|afdeling)\b.*|.*\d.*)$"
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
    regeling richtlijn wetsartikel vergaderjaar aanhangsel handelingen kamerstukken notitie
    beleidsnotitie samenvatting aanleiding directoraat directie generaal postbus
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
    # prefiltered: a sentence without any term's letters costs a few substring tests
    return prefiltered("|".join(parts)) if parts else None  # type: ignore[return-value]


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


# Heads of the compound names of bodies ("adviescollege", "branchevereniging", "kenniscentrum");
# not "organisaties" or "gemeenten", which head compounds that are subjects
# ("vrijwilligersorganisaties", "centrumgemeenten").
_NAME_HEADS = (
    "raad", "college", "vereniging", "centrum", "inspectie", "commissie", "stichting",
    "federatie", "autoriteit", "platform", "ombudsman", "bureau",
)  # fmt: skip


def _institution(word: str) -> bool:
    """A word that names an organisation (``raad``, ``branchevereniging``, ``kenniscentrum``):
    who speaks, never what about."""
    w = fold(word)
    return w in INSTITUTION_NOUNS or any(w.endswith(n) for n in _NAME_HEADS)


def _clean_heading(heading: str) -> str | None:
    h = " ".join(words(heading))
    if not h or _GENERIC_HEADINGS.match(fold(h)) or len(h) < 4:
        return None
    if _institution(h.split()[0]):
        return None  # "Inspectie Jeugd en Zorg": a signature block or letterhead, not a subject
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
    ok = [_content_word(w) and fold(w) not in names for w in toks]
    lem = [_lemma_folded(w) for w in toks]
    for i in range(len(toks)):
        if ok[i] and lem[i] not in _GENRE_WORDS:
            out.add((lem[i],))
            if i + 1 < len(toks) and ok[i + 1] and lem[i + 1] not in _GENRE_WORDS:
                out.add((lem[i], lem[i + 1]))
    return out


@lru_cache(maxsize=65536)
def _content_word(w: str) -> bool:
    """What :func:`_candidate_phrases` asks of a word, besides not being a name (per word,
    remembered: letters repeat their words)."""
    return (
        len(w) >= 4
        and w.isalpha()
        and fold(w) not in _STOP
        and fold(w) not in _GENRE_WORDS
        and not looks_like_verb_form(w)
        and not _inflected_adjective(w)
        and not _institution(w)
    )


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


def extract_topics(
    sentences: Sequence[TopicSentence],
    subject: str | None = None,
    *,
    exclude: Iterable[str] = (),
) -> LetterTopics:
    """The topics of one letter, heaviest first (at most :data:`MAX_LETTER_TOPICS`).

    ``exclude``: folded words that name the letter's author (its name, abbreviation), never a
    topic of it."""
    excluded = frozenset(w for name in exclude for w in fold(name).split())
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
    names = _proper_names(sentences) | excluded
    subject_lemmas = {_lemma_folded(w) for w in words(subject or "")}
    for s in sentences:
        for phrase in _candidate_phrases(s.text, names):
            df[phrase] += 1
        toks = words(s.text)
        lems = [_lemma_folded(w) for w in toks]
        for i in range(len(toks)):
            for size in (1, 2):
                if i + size <= len(toks):
                    key = tuple(lems[i : i + size])
                    counts = surface.get(key)
                    if counts is None:
                        counts = surface[key] = Counter()
                    counts[" ".join(toks[i : i + size])] += 1
    scored = []
    for phrase, count in df.items():
        in_subject = set(phrase) <= subject_lemmas
        if count < (2 if len(phrase) == 2 or in_subject else 3):
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
        scored.append((score * (1.5 if in_subject else 1.0), phrase))
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
        if len(phrase_topics) >= MAX_PHRASE_TOPICS:
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


class TopicNotFound(NotFound):
    """A topic the letters in scope do not have.

    ``query`` is what the user typed; ``suggestions`` the topics that come close (``close`` is
    True), or else the main topics there are (``close`` False); ``mentions`` how many sentences
    of the letters hold its words all the same (0 when none: the letters say nothing about it),
    so an adapter can say "the letters mention it in 4 sentences but recommend nothing on it".
    ``str()`` is a one-line English message; adapters may render their own from the fields.
    """

    def __init__(
        self,
        query: str,
        suggestions: Sequence[TopicRef] = (),
        *,
        close: bool = True,
        mentions: int = 0,
    ) -> None:
        self.query = query[:60]
        self.suggestions = list(suggestions)
        self.close = close
        self.mentions = mentions
        shown = ", ".join(f"{r.name} ({r.slug})" for r in self.suggestions)
        key = "no_topic_none" if not shown else ("no_topic" if close else "no_topic_main")
        super().__init__(key, self.message(), topic=repr(self.query), close=shown)

    def message(self) -> str:
        text = f"no topic {self.query!r}"
        if self.mentions:
            n = self.mentions
            text += (
                f"; the letters mention it in {n} sentence{'s' if n != 1 else ''} "
                "but make no recommendation about it"
            )
        if self.suggestions:
            shown = ", ".join(f"{r.name} ({r.slug})" for r in self.suggestions)
            lead = "topics that come close" if self.close else "the letters' main topics"
            text += f"; {lead}: {shown}"
        return text


_THEME_BY_SLUG = {t.slug: t for t in THEMES}

# What users type in English, in Dutch: a glossary of the field (phrases before words), so
# that "victims" finds what "slachtoffers" finds. Not the words of any one letter.
ENGLISH: dict[str, str] = {
    "human trafficking": "mensenhandel",
    "trafficking": "mensenhandel",
    "labour exploitation": "arbeidsuitbuiting",
    "labor exploitation": "arbeidsuitbuiting",
    "sexual exploitation": "seksuele uitbuiting",
    "criminal exploitation": "criminele uitbuiting",
    "exploitation": "uitbuiting",
    "child sexual abuse material": "kinderpornografie",
    "child pornography": "kinderpornografie",
    "child sex tourism": "kindersekstoerisme",
    "sexual violence against children": "seksueel geweld tegen kinderen",
    "sexual violence": "seksueel geweld",
    "sexual abuse": "seksueel misbruik",
    "online abuse": "online misbruik",
    "child abuse": "kindermishandeling",
    "domestic violence": "huiselijk geweld",
    "violence": "geweld",
    "abuse": "misbruik",
    "victim support": "slachtofferhulp",
    "victims": "slachtoffers",
    "victim": "slachtoffer",
    "perpetrators": "daders",
    "perpetrator": "dader",
    "children": "kinderen",
    "child": "kind",
    "minors": "minderjarigen",
    "young people": "jongeren",
    "youth care": "jeugdzorg",
    "youth": "jongeren",
    "child protection": "jeugdbescherming",
    "parents": "ouders",
    "police": "politie",
    "investigation": "opsporing",
    "prosecution": "vervolging",
    "criminal law": "strafrecht",
    "prevention": "preventie",
    "prostitution": "prostitutie",
    "sex work": "sekswerk",
    "sex workers": "sekswerkers",
    "shelter": "opvang",
    "care": "zorg",
    "mental health care": "ggz",
    "registration": "registratie",
    "statistics": "cijfers",
    "figures": "cijfers",
    "data": "cijfers",
    "monitoring": "monitoring",
    "funding": "financiering",
    "budget": "budget",
    "coordination": "coördinatie",
    "coalition agreement": "regeerakkoord",
    "government agreement": "regeerakkoord",
    "migration": "migratie",
    "migrants": "migranten",
    "asylum seekers": "asielzoekers",
    "asylum": "asiel",
    "refugees": "vluchtelingen",
    "people smuggling": "mensensmokkel",
    "human smuggling": "mensensmokkel",
    "smuggling": "mensensmokkel",
    "housing": "huisvesting",
    "homelessness": "dakloosheid",
    "homeless": "dakloos",
    "education": "onderwijs",
    "schools": "scholen",
    "school": "school",
    "teachers": "leraren",
    "municipalities": "gemeenten",
    "municipality": "gemeente",
    "waiting lists": "wachtlijsten",
    "waiting list": "wachtlijst",
    "volunteers": "vrijwilligers",
    "volunteer": "vrijwilliger",
    "capacity": "capaciteit",
    "supervision": "toezicht",
    "bill": "wetsvoorstel",
    "law": "wet",
    "legislation": "wetgeving",
    "evaluation": "evaluatie",
    "research": "onderzoek",
    "employers": "werkgevers",
    "workers": "werknemers",
    "wages": "loon",
    "platforms": "platforms",
    "forced abortion": "gedwongen abortus",
    "abortion": "abortus",
}
_ENGLISH_RX = re.compile(
    r"\b(?:" + "|".join(re.escape(k) for k in sorted(ENGLISH, key=len, reverse=True)) + r")\b"
)


def synonyms_of(slug: str) -> tuple[str, ...]:
    theme = _THEME_BY_SLUG.get(slug)
    return (*theme.terms, *theme.synonyms) if theme else ()


def _names_of(slug: str) -> tuple[str, ...]:
    """What names a topic (never its marking terms): slug, name, the theme's synonyms."""
    theme = _THEME_BY_SLUG.get(slug)
    return theme.synonyms if theme else ()


def _keys(ref: TopicRef) -> tuple[str, ...]:
    """Every folded form under which a topic may be typed."""
    return topic_keys(ref.slug, ref.name)


@lru_cache(maxsize=32_768)
def topic_keys(slug: str, name: str) -> tuple[str, ...]:
    """Every folded form under which a topic may be typed (its name, slug, synonyms and marking
    terms, and their lemmas), remembered: lemmatising costs about a millisecond a topic, and
    every topic lookup compares against all of them."""
    forms = [slug.replace("-", " "), fold(name), lemma_key(name)]
    forms.extend(fold(s) for s in synonyms_of(slug))
    forms.extend(lemma_key(s) for s in synonyms_of(slug))
    return tuple(f for f in dict.fromkeys(forms) if f)


@lru_cache(maxsize=32_768)
def name_keys(slug: str, name: str) -> tuple[str, ...]:
    """The keys that name a topic, without its marking terms (for prefixes and typos of a
    whole name: ``kinderporno`` -> ``kinderpornografie``)."""
    forms = [slug.replace("-", " "), fold(name), lemma_key(name)]
    forms.extend(fold(s) for s in _names_of(slug))
    return tuple(f for f in dict.fromkeys(forms) if f)


def clean_query(query: str) -> str:
    """A user's topic as folded words; '' when nothing is left (only punctuation, emoji)."""
    return fold(query[:200])


def in_dutch(query: str) -> str:
    """A folded query with the field's English words put in Dutch: ``victims`` ->
    ``slachtoffers``, ``human trafficking`` -> ``mensenhandel``."""
    q = clean_query(query)
    return _ENGLISH_RX.sub(lambda m: fold(ENGLISH[m.group(0)]), q) if q else q


def query_words(query: str) -> list[str]:
    """The content words of a topic query, in Dutch (stopwords and one-letter words out)."""
    return [w for w in in_dutch(query).split() if w not in _STOP and len(w) >= 2]


def _word_in(key: str, word: str) -> bool:
    return _contains_phrase(key, word) or _contains_phrase(key, _lemma_folded(word))


def _compound(word: str, key: str) -> bool:
    """``key`` is ``word`` plus another Dutch word (``slachtoffer`` + ``zorg``): a compound
    of its own, not the rest of a word being typed (``kinderporno`` + ``grafie``)."""
    rest = key[len(word) :].strip()
    return len(rest) >= 3 and " " not in rest and zipf(rest) >= 2.5


def resolve_topic(query: str, topics: Sequence[TopicRef], *, cutoff: float = 82.0) -> str | None:
    """The slug of the topic ``query`` means among ``topics``, or None.

    Strict, so that a query never lands on a broad topic it only shares a word with:

    1. the query (or its Dutch for English words, or its lemmas: ``kinderen`` = ``kind``,
       ``slachtoffers`` = ``slachtoffer``) is a topic's slug, name, synonym or marking term;
    2. it is the start of a topic's name or synonym (``kinderporno`` -> ``kinderpornografie``,
       ``coörd`` -> ``coördinatie``), or a topic's name is the start of it
       (``prostitutiebeleid`` -> ``prostitutie``);
    3. every content word of a multi-word query is in one topic's names or terms;
    4. a typo of a topic's key (rapidfuzz ``ratio`` >= ``cutoff``, explicit ``processor``)
       of about the same length (``regeerakord``).
    """
    q = clean_query(query)
    if not q or not topics:
        return None
    nl = in_dutch(q)
    forms = list(dict.fromkeys(f for f in (q, nl, lemma_key(q), lemma_key(nl)) if f))
    keyed = [(ref, topic_keys(ref.slug, ref.name), name_keys(ref.slug, ref.name)) for ref in topics]
    for ref, _, _ in keyed:
        if ref.slug in {slugify(f) for f in forms} or fold(ref.name) in forms:
            return ref.slug
    for ref, keys, _ in keyed:
        if any(f in keys for f in forms):
            return ref.slug
    if len(nl) >= 4:
        prefixed = [
            ref
            for ref, _, names in keyed
            if any(
                (k.startswith(f) and (len(f) >= 5 or 2 * len(f) >= len(k)) and not _compound(f, k))
                or (len(k) >= 5 and f.startswith(k) and " " not in f and len(f) - len(k) <= 8)
                for k in names
                for f in forms
            )
        ]
        if prefixed:
            return min(prefixed, key=lambda r: (len(r.name), r.slug)).slug
    words_ = query_words(nl)
    if len(words_) > 1:
        full = sorted(
            ref.slug
            for ref, keys, _ in keyed
            if all(any(_word_in(k, w) for k in keys) for w in words_)
        )
        if len(full) == 1:
            return full[0]
    if len(q) < 4:
        return None
    from rapidfuzz import fuzz, process

    choices: dict[str, str] = {}
    for ref, keys, _ in keyed:
        for k in keys:
            if abs(len(k) - len(nl)) <= max(2, len(nl) // 7):
                choices.setdefault(k, ref.slug)
    # plain edit-distance ratio: a typo matches, a short query inside a long name does not
    hit = process.extractOne(
        nl, list(choices), scorer=fuzz.ratio, processor=fold, score_cutoff=cutoff
    )
    return choices[hit[0]] if hit else None


def close_topics(query: str, topics: Sequence[TopicRef], limit: int = 5) -> list[TopicRef]:
    """Topics that look like ``query`` (a word in common, a similar spelling), for a "did you
    mean" message; [] when none does."""
    from rapidfuzz import fuzz, process

    q = in_dutch(query)
    if not topics or not q:
        return []
    names = {ref.slug: fold(ref.name) for ref in topics}
    hits = process.extract(
        q, names, scorer=fuzz.WRatio, processor=fold, score_cutoff=60, limit=limit
    )
    by_slug = {ref.slug: ref for ref in topics}
    out = [by_slug[slug] for _, _, slug in hits]
    words_ = query_words(q)
    for ref in topics:
        if len(out) >= limit:
            break
        if ref not in out and any(
            any(_word_in(k, w) for k in topic_keys(ref.slug, ref.name)) for w in words_
        ):
            out.append(ref)
    return out


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    import Stemmer

    return Stemmer.Stemmer("dutch_porter").stemWord(word)


def word_stems(query: str) -> tuple[str, ...]:
    """The stems of a topic query's content words, in Dutch (``victims`` -> ``slachtoffer``,
    ``gedwongen abortus`` -> ``gedwong``, ``abortus``): a sentence mentions the query when it
    has a word starting with each (so singular, plural and compounds match alike)."""
    return tuple(dict.fromkeys(_stem(w) for w in query_words(query) if w.isalnum()))


def fts_expression(stems: Sequence[str]) -> str | None:
    """An FTS5 query for sentences holding a word that starts with every stem."""
    safe = [s for s in stems if s.isascii() and s.isalnum()]
    return " AND ".join(f'"{s}"*' for s in safe) if safe else None


def mentions_words(text: str, stems: Sequence[str]) -> bool:
    """Whether a sentence has a word starting with each of ``stems`` (its folded form)."""
    if not stems:
        return False
    f = f" {fold(text)}"
    return all(f" {s}" in f for s in stems)
