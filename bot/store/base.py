"""The storage interface. Services depend on these protocols, never on a backend.

The SQLite backend lives in ``bot.store.sqlite``; another backend (PostgreSQL) can be added by
implementing the same protocols.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.models import ParsedLetter
from bot.store.digests import SqliteDigestRepository
from bot.store.records import (
    LetterOrigin,
    LetterRecord,
    RepairRecord,
    SectionRecord,
    SentenceRecord,
)
from bot.store.sources import DocumentStatus, Source, SourceDocument, SourceKind, SourceStats

if TYPE_CHECKING:
    from bot.store.derived import (
        LetterTopicRecord,
        RecommendationRow,
        StoredRecommendation,
        TopicCountRecord,
        TopicRow,
    )
    from bot.store.vectors import StoredVector


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer briefbot than this one."""


class MigrationError(StoreError):
    """A schema migration could not be applied; the database keeps its previous version."""


class InvalidLetterError(StoreError, ValueError):
    """A parsed letter that cannot be stored as given; nothing of it was written."""


class InvalidQueryError(StoreError, ValueError):
    """A full-text query the search engine rejects."""


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
        """Every sentence in id order, fetched ``batch`` rows at a time."""
        ...

    async def fts_search(
        self, match_expr: str, *, limit: int, letter_ids: Sequence[int] | None = None
    ) -> builtins.list[tuple[int, float]]:
        """``(sentence_id, bm25)`` best first; a lower (more negative) bm25 is a better match."""
        ...


class MetaRepository(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...

    async def delete(self, key: str) -> bool: ...

    async def items(self, prefix: str) -> list[tuple[str, str]]: ...


class RecommendationRepository(Protocol):
    """Topics and recommendations derived from the letters (see ``bot.store.derived``)."""

    async def replace(
        self,
        letter_id: int,
        *,
        topics: Sequence[TopicRow],
        recommendations: Sequence[RecommendationRow],
        version: str,
    ) -> bool: ...

    async def versions(self) -> dict[int, str]: ...

    async def delete_orphan_topics(self) -> int: ...

    async def letter_topics(self) -> builtins.list[LetterTopicRecord]: ...

    async def topic_counts(self) -> builtins.list[TopicCountRecord]: ...

    async def list(
        self, letter_ids: Sequence[int], *, topic: str | None = None
    ) -> builtins.list[StoredRecommendation]: ...


class VectorRepository(Protocol):
    """Sentence embeddings derived from the letters (see ``bot.store.vectors``)."""

    async def replace(
        self, letter_id: int, vectors: Sequence[tuple[int, bytes]], *, version: str
    ) -> bool: ...

    async def versions(self) -> dict[int, str]: ...

    async def for_letter(self, letter_id: int) -> builtins.list[StoredVector]: ...

    def iter_all(self, batch: int = 20_000) -> AsyncIterator[builtins.list[StoredVector]]: ...

    async def count(self, letter_id: int | None = None) -> int: ...

    async def delete(self, letter_id: int) -> None: ...


class SourceRepository(Protocol):
    """Followed sources and what each delivered (see ``bot.store.sources``)."""

    async def add(
        self, *, kind: SourceKind, config: dict[str, Any], name: str, since: str, now: datetime
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
    def digests(self) -> SqliteDigestRepository: ...

    @property
    def sources(self) -> SourceRepository: ...

    @property
    def schema_version(self) -> int: ...

    async def integrity_check(self) -> list[str]: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Store: ...

    async def __aexit__(self, *exc_info: object) -> None: ...
