"""Fuzzy quote lookup and quote autocomplete (issue 3), over an in-memory index.

``find`` answers "which sentence is this half-remembered fragment from?": the best sentences
with a 0-100 score, the matched span and the sentences around it. ``suggest`` serves Discord
autocomplete from memory. The index (:mod:`bot.core.quote_index`) is built by ``warm`` (or the
first query) from every stored sentence and kept up to date by the letter hooks.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from bot.core.errors import NotFound, Refused
from bot.core.quote_index import (
    SUGGEST_MIN_SCORE,
    QuoteHit,
    QuoteIndex,
    QuoteIndexBuilder,
    QuoteRow,
)
from bot.services.catalog import Catalog
from bot.services.index_cache import IndexCache, code_version, diff, manifest, saved_or_built
from bot.services.lazy import LazyIndex
from bot.services.scope import Scope
from bot.services.search_backend import StoreQuoteSearch
from bot.store import LetterRecord, SentenceRecord, Store

log = logging.getLogger(__name__)

MAX_LIMIT = 25
# "<letter>:<sentence>": the letter as users see it ("3", or "s3" for a server's own letter)
_REF = re.compile(r"(#?s?\d{1,18}):(\d{1,9})", re.IGNORECASE)


def _sentence_ref(text: str) -> re.Match[str] | None:
    """``<letter>:<sentence>`` (``12:34``, ``#s3 : 5``), spaces anywhere; None otherwise. The
    spaces are dropped before matching: a pattern with ``\\s*`` on both sides of optional parts
    backtracks polynomially on a long run of spaces."""
    if len(text) > 64:
        return None
    return _REF.fullmatch("".join(text.split()))


_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class QuoteMatch:
    text: str  # the whole sentence as stored (cleaned, repaired)
    score: int  # 0-100; 100 is an exact fragment
    letter_id: int
    page: int  # the page on which the sentence starts
    sentence: int  # 1-based sentence number in the letter
    before: str | None  # the previous sentence of the letter, None for the first
    after: str | None  # the next sentence, None for the last
    span: tuple[int, int]  # character offsets of the matched part inside ``text``

    @property
    def ref(self) -> str:
        """A stable reference to this sentence, as autocomplete values carry it."""
        return f"{self.letter_id}:{self.sentence}"


def _row(rec: SentenceRecord) -> QuoteRow:
    return QuoteRow(
        sentence_id=rec.id,
        letter_id=rec.letter_id,
        number=rec.number,
        page=rec.page,
        text=rec.text,
        norm=rec.norm,
    )


#: Rows turned into records on the event loop between two of its turns (a few milliseconds).
SLICE = 100


async def build_quote_index(
    store: Store,
    *,
    batch: int = 20_000,
    total: int = 0,
    progress: Callable[[float], None] | None = None,
) -> QuoteIndex:
    """Read every sentence from ``store`` and index it; the CPU work runs in worker threads,
    and the event loop gets a turn every ``SLICE`` rows read. ``progress`` hears the share
    done of ``total`` sentences (reading and indexing them is about 80% of the build)."""
    builder = QuoteIndexBuilder()
    chunk: list[QuoteRow] = []
    seen = 0
    async for rec in store.letters.iter_all_sentences(batch=5000):
        chunk.append(_row(rec))
        seen += 1
        if seen % SLICE == 0:
            await asyncio.sleep(0)
        if len(chunk) >= batch:
            await asyncio.to_thread(builder.add, chunk)
            chunk = []
            if progress is not None and total:
                progress(0.8 * seen / total)
    if chunk:
        await asyncio.to_thread(builder.add, chunk)
    return await asyncio.to_thread(builder.finish)


def trim_heap() -> None:
    """Give freed heap memory back to the OS (glibc ``malloc_trim``; a no-op elsewhere).

    Building the index churns through millions of short-lived objects in worker threads, whose
    malloc arenas otherwise keep the freed memory: at 1M sentences about 200 MiB of RSS.
    """
    import gc

    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@dataclass(frozen=True, slots=True)
class QuoteSuggestion:
    """An autocomplete choice: the sentence, where the typed words match in it, and the
    reference to give back (``"<letter>:<sentence>"``, the letter as the scope numbers it)."""

    text: str
    span: tuple[int, int]
    value: str


class QuoteService:
    """Implements the ``LetterIndex`` protocol of :mod:`bot.services.catalog`."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        *,
        backend: StoreQuoteSearch | None = None,
        cache: IndexCache | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        # set: the store finds the candidates (PostgreSQL); no index is built in the process
        self.backend = backend
        # the built index is saved here and loaded at the next start (None: always built)
        self.cache = cache
        self._suggested: dict[tuple[object, ...], list[QuoteSuggestion]] = {}
        self._suggesting: set[tuple[object, ...]] = set()
        self._index = LazyIndex(self._build)
        self._warm_task: asyncio.Task[None] | None = None
        # None: a request waits for the index however long it takes to build (the command
        # line); the bot sets lazy.READY_WAIT: then "still loading, about N s" instead
        self.ready_wait: float | None = None

    # ------------------------------------------------------------------ LetterIndex

    async def load(self) -> None:
        """Nothing to prepare: the index is built by ``warm`` or the first query."""

    async def warm(self) -> None:
        if self.backend is None:
            await self._index.get()

    async def on_letter_added(self, letter: LetterRecord) -> None:
        self._suggested.clear()
        async with self._index.updating() as index:
            if index is None or letter.id in index:
                return
            records = await self.store.letters.sentences(letter.id)
            if records:
                await asyncio.to_thread(index.add_letter, [_row(r) for r in records])

    async def on_letter_removed(self, letter_id: int) -> None:
        self._suggested.clear()
        async with self._index.updating() as index:
            if index is not None:
                await asyncio.to_thread(index.remove_letter, letter_id)

    # ------------------------------------------------------------------ queries

    async def find(
        self, text: str, *, scope: Scope, letter: str | None = None, limit: int = 5
    ) -> list[QuoteMatch]:
        """The sentences ``text`` is most likely quoted from, best first.

        ``text`` is a fragment as remembered (case, accents, punctuation, hyphens, typos, missing
        words and word order do not matter), or a reference ``"<letter>:<sentence>"`` as
        :meth:`suggest` returns (the letter's number as ``scope`` sees it: ``3``, ``s3``).
        ``letter`` (number or slug) limits the search to one letter.
        Returns [] when nothing matches well enough. Raises ValueError for an empty text and
        LookupError for a letter ``scope`` cannot see.
        """
        if not isinstance(text, str) or not text.strip():
            raise Refused("empty_quote")
        limit = max(1, min(int(limit), MAX_LIMIT))
        allowed: Collection[int] | None
        if letter is not None and str(letter).strip():
            record = self.catalog.resolve(str(letter), scope)
            allowed = (record.id,)
        else:
            allowed = self.catalog.visible_ids(scope)
        if self.backend is not None:
            return await self._find_in_store(self.backend, text, scope, allowed, limit)
        index = await self._index.get(wait=self.ready_wait)
        ref = _sentence_ref(text)
        record = self.catalog.find(ref[1], scope) if ref else None
        if ref and record is not None:
            hit = index.get(record.id, int(ref[2]))
            if hit is not None and (allowed is None or hit.letter_id in allowed):
                return [self._match(hit)] if self._may_see(scope, hit) else []
        hits = await asyncio.to_thread(index.search, text, letters=allowed, limit=limit)
        return [self._match(h) for h in hits if self._may_see(scope, h)]

    async def get(self, ref: str, *, scope: Scope) -> QuoteMatch:
        """The sentence a ``"<letter>:<sentence>"`` reference names; LookupError otherwise."""
        m = _sentence_ref(ref) if isinstance(ref, str) else None
        if not m:
            shown = ref if not isinstance(ref, str) or len(ref) <= 60 else ref[:59] + "…"
            raise NotFound("not_a_reference", ref=repr(shown))
        record = self.catalog.find(m[1], scope)
        if self.backend is not None:
            hit = await self.backend.get(record.id, int(m[2])) if record is not None else None
        else:
            index = await self._index.get(wait=self.ready_wait)
            hit = index.get(record.id, int(m[2])) if record is not None else None
        if hit is None or not self._may_see(scope, hit):
            raise NotFound("no_sentence", ref=repr(ref.strip()))
        return self._match(hit)

    def suggest(
        self, prefix: str, scope: Scope, limit: int = 25, *, letter: str | None = None
    ) -> list[QuoteSuggestion]:
        """Autocomplete choices for what the user has typed so far: the sentences it most
        likely starts, each with ``"<letter>:<sentence>"`` to give back (the letter's number
        as ``scope`` sees it, never an internal id). Served from memory, synchronous, never
        raises; [] until the index is built (which this starts)."""
        try:
            if self.backend is not None:
                return self._suggest_from_store(prefix, scope, limit, letter)
            index = self._index.value
            if index is None:
                self._start_warm()
                return []
            bounds = self._suggest_bounds(prefix, scope, limit, letter)
            if bounds is None:
                return []
            limit, allowed = bounds
            out = []
            for hit in index.suggest(prefix, letters=allowed, limit=limit):
                if self._may_see(scope, hit):
                    ref = self.catalog.ref(hit.letter_id)
                    out.append(QuoteSuggestion(hit.text, hit.span, f"{ref}:{hit.number}"))
            return out
        except Exception:
            log.exception("quote autocomplete failed for %r", prefix)
            return []

    def _suggest_bounds(
        self, prefix: object, scope: Scope, limit: int, letter: str | None
    ) -> tuple[int, Collection[int] | None] | None:
        """The limit, clamped, and the letters autocomplete draws from: the one named, else
        every letter ``scope`` sees. None when there is nothing to suggest: an empty prefix,
        or a named letter ``scope`` does not see."""
        if not isinstance(prefix, str) or not prefix.strip():
            return None
        allowed: Collection[int] | None
        if letter is not None and str(letter).strip():
            record = self._letter_in_scope(str(letter), scope)
            if record is None:
                return None
            allowed = (record.id,)
        else:
            allowed = self.catalog.visible_ids(scope)
        return max(1, min(int(limit), MAX_LIMIT)), allowed

    # ------------------------------------------------------------------ store-backed

    async def _find_in_store(
        self,
        backend: StoreQuoteSearch,
        text: str,
        scope: Scope,
        allowed: Collection[int] | None,
        limit: int,
    ) -> list[QuoteMatch]:
        ref = _sentence_ref(text)
        record = self.catalog.find(ref[1], scope) if ref else None
        if ref and record is not None:
            hit = await backend.get(record.id, int(ref[2]))
            if hit is not None and (allowed is None or hit.letter_id in allowed):
                return [self._match(hit)] if self._may_see(scope, hit) else []
        hits = await backend.search(text, letters=allowed, limit=limit)
        return [self._match(h) for h in hits if self._may_see(scope, h)]

    def _suggest_from_store(
        self, prefix: str, scope: Scope, limit: int, letter: str | None
    ) -> list[QuoteSuggestion]:
        """Autocomplete is answered synchronously: what the store found for this text (or,
        while that is looked up, for the longest part of it typed before), the lookup of
        the text itself started in the background for the next keystroke."""
        bounds = self._suggest_bounds(prefix, scope, limit, letter)
        if bounds is None:
            return []
        limit, allowed = bounds
        base = (scope, letter, limit)
        key = (*base, prefix)
        if key not in self._suggested and key not in self._suggesting:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self._suggesting.add(key)
                loop.create_task(self._suggest_task(key, prefix, scope, allowed, limit))
        for end in range(len(prefix), 0, -1):
            found = self._suggested.get((*base, prefix[:end]))
            if found is not None:
                return found
        return []

    async def _suggest_task(
        self,
        key: tuple[object, ...],
        prefix: str,
        scope: Scope,
        allowed: Collection[int] | None,
        limit: int,
    ) -> None:
        assert self.backend is not None
        try:
            hits = await self.backend.search(
                prefix, letters=allowed, limit=limit, min_score=SUGGEST_MIN_SCORE, prefix=True
            )
            out = []
            for hit in hits:
                if self._may_see(scope, hit):
                    ref = self.catalog.ref(hit.letter_id)
                    out.append(QuoteSuggestion(hit.text, hit.span, f"{ref}:{hit.number}"))
            if len(self._suggested) >= 512:
                self._suggested.pop(next(iter(self._suggested)))
            self._suggested[key] = out
        except Exception:
            log.exception("quote autocomplete failed for %r", prefix)
        finally:
            self._suggesting.discard(key)

    # ------------------------------------------------------------------ internals

    async def _build(self) -> QuoteIndex:
        total = sum(r.sentence_count for r in list(self.catalog.by_id.values()))

        async def build() -> QuoteIndex:
            index = await build_quote_index(self.store, total=total, progress=self._index.advance)
            await asyncio.to_thread(trim_heap)
            log.info("quote index built: %d sentences", len(index))
            self._save_later()
            return index

        return await saved_or_built(
            self.cache, "quote", total, load=self._load_saved, build=build,
            progress=self._index.advance,
        )  # fmt: skip

    # ------------------------------------------------------------------ saved copy

    def _cache_key(self) -> dict[str, object]:
        return {
            "index": "quote",
            "code": code_version("bot.core.quote_index", "bot.core.text", "bot.core.vocabulary"),
            "schema": self.store.schema_version,
        }

    async def _load_saved(self) -> QuoteIndex | None:
        """The index as last saved, with what changed in the store since (letters deleted
        are dropped, letters stored are added); None when there is no usable saved copy or
        so much changed that building it again is quicker."""
        cache = self.cache
        if cache is None or not cache.enabled:
            return None
        snap = await asyncio.to_thread(cache.load, "quote", self._cache_key())
        if snap is None:
            return None
        try:
            index = await asyncio.to_thread(
                QuoteIndex.from_state, snap.arrays, snap.blobs, snap.meta["meta"]
            )
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            cache.last_load["quote"] = "corrupt"
            log.warning("quote index: saved copy %s unusable (%s); building it from the store",
                        snap.folder, exc)  # fmt: skip
            return None
        self._index.advance(0.5)
        by_id = dict(self.catalog.by_id)
        change = await asyncio.to_thread(diff, snap.letters, by_id)
        adding = sum(by_id[i].sentence_count for i in change.add if i in by_id)
        if adding > max(50_000, len(index)):
            cache.last_load["quote"] = "rebuilt"
            log.info("quote index: %d sentences stored since it was saved; building it again",
                     adding)  # fmt: skip
            return None
        for lid in change.drop:
            await asyncio.to_thread(index.remove_letter, lid)
        rows: list[QuoteRow] = []
        done = 0
        for lid in change.add:
            rows += [_row(r) for r in await self.store.letters.sentences(lid)]
            if len(rows) >= 100_000:
                done += len(rows)
                await asyncio.to_thread(index.add_rows, rows)
                rows = []
                self._index.advance(0.5 + 0.5 * done / max(1, adding))
        if rows:
            await asyncio.to_thread(index.add_rows, rows)
        log.info(
            "quote index loaded from %s: %d sentences (%d letters added since, %d dropped)",
            snap.folder, len(index), len(change.add), len(change.drop),
        )  # fmt: skip
        if adding + len(change.drop) > max(1000, len(index) // 20):
            self._save_later()
        return index

    def _save_later(self) -> None:
        if self.cache is not None and self.cache.enabled:
            self.cache.spawn(self.save())

    async def save(self) -> None:
        """Save the built index (its next start loads it); nothing when it is not built."""
        cache = self.cache
        if cache is None or not cache.enabled:
            return
        async with self._index.updating() as index:
            if index is None:
                return
            arrays, blobs, meta = await asyncio.to_thread(index.export_state)
            letters = await asyncio.to_thread(manifest, index.letter_ids, dict(self.catalog.by_id))
        meta["letters"] = len(letters)
        await asyncio.to_thread(
            cache.save, "quote", self._cache_key(), arrays, blobs, meta, letters
        )

    def _start_warm(self) -> None:
        if self._warm_task is not None and not self._warm_task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._warm_task = loop.create_task(self.warm())

    def _may_see(self, scope: Scope, hit: QuoteHit) -> bool:
        return self.catalog.allows(scope, hit.letter_id)

    def _letter_in_scope(self, ref: str, scope: Scope) -> LetterRecord | None:
        return self.catalog.find(ref, scope)

    @staticmethod
    def _match(hit: QuoteHit) -> QuoteMatch:
        return QuoteMatch(
            text=hit.text,
            score=hit.score,
            letter_id=hit.letter_id,
            page=hit.page,
            sentence=hit.number,
            before=hit.before,
            after=hit.after,
            span=hit.span,
        )
