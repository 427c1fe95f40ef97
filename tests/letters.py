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
