"""Use cases around letters: ingest files or uploads, list, show, seed the bundled letters."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.core.decode import decode_text
from bot.core.models import LetterError, ParsedLetter
from bot.core.parse import PARSE_SECONDS, PARSER_VERSION, parse_letter
from bot.core.pdf import extract_pdf_pages
from bot.services.background import off_the_query_path
from bot.store import LetterRecord, RepairRecord, SectionRecord, SentenceRecord, Store

MAX_FILE_BYTES = 20 * 1024 * 1024
# Policy letters have tens to hundreds of sentences; indexing (embeddings) costs ~4 ms each.
MAX_UPLOAD_SENTENCES = 5_000
EXTENSIONS = (".txt", ".pdf")
PDF_MAGIC = b"%PDF-"
#: Address space of the process that reads an uploaded PDF. A real letter needs well under
#: 100 MiB; a crafted PDF of a few kilobytes (Form XObjects that draw each other thousands of
#: times, a content stream that inflates to millions of drawing objects) makes PDFium take
#: gigabytes while it loads a page, before any of bot.core.pdf's checks can run.
PDF_WORKER_MEMORY = 1024 * 1024 * 1024
PDF_WORKERS = threading.BoundedSemaphore(2)  # PDFs read at the same time, each in a process

log = logging.getLogger(__name__)

_PDF_WORKER = """
import json, sys
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
except (ImportError, ValueError, OSError):
    pass
from bot.core.models import LetterError
from bot.core.pdf import extract_pdf_pages
data = sys.stdin.buffer.read()
try:
    out = {"pages": extract_pdf_pages(data, max_pages=int(sys.argv[2]),
                                      max_seconds=float(sys.argv[3]))}
except LetterError as exc:
    out = {"error": str(exc)}
sys.stdout.write(json.dumps(out))
"""


@dataclass(frozen=True, slots=True)
class Ingested:
    path: str
    letter: LetterRecord
    status: Literal["added", "unchanged"]
    repairs: int


@dataclass(frozen=True, slots=True)
class Refused:
    path: str
    error: str


@dataclass(slots=True)
class IngestReport:
    ingested: list[Ingested] = field(default_factory=list)
    errors: list[Refused] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LetterView:
    """One letter as ``show`` presents it."""

    letter: LetterRecord
    sections: list[SectionRecord]
    sentences: list[SentenceRecord]
    repairs: list[RepairRecord]


def slugify(name: str) -> str:
    stem = Path(name).stem.lower()
    slug = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")
    return slug[:80] or "letter"


def extract_pdf_isolated(
    data: bytes,
    *,
    max_pages: int = 500,
    max_seconds: float = 30.0,
    max_memory: int = PDF_WORKER_MEMORY,
) -> list[str]:
    """:func:`bot.core.pdf.extract_pdf_pages` in a child process with at most ``max_memory``
    bytes of address space and ``max_seconds`` (plus start-up) of time, so that a hostile PDF
    costs that process, not this one. Blocking (about 0.2 s of start-up); raises LetterError."""
    if not PDF_WORKERS.acquire(timeout=max(0.0, max_seconds)):
        raise LetterError("The PDF reader is busy with other files; try again in a minute.")
    root = str(Path(__file__).resolve().parents[2])  # where ``bot`` is importable from
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    # no secrets (DISCORD_TOKEN) for the process that reads strangers' files
    env = {"PYTHONPATH": path, "PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _PDF_WORKER, str(max_memory), str(max_pages), str(max_seconds)],
            input=bytes(data),
            capture_output=True,
            timeout=max_seconds + 10,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise LetterError(
            f"Reading this PDF took longer than {max_seconds:g} seconds; "
            "it is too large or malformed."
        ) from exc
    except OSError:  # no interpreter to start (an embedded Python): read it here instead
        log.warning("cannot start the PDF reader process; reading in-process", exc_info=True)
        return extract_pdf_pages(data, max_pages=max_pages, max_seconds=max_seconds)
    finally:
        PDF_WORKERS.release()
    if proc.returncode == 0:
        try:
            out = json.loads(proc.stdout)
        except ValueError:
            out = {}
        if isinstance(out.get("error"), str):
            raise LetterError(out["error"])
        if isinstance(out.get("pages"), list):
            return [str(p) for p in out["pages"]]
    stderr = proc.stderr.decode("utf-8", "replace")[-2000:]
    log.warning("the PDF reader failed", extra={"returncode": proc.returncode, "stderr": stderr})
    if proc.returncode == -6 or "MemoryError" in stderr or "Out of memory" in stderr:
        raise LetterError(
            f"Reading this PDF needs more than {max_memory // (1024 * 1024)} MiB of memory; "
            "it is not a letter (or it is built to exhaust the reader)."
        )
    raise LetterError("This PDF crashed the PDF reader; it is damaged or malformed.")


def parse_bytes(
    data: bytes, *, name: str, max_seconds: float = PARSE_SECONDS, isolate: bool = False
) -> ParsedLetter:
    """Parse the bytes of a ``.txt`` or ``.pdf`` letter. The kind is decided by the content: a
    PDF is recognised by its signature whatever its name, and a file named ``.pdf`` that is not
    one is refused with what it looks like. Reading and parsing together get ``max_seconds``;
    with ``isolate`` a PDF is read in a child process of bounded memory
    (:func:`extract_pdf_isolated`: for files from strangers). Raises :class:`LetterError`."""
    deadline = time.monotonic() + max_seconds
    if len(data) > MAX_FILE_BYTES:
        raise LetterError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    suffix = Path(name).suffix.lower()
    if PDF_MAGIC in data[:1024] or suffix == ".pdf":
        extract = extract_pdf_isolated if isolate else extract_pdf_pages
        pages = extract(data, max_seconds=max_seconds)
        return parse_letter("\n\f\n".join(pages), source_kind="pdf", deadline=deadline)
    if suffix and suffix != ".txt":
        raise LetterError(f"unknown file type {suffix!r}: briefbot reads .txt and .pdf letters")
    return parse_letter(decode_text(data), source_kind="txt", deadline=deadline)


def read_and_parse(path: Path) -> tuple[ParsedLetter, str]:
    """Read a file (size checked before reading) and parse it; returns the letter and the
    content hash. Blocking: call it in a worker thread."""
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise LetterError(f"unknown file type {suffix or '(none)'!r}: briefbot reads .txt and .pdf")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LetterError(f"cannot read the file: {exc.strerror or exc}") from exc
    if size > MAX_FILE_BYTES:
        raise LetterError(
            f"the file is {size / 1024 / 1024:.1f} MB; "
            f"the limit is {MAX_FILE_BYTES // 1024 // 1024} MB"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LetterError(f"cannot read the file: {exc.strerror or exc}") from exc
    return parse_bytes(data, name=path.name), hashlib.sha256(data).hexdigest()


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Refused]]:
    """Files as given, and the ``.txt``/``.pdf`` files inside given folders (recursively,
    sorted). A missing path is an error; other files inside folders are skipped."""
    files: list[Path] = []
    errors: list[Refused] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in EXTENSIONS
            )
            if not found:
                errors.append(Refused(str(p), "the folder holds no .txt or .pdf files"))
            candidates = found
        elif p.exists():
            candidates = [p]
        else:
            errors.append(Refused(str(p), "no such file or folder"))
            continue
        for f in candidates:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files, errors


async def store_parsed(
    store: Store,
    parsed: ParsedLetter,
    *,
    content_hash: str,
    name: str,
    source_path: str,
    guild_id: int | None,
) -> tuple[LetterRecord, bool]:
    return await store.letters.add(
        parsed,
        slug_hint=slugify(name),
        source_path=source_path,
        content_hash=content_hash,
        guild_id=guild_id,
        parser_version=PARSER_VERSION,
    )


async def ingest_paths(
    store: Store,
    paths: Sequence[str | Path],
    *,
    guild_id: int | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> IngestReport:
    """Ingest files and folders. Each letter is stored whole or not at all; a refused file is
    reported and the others are still stored."""
    files, errors = expand_paths(paths)
    report = IngestReport(errors=list(errors))
    for f in files:
        try:
            parsed, digest = await off_the_query_path(read_and_parse, f)
            record, created = await store_parsed(
                store,
                parsed,
                content_hash=digest,
                name=f.name,
                source_path=str(f),
                guild_id=guild_id,
            )
        except LetterError as exc:
            report.errors.append(Refused(str(f), str(exc)))
        else:
            report.ingested.append(
                Ingested(str(f), record, "added" if created else "unchanged", len(parsed.repairs))
            )
        if on_file:
            on_file(f)
    return report


async def ingest_upload(
    store: Store, data: bytes, *, filename: str, guild_id: int | None
) -> tuple[LetterRecord, bool, int]:
    """Ingest an uploaded file's bytes into ``guild_id``'s scope. Raises LetterError. A PDF is
    read in a child process of bounded memory: uploads come from strangers."""
    parsed = await off_the_query_path(parse_bytes, data, name=filename, isolate=True)
    if len(parsed.sentences) > MAX_UPLOAD_SENTENCES:
        raise LetterError(
            f"it has {len(parsed.sentences):,} sentences; a letter added in Discord may have at "
            f"most {MAX_UPLOAD_SENTENCES:,} (an operator can add longer texts with the CLI)"
        )
    record, created = await store_parsed(
        store,
        parsed,
        content_hash=hashlib.sha256(data).hexdigest(),
        name=filename,
        source_path=f"upload:{filename}",
        guild_id=guild_id,
    )
    return record, created, len(parsed.repairs)


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
