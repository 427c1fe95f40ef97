"""Documents for followed-source tests: generated letters as PDFs and text (no ../shared
needed), and the real letters of ``../shared/corpus/letters`` when they are there."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tests.corpus import corpus_dir
from tests.letters import HandmadeLetter
from tests.pdf_factory import make_pdf

PLACES = (
    "Groningen Leeuwarden Assen Zwolle Lelystad Arnhem Utrecht Haarlem Middelburg Maastricht "
    "Eindhoven Tilburg Breda Nijmegen Enschede Deventer Almere Amersfoort Leiden Delft "
    "Dordrecht Zaandam Alkmaar Hoorn Venlo Roermond Heerlen Emmen Hengelo Apeldoorn Ede Gouda "
    "Schiedam Vlaardingen Purmerend Hilversum Zeist Oss Helmond Kampen"
).split()
MONTHS = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()
TOPICS = (
    "opvang van slachtoffers", "toezicht op de prostitutiebranche", "aanpak van loverboys",
    "bescherming van minderjarige vreemdelingen", "arbeidsuitbuiting in de landbouw",
)  # fmt: skip


def letter_text(i: int, *, version: int = 1) -> str:
    """A distinct letter (its own subject, date and recommendations) about trafficking."""
    place = PLACES[i % len(PLACES)]
    topic = TOPICS[i % len(TOPICS)]
    letter = HandmadeLetter(
        subject=f"Voortgang {topic} in {place}",
        date=f"{1 + i % 27} {MONTHS[i % 12]} 2025",
        reference=f"MH-{1000 + i}",
    )
    letter.page2 = [
        *letter.page2,
        f"Ik verzoek u de {topic} in {place} met voorrang te versterken en de gemeente {place} "
        "daarbij te betrekken.",
        f"Daarnaast beveel ik aan in {place} een meldpunt voor slachtoffers van mensenhandel in "
        "te richten.",
        f"In {place} werden vorig jaar {10 + i} mogelijke slachtoffers gemeld bij het "
        "coördinatiecentrum.",
        *(
            [f"Deze brief is bijgewerkt: versie {version} vervangt de vorige versie voor {place}."]
            if version > 1
            else []
        ),
    ]
    return letter.text()


def letter_pdf(i: int, *, version: int = 1) -> bytes:
    pages = [p for p in letter_text(i, version=version).split("\f") if p.strip()]
    return make_pdf(pages)


def blank_pdf() -> bytes:
    """A PDF without text (a scan)."""
    return make_pdf(["", ""])


@dataclass(frozen=True)
class CorpusLetter:
    id: str
    date: date
    title: str
    pdf: Path


def corpus_pdfs() -> list[CorpusLetter]:
    """The corpus's real PDFs with their dates; [] when ../shared is not there."""
    folder = corpus_dir()
    if folder is None:
        return []
    out = []
    with (folder / "index.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            pdf = folder / f"{row['id']}.pdf"
            if pdf.is_file():
                out.append(CorpusLetter(row["id"], date.fromisoformat(row["date"]), row["title"],
                                        pdf))  # fmt: skip
    return out
