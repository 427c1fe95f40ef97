"""The storage interface. Services depend on these protocols and on the records of
``bot.store.records``, never on a backend.

Every repository of every backend implements the protocol of the same name; a backend is a
``Store`` holding one of each (``bot.store.sqlite`` today, PostgreSQL next). A backend stores and
fetches: it takes no decisions of its own. Where a write depends on what is stored (claiming a
digest delivery), the decision is a pure function the service passes in (``ClaimPolicy``), run by
the backend inside its transaction.

Errors: a backend raises the errors below, never its driver's (no ``sqlite3`` error ever leaves
``bot.store``); ``StoreBusy`` and ``StoreFull`` are temporary for the user and say so.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any, Literal, Protocol, runtime_checkable

from bot.core.models import ParsedLetter
from bot.store.records import (
    Change,
    ChangeKind,
    ClaimDecision,
    ClaimRequest,
    ClaimResult,
    Delivery,
    DocumentStatus,
    FollowedKind,
    LetterOrigin,
    LetterRecord,
    LetterTopicRecord,
    Outcome,
    RecommendationRow,
    RepairRecord,
    SearchRow,
    SectionRecord,
    SentenceRecord,
    Source,
    SourceDocument,
    SourceStats,
    StoredRecommendation,
    StoredVector,
    StoreStats,
    Subscription,
    TopicCountRecord,
    TopicRow,
)

# --------------------------------------------------------------------------- errors


class StoreError(Exception):
    """Base class of every error the store raises."""


class StoreBusy(StoreError):
    """The database cannot be written (or read) right now: another process holds a lock, or
    the disk did not answer. Temporary: the same request works again in a moment."""


class StoreFull(StoreError):
    """The disk (or the database's size limit) is full; nothing of the write was stored. Only an
    operator can fix it."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer briefbot than this one."""


class MigrationError(StoreError):
    """A schema migration could not be applied; the database keeps its previous version."""


class InvalidLetterError(StoreError, ValueError):
    """A parsed letter that cannot be stored as given; nothing of it was written."""


class InvalidQueryError(StoreError, ValueError):
    """A full-text query the search engine rejects."""


# --------------------------------------------------------------------------- letters


class LetterRepository(Protocol):
    async def add(
        self,
        parsed: ParsedLetter,
        *,
        slug_hint: str,
        source_path: str,
        content_hash: str,
        guild_id: int | None,
        parser_version: str,
        replace: int | None = None,
        origin: LetterOrigin | None = None,
    ) -> tuple[LetterRecord, bool]:
        """Store a whole letter atomically; ``(existing, False)`` if its content is already
        stored in that scope (then nothing is written). It gets the scope's next number (never
        one given before) and a slug unique among the letters that scope sees. With
        ``replace``, the letter of that id in the same scope is deleted in the same
        transaction and the new one takes its number and slug. ``origin``: the followed
        source it came from (at most one letter per source document)."""
        ...

    async def get(self, letter_id: int) -> LetterRecord | None: ...

    async def resolve(self, ref: str, *, guild_id: int | None) -> LetterRecord | None:
        """A letter number as users see it (``3``: global; ``s3``: the server's own) or a slug
        (the server's own letter first), among the letters visible to ``guild_id``."""
        ...

    async def sharing_phrases(
        self, phrases: Sequence[str], *, guild_id: int | None, limit: int = 20
    ) -> dict[int, int]:
        """Letter id -> how many of ``phrases`` (folded words) occur in its sentences, among
        the letters ``guild_id`` sees."""
        ...

    async def list(
        self, *, guild_id: int | None, include_all: bool = False
    ) -> builtins.list[LetterRecord]:
        """Letters visible to ``guild_id`` (its own + global), or every letter."""
        ...

    async def count(self) -> int: ...

    async def delete(self, letter_id: int, *, guild_id: int | None) -> bool:
        """Delete a letter owned by exactly that scope; False if there is none."""
        ...

    async def forget_numbers(self, guild_id: int) -> bool:
        """Forget a server's number sequence once it has no letters (its data purged)."""
        ...

    async def original(self, letter_id: int) -> str | None: ...

    async def sections(self, letter_id: int) -> builtins.list[SectionRecord]: ...

    async def sentences(self, letter_id: int) -> builtins.list[SentenceRecord]: ...

    async def sentence(self, letter_id: int, number: int) -> SentenceRecord | None: ...

    async def sentences_by_ids(self, ids: Sequence[int]) -> builtins.list[SentenceRecord]:
        """In the order of ``ids``; unknown ids are skipped."""
        ...

    async def repairs(self, letter_id: int) -> builtins.list[RepairRecord]: ...

    def iter_all_sentences(self, batch: int = 5000) -> AsyncIterator[SentenceRecord]:
        """Every sentence in id order, fetched ``batch`` rows at a time (no lock or transaction
        is held between batches: the caller may write meanwhile)."""
        ...

    async def fts_search(
        self, match_expr: str, *, limit: int, letter_ids: Sequence[int] | None = None
    ) -> builtins.list[tuple[int, float]]:
        """``(sentence_id, score)`` best first (a lower score is a better match), for an
        expression of ``bot.core.topics.fts_expression``; InvalidQueryError when the engine
        rejects it."""
        ...


class MetaRepository(Protocol):
    """Small key-value facts: command-sync hashes, servers that left and when they are purged."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...

    async def delete(self, key: str) -> bool: ...

    async def items(self, prefix: str) -> builtins.list[tuple[str, str]]:
        """Every ``(key, value)`` whose key starts with ``prefix``, by key."""
        ...


# --------------------------------------------------------------------------- derived data


class RecommendationRepository(Protocol):
    """Topics and recommendations derived from the letters."""

    async def replace(
        self,
        letter_id: int,
        *,
        topics: Sequence[TopicRow],
        recommendations: Sequence[RecommendationRow],
        version: str,
    ) -> bool:
        """Store a letter's topics and recommendations in place of any it had, and record
        ``version``, in one transaction. False (nothing written) if the letter is gone."""
        ...

    async def versions(self, letter_id: int | None = None) -> dict[int, str]:
        """letter id -> version of its stored recommendations (of one letter if given)."""
        ...

    async def delete_orphan_topics(self) -> int:
        """Delete topics no letter uses (after a letter was deleted); returns how many."""
        ...

    async def letter_topics(self, letter_id: int | None = None) -> builtins.list[LetterTopicRecord]:
        """Every letter's topics (or one letter's), heaviest first per letter."""
        ...

    async def topic_counts(self, letter_id: int | None = None) -> builtins.list[TopicCountRecord]:
        """How many recommendations each letter (or one letter) has on each topic."""
        ...

    async def list(
        self, letter_ids: Sequence[int], *, topic: str | None = None
    ) -> builtins.list[StoredRecommendation]:
        """Recommendations of ``letter_ids`` (on ``topic`` when given), in letter order."""
        ...


class VectorRepository(Protocol):
    """Sentence vectors derived from the letters (opaque bytes here)."""

    async def replace(
        self, letter_id: int, vectors: Sequence[tuple[int, bytes]], *, version: str
    ) -> bool:
        """Store a letter's ``(sentence_id, vector)`` pairs in place of any it had and record
        ``version``, in one transaction. False (nothing written) if the letter is gone or a
        sentence id is not one of its sentences."""
        ...

    async def versions(self) -> dict[int, str]:
        """letter id -> model version of its stored vectors."""
        ...

    async def for_letter(self, letter_id: int) -> builtins.list[StoredVector]:
        """A letter's vectors in sentence order."""
        ...

    def iter_all(self, batch: int = 20_000) -> AsyncIterator[builtins.list[StoredVector]]:
        """Every stored vector in sentence id order, ``batch`` per list."""
        ...

    async def count(self, letter_id: int | None = None) -> int: ...

    async def delete(self, letter_id: int) -> None:
        """Forget a letter's vectors (they are computed again by the next backfill)."""
        ...


# --------------------------------------------------------------------------- digests


class ClaimPolicy(Protocol):
    """The rules of claiming a digest delivery (``bot.services.digests``): pure functions over
    what the log holds, which the store applies inside its claiming transaction."""

    def claim(
        self, request: ClaimRequest, logged: Delivery | None, *, now: datetime
    ) -> ClaimDecision:
        """What to do with a due occurrence, given its log entry (None: none yet)."""
        ...

    def missed(self, logged: Delivery | None) -> Literal["insert", "supersede"] | None:
        """What to log for an occurrence that was missed (due while nothing ran): a new
        ``missed`` entry, an unfinished entry turned ``missed`` (``supersede``), or nothing."""
        ...


class DigestRepository(Protocol):
    """Digest subscriptions, the delivery log and the rotation of the recommendation of the day.

    The delivery log is what makes a digest arrive once: one entry per (subscription, local due
    date), *claimed* in a write transaction before anything is sent. Claims and outcomes come in
    batches: a burst of thousands of due digests costs a handful of transactions."""

    async def upsert(
        self,
        *,
        kind: Literal["channel", "user"],
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        local_time: str,
        timezone: str,
        frequency: str,
        weekday: int,
        topics: Sequence[str],
        language: str,
        skip_empty: bool,
        next_due: datetime,
        next_due_date: date,
        seen_letter_id: int,
        now: datetime,
        new_only: bool = False,
    ) -> Subscription:
        """Create or replace the subscription of a target (a channel, or a user's DMs). A
        replaced subscription is active again and keeps its delivery log and rotation."""
        ...

    async def get(self, subscription_id: int) -> Subscription | None: ...

    async def by_target(self, target_key: str) -> Subscription | None:
        """The subscription of ``channel:<id>`` or ``user:<id>``."""
        ...

    async def list(
        self, *, guild_id: int | None = None, user_id: int | None = None
    ) -> builtins.list[Subscription]:
        """All subscriptions, or those of one server and/or one user, by id."""
        ...

    async def delete(self, subscription_id: int) -> bool: ...

    async def delete_where(self, *, guild_id: int | None = None, user_id: int | None = None) -> int:
        """Remove a server's digests, or everything a user set up or receives."""
        ...

    async def prune_deliveries(self, *, before: datetime) -> int:
        """Forget finished log entries due before ``before``."""
        ...

    async def earliest_due(self) -> datetime | None:
        """The earliest ``next_due`` of an active subscription."""
        ...

    async def due(self, now: datetime, *, limit: int = 500) -> builtins.list[Subscription]:
        """Active subscriptions due at ``now``, earliest first."""
        ...

    async def claim_many(
        self,
        requests: Sequence[ClaimRequest],
        *,
        owner: str,
        now: datetime,
        policy: ClaimPolicy,
    ) -> builtins.list[tuple[ClaimResult, Delivery | None]]:
        """Claim many due occurrences (one per subscription) in ONE write transaction: read
        their log entries (and those of the ``missed`` occurrences), ask ``policy`` what each
        means, write what it decided (entries inserted or taken over by ``owner``, subscriptions
        parked or moved on, missed occurrences logged). Answers in the order of ``requests``:
        the result and the log entry as it now is (None for ``busy`` and ``done``: the entry
        found)."""
        ...

    async def renew_claims(
        self, keys: Sequence[tuple[int, str]], *, owner: str, now: datetime
    ) -> int:
        """Renew ``owner``'s claims on the log entries ``keys`` (subscription id and log key,
        see :attr:`Delivery.key`) that are still claimed by it: they stay fresh while they are
        being sent. Returns how many were renewed (one taken over meanwhile is not)."""
        ...

    async def finish_many(self, outcomes: Sequence[Outcome], *, now: datetime) -> None:
        """Record many outcomes (log status, what comes next, the pick shown) in ONE write
        transaction."""
        ...

    async def reschedule(
        self, subscription_id: int, *, next_due: datetime, next_due_date: date, now: datetime
    ) -> None: ...

    async def mark_notified(self, subscription_id: int) -> bool:
        """True the first time only: the owner is told about a pause once."""
        ...

    async def claim_extra(
        self, subscription_id: int, day: date, *, owner: str, now: datetime
    ) -> Delivery:
        """Log an extra digest on local ``day`` as claimed (key ``day#N``, the next N); finish
        it with an Outcome carrying ``delivery_key=delivery.key`` and ``next_due=None``."""
        ...

    async def latest_deliveries(self) -> dict[int, Delivery]:
        """The most recent log entry of every subscription that has one."""
        ...

    async def rotation_seen(self, subscription_id: int) -> set[str]:
        """The keys of the recommendations of the day shown in the current round."""
        ...


# --------------------------------------------------------------------------- sources


class SourceRepository(Protocol):
    """Followed sources and what each delivered (``bot.services.sources`` decides what to do).

    A source is followed once; one process at a time polls it (a lease, taken over when it
    ran out); a document's outcome and the source's cursor move together and the cursor never
    moves back; at most one letter per source document."""

    async def add(
        self, *, kind: FollowedKind, config: dict[str, Any], name: str, since: str, now: datetime
    ) -> tuple[Source, bool]:
        """Follow a source; ``(existing, False)`` when the same one is followed already."""
        ...

    async def get(self, source_id: int) -> Source | None: ...

    async def list(self) -> builtins.list[Source]: ...

    async def remove(self, source_id: int) -> bool: ...

    async def stats(self) -> dict[int, SourceStats]: ...

    async def due(self, now: datetime) -> builtins.list[Source]: ...

    async def earliest_poll(self) -> datetime | None: ...

    async def lease(
        self, source_id: int, *, owner: str, now: datetime, until: datetime
    ) -> Source | None:
        """Take the source for a poll (one process at a time); None if another holds it."""
        ...

    async def renew(self, source_id: int, *, owner: str, until: datetime) -> bool: ...

    async def release(
        self,
        source_id: int,
        *,
        owner: str,
        now: datetime,
        next_poll_at: datetime,
        error: str | None,
    ) -> None: ...

    async def poll_soon(self, source_id: int, *, at: datetime) -> None: ...

    async def document(self, source_id: int, ref: str) -> SourceDocument | None: ...

    async def documents(self, source_id: int) -> builtins.list[SourceDocument]: ...

    async def record(
        self,
        source_id: int,
        *,
        ref: str,
        version: str,
        status: DocumentStatus,
        now: datetime,
        content_hash: str | None = None,
        letter_id: int | None = None,
        reason: str | None = None,
        title: str | None = None,
        url: str | None = None,
        attempts: int = 0,
        cursor: datetime | None = None,
    ) -> None:
        """A document's outcome and the source's cursor (forward only), in one transaction."""
        ...

    async def move_cursor(self, source_id: int, cursor: datetime) -> None: ...

    async def letter_ids(self) -> builtins.list[int]:
        """Every letter a followed source brought (ids)."""
        ...

    async def letters_of(self, source_id: int, ref: str) -> builtins.list[int]: ...


# --------------------------------------------------------------------------- the change feed


class ChangeFeed(Protocol):
    """What one bot process changed that the others must take in: letters stored or deleted
    (their catalog and indexes are in memory), subscriptions and followed sources changed
    (their schedulers sleep until a due time they computed). Every change gets an increasing
    id; a reader keeps the id of the last change it applied (its cursor) and reads on from it,
    so nothing is lost while a process restarts or a notification goes astray.

    SQLite: a ``changes`` table, looked at when the file's ``PRAGMA data_version`` moves
    (another connection committed). PostgreSQL: the same table, and ``LISTEN``/``NOTIFY`` to
    wake the readers at once (``bot/store/postgres/changes.py``)."""

    async def publish(self, kind: ChangeKind, key: int | None = None, *, origin: str) -> int:
        """Record a change (committed when this returns); its id."""
        ...

    async def since(self, cursor: int, *, limit: int = 1000) -> builtins.list[Change]:
        """The changes after ``cursor``, oldest first, at most ``limit``."""
        ...

    async def cursor(self) -> int:
        """The id of the latest change (0: none yet): where a process that just loaded
        everything starts reading."""
        ...

    async def wait(self, cursor: int, within: float) -> bool:
        """Return as soon as a change after ``cursor`` may exist (True), or after ``within``
        seconds without a sign of one (False). Cheap enough to call in a loop."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget the changes made before ``before`` (every process has read them); how
        many."""
        ...


# --------------------------------------------------------------------------- search in the store

TermKind = Literal["word", "stem"]


class SearchRepository(Protocol):
    """Candidates found by the database itself, for a backend that can (PostgreSQL, migration
    0007): a bot process then holds no index of every sentence. The store only looks up and
    counts; which terms to ask for, their weights and the ranking are the service's
    (``bot.services.search_backend``).

    Terms are of two kinds: ``word``, a word of a sentence's ``norm`` as ``norm.split()`` gives
    it (the quote lookup's words), and ``stem``, a Dutch stem as the full-text search has it.
    A term's df is the number of stored sentences holding it."""

    async def available(self) -> bool:
        """Whether the database can serve quote lookups (its trigram index of the vocabulary
        exists: pg_trgm was there when the schema was made)."""
        ...

    async def sentence_total(self) -> tuple[int, float]:
        """How many sentences are stored, and how many distinct stems one holds on average
        (for BM25's length normalisation)."""
        ...

    async def frequencies(self, kind: TermKind, terms: Sequence[str]) -> dict[str, int]:
        """df of each of ``terms`` that some stored sentence holds (the others are left out)."""
        ...

    async def similar_words(
        self, words: Sequence[str], *, threshold: float, limit: int
    ) -> dict[str, builtins.list[tuple[str, int]]]:
        """For each of ``words``: vocabulary words whose trigram similarity to it is at least
        ``threshold``, with their df, most similar first, at most ``limit``."""
        ...

    async def words_with_prefix(self, prefix: str, *, limit: int) -> builtins.list[tuple[str, int]]:
        """Vocabulary words starting with ``prefix`` and their df, most frequent first."""
        ...

    async def quote_vocabulary(
        self,
        words: Sequence[str],
        similar_to: Sequence[str],
        *,
        threshold: float,
        limit: int,
        prefix: str = "",
        prefix_limit: int = 12,
    ) -> tuple[
        dict[str, int], dict[str, builtins.list[tuple[str, int]]], builtins.list[tuple[str, int]]
    ]:
        """What a quote lookup needs of the vocabulary, at once: ``frequencies("word",
        words)``; ``similar_words`` of each of ``similar_to`` that is not a stored word; and
        ``words_with_prefix(prefix, limit=prefix_limit)`` when ``prefix`` is given."""
        ...

    async def stems(self, words: Sequence[str]) -> dict[str, builtins.list[str]]:
        """Each word's stems as the full-text search makes them (none for a stopword)."""
        ...

    async def word_terms(
        self, words: Sequence[str]
    ) -> dict[str, tuple[int, builtins.list[tuple[str, int]]]]:
        """For each of ``words``: its df as a word (0: none), and its stems as the full-text
        search makes them (none for a stopword), each with its df (0: none)."""
        ...

    async def sentences_with(
        self,
        kind: TermKind,
        terms: Sequence[tuple[str, float]],
        *,
        letter_ids: Sequence[int] | None,
        limit: int,
        at_least: int = 1,
        fill: Sequence[tuple[str, float]] = (),
        fill_below: int = 1,
    ) -> builtins.list[SearchRow]:
        """The ``limit`` sentences holding the most weight of ``terms`` (``(term, weight)``),
        best first (ties: the shorter sentence, then the lower id, first), only of ``letter_ids``
        when given; ``score`` is
        the sum of the weights of the terms a sentence holds. ``at_least=2``: only sentences
        holding one of the first two terms together with another one (the caller puts the
        rarest first: cheap however common the others are together); ``at_least=3``: one of
        them with two others, and when fewer than a quarter of ``limit`` do, with one other.
        ``fill``: when fewer
        than ``fill_below`` sentences were found so, the best ``limit`` holding one of ``fill``
        follow them (scored by ``fill``'s weights; the same statement, one round trip)."""
        ...

    async def section_terms(
        self, kind: TermKind, terms: Sequence[str], sentence_ids: Sequence[int]
    ) -> dict[int, tuple[int, set[str]]]:
        """For each of ``sentence_ids`` (those that exist): its section's id and which of
        ``terms`` the sentences of that section hold."""
        ...

    async def count_holding(
        self, kind: TermKind, term: str, letter_ids: Sequence[int]
    ) -> tuple[int, int]:
        """How many sentences hold ``term``, and how many of those are in ``letter_ids``."""
        ...

    async def vectors_around(
        self, sentence_ids: Sequence[int]
    ) -> dict[int, builtins.list[tuple[int, bytes]]]:
        """For each of ``sentence_ids``: the stored vectors of it and of its neighbours in its
        letter, as ``(offset, vector)`` with offset -1, 0 or 1 (those that exist)."""
        ...

    async def neighbours(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The text of each ``(letter_id, number)`` sentence that exists."""
        ...


@runtime_checkable
class SearchingStore(Protocol):
    """A store whose database finds candidates itself (``Store`` + ``search``)."""

    @property
    def search(self) -> SearchRepository: ...


# --------------------------------------------------------------------------- the store


class Store(Protocol):
    """An open store. Also an async context manager that closes it on exit."""

    @property
    def letters(self) -> LetterRepository: ...

    @property
    def meta(self) -> MetaRepository: ...

    @property
    def vectors(self) -> VectorRepository: ...

    @property
    def recommendations(self) -> RecommendationRepository: ...

    @property
    def digests(self) -> DigestRepository: ...

    @property
    def sources(self) -> SourceRepository: ...

    @property
    def changes(self) -> ChangeFeed: ...

    @property
    def schema_version(self) -> int: ...

    async def integrity_check(self) -> builtins.list[str]:
        """``["ok"]`` when the database is sound, else what is wrong."""
        ...

    async def stats(self) -> StoreStats:
        """Counts beyond the letters, for ``briefbot check``."""
        ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Store: ...

    async def __aexit__(self, *exc_info: object) -> None: ...
