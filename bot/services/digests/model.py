"""What a digest is: its content (:class:`Digest`, :class:`NewLetter`), the port it is sent
through (:class:`Sender`, implemented by the Discord adapter) and how sending fails
(:class:`DeliveryError`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from bot.services.summary import Cited
from bot.store.records import Subscription


class DeliveryError(Exception):
    """Sending failed. ``permanent`` failures pause the subscription (deleted channel, missing
    access or permissions, closed DMs); the others are retried with backoff."""

    def __init__(self, reason: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code


@dataclass(slots=True)
class NewLetter:
    """A letter as a digest shows it: new since the last digest, or introduced by a first one."""

    letter_id: int
    title: str
    date: str | None
    summary: list[Cited] = field(default_factory=list)
    actions: list[tuple[str, Cited]] = field(default_factory=list)  # (kind, recommendation)
    sender: str | None = None
    recipient: str | None = None


@dataclass(slots=True)
class Digest:
    """What one digest says. ``empty`` means nothing new (a pick of the day may still show)."""

    subscription_id: int
    due_date: date
    language: Literal["nl", "en"]
    topics: tuple[str, ...]
    new_letters: list[NewLetter] = field(default_factory=list)
    # a subscription's first digest, with nothing new: what the newest letters ask for
    introduction: list[NewLetter] = field(default_factory=list)
    pick: tuple[str, Cited] | None = None  # (kind, recommendation of the day)
    pick_key: str | None = None
    pick_reset: bool = False  # the pick starts a new round of the rotation
    late: bool = False
    latest_letter_id: int | None = None  # the newest letter the subscription could see
    extra: int = 0  # an operator's extra digest (``send-now`` after the day's went out)
    sample: bool = False  # an example (``/digest preview`` before any digest is set)
    first: bool = False  # the subscription's first digest
    refs: dict[int, str] = field(default_factory=dict)  # letter id -> number users see
    links: dict[int, str] = field(default_factory=dict)  # letter id -> the original's address

    def ref(self, letter_id: int) -> str:
        """The number a reader sees for a cited letter (``3``, ``s3``), never an internal id."""
        return self.refs.get(letter_id, "?")

    def link(self, letter_id: int) -> str | None:
        """The address of a cited letter's original (a followed source's PDF), if any."""
        return self.links.get(letter_id)

    @property
    def empty(self) -> bool:
        """Nothing new and nothing to introduce (a pick of the day may still show)."""
        return not self.new_letters and not self.introduction

    @property
    def marker(self) -> str:
        """Printed in the footer; finds a digest in channel history after a crash."""
        key = self.due_date.isoformat() + (f"#{self.extra}" if self.extra else "")
        return f"digest {self.subscription_id}/{key}"


@dataclass(frozen=True, slots=True)
class SendNowResult:
    digest: Digest
    message_id: int
    extra: int  # 0: it was the day's scheduled digest; N: the N-th extra digest that day
    recovered: bool = False  # the day's digest had gone out already (found in the channel)


class Sender(Protocol):
    async def send(self, sub: Subscription, digest: Digest) -> int:
        """Post the digest; return the (first) message id. Raises DeliveryError."""

    async def find_sent(self, sub: Subscription, digest: Digest) -> int | None:
        """The id of an already posted message carrying ``digest.marker``, if any."""

    async def notify_paused(self, sub: Subscription, reason: str) -> None:
        """Tell whoever set the subscription up that it was paused (best effort)."""

    async def check_membership(self, sub: Subscription) -> None:
        """For a personal digest set up in a server (it carries that server's own letters):
        raise a permanent DeliveryError when the user is no longer a member of that server,
        or briefbot no longer in it."""
