"""Plain, immutable records returned by the store. Callers never see rows or cursors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.core.models import SourceKind

#: What marks a server's own letter numbers (``s1``, ``s2`` ...); the bundled and operator
#: letters, visible everywhere, have plain numbers (``1``, ``2`` ...). A server sees both, so
#: the two never collide.
SERVER_MARK = "s"
_REF = re.compile(r"#?(s)?(\d{1,18})", re.IGNORECASE)


def letter_ref(number: int, guild_id: int | None) -> str:
    """How users see and cite a letter: ``3`` for a letter visible everywhere, ``s3`` for the
    third letter of a server (only that server sees it)."""
    return str(number) if guild_id is None else f"{SERVER_MARK}{number}"


def parse_ref(text: str) -> tuple[bool, int] | None:
    """``(own, number)`` for a letter reference (``3``, ``#3``, ``s3``, ``S3``, ``#s3``): ``own``
    is True for a server's own letter. None for anything else (a slug, say)."""
    if len(text) > 64:
        return None
    m = _REF.fullmatch("".join(text.split()))
    if m is None or not m[2].isascii():
        return None
    return m[1] is not None, int(m[2])


@dataclass(frozen=True, slots=True, kw_only=True)
class LetterRecord:
    """One stored letter, without its full text (see ``LetterRepository.original``).

    ``id`` is internal (one sequence for every letter of every server: never shown, since it
    would tell a server how many letters others added); users see ``ref``, made of ``number``,
    the letter's number within its scope."""

    id: int
    number: int  # 1, 2, 3 ... within its scope (the global one or its server's)
    slug: str  # unique within its scope
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
    # where it came from, when a followed source delivered it (see bot.services.sources)
    source_id: int | None = None  # the source (None: ingested, uploaded or bundled)
    source_ref: str | None = None  # the source's id of the document
    source_url: str | None = None  # the address of the original (the official PDF)
    source_name: str | None = None  # the source as users see it ("Tweede Kamer")
    published: str | None = None  # YYYY-MM-DD, the date the source gives it
    backfill: bool = False  # came with a source's first poll of older documents: never "new"

    @property
    def ref(self) -> str:
        """The letter's number as users see it: ``3``, or ``s3`` for a server's own letter."""
        return letter_ref(self.number, self.guild_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class LetterOrigin:
    """Where a letter a followed source delivered came from (stored with the letter)."""

    source_id: int
    source_ref: str  # the source's id of the document (``ref#2`` for its second letter)
    url: str | None  # the address of the original; None for a folder's file
    name: str  # the source as users see it
    published: str | None  # YYYY-MM-DD
    backfill: bool  # part of the first poll's older documents: never "new" in a digest


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
