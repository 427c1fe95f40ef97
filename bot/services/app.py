"""The composition root: the store and every service, built once, here.

Both adapters receive one :class:`Services` and call its services; no adapter builds a service,
and services reach each other through what this root hands them, never through an adapter::

    services = await Services.open(settings)        # the CLI, and `briefbot run` for the bot
    await services.letters.add_path([...])
    answer = await services.answers.answer("Wat vraagt de rapporteur?", scope=GLOBAL)
    services.start(sender=DiscordSender(client))   # the bot: the periodic jobs begin
    await services.close()                         # jobs stopped, store closed

What is built, and on what:

    store, catalog (every letter's record, in memory)
    recommendations (store, catalog)      quotes (store, catalog)
    summaries (+ recommendations)         answers: questions (+ summaries, recommendations,
                                          quotes: a question's route)
    letters: ingest (+ recommendations, quotes and answers, told of every letter added or
             removed)
    digests (+ recommendations, summaries)
    privacy (asks digests and letters to forget a user or a server)
    tour: the /help examples (+ recommendations, summaries, quotes, answers)
    conversations: direct messages (+ answers, tour)
    sources: followed sources (+ letters: what a poll brings is ingested like any file)
    changes: what this process changes, told to the other bot processes on the store
    (letters, subscriptions, sources publish through it); the change job applies theirs here
    scheduler: the periodic jobs (digest delivery, the purge of servers' data, polling the
    followed sources, the other processes' changes, the vectors letters wait for), started by
    :meth:`Services.start` once there is a way to send, stopped by :meth:`Services.close`.

A new service is added here (and, when it has periodic work, its job in :meth:`start`; when it
keeps user or server data, its hooks in ``privacy``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Literal

from bot.services.ask import AskService
from bot.services.catalog import Catalog, LetterIndex
from bot.services.changes import ChangeJob, ChangePublisher
from bot.services.clock import Clock, SystemClock
from bot.services.conversation import ConversationService
from bot.services.digests import Claims, DigestJob, DigestService, Sender
from bot.services.index_cache import IndexCache, store_identity
from bot.services.lazy import READY_WAIT
from bot.services.letters import IngestReport, LetterService
from bot.services.privacy import Forgotten, PrivacyService, PurgeJob
from bot.services.quotes import QuoteService
from bot.services.recommendations import RecommendationService
from bot.services.scheduler import Scheduler
from bot.services.search_backend import StoreQuoteSearch, store_indexes
from bot.services.sources import SourceJob, SourceService
from bot.services.sources.http import PoliteClient
from bot.services.sources.poller import AFTER_CRASH
from bot.services.summary import SummaryService
from bot.services.tour import TourService
from bot.services.vectors import VectorJob
from bot.settings import Settings
from bot.store import Store, open_store
from bot.store.base import SearchingStore, SearchRepository

log = logging.getLogger(__name__)

CHANGES_RETRY = timedelta(seconds=5)  # the change feed failed (the store was busy): soon again


class Services:
    """Every service of briefbot, on one store. Build it with :meth:`open`."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        clock: Clock | None = None,
        http: PoliteClient | None = None,
        search: SearchRepository | None = None,
        quotes_in_store: bool = False,
        location: str | Path | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.catalog = Catalog()
        # several bot processes on one store: what this one changes, the others take in
        self.changes = ChangePublisher(store.changes)
        self.recommendations = RecommendationService(store, self.catalog)
        # the built indexes, saved so that the next start loads them (bot/services/index_cache);
        # a store given without its ``location`` has none
        self.index_cache = IndexCache(
            settings.index_cache_dir(str(location)) if location is not None else None,
            store_id=store_identity(str(location)) if location is not None else "",
        )
        self.index_cache.location = str(location) if location is not None else None
        self.index_cache.letters_dir = settings.letters_dir
        # a store that searches itself (PostgreSQL, BRIEFBOT_SEARCH=store): the candidates come
        # from it and the process holds no index of every sentence (services/search_backend.py)
        self.quotes = QuoteService(
            store,
            self.catalog,
            cache=self.index_cache,
            backend=StoreQuoteSearch(
                search,
                store.letters,
                total=lambda: sum(r.sentence_count for r in list(self.catalog.by_id.values())),
                sentences_of=lambda i: getattr(self.catalog.by_id.get(i), "sentence_count", 0),
            )
            if search is not None and quotes_in_store
            else None,
        )
        self.summaries = SummaryService(store, self.catalog, self.recommendations)
        self.answers = AskService(
            store,
            self.catalog,
            summaries=self.summaries,
            recommendations=self.recommendations,
            quotes=self.quotes,
            indexes=None
            if search is None
            else partial(store_indexes, search, store.vectors, self._embedded),
            cache=self.index_cache,
        )
        self._indexes: list[LetterIndex] = [self.recommendations, self.quotes, self.answers]
        self.letters = LetterService(
            store,
            self.catalog,
            self._indexes,
            backfill=self.answers.backfill,
            pending=lambda: self.answers.pending().pending_sentences,
            bundled=settings.letters_dir,
            read_workers=settings.read_workers,
            publish=self.changes.publish,
        )
        self.digests = DigestService(
            store.digests,
            self.catalog,
            recommendations=self.recommendations,
            summaries=self.summaries,
            clock=self.clock,
            claims=Claims(timedelta(seconds=settings.claim_stale_seconds)),
        )
        self.digests.publish = self.changes.publish
        self.privacy = PrivacyService(
            store.meta,
            users={"subscriptions": self.digests},
            guilds=[("letters", self.letters), ("subscriptions", self.digests)],
            clock=self.clock,
        )
        self.tour = TourService(
            self.catalog,
            recommendations=self.recommendations,
            summaries=self.summaries,
            quotes=self.quotes,
            answers=self.answers,
        )
        self.conversations = ConversationService(self.answers, self.tour)
        self.sources = SourceService(
            store, self.catalog, self.letters, settings, clock=self.clock, client=http
        )
        self.sources.publish = self.changes.publish
        self.scheduler = Scheduler(self.clock)
        self._digest_job = DigestJob(self.digests)
        self.scheduler.add(self._digest_job, wake=self.digests.changed)
        self.scheduler.add(PurgeJob(self.privacy))
        self.scheduler.add(
            SourceJob(self.sources), wake=self.sources.changed, retry_after=AFTER_CRASH
        )
        self.change_job = ChangeJob(
            store,
            self.catalog,
            self.letters,
            self.changes,
            wakes={"subscriptions": self.digests.changed.set, "sources": self.sources.changed.set},
            clock=self.clock,
        )
        self.scheduler.add(self.change_job, retry_after=CHANGES_RETRY)
        self.scheduler.add(VectorJob(self.answers), wake=self.answers.vectors_wanted)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        database: str | Path | None = None,
        seed: bool = True,
        clock: Clock | None = None,
        http: PoliteClient | None = None,
        search: Literal["store", "memory"] | None = None,
    ) -> Services:
        """Open the store (``database``, else the setting ``BRIEFBOT_DB``) and build every
        service on it. With ``seed``, an empty store first gets the bundled letters. ``http``:
        the client followed sources are fetched with (tests pace it differently).
        ``search`` (default: the setting ``BRIEFBOT_SEARCH``): ``store`` lets a store that can
        search itself (PostgreSQL) find the candidates of quote lookups and questions, so the
        process holds no index of every sentence; ``memory`` builds the in-process indexes on
        any store (the default: better answers, more memory)."""
        store = await open_store(database or settings.database)
        try:
            wanted = search or settings.search
            repo, in_store = await _store_search(store) if wanted == "store" else (None, False)
        except BaseException:
            await store.close()
            raise
        services = cls(
            store,
            settings,
            clock=clock,
            http=http,
            search=repo,
            quotes_in_store=in_store,
            location=database or settings.database,
        )
        try:
            await services.change_job.start_at()  # before the letters: nothing falls between
            await services.letters.load()
            if seed:
                await services.letters.seed()
            for index in services._indexes:
                await index.load()
        except BaseException:
            await store.close()
            raise
        return services

    def _embedded(self) -> frozenset[int]:
        """The letters whose vectors the questions use (store-backed: every letter not
        waiting for its vectors)."""
        waiting = self.answers.waiting()
        return frozenset(i for i in self.catalog.by_id if i not in waiting)

    async def warm(self, *, vectors: bool = True) -> None:
        """Build every in-memory index now instead of on first use, then (with ``vectors``)
        compute the vectors letters still wait for. The bot runs this in the background at
        start without ``vectors``: its vector job does those (``bot.services.vectors``);
        questions meanwhile are answered from BM25 and the vectors that exist."""
        # the word lists and the question model load in a thread of their own: the indexes
        # (loaded in a second when saved) do not wait behind them in the worker pool
        models = self.answers.prepare()
        for index in self._indexes:
            await index.warm()
        await models
        # The indexes are long-lived: keep the collector from walking them on every full
        # collection (a pause of a quarter second at a hundred thousand sentences). No
        # gc.collect() first: it would hold the interpreter, and so the event loop, as long.
        gc.freeze()
        if vectors:
            await self.answers.backfill()

    async def refresh_saved_indexes(self, report: IngestReport) -> None:
        """After ``briefbot ingest`` stored letters (nothing when ``report`` added none): the
        saved quote and question indexes (``bot.services.index_cache``) brought up to date, so
        that the bot's next start loads them instead of building them from the store: each is
        loaded with what the ingest added (and saved again when that was much), or built and
        saved when no usable copy was there. Only where it pays: a copy is saved already, or
        the store is large enough for a start to build in a child process. Never raises (the
        next start builds instead)."""
        cache = self.index_cache
        if not cache.enabled or not any(i.status == "added" for i in report.ingested):
            return
        sentences = sum(r.sentence_count for r in list(self.catalog.by_id.values()))
        status = await asyncio.to_thread(cache.status)  # reads files: not on the event loop
        saved = any(e.get("saved") for e in status["indexes"].values())
        if not saved and not cache.builds_in_child(sentences):
            return
        try:
            await self.quotes.warm()
            await self.answers.warm()
            await cache.drain()
        except Exception:
            log.warning("could not update the saved indexes; the next start builds them",
                        exc_info=True)  # fmt: skip

    def start(self, *, sender: Sender) -> None:
        """Start the periodic jobs: digests delivered through ``sender``, and the purge of the
        data of servers that removed the bot. Call it inside the running event loop."""
        self._digest_job.sender = sender
        # Serving interactions now: a request never waits longer for an index still being
        # built than Discord allows; it is told "still loading, about N s" instead.
        self.quotes.ready_wait = self.answers.ready_wait = READY_WAIT
        self.scheduler.start()

    async def stop(self) -> None:
        """Stop the periodic jobs (a round in progress is cancelled)."""
        await self.scheduler.stop()

    async def forget_user(self, user_id: int) -> Forgotten:
        """Delete everything briefbot keeps about a user (every service is asked)."""
        return await self.privacy.forget_user(user_id)

    async def close(self) -> None:
        await self.stop()
        await self.index_cache.drain()  # an index being saved is saved whole
        await self.sources.close()
        await self.store.close()

    async def __aenter__(self) -> Services:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def _store_search(store: Store) -> tuple[SearchRepository | None, bool]:
    """The store's own search when it has one, and whether it serves quote lookups too (it
    needs pg_trgm; without it the quote index is built in the process, said once here)."""
    if not isinstance(store, SearchingStore):
        return None, False
    repo = store.search
    if await repo.available():
        return repo, True
    log.warning(
        "PostgreSQL has no pg_trgm extension (Debian: postgresql-contrib): quote lookup "
        "builds its index in this process instead of asking the database"
    )
    return repo, False
