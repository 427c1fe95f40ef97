"""The recommendation classifier: handmade sentences, clean and damaged, and the bundled letter."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.parse import parse_letter
from bot.core.recommend import KINDS, classify, is_closing_formula
from bot.core.text import damage

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"

# Invented sentences in the genre's language: (sentence, kind).
POSITIVES = [
    ("Ik verzoek u de financiering van de opvang voor drie jaar te garanderen.", "request"),
    ("Ik doe een dringend beroep op de gemeenten om de wachtlijsten weg te werken.", "request"),
    ("Daarom roep ik alle partijen op de handen ineen te slaan.", "request"),
    ("Graag vraag ik uw aandacht voor de positie van minderjarige getuigen.", "request"),
    ("Ik hoop dat de Kamer dit voorstel zal steunen.", "request"),
    ("Ik beveel de staatssecretaris aan een landelijk register in te richten.", "advice"),
    ("Daarom adviseer ik u de termijn te verlengen.", "advice"),
    ("Het verdient aanbeveling om de evaluatie openbaar te maken.", "advice"),
    ("Ik stel voor de toezichthouder meer bevoegdheden te geven.", "advice"),
    ("Ik raad u aan de termijnen in de wet vast te leggen.", "advice"),
    ("Het toezicht zou onafhankelijk moeten worden ingericht.", "advice"),
    ("Ik pleit voor een meldplicht voor scholen.", "plea"),
    ("Ik pleit er dan ook voor dat gemeenten samenwerken.", "plea"),
    ("Ik maak mij ernstig zorgen over de continuïteit van de begeleiding.", "concern"),
    ("De lange wachttijden in de jeugdhulp zijn zorgelijk.", "concern"),
    ("Dit betreur ik ten zeerste.", "concern"),
    ("Er bestaat een reëel risico dat slachtoffers buiten beeld blijven.", "concern"),
    ("Er moet meer capaciteit komen voor de opsporing van uitbuiting.", "requirement"),
    ("Het is van groot belang dat professionals signalen herkennen.", "requirement"),
    ("De registratie dient landelijk uniform te worden ingericht.", "requirement"),
    ("Voor een goede aanpak is samenwerking tussen gemeenten nodig.", "requirement"),
    ("Dit onderwerp hoort in het coalitieakkoord thuis.", "requirement"),
    ("De aanpak van online misbruik verdient daarom aandacht.", "requirement"),
]

NEGATIVES = [
    "De Tweede Kamer heeft opgeroepen tot behoud van capaciteit voor de opsporing.",
    "Het Kenniscentrum adviseert om een nieuwe methode te gebruiken.",
    "In 2015 is het aantal meldingen gestegen.",
    "De minister heeft in maart een actieplan gepresenteerd.",
    "Ik dank u voor de gelegenheid om te reageren.",
    "Vanzelfsprekend ben ik graag bereid tot een nadere toelichting van het bovenstaande.",
    "Ik wens u veel succes in het komende informatieproces.",
    "Ik kijk uit naar uw reactie en ben altijd bereid een toelichting te geven.",
    "Een afschrift van deze brief zend ik aan de voorzitter van de Tweede Kamer.",
    "De gemeenten kondigden maatregelen aan die moeten leiden tot betere hulp.",
    "Volgens de nota van toelichting moet de melding binnen vijf dagen volgen.",
    "Hieronder licht ik mijn standpunt toe.",
]


@pytest.mark.parametrize(("sentence", "kind"), POSITIVES)
def test_finds_each_kind(sentence: str, kind: str) -> None:
    cue = classify(sentence)
    assert cue is not None, sentence
    assert cue.kind == kind
    assert cue.cue  # the marking phrase is reported


@pytest.mark.parametrize("sentence", NEGATIVES)
def test_facts_history_others_and_closings_are_not_recommendations(sentence: str) -> None:
    assert classify(sentence) is None


@pytest.mark.parametrize(("sentence", "kind"), POSITIVES)
def test_damaged_form_reads_alike(sentence: str, kind: str) -> None:
    cue = classify(damage(sentence))
    assert cue is not None and cue.kind == kind


@pytest.mark.parametrize("sentence", NEGATIVES)
def test_damaged_negatives_stay_negative(sentence: str) -> None:
    assert classify(damage(sentence)) is None


def test_kinds_are_the_schema_kinds() -> None:
    assert set(KINDS) == {"request", "plea", "advice", "requirement", "concern"}


def test_doubt_is_a_concern_not_advice() -> None:
    cue = classify("Ik vraag me af of dit wenselijk is.")
    assert cue is not None and cue.kind == "concern"


def test_a_performative_plea_beats_a_hedged_modal() -> None:
    cue = classify("Ik zou er dan ook voor willen pleiten dat de straf omhoog zou moeten gaan.")
    assert cue is not None and cue.kind == "plea"


def test_closing_formulas() -> None:
    assert is_closing_formula("Vanzelfsprekend ben ik graag bereid tot een nadere toelichting.")
    assert is_closing_formula("ik wens u veel succes in het komende informatieproces.")
    assert not is_closing_formula("Ik verzoek u de termijn te verlengen.")


@pytest.mark.parametrize(
    "text", ["", "   ", "!!!", "🙂🙂🙂", '"', "*", "NEAR(", "OR", "-", "moet", "x" * 10_000]
)
def test_bad_input_is_none(text: str) -> None:
    assert classify(text) is None


def test_long_input_is_handled() -> None:
    text = "Ik verzoek u " + "de financiering te garanderen en " * 400 + "dat te doen."
    cue = classify(text)
    assert cue is not None and cue.kind == "request"


def test_bundled_page_break_request_is_one_whole_sentence() -> None:
    path = next(BUNDLED.glob("*.txt"))
    letter = parse_letter(path.read_text(encoding="utf-8"))
    found = [s for s in letter.sentences if "beroep op u" in s.text]
    assert len(found) == 1
    sentence = found[0]
    assert "regeerakkoord" in sentence.text
    assert "coördinatie" in sentence.text
    assert sentence.text.rstrip().endswith("het geval is.")
    cue = classify(sentence.text)
    assert cue is not None and cue.kind == "request"


def test_bundled_letter_closing_is_not_a_recommendation() -> None:
    path = next(BUNDLED.glob("*.txt"))
    letter = parse_letter(path.read_text(encoding="utf-8"))
    closing = [s for s in letter.sentences if "veel succes" in s.text]
    assert closing and all(classify(s.text) is None for s in closing)
    kinds = [classify(s.text) for s in letter.sentences]
    assert sum(k is not None for k in kinds) >= 10
