"""What an ingest reports: each letter stored (or found stored), each file refused, each
warning; and a letter as ``show`` presents it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.core.models import LetterError
from bot.core.refusals import Note
from bot.store.records import LetterRecord, RepairRecord, SectionRecord, SentenceRecord


@dataclass(frozen=True, slots=True)
class Ingested:
    path: str  # as given, escaped for display (see display_name)
    letter: LetterRecord
    status: Literal["added", "unchanged"]
    repairs: int
    part: int | None = None  # which letter of a file that holds several (1-based)
    parts: int | None = None  # how many different letters that file holds
    replaced: LetterRecord | None = None  # the stored copy this letter replaced (--replace)


@dataclass(frozen=True, slots=True)
class Refused:
    """A file, or a letter of it, that was not stored: why, in English (``error``), and the
    refusal itself when it is one a user can act on (``problem``: its message key, for the
    user's language)."""

    path: str
    error: str
    problem: LetterError | None = None


@dataclass(frozen=True, slots=True)
class Warned:
    """Something the user must know about a file that was otherwise handled: a file skipped
    in a folder, a letter repeated in a file, a letter already stored in another form."""

    path: str
    warning: str
    note: Note | None = None  # the warning's message key, for the user's language


@dataclass(slots=True)
class IngestReport:
    ingested: list[Ingested] = field(default_factory=list)
    errors: list[Refused] = field(default_factory=list)
    warnings: list[Warned] = field(default_factory=list)
    vectors_filled: int = 0  # letters whose vectors this run computed (its own, earlier ones)
    vectors_pending: int = 0  # sentences still waiting for their vectors after this run


@dataclass(frozen=True, slots=True)
class LetterView:
    """One letter as ``show`` presents it."""

    letter: LetterRecord
    sections: list[SectionRecord]
    sentences: list[SentenceRecord]
    repairs: list[RepairRecord]
