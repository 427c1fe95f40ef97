"""The letter service: letters in and out, the only way into the catalog and the indexes.

Letters enter through :meth:`LetterService.add_path` (files and folders: the CLI, the bundled
letters) and :meth:`LetterService.upload` (Discord), and leave through
:meth:`LetterService.remove`; each change reaches the catalog and every ``LetterIndex``
(recommendations, quotes, questions), one write at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Literal

from bot.services.catalog import Catalog, LetterIndex
from bot.services.letters.ingest import ingest_paths, ingest_upload, letter_view
from bot.services.letters.pool import reading_workers
from bot.services.letters.report import Ingested, IngestReport, LetterView, Warned
from bot.services.vectors import EMBED_INLINE
from bot.store import LetterRecord, Store
from bot.store.records import ChangeKind

log = logging.getLogger(__name__)

Publish = Callable[[ChangeKind, int | None], Awaitable[None]]


async def _unsaid(kind: ChangeKind, key: int | None) -> None:
    return None


class LetterService:
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        indexes: Sequence[LetterIndex],
        *,
        backfill: Callable[[], Awaitable[int]],
        pending: Callable[[], int] | None = None,
        bundled: Path,
        publish: Publish = _unsaid,
        read_workers: int | None = None,
    ) -> None:
        """``indexes`` hear of every letter added or removed; ``backfill`` computes the vectors
        the letters still wait for (the ask service's), ``pending`` says how many sentences
        wait; ``bundled`` is the folder an empty store starts with; ``publish`` tells the other
        bot processes on the store of each letter added or removed here
        (``bot.services.changes``)."""
        self.store = store
        self.catalog = catalog
        self._indexes = list(indexes)
        self._backfill = backfill
        self._pending = pending or (lambda: 0)
        self.bundled = bundled
        self.read_workers = read_workers  # BRIEFBOT_READ_WORKERS (None: one per core)
        self._write_lock = asyncio.Lock()
        self._publish = publish

    async def load(self) -> None:
        """Fill the catalog from the store (every letter of every scope)."""
        records = await self.store.letters.list(guild_id=None, include_all=True)
        # ten thousand letters take a third of a second: not on the event loop
        await asyncio.to_thread(self.catalog.put_many, records)

    async def seed(self) -> IngestReport | None:
        """When the store holds no letters, ingest the bundled ones (visible everywhere); None
        when there were letters already."""
        if self.catalog.by_id:
            return None
        return await self.add_path([self.bundled], vectors="wait")

    # ------------------------------------------------------------------ in

    async def add_path(
        self,
        paths: Sequence[str | Path],
        *,
        guild_id: int | None = None,
        replace: bool = False,
        on_file: Callable[[Path], None] | None = None,
        vectors: Literal["wait", "later"] = "wait",
    ) -> IngestReport:
        """Ingest files and folders: each letter is stored and made answerable (its
        recommendations and topics, the quote and BM25 indexes) before the next file is read;
        a file that fails is one line of the report.

        The sentence vectors (semantic search) come after: with ``vectors="wait"`` they are
        computed before this returns, for these letters and any an earlier run left waiting
        (a process killed while it embedded); with ``"later"`` they are left to the bot's
        vector job or the next ``briefbot index build`` (``report.vectors_pending`` says how
        many sentences wait). Either way never a question's work."""
        async with self._write_lock:
            report = await ingest_paths(
                self.store,
                paths,
                guild_id=guild_id,
                replace=replace,
                on_file=on_file,
                on_stored=self._stored,
                workers=reading_workers(self.read_workers),
            )
            if vectors == "wait":
                await self._fill_vectors(report)
            report.vectors_pending = self._pending()
        return report

    async def _fill_vectors(self, report: IngestReport) -> None:
        try:
            report.vectors_filled = await self._backfill()
        except Exception as exc:  # the letters are stored; the bot or the next run fills in
            log.exception("could not compute the vectors")
            report.warnings.append(
                Warned(
                    "(vectors)",
                    f"the vectors of some letters could not be computed ({exc}); they are "
                    "answered from their words until the bot or `briefbot index build` "
                    "fills them in",
                )
            )

    async def upload(self, data: bytes, *, filename: str, guild_id: int | None) -> IngestReport:
        """Ingest an uploaded file into ``guild_id``'s scope: every letter it holds (a
        letter already here comes back ``unchanged``, with a warning when it is here in
        another form). Raises LetterError when nothing of it could be stored."""
        async with self._write_lock:
            inline = EMBED_INLINE.set(True)  # one letter: its vectors are part of adding it
            try:
                report = await ingest_upload(
                    self.store, data, filename=filename, guild_id=guild_id, on_stored=self._stored
                )
            finally:
                EMBED_INLINE.reset(inline)
            report.vectors_pending = self._pending()
            return report

    async def add_upload(
        self, data: bytes, *, filename: str, guild_id: int | None
    ) -> tuple[LetterRecord, bool, int]:
        """:meth:`upload` for a file of one letter: ``(record, created, repairs)`` of its
        first letter (every letter in it is stored)."""
        report = await self.upload(data, filename=filename, guild_id=guild_id)
        first = report.ingested[0]
        return first.letter, first.status == "added", first.repairs

    async def _stored(self, item: Ingested) -> None:
        """Index a letter the ingest just stored (or found stored but not yet indexed here)."""
        if item.replaced is not None:
            self.catalog.drop(item.replaced.id)
            for index in self._indexes:
                await index.on_letter_removed(item.replaced.id)
            await self._publish("letter-removed", item.replaced.id)
        if item.status == "added" or item.letter.id not in self.catalog.by_id:
            await self._added(item.letter, new=item.status == "added")

    async def _added(self, record: LetterRecord, *, new: bool) -> None:
        """Index a stored letter. If that fails (the disk is full, say) for a letter this call
        stored (``new``), it is removed again: a letter is either fully usable or absent, and
        adding it again works."""
        self.catalog.put(record)
        try:
            for index in self._indexes:
                await index.on_letter_added(record)
        except Exception:
            if new:
                await self._undo_add(record)
            raise
        if new:
            await self._publish("letter-added", record.id)

    async def _undo_add(self, record: LetterRecord) -> None:
        self.catalog.drop(record.id)
        try:
            await self.store.letters.delete(record.id, guild_id=record.guild_id)
        except Exception:  # still stored: derived data is completed at the next start
            self.catalog.put(record)
            log.exception(
                "could not remove a letter whose indexing failed", extra={"letter": record.id}
            )
            return
        for index in self._indexes:
            try:
                await index.on_letter_removed(record.id)
            except Exception:
                log.exception("could not unindex a removed letter", extra={"letter": record.id})

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Letters come and go one at a time: a followed source stores its letters under this
        lock (``bot.services.sources``), and has each indexed with :meth:`index_stored`."""
        async with self._write_lock:
            yield

    async def index_stored(self, item: Ingested) -> None:
        """Index a letter stored under :meth:`writing` (a failure removes a new one again)."""
        await self._stored(item)

    # ------------------------------------------------------------------ out

    async def forget_letter(self, letter_id: int) -> None:
        """Drop a letter that another process removed from the store (a followed source's
        document deleted by ``briefbot follow poll``) from memory: the catalog and indexes."""
        async with self._write_lock:
            if letter_id in self.catalog.by_id:
                self.catalog.drop(letter_id)
                for index in self._indexes:
                    await index.on_letter_removed(letter_id)

    async def remove(self, letter_id: int, *, guild_id: int | None) -> bool:
        """Delete a letter of exactly that scope (a server removes only its own); False when
        there is none."""
        async with self._write_lock:
            removed = await self.store.letters.delete(letter_id, guild_id=guild_id)
            if removed:
                self.catalog.drop(letter_id)
                for index in self._indexes:
                    await index.on_letter_removed(letter_id)
                await self._publish("letter-removed", letter_id)
        return removed

    async def forget_guild(self, guild_id: int) -> int:
        """Delete every letter of a server, and its number sequence (the privacy service's
        purge of a server that removed the bot); returns how many letters."""
        letters = [r.id for r in list(self.catalog.by_id.values()) if r.guild_id == guild_id]
        for letter_id in letters:
            await self.remove(letter_id, guild_id=guild_id)
        await self.store.letters.forget_numbers(guild_id)
        return len(letters)

    # ------------------------------------------------------------------ reading

    async def view(self, record: LetterRecord) -> LetterView:
        """Everything ``show`` prints about one (already resolved) letter."""
        return await letter_view(self.store, record)
