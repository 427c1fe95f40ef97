"""Metadata: the causes of misses found across the labelled sets of other senders, each with a
letter typed from the structure such letters have (invented senders and names).

* the organisation printed on its own line between the closing and the signer's name (``Met
  vriendelijke groet, / Stichting X / drs. A. Name``), whatever words name it;
* ``namens het bestuur van Stichting X``: the sender is the organisation, not its board;
* a department printed under the organisation in the letterhead (``Eenheidsstaf``, ``Directie
  Y``) is not part of the sender;
* a function that wraps over two lines with a comma (``de staatssecretaris van Cultuur,`` /
  ``Media en Erfgoed,``), and the ministry that holds a portfolio that is not a ministry;
* two functions side by side under two names (``voorzitter directeur``), and an office named
  by its holder (``Veteranenombudsvrouw``);
* in the address block, a ``t.a.v.`` line under an addressee that is already a function or its
  members, and the dated line after it; a ministry's name ending in ``... en Natuur``.
"""

from __future__ import annotations

import pytest

from bot.core.metadata import ministry_of
from bot.core.models import LetterMetadata
from bot.core.parse import parse_letter
from bot.core.text import damage


def _meta(lines: list[str], form: str = "clean") -> LetterMetadata:
    text = "\n".join(lines)
    return parse_letter(damage(text) if form == "damaged" else text).metadata


def _same(found: str | None, want: str | None, form: str) -> bool:
    if want is None or found is None:
        return found == want
    return damage(found) == damage(want) if form == "damaged" else found == want


BODY = [
    "Met deze brief vragen wij uw aandacht voor de wachttijden in de regio. Het aantal",
    "aanvragen is dit jaar met een vijfde gestegen. Wij verzoeken u daarom extra middelen",
    "beschikbaar te stellen voor het komende jaar.",
]

ORG_LINE_ABOVE_NAME = [
    "Samen Sterk Midden-Brabant",
    "Centrum voor mantelzorgondersteuning",
    "Aan het college van burgemeester en wethouders van Oosterveld",
    "t.a.v. de wethouder zorg",
    "Oosterveld, 4 februari 2025",
    "Ons kenmerk: SSM/25-014",
    "Betreft: Wachttijden mantelzorgondersteuning",
    "Geacht college,",
    *BODY,
    "Met vriendelijke groet,",
    "Samen Sterk Midden-Brabant",
    "drs. H.C. Verbeek-Aydin",
    "directeur-bestuurder",
]


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_an_organisation_line_between_closing_and_name(form: str) -> None:
    meta = _meta(ORG_LINE_ABOVE_NAME, form)
    assert _same(meta.sender, "Samen Sterk Midden-Brabant", form), meta.sender
    assert _same(meta.signatory, "drs. H.C. Verbeek-Aydin", form), meta.signatory
    assert _same(meta.signatory_role, "directeur-bestuurder", form), meta.signatory_role
    if form == "clean":
        # the handling official and the dated line are not the addressee
        assert meta.recipient == "het college van burgemeester en wethouders van Oosterveld"


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_signed_for_the_board_of_the_sender(form: str) -> None:
    meta = _meta(
        [
            "Vereniging Kleine Scholen",
            "Aan de vaste commissie voor Onderwijs, Cultuur en Wetenschap",
            "van de Tweede Kamer der Staten-Generaal",
            "Postbus 20018",
            "2500 EA Den Haag",
            "Zwolle, 9 oktober 2025",
            "Betreft: Inbreng voor het wetgevingsoverleg",
            "Geachte commissieleden,",
            *BODY,
            "Hoogachtend,",
            "namens het bestuur van Vereniging Kleine Scholen,",
            "mr. J.W. Postma",
            "voorzitter",
        ],
        form,
    )
    assert _same(meta.sender, "Vereniging Kleine Scholen", form), meta.sender
    assert _same(meta.signatory, "mr. J.W. Postma", form), meta.signatory
    assert _same(meta.signatory_role, "voorzitter", form)


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_a_department_under_the_organisation_is_not_the_sender(form: str) -> None:
    meta = _meta(
        [
            "Brandweer",
            "Veiligheidsregio Zuidkust",
            "Bestuursstaf",
            "Postbus 455",
            "4380 AL Vlissingen",
            "Ons kenmerk",
            "VRZ-2025/3381",
            "Aan de leden van het Algemeen Bestuur",
            "Postbus 40",
            "4380 AA Vlissingen",
            "Datum 12 mei 2025",
            "Onderwerp UitrukTijden in het buitengebied",
            "Geachte leden van het bestuur,",
            *BODY,
            "Met vriendelijke groet,",
            "K.L. Doorn",
            "commandant brandweer",
        ],
        form,
    )
    assert _same(meta.sender, "Brandweer Veiligheidsregio Zuidkust", form), meta.sender
    assert _same(meta.signatory, "K.L. Doorn", form)


def test_a_function_wrapped_over_two_lines_and_its_ministry() -> None:
    meta = _meta(
        [
            "> Retouradres Postbus 16375 2500 BJ Den Haag",
            "De Voorzitter van de Tweede Kamer",
            "der Staten-Generaal",
            "Postbus 20018",
            "2500 EA Den Haag",
            "Datum 2 juni 2025",
            "Betreft Voortgang programma bibliotheken",
            "Geachte voorzitter,",
            *BODY,
            "Hoogachtend,",
            "de staatssecretaris van Cultuur,",
            "Media en Erfgoed,",
            "drs. R.T. Hazelaar",
        ]
    )
    assert meta.signatory == "drs. R.T. Hazelaar"
    assert meta.signatory_role == "staatssecretaris van Cultuur, Media en Erfgoed"
    assert meta.sender == "Ministerie van Onderwijs, Cultuur en Wetenschap"


@pytest.mark.parametrize(
    ("role", "ministry"),
    [
        ("Minister voor Langdurige Zorg en Sport", "Volksgezondheid, Welzijn en Sport"),
        ("Staatssecretaris van Toeslagen en Douane", "Financiën"),
        ("Minister voor Buitenlandse Handel en Ontwikkelingssamenwerking", "Buitenlandse Zaken"),
        ("Minister van Sociale Zaken en Werkgelegenheid", "Sociale Zaken en Werkgelegenheid"),
        ("Staatssecretaris van Justitie en Veiligheid", "Justitie en Veiligheid"),
    ],
)
def test_the_ministry_of_a_portfolio(role: str, ministry: str) -> None:
    assert ministry_of(role) == f"Ministerie van {ministry}"


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_two_functions_side_by_side_and_an_office_named_by_its_holder(form: str) -> None:
    meta = _meta(
        [
            "Koninklijke Vereniging van Campinghouders",
            "De Minister van Justitie en Veiligheid",
            "Postbus 20301",
            "2500 EH Den Haag",
            "Ede, 3 maart 2025",
            "Betreft: Signalen van arbeidsuitbuiting op campings",
            "Geachte minister,",
            *BODY,
            "Met vriendelijke groet,",
            "Koninklijke Vereniging van Campinghouders",
            "A.M. Kuipers-de Haan P. Oudendijk",
            "voorzitter directeur",
        ],
        form,
    )
    assert _same(meta.signatory, "A.M. Kuipers-de Haan", form), meta.signatory
    assert _same(meta.signatory_role, "voorzitter", form), meta.signatory_role
    assert _same(meta.sender, "Koninklijke Vereniging van Campinghouders", form), meta.sender

    meta = _meta(
        [
            "De Veteranenombudsman",
            "Aan de Minister van Defensie",
            "Postbus 20701",
            "2500 ES Den Haag",
            "Den Haag, 20 januari 2025",
            "Betreft: Nazorg voor veteranen",
            "Geachte minister,",
            *BODY,
            "Met vriendelijke groet,",
            "w.g. mr. C.D. Oosterhout",
            "Veteranenombudsvrouw",
        ],
        form,
    )
    assert _same(meta.signatory, "mr. C.D. Oosterhout", form), meta.signatory
    assert _same(meta.signatory_role, "Veteranenombudsvrouw", form), meta.signatory_role


def test_two_ministers_whose_names_end_in_en_and_a_word() -> None:
    meta = _meta(
        [
            "Provincie Westerdijk",
            "Gedeputeerde Staten",
            "Aan de Minister van Infrastructuur en Waterstaat",
            "en de Minister van Landbouw, Visserij,",
            "Voedselzekerheid en Natuur",
            "Postbus 20901",
            "2500 EX Den Haag",
            "Datum 8 april 2025",
            "Onderwerp",
            "Verzilting van landbouwgrond",
            "Geachte ministers,",
            *BODY,
            "Gedeputeerde Staten van Westerdijk,",
            "de voorzitter, de secretaris,",
            "drs. F.G. Molenaar ir. S. Bos",
        ]
    )
    assert meta.recipient == (
        "de Minister van Infrastructuur en Waterstaat en de Minister van Landbouw, Visserij, "
        "Voedselzekerheid en Natuur"
    )
    assert meta.sender == "Gedeputeerde Staten van Westerdijk"
    assert meta.signatory == "drs. F.G. Molenaar"


def test_damaged_signature_stops_at_a_footnote_and_reads_a_function_over_a_name() -> None:
    """``Gedeputeerde Staten van X, / voorzitter, / name / secretaris, / name`` and a footnote
    (``1 Kamerstuk ...``) right under it, in damaged text (no lines, no capitals)."""
    meta = _meta(
        [
            "Provincie Westerdijk",
            "Aan de Minister van Infrastructuur en Waterstaat",
            "Postbus 20901",
            "2500 EX Den Haag",
            "Datum 8 april 2025",
            "Onderwerp Verzilting van landbouwgrond",
            "Geachte minister,",
            *BODY,
            "Hoogachtend,",
            "Gedeputeerde Staten van Westerdijk,",
            "voorzitter,",
            "drs. F.G. Molenaar",
            "secretaris,",
            "ir. S. Bos",
            "1 Kamerstuk 31 490, nr. 12.",
        ],
        "damaged",
    )
    assert meta.signatory == "drs. f.g. molenaar"
    assert meta.signatory_role == "voorzitter"
    assert meta.sender == "gedeputeerde staten van westerdijk"
    one = _meta(
        [
            "> Retouradres Postbus 16375 2500 BJ Den Haag",
            "De Voorzitter van de Eerste Kamer",
            "der Staten-Generaal",
            "Postbus 20017",
            "2500 EA Den Haag",
            "Datum 2 juni 2025",
            "Betreft Voortgang programma bibliotheken",
            "Geachte voorzitter,",
            *BODY,
            "De Minister van Onderwijs, Cultuur en Wetenschap,",
            "w.g. drs. R.T. Hazelaar",
            "1 Kamerstukken I 2024/25, 36 410, C.",
        ],
        "damaged",
    )
    assert one.signatory == "drs. r.t. hazelaar"


def test_a_report_head_under_a_stack_of_bodies() -> None:
    """``Hogeschool X`` / ``Faculteit Y`` / ``Lectoraat Z`` above a two-line title, a genre
    line after the title, a byline of authors, a dated line and a report number."""
    text = "\n".join(
        [
            "Hogeschool Oostland",
            "Faculteit Gezondheid en Welzijn",
            "Lectoraat Jeugd en Gezin",
            "Pleegzorg in de regio:",
            "een eerste verkenning van wachttijden",
            "Korte rapportage",
            "J. de Wit, K. Amrani en dr. P.L. Fontein",
            "Zwolle, 14 april 2025",
            "JG-rapport 2025/03",
            "Samenvatting",
            "Pleeggezinnen wachten in de regio gemiddeld vier maanden op een eerste gesprek.",
            "Wij spraken met dertig pleegouders en twaalf begeleiders van vier aanbieders.",
            "De wachttijden verschillen sterk tussen de gemeenten in de regio.",
            "Wij bevelen aan de intake voor pleegouders regionaal te organiseren.",
        ]
    )
    letter = parse_letter(text)
    assert letter.genre in ("note", "report")
    meta = letter.metadata
    assert meta.sender == "Lectoraat Jeugd en Gezin, Hogeschool Oostland"
    assert meta.subject == "Pleegzorg in de regio: een eerste verkenning van wachttijden"
    assert meta.date == "2025-04-14"
    assert meta.reference == "JG-rapport 2025/03"
    assert meta.signatory is None


def test_letterhead_labels_in_a_row_with_their_values_under_them() -> None:
    """``Datum Ons kenmerk Uw brief van`` / ``12 mei 2025 AT-2025-118 2 april 2025``: the
    columns of a letterhead printed side by side; the addressee stands above them without
    ``Aan``, under the sender's own address."""
    meta = _meta(
        [
            "Autoriteit Toegankelijkheid",
            "Postbus 16020, 3500 DA Utrecht",
            "Telefoon (030) 123 45 67",
            "De Staatssecretaris van Infrastructuur en Waterstaat",
            "Postbus 20901",
            "2500 EX DEN HAAG",
            "Datum Ons kenmerk Uw brief van",
            "12 mei 2025 AT-2025-118 2 april 2025",
            "Contactpersoon Uw kenmerk",
            "drs. L. Smit IenW/25-4411",
            "Onderwerp",
            "Advies over de toegankelijkheid van stations",
            "Geachte staatssecretaris,",
            *BODY,
            "Hoogachtend,",
            "mr. P.J. Visser",
            "voorzitter",
        ]
    )
    assert meta.reference == "AT-2025-118"
    assert meta.recipient == "De Staatssecretaris van Infrastructuur en Waterstaat"
    assert meta.date == "2025-05-12"
    assert meta.sender == "Autoriteit Toegankelijkheid"
    assert meta.subject == "Advies over de toegankelijkheid van stations"
