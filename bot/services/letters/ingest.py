"""Ingest: files and uploads stored, letter by letter, with a report of everything.

Every file, whether named at the command line, found in a folder or uploaded in Discord, takes
the same path, built for files from strangers:

* it is read with a cap and without blocking (:mod:`bot.services.letters.files`);
* a PDF is read in a child process with capped memory and time
  (:mod:`bot.services.letters.pdf_reader`): a decompression bomb costs that process, not this
  one;
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

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot.core.models import LetterError, ParsedLetter
from bot.core.parse import PARSER_VERSION
from bot.core.refusals import Note
from bot.services.background import off_the_query_path
from bot.services.letters.files import display_name, expand_paths, slugify
from bot.services.letters.pool import read_files
from bot.services.letters.reading import (
    Part,
    Reading,
    compatible,
    part_refused,
    read_letters,
    sentence_norms,
    shares_most,
)
from bot.services.letters.report import Ingested, IngestReport, LetterView, Refused, Warned
from bot.services.recommendations import PREPARED, Analysis
from bot.store import LetterRecord, Store, StoreBusy, StoreError, StoreFull

# Policy letters have tens to hundreds of sentences; indexing (vectors) costs ~4 ms each.
MAX_UPLOAD_SENTENCES = 5_000

log = logging.getLogger(__name__)


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
        if record is None or not compatible(parsed.metadata, record):
            continue
        if shares_most(
            sentence_norms(parsed), sentence_norms(await store.letters.sentences(letter_id))
        ):
            return record
    return None


async def store_part(
    store: Store,
    part: Part,
    *,
    name: str,
    source_path: str,
    guild_id: int | None,
    replace: bool,
    can_replace: bool = True,
) -> tuple[LetterRecord, bool, LetterRecord | None, Note | None]:
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
            file = display_name(Path(copy.source_path).name)
            said = (
                f"already stored as letter {copy.ref} (the same letter, from {file}); "
                f"not stored again{hint}"
            )
            return copy, False, None, Note("already_stored", said, {"ref": copy.ref, "file": file})
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
            long = LetterError(
                "too_many_sentences",
                f"it has {n:,} sentences; a letter added in Discord may have at most "
                f"{max_sentences:,} (an operator can add longer texts with the CLI)",
                count=f"{n:,}",
                limit=f"{max_sentences:,}",
            )
            if part.number is not None and parts is not None:
                long = part_refused(part.number, parts, long)
            report.errors.append(Refused(shown, str(long), long))
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
            note = warning
            if part.number is not None and parts is not None:
                values = {"part": part.number, "parts": parts, "reason": warning}
                note = Note("part_refused", f"{where}{warning.detail}", values)
            report.warnings.append(Warned(shown, f"{where}{warning.detail}", note))
    report.errors.extend(Refused(shown, str(p), p) for p in reading.problems)
    report.warnings.extend(Warned(shown, n.detail, n) for n in reading.notes)


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
    workers: int | None = None,
) -> IngestReport:
    """Ingest files and folders. Each letter is stored whole or not at all; a refused file is
    reported and the others are still stored (a per-file failure of any kind never ends the
    ingest). ``on_stored`` runs after each stored letter (the app indexes it there).

    Many files are read, parsed and analysed in a pool of ``workers`` processes
    (:mod:`bot.services.letters.pool`; default: one per core), a few files ahead; they are
    stored here, in file order, one at a time."""
    found = expand_paths(paths)
    report = IngestReport(errors=list(found.errors), warnings=list(found.warnings))
    prepared: dict[str, Analysis] = {}
    token = PREPARED.set(prepared)  # analyses made where each letter was read
    try:
        reads = contextlib.aclosing(read_files(found.files, workers=workers))
        async with reads as files:  # closed (its processes ended) even when cancelled
            async for read in files:
                f = read.path
                shown = display_name(str(f))
                prepared.update(read.analyses)
                try:
                    if read.error is not None:
                        raise read.error
                    assert read.reading is not None
                    await _ingest_reading(
                        store, read.reading, report, shown=shown, name=f.name, source_path=shown,
                        guild_id=guild_id, replace=replace, can_replace=True, on_stored=on_stored,
                    )  # fmt: skip
                except LetterError as exc:
                    report.errors.append(Refused(shown, str(exc), exc))
                except Exception as exc:
                    why = _storage_problem(exc)
                    if why is None:
                        log.exception("ingest failed for one file", extra={"path": shown})
                        why = f"could not be ingested ({type(exc).__name__}: {exc})"
                        why = display_name(why[:300])
                    report.errors.append(Refused(shown, why))
                prepared.clear()  # what this file's letters did not use (a copy not stored)
                if on_file is not None:
                    on_file(f)
    finally:
        PREPARED.reset(token)
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
        first = report.errors[0] if report.errors else None
        if first is not None and first.problem is not None:
            raise first.problem
        raise LetterError("no_letter_found", first.error if first else "no letter found")
    return report


async def letter_view(store: Store, record: LetterRecord) -> LetterView:
    """Everything ``show`` prints about one (already resolved) letter."""
    return LetterView(
        letter=record,
        sections=await store.letters.sections(record.id),
        sentences=await store.letters.sentences(record.id),
        repairs=await store.letters.repairs(record.id),
    )
