"""Topics: slugs, extraction from a letter's own words and headings, and matching user input."""

from __future__ import annotations

import pytest

from bot.core.topics import (
    THEMES,
    TopicNotFound,
    TopicRef,
    TopicSentence,
    close_topics,
    extract_topics,
    fts_expression,
    in_dutch,
    mentions_words,
    resolve_topic,
    sentence_topics,
    slugify,
    word_stems,
)


def refs(*names: str) -> list[TopicRef]:
    return [TopicRef(slugify(n), n) for n in names]


CATALOGUE = refs(
    "mensenhandel",
    "kinderpornografie",
    "online seksueel geweld",
    "coördinatie",
    "regeerakkoord",
    "prostitutie",
    "jeugdzorg",
    "seksueel geweld tegen kinderen",
    "triagering",
)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Coördinatie", "coordinatie"),
        ("Seksueel geweld tegen kinderen", "seksueel-geweld-tegen-kinderen"),
        ("  Beleidsinformatie & registratie! ", "beleidsinformatie-registratie"),
        ("Prostitué(e)s", "prostitue-e-s"),
    ],
)
def test_slugify_is_stable_ascii(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert slugify(name).isascii()
    assert slugify(slugify(name)) == slugify(name)


def test_theme_slugs_are_unique_ascii() -> None:
    slugs = [t.slug for t in THEMES]
    assert len(slugs) == len(set(slugs))
    assert all(s.isascii() and " " not in s for s in slugs)


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("kinderporno", "kinderpornografie"),
        ("Kinderpornografie", "kinderpornografie"),
        ("beeldmateriaal van seksueel misbruik", "kinderpornografie"),
        ("online misbruik", "online-seksueel-geweld"),
        ("webcam", "online-seksueel-geweld"),
        ("coördinatie", "coordinatie"),
        ("COORDINATIE", "coordinatie"),
        ("regie", "coordinatie"),
        ("samenhang", "coordinatie"),
        ("coalitieakkoord", "regeerakkoord"),
        ("regeerakord", "regeerakkoord"),  # a typo: fuzzy
        ("sekswerk", "prostitutie"),
        ("jeugdhulp", "jeugdzorg"),
        ("arbeidsuitbuiting", "mensenhandel"),
        ("Mensenhandel ", "mensenhandel"),
        ("triagering", "triagering"),
        ("seksueel-geweld-tegen-kinderen", "seksueel-geweld-tegen-kinderen"),
    ],
)
def test_resolve_topic(query: str, slug: str) -> None:
    assert resolve_topic(query, CATALOGUE) == slug


@pytest.mark.parametrize(
    "query", ["", "   ", "!!!", "🙂", '"', "*", "NEAR(", "OR", "-", "xyzzy", "x" * 10_000]
)
def test_unknown_or_empty_topics_resolve_to_none(query: str) -> None:
    assert resolve_topic(query, CATALOGUE) is None


def test_only_listed_topics_are_returned() -> None:
    # kinderporno is a synonym of a theme the catalogue does not hold here
    assert resolve_topic("kinderporno", refs("mensenhandel", "jeugdzorg")) is None


def test_close_topics_suggests_lookalikes() -> None:
    close = close_topics("prostitutiebeleid", CATALOGUE)
    assert close and close[0].slug == "prostitutie"
    assert close_topics("x", []) == []


def _letter() -> list[TopicSentence]:
    sentences = [
        (0, None, "Met deze brief informeer ik u over de opvang van slachtoffers van uitbuiting."),
        (0, None, "Mensenhandel blijft een ernstig probleem in de prostitutiesector."),
        (1, "Triagering", "Slachtoffers doorlopen vaak vele trajecten voordat zij hulp krijgen."),
        (1, "Triagering", "Ik pleit voor een landelijke toegangspoort voor deze slachtoffers."),
        (2, "Kinderpornografie", "Steeds meer beelden van misbruik circuleren op internet."),
        (2, "Kinderpornografie", "Ik beveel aan om de kinderporno sneller te laten verwijderen."),
        (2, "Kinderpornografie", "Dit vergt inzet van de politie en van de hostingbedrijven."),
        (3, "Tot slot", "De prostitutiebranche vraagt om een landelijk kader voor mensenhandel."),
        (3, "Tot slot", "Vanzelfsprekend ben ik graag bereid tot een nadere toelichting."),
    ]
    return [
        TopicSentence(i + 1, text, section, heading)
        for i, (section, heading, text) in enumerate(sentences)
    ]


def test_extract_topics_from_themes_and_headings() -> None:
    topics = extract_topics(_letter(), subject="Opvang van slachtoffers van mensenhandel")
    slugs = [t.slug for t in topics.topics]
    assert "mensenhandel" in slugs
    assert "prostitutie" in slugs
    assert "kinderpornografie" in slugs  # a heading that names a theme joins the theme
    assert "triagering" in slugs  # a heading of its own
    assert "tot-slot" not in slugs  # a generic heading is no topic
    assert slugs[0] == "mensenhandel"  # in the subject and in most sentences
    assert all(t.slug == slugify(t.name) for t in topics.topics)


def test_sentence_topics_prefer_specific_and_fall_back_to_heading() -> None:
    sentences = _letter()
    topics = extract_topics(sentences)
    per = sentence_topics(sentences, topics, [4, 6, 7])
    assert "triagering" in per[4]  # says nothing topical itself: its heading
    assert per[6][0] == "kinderpornografie"  # "kinderporno" is the theme's synonym
    assert "kinderpornografie" in per[7]
    assert all(len(v) <= 3 for v in per.values())


def test_extract_topics_of_nothing() -> None:
    assert extract_topics([]).topics == []


# --------------------------------------------------------------------------- strict resolution

THEMED = refs(
    "mensenhandel",
    "hulp aan slachtoffers",
    "online seksueel geweld",
    "seksueel geweld tegen kinderen",
    "preventie",
)


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("trafficking", "mensenhandel"),
        ("human trafficking", "mensenhandel"),
        ("prevention", "preventie"),
        ("online abuse", "online-seksueel-geweld"),
        ("slachtofferhulp", "hulp-aan-slachtoffers"),
    ],
)
def test_english_and_synonyms_resolve(query: str, slug: str) -> None:
    assert resolve_topic(query, THEMED) == slug


@pytest.mark.parametrize(
    "query",
    [
        "gedwongen abortus",  # shares "gedwongen" with a term of mensenhandel only
        "slachtoffers",  # a word of many topics, the name of none
        "slachtoffer",  # not the start of "slachtofferhulp" being typed: a word of its own
        "victims",
        "voetbal",
    ],
)
def test_no_jump_to_a_topic_that_only_shares_a_word(query: str) -> None:
    assert resolve_topic(query, THEMED) is None


def test_words_of_a_query_in_any_form() -> None:
    assert word_stems("slachtoffers") == word_stems("slachtoffer") == word_stems("Victims")
    assert in_dutch("Victims of human trafficking") == "slachtoffers of mensenhandel"
    stems = word_stems("gedwongen abortus")
    assert len(stems) == 2
    assert mentions_words("Ik adviseer u gedwongen abortussen te onderzoeken.", stems)
    assert not mentions_words("Gedwongen prostitutie blijft een probleem.", stems)
    assert fts_expression(stems) == " AND ".join(f'"{s}"*' for s in stems)
    assert fts_expression(()) is None
    assert word_stems("de het een") == ()


def test_topic_not_found_carries_what_an_adapter_needs() -> None:
    missing = TopicNotFound("voetbal", refs("mensenhandel"), close=False, mentions=0)
    assert isinstance(missing, LookupError)
    assert missing.query == "voetbal"
    assert [r.slug for r in missing.suggestions] == ["mensenhandel"]
    assert "main topics" in str(missing)
    mentioned = TopicNotFound("Deetman", [], mentions=3)
    assert "3 sentences" in str(mentioned) and "no recommendation" in str(mentioned)


def test_generic_headings_and_the_authors_name_are_no_topics() -> None:
    rows = [
        (0, None, "De Landelijke Vereniging van Pleeggezinnen reageert op het wetsvoorstel."),
        (1, "Algemeen", "De vereniging steunt het doel van het wetsvoorstel pleegzorg."),
        (1, "Algemeen", "Pleegouders krijgen te weinig steun bij de pleegzorg."),
        (2, "Bevindingen", "De pleegzorgvergoeding is al jaren niet verhoogd."),
        (2, "Bevindingen", "De pleegzorgvergoeding dekt de kosten niet."),
        (3, "Wat wij vragen", "Wij vragen u de pleegzorgvergoeding te verhogen."),
        (4, "Directie Jeugd", "De pleegzorgvergoeding moet omhoog."),
        (5, "Vereniging Pleeggezinnen", "Met vriendelijke groet."),
    ]
    sentences = [TopicSentence(i + 1, t, s, h) for i, (s, h, t) in enumerate(rows)]
    topics = extract_topics(
        sentences,
        "Reactie op het wetsvoorstel pleegzorg",
        exclude=["Landelijke Vereniging van Pleeggezinnen"],
    )
    slugs = {t.slug for t in topics.topics}
    assert not slugs & {"algemeen", "bevindingen", "wat-wij-vragen", "directie-jeugd"}
    assert not any("vereniging" in s or "pleeggezinnen" in s for s in slugs)
    assert any("pleegzorg" in s for s in slugs)
