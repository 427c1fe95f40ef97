"""Compare Python PDF text extractors on the letter corpus.

Run from the repository root::

    python bench/pdf_libraries.py [--corpus DIR] [--repeat N] [--summary] [--only LIB ...]

Each library extracts every corpus PDF page by page; the result is compared with the corpus
``.txt`` (``pdftotext -raw``, one form feed per page). Before comparing, the same light clean-up
is applied to every library's output (and to the reference): ``\\r\\n`` -> ``\\n``, runs of
spaces collapsed, lines stripped, blank lines dropped, NFC. Nothing library-specific: the
``pypdfium2`` row keeps PDFium's U+FFFE end-of-line hyphen mark. The ``briefbot`` row is
``bot.core.pdf.extract_pdf_pages`` as shipped (pypdfium2 plus its own normalisation), and
``pypdfium2-bounded`` is PDFium's other text call (``get_text_bounded``) for comparison.

Columns:

- ``pages``: letters whose page count equals ``index.csv``.
- ``total s`` / ``ms/letter`` / ``max ms``: extraction time from bytes to page texts, best of
  ``--repeat`` runs, the runs interleaved across libraries; imports and a warm-up not counted.
  A second table gives time and both similarities per letter (``--summary`` leaves it out).
- ``chars``: rapidfuzz ``fuzz.ratio`` of each page with the reference page, averaged (0-100).
- ``lines``: difflib ratio of each page's line sequence with the reference's, averaged (0-100):
  line breaks and order as printed.
- ``glued`` / ``split``: words the library joins (``slachtoffersverbeteren``) or cuts
  (``slacht offers``) compared with the reference, over the whole corpus.
- ``hyph``: of the reference's end-of-line hyphens, how many stay at the end of a line.
- ``column``: letters whose letterhead side column ("Bij beantwoording ...") sits in the same
  place on page 1 as in the reference (after the body), within 10% of the page's lines.

Exits with status 0 and a note when the corpus is absent.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import difflib
import io
import os
import re
import statistics
import sys
import time
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

Extractor = Callable[[bytes], list[str]]

_SPACE_RUN = re.compile(r"[ \t\u00a0]+")
_LINE_ENDS = re.compile("\r\n?")
_HYPHEN_END = re.compile(r"\w[-\u00ad]$")
_COLUMN_MARK = "bij beantwoording"


# --- the libraries -------------------------------------------------------------------------


def _pypdfium2() -> tuple[str, str, Extractor]:
    import pypdfium2 as pdfium

    def extract(data: bytes) -> list[str]:
        doc = pdfium.PdfDocument(data)
        try:
            out = []
            for index in range(len(doc)):
                page = doc[index]
                textpage = page.get_textpage()
                out.append(textpage.get_text_range())
                textpage.close()
                page.close()
            return out
        finally:
            doc.close()

    return "pypdfium2", "Apache-2.0/BSD-3", extract


def _pypdfium2_bounded() -> tuple[str, str, Extractor]:
    import pypdfium2 as pdfium

    def extract(data: bytes) -> list[str]:
        doc = pdfium.PdfDocument(data)
        try:
            out = []
            for index in range(len(doc)):
                page = doc[index]
                textpage = page.get_textpage()
                out.append(textpage.get_text_bounded())
                textpage.close()
                page.close()
            return out
        finally:
            doc.close()

    return "pypdfium2-bounded", "Apache-2.0/BSD-3", extract


def _pypdf() -> tuple[str, str, Extractor]:
    import pypdf

    def extract(data: bytes) -> list[str]:
        reader = pypdf.PdfReader(io.BytesIO(data))
        return [page.extract_text() for page in reader.pages]

    return "pypdf", "BSD-3", extract


def _pdfminer() -> tuple[str, str, Extractor]:
    from pdfminer.high_level import extract_text

    def extract(data: bytes) -> list[str]:
        # extract_text ends every page with a form feed.
        return extract_text(io.BytesIO(data)).split("\f")[:-1]

    return "pdfminer.six", "MIT", extract


def _pymupdf() -> tuple[str, str, Extractor]:
    import pymupdf

    def extract(data: bytes) -> list[str]:
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            return [page.get_text() for page in doc]

    return "pymupdf", "AGPL-3.0", extract


def _briefbot() -> tuple[str, str, Extractor]:
    from bot.core.pdf import extract_pdf_pages

    return "briefbot", "(pypdfium2)", extract_pdf_pages


LIBRARIES: dict[str, Callable[[], tuple[str, str, Extractor]]] = {
    "pypdfium2": _pypdfium2,
    "pypdfium2-bounded": _pypdfium2_bounded,
    "pypdf": _pypdf,
    "pdfminer.six": _pdfminer,
    "pymupdf": _pymupdf,
    "briefbot": _briefbot,
}


# --- measuring -----------------------------------------------------------------------------


def clean(page: str) -> list[str]:
    """The shared clean-up before comparing: lines, single spaces, no blank lines, NFC."""
    page = unicodedata.normalize("NFC", _LINE_ENDS.sub("\n", page))
    lines = (_SPACE_RUN.sub(" ", line).strip() for line in page.split("\n"))
    return [line for line in lines if line]


def word_changes(ref: list[str], got: list[str]) -> tuple[int, int]:
    """(glued, split): words joined or cut by the extractor, compared with the reference."""
    glued = split = 0
    matcher = difflib.SequenceMatcher(None, ref, got, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or "".join(ref[i1:i2]) != "".join(got[j1:j2]):
            continue
        if j2 - j1 < i2 - i1:
            glued += (i2 - i1) - (j2 - j1)
        elif j2 - j1 > i2 - i1:
            split += (j2 - j1) - (i2 - i1)
    return glued, split


def hyphens_kept(ref_pages: list[list[str]], got_pages: list[list[str]]) -> tuple[int, int]:
    """Of the reference's end-of-line hyphens (``concept-``), how many end a line in ``got``."""
    wanted = kept = 0
    for index, ref_lines in enumerate(ref_pages):
        got_ends = (
            {line.split()[-1] for line in got_pages[index]} if index < len(got_pages) else set()
        )
        for line in ref_lines:
            if _HYPHEN_END.search(line):
                wanted += 1
                kept += line.split()[-1] in got_ends
    return kept, wanted


def column_position(lines: list[str]) -> float | None:
    """Where on the page the letterhead column starts, as a fraction of its lines."""
    for number, line in enumerate(lines):
        if _COLUMN_MARK in line.lower():
            return number / max(1, len(lines))
    return None


@dataclass
class Result:
    name: str
    licence: str
    version: str
    times: dict[str, float] = field(default_factory=dict)
    char_scores: dict[str, float] = field(default_factory=dict)
    line_scores: dict[str, float] = field(default_factory=dict)
    pages_ok: int = 0
    glued: int = 0
    split: int = 0
    hyph_kept: int = 0
    hyph_wanted: int = 0
    column_same: int = 0
    column_letters: int = 0
    failures: list[str] = field(default_factory=list)


def time_all(
    extractors: dict[str, Extractor], letters: list[Letter], repeat: int
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, list[str]]], dict[str, list[str]]]:
    """Best-of-``repeat`` time and output per library and letter, and failures per library.

    The runs go round-robin over the libraries (letter by letter, run by run), so that no
    library gains or loses from running first, warmer caches or a changing CPU clock.
    """
    times: dict[str, dict[str, float]] = {name: {} for name in extractors}
    outputs: dict[str, dict[str, list[str]]] = {name: {} for name in extractors}
    failures: dict[str, list[str]] = {name: [] for name in extractors}
    for extract in extractors.values():  # warm-up: lazy initialisation is not measured
        with contextlib.suppress(Exception):
            extract(letters[0].data)
    for letter in letters:
        for _ in range(repeat):
            for name, extract in extractors.items():
                if any(f.startswith(f"{letter.id}:") for f in failures[name]):
                    continue
                started = time.perf_counter()
                try:
                    pages = extract(letter.data)
                except Exception as exc:  # a benchmark reports failures, it does not stop
                    failures[name].append(f"{letter.id}: {type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - started
                times[name][letter.id] = min(elapsed, times[name].get(letter.id, elapsed))
                outputs[name][letter.id] = pages
    return times, outputs, failures


def score(result: Result, outputs: dict[str, list[str]], letters: list[Letter]) -> None:
    """Fill in the quality columns of ``result`` from the library's page texts."""
    from rapidfuzz import fuzz

    for letter in letters:
        if letter.id not in outputs:
            result.char_scores[letter.id] = result.line_scores[letter.id] = 0.0
            continue
        got = [clean(page) for page in outputs[letter.id]]
        result.pages_ok += len(got) == letter.pages
        chars, lines = [], []
        for index, ref_lines in enumerate(letter.ref):
            got_lines = got[index] if index < len(got) else []
            chars.append(fuzz.ratio("\n".join(ref_lines), "\n".join(got_lines)))
            lines.append(
                100 * difflib.SequenceMatcher(None, ref_lines, got_lines, autojunk=False).ratio()
            )
        result.char_scores[letter.id] = statistics.fmean(chars)
        result.line_scores[letter.id] = statistics.fmean(lines)
        ref_words = " ".join(" ".join(page) for page in letter.ref).split()
        got_words = " ".join(" ".join(page) for page in got).split()
        glued, split = word_changes(ref_words, got_words)
        result.glued += glued
        result.split += split
        kept, wanted = hyphens_kept(letter.ref, got)
        result.hyph_kept += kept
        result.hyph_wanted += wanted
        ref_column = column_position(letter.ref[0]) if letter.ref else None
        if ref_column is not None:
            result.column_letters += 1
            got_column = column_position(got[0]) if got else None
            if got_column is not None and abs(got_column - ref_column) <= 0.1:
                result.column_same += 1


# --- corpus --------------------------------------------------------------------------------


@dataclass
class Letter:
    id: str
    pages: int
    data: bytes
    ref: list[list[str]]


def find_corpus(given: str | None) -> Path | None:
    """``--corpus``, else ``$BRIEFBOT_CORPUS``, else ``../shared/corpus/letters``."""
    if given:
        candidates = [given]
    else:
        default = REPO.parent / "shared" / "corpus" / "letters"
        candidates = [os.environ.get("BRIEFBOT_CORPUS"), str(default)]
    for candidate in candidates:
        if candidate and (Path(candidate) / "index.csv").is_file():
            return Path(candidate)
    return None


def load_letters(corpus: Path) -> list[Letter]:
    letters = []
    with (corpus / "index.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            pdf = corpus / f"{row['id']}.pdf"
            txt = corpus / f"{row['id']}.txt"
            if not pdf.is_file() or not txt.is_file():
                continue
            ref_pages = txt.read_text(encoding="utf-8").split("\f")[: int(row["pages"])]
            letters.append(
                Letter(
                    row["id"], int(row["pages"]), pdf.read_bytes(), [clean(p) for p in ref_pages]
                )
            )
    return letters


# --- output --------------------------------------------------------------------------------


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    print(fmt(headers))
    print(
        "|"
        + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths))
        + "|"
    )
    for row in rows:
        print(fmt(row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", help="folder with index.csv, <ID>.pdf and <ID>.txt")
    parser.add_argument("--repeat", type=int, default=3, help="runs per letter; the best counts")
    parser.add_argument("--summary", action="store_true", help="skip the per-letter table")
    parser.add_argument("--only", nargs="*", choices=list(LIBRARIES), help="libraries to run")
    args = parser.parse_args(argv)

    corpus = find_corpus(args.corpus)
    if corpus is None:
        print("Corpus not found (looked for ../shared/corpus/letters); nothing to compare.")
        return 0
    letters = load_letters(corpus)
    if not letters:
        print(f"No letters with both .pdf and .txt in {corpus}; nothing to compare.")
        return 0
    total_pages = sum(letter.pages for letter in letters)
    print(f"Corpus: {corpus} ({len(letters)} letters, {total_pages} pages); best of {args.repeat}")
    print()

    results: list[Result] = []
    extractors: dict[str, Extractor] = {}
    for key in args.only or list(LIBRARIES):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                name, licence, extract = LIBRARIES[key]()
        except ImportError as exc:
            print(f"skipped {key}: not installed ({exc})")
            continue
        dist = {"pymupdf": "PyMuPDF", "briefbot": "pypdfium2"}.get(key, key.split("-")[0])
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "?"
        results.append(Result(name, licence, version))
        extractors[name] = extract
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times, outputs, failures = time_all(extractors, letters, args.repeat)
    for result in results:
        result.times = times[result.name]
        result.failures = failures[result.name]
        score(result, outputs[result.name], letters)

    headers = [
        "library", "version", "licence", "pages", "total s", "ms/letter", "max ms",
        "chars", "lines", "glued", "split", "hyph", "column",
    ]  # fmt: skip
    rows = []
    for r in results:
        times = list(r.times.values()) or [0.0]
        rows.append(
            [
                r.name, r.version, r.licence, f"{r.pages_ok}/{len(letters)}",
                f"{sum(times):.2f}", f"{1000 * statistics.fmean(times):.1f}",
                f"{1000 * max(times):.1f}",
                f"{statistics.fmean(r.char_scores.values()):.1f}",
                f"{statistics.fmean(r.line_scores.values()):.1f}",
                str(r.glued), str(r.split), f"{r.hyph_kept}/{r.hyph_wanted}",
                f"{r.column_same}/{r.column_letters}",
            ]
        )  # fmt: skip
    print_table(headers, rows)

    if not args.summary:
        print()
        print("Per letter: time in ms / chars similarity / lines similarity")
        print()
        per_headers = ["letter", "pages", *(r.name for r in results)]
        per_rows = []
        for letter in letters:
            cells = [letter.id, str(letter.pages)]
            for r in results:
                if letter.id in r.times:
                    cells.append(
                        f"{1000 * r.times[letter.id]:.1f} / {r.char_scores[letter.id]:.0f}"
                        f" / {r.line_scores[letter.id]:.0f}"
                    )
                else:
                    cells.append("failed")
            per_rows.append(cells)
        print_table(per_headers, per_rows)

    for r in results:
        for failure in r.failures:
            print(f"{r.name} failed on {failure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
