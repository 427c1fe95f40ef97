"""Reading the letters in a file's bytes: a PDF in a child process of bounded memory
(:mod:`bot.services.letters.pdf_reader`: a decompression bomb costs that process, not this
one), a text of several letters split (:mod:`bot.core.split`; a letter repeated in the file is
read once, with a note), each parsed within its time. Blocking: the ingest runs these in a
worker thread.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.decode import decode_text
from bot.core.models import LetterError, LetterMetadata, ParsedLetter, SourceKind
from bot.core.parse import PARSE_SECONDS, parse_letter
from bot.core.pdf import extract_pdf_pages
from bot.core.refusals import Note
from bot.core.split import split_letters
from bot.core.text import fold
from bot.services.letters.files import MAX_FILE_BYTES
from bot.services.letters.pdf_reader import WORKER_MEMORY, extract_pdf_isolated
from bot.store.records import LetterRecord, SentenceRecord

PDF_MAGIC = b"%PDF-"
#: Address space of the child process that reads a PDF (see bot.services.letters.pdf_reader).
PDF_WORKER_MEMORY = WORKER_MEMORY
#: Different letters one file may hold (a letter repeated in it counts once).
MAX_LETTERS_PER_FILE = 100
#: Time for reading and parsing all the letters of one file (each letter has PARSE_SECONDS).
FILE_SECONDS = 4 * PARSE_SECONDS
#: Share of its sentences two letters must have in common, each way, to be the same letter in
#: two forms. The PDF and text of each corpus letter share 0.80-1.00; different letters at
#: most 0.09; a damaged copy 0.5-1.0 of a clean one.
SAME_LETTER = 0.6


def _extract_text(
    data: bytes, *, name: str, isolate: bool, max_seconds: float
) -> tuple[str, SourceKind]:
    """The text of a ``.txt`` or ``.pdf`` file (PDF pages joined by form feeds). The kind is
    decided by the content: a PDF is recognised by its signature whatever its name, and a file
    named ``.pdf`` that is not one is refused with what it looks like."""
    if len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        raise LetterError("file_too_big", f"the file is larger than {limit} MB", limit=limit)
    suffix = Path(name).suffix.lower()
    if PDF_MAGIC in data[:1024] or suffix == ".pdf":
        extract = extract_pdf_isolated if isolate else extract_pdf_pages
        return "\n\f\n".join(extract(data, max_seconds=max_seconds)), "pdf"
    if suffix and suffix != ".txt":
        raise LetterError(
            "unknown_type",
            f"unknown file type {suffix!r}: briefbot reads .txt and .pdf letters",
            ext=repr(suffix),
        )
    return decode_text(data), "txt"


def parse_bytes(
    data: bytes, *, name: str, max_seconds: float = PARSE_SECONDS, isolate: bool = False
) -> ParsedLetter:
    """Parse the bytes of a ``.txt`` or ``.pdf`` file as one letter. Reading and parsing
    together get ``max_seconds``; with ``isolate`` a PDF is read in a child process of bounded
    memory (:func:`extract_pdf_isolated`). Raises :class:`LetterError`. Ingest uses
    :func:`read_letters`, which also finds several letters in one file."""
    deadline = time.monotonic() + max_seconds
    text, kind = _extract_text(data, name=name, isolate=isolate, max_seconds=max_seconds)
    return parse_letter(text, source_kind=kind, deadline=deadline)


@dataclass(frozen=True, slots=True)
class Part:
    """One letter read from a file."""

    parsed: ParsedLetter
    content_hash: str
    number: int | None  # its place among the different letters of the file; None: the only one


@dataclass(slots=True)
class Reading:
    """What a file holds: its letters, and what the user must hear about the rest."""

    parts: list[Part] = field(default_factory=list)
    letters: int = 1  # different letters found in the file
    problems: list[LetterError] = field(default_factory=list)  # letters that could not be read
    notes: list[Note] = field(default_factory=list)  # letters repeated in the file


_WORDS = re.compile(r"\w+")


def read_letters(
    data: bytes, *, name: str, isolate: bool = True, max_seconds: float = PARSE_SECONDS
) -> Reading:
    """Read the letters in a file's bytes: one :class:`Part` per different letter (a letter
    repeated in the file once, with a note). Blocking: call it in a worker thread. Raises
    :class:`LetterError` when the file holds no readable letter."""
    started = time.monotonic()
    text, kind = _extract_text(data, name=name, isolate=isolate, max_seconds=max_seconds)
    spans = split_letters(text)
    if len(spans) == 1:
        deadline = started + max_seconds
        parsed = parse_letter(text, source_kind=kind, deadline=deadline)
        return Reading(parts=[Part(parsed, hashlib.sha256(data).hexdigest(), None)])

    # Several letters. Identical copies are read once: a file of one letter pasted 400 times
    # costs one parse.
    order: list[str] = []  # the different texts, in file order
    copies: dict[str, int] = {}  # word form -> how often it occurs
    text_of: dict[str, str] = {}
    for a, b in spans:
        part = text[a:b]
        key = " ".join(_WORDS.findall(part.lower()))
        if key not in copies:
            order.append(key)
            text_of[key] = part
        copies[key] = copies.get(key, 0) + 1
    if len(order) > MAX_LETTERS_PER_FILE:
        raise LetterError(
            "too_many_letters",
            f"the file holds {len(order):,} different letters, more than the "
            f"{MAX_LETTERS_PER_FILE} one file may hold; split it into smaller files",
            count=f"{len(order):,}",
            limit=MAX_LETTERS_PER_FILE,
        )
    file_deadline = started + max(max_seconds, FILE_SECONDS)
    read: list[tuple[str, ParsedLetter]] = []
    problems: list[tuple[str, LetterError]] = []
    for key in order:
        if time.monotonic() >= file_deadline:
            slow = f"not read: the file took longer than {FILE_SECONDS:g} s"
            problems.append((key, LetterError("text_too_slow", slow)))
            continue
        deadline = min(time.monotonic() + max_seconds, file_deadline)
        try:
            read.append((key, parse_letter(text_of[key], source_kind=kind, deadline=deadline)))
        except LetterError as exc:
            problems.append((key, exc))
    # The same letter cut out slightly differently (a page number more or less) is a copy too.
    kept: list[tuple[str, ParsedLetter]] = []
    for key, parsed in read:
        twin = next((k for k, p in kept if same_letter(parsed, p)), None)
        if twin is None:
            kept.append((key, parsed))
        else:
            copies[twin] += copies.pop(key)
    total = len(kept) + len(problems)
    position = {key: i for i, key in enumerate(order)}
    numbered = sorted([k for k, _ in kept] + [k for k, _ in problems], key=position.__getitem__)
    place = {key: i + 1 for i, key in enumerate(numbered)}
    reading = Reading(letters=total)
    for key, parsed in kept:
        if total == 1:
            reading.parts.append(Part(parsed, hashlib.sha256(data).hexdigest(), None))
        else:
            digest = hashlib.sha256(text_of[key].encode("utf-8", "replace")).hexdigest()
            reading.parts.append(Part(parsed, digest, place[key]))
    for key, why in problems:
        reading.problems.append(part_refused(place[key], total, why))
    for key, _ in kept:
        if copies[key] > 1:
            which = "the letter" if total == 1 else f"letter {place[key]} of {total}"
            said = f"the file holds {which} {copies[key]} times over; it is stored once"
            if total == 1:
                note = Note("repeated_letter", said, {"count": copies[key]})
            else:
                values = {"count": copies[key], "part": place[key], "parts": total}
                note = Note("repeated_part", said, values)
            reading.notes.append(note)
    if not reading.parts:
        if total == 1:
            raise problems[0][1]
        raise LetterError(
            "no_letter_readable",
            f"none of the {total} letters in the file could be read: {problems[0][1]}",
            count=total,
        )
    return reading


def part_refused(part: int, parts: int, why: LetterError) -> LetterError:
    """One letter of a file of several could not be read (or stored): which, and why."""
    return LetterError(
        "part_refused", f"letter {part} of {parts} in the file: {why}", part=part, parts=parts,
        reason=why,
    )  # fmt: skip


def same_letter(a: ParsedLetter, b: ParsedLetter) -> bool:
    """Whether two letters are one letter in two forms (its PDF and its text, a copy cut out
    with a page number more): most sentences in common, each way, and no stated date, subject
    or sender that differs."""
    return compatible(a.metadata, b.metadata) and shares_most(sentence_norms(a), sentence_norms(b))


def sentence_norms(letter: ParsedLetter | Sequence[SentenceRecord]) -> set[str]:
    sentences = letter.sentences if isinstance(letter, ParsedLetter) else letter
    return {s.norm for s in sentences if s.norm}


def shares_most(mine: set[str], theirs: set[str]) -> bool:
    shared = len(mine & theirs)
    return bool(shared) and min(shared / len(mine), shared / len(theirs)) >= SAME_LETTER


def compatible(a: LetterMetadata, b: LetterMetadata | LetterRecord) -> bool:
    """No field both state differently: a full date, the subject, the sender (folded, and one
    may hold the other: a subject cut short, a sender with its department)."""
    dates = (a.date or "", b.date or "")
    if all(_FULL_DATE.match(d) for d in dates) and dates[0] != dates[1]:
        return False
    for x, y in ((a.subject, b.subject), (a.sender, b.sender)):
        if x and y:
            fx, fy = fold(x), fold(y)
            if fx not in fy and fy not in fx:
                return False
    return True


_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
