"""Metadata and annexes on letters of other senders' templates, in every input form.

Each template's rules are tested on the others: the same parser reads a ministry's
Kamerbrief, an advisory board's advice with its annex, an association, a municipality and an
inspectorate, in clean text, damaged text (``bot.core.text.damage``) and a PDF.
"""

from __future__ import annotations

import pytest

from bot.core.models import ParsedLetter
from bot.core.parse import parse_letter
from bot.core.pdf import extract_pdf_pages
from bot.core.text import damage
from bot.core.vocabulary import MONTHS
from tests.letters import ANSWERS_WITH_COVER_LETTER, TEMPLATES, TemplateLetter
from tests.pdf_factory import make_pdf

FIELDS = ("sender", "signatory", "signatory_role", "recipient", "date", "subject", "reference")


def _parse(letter: TemplateLetter, form: str) -> ParsedLetter:
    if form == "clean":
        return parse_letter(letter.text())
    if form == "damaged":
        return parse_letter(letter.damaged())
    pages = extract_pdf_pages(make_pdf(["\n".join(p) for p in letter.pages]))
    return parse_letter("\n\f\n".join(pages), source_kind="pdf")


def _expected(letter: TemplateLetter, field: str, form: str) -> str | None:
    value = letter.expected[field]
    if value is None or form != "damaged":
        return value
    if field == "date":
        return list(MONTHS)[int(value[5:7]) - 1]  # damage keeps the month only
    return damage(value) or None  # a reference of digits only is gone


@pytest.mark.parametrize("form", ["clean", "damaged", "pdf"])
@pytest.mark.parametrize("letter", TEMPLATES, ids=lambda t: t.name)
def test_every_field_is_what_the_letter_states(letter: TemplateLetter, form: str):
    parsed = _parse(letter, form)
    assert parsed.genre == "letter"
    found = {f: getattr(parsed.metadata, f) for f in FIELDS}
    expected = {f: _expected(letter, f, form) for f in FIELDS}
    if form == "damaged":
        # damaged text has no punctuation to tell a name from the function under it in every
        # case: the name and the date must be right, the rest as far as the words allow
        found = {f: (damage(v) if v else v) for f, v in found.items()}
    assert found == expected


@pytest.mark.parametrize("letter", TEMPLATES, ids=lambda t: t.name)
def test_no_letterhead_or_signature_in_the_text(letter: TemplateLetter):
    parsed = parse_letter(letter.text())
    texts = " ".join(s.text for s in parsed.sentences)
    for field in ("signatory", "recipient", "reference"):
        value = letter.expected[field]
        if value:
            assert value not in texts, field
    assert "Postbus" not in texts and "Retouradres" not in texts


@pytest.mark.parametrize("form", ["clean", "damaged", "pdf"])
def test_an_annex_after_the_signature_is_a_section_with_its_pages(form: str):
    (letter,) = [t for t in TEMPLATES if t.annex_heading]
    parsed = _parse(letter, form)
    assert parsed.metadata.signatory is not None  # the signature is still found
    starts = [
        k
        for k, sec in enumerate(parsed.sections)
        if (sec.heading or "").lower().startswith("bijlage")
    ]
    assert len(starts) == 1
    annex = [s for s in parsed.sentences if s.section >= starts[0]]
    assert len(annex) >= 5
    if form != "damaged":  # the damage removed the form feeds; this letter has no page header
        assert all(s.page == 2 for s in annex)
    first = annex[0].text
    if form == "damaged":  # the annex title runs into its first sentence: no line breaks
        assert any(damage(letter.annex_first) in s.text for s in annex[:3])
    else:
        heading = parsed.sections[starts[0]].heading
        assert heading == letter.annex_heading
        assert first == letter.annex_first
        later = [parsed.sections[s.section].heading for s in parsed.sentences[-3:]]
        assert later[-1] == "2. Mantelzorg"
    assert any("maakt zich zorgen" in s.text for s in annex)


@pytest.mark.parametrize("form", ["clean", "pdf"])
def test_answers_sent_with_a_cover_letter(form: str):
    """The cover letter gives the metadata; the answers after it are sections of their own,
    each question and answer apart, on the page where they are printed."""
    letter = ANSWERS_WITH_COVER_LETTER
    parsed = _parse(letter, form)
    assert parsed.genre == "answers"
    assert {f: getattr(parsed.metadata, f) for f in FIELDS} == letter.expected
    headings = [parsed.sections[s.section].heading for s in parsed.sentences]
    assert headings[0] is None  # the cover letter
    assert [h for h in dict.fromkeys(headings) if h and h.startswith(("Vraag", "Antwoord"))] == [
        "Vraag 1",
        "Antwoord 1",
        "Vraag 2",
        "Antwoord 2",
    ]
    titles = [s.heading for s in parsed.sections if s.heading and s.heading.startswith("Antw")]
    assert titles[0].startswith("Antwoorden van de Minister voor Rechtsbescherming op vragen")
    answer = [s for s in parsed.sentences if parsed.sections[s.section].heading == "Antwoord 2"]
    assert answer[0].text.startswith("In de voorjaarsnota is voor de jaren 2024")
    assert answer[0].page == 2
    assert not any("Leeuwen-Tas" in s.text for s in parsed.sentences)


def test_damaged_answers_with_a_cover_letter_keep_the_cover_letters_metadata():
    parsed = _parse(ANSWERS_WITH_COVER_LETTER, "damaged")
    meta = parsed.metadata
    assert meta.signatory == "e.j. van leeuwen tas"
    assert meta.date == "maart"
    assert meta.subject == damage(ANSWERS_WITH_COVER_LETTER.expected["subject"])
    assert any("voorjaarsnota" in s.text for s in parsed.sentences)


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_an_official_signing_on_behalf_of_a_minister(form: str):
    """``De Minister van X, / namens deze, / de directeur-generaal Y, / name``: the official is
    the signatory, in their own function; the minister's ministry is the sender."""
    text = "\n".join(
        [
            "> Retouradres Postbus 20401 2500 EK Den Haag",
            "Aan de Voorzitter van de Tweede Kamer",
            "der Staten-Generaal",
            "Postbus 20018",
            "2500 EA Den Haag",
            "Datum 3 juli 2023",
            "Betreft Stand van zaken regeling energietoeslag",
            "Geachte voorzitter,",
            "Met deze brief informeer ik u over de uitvoering van de energietoeslag. Gemeenten",
            "hebben in 2022 ruim 800.000 huishoudens een toeslag uitgekeerd.",
            "Hoogachtend,",
            "De Minister van Economische Zaken en Klimaat,",
            "namens deze,",
            "de directeur-generaal Energie,",
            "drs. K.A. Bouwman",
        ]
    )
    meta = parse_letter(damage(text) if form == "damaged" else text).metadata
    want = {
        "sender": "Ministerie van Economische Zaken en Klimaat",
        "signatory": "drs. K.A. Bouwman",
        "signatory_role": "directeur-generaal Energie",
        "subject": "Stand van zaken regeling energietoeslag",
    }
    for field, value in want.items():
        assert getattr(meta, field) == (damage(value) if form == "damaged" else value), field


def test_an_address_block_without_aan_or_return_address():
    """An association writes its own address, then the addressee's, then place and date."""
    text = "\n".join(
        [
            "Stichting Buurtzorg Samen",
            "Kerkstraat 14",
            "3811 CV Amersfoort",
            "Ministerie van Volksgezondheid, Welzijn en Sport",
            "t.a.v. de minister voor Medische Zorg",
            "Postbus 20350",
            "2500 EJ Den Haag",
            "Amersfoort, 14 mei 2024",
            "Betreft: Reactie op het wetsvoorstel zorgverzekering",
            "Geachte minister,",
            "Graag reageren wij op het wetsvoorstel. Wij vragen u de verantwoording voor",
            "wijkverpleegkundigen te vereenvoudigen.",
            "Met vriendelijke groet,",
            "Anke de Vries-Bolt",
            "directeur",
        ]
    )
    meta = parse_letter(text).metadata
    assert meta.recipient == (
        "Ministerie van Volksgezondheid, Welzijn en Sport, t.a.v. de minister voor Medische Zorg"
    )
    assert meta.sender == "Stichting Buurtzorg Samen"
    assert (meta.signatory, meta.signatory_role) == ("Anke de Vries-Bolt", "directeur")
    assert meta.date == "2024-05-14"


@pytest.mark.parametrize("form", ["clean", "damaged"])
def test_a_minister_signing_also_on_behalf_of_another(form: str):
    text = "\n".join(
        [
            "> Retouradres Postbus 20301 2500 EH Den Haag",
            "Aan de Voorzitter van de Tweede Kamer",
            "der Staten-Generaal",
            "Postbus 20018",
            "2500 EA Den Haag",
            "Datum 3 juli 2023",
            "Onderwerp Aanpak van online kindermisbruik",
            "Geachte voorzitter,",
            "Met deze brief informeer ik u over de aanpak van online kindermisbruik. Ik verzoek",
            "hostingbedrijven meldingen binnen een dag af te handelen.",
            "De Minister van Justitie en Veiligheid,",
            "mede namens de Minister voor Primair en Voortgezet Onderwijs,",
            "D. Yilmaz-Verhoef",
        ]
    )
    meta = parse_letter(damage(text) if form == "damaged" else text).metadata
    want = {
        "sender": "Ministerie van Justitie en Veiligheid",
        "signatory": "D. Yilmaz-Verhoef",
        "signatory_role": "Minister van Justitie en Veiligheid",
    }
    for field, value in want.items():
        assert getattr(meta, field) == (damage(value) if form == "damaged" else value), field
