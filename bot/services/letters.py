"""Use cases around letters: ingest files or uploads, list, show, seed the bundled letters.

Every file, whether named at the command line, found in a folder or uploaded in Discord, takes
the same path, built for files from strangers:

* it is opened without following it into a device, FIFO or socket (``O_NONBLOCK``, then
  ``fstat`` on the opened descriptor: only a regular file is read) and read with a cap
  (:data:`MAX_FILE_BYTES`), so ``/dev/zero`` or a FIFO is refused at once;
* a PDF is read in a child process with capped memory and time (:mod:`bot.services.pdf_reader`):
  a decompression bomb costs that process, not this one;
* a text holding several letters is split (:mod:`bot.core.split`): each letter is stored, a
  letter repeated in the file is stored once with a warning, and a part that cannot be read
  is reported; nothing is dropped without a word;
* a letter already stored in another form (the PDF and the text of one letter) is recognised
  (:func:`stored_copy`) and reported, or replaced on request;
* every failure is one line for that file; the others are still stored and indexed;
* file names are shown escaped (:func:`display_name`): not UTF-8, control characters,
  right-to-left marks.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import stat
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.core.decode import decode_text
from bot.core.models import LetterError, LetterMetadata, ParsedLetter, SourceKind
from bot.core.parse import PARSE_SECONDS, PARSER_VERSION, parse_letter
from bot.core.pdf import extract_pdf_pages
from bot.core.split import split_letters
from bot.core.text import fold
from bot.services.background import off_the_query_path
from bot.services.pdf_reader import WORKER_MEMORY, extract_pdf_isolated
from bot.store import (
    LetterRecord,
    RepairRecord,
    SectionRecord,
    SentenceRecord,
    Store,
    StoreBusy,
    StoreError,
    StoreFull,
)

MAX_FILE_BYTES = 20 * 1024 * 1024
# Policy letters have tens to hundreds of sentences; indexing (embeddings) costs ~4 ms each.
MAX_UPLOAD_SENTENCES = 5_000
EXTENSIONS = (".txt", ".pdf")
PDF_MAGIC = b"%PDF-"
#: Address space of the child process that reads a PDF (see bot.services.pdf_reader).
PDF_WORKER_MEMORY = WORKER_MEMORY
#: Different letters one file may hold (a letter repeated in it counts once).
MAX_LETTERS_PER_FILE = 100
#: Time for reading and parsing all the letters of one file (each letter has PARSE_SECONDS).
FILE_SECONDS = 4 * PARSE_SECONDS
#: Share of its sentences two letters must have in common, each way, to be the same letter in
#: two forms. The PDF and text of each corpus letter share 0.80-1.00; different letters at
#: most 0.09; a damaged copy 0.5-1.0 of a clean one.
SAME_LETTER = 0.6

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ingested:
    path: str  # as given, escaped for display (see display_name)
    letter: LetterRecord
    status: Literal["added", "unchanged"]
    repairs: int
    part: int | None = None  # which letter of a file that holds several (1-based)
    parts: int | None = None  # how many different letters that file holds
    replaced: LetterRecord | None = None  # the stored copy this letter replaced (--replace)


@dataclass(frozen=True, slots=True)
class Refused:
    path: str
    error: str


@dataclass(frozen=True, slots=True)
class Warned:
    """Something the user must know about a file that was otherwise handled: a file skipped
    in a folder, a letter repeated in a file, a letter already stored in another form."""

    path: str
    warning: str


@dataclass(slots=True)
class IngestReport:
    ingested: list[Ingested] = field(default_factory=list)
    errors: list[Refused] = field(default_factory=list)
    warnings: list[Warned] = field(default_factory=list)
    vectors_filled: int = 0  # letters stored earlier whose missing vectors this run computed


@dataclass(frozen=True, slots=True)
class LetterView:
    """One letter as ``show`` presents it."""

    letter: LetterRecord
    sections: list[SectionRecord]
    sentences: list[SentenceRecord]
    repairs: list[RepairRecord]


# --------------------------------------------------------------------------- names

#: Marks that reorder a line on screen (Unicode bidi controls): never printed as they are.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def display_name(text: str) -> str:
    """A file name (or any text from outside) safe to print on one line and in JSON: a byte
    that is not UTF-8 (``os.fsdecode`` keeps it as a lone surrogate) becomes ``\\xff``;
    control characters, right-to-left and other invisible marks become escapes like ``\\n``
    and ``\\u202e``, so a name cannot forge a line, colour the terminal or reorder what is
    shown. Printable text is left as it is."""
    if text.isprintable() and "\\" not in text and not _BIDI.intersection(text):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _NAMED:
            out.append(_NAMED[ch])
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable() and ch not in _BIDI:
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


def slugify(name: str) -> str:
    stem = Path(name).stem.lower()
    slug = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")
    return slug[:80] or "letter"


def _extract_text(
    data: bytes, *, name: str, isolate: bool, max_seconds: float
) -> tuple[str, SourceKind]:
    """The text of a ``.txt`` or ``.pdf`` file (PDF pages joined by form feeds). The kind is
    decided by the content: a PDF is recognised by its signature whatever its name, and a file
    named ``.pdf`` that is not one is refused with what it looks like."""
    if len(data) > MAX_FILE_BYTES:
        raise LetterError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    suffix = Path(name).suffix.lower()
    if PDF_MAGIC in data[:1024] or suffix == ".pdf":
        extract = extract_pdf_isolated if isolate else extract_pdf_pages
        return "\n\f\n".join(extract(data, max_seconds=max_seconds)), "pdf"
    if suffix and suffix != ".txt":
        raise LetterError(f"unknown file type {suffix!r}: briefbot reads .txt and .pdf letters")
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


# --------------------------------------------------------------------------- one file


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
    problems: list[str] = field(default_factory=list)  # letters that could not be read
    notes: list[str] = field(default_factory=list)  # letters repeated in the file


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
            f"the file holds {len(order):,} different letters, more than the "
            f"{MAX_LETTERS_PER_FILE} one file may hold; split it into smaller files"
        )
    file_deadline = started + max(max_seconds, FILE_SECONDS)
    read: list[tuple[str, ParsedLetter]] = []
    problems: list[tuple[str, str]] = []
    for key in order:
        if time.monotonic() >= file_deadline:
            problems.append((key, f"not read: the file took longer than {FILE_SECONDS:g} s"))
            continue
        deadline = min(time.monotonic() + max_seconds, file_deadline)
        try:
            read.append((key, parse_letter(text_of[key], source_kind=kind, deadline=deadline)))
        except LetterError as exc:
            problems.append((key, str(exc)))
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
        reading.problems.append(f"letter {place[key]} of {total} in the file: {why}")
    for key, _ in kept:
        if copies[key] > 1:
            which = "the letter" if total == 1 else f"letter {place[key]} of {total}"
            reading.notes.append(
                f"the file holds {which} {copies[key]} times over; it is stored once"
            )
    if not reading.parts:
        if total == 1:
            raise LetterError(problems[0][1])
        raise LetterError(
            f"none of the {total} letters in the file could be read: {problems[0][1]}"
        )
    return reading


def same_letter(a: ParsedLetter, b: ParsedLetter) -> bool:
    """Whether two letters are one letter in two forms (its PDF and its text, a copy cut out
    with a page number more): most sentences in common, each way, and no stated date, subject
    or sender that differs."""
    return _compatible(a.metadata, b.metadata) and _shares_most(_norms(a), _norms(b))


def _norms(letter: ParsedLetter | Sequence[SentenceRecord]) -> set[str]:
    sentences = letter.sentences if isinstance(letter, ParsedLetter) else letter
    return {s.norm for s in sentences if s.norm}


def _shares_most(mine: set[str], theirs: set[str]) -> bool:
    shared = len(mine & theirs)
    return bool(shared) and min(shared / len(mine), shared / len(theirs)) >= SAME_LETTER


def _compatible(a: LetterMetadata, b: LetterMetadata | LetterRecord) -> bool:
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


async def stored_copy(
    store: Store, parsed: ParsedLetter, *, guild_id: int | None
) -> LetterRecord | None:
    """A stored letter, among those ``guild_id`` sees, that is ``parsed`` in another form (its
    PDF and its text, say): found by a few of its longest sentences in the full-text index,
    confirmed by comparing every sentence (:func:`same_letter`)."""
    norms = sorted({s.norm for s in parsed.sentences if len(s.norm.split()) >= 6}, key=len)
    probes = [" ".join(n.split()[:12]) for n in norms[-5:]]
    if not probes:
        return None
    hits = await store.letters.sharing_phrases(probes, guild_id=guild_id)
    need = min(2, len(probes))
    for letter_id, _ in sorted(hits.items(), key=lambda kv: -kv[1])[:5]:
        if hits[letter_id] < need:
            break
        record = await store.letters.get(letter_id)
        if record is None or not _compatible(parsed.metadata, record):
            continue
        if _shares_most(_norms(parsed), _norms(await store.letters.sentences(letter_id))):
            return record
    return None


# --------------------------------------------------------------------------- files on disk


def _kind_of(mode: int) -> str | None:
    """What a file that is not a regular file is, for the refusal; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, what in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return "not a regular file"


def _too_big(size: int) -> LetterError:
    return LetterError(
        f"the file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MB"
    )


def read_file(path: str | Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`. Anything else (a device,
    a FIFO, a socket, a symlink to one of them) is refused at once: the file is opened without
    blocking and checked on the opened descriptor, and never more than the limit is read, so
    neither ``/dev/zero`` nor a FIFO nobody writes to can hold the ingest up. Blocking."""
    try:
        kind = _kind_of(Path(path).stat().st_mode)  # a socket cannot even be opened
    except OSError as exc:
        raise LetterError(f"cannot read the file: {exc.strerror or exc}") from exc
    if kind is not None:
        raise LetterError(f"this is {kind}, not a file; give the path of a .txt or .pdf file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise LetterError(f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)  # what was opened, even if the name was swapped since
        kind = _kind_of(info.st_mode)
        if kind is not None:
            raise LetterError(f"this is {kind}, not a file; give the path of a .txt or .pdf file")
        if info.st_size > MAX_FILE_BYTES:
            raise _too_big(info.st_size)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_FILE_BYTES:
                raise _too_big(total)
    except OSError as exc:
        raise LetterError(f"cannot read the file: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    return b"".join(chunks)


@dataclass(slots=True)
class Expansion:
    """The files an ingest will read, and what it reports without reading."""

    files: list[Path] = field(default_factory=list)
    errors: list[Refused] = field(default_factory=list)
    warnings: list[Warned] = field(default_factory=list)


def expand_paths(paths: Iterable[str | Path]) -> Expansion:
    """Files as given (whatever their kind: reading refuses what is not a letter), and the
    ``.txt``/``.pdf`` files inside given folders (recursively, sorted). A missing path is an
    error; any other file in a folder is reported as skipped, never skipped silently."""
    found = Expansion()
    seen: set[str] = set()
    for raw in paths:
        p = Path(raw)
        shown = display_name(str(p))
        try:
            is_dir = stat.S_ISDIR(p.stat().st_mode)
        except FileNotFoundError:
            why = "a link to nothing" if p.is_symlink() else "no such file or folder"
            found.errors.append(Refused(shown, why))
            continue
        except OSError as exc:
            found.errors.append(Refused(shown, f"cannot read it: {exc.strerror or exc}"))
            continue
        if is_dir:
            candidates = _walk(p, found)
            if not candidates:
                found.errors.append(Refused(shown, "the folder holds no .txt or .pdf files"))
        else:
            candidates = [p]
        for f in candidates:
            key = os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                found.files.append(f)
    return found


def _walk(folder: Path, found: Expansion) -> list[Path]:
    """The letters in ``folder`` and below, sorted; what is skipped goes into ``found``. Any
    file name works, also one that is not UTF-8 (kept as ``os.fsdecode`` gives it)."""
    files: list[Path] = []

    def unreadable(exc: OSError) -> None:
        where = display_name(str(exc.filename or folder))
        found.errors.append(Refused(where, f"cannot read this folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        here = Path(dirpath)
        for d in sorted(dirnames):
            sub = here / d
            if sub.is_symlink():  # os.walk does not follow links to folders: say so
                found.warnings.append(
                    Warned(display_name(str(sub)), "skipped: a link to a folder (not followed)")
                )
            elif d.startswith("."):
                found.warnings.append(Warned(display_name(str(sub)), "skipped: a hidden folder"))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            f = here / name
            shown = display_name(str(f))
            if f.suffix.lower() not in EXTENSIONS:
                found.warnings.append(Warned(shown, "skipped: not .txt or .pdf"))
                continue
            try:
                kind = _kind_of(f.stat().st_mode)
            except OSError as exc:
                why = "a link to nothing" if f.is_symlink() else exc.strerror or str(exc)
                found.errors.append(Refused(shown, f"cannot read the file: {why}"))
                continue
            if kind is not None:
                found.errors.append(Refused(shown, f"this is {kind}, not a file"))
                continue
            files.append(f)
    return sorted(files)


# --------------------------------------------------------------------------- storing


async def store_part(
    store: Store,
    part: Part,
    *,
    name: str,
    source_path: str,
    guild_id: int | None,
    replace: bool,
    can_replace: bool = True,
) -> tuple[LetterRecord, bool, LetterRecord | None, str | None]:
    """Store one letter read from a file: ``(record, created, replaced, warning)``. A letter
    already stored in another form is not stored twice: its record comes back with a warning,
    unless ``replace`` asks to store this form in its place (same number and name)."""
    copy = await stored_copy(store, part.parsed, guild_id=guild_id)
    replaced = None
    warning = None
    if copy is not None and copy.content_hash != part.content_hash:
        if replace and copy.guild_id == guild_id:
            replaced = copy
        else:
            hint = "; ingest it with --replace to keep this file instead" if can_replace else ""
            warning = (
                f"already stored as letter {copy.ref} (the same letter, from "
                f"{display_name(Path(copy.source_path).name)}); not stored again{hint}"
            )
            return copy, False, None, warning
    record, created = await store.letters.add(
        part.parsed,
        slug_hint=slugify(name),
        source_path=source_path,
        content_hash=part.content_hash,
        guild_id=guild_id,
        parser_version=PARSER_VERSION,
        replace=replaced.id if replaced is not None else None,
    )
    return record, created, replaced if created else None, warning


OnStored = Callable[[Ingested], Awaitable[None]]


async def _ingest_reading(
    store: Store,
    reading: Reading,
    report: IngestReport,
    *,
    shown: str,
    name: str,
    source_path: str,
    guild_id: int | None,
    replace: bool,
    can_replace: bool,
    on_stored: OnStored | None,
    max_sentences: int | None = None,
) -> None:
    parts = reading.letters if reading.letters > 1 else None
    for part in reading.parts:
        where = "" if part.number is None else f"letter {part.number} of {parts} in the file: "
        n = len(part.parsed.sentences)
        if max_sentences is not None and n > max_sentences:
            report.errors.append(
                Refused(
                    shown,
                    f"{where}it has {n:,} sentences; a letter added in Discord may have at most "
                    f"{max_sentences:,} (an operator can add longer texts with the CLI)",
                )
            )
            continue
        record, created, replaced, warning = await store_part(
            store, part, name=name, source_path=source_path, guild_id=guild_id,
            replace=replace, can_replace=can_replace,
        )  # fmt: skip
        item = Ingested(
            shown,
            record,
            "added" if created else "unchanged",
            len(part.parsed.repairs),
            part=part.number,
            parts=parts,
            replaced=replaced,
        )
        if on_stored is not None:
            await on_stored(item)  # indexes it; a failure removes a new letter again
        report.ingested.append(item)
        if warning:
            report.warnings.append(Warned(shown, f"{where}{warning}"))
    report.errors.extend(Refused(shown, p) for p in reading.problems)
    report.warnings.extend(Warned(shown, n) for n in reading.notes)


def _storage_problem(exc: BaseException) -> str | None:
    """A one-line reason for a storage failure that is the same for every file."""
    if isinstance(exc, StoreFull):
        return "the disk (or the database's size limit) is full; nothing of this file was stored"
    if isinstance(exc, StoreBusy):
        return "the database is busy (another process is writing); ingest it again in a moment"
    if isinstance(exc, StoreError):
        return f"the database refused it ({exc}); nothing of this file was stored"
    return None


async def ingest_paths(
    store: Store,
    paths: Sequence[str | Path],
    *,
    guild_id: int | None = None,
    replace: bool = False,
    on_file: Callable[[Path], None] | None = None,
    on_stored: OnStored | None = None,
) -> IngestReport:
    """Ingest files and folders. Each letter is stored whole or not at all; a refused file is
    reported and the others are still stored (a per-file failure of any kind never ends the
    ingest). ``on_stored`` runs after each stored letter (the app indexes it there)."""
    found = expand_paths(paths)
    report = IngestReport(errors=list(found.errors), warnings=list(found.warnings))
    for f in found.files:
        shown = display_name(str(f))
        try:
            data = await off_the_query_path(read_file, f)
            reading = await off_the_query_path(read_letters, data, name=f.name, isolate=True)
            await _ingest_reading(
                store, reading, report, shown=shown, name=f.name, source_path=shown,
                guild_id=guild_id, replace=replace, can_replace=True, on_stored=on_stored,
            )  # fmt: skip
        except LetterError as exc:
            report.errors.append(Refused(shown, str(exc)))
        except Exception as exc:
            why = _storage_problem(exc)
            if why is None:
                log.exception("ingest failed for one file", extra={"path": shown})
                why = f"could not be ingested ({type(exc).__name__}: {exc})"
                why = display_name(why[:300])
            report.errors.append(Refused(shown, why))
        if on_file is not None:
            on_file(f)
    return report


async def ingest_upload(
    store: Store,
    data: bytes,
    *,
    filename: str,
    guild_id: int | None,
    on_stored: OnStored | None = None,
) -> IngestReport:
    """Ingest an uploaded file's bytes into ``guild_id``'s scope (a PDF is read in a child
    process of bounded memory: uploads come from strangers). Raises LetterError when nothing
    of it could be stored; storage errors propagate (the adapter says "busy", "full")."""
    shown = display_name(filename)
    reading = await off_the_query_path(read_letters, data, name=filename, isolate=True)
    report = IngestReport()
    await _ingest_reading(
        store, reading, report, shown=shown, name=filename, source_path=f"upload:{shown}",
        guild_id=guild_id, replace=False, can_replace=False, on_stored=on_stored,
        max_sentences=MAX_UPLOAD_SENTENCES,
    )  # fmt: skip
    if not report.ingested:
        raise LetterError(report.errors[0].error if report.errors else "no letter found")
    return report


async def ensure_seeded(store: Store, letters_dir: Path) -> IngestReport | None:
    """When the store holds no letters, ingest the bundled ones (visible in every server)."""
    if await store.letters.count() > 0 or not await asyncio.to_thread(letters_dir.is_dir):
        return None
    return await ingest_paths(store, [letters_dir])


async def letter_view(store: Store, record: LetterRecord) -> LetterView:
    """Everything ``show`` prints about one (already resolved) letter."""
    return LetterView(
        letter=record,
        sections=await store.letters.sections(record.id),
        sentences=await store.letters.sentences(record.id),
        repairs=await store.letters.repairs(record.id),
    )
