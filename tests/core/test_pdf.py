"""bot.core.pdf: text per page from PDF bytes, and clear refusals of everything else.

The PDFs are built in the tests (tests/pdf_factory.py), so this suite needs no files; the
corpus test at the end runs only where ../shared/corpus/letters exists.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.core import pdf as pdf_module
from bot.core.models import LetterError
from bot.core.pdf import extract_pdf_pages
from tests.corpus import SKIP_REASON
from tests.pdf_factory import make_pdf

LETTER_PAGES = [
    "Geachte voorzitter,\nHierbij stuur ik u mijn reactie op het wetsvoorstel.",
    "Pagina 2 van 3\nDe coördinatie van de aanpak is van belang.",
    "Pagina 3 van 3\nHoogachtend,\nde Nationaal Rapporteur",
]


def _encrypted(data: bytes, *, user_password: str) -> bytes:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user_password, owner_password="eigenaar")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _refusal(data: bytes, *, max_pages: int = 500, max_seconds: float = 30.0) -> str:
    """The message of the LetterError that ``data`` raises; checks it reads as one sentence."""
    with pytest.raises(LetterError) as caught:
        extract_pdf_pages(data, max_pages=max_pages, max_seconds=max_seconds)
    message = str(caught.value)
    assert "\n" not in message, "error messages are one line"
    assert message[:1].isupper() and message.endswith("."), "messages are sentences"
    return message


# --- text --------------------------------------------------------------------------------------


def test_pages_in_order_with_lines_as_printed() -> None:
    assert extract_pdf_pages(make_pdf(LETTER_PAGES)) == LETTER_PAGES


def test_accents_come_out_composed() -> None:
    text = "Coördinatie, geïnteresseerd, één ruïne, café, reünie: ë ï ö é è à ç."
    [page] = extract_pdf_pages(make_pdf([text]))
    assert page == text
    assert unicodedata.is_normalized("NFC", page)


def test_pdf_string_escapes_survive() -> None:
    text = "Artikel 273f (lid 1) van het Wetboek van Strafrecht \\ bijlage"
    assert extract_pdf_pages(make_pdf([text])) == [text]


def test_a_blank_page_between_text_pages_is_kept_as_empty() -> None:
    pages = extract_pdf_pages(make_pdf([LETTER_PAGES[0], "", LETTER_PAGES[2]]))
    assert pages == [LETTER_PAGES[0], "", LETTER_PAGES[2]]


def test_header_after_leading_junk_is_accepted() -> None:
    data = b"\r\n" + make_pdf(LETTER_PAGES)  # PDF readers allow junk before %PDF-
    assert extract_pdf_pages(data) == LETTER_PAGES


def test_bytearray_and_memoryview_are_accepted() -> None:
    data = make_pdf(LETTER_PAGES)
    assert extract_pdf_pages(bytearray(data)) == LETTER_PAGES  # type: ignore[arg-type]
    assert extract_pdf_pages(memoryview(data)) == LETTER_PAGES  # type: ignore[arg-type]


def test_normalisation() -> None:
    normalise = pdf_module._normalise
    raw = (
        "  Een  regel \r\n\r\n \r\nmet\tNUL\x00 en bel\x07.\r\nGGZ\ufffeaanbieders e\u0301e\u0301n"
    )
    assert normalise(raw) == "Een regel\nmet NUL en bel.\nGGZ-\naanbieders één"
    assert normalise("a\rb\fc\u2028d") == "a\nb\nc\nd"
    assert normalise("") == ""


def test_owner_password_only_is_readable() -> None:
    # Encrypted, but opens without a password (only permissions are restricted): readable.
    data = _encrypted(make_pdf(LETTER_PAGES), user_password="")
    assert b"/Encrypt" in data
    assert extract_pdf_pages(data) == LETTER_PAGES


def test_safe_to_call_from_many_threads() -> None:
    documents = [make_pdf(LETTER_PAGES), make_pdf(LETTER_PAGES[::-1]), make_pdf(["Één " * 40])]
    expected = [extract_pdf_pages(data) for data in documents]
    jobs = list(itertools.islice(itertools.cycle(range(len(documents))), 60))
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: (i, extract_pdf_pages(documents[i])), jobs))
    assert all(pages == expected[i] for i, pages in results)


# --- refusals ----------------------------------------------------------------------------------


def test_password_protected_is_refused() -> None:
    message = _refusal(_encrypted(make_pdf(LETTER_PAGES), user_password="geheim"))
    assert "password" in message


def test_truncated_is_refused() -> None:
    data = make_pdf(LETTER_PAGES)
    for cut in (len(data) // 2, len(data) - 10, 40):
        message = _refusal(data[:cut])
        assert "incomplete" in message


def test_corrupt_is_refused() -> None:
    message = _refusal(b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")
    assert "damaged" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<!DOCTYPE html>\n<html><head><title>Brief</title></head><body></body></html>", "HTML"),
        (b"\xef\xbb\xbf  <html lang='nl'><body>Niet gevonden</body></html>", "HTML"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "ZIP"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Microsoft Office"),
        ("Geachte voorzitter, één brief als tekst.\n".encode() * 50, "plain text"),
        (bytes(range(256)) * 8, "does not start with %PDF-"),
    ],
)
def test_not_a_pdf_says_what_it_looks_like(data: bytes, expected: str) -> None:
    message = _refusal(data)
    assert message.startswith("This file is not a PDF")
    assert expected in message


def test_pdf_magic_after_the_first_kilobyte_is_not_a_pdf() -> None:
    message = _refusal(b" " * 2000 + make_pdf(LETTER_PAGES))
    assert "not a PDF" in message


def test_empty_file_is_refused() -> None:
    assert "empty" in _refusal(b"")


def test_zero_pages_is_refused() -> None:
    assert "no pages" in _refusal(make_pdf([]))


@pytest.mark.parametrize("pages", [[""], ["", "", ""], ["12", "3 4"], ["Pagina 1"]])
def test_no_text_layer_is_refused(pages: list[str]) -> None:
    message = _refusal(make_pdf(pages))
    assert "no text layer (scanned?); run OCR first" in message


def test_too_many_pages_is_refused() -> None:
    data = make_pdf(["Pagina met genoeg tekst om te lezen"] * 6)
    assert len(extract_pdf_pages(data, max_pages=6)) == 6
    message = _refusal(data, max_pages=5)
    assert "6 pages" in message
    assert "5" in message


def test_time_budget_stops_between_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = itertools.count(start=0.0, step=10.0)  # every look at the clock: 10 s later
    monkeypatch.setattr(pdf_module.time, "monotonic", lambda: next(clock))
    message = _refusal(make_pdf(LETTER_PAGES), max_seconds=25.0)
    assert "longer than 25 seconds" in message


def test_zero_time_budget_is_refused() -> None:
    assert "longer than" in _refusal(make_pdf(LETTER_PAGES), max_seconds=0.0)


def test_characters_per_page_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "MAX_PAGE_CHARS", 60)
    long_page = "Deze pagina heeft veel meer dan zestig tekens tekst erop staan."
    message = _refusal(make_pdf([LETTER_PAGES[0][:50], long_page]))
    assert "Page 2" in message
    assert "characters" in message


def test_drawing_objects_per_page_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "MAX_PAGE_OBJECTS", 2)
    message = _refusal(make_pdf(["Een regel met tekst", "Vijf\nregels\ntekst\nop\ndeze pagina"]))
    assert "Page 2" in message
    assert "objects" in message


def test_characters_per_document_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "MAX_TOTAL_CHARS", 100)
    message = _refusal(make_pdf(LETTER_PAGES))
    assert "characters" in message


def test_lock_is_free_after_a_refusal() -> None:
    _refusal(make_pdf([]))
    _refusal(_encrypted(make_pdf(LETTER_PAGES), user_password="geheim"))
    assert not pdf_module.PDFIUM_LOCK.locked()
    assert extract_pdf_pages(make_pdf(LETTER_PAGES)) == LETTER_PAGES


# --- corpus ------------------------------------------------------------------------------------


def _corpus_dir() -> Path | None:
    here = Path(__file__).resolve().parents[2]
    for candidate in (os.environ.get("BRIEFBOT_CORPUS"), here.parent / "shared/corpus/letters"):
        if candidate and (Path(candidate) / "index.csv").is_file():
            return Path(candidate)
    return None


def _lines(page: str) -> str:
    lines = (re.sub(r"\s+", " ", line).strip() for line in page.split("\n"))
    return "\n".join(line for line in lines if line)


@pytest.mark.corpus
def test_corpus_letters_extract_like_pdftotext() -> None:
    corpus = _corpus_dir()
    if corpus is None:
        pytest.skip(SKIP_REASON)
    from rapidfuzz import fuzz

    with (corpus / "index.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        pages = extract_pdf_pages((corpus / f"{row['id']}.pdf").read_bytes())
        assert len(pages) == int(row["pages"]), row["id"]
        reference = (corpus / f"{row['id']}.txt").read_text(encoding="utf-8").split("\f")
        scores = [
            fuzz.ratio(_lines(ref), page) for ref, page in zip(reference, pages, strict=False)
        ]
        assert min(scores) >= 90, (row["id"], scores)
        assert sum(scores) / len(scores) >= 97, (row["id"], scores)
        assert all(page == _lines(page) for page in pages), row["id"]


@pytest.mark.corpus
def test_corpus_end_of_line_hyphen_is_kept() -> None:
    corpus = _corpus_dir()
    if corpus is None:
        pytest.skip(SKIP_REASON)
    pages = extract_pdf_pages((corpus / "P0114D01.pdf").read_bytes())
    assert "op het concept-\nwetsvoorstel" in pages[0]
