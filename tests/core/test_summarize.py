"""Extractive summaries: letter order, lengths, no boilerplate, damage-aware priors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.parse import parse_letter
from bot.core.summarize import (
    METHODS,
    SummarySentence,
    choose,
    default_length,
    has_deleted_numbers,
    is_boilerplate,
    length_of,
    prior,
    standalone,
)
from bot.core.text import damage, fold

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"


def bundled() -> list[SummarySentence]:
    letter = parse_letter(next(BUNDLED.glob("*.txt")).read_text(encoding="utf-8"))
    return [
        SummarySentence(s.number, s.text, s.norm, s.section, letter.sections[s.section].heading)
        for s in letter.sentences
    ]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("k", [3, 5, 10])
def test_every_method_gives_k_sentences_in_letter_order(method: str, k: int) -> None:
    sentences = bundled()
    chosen = choose(sentences, k, method=method)  # type: ignore[arg-type]
    assert len(chosen) == k
    assert chosen == sorted(chosen)
    assert len(set(chosen)) == k
    numbers = {s.number for s in sentences}
    assert set(chosen) <= numbers


@pytest.mark.parametrize("k", [3, 5, 10])
def test_default_summary_has_no_boilerplate(k: int) -> None:
    sentences = bundled()
    by_number = {s.number: s for s in sentences}
    for n in choose(sentences, k):
        text = fold(by_number[n].text)
        assert "veel succes" not in text
        assert "afschrift" not in text
        assert not is_boilerplate(by_number[n].text, by_number[n].heading)


def test_default_summary_holds_the_central_request() -> None:
    sentences = bundled()
    texts = {s.number: s.text for s in sentences}
    chosen = [texts[n] for n in choose(sentences, 5)]
    assert any("beroep op u" in t or "pleit ik" in t for t in chosen)


def test_closings_salutations_headings_and_debris_are_never_chosen() -> None:
    texts = [
        "Geachte mevrouw Jansen,",
        "Toezicht",
        "Ik verzoek u de opvang van alleenstaande kinderen voor drie jaar te financieren.",
        "Vanzelfsprekend ben ik graag bereid tot een nadere toelichting van het bovenstaande.",
        "Ik wens u veel succes in het komende informatieproces.",
        "~/•~ ~J/~:/J)~ L...J~.",
        "Het toezicht op de kwaliteit van de opvang van alleenstaande kinderen moet beter.",
    ]
    sentences = [SummarySentence(i + 1, t, fold(t), 0, "Toezicht") for i, t in enumerate(texts)]
    assert choose(sentences, 10) == [3, 7]


def test_identical_sentences_are_not_both_chosen() -> None:
    text = "Ik verzoek u de financiering van de opvang van kinderen te garanderen."
    other = "Daarnaast moet het toezicht op de jeugdhulp in de regio worden versterkt."
    sentences = [
        SummarySentence(1, text, fold(text), 0),
        SummarySentence(2, text, fold(text), 0),
        SummarySentence(3, other, fold(other), 0),
    ]
    assert choose(sentences, 2) in ([1, 3], [2, 3])


def test_deleted_numbers_are_detected_and_weigh_less() -> None:
    damaged = damage(
        "In de periode 2008 tot 2012 steeg het aantal zaken over kinderpornografie met 45%, en "
        "sindsdien neemt deze stijging exponentieel toe."
    )
    assert has_deleted_numbers(damaged)
    assert not has_deleted_numbers("In de periode 2008 tot 2012 steeg het aantal zaken met 45%.")
    assert not has_deleted_numbers("Ieder kind heeft recht op bescherming van zijn integriteit.")
    plain = damage("Sindsdien neemt het aantal zaken over kinderpornografie exponentieel toe.")
    assert prior(SummarySentence(1, damaged, fold(damaged))) < prior(
        SummarySentence(2, plain, fold(plain))
    )


def test_recommendations_weigh_more() -> None:
    ask = "Ik pleit voor een landelijk programma tegen seksueel geweld tegen kinderen."
    fact = "In 2015 verscheen een landelijk programma tegen seksueel geweld tegen kinderen."
    assert prior(SummarySentence(1, ask, fold(ask))) > prior(SummarySentence(2, fact, fold(fact)))


def test_damaged_letter_summary_is_whole_sentences() -> None:
    raw = next(BUNDLED.glob("*.txt")).read_text(encoding="utf-8")
    letter = parse_letter(damage(raw))
    sentences = [SummarySentence(s.number, s.text, s.norm, s.section) for s in letter.sentences]
    chosen = choose(sentences, 5)
    assert len(chosen) == 5
    for n in chosen:
        assert letter.sentences[n - 1].text.endswith(".")


def test_edge_cases() -> None:
    assert choose([], 5) == []
    assert choose(bundled(), 0) == []
    with pytest.raises(ValueError, match="unknown summary method"):
        choose(bundled(), 3, method="magic")  # type: ignore[arg-type]
    only = [SummarySentence(1, "Met vriendelijke groet,", "met vriendelijke groet", 0)]
    assert choose(only, 3) == []


@pytest.mark.parametrize(
    ("value", "n"),
    [
        (3, 3),
        (5, 5),
        (10, 10),
        ("short", 3),
        ("default", 5),
        ("long", 10),
        (" LONG ", 10),
        ("kort", 3),
        ("7", 7),
        (1, 1),
        (20, 20),
    ],
)
def test_length_of(value: int | str, n: int) -> None:
    assert length_of(value) == n


@pytest.mark.parametrize("value", [0, 21, -3, "", "lots", "x" * 10_000, True, "3.5"])
def test_length_of_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        length_of(value)  # type: ignore[arg-type]


def test_default_summary_covers_the_main_requests_and_points() -> None:
    # The bundled letter's three main requests, and at least two of its other main points:
    # the decline in reported victims and police capacity, online abuse, prevention.
    sentences = bundled()
    k = default_length(sentences)
    assert k == 5  # a letter of three pages keeps the default of five
    texts = [fold(s.text) for s in sentences if s.number in choose(sentences, k)]
    for request in ("beroep op u", "vraag ik ook aandacht", "pleit ik voor"):
        assert any(request in t for t in texts), request
    points = [
        ("daling", "politiecapaciteit", "reservebank"),
        ("online",),
        ("preventie", "voorkomen"),
    ]
    assert sum(any(w in t for t in texts for w in words) for words in points) >= 2


def _report(sections: int, per_section: int) -> list[SummarySentence]:
    """A handmade report: sections on different matters, each with findings and a request."""
    subjects = [
        ("wachtlijsten", "jeugdhulp"),
        ("huisvesting", "jongeren"),
        ("registratie", "meldingen"),
        ("opleiding", "professionals"),
        ("toezicht", "instellingen"),
        ("financiering", "opvang"),
        ("preventie", "scholen"),
        ("samenwerking", "gemeenten"),
    ]
    out = []
    n = 0
    for sec in range(sections):
        a, b = subjects[sec % len(subjects)]
        for j in range(per_section):
            n += 1
            if j == per_section - 1:
                text = f"Ik verzoek u de {a} van {b} in het komende jaar te verbeteren."
            elif j == 0:
                text = f"Het aantal klachten over de {a} van {b} is in vijf jaar verdubbeld."
            else:
                text = f"De {a} voor {b} verschilt sterk per regio, bevinding nummer {j} van {sec}."
            out.append(SummarySentence(n, text, fold(text), sec, f"{a} en {b}"))
    return out


def test_each_section_gets_its_point() -> None:
    report = _report(sections=5, per_section=6)
    chosen = choose(report, 5)
    assert len({report[n - 1].section for n in chosen}) == 5


def test_named_lengths_grow_with_the_document() -> None:
    short_letter, long_report = _report(3, 6), _report(8, 30)
    assert length_of("default", short_letter) == 5
    assert length_of("short", short_letter) == 3
    assert length_of("long", short_letter) == 10
    assert 5 < length_of("default", long_report) <= 10
    assert length_of("short", long_report) < length_of("default", long_report)
    assert length_of("long", long_report) == min(20, 2 * length_of("default", long_report))
    assert length_of(5, long_report) == 5  # a number is exact


def test_a_sentence_that_points_back_stands_less_alone() -> None:
    back = "Dit is zorgelijk: de aanpak hoort niet op de reservebank."
    alone = "De aanpak van mensenhandel hoort niet op de reservebank."
    assert standalone(SummarySentence(1, back, fold(back))) < 1.0
    assert standalone(SummarySentence(2, alone, fold(alone))) == 1.0


def test_announcements_and_the_authors_own_task_weigh_less() -> None:
    plain = SummarySentence(1, "Het aantal meldingen van uitbuiting is sterk gestegen.", "")
    for text in (
        "Hierbij bied ik u de antwoorden aan op de vragen van het lid De Wit.",
        "Als toezichthouder is het onze wettelijke taak om de kwaliteit te bewaken.",
    ):
        assert prior(SummarySentence(2, text, "")) < prior(plain) / 2, text


def test_each_headed_part_gets_a_sentence_before_the_opening_gets_two() -> None:
    """A letter with headed parts: its opening introduces them; the summary takes a finding of
    each part rather than a second sentence of the opening."""
    texts = [
        (None, "Wij schrijven u over twee zaken die de gemeenten dit jaar bezighouden."),
        (None, "Beide zaken raken de opvang van kwetsbare jongeren in de regio."),
        ("Wachtlijsten", "De wachtlijst voor jeugdhulp is dit jaar verdubbeld tot 400 kinderen."),
        ("Wachtlijsten", "Wij vragen u de financiering van de jeugdhulp te verhogen."),
        ("Huisvesting", "Het aantal dakloze jongeren is gestegen van 80 naar 130."),
        ("Huisvesting", "Wij verzoeken u extra woonplekken voor jongeren te bekostigen."),
    ]
    headings = {None: 0, "Wachtlijsten": 1, "Huisvesting": 2}
    sentences = [
        SummarySentence(i + 1, t, fold(t), headings[h], h) for i, (h, t) in enumerate(texts)
    ]
    for k in (3, 4):
        chosen = choose(sentences, k)
        parts = [sentences[n - 1].section for n in chosen]
        assert {1, 2} <= set(parts), k  # each headed part
        assert parts.count(0) <= 1, k
