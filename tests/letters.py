"""Handmade letters for tests, written in the layout of Dutch government letters.

They are not copies of any real letter: names, addresses and sentences are invented, so a
parser that passes on them does not pass by knowing the bundled letter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.text import damage


@dataclass
class HandmadeLetter:
    """The parts of a letter; ``text()`` lays them out like ``pdftotext -raw`` output."""

    sender: str = "Inspectie Jeugdbescherming en Welzijn"
    signatory: str = "Jorien van Dalen-Smit"
    recipient_lines: list[str] = field(
        default_factory=lambda: ["De minister van Onderwijs en Cultuur", "De heer P.R. Haverkamp"]
    )
    date: str = "14 maart 2019"
    subject: str = "Toezicht op de opvang van alleenstaande kinderen"
    reference: str = "4471-B"
    salutation: str = "Geachte heer Haverkamp,"
    street: str = "Lindengracht 12"
    contact: str = "drs. K.L. Ouwerkerk"
    page1: list[str] = field(
        default_factory=lambda: [
            "Met deze brief informeer ik u over de uitkomsten van ons onderzoek naar de",
            "opvang van alleenstaande kinderen in de grensregio's.",
            "Opvang en begeleiding",
            "Het aantal plaatsen in de kleinschalige opvang is de afgelopen jaren gedaald. Ik",
            "verzoek u daarom de financiering van deze plaatsen voor ten minste drie jaar te",
            "garanderen, zodat gemeenten en",
        ]
    )
    page2: list[str] = field(
        default_factory=lambda: [
            "zorgaanbieders op tijd kunnen plannen. Daarnaast zag ik dat begeleiders",
            "weinig tijd hebben voor overleg met voogden. Ik maak mij ernstig zorgen over de",
            "continuïteit van de begeleiding.",
            "Toezicht",
            "Het toezicht op de naleving van de kwaliteitseisen moet worden versterkt. Zie ook",
            "www.inspectie-jbw.nl of mail naar info@inspectie-jbw.nl voor de volledige rapportage.",
            "Mw. dr. A.B. Kuipers heeft het onderzoek geleid.",
        ]
    )
    closing: str = "Met vriendelijke groet,"
    copies: str | None = "Een afschrift van deze brief zend ik aan de Tweede Kamer."

    def text(self) -> str:
        org = self.sender
        column = [
            self.street,
            "3511 AB Utrecht",
            "Postbus 4120",
            "3502 HC Utrecht",
            "www.inspectie-jbw.nl",
            "Contactpersoon",
            self.contact,
            "Senior inspecteur",
            "T 030 123 45 67",
            "k.ouwerkerk@",
            "inspectie-jbw.nl",
            "Ons kenmerk",
            self.reference,
            "Bij beantwoording de datum",
            "en ons kenmerk vermelden.",
            "Wilt u slechts één zaak in uw",
            "brief behandelen.",
        ]
        page1 = [
            "1",
            "Pagina 1 van 2",
            "> Retouradres Postbus 4120 3502 HC Utrecht",
            *self.recipient_lines,
            "Postbus 16375",
            "2500 BJ Den Haag",
            f"Datum {self.date}",
            f"Onderwerp {self.subject}",
            self.salutation,
            *self.page1,
            *column,
        ]
        header2 = ["Pagina 2 van 2", "Datum", self.date, "Ons kenmerk", self.reference]
        ending = [*([self.copies] if self.copies else []), self.closing, self.signatory, org]
        page2 = [*header2, *self.page2, *ending]
        return "\n".join(page1) + "\n\f" + "\n".join(page2) + "\n\f"

    def damaged(self) -> str:
        return damage(self.text())


@dataclass
class HandmadeAnswers:
    """Answers to written parliamentary questions, laid out like the *Aanhangsel van de
    Handelingen* in ``pdftotext -raw`` output: masthead, header, ``Vraag N`` / ``Antwoord N``
    blocks, footnotes and the series' page footers. Invented names and text."""

    number: int = 3127
    asked_by: str = "het lid Verbeek-Sanders (Partij voor het Platteland)"
    asked_to: str = "de Minister van Infrastructuur en Waterstaat"
    about: str = "het bericht «Veerponten varen te weinig in de winter»"
    asked_on: str = "9 januari 2024"
    answered_by: str = "Minister Oudshoorn (Infrastructuur en Waterstaat)"
    answered_on: str = "2 februari 2024"

    def text(self) -> str:
        footer1 = [
            f"ah-tk-20232024-{self.number}",
            "ISSN 0921 - 7398",
            "’s-Gravenhage 2024 Tweede Kamer, vergaderjaar 2023–2024, Aanhangsel 1",
        ]
        page1 = [
            "Tweede Kamer der Staten-Generaal",
            "2",
            "Vergaderjaar 2023–2024 Aanhangsel van de Handelingen",
            "Vragen gesteld door de leden der Kamer, met de daarop door de",
            "regering gegeven antwoorden",
            str(self.number),
            f"Vragen van {self.asked_by} aan {self.asked_to} over",
            f"{self.about} (ingezonden {self.asked_on}).",
            f"Antwoord van {self.answered_by} (ontvangen {self.answered_on}).",
            "Vraag 1",
            "Bent u bekend met het bericht dat veerponten in de winter minder vaak varen?1",
            "Antwoord 1",
            "Ja.",
            "Vraag 2",
            "Hoeveel overtochten zijn er in de afgelopen winter uitgevallen? Wat was daarvan de",
            "oorzaak?",
            "Antwoord 2",
            "In de afgelopen winter zijn 412 van de 5.300 geplande overtochten uitgevallen. In",
            "de meeste gevallen was ijsgang de oorzaak; in een kleiner aantal gevallen",
            "ontbrak gekwalificeerd personeel.",
            "1",
            "Dagblad van het Noorden, 8 januari 2024.",
            *footer1,
        ]
        page2 = [
            "Vraag 3, 4 en 5",
            "Welke afspraken maakt u met de vervoerders over de dienstregeling? Bent u bereid",
            "de concessie aan te passen? Zo nee, waarom niet?",
            "Antwoord 3, 4 en 5",
            "De provincies verlenen de concessies voor het veervervoer en maken de afspraken",
            "over de dienstregeling. Ik ga met de provincies in overleg over een minimale",
            "dienstregeling in de winter en informeer uw Kamer voor de zomer over de",
            "uitkomst van dat overleg.",
            "Tweede Kamer, vergaderjaar 2023–2024, Aanhangsel 2",
        ]
        return "\n".join(page1) + "\n\f" + "\n".join(page2) + "\n\f"

    def damaged(self) -> str:
        return damage(self.text())


@dataclass
class HandmadeNote:
    """A note without salutation or signature: a title, labelled fields and headed prose."""

    def text(self) -> str:
        return "\n".join(
            [
                "Notitie",
                "Evaluatie van de regeling voor mantelzorgers",
                "Datum: 18 september 2023",
                "Aan: de stuurgroep Informele Zorg",
                "Van: programmabureau Zorg Dichtbij",
                "",
                "Aanleiding",
                "De regeling voor mantelzorgers loopt sinds 2021. In de stuurgroep is afgesproken",
                "de regeling na twee jaar te evalueren. Deze notitie geeft de eerste uitkomsten.",
                "Uitkomsten",
                "Van de 1.240 aanvragen zijn er 1.015 toegekend. Aanvragers vinden het formulier",
                "ingewikkeld en de wachttijd te lang. Gemeenten willen meer ruimte voor maatwerk.",
                "Voorstel",
                "Wij stellen voor het formulier te vereenvoudigen en de wachttijd te halveren.",
            ]
        )


@dataclass
class TemplateLetter:
    """A letter of another sender's template: its pages as printed lines (``pdftotext -raw``
    order: a side column may follow the body of its page) and what its metadata should be.
    ``expected`` holds the clean-text values; a key set to ``None`` is a field the letter
    does not state."""

    name: str
    pages: list[list[str]]
    expected: dict[str, str | None]
    annex_heading: str | None = None  # the heading the annex must get, when it has one
    annex_first: str | None = None  # the first sentence of the annex

    def text(self) -> str:
        return "".join("\n".join(page) + "\n\f" for page in self.pages)

    def damaged(self) -> str:
        return damage(self.text())


_BODY_ZORG = [
    "Uw ministerie heeft ons gevraagd te adviseren over de ondersteuning van ouderen die",
    "thuis wonen. Wij hebben daarvoor gesproken met wijkverpleegkundigen, mantelzorgers",
    "en ouderen zelf.",
    "Het aantal ouderen dat zelfstandig woont en dagelijks hulp nodig heeft, groeit snel.",
    "Wij adviseren u de wijkverpleging meer ruimte te geven om zelf te bepalen welke",
    "zorg nodig is. Onze bevindingen en aanbevelingen staan in de bijlage.",
]

TEMPLATES: list[TemplateLetter] = [
    TemplateLetter(
        name="ministry",
        pages=[
            [
                "> Retouradres Postbus 16375 2500 BJ Den Haag",
                "Aan de Voorzitter van de Tweede Kamer",
                "der Staten-Generaal",
                "Postbus 20018",
                "2500 EA Den Haag",
                "Directie Voortgezet Onderwijs",
                "Rijnstraat 50",
                "Den Haag",
                "Postbus 16375",
                "2500 BJ Den Haag",
                "www.rijksoverheid.nl",
                "Ons kenmerk",
                "41200871",
                "Bijlagen",
                "Geen",
                "Datum 6 februari 2024",
                "Onderwerp Voortgang aanpak lerarentekort in het voortgezet onderwijs",
                "Geachte voorzitter,",
                "Met deze brief informeer ik uw Kamer over de voortgang van de aanpak van het",
                "lerarentekort. Het tekort is het grootst in de grote steden en bij de vakken",
                "wiskunde, Duits en natuurkunde.",
                "Zij-instromers",
                "Het aantal zij-instromers steeg in 2023 tot 2.140. Ik verzoek de schoolbesturen",
                "om zij-instromers in hun eerste jaar een vaste begeleider te geven, zodat minder",
                "van hen voortijdig vertrekken.",
            ],
            [
                "Datum",
                "6 februari 2024",
                "Ons kenmerk",
                "41200871",
                "Pagina 2 van 2",
                "Tot slot",
                "Ik informeer uw Kamer voor de zomer over de resultaten van de regionale aanpak.",
                "Hoogachtend,",
                "de minister van Onderwijs, Cultuur en Wetenschap,",
                "R.H. Brinkhorst-Veenstra",
            ],
        ],
        expected={
            "sender": "Ministerie van Onderwijs, Cultuur en Wetenschap",
            "signatory": "R.H. Brinkhorst-Veenstra",
            "signatory_role": "minister van Onderwijs, Cultuur en Wetenschap",
            "recipient": "de Voorzitter van de Tweede Kamer der Staten-Generaal",
            "date": "2024-02-06",
            "subject": "Voortgang aanpak lerarentekort in het voortgezet onderwijs",
            "reference": "41200871",
        },
    ),
    TemplateLetter(
        name="advisory",
        pages=[
            [
                "Adviescollege Ouderenzorg",
                "Lange Voorhout 9 | 2514 EA Den Haag | www.adviescollege-ouderenzorg.nl",
                "Aan de staatssecretaris van Volksgezondheid, Welzijn en Sport",
                "mevrouw drs. L. Terpstra",
                "Postbus 20350",
                "2500 EJ Den Haag",
                "Den Haag, 2 oktober 2023",
                "Kenmerk: AOZ/2023/114",
                "Betreft: Advies over de ondersteuning van thuiswonende ouderen",
                "Geachte mevrouw Terpstra,",
                *_BODY_ZORG,
                "Met vriendelijke groet,",
                "namens het Adviescollege Ouderenzorg,",
                "prof. dr. J.W. Vermaat",
                "voorzitter",
                "Bijlage: Advies over de ondersteuning van thuiswonende ouderen",
            ],
            [
                "Bijlage",
                "Advies over de ondersteuning van thuiswonende ouderen",
                "Adviescollege Ouderenzorg, oktober 2023",
                "1. Ruimte voor de wijkverpleging",
                "Wijkverpleegkundigen besteden een derde van hun tijd aan registratie. Het",
                "college adviseert de registratie te beperken tot wat voor de zorg zelf nodig is.",
                "Daarnaast beveelt het college aan de indicatie voor ten minste een jaar te laten",
                "gelden.",
                "2. Mantelzorg",
                "Veel mantelzorgers zijn zelf op leeftijd. Het college maakt zich zorgen over het",
                "groeiende aantal mantelzorgers dat overbelast raakt.",
            ],
        ],
        expected={
            "sender": "Adviescollege Ouderenzorg",
            "signatory": "prof. dr. J.W. Vermaat",
            "signatory_role": "voorzitter",
            # the person under the function addressed is not the addressee's name
            "recipient": "de staatssecretaris van Volksgezondheid, Welzijn en Sport",
            "date": "2023-10-02",
            "subject": "Advies over de ondersteuning van thuiswonende ouderen",
            "reference": "AOZ/2023/114",
        },
        annex_heading="Bijlage: Advies over de ondersteuning van thuiswonende ouderen",
        annex_first=("Wijkverpleegkundigen besteden een derde van hun tijd aan registratie."),
    ),
    TemplateLetter(
        name="association",
        pages=[
            [
                "Vereniging van Zorgboerderijen",
                "Stationsplein 4 · 3818 LE Amersfoort · 033 460 12 12",
                "Aan de vaste commissie voor Landbouw, Natuur en Voedselkwaliteit",
                "van de Tweede Kamer",
                "Postbus 20018",
                "2500 EA Den Haag",
                "Amersfoort, 17 januari 2024",
                "Betreft: Inbreng rondetafelgesprek zorglandbouw",
                "Geachte commissieleden,",
                "Op 24 januari spreekt u met het veld over de toekomst van de zorglandbouw. Onze",
                "vereniging telt 1.150 zorgboerderijen, die samen dagbesteding bieden aan ruim",
                "30.000 mensen. Wij vragen u de minister te verzoeken de financiering van",
                "dagbesteding op de boerderij voor ten minste vijf jaar vast te leggen. Wij maken",
                "ons zorgen over het aantal boerderijen dat sinds 2022 is gestopt.",
                "Met vriendelijke groet,",
                "namens het bestuur,",
                "M. de Bruijn-Kaya",
                "voorzitter",
            ]
        ],
        expected={
            "sender": "Vereniging van Zorgboerderijen",
            "signatory": "M. de Bruijn-Kaya",
            "signatory_role": "voorzitter",
            "recipient": (
                "de vaste commissie voor Landbouw, Natuur en Voedselkwaliteit van de Tweede Kamer"
            ),
            "date": "2024-01-17",
            "subject": "Inbreng rondetafelgesprek zorglandbouw",
            "reference": None,
        },
    ),
    TemplateLetter(
        name="municipality",
        pages=[
            [
                "Gemeente Lindenhaven",
                "> Retouradres Postbus 300 9400 AH Lindenhaven",
                "Aan de Minister van Justitie en Veiligheid",
                "Postbus 20301",
                "2500 EH Den Haag",
                "Datum 4 april 2024",
                "Ons kenmerk Z-2024-0412",
                "Behandeld door J. Smeets",
                "Onderwerp Ondermijning in het buitengebied",
                "Geachte heer Van Wijk,",
                "In ons buitengebied worden steeds vaker leegstaande stallen gehuurd voor de",
                "productie van drugs. In 2023 werden 14 drugslabs ontmanteld, tegen 5 in 2021.",
                "Wij verzoeken u de boa's van de gemeente de bevoegdheid te geven om stallen",
                "zonder vergunning te betreden. Het college acht de huidige situatie zorgelijk.",
                "Hoogachtend,",
                "burgemeester en wethouders van Lindenhaven,",
                "de secretaris, de burgemeester,",
                "K. Brouwer mr. P.A. Hoekstra",
            ]
        ],
        expected={
            "sender": "Burgemeester en wethouders van Lindenhaven",
            "signatory": "mr. P.A. Hoekstra",
            "signatory_role": "burgemeester",
            "recipient": "de Minister van Justitie en Veiligheid",
            "date": "2024-04-04",
            "subject": "Ondermijning in het buitengebied",
            "reference": "Z-2024-0412",
        },
    ),
    TemplateLetter(
        name="inspectorate",
        pages=[
            [
                "Inspectie voor de Kinderopvang",
                "> Retouradres Postbus 9100 3500 HC Utrecht",
                "De Minister van Sociale Zaken en Werkgelegenheid",
                "Postbus 90801",
                "2509 LV Den Haag",
                "Datum 12 december 2023",
                "Onderwerp Toezicht op de veiligheid in gastouderopvang",
                "Geachte minister,",
                "De inspectie heeft in 2023 bij 640 gastouders onderzocht of de veiligheid van",
                "kinderen voldoende is geborgd. Bij een op de vijf gastouders ontbrak een actueel",
                "veiligheidsbeleid. De inspectie verwacht van de gastouderbureaus dat zij de",
                "gastouders die zij bemiddelen ten minste eenmaal per jaar bezoeken. Ik vraag u",
                "gemeenten te wijzen op hun taak als toezichthouder.",
                "Met vriendelijke groet,",
                "de inspecteur-generaal voor de Kinderopvang,",
                "drs. H. Wolters-Amrani",
            ]
        ],
        expected={
            "sender": "Inspectie voor de Kinderopvang",
            "signatory": "drs. H. Wolters-Amrani",
            "signatory_role": "inspecteur-generaal voor de Kinderopvang",
            "recipient": "De Minister van Sociale Zaken en Werkgelegenheid",
            "date": "2023-12-12",
            "subject": "Toezicht op de veiligheid in gastouderopvang",
            "reference": None,
        },
    ),
]


#: Answers to parliamentary questions sent as a ministry letter: the cover letter (without a
#: closing formula, signed under the minister's function) and the answers after it.
ANSWERS_WITH_COVER_LETTER = TemplateLetter(
    name="answers-cover-letter",
    pages=[
        [
            "> Retouradres Postbus 20301 2500 EH Den Haag",
            "Aan de Voorzitter van de Tweede Kamer",
            "der Staten-Generaal",
            "Postbus 20018",
            "2500 EA Den Haag",
            "Datum 19 maart 2024",
            "Onderwerp Antwoorden Kamervragen over wachttijden bij de reclassering",
            "Geachte voorzitter,",
            "Hierbij beantwoord ik de vragen van het lid Dekkers (Partij voor Zorg) aan de",
            "Minister voor Rechtsbescherming over wachttijden bij de reclassering (ingezonden",
            "20 februari 2024).",
            "De Minister voor Rechtsbescherming,",
            "E.J. van Leeuwen-Tas",
        ],
        [
            "Antwoorden van de Minister voor Rechtsbescherming op vragen van het lid Dekkers",
            "(Partij voor Zorg) over wachttijden bij de reclassering (ingezonden 20 februari",
            "2024, 2024Z02871)",
            "Vraag 1",
            "Hoe lang wachten veroordeelden gemiddeld op de start van hun toezicht?",
            "Antwoord 1",
            "In 2023 duurde het gemiddeld zes weken voordat het toezicht begon. De",
            "reclassering streeft naar ten hoogste drie weken en neemt daarvoor dit jaar",
            "veertig nieuwe medewerkers aan.",
            "Vraag 2",
            "Bent u bereid de reclassering extra middelen te geven?",
            "Antwoord 2",
            "In de voorjaarsnota is voor de jaren 2024 tot en met 2026 in totaal twaalf",
            "miljoen euro vrijgemaakt voor de reclassering. Ik informeer uw Kamer in het",
            "najaar over de besteding daarvan.",
        ],
    ],
    expected={
        "sender": "Ministerie van Justitie en Veiligheid",
        "signatory": "E.J. van Leeuwen-Tas",
        "signatory_role": "Minister voor Rechtsbescherming",
        "recipient": "de Voorzitter van de Tweede Kamer der Staten-Generaal",
        "date": "2024-03-19",
        "subject": "Antwoorden Kamervragen over wachttijden bij de reclassering",
        "reference": None,
    },
)
