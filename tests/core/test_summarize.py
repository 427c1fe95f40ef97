"""Extractive summaries: letter order, lengths, no boilerplate, damage-aware priors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.parse import parse_letter
from bot.core.summarize import (
    METHODS,
    SummarySentence,
    choose,
    has_deleted_numbers,
    is_boilerplate,
    length_of,
    prior,
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
