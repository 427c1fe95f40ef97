"""Text of a PDF letter, page by page: bytes in, one string per page out.

Built on pypdfium2 (PDFium; Apache-2.0 / BSD-3-Clause). ``docs/pdf-libraries.md`` compares it
with pypdf, pdfminer.six and PyMuPDF on the development corpus: PDFium's text comes closest to
``pdftotext -raw`` (content-stream order, lines as printed), it is the fastest, and it has the
most permissive licence.

The output mimics ``pdftotext -raw``: lines as printed, ``\\n`` line breaks, single spaces, no
blanks around a line and no blank lines, an end-of-line hyphen kept at the end of its line. The
letterhead side column comes wherever the PDF stores it, usually after the body of the page.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from bot.core.models import LetterError

__all__ = [
    "MAX_PAGE_CHARS",
    "MAX_PAGE_OBJECTS",
    "MAX_TOTAL_CHARS",
    "MIN_TEXT_LETTERS",
    "PDFIUM_LOCK",
    "extract_pdf_pages",
]

#: A page with more characters than this is not a page of a letter (about 50 times a full page).
MAX_PAGE_CHARS = 200_000
#: A page made of more drawing objects than this is not a letter page (the corpus has at most
#: about 500). Checked before PDFium builds the page's text index, the most costly step.
MAX_PAGE_OBJECTS = 50_000
#: Upper bound for the text of a whole document.
MAX_TOTAL_CHARS = 2_000_000
#: With fewer letters (alphabetic characters) than this over all pages there is no text layer.
MIN_TEXT_LETTERS = 20

# PDFium is not thread-safe: no two threads may call into it at the same time, not even for
# different documents (pypdfium2 documentation, "Incompatibility with Threading"; doing so can
# crash the process). Every PDFium call in this module is made while holding this lock, and every
# PDFium object is closed explicitly before the lock is released, so that no garbage-collector
# finaliser calls into PDFium later from some other thread. Any other code in briefbot that uses
# pypdfium2 must hold this same lock.
PDFIUM_LOCK = threading.Lock()

_MAGIC = b"%PDF-"
_MAGIC_WINDOW = 1024  # the PDF header may be preceded by junk (Acrobat allows 1024 bytes)
_EOF_WINDOW = 2048  # ``%%EOF`` must be near the end; a cut-off download lacks it

#: PDFium's error codes -> (message key, the reader's sentence).
_PDFIUM_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: (
        "pdf_password",
        "This PDF is password-protected; remove the password and try again.",
    ),
    pdfium_c.FPDF_ERR_SECURITY: (
        "pdf_encrypted",
        "This PDF is encrypted with an unsupported method; save an unprotected copy and try again.",
    ),
    pdfium_c.FPDF_ERR_FORMAT: (
        "pdf_damaged",
        "This PDF is damaged and cannot be read; try another copy.",
    ),
    pdfium_c.FPDF_ERR_FILE: (
        "pdf_damaged",
        "This PDF cannot be read (damaged or incomplete); try another copy.",
    ),
}

# What a file that is not a PDF looks like, by its first bytes.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (perhaps a .docx, .odt or .zip file)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office file (perhaps a .doc)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"%!PS", "a PostScript file"),
)

_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<meta", b"<title")
_SPACE_RUN = re.compile(r"[ \t]{2,}")
# Characters that end a line; PDFium writes ``\r\n``.
_LINE_ENDS = re.compile("\r\n?|[\v\f\x1c-\x1e\x85\u2028\u2029]")
# Control characters (Cc) apart from ``\n``, and the non-characters U+FFFF and U+FFFE. PDFium
# writes U+FFFE for a hyphen at the end of a line, and then omits the line break; that case is
# rewritten to ``-\n`` before this pattern is applied.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_LETTER = re.compile(r"[^\W\d_]")


def extract_pdf_pages(data: bytes, *, max_pages: int = 500, max_seconds: float = 30.0) -> list[str]:
    """Text of each page, in order.

    Raises ``bot.core.models.LetterError`` with a clear, one-line, human message when the bytes
    are not a readable PDF letter: not a PDF at all, password-protected, damaged or cut off, no
    pages or too many, no text layer, too much text, or too slow to read.

    ``max_pages``: refuse a document with more pages than this. ``max_seconds``: give up once
    reading has taken this long (checked between pages; one page cannot be interrupted). A call
    waits at most another ``max_seconds`` for a call in another thread to finish.
    """
    data = bytes(data)
    _check_is_pdf(data)
    wait = min(max(max_seconds, 0.0), threading.TIMEOUT_MAX)
    if not PDFIUM_LOCK.acquire(timeout=wait):
        raise LetterError(
            "pdf_busy", "The PDF reader is busy with other files; try again in a minute."
        )
    try:
        raw_pages = _extract_locked(data, max_pages=max_pages, max_seconds=max_seconds)
    finally:
        PDFIUM_LOCK.release()
    pages = [_normalise(text) for text in raw_pages]
    if sum(len(_LETTER.findall(page)) for page in pages) < MIN_TEXT_LETTERS:
        raise LetterError(
            "pdf_scanned",
            "This PDF has no text layer (scanned?); run OCR first, or upload the text as .txt.",
        )
    return pages


def _check_is_pdf(data: bytes) -> None:
    if not data:
        raise LetterError("file_empty", "The file is empty.")
    if _MAGIC not in data[: _MAGIC_WINDOW + len(_MAGIC)]:
        what = _describe(data)
        if what is None:
            raise LetterError("not_pdf", "This file is not a PDF (it does not start with %PDF-).")
        raise LetterError(
            "not_pdf_like", f"This file is not a PDF: it looks like {what}.", what=what
        )
    tail = data[-64 * 1024 :].rstrip(b"\x00 \t\r\n")  # tolerate padding after the marker
    if b"%%EOF" not in tail[-_EOF_WINDOW:]:
        raise LetterError(
            "pdf_incomplete",
            "This PDF is incomplete (cut off before its end); download or export it again.",
        )


def _describe(data: bytes) -> str | None:
    """What non-PDF bytes look like, for the error message; ``None`` when unknown."""
    head = data[:_MAGIC_WINDOW]
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return what
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(marker in lowered for marker in _HTML_MARKERS):
        return "a web page (HTML), perhaps saved from the browser instead of the PDF itself"
    if lowered.startswith(b"<"):
        return "an XML or HTML file"
    if len(head) == _MAGIC_WINDOW:
        head = head[:-3]  # a multi-byte character may be cut off at the end of the window
    text = head.decode("utf-8", errors="replace")
    printable = sum((ch.isprintable() and ch != "\ufffd") or ch in "\r\n\t" for ch in text)
    if text.strip() and printable >= 0.95 * len(text):
        return "plain text; upload it as .txt instead"
    return None


def _extract_locked(data: bytes, *, max_pages: int, max_seconds: float) -> list[str]:
    """PDFium part; the caller holds ``PDFIUM_LOCK``. ``data`` must stay alive until the end."""
    started = time.monotonic()
    raw_doc = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
    if not raw_doc:
        code = pdfium_c.FPDF_GetLastError()
        raise LetterError(
            *_PDFIUM_ERRORS.get(
                code, ("pdf_damaged", "This PDF is damaged and cannot be read; try another copy.")
            )
        )
    doc = pdfium.PdfDocument(raw_doc)
    opened: list[Any] = []  # pages and text pages, closed in reverse order
    try:
        count = len(doc)
        if count <= 0:
            raise LetterError("pdf_no_pages", "This PDF has no pages.")
        if count > max_pages:
            raise LetterError(
                "pdf_too_big",
                f"This PDF has {count} pages, more than the {max_pages} allowed for a letter.",
            )
        pages: list[str] = []
        total = 0
        for index in range(count):
            _check_time(started, max_seconds, index, count)
            try:
                page = doc[index]
                opened.append(page)
                objects = pdfium_c.FPDFPage_CountObjects(page.raw)
                if objects > MAX_PAGE_OBJECTS:
                    raise LetterError(
                        "pdf_too_big",
                        f"Page {index + 1} of this PDF is made of {objects:,} drawing objects, "
                        f"more than the {MAX_PAGE_OBJECTS:,} allowed; this is not a letter.",
                    )
                _check_time(started, max_seconds, index, count)
                textpage = page.get_textpage()
                opened.append(textpage)
                chars = textpage.count_chars()
            except pdfium.PdfiumError as exc:
                raise LetterError(
                    "pdf_damaged",
                    f"Page {index + 1} of this PDF is damaged and cannot be read; "
                    "try another copy.",
                ) from exc
            if chars > MAX_PAGE_CHARS:
                raise LetterError(
                    "pdf_too_big",
                    f"Page {index + 1} of this PDF holds {chars:,} characters of text, "
                    f"more than the {MAX_PAGE_CHARS:,} allowed; this is not a letter.",
                )
            total += chars
            if total > MAX_TOTAL_CHARS:
                raise LetterError(
                    "pdf_too_big",
                    f"This PDF holds more than {MAX_TOTAL_CHARS:,} characters of text; "
                    "this is not a letter.",
                )
            pages.append(textpage.get_text_range(0, chars) if chars > 0 else "")
            while opened:
                opened.pop().close()
        _check_time(started, max_seconds, count, count)
        return pages
    finally:
        while opened:
            opened.pop().close()
        doc.close()


def _check_time(started: float, max_seconds: float, done: int, count: int) -> None:
    """Raise once the time budget is spent; ``done`` pages of ``count`` have been read."""
    if time.monotonic() - started >= max_seconds:
        where = f" (stopped at page {done + 1} of {count})" if done < count else ""
        raise LetterError(
            "pdf_too_big",
            f"Reading this PDF took longer than {max_seconds:g} seconds{where}; "
            "it is too large or malformed.",
        )


def _normalise(text: str) -> str:
    """PDFium text -> ``pdftotext -raw`` style: ``\\n`` lines, stripped, no blank lines, NFC."""
    text = text.replace("\ufffe", "-\n")  # PDFium's mark for a hyphen at a line end
    text = _LINE_ENDS.sub("\n", text)
    text = text.replace("\t", " ")
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _SPACE_RUN.sub(" ", text)
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
