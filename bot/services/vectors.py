"""The vector job: the semantic index catches up in the background.

An ingest makes a letter answerable as soon as it is parsed (recommendations and topics, the
quote index, BM25); its sentence vectors are computed afterwards, by
:meth:`bot.services.ask.AskService.backfill`. In the bot that is this job of the services'
scheduler: it runs at start (letters an earlier run left waiting), and again whenever a letter
arrives (the ask service sets ``vectors_wanted``: an upload, a followed source's new document).
The embedding runs on a thread of its own (``bot.services.background``), never on the event
loop; questions meanwhile use the vectors that exist and BM25 for the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.vectors import model_version
from bot.store import LetterRecord, Store

log = logging.getLogger(__name__)

#: Sentences the catch-up encodes in one call (the letter whose turn it is and the next that
#: wait): about a second of one core; the encoding threads stay busy across letters.
ENCODE_AHEAD = 512

#: Set by the letter service around an upload: the letter's vectors are computed as part of
#: adding it (one letter, the user waits for the reply anyway), so that a failure to store
#: them (a full disk) removes the letter again, all or nothing, as an upload always was.
EMBED_INLINE: ContextVar[bool] = ContextVar("briefbot_embed_inline", default=False)


@dataclass(frozen=True, slots=True)
class VectorProgress:
    """How far the semantic index is: the sentences of every letter, and those of the letters
    still waiting for their vectors (``briefbot index status``, ``briefbot check``)."""

    letters: int
    sentences: int
    pending_letters: int
    pending_sentences: int
    model: str  # the model version the vectors are computed with

    @property
    def done_sentences(self) -> int:
        return self.sentences - self.pending_sentences

    @classmethod
    def of(
        cls, letters: Sequence[LetterRecord], pending: Collection[int], model: str
    ) -> VectorProgress:
        waiting = [r for r in letters if r.id in pending]
        return cls(
            letters=len(letters),
            sentences=sum(r.sentence_count for r in letters),
            pending_letters=len(waiting),
            pending_sentences=sum(r.sentence_count for r in waiting),
            model=model,
        )

    def as_json(self) -> dict[str, object]:
        """``briefbot index status --json``'s object (and ``check``'s ``vectors``)."""
        return {
            "letters": self.letters,
            "sentences": self.sentences,
            "with_vectors": self.done_sentences,
            "pending_letters": self.pending_letters,
            "pending_sentences": self.pending_sentences,
            "model": self.model,
            "complete": self.pending_sentences == 0,
        }


async def vector_status(store: Store) -> VectorProgress:
    """The progress of the semantic index, read from the store (no services needed: the
    command line asks it of a store a running bot may be filling in)."""
    letters = await store.letters.list(guild_id=None, include_all=True)
    versions = await store.vectors.versions()
    model = model_version()
    pending = {r.id for r in letters if versions.get(r.id) != model}
    return VectorProgress.of(letters, pending, model)


class Backfills(Protocol):
    """What the job runs: ``bot.services.ask.AskService``."""

    async def backfill(self) -> int: ...


class VectorJob:
    name = "vectors"

    def __init__(self, answers: Backfills) -> None:
        self.answers = answers

    async def run(self) -> datetime | None:
        """Embed every letter that waits for its vectors; then sleep until woken."""
        done = await self.answers.backfill()
        if done:
            log.info("vector job: the semantic index caught up", extra={"letters": done})
        return None
