"""Plain, immutable records that go into the store and come out of it, for every backend.

Callers never see rows, cursors or a backend's types: the protocols in ``bot.store.base`` take
and return these."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

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


@dataclass(frozen=True, slots=True)
class SearchRow:
    """A sentence the database found for a search (``SearchRepository.sentences_with``)."""

    sentence_id: int
    letter_id: int
    section_id: int
    number: int
    page: int
    text: str
    norm: str
    score: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RepairRecord:
    id: int
    letter_id: int
    sentence_number: int
    from_text: str
    to_text: str
    position: int  # order within the letter


# --------------------------------------------------------------------------- derived data


@dataclass(frozen=True, slots=True)
class TopicRow:
    """A topic of a letter, to store: its slug, its Dutch name, its weight in the letter."""

    slug: str
    name: str
    weight: float


@dataclass(frozen=True, slots=True)
class RecommendationRow:
    """One recommendation to store: its sentence, kind, cue and topic slugs (first = primary)."""

    sentence_number: int
    kind: str
    cue: str | None
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredRecommendation:
    """A stored recommendation with its sentence (text, page, section heading)."""

    id: int
    letter_id: int
    sentence_number: int
    kind: str
    cue: str | None
    position: int
    text: str
    page: int
    section_heading: str | None
    topics: tuple[str, ...]  # slugs, in the order stored (the first is the primary topic)


@dataclass(frozen=True, slots=True)
class LetterTopicRecord:
    letter_id: int
    slug: str
    name: str
    weight: float


@dataclass(frozen=True, slots=True)
class TopicCountRecord:
    letter_id: int
    slug: str
    recommendations: int


@dataclass(frozen=True, slots=True)
class StoredVector:
    """A sentence's vector as stored: opaque bytes (``bot.core.vectors`` encodes them)."""

    sentence_id: int
    letter_id: int
    vector: bytes


# --------------------------------------------------------------------------- digests

ClaimResult = Literal["claimed", "taken-over", "done", "busy", "retry"]
DeliveryStatus = Literal["claimed", "sent", "skipped", "missed", "failed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    id: int
    kind: Literal["channel", "user"]
    guild_id: int | None
    channel_id: int | None
    user_id: int
    target_key: str
    local_time: str
    timezone: str
    frequency: Literal["daily", "weekdays", "weekly"]
    weekday: int
    topics: tuple[str, ...]
    language: Literal["nl", "en"]
    skip_empty: bool
    next_due: datetime
    next_due_date: date
    seen_letter_id: int
    paused_reason: str | None
    paused_at: datetime | None
    notified: bool
    created_at: datetime
    updated_at: datetime
    # a digest went out (sent, or skipped as empty): the next one need not introduce the letters
    introduced: bool = False
    new_only: bool = False  # new letters only: no introduction, no pick, nothing when empty

    @property
    def active(self) -> bool:
        return self.paused_reason is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One entry of the delivery log: a subscription's digest for one local due date.

    Extra digests (``briefbot digest send-now`` after the day's digest went out) are logged under
    the key ``YYYY-MM-DD#N`` (N = 1, 2, ... that day): they never take the key of a scheduled
    occurrence, so they cannot block or replace one (``extra`` says which; 0 for a scheduled
    occurrence)."""

    subscription_id: int
    due_date: date
    due_at: datetime
    status: DeliveryStatus
    claimed_by: str | None
    claimed_at: datetime | None
    attempts: int
    message_id: int | None
    error: str | None
    updated_at: datetime
    extra: int = 0  # 0: the scheduled occurrence of due_date; N: the N-th extra that day

    @property
    def key(self) -> str:
        """Its key in the log (``due_date``, or ``due_date#N`` for an extra)."""
        day = self.due_date.isoformat()
        return f"{day}#{self.extra}" if self.extra else day


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimRequest:
    """One due occurrence to claim (see ``DigestRepository.claim_many``)."""

    subscription_id: int
    due_date: date
    due_at: datetime
    retry_at: datetime  # the subscription is parked until then while it is being sent
    missed: tuple[tuple[date, datetime], ...] = ()
    # where the schedule goes if the occurrence turns out to be done already (None: stay)
    following_at: datetime | None = None
    following_date: date | None = None


@dataclass(frozen=True, slots=True)
class ClaimDecision:
    """What the claim policy decided for one request, given the log entry it found: the answer,
    and what the store writes for it in the claiming transaction."""

    result: ClaimResult
    write: Literal["insert", "take-over"] | None = None  # the log entry becomes ours, claimed
    park: bool = False  # the subscription waits until ``retry_at`` while it is being sent
    #: park until this instead of ``retry_at`` (a claim another process holds: until it
    #: would go stale, so a dead holder is taken over as soon as that can be known)
    park_until: datetime | None = None
    move_on: bool = False  # the schedule moves on to ``following_at`` (the occurrence is done)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """How a claimed delivery ended, and what comes next for its subscription."""

    subscription_id: int
    due_date: date
    status: Literal["sent", "skipped", "failed"]
    next_due: datetime | None  # None: leave the schedule alone (an extra digest)
    next_due_date: date | None = None
    message_id: int | None = None
    error: str | None = None
    seen_letter_id: int | None = None  # letters up to this id have been shown
    pause_reason: str | None = None
    pick_key: str | None = None  # the recommendation of the day shown: remembered
    pick_reset: bool = False  # it starts a new round of the rotation
    delivery_key: str | None = None  # an extra's key (``YYYY-MM-DD#N``)


@dataclass(frozen=True, slots=True)
class FinishWrites:
    """What finishing a batch of outcomes writes besides each delivery's own row, the same on
    every backend: schedules moved on, letters seen by extra digests (which leave the schedule
    alone), rotations restarted and the picks of the day remembered."""

    schedule: list[Outcome]  # next due time, seen letters, pause
    seen_only: list[Outcome]  # seen letters only (an extra digest)
    resets: list[int]  # subscriptions whose rotation starts again
    picks: list[tuple[int, str]]  # (subscription, item key) shown

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> FinishWrites:
        return cls(
            schedule=[o for o in outcomes if o.next_due is not None],
            seen_only=[o for o in outcomes if o.next_due is None and o.seen_letter_id],
            resets=[o.subscription_id for o in outcomes if o.pick_key and o.pick_reset],
            picks=[(o.subscription_id, o.pick_key) for o in outcomes if o.pick_key],
        )


# --------------------------------------------------------------------------- the whole store


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreStats:
    """What ``briefbot check`` reports beyond the letters."""

    sentences: int
    subscriptions_active: int
    subscriptions_paused: int
    last_digest: Delivery | None  # the most recently sent digest


# --------------------------------------------------------------------------- the change feed

#: What one process tells the others (``ChangeFeed``): a letter stored or deleted (``key``: its
#: id), the digest subscriptions changed, the followed sources changed.
ChangeKind = Literal["letter-added", "letter-removed", "subscriptions", "sources"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    id: int  # increasing: a reader's cursor is the last id it has applied
    kind: ChangeKind
    key: int | None
    origin: str  # the process that made the change (it does not apply its own)
    created_at: datetime


# --------------------------------------------------------------------------- followed sources

FollowedKind = Literal["tweedekamer", "folder"]
DocumentStatus = Literal["added", "updated", "unchanged", "skipped", "deleted", "failed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    id: int
    kind: FollowedKind
    config: dict[str, Any]
    name: str
    since: str  # YYYY-MM-DD
    cursor: datetime | None  # the GewijzigdOp of the last document handled (Tweede Kamer)
    created_at: datetime
    next_poll_at: datetime
    last_poll_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    failures: int  # polls in a row that failed
    lease_owner: str | None
    lease_until: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDocument:
    source_id: int
    ref: str
    version: str
    content_hash: str | None
    letter_id: int | None
    status: DocumentStatus
    reason: str | None
    title: str | None
    url: str | None
    attempts: int
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceStats:
    letters: int  # letters the source delivered that are still stored
    skipped: int  # documents skipped or failed (with a reason)
    documents: int  # documents seen
