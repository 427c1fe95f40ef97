"""Hostile PDFs: encrypted, truncated, zero or thousands of pages, decompression and object
bombs, page-tree loops, and files that are really HTML or ZIP. Each is refused quickly with a
clear one-line message, and the bombs that make PDFium itself take gigabytes are read in a
child process whose memory is capped, so this process stays small.

The builders here are also used by ``bench/fuzz.py``.
"""

from __future__ import annotations

import io
import resource
import zlib
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.core.models import LetterError
from bot.core.pdf import PDFIUM_LOCK, extract_pdf_pages
from bot.services.letters import extract_pdf_isolated, parse_bytes
from bot.services.letters.pdf_reader import WORKER_MEMORY, PdfReaders
from tests.letters import HandmadeLetter
from tests.pdf_factory import make_pdf

MiB = 1024 * 1024
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
LETTER_PAGES = [
    page.replace("\u2019", "'") for page in HandmadeLetter().text().split("\f") if page.strip()
]


# --------------------------------------------------------------------------- builders


def build(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF with these object bodies (numbered from 1) and an exact cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode() + b"0000000000 65535 f\r\n"
    out += b"".join(f"{o:010d} 00000 n\r\n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\n".encode()
    return bytes(out + f"startxref\n{xref}\n%%EOF\n".encode())


def stream(data: bytes, *, compress: bool = True, extra: bytes = b"") -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        extra = b"/Filter /FlateDecode " + extra
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), extra, data)


def one_page(content: bytes, *, compress: bool = True, count: int = 1) -> bytes:
    """One A4 page drawing ``content``; ``count`` is what the page tree claims."""
    return build(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count %d >>" % count,
            FONT,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
            b" /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
            stream(content, compress=compress),
        ]
    )


def form_fanout(levels: int, fan: int) -> bytes:
    """A page that draws form 1, which draws form 2 ``fan`` times, ... : ``fan ** levels``
    drawings from a file of a few kilobytes (a "billion laughs" for PDF)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        FONT,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources"
        b" << /XObject << /X 5 0 R >> /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + levels),
    ]
    for i in range(levels):
        last = i == levels - 1
        body = b"BT /F1 9 Tf (ab) Tj ET" if last else b"/Y Do " * fan
        inner = b"" if last else b"/XObject << /Y %d 0 R >> " % (6 + i)
        objects.append(
            stream(
                body,
                compress=False,
                extra=b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources"
                b" << /Font << /F1 3 0 R >> " + inner + b">> ",
            )
        )
    objects.append(stream(b"/X Do", compress=False))
    return build(objects)


def encrypted(data: bytes, *, user_password: str, algorithm: str = "AES-128") -> bytes:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user_password, owner_password="eigenaar", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def letter_pdf() -> bytes:
    return make_pdf(LETTER_PAGES)


def hostile_pdfs() -> dict[str, tuple[Callable[[], bytes], str]]:
    """Name -> (builder, a word the refusal must contain). Cheap enough for any process."""
    letter = letter_pdf()
    return {
        "password": (lambda: encrypted(letter, user_password="geheim"), "password"),
        "truncated": (lambda: letter[: len(letter) // 2], "incomplete"),
        "truncated-early": (lambda: letter[:40], "incomplete"),
        "no-eof-marker": (lambda: letter.replace(b"%%EOF", b""), "incomplete"),
        "corrupt-body": (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", "damaged"),
        "zero-pages": (lambda: make_pdf([]), "no pages"),
        "3000-pages": (lambda: make_pdf(["Pagina met tekst over de opvang."] * 3000), "3000"),
        "count-lies": (lambda: one_page(b"BT /F1 11 Tf (Geachte) Tj ET", count=10**9), "PDF"),
        "page-tree-loop": (
            lambda: build(
                [
                    b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                    b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
                ]
            ),
            "PDF",
        ),
        "nested-arrays": (lambda: one_page(b"[" * 100_000 + b"]" * 100_000), "text layer"),
        "flate-bomb": (lambda: one_page(b" " * (64 * MiB)), "text layer"),
        "text-object-bomb": (
            lambda: one_page(b"BT /F1 11 Tf 72 770 Td " + b"(aaaa) Tj\n" * 200_000 + b"ET"),
            "drawing objects",
        ),
        "scanned": (lambda: make_pdf(["", ""]), "text layer"),
        "html": (lambda: b"<!DOCTYPE html><html><body><p>Geachte heer,</p></body></html>", "HTML"),
        "zip": (lambda: b"PK\x03\x04\x14\x00\x08\x00" + bytes(200), "ZIP"),
        "docx-ish": (lambda: b"PK\x03\x04" + b"word/document.xml" + bytes(100), "ZIP"),
        "png": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG"),
        "plain-text": (lambda: b"Geachte heer, dit is een brief.\n" * 20, "plain text"),
        "empty": (lambda: b"", "empty"),
    }


def deflate_repeated(unit: bytes, total: int) -> bytes:
    """zlib data that inflates to ``unit`` repeated ``total`` bytes long, made without
    compressing ``total`` bytes: one block of 1 MiB, compressed once and repeated (a full
    flush makes each block stand alone), then the end of the stream and its checksum."""
    chunk = unit * max(1, MiB // len(unit))
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: header and checksum below
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    n = max(1, total // len(chunk))
    end = comp.flush(zlib.Z_FINISH)
    adler = 1
    for _ in range(n):
        adler = zlib.adler32(chunk, adler)
    return b"\x78\xda" + block * n + end + adler.to_bytes(4, "big")


def double_flate_page(unit: bytes, total: int) -> bytes:
    """One page whose content stream is compressed twice and inflates to ``total`` bytes of
    ``unit``: a few kilobytes on disk."""
    outer = zlib.compress(deflate_repeated(unit, total), 9)
    return build(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            FONT,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
            b" /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
            b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n%s\nendstream"
            % (len(outer), outer),
        ]
    )


#: The files of issue 15 that grew ``briefbot ingest`` to gigabytes: only for a capped child.
def gigabyte_bombs() -> dict[str, Callable[[], bytes]]:
    return {
        "rectangles-1GiB": lambda: double_flate_page(b"1 1 1 1 re f\n", 1024 * MiB),
        "text-objects-1GiB": lambda: double_flate_page(
            b"BT /F1 9 Tf (mensenhandel) Tj ET\n", 1024 * MiB
        ),
        "spaces-1GiB": lambda: double_flate_page(b" ", 1024 * MiB),
        "forms-8-levels": lambda: form_fanout(8, 10),  # 100 million drawings from 2.5 KB
    }


def test_the_bomb_builder_inflates_to_what_it_says():
    data = deflate_repeated(b"abc\n", 3 * MiB)
    assert len(data) < 20_000
    assert zlib.decompress(data) == b"abc\n" * (3 * MiB // 4)


#: Built to exhaust PDFium's memory while it loads a page: only for a capped child process.
def memory_bombs() -> dict[str, Callable[[], bytes]]:
    return {
        "form-fanout": lambda: form_fanout(6, 20),  # 64 million drawings from 2 KB
        "path-bomb": lambda: one_page(b"0 0 m 1 1 l S\n" * 3_000_000),  # 3 M paths, 80 KB
    }


def refusal(fn: Callable[[], object]) -> str:
    with pytest.raises(LetterError) as caught:
        fn()
    message = str(caught.value)
    assert message.strip() and "\n" not in message and len(message) <= 300, message
    return message


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", sorted(hostile_pdfs()))
def test_hostile_pdf_is_refused_in_process_with_a_clear_message(name: str):
    build_it, expected = hostile_pdfs()[name]
    data = build_it()
    message = refusal(lambda: extract_pdf_pages(data))
    assert expected.lower() in message.lower(), message
    assert not PDFIUM_LOCK.locked()


@pytest.mark.parametrize("name", ["password", "truncated", "zero-pages", "html", "zip"])
def test_hostile_pdf_is_refused_the_same_way_through_the_upload_path(name: str):
    build_it, expected = hostile_pdfs()[name]
    for upload_name in ("brief.pdf", "brief.txt"):  # the name does not decide
        message = refusal(lambda n=upload_name: parse_bytes(build_it(), name=n, isolate=True))
        if name in ("html", "zip") and upload_name == "brief.txt":
            assert "binary" in message or "Dutch" in message or "letter" in message, message
        else:
            assert expected.lower() in message.lower(), message


def test_an_owner_password_alone_does_not_stop_reading():
    data = encrypted(letter_pdf(), user_password="", algorithm="AES-256")
    letter = parse_bytes(data, name="brief.pdf", isolate=True)
    assert len(letter.sentences) >= 5


def test_a_real_letter_pdf_reads_the_same_isolated_or_not():
    data = letter_pdf()
    assert extract_pdf_isolated(data) == extract_pdf_pages(data)
    letter = parse_bytes(data, name="brief.txt", isolate=True)  # a PDF named .txt
    assert letter.source_kind == "pdf" and len(letter.sentences) >= 5


@pytest.mark.parametrize("name", sorted(memory_bombs()))
def test_memory_bombs_cost_a_capped_child_not_this_process(name: str):
    data = memory_bombs()[name]()
    assert len(data) < 200_000  # a few kilobytes that ask for gigabytes
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    message = refusal(lambda: extract_pdf_isolated(data, max_memory=256 * MiB, max_seconds=20))
    assert "memory" in message or "drawing objects" in message, message
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert grown < 64, f"this process grew by {grown:.0f} MiB"


def test_a_child_that_takes_too_long_is_stopped():
    message = refusal(lambda: extract_pdf_isolated(letter_pdf(), max_seconds=0.0))
    assert "longer than" in message


# --------------------------------------------------------------------------- mutations


@st.composite
def mutated_pdfs(draw: st.DrawFn) -> bytes:
    data = bytearray(letter_pdf())
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.integers(0, 4))
        # mostly behind the header and before the end marker, so PDFium gets to read it
        at = draw(st.integers(0, len(data)) | st.integers(16, max(16, len(data) - 8)))
        if op == 0 and at < len(data):  # flip a byte
            data[at] = draw(st.integers(0, 255))
        elif op == 1:  # delete a stretch
            del data[at : at + draw(st.integers(1, 200))]
        elif op == 2:  # insert junk or PDF syntax
            piece = draw(
                st.one_of(
                    st.binary(max_size=40),
                    st.sampled_from(
                        [b"<<", b">>", b"[", b"]", b"obj", b"endobj", b"stream", b"R", b"%%EOF",
                         b"/Filter /FlateDecode", b"/Count 99999999", b"/Length 0", b"9 0 R",
                         b"/Type /Pages", b"xref", b"trailer", b"\x00", b"-1", b"1e308"]
                    ),
                )
            )  # fmt: skip
            data[at:at] = piece
        elif op == 3:  # cut the end
            del data[at:]
        else:  # change a number
            digits = [i for i, b in enumerate(data) if 48 <= b <= 57]
            if digits:
                data[draw(st.sampled_from(digits))] = draw(st.integers(48, 57))
    return bytes(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_pdfs())
def test_mutated_pdfs_are_read_or_refused(data: bytes):
    try:
        pages = extract_pdf_pages(data, max_seconds=10)
    except LetterError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message
        event(" ".join(message.split()[:4]))
        return
    event("read")
    assert isinstance(pages, list) and all(isinstance(p, str) for p in pages)
    for page in pages:
        page.encode("utf-8")


def test_reader_children_are_reused_and_one_that_failed_never_is():
    readers = PdfReaders()
    args = {"max_pages": 500, "max_seconds": 30.0, "max_memory": WORKER_MEMORY}
    try:
        letter = letter_pdf()
        pages = readers.read(letter, **args)
        (child,) = readers._idle
        assert readers.read(letter, **args) == pages
        assert readers._idle == [child] and child.served == 2  # one process, two files
        assert "password" in refusal(lambda: readers.read(hostile_pdfs()["password"][0](), **args))
        assert readers._idle == [child]  # a refusal leaves the child fine
        message = refusal(lambda: readers.read(gigabyte_bombs()["spaces-1GiB"](), **args))
        assert "memory" in message
        assert child.proc.poll() is not None and child not in readers._idle
        assert readers.read(letter, **args) == pages  # a fresh child reads on
    finally:
        readers.close()
    assert all(c.proc.poll() is not None for c in [child, *readers._idle])
