"""Plain, immutable records returned by the store. Callers never see rows or cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import SourceKind


@dataclass(frozen=True, slots=True, kw_only=True)
class LetterRecord:
    """One stored letter, without its full text (see ``LetterRepository.original``)."""

    id: int
    slug: str
    guild_id: int | None  # None: bundled letter, visible in every guild
    title: str
    subject: str | None
    sender: str | None
    signatory: str | None
    recipient: str | None
    recipient_role: str | None
    date: str | None
    reference: str | None
    contact: str | None
    salutation: str | None
    closing: str | None
    copies: str | None
    pages: int
    sentence_count: int
    source_kind: SourceKind
    source_path: str
    damaged: bool
    content_hash: str
    parser_version: str
    added_at: datetime  # aware, UTC


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionRecord:
    id: int
    letter_id: int
    position: int  # 0-based, as ParsedLetter.sections
    heading: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SentenceRecord:
    id: int
    letter_id: int
    number: int  # 1-based within the letter
    section_id: int
    section_heading: str | None
    page: int
    start_offset: int
    end_offset: int
    text: str
    original: str
    norm: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RepairRecord:
    id: int
    letter_id: int
    sentence_number: int
    from_text: str
    to_text: str
    position: int  # order within the letter
