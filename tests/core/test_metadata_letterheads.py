"""Metadata: letterhead and closing shapes seen across other senders' letters, each with a
letter typed from the structure such letters have (invented senders, names and text).

* any ``Met <adjective> groet`` closing (``Met warme groet,``), not only the common ones;
* the organisation's name printed at the top and again in the running header of every page;
* two bodies stacked in the letterhead, the first printed again (``Inspectie X`` / ``Ministerie
  van Y`` / ``Inspectie X``): the sender is the first, not the function that signs;
* the ministry printed under the minister addressed is its address, not a second addressee;
* damaged text: a letterhead that runs on into a department is cut to the name the signature
  repeats, and a name stops where a footnote's sentence begins.
"""

from __future__ import annotations

import pytest

from bot.core.models import LetterMetadata
from bot.core.parse import parse_letter
from bot.core.text import damage


def _meta(lines: list[str], form: str = "clean") -> LetterMetadata:
    text = "\n".join(lines)
    return parse_letter(damage(text) if form == "damaged" else text).metadata


def _want(value: str, form: str) -> str:
    return damage(value) if form == "damaged" else value


BODY = [
    "Met deze brief vragen wij aandacht voor de onderhoudsachterstand bij de speeltuinen in",
    "onze provincie. Het aantal afgekeurde toestellen is in drie jaar verdubbeld. Wij vragen",
    "u daarom de regeling voor kleine voorzieningen met twee jaar te verlengen.",
]


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_a_closing_with_any_adjective_before_groet(form: str) -> None:
    meta = _meta(
        [
            "Bond van Speeltuinwerk Zuid",
            "Kerkstraat 7 | 5611 AB Eindhoven",
            "Aan de Minister van Volksgezondheid, Welzijn en Sport",
            "Postbus 20350",
            "2500 EJ Den Haag",
            "Eindhoven, 3 maart 2025",
            "Onderwerp: Onderhoud van speeltuinen",
            "Geachte minister,",
            *BODY,
            "Met warme groet,",
            "Bond van Speeltuinwerk Zuid",
            "Marloes Achterberg-Dijkhuis",
            "voorzitter",
        ],
        form,
    )
    assert meta.signatory == _want("Marloes Achterberg-Dijkhuis", form)
    assert meta.signatory_role == "voorzitter"
    assert meta.sender == _want("Bond van Speeltuinwerk Zuid", form)
    # the ministry under the minister addressed is the minister's address
    assert meta.recipient == _want("de Minister van Volksgezondheid, Welzijn en Sport", form)


def test_met_and_a_determiner_before_groet_in_a_sentence_is_no_closing() -> None:
    meta = _meta(
        [
            "Bond van Speeltuinwerk Zuid",
            "Aan de Minister van Volksgezondheid, Welzijn en Sport",
            "Datum 3 maart 2025",
            "Onderwerp: Onderhoud van speeltuinen",
            "Geachte minister,",
            "Wij sloten de bijeenkomst af met een groet aan alle vrijwilligers.",
            *BODY,
            "Met vriendelijke groet,",
            "drs. P. Zandvoort",
            "voorzitter",
        ]
    )
    assert meta.closing == "Met vriendelijke groet"
    assert meta.signatory == "drs. P. Zandvoort"


RUNNING_HEAD = [
    "Omgevingsdienst Veenstreek",
    "Afdeling Bodem en Water",
    "Bezoekadres",
    "Molenweg 12",
    "2741 KL Waddinxveen",
    "De Minister van Infrastructuur en Waterstaat",
    "Postbus 20901",
    "2500 EX Den Haag",
    "Datum",
    "14 oktober 2024",
    "Onderwerp",
    "Grondwatermetingen bij natuurgebieden",
    "Geachte minister,",
    "De omgevingsdienst meet sinds 2019 de grondwaterstand bij veertig natuurgebieden. Het",
    "gemiddelde peil is in die jaren met twaalf centimeter gedaald. Wij adviseren u de",
    "meetreeksen landelijk te bundelen, zodat provincies dezelfde cijfers gebruiken.",
    "\fBlad 2 Omgevingsdienst Veenstreek",
    "Wij delen onze gegevens graag met uw ministerie. In het voorjaar volgt een tweede meting",
    "bij de gebieden die het sterkst zijn gedaald.",
    "Met vriendelijke groet,",
    "ir. K.L. Tjon-A-Fong",
    "directeur uitvoering Omgevingsdienst Veenstreek",
    "1 Een meting telt als de peilbuis vier weken achtereen is uitgelezen door de dienst.",
    "\fBlad 3 Omgevingsdienst Veenstreek",
    "Bijlage bij onze brief over de grondwatermetingen met de tabellen per gebied.",
]


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_the_organisation_printed_at_the_top_and_on_every_page(form: str) -> None:
    meta = _meta(RUNNING_HEAD, form)
    assert meta.sender == _want("Omgevingsdienst Veenstreek", form)
    assert meta.signatory == _want("ir. K.L. Tjon-A-Fong", form)
    assert damage(meta.signatory_role or "").startswith("directeur uitvoering")


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_two_bodies_stacked_in_the_letterhead_the_first_printed_again(form: str) -> None:
    meta = _meta(
        [
            "Inspectie Onderwijs en Kinderopvang",
            "Ministerie van Onderwijs, Cultuur en Wetenschap",
            "Inspectie Onderwijs en Kinderopvang",
            "Lange Voorhout 40",
            "2514 EE Den Haag",
            "Contactpersoon",
            "drs. A.B. Wessels",
            "> Retouradres Postbus 2730 3500 GS Utrecht",
            "Aan de Minister van Onderwijs, Cultuur en Wetenschap",
            "Postbus 16375",
            "2500 BJ Den Haag",
            "Datum 12 mei 2025",
            "Onderwerp Toezicht op kinderopvang in kleine kernen",
            "Geachte minister,",
            "Hierbij bied ik u ons onderzoek naar de kinderopvang in kleine kernen aan. Wij",
            "bezochten dertig locaties en spraken met ouders, leidsters en gemeenten. Ik verzoek",
            "u het rapport binnen zes weken met uw reactie aan de Tweede Kamer te sturen.",
            "Hoogachtend,",
            "De Inspecteur-generaal Onderwijs en Kinderopvang,",
            "mr. J.C. Brouwer-Tan",
        ],
        form,
    )
    assert meta.sender == _want("Inspectie Onderwijs en Kinderopvang", form)
    assert meta.signatory == _want("mr. J.C. Brouwer-Tan", form)
    assert meta.recipient == _want("de Minister van Onderwijs, Cultuur en Wetenschap", form)


def test_a_municipal_side_column_printed_inside_a_sentence() -> None:
    """``Datum`` / ``Zaaknummer`` / ``Portefeuillehouder`` / ``Contactpersoon`` / ``Bijlage(n)
    geen``: the side column pdftotext prints in the middle of the first page's sentence."""
    letter = parse_letter(
        "\n".join(
            [
                "Gemeente Hoogewaard",
                "Aan de leden van de gemeenteraad",
                "Onderwerp: Onderhoud van de fietspaden",
                "Geachte raadsleden,",
                "Met deze brief informeren wij u over de staat van de fietspaden. De schouw van",
                "dit voorjaar liet zien dat een op de vijf paden schade heeft, en de aannemer",
                "Datum",
                "2 april 2025",
                "Zaaknummer",
                "HGW-25-01188",
                "Portefeuillehouder",
                "wethouder P.J. Roelofsen",
                "Contactpersoon",
                "A. van Eck, team Openbare Ruimte",
                "Telefoon",
                "14 0599",
                "Bijlage(n)",
                "geen",
                "kan die schade pas in het najaar herstellen. Wij houden u op de hoogte.",
                "Met vriendelijke groet,",
                "Burgemeester en wethouders van Hoogewaard,",
                "de secretaris, de burgemeester,",
                "drs. L. Smit mr. H.A. Jansen",
            ]
        )
    )
    texts = [s.text for s in letter.sentences]
    assert (
        "De schouw van dit voorjaar liet zien dat een op de vijf paden schade heeft, en de "
        "aannemer kan die schade pas in het najaar herstellen." in texts
    )
    assert not any("Zaaknummer" in t or "Portefeuillehouder" in t for t in texts)
    assert letter.metadata.date == "2025-04-02"


def test_a_running_header_of_six_lines_is_cut_out_of_the_sentence_it_interrupts() -> None:
    """``Pagina 2 van 3`` / organisation / ``Datum`` / date / ``Ons kenmerk`` / number at the top
    of every later page, printed in the middle of a sentence that goes on from the page before."""
    head = ["Rekenkamer Oostland", "Datum", "9 september 2025", "Ons kenmerk", "RK-2025-118"]
    text = "\n".join(
        [
            "Rekenkamer Oostland",
            "Aan de leden van Provinciale Staten",
            "Datum 9 september 2025",
            "Onderwerp Onderzoek naar de subsidies voor dorpshuizen",
            "Geachte Statenleden,",
            "Wij onderzochten hoe de provincie de subsidies voor dorpshuizen verdeelt. Wij lazen",
            "veertig dossiers en spraken met besturen van dorpshuizen. In 2021 heeft de provincie",
            "\fPagina 2 van 3",
            *head,
            "beloofd de aanvraag te vereenvoudigen, maar dat is nog niet gebeurd. Wij bevelen aan",
            "het aanvraagformulier in te korten tot twee pagina's.",
            "\fPagina 3 van 3",
            *head,
            "Het rapport verschijnt twee weken na deze brief op onze website.",
            "Met vriendelijke groet,",
            "drs. E.M. Koster",
            "directeur",
        ]
    )
    texts = [s.text for s in parse_letter(text).sentences]
    assert (
        "In 2021 heeft de provincie beloofd de aanvraag te vereenvoudigen, maar dat is nog niet "
        "gebeurd." in texts
    )
    assert not any("kenmerk" in t or "RK-2025" in t for t in texts)
