"""The recommendation classifier: handmade sentences, clean and damaged, and the bundled letter."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.parse import parse_letter
from bot.core.recommend import (
    FIRST_PERSON_ONLY,
    KINDS,
    Author,
    author_of,
    classify,
    classify_all,
    first_singular,
    is_closing_formula,
    is_question_heading,
    to_first_person,
)
from bot.core.text import damage

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"

# Invented sentences in the genre's language: (sentence, kind).
POSITIVES = [
    ("Ik verzoek u de financiering van de opvang voor drie jaar te garanderen.", "request"),
    ("Ik doe een dringend beroep op u om de wachtlijsten weg te werken.", "request"),
    # an appeal to others than the addressee is a plea (docs/summaries.md), like "ik roep ... op"
    ("Ik doe een dringend beroep op de gemeenten om de wachtlijsten weg te werken.", "plea"),
    ("Daarom roep ik u op de handen ineen te slaan.", "request"),
    ("Daarom roep ik alle partijen op de handen ineen te slaan.", "plea"),
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


# --------------------------------------------------------------------------- every kind of author

# Invented sentences by authors that write as "wij", in the third person, or in the passive;
# each with the sender its document names. (sender, sentence, kind)
VERENIGING = "Landelijke Vereniging van Pleeggezinnen"
RAAD = "Raad voor Kinderrechten en Gezin"
COLLEGE = "Adviescollege Jeugd en Veiligheid"
AUTHORS = [
    (VERENIGING, "Wij verzoeken u de vergoeding te verhogen.", "request"),
    (VERENIGING, "Graag verzoeken wij u om een gesprek.", "request"),
    (VERENIGING, "Wij adviseren u de regeling te schrappen.", "advice"),
    (VERENIGING, "Daarom bevelen wij aan een loket te openen.", "advice"),
    (VERENIGING, "Wij pleiten voor een landelijk tarief.", "plea"),
    (VERENIGING, "Wij maken ons ernstig zorgen over de wachtlijsten.", "concern"),
    (VERENIGING, "Wij vrezen dat pleegouders afhaken.", "concern"),
    (
        RAAD,
        "Het college adviseert de minister de termijn te verlengen.",
        None,
    ),  # another body than the author
    (RAAD, "De Raad beveelt aan de wet na twee jaar te evalueren.", "advice"),
    (RAAD, "Daarnaast adviseert de Raad een klachtrecht in te voeren.", "advice"),
    (RAAD, "De Raad is bezorgd over de lange wachttijden.", "concern"),
    (RAAD, "De Raad verzoekt u de capaciteit uit te breiden.", "request"),
    (
        RAAD,
        "De Raad van State adviseert het voorstel in te trekken.",
        None,
    ),  # "de Raad van ...": another council
    (RAAD, "In zijn advies van 2019 heeft de Raad al geadviseerd de drempel te verhogen.", None),
    (COLLEGE, "Het college adviseert de minister de termijn te verlengen.", "advice"),
    (COLLEGE, "Het adviescollege vraagt de staatssecretaris om uitstel.", "request"),
    (
        "Nederlandse Vereniging van Zorgbestuurders (NVZB)",
        "De NVZB vraagt de minister de bekostiging te herzien.",
        "request",
    ),
    (
        "Inspectie Onderwijs en Jeugd, Inspectie Zorg en Welzijn",
        "De inspecties vragen u een landelijke norm vast te stellen.",
        "request",
    ),
    ("Gemeente Zuiderhaven", "Het college verzoekt de raad in te stemmen met het plan.", "request"),
    ("Gemeente Zuiderhaven", "Wij vragen uw raad kennis te nemen van deze brief.", "request"),
    (None, "Geadviseerd wordt de termijn te verlengen.", "advice"),
    (None, "Aanbevolen wordt daarnaast dat gemeenten samenwerken.", "advice"),
    (None, "Het verdient aanbeveling een landelijk register in te richten.", "advice"),
    (None, "Er is behoefte aan meer opvangplekken voor jongeren.", "requirement"),
    (None, "U wordt verzocht de stukken voor 1 mei toe te sturen.", "request"),
    (None, "In het wetsvoorstel wordt aanbevolen de termijn te verlengen.", None),  # the bill's
    (None, "Het Kenniscentrum adviseert om een nieuwe methode te gebruiken.", None),
    (None, "Ik verwacht van de platforms dat zij meldingen snel behandelen.", "requirement"),
    (None, "Ik roep ouders op om nooit te betalen.", "plea"),
    (None, "Hulpverleners melden dat jongeren soms drugs moeten vervoeren.", None),
    (None, "Zij vinden de lessen te weinig over online veiligheid gaan.", None),
    (None, "Bent u bereid om te pleiten voor een Europese aanpak?", None),
    (None, "bent u bereid om te pleiten voor een europese aanpak", None),
    (None, "Deelt u de mening dat er meer moet gebeuren?", None),
    (None, "Hoeveel meldingen moeten er nog komen voordat u ingrijpt?", None),
    (None, "Het Rijk werkt aan een wet die een vergunningstelsel moet opleveren.", None),
    (None, "Dit zal de samenwerking tussen de ketenpartners bemoeilijken.", "concern"),
    (None, "Dit is nog geen vanzelfsprekendheid.", "concern"),
    # the expectation's addressee before it, the subject after the verb
    (
        "Inspectie Onderwijs en Jeugd",
        "Van de schoolbesturen verwacht de inspectie dat zij de achterstanden dit jaar inlopen.",
        "requirement",
    ),
    ("Gemeente Zuiderhaven", "Wij gaan ervan uit dat u uw toezegging nakomt.", "requirement"),
    (None, "Ik reken erop dat de sector de afspraken naleeft.", "requirement"),
    (None, "Ik ben er niet gerust op dat deze maatregel volstaat.", "concern"),
    # descriptions, rules and others' worries are not the author's
    (None, "Wij lichten onze verzoeken graag toe in een gesprek.", None),
    (None, "In deze brief leggen wij uit waarom wij dit van u vragen.", None),
    (None, "In de helft van de dossiers had de school zorgen over verwaarlozing.", None),
    (None, "Het werk is zwaarder geworden door personeelstekort en zorgen over geweld.", None),
    (None, "Omdat er weinig plekken zijn, moeten gezinnen soms maanden wachten.", None),
    (None, "Wie geen vergunning heeft, mag niet meer legaal werken.", None),
    (None, "Met ingang van 1 juli moet iedere aanbieder een meldcode hebben.", None),
    (None, "In de wet wordt geregeld dat gemeenten een plan moeten maken.", None),
    (None, "Dat vergt veel tijd van de wijkagenten.", None),
]


@pytest.mark.parametrize(("sender", "sentence", "kind"), AUTHORS)
def test_every_kind_of_author(sender: str | None, sentence: str, kind: str | None) -> None:
    author = author_of(sender, [sentence])
    for form in (sentence, damage(sentence)):
        cue = classify(form, author)
        assert (cue.kind if cue else None) == kind, form


def test_third_person_needs_the_author() -> None:
    # Without knowing who writes, "de Raad beveelt aan" is a report of what a council does.
    assert classify("De Raad beveelt aan de wet te evalueren.") is None
    assert classify("De Raad beveelt aan de wet te evalueren.", FIRST_PERSON_ONLY) is None
    author = Author(nouns=("raad",))
    cue = classify("De Raad beveelt aan de wet te evalueren.", author)
    assert cue is not None and cue.kind == "advice"


def test_author_from_sender_abbreviations_and_the_text() -> None:
    author = author_of(
        "Nederlandse Vereniging van Zorgbestuurders",
        ["De Nederlandse Vereniging van Zorgbestuurders (NVZB) reageert op het voorstel."],
    )
    assert "nvzb" in author.names
    assert "vereniging" in author.nouns
    hierna = author_of(
        "Raad voor Kinderrechten en Gezin",
        ["U heeft de Raad voor Kinderrechten en Gezin (hierna: het college) om advies gevraagd."],
    )
    assert "college" in hierna.nouns
    assert author_of(None, ["Wij danken u voor uw brief."]) == FIRST_PERSON_ONLY


def test_author_from_the_text_alone() -> None:
    # No sender found: a document that never writes "ik" and has "de commissie" advise and
    # ask twice speaks of itself.
    texts = [
        "De commissie heeft de uitvoering onderzocht.",
        "De commissie adviseert de minister de regeling te vereenvoudigen.",
        "Daarnaast vraagt de commissie u om een evaluatie na drie jaar.",
    ]
    author = author_of(None, texts)
    assert "commissie" in author.nouns
    cues = classify_all(texts, author)
    assert [c.kind if c else None for c in cues] == [None, "advice", "request"]
    # ... but not in a letter its author writes as "ik"
    assert author_of(None, [*texts, "Ik deel die conclusie."]) == FIRST_PERSON_ONLY


def test_a_pronoun_after_the_author_is_the_author() -> None:
    author = author_of("Raad voor Kinderrechten en Gezin")
    texts = [
        "De Raad is bezorgd over de wachtlijsten.",
        "Hij verzoekt u de capaciteit op peil te brengen.",
        "Hij werd in 2019 opgericht.",
    ]
    kinds = [c.kind if c else None for c in classify_all(texts, author)]
    assert kinds == ["concern", "request", None]
    # without the sentence that names the author, "hij" is someone else
    assert classify("Hij verzoekt u de capaciteit op peil te brengen.", author) is None


def test_questions_of_an_answers_document_are_skipped() -> None:
    texts = ["Bent u het eens dat de politie meer moet doen", "Ik deel die opvatting niet."]
    headings = ["Vraag 3", "Antwoord 3"]
    assert classify_all(texts, FIRST_PERSON_ONLY, headings) == [None, None]
    assert is_question_heading("Vraag 3, 4 en 5")
    assert is_question_heading("vragen")
    assert not is_question_heading("Antwoord 3")
    assert not is_question_heading("Vraag en antwoord")


@pytest.mark.parametrize(
    ("word", "singular"),
    [
        ("adviseert", "adviseer"),
        ("adviseren", "adviseer"),
        ("vragen", "vraag"),
        ("verzoeken", "verzoek"),
        ("bevelen", "beveel"),
        ("pleit", "pleit"),
        ("pleiten", "pleit"),
        ("stellen", "stel"),
        ("vrezen", "vrees"),
        ("geven", "geef"),
        ("zijn", "ben"),
        ("heeft", "heb"),
        ("acht", "acht"),
        ("het", "het"),
        ("de", "de"),
    ],
)
def test_first_singular(word: str, singular: str) -> None:
    assert first_singular(word) == singular


def test_to_first_person_keeps_objects_and_owners() -> None:
    author = Author(nouns=("raad",))
    assert to_first_person("daarnaast adviseert de raad u", author) == "daarnaast adviseer ik u"
    assert to_first_person("het onderzoek van de raad laat zien", author) == (
        "het onderzoek van mij laat zien"
    )
    assert to_first_person("heeft u de raad gevraagd", author) == "heeft u mij gevraagd"
    assert to_first_person("wij maken ons zorgen") == "ik maak mij zorgen"
