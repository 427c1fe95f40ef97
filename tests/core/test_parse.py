"""The parser on the bundled damaged letter and on handmade letters in every input form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.decode import decode_text
from bot.core.models import LetterError
from bot.core.parse import parse_letter
from bot.core.text import damage, fold
from tests.letters import HandmadeLetter

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
# Words that only occur in letterheads, page headers and return addresses.
LAYOUT = re.compile(
    r"\b(?:postbus|contactpersoon|kenmerk|bij beantwoording|retouradres|wilt u slechts|"
    r"pagina \d* ?van)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def bundled():
    (path,) = sorted(BUNDLED.glob("*.txt"))
    return parse_letter(decode_text(path.read_bytes()))


def test_bundled_letter_is_recognised_as_damaged(bundled):
    assert bundled.damaged
    assert bundled.source_kind == "txt"
    assert bundled.pages == 3


def test_bundled_metadata_is_what_the_letter_states(bundled):
    meta = bundled.metadata
    assert meta.date == "april"  # the year was stripped: store what is known, never a guess
    assert meta.subject == "mensenhandel en seksueel geweld tegen kinderen"
    assert meta.signatory == "corinne dettmeijer vermeulen"
    assert meta.sender == "nationaal rapporteur mensenhandel en seksueel geweld tegen kinderen"
    assert meta.salutation == "geachte mevrouw schippers"
    assert meta.closing == "met vriendelijke groet"
    assert meta.recipient and "schippers" in meta.recipient
    assert meta.recipient_role == "informateur"
    assert meta.contact == "mr. m. abelman"
    assert meta.copies == "alle fractievoorzitters in de tweede kamer"
    assert meta.reference is None  # its digits were stripped


def test_page_break_sentence_is_joined_whole(bundled):
    joined = [s for s in bundled.sentences if "terugkomen en binnen het kabinet" in s.text]
    assert len(joined) == 1
    sentence = joined[0]
    assert sentence.text.startswith("ik doe daarom een beroep op u dit onderwerp")
    assert "coördinatie van de aanpak van mensenhandel te beleggen bij de minister" in sentence.text
    assert sentence.page == 1  # cited where it begins
    # the original span is the source text, letterhead and page header included
    assert sentence.original == bundled.original[sentence.start : sentence.end]
    assert "contactpersoon" in sentence.original and "pagina van" in sentence.original


def test_no_layout_text_in_any_sentence(bundled):
    for s in bundled.sentences:
        assert not LAYOUT.search(s.text), s.text
        assert "turfmarkt" not in s.text and "nationaalrapporteur.nl" not in s.text


def test_sections_follow_the_inline_headings(bundled):
    headings = [s.heading for s in bundled.sections]
    assert headings == [None, "mensenhandel", "seksueel geweld tegen kinderen"]
    first_of = {}
    for s in bundled.sentences:
        first_of.setdefault(bundled.sections[s.section].heading, s.text)
    assert first_of["mensenhandel"].startswith("mensenhandel is een ernstige schending")
    assert first_of["seksueel geweld tegen kinderen"].startswith("ieder kind heeft recht")


def test_accent_gaps_are_repaired_and_recorded(bundled):
    repairs = {(r.from_text, r.to_text) for r in bundled.repairs}
    assert ("co rdinatie", "coördinatie") in repairs
    assert ("ge nvesteerd", "geïnvesteerd") in repairs
    assert ("geco rdineerd", "gecoördineerd") in repairs
    assert ("vari teit", "variëteit") in repairs
    texts = " ".join(s.text for s in bundled.sentences)
    assert "co rdinatie" not in texts and "vari teit" not in texts
    for r in bundled.repairs:
        sentence = bundled.sentences[r.sentence - 1]
        assert r.to_text in sentence.text
        assert r.from_text in sentence.original


def test_sentences_are_numbered_in_order_with_offsets(bundled):
    numbers = [s.number for s in bundled.sentences]
    assert numbers == list(range(1, len(numbers) + 1))
    starts = [s.start for s in bundled.sentences]
    assert starts == sorted(starts)
    for s in bundled.sentences:
        assert s.norm == fold(s.text)
        assert 1 <= s.page <= bundled.pages


def test_abbreviations_and_addresses_do_not_split_sentences():
    letter = HandmadeLetter()
    for text in (letter.text(), letter.damaged()):
        parsed = parse_letter(text)
        sentences = [s.text.lower() for s in parsed.sentences]
        assert any(
            s.startswith("mw. dr. a.b. kuipers heeft het onderzoek geleid") for s in sentences
        )
        assert any("www.inspectie" in s and "voor de volledige rapportage" in s for s in sentences)


def test_handmade_letter_clean_and_damaged_give_the_same_sentences():
    letter = HandmadeLetter()
    clean = parse_letter(letter.text())
    damaged = parse_letter(letter.damaged())
    assert not clean.damaged and damaged.damaged
    # Same words in the same order; a heading is a section in one and may open the first
    # sentence in the other (damaged text has no line breaks to mark it).
    assert _flat(clean) == _flat(damaged)
    assert len(clean.sentences) == len(damaged.sentences)
    joined = [s for s in clean.sentences if "zodat gemeenten en zorgaanbieders" in s.text]
    assert len(joined) == 1 and joined[0].page == 1
    assert clean.pages == damaged.pages == 2


def _flat(parsed) -> str:
    parts = []
    section = None
    for s in parsed.sentences:
        if s.section != section:
            section = s.section
            parts.append(parsed.sections[section].heading or "")
        parts.append(s.text)
    return damage(" ".join(parts))


def test_handmade_clean_metadata_keeps_case_and_digits():
    letter = HandmadeLetter()
    meta = parse_letter(letter.text()).metadata
    assert meta.date == "2019-03-14"
    assert meta.reference == "4471-B"
    assert meta.signatory == "Jorien van Dalen-Smit"
    assert meta.sender == "Inspectie Jeugdbescherming en Welzijn"
    assert meta.subject == "Toezicht op de opvang van alleenstaande kinderen"
    assert meta.contact == "drs. K.L. Ouwerkerk"
    assert meta.salutation == "Geachte heer Haverkamp"
    assert meta.copies == "de Tweede Kamer"


def test_clean_headings_are_sections():
    parsed = parse_letter(HandmadeLetter().text())
    assert [s.heading for s in parsed.sections] == [None, "Opvang en begeleiding", "Toezicht"]


def test_footnotes_and_page_numbers_are_not_body_text():
    letter = HandmadeLetter()
    letter.page1 = [
        "Met deze brief informeer ik u over de opvang van kinderen in de grensregio's.1",
        "Ik verzoek u de financiering van deze plaatsen te garanderen, zodat gemeenten en",
        "1",
        "Kamerstukken II 2018/19, 31 839, nr. 612.",
    ]
    parsed = parse_letter(letter.text())
    texts = [s.text for s in parsed.sentences]
    assert not any("Kamerstukken" in t for t in texts)
    assert texts[0].endswith("grensregio's.")
    assert any("zodat gemeenten en zorgaanbieders op tijd kunnen plannen" in t for t in texts)


def test_hyphenated_line_end_is_joined():
    letter = HandmadeLetter()
    letter.page1 = [
        "Het aantal plaatsen in de kleinschalige opvang is gedaald en het concept-",
        "wetsvoorstel biedt geen oplossing. Ik verzoek u om duide-",
        "lijke afspraken met gemeenten te maken.",
    ]
    texts = [s.text for s in parse_letter(letter.text()).sentences]
    assert any("concept-wetsvoorstel biedt" in t or "conceptwetsvoorstel biedt" in t for t in texts)
    assert any("om duidelijke afspraken" in t for t in texts)


def test_clean_text_is_not_changed_by_repair():
    parsed = parse_letter(HandmadeLetter().text())
    assert parsed.repairs == []
    assert any("continuïteit" in s.text for s in parsed.sentences)


def test_letter_without_layout_or_salutation_still_parses_from_its_subject():
    text = (
        "Onderwerp Evaluatie van de meldcode\n"
        "Geachte voorzitter,\n"
        "De meldcode werkt in de praktijk nog onvoldoende. Ik beveel aan de meldcode in 2020 "
        "te evalueren en de resultaten met de Kamer te delen. Daarnaast is meer onderzoek nodig "
        "naar de rol van scholen.\n"
        "Hoogachtend,\n"
        "A. de Wit\n"
        "Directeur Kenniscentrum Veiligheid\n"
    )
    parsed = parse_letter(text)
    assert parsed.metadata.subject == "Evaluatie van de meldcode"
    assert parsed.metadata.signatory == "A. de Wit"
    assert parsed.metadata.closing == "Hoogachtend"
    assert len(parsed.sentences) == 3
    assert parsed.sentences[1].text.startswith("Ik beveel aan de meldcode in 2020")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n\n  ", "empty"),
        ("kort", "too little text"),
        (
            "The quick brown fox jumps over the lazy dog. " * 20,
            "not look like Dutch",
        ),
        (
            "De vergadering begint om tien uur en eindigt om twaalf uur. " * 10,
            "too little text to be a policy document",
        ),
    ],
)
def test_not_a_policy_document_is_refused_with_a_reason(text, reason):
    with pytest.raises(LetterError, match=reason):
        parse_letter(text)


def test_binary_and_broken_encodings_are_refused_by_decoding():
    with pytest.raises(LetterError, match="binary"):
        decode_text(b"\x00\x01\x02PK\x03\x04" * 100)
    with pytest.raises(LetterError, match="empty"):
        decode_text(b"   ")
    # Windows-1252 text is read, not refused
    assert "coördinatie" in decode_text("Geachte heer, de coördinatie.".encode("cp1252"))
