"""Routing, fusion, relevance and answer composition (bot.core.ask)."""

from __future__ import annotations

import pytest

from bot.core import ask as core


@pytest.mark.parametrize(
    ("question", "arg"),
    [
        ("Geef een samenvatting van de brief over de Jeugdwet", "Jeugdwet"),
        ("Vat de brief aan Schippers samen", "Schippers"),
        ("Kun je de brief samenvatten?", None),
        ("Summarize the letter about youth care", "youth care"),
        ("Give me a summary", None),
        ("Summarize the letter", None),
        ("Geef een samenvatting van de brief", None),
        ("Can you sum up the letter on child protection?", "child protection"),
    ],
)
def test_summary_route(question: str, arg: str | None) -> None:
    assert core.route(question) == core.Routing("summary", arg)


@pytest.mark.parametrize(
    ("question", "arg"),
    [
        ("Welke aanbevelingen doet de rapporteur over mensenhandel?", "mensenhandel"),
        ("Wat beveelt de rapporteur aan over jeugdzorg?", "jeugdzorg"),
        ("Wat beveelt de rapporteur aan?", None),
        ("aanbevelingen kinderpornografie", "kinderpornografie"),
        ("What does the rapporteur recommend about child pornography?", "child pornography"),
        ("Which recommendations are there on human trafficking?", "human trafficking"),
        ("Wat adviseert de rapporteur over de meldcode?", "meldcode"),
    ],
)
def test_recommendations_route(question: str, arg: str | None) -> None:
    assert core.route(question) == core.Routing("recommendations", arg)


@pytest.mark.parametrize(
    ("question", "arg"),
    [
        ("Waar staat 'de aanpak hoort niet op de reservebank'?",
         "de aanpak hoort niet op de reservebank"),
        ("In welke brief staat “geen recht meer op vergoeding”?", "geen recht meer op vergoeding"),
        ("Where does it say that victims are found only when someone looks?",
         "victims are found only when someone looks"),
        ("Geef een citaat over preventie", "preventie"),
        ('"ieder kind heeft recht op bescherming"', "ieder kind heeft recht op bescherming"),
        ("Find the quote „prioriteit en capaciteit”", "prioriteit en capaciteit"),
    ],
)  # fmt: skip
def test_quote_route(question: str, arg: str) -> None:
    assert core.route(question) == core.Routing("quote", arg)


@pytest.mark.parametrize(
    "question",
    [
        "Wat zegt de rapporteur over het regeerakkoord?",
        "Why has the number of reported victims dropped?",
        "Hoeveel kinderen kregen behandeling in de GGZ?",
        "",
        "   ",
        "?!",
        '"',
        "NEAR(",
        "x" * 10_000,
    ],
)
def test_plain_questions_are_not_routed(question: str) -> None:
    assert core.route(question).route is None


def test_problem_explains_bad_questions() -> None:
    assert core.problem("") and core.problem("   \n")
    assert "1000" in (core.problem("woord " * 2000) or "")
    for wordless in ("?!?!", "😀😀😀", '"', "*", "-", "…"):
        assert core.problem(wordless), wordless
    assert core.problem("Wat staat er over het regeerakkoord?") is None
    assert core.problem("NEAR( OR") is None  # words: searched, and simply not found


def test_search_text_drops_question_framing() -> None:
    # who is asked about is left in: the service drops it when it names a letter
    assert core.search_text("Wat zegt de rapporteur over het regeerakkoord?") == (
        "de rapporteur over het regeerakkoord"
    )
    assert "coalition" in core.search_text("What does the letter say about the coalition?")
    assert "what" not in core.search_text("What does the letter say about the coalition?")


def test_fuse_rewards_agreement() -> None:
    bm25 = [(1, 10, 9.0, 1.0), (2, 10, 5.0, 0.5), (3, 10, 1.0, 0.2)]
    dense = [(3, 10, 0.6), (2, 10, 0.5), (4, 11, 0.4)]
    fused = core.fuse(bm25, dense)
    assert {c.sentence_id for c in fused[:2]} == {2, 3}  # found by both
    c2 = next(c for c in fused if c.sentence_id == 2)
    assert c2.bm25_rank == 1 and c2.dense_rank == 1 and c2.cosine == 0.5 and c2.coverage == 0.5
    assert {c.sentence_id for c in fused} == {1, 2, 3, 4}
    assert core.fuse([], []) == []


def test_keyword_queries() -> None:
    assert core.is_keyword_query("daling gemelde slachtoffers")
    assert core.is_keyword_query("webcrawler")
    assert not core.is_keyword_query("Waarom daalt het aantal slachtoffers?")
    assert not core.is_keyword_query("een twee drie vier vijf")
    assert not core.is_keyword_query("?!")


def test_relevance_is_calibrated() -> None:
    assert core.relevance(None, 0.0) == 0.0
    assert core.relevance(0.1, 0.0) == 0.0
    assert core.relevance(0.7, 0.0) == 1.0
    assert core.relevance(None, 1.0) == 1.0
    low = core.relevance(core.COS_LOW + 0.01, 0.0)
    assert 0 < low < core.FOUND_AT
    both = core.relevance(0.35, 0.6)
    assert both > max(core.relevance(0.35, 0.0), core.relevance(None, 0.6))
    assert 0.0 <= core.relevance(2.0, 2.0) <= 1.0


def test_expansion_weight() -> None:
    assert core.expansion_weight(0.3) == 0.0
    assert 0 < core.expansion_weight(0.57) < 1
    assert core.expansion_weight(0.95) == 1.0


def cited(n: int, letter: int, sentence: int) -> core.Cited:
    return core.Cited(f"Zin {n}.", letter, f"Brief {letter}", 2, sentence, 0.5)


def test_compose_groups_by_letter_in_reading_order() -> None:
    text = core.compose(
        "Wat zegt de brief?", [cited(1, 7, 30), cited(2, 8, 4), cited(3, 7, 12)], found=True
    )
    lines = text.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Volgens “Brief 7”: Zin 3. [3, p. 2] Zin 1. [1, p. 2]")
    assert lines[1] == "Volgens “Brief 8”: Zin 2. [2, p. 2]"


def test_compose_says_when_nothing_was_found() -> None:
    assert "geen passage" in core.compose("Wat is het recept voor appeltaart?", [], found=False)
    assert "no passage" in core.compose("What is the capital of Australia?", [], found=False)
    english = core.compose("What does the letter say?", [cited(1, 7, 3)], found=True)
    assert english.startswith("According to “Brief 7”")


def test_language() -> None:
    assert core.language("What does the letter say about victims?") == "en"
    assert core.language("Wat zegt de brief over slachtoffers?") == "nl"
    assert core.language("") == "nl"
