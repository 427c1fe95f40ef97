"""Tiny, valid PDFs for tests, written by hand: no PDF library needed.

``make_pdf(["Page one\\nsecond line", "Page two"])`` gives a PDF with one A4 page per string,
each line of a string printed as one line of 11 pt Helvetica (WinAnsiEncoding, so ``é ë ï ö``
and the rest of Windows-1252 work). An empty string gives a page without text; an empty list a
document with zero pages. The cross-reference table has exact offsets, so strict readers accept
the file without repairing it.
"""

from __future__ import annotations

__all__ = ["make_pdf"]

_FONT_SIZE = 11
_LEADING = 14
_LEFT = 72
_TOP = 770
_MEDIA_BOX = "[0 0 595 842]"  # A4 in points


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsiEncoding (practically Windows-1252)."""
    raw = text.encode("cp1252")
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def _content(text: str) -> bytes:
    lines = text.split("\n") if text else []
    if not lines:
        return b""
    ops = [
        b"BT",
        f"/F1 {_FONT_SIZE} Tf {_LEADING} TL {_LEFT} {_TOP} Td".encode("ascii"),
    ]
    for number, line in enumerate(lines):
        if number:
            ops.append(b"T*")
        ops.append(_pdf_string(line) + b" Tj")
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


def make_pdf(pages: list[str]) -> bytes:
    """A PDF 1.4 file with one page per string in ``pages``."""
    # Object numbers: 1 catalog, 2 page tree, 3 font, then per page: page, content stream.
    page_ids = [4 + 2 * index for index in range(len(pages))]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        (
            "<< /Type /Pages /Kids ["
            + " ".join(f"{pid} 0 R" for pid in page_ids)
            + f"] /Count {len(pages)} >>"
        ).encode("ascii"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for pid, text in zip(page_ids, pages, strict=True):
        objects.append(
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox {_MEDIA_BOX}"
                f" /Resources << /Font << /F1 3 0 R >> >> /Contents {pid + 1} 0 R >>"
            ).encode("ascii")
        )
        stream = _content(text)
        objects.append(
            f"<< /Length {len(stream)} >>\nstream\n".encode("ascii") + stream + b"endstream"
        )

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # binary comment: "this file is binary"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode("ascii")
    out += b"0000000000 65535 f\r\n"  # every entry is exactly 20 bytes
    for offset in offsets:
        out += f"{offset:010d} 00000 n\r\n".encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode("ascii")
    out += f"startxref\n{xref_at}\n%%EOF\n".encode("ascii")
    return bytes(out)
