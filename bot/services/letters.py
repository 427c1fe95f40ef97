"""Use cases around letters: ingest files or uploads, list, show, seed the bundled letters."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.core.decode import decode_text
from bot.core.models import LetterError, ParsedLetter
from bot.core.parse import PARSER_VERSION, parse_letter
from bot.core.pdf import extract_pdf_pages
from bot.store import LetterRecord, RepairRecord, SectionRecord, SentenceRecord, Store

MAX_FILE_BYTES = 20 * 1024 * 1024
EXTENSIONS = (".txt", ".pdf")
PDF_MAGIC = b"%PDF-"


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


def parse_bytes(data: bytes, *, name: str) -> ParsedLetter:
    """Parse the bytes of a ``.txt`` or ``.pdf`` letter. The kind is decided by the content: a
    PDF is recognised by its signature whatever its name, and a file named ``.pdf`` that is not
    one is refused with what it looks like. Raises :class:`LetterError`."""
    if len(data) > MAX_FILE_BYTES:
        raise LetterError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    suffix = Path(name).suffix.lower()
    if PDF_MAGIC in data[:1024] or suffix == ".pdf":
        pages = extract_pdf_pages(data)
        return parse_letter("\n\f\n".join(pages), source_kind="pdf")
    if suffix and suffix != ".txt":
        raise LetterError(f"unknown file type {suffix!r}: briefbot reads .txt and .pdf letters")
    return parse_letter(decode_text(data), source_kind="txt")


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
            parsed, digest = await asyncio.to_thread(read_and_parse, f)
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
    """Ingest an uploaded file's bytes into ``guild_id``'s scope. Raises LetterError."""
    parsed = await asyncio.to_thread(parse_bytes, data, name=filename)
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
