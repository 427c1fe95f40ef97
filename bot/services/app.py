"""The application core: one store, the in-memory indexes, and the services built on them.

Both the CLI and the Discord bot create one :class:`Briefbot` and call its services. Letters
enter and leave only through :meth:`Briefbot.add_path`, :meth:`Briefbot.add_upload` and
:meth:`Briefbot.remove_letter`, so every index hears about every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.core import lexicon
from bot.services import letters as letter_svc
from bot.services.scope import Scope
from bot.settings import Settings
from bot.store import LetterRecord, Store, open_store
from bot.store.records import parse_ref

log = logging.getLogger(__name__)


class LetterIndex(Protocol):
    """A service that keeps derived data or an in-memory index of the letters."""

    async def load(self) -> None:
        """Prepare; cheap. Heavy in-memory indexes are built by ``warm`` or on first use."""

    async def warm(self) -> None:
        """Build the in-memory index now (the bot calls this at start, in the background)."""

    async def on_letter_added(self, letter: LetterRecord) -> None:
        """Compute and store derived data for a new letter, and index it."""

    async def on_letter_removed(self, letter_id: int) -> None:
        """Forget a deleted letter."""


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def recency(rec: LetterRecord) -> tuple[str, str]:
    """Newest first by the date the letter states (when complete), then by when it was added."""
    date = rec.date if rec.date and _ISO_DATE.match(rec.date) else ""
    return date, rec.added_at.isoformat()


@dataclass(frozen=True, slots=True)
class ScopeView:
    """What one scope sees of the catalog."""

    ids: tuple[int, ...]  # the letter ids, ascending (the order letters were added)
    id_set: frozenset[int] | None  # the same as a set; None when the scope sees every letter
    newest: LetterRecord | None  # the most recent letter (see ``recency``)


class Catalog:
    """Every letter's record in memory: titles for autocomplete, owners for scoping.

    Change it through ``put`` and ``drop`` only (``by_id`` is for reading), so that the cached
    views stay true: commands ask for them on every call, and at ten thousand letters walking
    the catalog each time would hold up the event loop."""

    def __init__(self) -> None:
        self.by_id: dict[int, LetterRecord] = {}
        self._views: dict[Scope, ScopeView] = {}
        self._by_number: dict[tuple[int | None, int], int] = {}  # (scope, number) -> id
        self._by_slug: dict[tuple[int | None, str], int] = {}  # (scope, slug folded) -> id

    def put(self, record: LetterRecord) -> None:
        self.drop(record.id)
        self.by_id[record.id] = record
        self._by_number[(record.guild_id, record.number)] = record.id
        self._by_slug[(record.guild_id, record.slug.lower())] = record.id
        self._views.clear()

    def drop(self, letter_id: int) -> None:
        old = self.by_id.pop(letter_id, None)
        if old is not None:
            self._by_number.pop((old.guild_id, old.number), None)
            self._by_slug.pop((old.guild_id, old.slug.lower()), None)
        self._views.clear()

    def ref(self, letter_id: int) -> str:
        """How users see and cite the letter: its number in its scope (``3``, or ``s3`` for a
        server's own letter). Internal ids never reach a user."""
        rec = self.by_id.get(letter_id)
        return rec.ref if rec is not None else "?"

    def number(self, letter_id: int) -> int | None:
        """The letter's number within its scope (the CLI's ``--json`` ``id``/``letter``)."""
        rec = self.by_id.get(letter_id)
        return rec.number if rec is not None else None

    def find(self, ref: str, scope: Scope) -> LetterRecord | None:
        """A letter ``scope`` sees, by number (``3``: a letter visible everywhere; ``s3``: the
        server's own) or by slug (the server's own letter first, then a global one)."""
        ref = ref.strip()
        numbered = parse_ref(ref)
        letter_id = None
        if numbered is not None:
            own, n = numbered
            if own and scope.guild_id is not None:
                letter_id = self._by_number.get((scope.guild_id, n))
            elif not own:
                letter_id = self._by_number.get((None, n))
        if letter_id is None:
            slug = ref.lower()
            for owner in (scope.guild_id, None) if scope.guild_id is not None else (None,):
                letter_id = self._by_slug.get((owner, slug))
                if letter_id is not None:
                    break
            if letter_id is None and scope.everything:
                letter_id = next((i for (_, s), i in self._by_slug.items() if s == slug), None)
        rec = self.by_id.get(letter_id) if letter_id is not None else None
        return rec if rec is not None and scope.allows(rec.guild_id) else None

    def visible(self, scope: Scope) -> list[LetterRecord]:
        return [r for r in self.by_id.values() if scope.allows(r.guild_id)]

    def view(self, scope: Scope) -> ScopeView:
        """The letters ``scope`` sees, cached per scope until a letter comes or goes."""
        cached = self._views.get(scope)
        if cached is not None:
            return cached
        records = self.visible(scope)
        ids = tuple(sorted(r.id for r in records))
        every = len(ids) == len(self.by_id)
        view = ScopeView(
            ids=ids,
            id_set=None if every else frozenset(ids),
            newest=max(records, key=recency) if records else None,
        )
        if len(self._views) > 256:
            self._views.clear()
        self._views[scope] = view
        return view

    def in_order(self, scope: Scope) -> list[LetterRecord]:
        """The letters ``scope`` sees, in the order they were added (ascending id)."""
        return [self.by_id[i] for i in self.view(scope).ids]

    def visible_ids(self, scope: Scope) -> frozenset[int] | None:
        """The letter ids ``scope`` may see; None when it sees every letter (no filter needed)."""
        return None if scope.everything else self.view(scope).id_set

    def allows(self, scope: Scope, letter_id: int) -> bool:
        rec = self.by_id.get(letter_id)
        return rec is not None and scope.allows(rec.guild_id)


class Briefbot:
    def __init__(self, store: Store, settings: Settings) -> None:
        from bot.services.ask import AskService
        from bot.services.quotes import QuoteService
        from bot.services.recommendations import RecommendationService
        from bot.services.summary import SummaryService

        self.store = store
        self.settings = settings
        self.catalog = Catalog()
        self.recommendations = RecommendationService(self)
        self.quotes = QuoteService(self)
        self.answers = AskService(self)
        self.summaries = SummaryService(self)
        self._indexes: list[LetterIndex] = [self.recommendations, self.quotes, self.answers]
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, settings: Settings, *, db_path: Path | None = None, seed: bool = True
    ) -> Briefbot:
        store = await open_store(db_path or settings.db_path)
        app = cls(store, settings)
        try:
            await app._start(seed=seed)
        except BaseException:
            await store.close()
            raise
        return app

    async def _start(self, *, seed: bool) -> None:
        for rec in await self.store.letters.list(guild_id=None, include_all=True):
            self.catalog.put(rec)
        if seed and not self.catalog.by_id:
            await self.add_path([self.settings.letters_dir])
        for index in self._indexes:
            await index.load()

    async def warm(self) -> None:
        """Build every in-memory index now instead of on first use, then compute the vectors
        an interrupted ingest left missing (the bot runs this in the background at start;
        questions meanwhile are answered from BM25 and the vectors that exist)."""
        await asyncio.to_thread(lexicon.warm_up)
        for index in self._indexes:
            await index.warm()
        # The indexes are long-lived: keep the collector from walking them on every full
        # collection (a pause of a quarter second at a hundred thousand sentences).
        gc.collect()
        gc.freeze()
        await self.answers.backfill()

    async def close(self) -> None:
        await self.store.close()

    async def __aenter__(self) -> Briefbot:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ letters in and out

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

    async def add_path(
        self,
        paths: Sequence[str | Path],
        *,
        guild_id: int | None = None,
        replace: bool = False,
        on_file: Callable[[Path], None] | None = None,
    ) -> letter_svc.IngestReport:
        """Ingest files and folders: each letter is stored, then indexed (recommendations,
        vectors) before the next file is read; a file that fails is one line of the report.
        Then the vectors any earlier run left missing (a process killed while it embedded)
        are filled in: that is the ingest's work, never a question's."""
        async with self._write_lock:
            report = await letter_svc.ingest_paths(
                self.store,
                paths,
                guild_id=guild_id,
                replace=replace,
                on_file=on_file,
                on_stored=self._stored,
            )
            try:
                report.vectors_filled = await self.answers.backfill()
            except Exception as exc:  # the letters are stored; the bot or the next run fills in
                log.exception("could not fill in missing vectors")
                report.warnings.append(
                    letter_svc.Warned(
                        "(vectors)",
                        f"the vectors of letters stored earlier could not be computed ({exc}); "
                        "the next ingest or the bot fills them in",
                    )
                )
        return report

    async def upload(
        self, data: bytes, *, filename: str, guild_id: int | None
    ) -> letter_svc.IngestReport:
        """Ingest an uploaded file into ``guild_id``'s scope: every letter it holds (a
        letter already here comes back ``unchanged``, with a warning when it is here in
        another form). Raises LetterError when nothing of it could be stored."""
        async with self._write_lock:
            return await letter_svc.ingest_upload(
                self.store, data, filename=filename, guild_id=guild_id, on_stored=self._stored
            )

    async def add_upload(
        self, data: bytes, *, filename: str, guild_id: int | None
    ) -> tuple[LetterRecord, bool, int]:
        """:meth:`upload` for a file of one letter: ``(record, created, repairs)`` of its
        first letter (every letter in it is stored)."""
        report = await self.upload(data, filename=filename, guild_id=guild_id)
        first = report.ingested[0]
        return first.letter, first.status == "added", first.repairs

    async def _stored(self, item: letter_svc.Ingested) -> None:
        """Index a letter the ingest just stored (or found stored but not yet indexed here)."""
        if item.replaced is not None:
            self.catalog.drop(item.replaced.id)
            for index in self._indexes:
                await index.on_letter_removed(item.replaced.id)
        if item.status == "added" or item.letter.id not in self.catalog.by_id:
            await self._added(item.letter, new=item.status == "added")

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Letters come and go one at a time: a followed source stores its letters under this
        lock (``bot.services.sources``), and has each indexed with :meth:`index_stored`."""
        async with self._write_lock:
            yield

    async def index_stored(self, item: letter_svc.Ingested) -> None:
        """Index a letter stored under :meth:`writing` (a failure removes a new one again)."""
        await self._stored(item)

    async def forget_letter(self, letter_id: int) -> None:
        """Drop a letter that another process removed from the store (a followed source's
        document deleted by ``briefbot follow poll``) from memory: the catalog and indexes."""
        async with self._write_lock:
            if letter_id in self.catalog.by_id:
                self.catalog.drop(letter_id)
                for index in self._indexes:
                    await index.on_letter_removed(letter_id)

    async def remove_letter(self, letter_id: int, *, guild_id: int | None) -> bool:
        async with self._write_lock:
            removed = await self.store.letters.delete(letter_id, guild_id=guild_id)
            if removed:
                self.catalog.drop(letter_id)
                for index in self._indexes:
                    await index.on_letter_removed(letter_id)
        return removed

    # ------------------------------------------------------------------ lookups

    async def resolve_letter(self, ref: str, scope: Scope) -> LetterRecord:
        """A letter by its number (``3``, ``s3``) or slug among those ``scope`` may see;
        LookupError otherwise (the same for a letter that does not exist and one of another
        server: a server learns nothing about other servers' letters)."""
        rec = self.catalog.find(ref, scope)
        if rec is None:
            ref = ref.strip()
            shown = ref if len(ref) <= 60 else ref[:59] + "…"
            raise LookupError(f"no letter {shown!r}")
        return rec
