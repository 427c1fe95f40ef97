"""Recommendations: more shapes of Dutch policy letters that look like a recommendation and are
not, or the other way round, each with sentences typed for this test (not copied from a
labelled letter), read clean and damaged.

* ``vragen`` as a noun after a verb of receiving or a quantity (``krijgen wij steeds vaker
  vragen``);
* an author describing its task (``de GGD adviseert gemeenten over ...``) gives no advice;
* a need that is negated a few words before (``er is geen extra geld nodig``) or named in a
  verb-final subclause (``terwijl voor ... drie nodig zijn``);
* an evaluative word inside an indirect question (``wist niet welke ... zorgelijk waren``);
* a national body names itself without the country (``Vereniging X`` for ``Vereniging X
  Nederland``);
* an expectation stated as a norm (``van X mag worden verwacht dat``) is a requirement;
* ``ik verwacht dat`` others do something is a requirement, unless it forecasts (``... stijgt``);
* ``ik doe een beroep op`` the addressee is a request, on others a plea.
"""

from __future__ import annotations

import pytest

from bot.core.recommend import author_of, classify
from bot.core.text import damage

SHAPES = [
    ("Sinds de zomer krijgen wij steeds vaker vragen van ouders over de nieuwe regels.", None),
    ("Het loket ontving dit jaar veel vragen en klachten over de vergunningen.", None),
    ("Voor de uitvoering van deze maatregel is geen aanvullend geld nodig.", None),
    (
        "Er broeden nu veertig paren, terwijl voor een gezonde populatie ongeveer zestig paren "
        "nodig zijn.",
        None,
    ),
    ("De beheerders wisten vaak niet welke meldingen het meest zorgelijk waren.", None),
    (
        "Van woningcorporaties mag worden verwacht dat zij huurachterstanden binnen een maand "
        "melden.",
        "requirement",
    ),
    (
        "Daarnaast verwacht ik dat bij iedere aanvraag een begroting in het dossier zit.",
        "requirement",
    ),
    ("Ik verwacht dat het aantal aanvragen de komende jaren verder stijgt.", None),
    ("Ik doe een beroep op u de regeling met een jaar te verlengen.", "request"),
    ("Wij doen een dringend beroep op sportclubs om de contributie laag te houden.", "plea"),
    # what stays a recommendation next to these
    ("Wij vragen u de regeling met een jaar te verlengen.", "request"),
    ("Voor de uitvoering van deze maatregel is extra geld nodig.", "requirement"),
    ("Zorgwekkend is dat de wachttijden dit jaar opnieuw zijn opgelopen.", "concern"),
]


@pytest.mark.parametrize(("sentence", "kind"), SHAPES)
@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_shapes(sentence: str, kind: str | None, form: str) -> None:
    cue = classify(damage(sentence) if form == "damaged" else sentence)
    assert (cue.kind if cue else None) == kind, cue


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_an_author_describing_its_task_gives_no_advice(form: str) -> None:
    def read(sentence: str) -> str | None:
        sender = "Veiligheidsregio Kustland"
        text = damage(sentence) if form == "damaged" else sentence
        author = author_of(damage(sender) if form == "damaged" else sender, [text])
        cue = classify(text, author)
        return cue.kind if cue else None

    assert read("De Veiligheidsregio Kustland adviseert de gemeenten over brandveiligheid.") is None
    assert (
        read("De Veiligheidsregio Kustland adviseert de gemeenten de oefeningen te bundelen.")
        == "advice"
    )


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_a_national_body_names_itself_without_the_country(form: str) -> None:
    sender = "Vereniging Buurtbussen Nederland"
    sentence = "Vereniging Buurtbussen pleit ervoor de subsidie voor vrijwilligers te verhogen."
    if form == "damaged":
        sender, sentence = damage(sender), damage(sentence)
    cue = classify(sentence, author_of(sender, [sentence]))
    assert cue is not None and cue.kind == "plea"
    assert classify(sentence) is None  # the author is needed
