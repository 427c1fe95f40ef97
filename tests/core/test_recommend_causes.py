"""Recommendations: the causes of misses found across the labelled sets of other senders, each
with sentences typed from how such letters are written (not copied from a labelled letter).

False alarms: a noun read as a performative (``de vragen``, ``dit verzoek``), a letter
announcing its own points, rules in force and legal deadlines, a need that is negated or only
named in a subclause, another body's past statement, the author's own dated request, objections
filed by others. Misses: an office named by its holder's gender (``ombudsvrouw`` /
``ombudsman``), a province writing as Gedeputeerde Staten, ``met zorg``, ``zouden niet ...
mogen``. Each is also read in its damaged form.
"""

from __future__ import annotations

import pytest

from bot.core.recommend import FIRST_PERSON_ONLY, author_of, classify, classify_all
from bot.core.text import damage

NOT_RECOMMENDATIONS = [
    # nouns after a determiner
    ("Hierbij stuur ik u de antwoorden op de vragen van het lid Bakker over de jeugdzorg.", None),
    (
        "Met deze brief beantwoord ik de vragen van de commissie.",
        None,
    ),
    ("Wij lichten dit verzoek graag toe in het bestuurlijk overleg van 4 maart.", None),
    ("Met deze brief geven wij gehoor aan dat verzoek.", None),
    # the letter announcing its points
    ("Met het oog op het notaoverleg vragen wij uw aandacht voor de volgende punten.", None),
    ("Voor het debat vraag ik uw aandacht voor twee knelpunten.", None),
    # rules in force, deadlines, conditions
    ("Sinds 1 juli 2023 moeten verhuurders een vergunning hebben voor kamerverhuur.", None),
    ("Vanaf 1 januari 2026 moeten alle kinderopvanglocaties een meldcode gebruiken.", None),
    ("De verordening moet uiterlijk in maart 2027 in nationale wetgeving zijn omgezet.", None),
    ("Om een subsidie te ontvangen, moet een gemeente een plan van aanpak indienen.", None),
    ("In de meeste provincies moet een evenement een vergunning hebben.", None),
    # a need negated or only named
    ("Een nieuwe voorlichtingscampagne acht ik op dit moment niet nodig.", None),
    ("Ik heb de minister gevraagd te onderzoeken wat daarvoor nodig is.", None),
    ("De toelichting gaat in op de vraag waarom die verwerking noodzakelijk is.", None),
    ("Verwerking is alleen toegestaan als die noodzakelijk is voor een wettelijke taak.", None),
    # another body's past statement; the author's own dated request
    (
        "De Raad voor het Openbaar Bestuur wees er in 2019 op dat gemeenten moeten samenwerken.",
        None,
    ),
    (
        "In 2021 vroegen wij uw voorganger al om een fonds; toen was daarvoor nog geen geld.",
        None,
    ),
    # objections filed by others, or none
    (
        "Tegen het besluit zijn door omwonenden bezwaren ingediend, die ongegrond zijn verklaard.",
        None,
    ),
    ("Wij gaan ervan uit dat hiertegen geen bezwaar bestaat.", None),
]

STILL_RECOMMENDATIONS = [
    ("Wij verzoeken u voor 2026 eenmalig extra middelen beschikbaar te stellen.", "request"),
    ("Ik wil u vragen de regeling voor de zomer aan te passen.", "request"),
    ("In deze brief vragen wij uw aandacht voor de positie van jonge mantelzorgers.", "request"),
    ("Extra capaciteit is nodig om de wachtlijst binnen een jaar weg te werken.", "requirement"),
    ("Het is noodzakelijk dat gemeenten en zorgaanbieders hun gegevens delen.", "requirement"),
    ("Gemeenten moeten de verordening voor de zomer aanpassen.", "requirement"),
    ("Wij hebben ernstig bezwaar tegen dit onderdeel van het wetsvoorstel.", "concern"),
    ("Kinderen zouden niet vaker dan eenmaal per jaar mogen worden overgeplaatst.", "advice"),
]


@pytest.mark.parametrize(("sentence", "kind"), NOT_RECOMMENDATIONS + STILL_RECOMMENDATIONS)
@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_causes_of_false_alarms(sentence: str, kind: str | None, form: str) -> None:
    text = damage(sentence) if form == "damaged" else sentence
    cue = classify(text)
    assert (cue.kind if cue else None) == kind, cue


def test_the_office_is_named_by_its_holder() -> None:
    """A one-person office signs as ``-vrouw`` where the sender is ``-man`` (and back), writes
    of itself in the third person, and goes on with ``zij``."""
    author = author_of("De Veteranenombudsman")
    texts = [
        "De Veteranenombudsvrouw beveelt aan dat iedere veteraan binnen een maand een "
        "contactpersoon krijgt.",
        "Zij adviseert de minister de nazorg voor alle veteranen gelijk te regelen.",
        "De veteranenombudsvrouw vreest dat veteranen zonder vast adres buiten beeld raken.",
    ]
    kinds = [c.kind if c else None for c in classify_all(texts, author)]
    assert kinds == ["advice", "advice", "concern"]
    assert classify_all(texts, FIRST_PERSON_ONLY)[0] is None  # the author is needed


def test_a_province_writes_as_its_executive() -> None:
    author = author_of("Gedeputeerde Staten van Zuiderland")
    cue = classify(
        "Gedeputeerde Staten verzoeken de minister de regeling voor schoonmaakkosten te verruimen.",
        author,
    )
    assert cue is not None and cue.kind == "request"
    cue = classify("Ons college ziet met zorg dat gemeenten de kosten niet kunnen dragen.", author)
    assert cue is not None and cue.kind == "concern"


def test_an_acronym_of_the_sender_in_damaged_text() -> None:
    """Damaged text has no capitals: the acronym is the initials of the name's content words."""
    author = author_of(
        damage("Stichting Toezicht Kinderopvang"),
        [damage("De STK adviseert gemeenten de inspecties te bundelen.")],
    )
    cue = classify(
        damage("De STK adviseert gemeenten de inspecties per regio te bundelen."), author
    )
    assert cue is not None and cue.kind == "advice"
