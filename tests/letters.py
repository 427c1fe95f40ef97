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
