"""Documents that are not letters: answers to parliamentary questions, notes and reports."""

from __future__ import annotations

import re

import pytest

from bot.core.models import LetterError
from bot.core.parse import parse_letter
from bot.core.pdf import extract_pdf_pages
from bot.core.text import damage
from tests.corpus import REPO
from tests.letters import HandmadeAnswers, HandmadeLetter, HandmadeNote
from tests.pdf_factory import make_pdf

KAMERVRAGEN = REPO.parent / "shared/corpus/kamervragen"
# What the parliamentary papers print on every page, never body text.
FOOTER = re.compile(
    r"ah-tk-\d|\bISSN\b|’s-Gravenhage|vergaderjaar \d{4}.\d{4}, Aanhangsel|"
    r"Aanhangsel van de Handelingen|Staten-Generaal|daarop door de regering",
    re.IGNORECASE,
)


def _by_section(parsed) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in parsed.sentences:
        out.setdefault(parsed.sections[s.section].heading or "", []).append(s.text)
    return out


def test_answers_are_accepted_with_question_and_answer_sections():
    parsed = parse_letter(HandmadeAnswers().text())
    assert parsed.genre == "answers"
    sections = _by_section(parsed)
    assert list(sections) == [
        "",  # the header: who asked whom about what, who answered when
        "Vraag 1",
        "Antwoord 1",
        "Vraag 2",
        "Antwoord 2",
        "Vraag 3, 4 en 5",
        "Antwoord 3, 4 en 5",
    ]
    assert sections["Antwoord 1"] == ["Ja."]
    assert sections["Antwoord 2"][0].startswith("In de afgelopen winter zijn 412 van de 5.300")
    assert sections["Vraag 3, 4 en 5"][-1] == "Zo nee, waarom niet?"
    # the answer that crosses the page break is cited on the page where each sentence starts
    pages = {s.text[:20]: s.page for s in parsed.sentences}
    assert pages["In de afgelopen wint"] == 1 and pages["De provincies verlen"] == 2


def test_answers_header_gives_the_metadata():
    doc = HandmadeAnswers()
    meta = parse_letter(doc.text()).metadata
    assert meta.subject == doc.about
    assert meta.date == "2024-02-02"  # answered on
    assert meta.signatory == "Oudshoorn"
    assert meta.signatory_role == "Minister van Infrastructuur en Waterstaat"
    assert meta.sender == "Ministerie van Infrastructuur en Waterstaat"
    assert meta.recipient is None  # the answers have no addressee; who asked is in the text
    assert meta.reference == "ah-tk-20232024-3127"
    assert meta.salutation is None and meta.closing is None
    header = parse_letter(doc.text()).sentences[:2]
    assert header[0].text.startswith(f"Vragen van {doc.asked_by} aan {doc.asked_to}")
    assert header[1].text.startswith("Antwoord van Minister Oudshoorn")


def test_answers_footers_footnotes_and_masthead_are_not_text():
    parsed = parse_letter(HandmadeAnswers().text())
    for s in parsed.sentences:
        assert not FOOTER.search(s.text), s.text
        assert "Dagblad van het Noorden" not in s.text
        assert not s.text.endswith("?1")  # footnote number


def test_damaged_answers_keep_the_blocks_apart():
    parsed = parse_letter(HandmadeAnswers().damaged())
    assert parsed.genre == "answers" and parsed.damaged
    headings = [parsed.sections[s.section].heading for s in parsed.sentences]
    assert headings.count("antwoord") + headings.count("antwoord en") >= 3
    by = _by_section(parsed)
    assert by["antwoord en"][0].startswith("de provincies verlenen de concessies")
    assert all("antwoord" not in t for t in by["vraag"])
    meta = parsed.metadata
    assert meta.signatory == "oudshoorn"
    assert meta.sender == "ministerie van infrastructuur en waterstaat"
    assert meta.date == "februari"
    assert meta.subject == damage(HandmadeAnswers().about)


def test_answers_from_a_pdf_read_like_the_text():
    doc = HandmadeAnswers()
    pages = [p for p in doc.text().split("\f") if p.strip()]
    from_pdf = parse_letter("\n\f\n".join(extract_pdf_pages(make_pdf(pages))), source_kind="pdf")
    from_txt = parse_letter(doc.text())
    assert from_pdf.genre == "answers"
    assert [s.text for s in from_pdf.sentences] == [s.text for s in from_txt.sentences]
    assert [s.heading for s in from_pdf.sections] == [s.heading for s in from_txt.sections]
    assert from_pdf.metadata.signatory == "Oudshoorn"


def test_a_note_gets_its_title_labels_and_sections():
    parsed = parse_letter(HandmadeNote().text())
    assert parsed.genre == "note"
    meta = parsed.metadata
    assert meta.subject == "Evaluatie van de regeling voor mantelzorgers"
    assert parsed.title == meta.subject
    assert meta.date == "2023-09-18"
    assert meta.sender == "programmabureau Zorg Dichtbij"
    assert meta.recipient == "de stuurgroep Informele Zorg"
    assert meta.signatory is None and meta.salutation is None
    sections = _by_section(parsed)
    assert list(sections) == ["Aanleiding", "Uitkomsten", "Voorstel"]
    assert sections["Voorstel"] == [
        "Wij stellen voor het formulier te vereenvoudigen en de wachttijd te halveren."
    ]
    assert not any("Datum" in s.text or "Notitie" in s.text for s in parsed.sentences)


def test_a_long_text_without_letter_frame_is_a_report():
    paragraph = (
        "De gemeente onderzocht in {j} hoe inwoners de dienstverlening ervaren. "
        "Uit de enquête blijkt dat {k} procent tevreden is over de bereikbaarheid. "
        "Het rapport beveelt aan de openingstijden van het loket te verruimen.\n"
    )
    text = "Rapport dienstverlening\n" + "".join(
        paragraph.format(j=2000 + i % 20, k=40 + i % 50) for i in range(120)
    )
    parsed = parse_letter(text)
    assert parsed.genre == "report"
    assert parsed.metadata.subject == "Rapport dienstverlening"
    assert len(parsed.sentences) == 360


def test_a_letter_stays_a_letter_in_every_form():
    letter = HandmadeLetter()
    for text in (letter.text(), letter.damaged()):
        assert parse_letter(text).genre == "letter"


def test_an_adjective_beste_is_not_a_salutation():
    text = (
        "Vragen over de mantelzorg\n"
        "Mantelzorgers doen met de beste bedoelingen veel voor hun naasten. Zij vragen "
        "zelden hulp. De gemeente wil hen beter ondersteunen en start een proef. In de proef "
        "krijgen zij een vast aanspreekpunt.\n"
    )
    parsed = parse_letter(text)
    assert parsed.genre == "note"
    assert parsed.metadata.salutation is None
    assert len(parsed.sentences) == 4


@pytest.mark.parametrize(
    "text",
    [
        "Dit is een test van de brief. " * 3 + "Het is een test van de brief. " * 3,
        "De vergadering is verplaatst naar donderdag. " * 12,
    ],
)
def test_a_text_that_says_almost_nothing_is_refused(text):
    with pytest.raises(LetterError, match="too little text"):
        parse_letter(text)


@pytest.fixture(scope="module")
def kamervragen():
    if not KAMERVRAGEN.is_dir():
        pytest.skip("../shared/corpus/kamervragen not found")
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(KAMERVRAGEN.glob("*.txt"))}


def test_every_kamervragen_document_is_read_as_answers(kamervragen):
    """Structure only (these documents are the outside test set for questions): accepted,
    one section per ``Vraag``/``Antwoord`` line, footers gone, header metadata found."""
    for name, text in kamervragen.items():
        for form, source in (("txt", text), ("damaged", damage(text))):
            parsed = parse_letter(source)
            assert parsed.genre == "answers", (name, form)
            assert parsed.metadata.subject and parsed.metadata.date, (name, form)
            assert parsed.metadata.signatory, (name, form)
        parsed = parse_letter(text)
        lines = re.findall(r"^\f?((?:Vraag|Antwoord) \d[\d, en]*)$", text, re.MULTILINE)
        headings = [s.heading for s in parsed.sections]
        assert [h for h in headings if h and h[0] in "VA"] == lines, name
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", parsed.metadata.date), name
        for s in parsed.sentences:
            assert not FOOTER.search(s.text), (name, s.text)


def test_a_report_with_its_author_on_the_dated_line():
    text = "\n".join(
        [
            "Rapport",
            "Wachttijden in de jeugdbescherming",
            "Stichting Kinderrechten Nederland, maart 2024",
            "Samenvatting",
            "In 2023 wachtten gemiddeld 1.200 kinderen op een jeugdbeschermer. Dat is meer dan in",
            "2022. De stichting beveelt aan de wachttijd wettelijk te begrenzen.",
            "Aanleiding",
            "Kinderen die wachten, krijgen geen hulp. Ouders weten niet waar zij aan toe zijn.",
        ]
    )
    parsed = parse_letter(text)
    assert parsed.genre == "report"
    meta = parsed.metadata
    assert meta.subject == "Wachttijden in de jeugdbescherming"
    assert meta.sender == "Stichting Kinderrechten Nederland"
    assert meta.date == "maart 2024"  # the part the report gives; never a guessed day
    assert meta.signatory is None and meta.recipient is None
    assert [s.heading for s in parsed.sections] == ["Samenvatting", "Aanleiding"]
