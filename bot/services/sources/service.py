"""Following sources: what an operator follows, and each poll that brings their letters in.

One poll of a source, in order:

1. take the source's lease (one process at a time polls a source; another is told "busy");
2. list what changed since the cursor (Tweede Kamer) or what the folder holds now;
3. per document, oldest change first: skip it when it was handled at this version; remove its
   letters when the source deleted it; otherwise fetch it (politely, see ``http``), read it
   (in a child process for a PDF, as every file from outside), store each letter it holds (one
   transaction per letter, replacing the letter an earlier version became, keeping its
   number) and index it; then record the outcome and move the cursor, together;
4. release the lease with the time of the next poll (backoff after a failure).

Exactly once: a document's letters are found again by (source, document id) and by content
hash before anything is stored, and the database allows one letter per source document, so a
poll repeated after a crash at any point stores nothing twice and loses nothing (the cursor
moves only after a document is done). A document that cannot be fetched for now (the source is
down, a timeout) stops the poll there, to be continued in order; one that will never be read
(not a PDF, too large, no text) is skipped with its reason and not fetched again until it
changes. Nothing that goes wrong in one source reaches another, or the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.core.models import LetterError
from bot.core.parse import PARSER_VERSION
from bot.services.background import off_the_query_path
from bot.services.catalog import Catalog
from bot.services.clock import Clock, SystemClock
from bot.services.letters import (
    Ingested,
    LetterService,
    display_name,
    read_file,
    read_letters,
    slugify,
    stored_copy,
)
from bot.services.letters.reading import PDF_MAGIC
from bot.services.sources import folder as folders
from bot.services.sources import tweedekamer as tk
from bot.services.sources.errors import SourceError, UnknownSourceError
from bot.services.sources.http import (
    PDF_TYPES,
    READABLE_TYPES,
    FetchError,
    PoliteClient,
)
from bot.services.sources.news import NEWS_WINDOW
from bot.settings import Settings
from bot.store import Store
from bot.store.base import SourceRepository
from bot.store.records import (
    ChangeKind,
    LetterOrigin,
    LetterRecord,
    Source,
    SourceDocument,
    SourceStats,
)

log = logging.getLogger(__name__)


async def _unsaid(kind: ChangeKind) -> None:
    return None


LEASE = timedelta(minutes=5)  # renewed after every document; a dead process's runs out
MAX_BACKOFF = timedelta(hours=6)
FOLDER_EVERY = timedelta(minutes=1)  # a folder is cheap to look at: at least every minute
MAX_ATTEMPTS = 5  # polls in a row that may fail on one document before it is given up
DEFAULT_SINCE = timedelta(days=30)  # a source followed without --since starts this far back
OK_STATUSES = ("added", "updated", "unchanged")
TK_NAME = "Tweede Kamer"


@dataclass(frozen=True, slots=True)
class Added:
    source: int
    letter: LetterRecord
    title: str
    url: str | None
    updated: bool  # it replaced the letter an earlier version of the document became


@dataclass(frozen=True, slots=True)
class Skipped:
    source: int
    ref: str
    reason: str


@dataclass(frozen=True, slots=True)
class Failure:
    source: int
    error: str


@dataclass(slots=True)
class PollReport:
    added: list[Added] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[Failure] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    def extend(self, other: PollReport) -> None:
        self.added += other.added
        self.skipped += other.skipped
        self.errors += other.errors
        self.requests += other.requests


@dataclass(frozen=True, slots=True)
class SourceView:
    """A followed source as ``follow list`` and ``/sources`` show it."""

    source: Source
    stats: SourceStats

    @property
    def ok(self) -> bool:
        return self.source.last_error is None


#: on_progress(source, done, total): a poll's progress (the CLI draws a bar).
Progress = Callable[[Source, int, int], None]


class SourceDownError(Exception):
    """The source cannot be polled now (an outage, a folder that is gone): tried again later."""


def _clean(values: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for raw in values:
        v = " ".join(raw.split())
        if v and v not in out:
            out.append(v)
    return tuple(out)


def parse_since(text: str | None, *, today: date) -> date:
    """``--since YYYY-MM-DD`` (default: :data:`DEFAULT_SINCE` ago)."""
    if text is None:
        return today - DEFAULT_SINCE
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise SourceError("source.bad_since", value=text) from exc
    if day > today:
        raise SourceError("source.future_since", value=day.isoformat())
    return day


class SourceService:
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        letters: LetterService,
        settings: Settings,
        *,
        clock: Clock | None = None,
        client: PoliteClient | None = None,
        settle: float = folders.SETTLE,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.letters = letters
        self.settings = settings
        self.clock = clock or SystemClock()
        self._client = client
        self.settle = settle
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.poll_every = timedelta(minutes=settings.poll_minutes)
        self.changed = asyncio.Event()  # a source was added: the poller wakes
        # tells the other bot processes that a source was followed (bot.services.changes)
        self.publish: Callable[[ChangeKind], Awaitable[None]] = _unsaid

    @property
    def client(self) -> PoliteClient:
        """The HTTP client, made on first use (inside the event loop; most commands never
        fetch anything)."""
        if self._client is None:
            self._client = PoliteClient(contact=self.settings.contact)
        return self._client

    @property
    def repo(self) -> SourceRepository:
        return self.store.sources

    @property
    def base_url(self) -> str:
        return self.settings.tweedekamer_url

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    # ------------------------------------------------------------------ following

    async def follow_tweedekamer(
        self,
        *,
        types: Sequence[str] = (),
        dossiers: Sequence[str] = (),
        subjects: Sequence[str] = (),
        since: str | None = None,
    ) -> tuple[Source, bool]:
        """Follow Tweede Kamer documents of these kinds, dossiers and subjects (any of each;
        none: no condition), dated from ``since`` on. ``(source, created)``."""
        kinds = _clean(types)
        for k in kinds:
            if len(k) > 80:
                raise SourceError("source.bad_type", value=k)
        numbers = []
        for d in _clean(dossiers):
            try:
                numbers.append(tk.check_dossier(d))
            except ValueError as exc:
                raise SourceError("source.bad_dossier", value=d) from exc
        words = _clean(subjects)
        for w in words:
            if not 2 <= len(w) <= 80:
                raise SourceError("source.bad_subject", value=w)
        query = tk.Query(kinds, tuple(numbers), words)
        today = self.clock.now().astimezone(tk.AMSTERDAM).date()
        day = parse_since(since, today=today)
        source, created = await self.repo.add(
            kind="tweedekamer", config=query.config(), name=query.describe(),
            since=day.isoformat(), now=self.clock.now(),
        )  # fmt: skip
        if created:
            log.info("source followed", extra={"source": source.id, "source_name": source.name})
            self.changed.set()
            await self.publish("sources")
        return source, created

    async def follow_folder(self, path: str | Path) -> tuple[Source, bool]:
        """Follow a folder of ``.txt``/``.pdf`` files (and its subfolders)."""
        folder = await asyncio.to_thread(Path(path).expanduser)
        if not await asyncio.to_thread(folder.is_dir):
            raise SourceError("source.no_folder", path=display_name(str(folder)))
        folder = await asyncio.to_thread(folder.resolve)
        today = self.clock.now().astimezone(tk.AMSTERDAM).date()
        source, created = await self.repo.add(
            kind="folder", config={"path": str(folder)},
            name=f"folder {display_name(folder.name or str(folder))}",
            since=today.isoformat(), now=self.clock.now(),
        )  # fmt: skip
        if created:
            log.info("source followed", extra={"source": source.id, "source_name": source.name})
            self.changed.set()
            await self.publish("sources")
        return source, created

    async def sources(self) -> list[SourceView]:
        stats = await self.repo.stats()
        empty = SourceStats(letters=0, skipped=0, documents=0)
        return [SourceView(s, stats.get(s.id, empty)) for s in await self.repo.list()]

    async def get(self, source_id: int) -> Source:
        source = await self.repo.get(source_id)
        if source is None:
            raise UnknownSourceError(source_id)
        return source

    async def unfollow(self, source_id: int) -> Source:
        """Stop following a source. The letters it brought stay, with their origin."""
        source = await self.get(source_id)
        await self.repo.remove(source_id)
        log.info("source no longer followed", extra={"source": source_id})
        return source

    # ------------------------------------------------------------------ polling

    async def poll(
        self, source_ids: Sequence[int] | None = None, *, on_progress: Progress | None = None
    ) -> PollReport:
        """Poll these sources (default: all) now, whenever they were due."""
        if source_ids:
            sources = [await self.get(i) for i in source_ids]
        else:
            sources = await self.repo.list()
        return await self._poll_many(sources, on_progress)

    async def poll_due(self) -> PollReport:
        """Poll the sources whose time has come (the bot's poller)."""
        return await self._poll_many(await self.repo.due(self.clock.now()), None)

    async def _poll_many(
        self, sources: Sequence[Source], on_progress: Progress | None
    ) -> PollReport:
        started = time.monotonic()
        requests = self.client.requests
        reports = await asyncio.gather(*(self._poll_one(s, on_progress) for s in sources))
        total = PollReport()
        for r in reports:
            total.extend(r)
        total.requests = self.client.requests - requests
        total.seconds = time.monotonic() - started
        return total

    async def _poll_one(self, source: Source, on_progress: Progress | None) -> PollReport:
        report = PollReport()
        now = self.clock.now()
        try:
            leased = await self.repo.lease(source.id, owner=self.owner, now=now, until=now + LEASE)
        except Exception as exc:  # the database is busy: this source waits for the next round
            log.warning("could not take a source for polling", extra={"source": source.id,
                        "error": str(exc)})  # fmt: skip
            report.errors.append(Failure(source.id, f"the database is busy ({exc})"))
            return report
        if leased is None:
            report.errors.append(
                Failure(
                    source.id,
                    "another briefbot process is polling this source right now; what it finds "
                    "is stored by that process",
                )
            )
            return report
        error: str | None = None
        try:
            if leased.kind == "tweedekamer":
                await self._poll_tweedekamer(leased, report, on_progress)
            else:
                await self._poll_folder(leased, report, on_progress)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    self.repo.release(
                        leased.id, owner=self.owner, now=self.clock.now(),
                        next_poll_at=self.clock.now(), error="interrupted",
                    )
                )  # fmt: skip
            raise
        except (SourceDownError, FetchError) as exc:
            error = str(exc)
        except Exception as exc:  # a bug must not stop the other sources or the bot
            log.exception("source poll crashed", extra={"source": source.id})
            error = f"unexpected {type(exc).__name__}: {exc}"[:300]
        done = self.clock.now()
        every = self.poll_every if leased.kind == "tweedekamer" else min(
            self.poll_every, FOLDER_EVERY)  # fmt: skip
        if error is None:
            next_at = done + every
        else:
            backoff = min(every * 2 ** min(leased.failures, 10), MAX_BACKOFF)
            next_at = done + backoff
            report.errors.append(Failure(source.id, error))
            log.warning(
                "source poll failed; tried again later",
                extra={"source": source.id, "error": error, "retry": next_at.isoformat()},
            )
        try:
            await self.repo.release(
                leased.id, owner=self.owner, now=done, next_poll_at=next_at, error=error
            )
        except Exception:  # the lease runs out by itself
            log.exception("could not release a source", extra={"source": source.id})
        return report

    async def _renew(self, source: Source) -> None:
        if not await self.repo.renew(
            source.id, owner=self.owner, until=self.clock.now() + LEASE
        ):  # taken over (this process stalled past its lease): stop, the other one goes on
            raise SourceDownError("the poll took too long and another process took it over")

    # ------------------------------------------------------------------ Tweede Kamer

    async def _poll_tweedekamer(
        self, source: Source, report: PollReport, on_progress: Progress | None
    ) -> None:
        query = tk.Query.from_config(source.config)
        since = date.fromisoformat(source.since)
        if source.cursor is not None:
            # documents withdrawn since the last poll, whatever their other fields say now
            gone = await tk.changed_since(
                self.client, self.base_url, query, since=since, cursor=source.cursor,
                deleted_only=True,
            )  # fmt: skip
            for doc in gone.documents:
                prev = await self.repo.document(source.id, doc.id)
                if await self._holds(source, doc.id, prev):
                    await self._withdraw(source, doc.id, doc.version, report, title=doc.name)
        listing = await tk.changed_since(
            self.client, self.base_url, query, since=since, cursor=source.cursor
        )
        docs = listing.documents
        for i, doc in enumerate(docs):
            if on_progress is not None:
                on_progress(source, i, len(docs))
            stop = await self._tweedekamer_document(source, doc, report)
            if stop is not None:
                raise SourceDownError(stop)
            await self._renew(source)
        if docs:
            await self.repo.move_cursor(source.id, docs[-1].changed)
        if on_progress is not None:
            on_progress(source, len(docs), len(docs))

    async def _tweedekamer_document(
        self, source: Source, doc: tk.Document, report: PollReport
    ) -> str | None:
        """Handle one listed document; a reason to stop the poll here (to be continued in
        order at the next one), or None."""
        prev = await self.repo.document(source.id, doc.id)
        url = tk.resource_url(self.base_url, doc.id)
        now = self.clock.now()
        if prev is not None and prev.version == doc.version and not _retrying(prev):
            return None  # handled at this version
        if doc.deleted:
            if await self._holds(source, doc.id, prev):
                await self._withdraw(source, doc.id, doc.version, report, title=doc.name)
            else:  # never had it: remember, so that it is not looked at again
                await self.repo.record(
                    source.id, ref=doc.id, version=doc.version, status="deleted", now=now,
                    title=doc.name, url=url, cursor=doc.changed,
                )  # fmt: skip
            return None
        if (
            prev is not None
            and prev.status in OK_STATUSES
            and prev.version.rsplit(" ", 1)[0] == doc.file
        ):  # the file is as it was: only the change time moved (a data fix, a new relation)
            await self.repo.record(
                source.id, ref=doc.id, version=doc.version, status=prev.status, now=now,
                content_hash=prev.content_hash, letter_id=prev.letter_id, title=doc.name,
                url=url, cursor=doc.changed,
            )  # fmt: skip
            return None
        why = _unreadable(doc)
        if why is not None:
            await self._skip(source, doc.id, doc.version, why, report, title=doc.name, url=url,
                             cursor=doc.changed)  # fmt: skip
            return None
        try:
            fetched = await self.client.get_file(url, expected_length=doc.content_length)
        except FetchError as exc:
            if not exc.transient:
                await self._skip(source, doc.id, doc.version, str(exc), report, title=doc.name,
                                 url=url, cursor=doc.changed)  # fmt: skip
                return None
            return await self._failed(source, doc.id, doc.version, prev, str(exc), report,
                                      title=doc.name, url=url, cursor=doc.changed)  # fmt: skip
        day = doc.date
        backfill = day is not None and day < (
            source.created_at.astimezone(tk.AMSTERDAM).date() - NEWS_WINDOW
        )
        return await self._ingest(
            source, ref=doc.id, version=doc.version, data=fetched.data,
            pdf=fetched.content_type in PDF_TYPES or fetched.data[:1024].find(PDF_MAGIC) >= 0,
            name=doc.number or doc.id, title=doc.name, url=url, path=url,
            published=day.isoformat() if day else None, backfill=backfill, cursor=doc.changed,
            prev=prev, report=report,
        )  # fmt: skip

    # ------------------------------------------------------------------ folders

    async def _poll_folder(
        self, source: Source, report: PollReport, on_progress: Progress | None
    ) -> None:
        root = Path(source.config["path"])
        try:
            files = await asyncio.to_thread(folders.scan, root)
        except folders.FolderMissingError as exc:
            raise SourceDownError(f"{exc}; nothing was removed") from exc
        known = {d.ref: d for d in await self.repo.documents(source.id)}
        held = sum(1 for d in known.values() if d.letter_id is not None and d.status != "deleted")
        if not files and held:
            raise SourceDownError(
                f"the folder is empty while {held} of its letters are stored (an unmounted "
                "share?); nothing was removed. If the files were removed on purpose, stop "
                f"following it: briefbot follow remove {source.id}"
            )
        first = not known  # the files there when the folder was followed are not news
        present: set[str] = set()
        wall = time.time()
        for i, info in enumerate(files):
            if on_progress is not None:
                on_progress(source, i, len(files))
            present.add(info.ref)
            prev = known.get(info.ref)
            if prev is not None and prev.version == info.version and not _retrying(prev):
                continue
            if not folders.settled(info, settle=self.settle, now=wall):
                report.skipped.append(Skipped(source.id, info.ref, _being_written(self.settle)))
                continue
            try:
                data = await off_the_query_path(read_file, info.path)
            except LetterError as exc:
                await self._skip(source, info.ref, info.version, str(exc), report,
                                 title=info.path.name)  # fmt: skip
                continue
            try:
                after = await asyncio.to_thread(info.path.stat)
            except OSError:
                continue  # removed while being read: the next poll sees it gone
            if (after.st_size, after.st_mtime_ns) != (info.size, info.mtime_ns):
                report.skipped.append(Skipped(source.id, info.ref, _being_written(self.settle)))
                continue
            is_pdf = data[:1024].find(PDF_MAGIC) >= 0 or info.path.suffix.lower() == ".pdf"
            if (
                is_pdf
                and not folders.pdf_complete(data)
                and info.age(wall) < (folders.INCOMPLETE_GRACE)
            ):
                report.skipped.append(
                    Skipped(
                        source.id,
                        info.ref,
                        "still being written (the PDF is not complete yet); read when it is",
                    )
                )
                continue
            digest = hashlib.sha256(data).hexdigest()
            if prev is not None and prev.status in OK_STATUSES and prev.content_hash == digest:
                await self.repo.record(  # touched, not changed
                    source.id, ref=info.ref, version=info.version, status=prev.status,
                    now=self.clock.now(), content_hash=digest, letter_id=prev.letter_id,
                    title=prev.title,
                )  # fmt: skip
                continue
            stop = await self._ingest(
                source, ref=info.ref, version=info.version, data=data, pdf=is_pdf,
                name=info.path.stem, title=info.path.name, url=None, path=str(info.path),
                published=None, backfill=first, cursor=None, prev=prev, report=report,
            )  # fmt: skip
            if stop is not None:
                log.info("a followed file could not be read now", extra={"source": source.id,
                         "file": info.ref, "reason": stop})  # fmt: skip
            await self._renew(source)
        for ref, prev in known.items():
            if ref not in present and prev.status != "deleted":
                await self._withdraw(source, ref, prev.version, report, title=prev.title,
                                     reason="removed from the folder; its letters are removed "
                                     "from briefbot's answers")  # fmt: skip
        if on_progress is not None:
            on_progress(source, len(files), len(files))

    # ------------------------------------------------------------------ one document

    async def _ingest(
        self,
        source: Source,
        *,
        ref: str,
        version: str,
        data: bytes,
        pdf: bool,
        name: str,
        title: str,
        url: str | None,
        path: str,
        published: str | None,
        backfill: bool,
        cursor: datetime | None,
        prev: SourceDocument | None,
        report: PollReport,
    ) -> str | None:
        """Read a document's bytes and store its letters (replacing what an earlier version
        became). Returns a reason to stop the poll (a failure that may pass), else None."""
        digest = hashlib.sha256(data).hexdigest()
        filename = slugify(name) + (".pdf" if pdf else ".txt")
        try:
            reading = await off_the_query_path(read_letters, data, name=filename, isolate=True)
        except LetterError as exc:
            await self._skip(source, ref, version, str(exc), report, title=title, url=url,
                             cursor=cursor, content_hash=digest)  # fmt: skip
            return None
        store = self.store
        try:
            old: dict[str, LetterRecord] = {}
            for letter_id in await self.repo.letters_of(source.id, ref):
                rec = await store.letters.get(letter_id)
                if rec is not None and rec.source_ref is not None:
                    old[rec.source_ref] = rec
            kept: list[LetterRecord] = []
            added: list[tuple[LetterRecord, bool]] = []
            notes: list[str] = []
            async with self.letters.writing():
                for k, part in enumerate(reading.parts):
                    part_ref = ref if k == 0 else f"{ref}#{k + 1}"
                    previous = old.pop(part_ref, None)
                    if previous is not None and previous.content_hash == part.content_hash:
                        kept.append(previous)  # stored by a poll that did not get to record it
                        await self.letters.index_stored(Ingested(path, previous, "unchanged", 0))
                        continue
                    copy = await stored_copy(store, part.parsed, guild_id=None)
                    if copy is not None and (previous is None or copy.id != previous.id):
                        notes.append(f"already stored as letter {copy.ref}")
                        kept.append(copy)
                        continue
                    origin = LetterOrigin(
                        source_id=source.id, source_ref=part_ref, url=url,
                        name=TK_NAME if source.kind == "tweedekamer" else source.name,
                        published=published, backfill=backfill,
                    )  # fmt: skip
                    record, created = await store.letters.add(
                        part.parsed, slug_hint=slugify(name), source_path=path,
                        content_hash=part.content_hash, guild_id=None,
                        parser_version=PARSER_VERSION,
                        replace=previous.id if previous is not None else None, origin=origin,
                    )  # fmt: skip
                    if not created:  # these very bytes are stored already (bundled, ingested)
                        notes.append(f"already stored as letter {record.ref}")
                        kept.append(record)
                        continue
                    await self.letters.index_stored(
                        Ingested(path, record, "added", len(part.parsed.repairs), replaced=previous)
                    )
                    added.append((record, previous is not None))
        except LetterError as exc:
            await self._skip(source, ref, version, str(exc), report, title=title, url=url,
                             cursor=cursor, content_hash=digest)  # fmt: skip
            return None
        except Exception as exc:  # storage trouble (busy, full): try again at the next poll
            log.exception("could not store a followed document", extra={"source": source.id,
                          "ref": ref})  # fmt: skip
            return await self._failed(source, ref, version, prev, f"could not be stored ({exc})",
                                      report, title=title, url=url, cursor=cursor)  # fmt: skip
        for leftover in old.values():  # the new version holds fewer letters
            await self.letters.remove(leftover.id, guild_id=None)
        for record, updated in added:
            report.added.append(Added(source.id, record, title, url, updated))
            log.info("letter from a source", extra={"source": source.id, "letter": record.id,
                     "updated": updated})  # fmt: skip
        if added:
            status = "updated" if any(u for _, u in added) else "added"
        elif kept and not notes:
            status = "unchanged"
        else:
            status = "skipped"
        reason = "; ".join(dict.fromkeys(notes)) or None
        if notes and not added:
            report.skipped.append(Skipped(source.id, ref, reason or ""))
        first = added[0][0] if added else (kept[0] if kept else None)
        await self.repo.record(
            source.id, ref=ref, version=version, status=status, now=self.clock.now(),
            content_hash=digest, letter_id=first.id if first else None, reason=reason,
            title=title, url=url, cursor=cursor,
        )  # fmt: skip
        return None

    async def _skip(
        self,
        source: Source,
        ref: str,
        version: str,
        reason: str,
        report: PollReport,
        *,
        title: str | None = None,
        url: str | None = None,
        cursor: datetime | None = None,
        content_hash: str | None = None,
    ) -> None:
        """A document briefbot will not read (until it changes): said once, with why."""
        log.info("followed document skipped", extra={"source": source.id, "ref": ref,
                 "reason": reason})  # fmt: skip
        # (letters an earlier, readable version became stay: still the source's own text)
        await self.repo.record(
            source.id, ref=ref, version=version, status="skipped", now=self.clock.now(),
            reason=reason, title=title, url=url, cursor=cursor, content_hash=content_hash,
        )  # fmt: skip
        report.skipped.append(Skipped(source.id, ref, reason))

    async def _failed(
        self,
        source: Source,
        ref: str,
        version: str,
        prev: SourceDocument | None,
        reason: str,
        report: PollReport,
        *,
        title: str | None,
        url: str | None,
        cursor: datetime | None,
    ) -> str | None:
        """A document that failed in a way that may pass: the poll stops here (continued in
        order next time), until it failed :data:`MAX_ATTEMPTS` polls in a row; then it is
        given up (skipped with the reason) and the source moves on."""
        attempts = (prev.attempts if prev is not None and prev.status == "failed" else 0) + 1
        if attempts >= MAX_ATTEMPTS:
            await self._skip(source, ref, version, f"given up after {attempts} polls: {reason}",
                             report, title=title, url=url, cursor=cursor)  # fmt: skip
            return None
        await self.repo.record(
            source.id, ref=ref, version=version, status="failed", now=self.clock.now(),
            reason=reason, title=title, url=url, attempts=attempts,
            content_hash=prev.content_hash if prev else None,
            letter_id=prev.letter_id if prev else None,
        )  # fmt: skip
        return f"{title or ref}: {reason}"

    async def _holds(self, source: Source, ref: str, prev: SourceDocument | None) -> bool:
        """Whether briefbot holds letters of a document: as recorded, or stored by a poll that
        was killed before it could record the document (the letter carries its reference)."""
        if prev is not None and prev.status != "deleted":
            return True
        return bool(await self.repo.letters_of(source.id, ref))

    async def _withdraw(
        self,
        source: Source,
        ref: str,
        version: str,
        report: PollReport,
        *,
        title: str | None,
        reason: str = "deleted at the source; its letters are removed from briefbot's answers",
    ) -> None:
        removed = 0
        for letter_id in await self.repo.letters_of(source.id, ref):
            removed += await self.letters.remove(letter_id, guild_id=None)
        await self.repo.record(
            source.id, ref=ref, version=version, status="deleted", now=self.clock.now(),
            reason=reason, title=title,
        )  # fmt: skip
        log.info("followed document withdrawn", extra={"source": source.id, "ref": ref,
                 "letters": removed})  # fmt: skip
        report.skipped.append(Skipped(source.id, ref, reason))


def _retrying(prev: SourceDocument) -> bool:
    """A document that failed in a way that may pass, not yet given up: read it again."""
    return prev.status == "failed" and prev.attempts < MAX_ATTEMPTS


def _unreadable(doc: tk.Document) -> str | None:
    """Why a listed document is not fetched at all (from what the API says of its file)."""
    if doc.content_type is None and doc.content_length is None:
        return "the document has no file at the source"
    if doc.content_type is not None and doc.content_type not in READABLE_TYPES:
        kind = _KIND_NAMES.get(doc.content_type, doc.content_type)
        return f"the file is {kind}, not a PDF or text; briefbot reads PDF and text files"
    return None


_KIND_NAMES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word file",
    "application/msword": "a Word file",
    "text/html": "an HTML page",
    "text/xml": "XML",
    "application/xml": "XML",
}


def _being_written(settle: float) -> str:
    return f"still being written; read when it has not changed for {settle:g} s"
