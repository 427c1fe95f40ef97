"""More templates of other senders, each typed from the structure such documents have.

Every shape here is read by a rule of the genre, not of one sender, and each rule is tried on
a template other than the one it was written for: a municipality that signs as its college
without closing formula, an association whose signer prints function and organisation on one
line, letters to two addressees or to a function with a person named under it, a ministry's
cover letter without salutation that sends answers, an annex after a running page header, a
report whose head has no genre line. Clean, damaged (``bot.core.text.damage``) and PDF forms.
"""

from __future__ import annotations

import pytest

from bot.core.models import ParsedLetter
from bot.core.parse import parse_letter
from bot.core.pdf import extract_pdf_pages
from bot.core.text import damage
from tests.pdf_factory import make_pdf


def _parse(pages: list[list[str]], form: str) -> ParsedLetter:
    if form == "clean":
        return parse_letter("\n\f\n".join("\n".join(p) for p in pages))
    if form == "damaged":
        return parse_letter(damage("\n".join("\n".join(p) for p in pages)))
    texts = extract_pdf_pages(make_pdf(["\n".join(p) for p in pages]))
    return parse_letter("\n\f\n".join(texts), source_kind="pdf")


def _same(found: str | None, want: str | None, form: str) -> bool:
    if want is None or found is None:
        return found == want
    return damage(found) == damage(want) if form == "damaged" else found == want


RAADSINFORMATIEBRIEF = [
    [
        "GEMEENTE HOLTERBROEK",
        "RAADSINFORMATIEBRIEF",
        "Aan de leden van de gemeenteraad van Holterbroek",
        "Nummer RIB 2024-077",
        "Datum 12 november 2024",
        "Portefeuillehouder wethouder A. Demir (Sport)",
        "Onderwerp Renovatie van het zwembad De Wielen",
        "Geachte leden van de raad,",
        "Het zwembad De Wielen is in 1978 gebouwd en voldoet niet meer aan de eisen voor",
        "energiegebruik. Wij hebben onderzocht of renovatie of nieuwbouw de beste keuze is.",
        "Renovatie kost naar verwachting 6,2 miljoen euro, nieuwbouw 9,8 miljoen euro. Wij",
        "kiezen voor renovatie en leggen u in het voorjaar een voorstel voor het krediet voor.",
        "Wij vragen u kennis te nemen van deze brief.",
        "Burgemeester en wethouders van Holterbroek,",
        "de gemeentesecretaris, de burgemeester,",
        "mr. B.F. Okkerse H. Wagenaar-de Bruin",
    ]
]


@pytest.mark.parametrize("form", ["clean", "damaged", "pdf"])
def test_a_college_signing_without_closing_formula(form: str):
    """``Burgemeester en wethouders van X,`` / two functions side by side / two names: the
    college is the sender (as it signs), the mayor signs for it."""
    meta = _parse(RAADSINFORMATIEBRIEF, form).metadata
    want = {
        "sender": "Burgemeester en wethouders van Holterbroek",
        "signatory": "H. Wagenaar-de Bruin",
        "signatory_role": "burgemeester",
        "subject": "Renovatie van het zwembad De Wielen",
        "recipient": "de leden van de gemeenteraad van Holterbroek",
    }
    for field, value in want.items():
        assert _same(getattr(meta, field), value, form), (field, getattr(meta, field))
    assert meta.date == ("november" if form == "damaged" else "2024-11-12")


ASSOCIATION = [
    [
        "Stichting Veilig Sporten",
        "Churchilllaan 11 | 3527 GV Utrecht | www.veiligsporten.nl",
        "De Minister van Volksgezondheid, Welzijn en Sport",
        "Postbus 20350",
        "2500 EJ Den Haag",
        "De Minister van Justitie en Veiligheid",
        "mevrouw mr. K.L. Brandsma",
        "Postbus 20301",
        "2500 EH Den Haag",
        "Utrecht, 2 september 2024",
        "Kenmerk: SVS-2024-31",
        "Betreft: Verklaring omtrent het gedrag voor trainers",
        "Geachte ministers,",
        "Sportclubs vragen steeds vaker een verklaring omtrent het gedrag van hun trainers.",
        "Voor kleine clubs is de aanvraag een flinke administratieve last. Wij verzoeken u de",
        "aanvraag voor vrijwillige trainers kosteloos en digitaal mogelijk te maken.",
        "Met vriendelijke groet,",
        "drs. E.M. Koolhaas",
        "coördinator Stichting Veilig Sporten",
    ]
]


@pytest.mark.parametrize("form", ["clean", "pdf"])
def test_two_addressees_and_a_function_with_its_organisation_on_one_line(form: str):
    meta = _parse(ASSOCIATION, form).metadata
    assert meta.recipient == (
        "De Minister van Volksgezondheid, Welzijn en Sport en de Minister van Justitie en "
        "Veiligheid"
    )
    assert meta.signatory == "drs. E.M. Koolhaas"
    assert meta.signatory_role == "coördinator"
    assert meta.sender == "Stichting Veilig Sporten"
    assert meta.date == "2024-09-02"


def test_damaged_function_and_organisation_on_one_line():
    """Damage leaves ``co rdinator stichting veilig sporten``: the function with its accent
    gap, then the organisation (its name also heads the letter)."""
    meta = _parse(ASSOCIATION, "damaged").metadata
    assert meta.signatory == "drs. e.m. koolhaas"
    assert meta.signatory_role == "co rdinator"
    assert meta.sender == "stichting veilig sporten"


COVER_LETTER = [
    [
        "> Retouradres Postbus 16375 2500 BJ Den Haag",
        "Aan de Voorzitter van de Tweede Kamer",
        "der Staten-Generaal",
        "Postbus 20018",
        "2500 EA Den Haag",
        "Datum 9 april 2024",
        "Betreft Antwoorden Kamervragen over schoolzwemmen",
        "Hierbij zend ik u de antwoorden op de vragen van het lid Brouwer (CDA) over",
        "schoolzwemmen (ingezonden 12 maart 2024, met kenmerk 2024Z04411).",
        "De Minister voor Primair en Voortgezet Onderwijs,",
        "R.T. Hoogland",
        "Directie Primair Onderwijs",
        "Rijnstraat 50",
        "2515 XP Den Haag",
        "Postbus 16375",
        "2500 BJ Den Haag",
        "www.rijksoverheid.nl/ocw",
        "Ons kenmerk",
        "40217733",
        "Bijlagen",
        "1",
    ],
    [
        "Directie Primair Onderwijs",
        "Datum",
        "9 april 2024",
        "Ons kenmerk",
        "40217733",
        "Pagina 2 van 2",
        "Vragen van het lid Brouwer (CDA) aan de Minister voor Primair en Voortgezet",
        "Onderwijs over schoolzwemmen (ingezonden 12 maart 2024)",
        "Vraag 1",
        "Hoeveel basisscholen bieden schoolzwemmen aan?",
        "Antwoord 1",
        "Volgens de laatste peiling bieden ongeveer vier op de tien basisscholen",
        "schoolzwemmen aan. Dat aandeel daalt al jaren.",
        "Vraag 2",
        "Bent u bereid gemeenten te steunen die schoolzwemmen weer invoeren?",
        "Antwoord 2",
        "Ja. Ik onderzoek met de gemeenten welke steun het meest helpt.",
    ],
]


@pytest.mark.parametrize("form", ["clean", "damaged", "pdf"])
def test_a_cover_letter_without_salutation_sends_answers(form: str):
    """A ministry's letter without salutation or closing, signed under the minister's
    function, with the questions and answers on the next page: the letter gives the
    metadata, the answers are sections of their own."""
    parsed = _parse(COVER_LETTER, form)
    meta = parsed.metadata
    assert parsed.genre == "answers"
    want = {
        "sender": "Ministerie van Onderwijs, Cultuur en Wetenschap",
        "signatory": "R.T. Hoogland",
        "signatory_role": "Minister voor Primair en Voortgezet Onderwijs",
        "subject": "Antwoorden Kamervragen over schoolzwemmen",
        "recipient": "de Voorzitter van de Tweede Kamer der Staten-Generaal",
    }
    for field, value in want.items():
        assert _same(getattr(meta, field), value, form), (field, getattr(meta, field))
    assert meta.date == ("april" if form == "damaged" else "2024-04-09")
    if form != "damaged":
        assert meta.reference == "40217733"  # not the ``met kenmerk`` of the questions
        answer = [s for s in parsed.sentences if parsed.sections[s.section].heading == "Antwoord 1"]
        assert answer[0].text.startswith("Volgens de laatste peiling")
        assert answer[0].page == 2
    assert not any("Primair Onderwijs Datum" in s.text for s in parsed.sentences)


ANNEX_AFTER_HEADER = [
    [
        "> Retouradres Postbus 90801 2509 LV Den Haag",
        "Aan de Minister van Sociale Zaken en Werkgelegenheid",
        "Postbus 90801",
        "2509 LV Den Haag",
        "Datum 5 maart 2025",
        "Onderwerp Advies over uitzendwerk door arbeidsmigranten",
        "Geachte minister,",
        "U vroeg de Raad om advies over de positie van arbeidsmigranten in het uitzendwerk.",
        "Het advies vindt u in de bijlage. De Raad vraagt u het advies te betrekken bij het",
        "wetsvoorstel over de certificering van uitzendbureaus.",
        "Hoogachtend,",
        "namens de Raad voor Werk en Inkomen,",
        "prof. dr. S.A. Visser",
        "voorzitter",
        "Raad voor Werk en Inkomen",
        "Bezuidenhoutseweg 60",
        "2594 AW Den Haag",
        "Postbus 93211",
        "2509 AE Den Haag",
        "www.raadwerkeninkomen.nl",
        "Ons kenmerk",
        "RWI/2025/08",
    ],
    [
        "Raad voor Werk en Inkomen",
        "Kenmerk",
        "RWI/2025/08",
        "Datum",
        "5 maart 2025",
        "Pagina 2 van 2",
        "Bijlage 1",
        "Advies over uitzendwerk door arbeidsmigranten",
        "Raad voor Werk en Inkomen, maart 2025",
        "Bevindingen",
        "Een op de drie arbeidsmigranten woont in een woning van de uitzender. Wie zijn baan",
        "verliest, verliest daarmee ook zijn woning. De Raad is bezorgd over die",
        "afhankelijkheid.",
        "Advies",
        "De Raad adviseert huurcontract en arbeidscontract wettelijk te scheiden. Ook",
        "adviseert de Raad de inspectie vaker onaangekondigd te laten controleren.",
    ],
]


@pytest.mark.parametrize("form", ["clean", "damaged", "pdf"])
def test_an_annex_after_the_next_pages_running_header(form: str):
    parsed = _parse(ANNEX_AFTER_HEADER, form)
    assert _same(parsed.metadata.signatory_role, "voorzitter", form)
    starts = [
        k for k, sec in enumerate(parsed.sections) if (sec.heading or "").lower().startswith("bijl")
    ]
    assert len(starts) == 1
    annex = [s for s in parsed.sentences if s.section >= starts[0]]
    assert any("adviseert huurcontract en arbeidscontract" in s.text for s in annex)
    assert any("is bezorgd over die afhankelijkheid" in s.text for s in annex)
    if form != "damaged":
        assert parsed.sections[starts[0]].heading == (
            "Bijlage 1: Advies over uitzendwerk door arbeidsmigranten"
        )
        assert all(s.page == 2 for s in annex)
    assert not any("RWI" in s.text or "Pagina" in s.text for s in parsed.sentences)


def test_a_report_head_without_genre_line():
    """The organisation above the title, a subtitle, a dated line: author, title, date."""
    text = "\n".join(
        [
            "Instituut voor Wonen en Zorg",
            "Ouderen in kleine kernen",
            "en hun woonwensen",
            "Een verkenning",
            "Zwolle, 4 juni 2024",
            "Inleiding",
            "In kleine kernen wonen steeds meer ouderen in een huis dat niet bij hen past. Deze",
            "verkenning brengt in kaart wat zij zelf willen.",
            "Uitkomsten",
            "Twee op de drie ouderen willen in hun eigen dorp blijven wonen. Wij adviseren",
            "gemeenten kleine levensloopbestendige woningen in de kernen toe te staan.",
        ]
    )
    meta = parse_letter(text).metadata
    assert meta.sender == "Instituut voor Wonen en Zorg"
    assert meta.subject == "Ouderen in kleine kernen en hun woonwensen"
    assert meta.date == "2024-06-04"
    assert parse_letter(damage(text)).metadata.date == "juni"


PROVINCE = [
    [
        "> Retouradres Postbus 620 8000 AP Zwolle",
        "Aan de Minister van Infrastructuur en Waterstaat",
        "Postbus 20901",
        "2500 EX Den Haag",
        "Datum 18 februari 2025",
        "Kenmerk 2025-004411",
        "Onderwerp Zwerfafval langs provinciale wegen",
        "Geachte minister,",
        "Langs onze provinciale wegen ligt steeds meer zwerfafval. In 2024 haalden onze",
        "wegbeheerders 412 ton afval op, tegen 290 ton in 2021. Wij verzoeken u statiegeld op",
        "drankblikjes in te voeren voor alle verpakkingen. De cijfers per weg vindt u in de",
        "bijlagen.",
        "Gedeputeerde Staten van Overmaas,",
        "de secretaris, de voorzitter,",
        "drs. P.J. Hendriks mr. A.M. Kuipers-Dijkstra",
    ],
    [
        "Bijlage I",
        "Opgehaald afval per wegvak",
        "Op de N340 werd met 96 ton het meeste afval opgehaald. Het gaat vooral om blikjes en",
        "plastic flesjes die uit rijdende auto's worden gegooid, ook op de parkeerplaatsen.",
        "Bijlage II",
        "Kosten",
        "De kosten van het opruimen stegen van 1,1 miljoen euro in 2021 naar 1,7 miljoen euro",
        "in 2024. Wij vragen u de provincies in de kosten tegemoet te komen.",
    ],
]


@pytest.mark.parametrize("form", ["clean", "damaged", "pdf"])
def test_a_province_signing_as_its_college_with_numbered_annexes(form: str):
    parsed = _parse(PROVINCE, form)
    meta = parsed.metadata
    want = {
        "sender": "Gedeputeerde Staten van Overmaas",
        "signatory": "mr. A.M. Kuipers-Dijkstra",
        "signatory_role": "voorzitter",
        "subject": "Zwerfafval langs provinciale wegen",
    }
    for field, value in want.items():
        assert _same(getattr(meta, field), value, form), (field, getattr(meta, field))
    texts = [s.text for s in parsed.sentences]
    assert any("het meeste afval opgehaald" in t for t in texts)  # Bijlage I
    assert any("provincies in de kosten tegemoet" in t for t in texts)  # Bijlage II
    if form != "damaged":
        headings = [sec.heading for sec in parsed.sections if sec.heading]
        assert headings[0].startswith("Bijlage I")
        assert any(h.startswith("Bijlage II") for h in headings)


@pytest.mark.parametrize(
    ("signature", "signatory", "role", "sender"),
    [
        (
            ["Met vriendelijke groet,", "mr. D.W. Tabak", "politiechef Politie Eenheid Westland"],
            "mr. D.W. Tabak",
            "politiechef",
            "Politie Eenheid Westland",
        ),
        (
            ["Hoogachtend,", "De Kinderombudsman,", "drs. M.J. Aydin"],
            "drs. M.J. Aydin",
            "Kinderombudsman",
            "Kinderombudsman",
        ),
        (
            ["Met vriendelijke groet,", "prof. dr. H. Koster", "hoogleraar Jeugdrecht"],
            "prof. dr. H. Koster",
            "hoogleraar Jeugdrecht",
            None,
        ),
    ],
)
def test_offices_that_sign(signature: list[str], signatory: str, role: str, sender: str | None):
    """A police chief with the unit on the same line, an ombudsman whose office is the
    institution, a professor: the function as printed, the organisation only where stated."""
    text = "\n".join(
        [
            "Aan de Minister van Justitie en Veiligheid",
            "Postbus 20301",
            "2500 EH Den Haag",
            "Datum 2 oktober 2024",
            "Onderwerp Verhoren van minderjarige getuigen",
            "Geachte minister,",
            "Minderjarige getuigen wachten gemiddeld zes weken op een verhoor in een studio. Ik",
            "verzoek u het aantal verhoorstudio's uit te breiden.",
            *signature,
        ]
    )
    meta = parse_letter(text).metadata
    assert (meta.signatory, meta.signatory_role, meta.sender) == (signatory, role, sender)
