"""Every letter's record in memory (the catalog), what each scope sees of it, and the protocol
of the services that keep an index of the letters.

The catalog is filled from the store when the services open and changed only by the letter
service (``bot.services.letters``), which tells every ``LetterIndex`` about each change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from bot.core.errors import NotFound
from bot.services.scope import Scope
from bot.store.records import LetterRecord, parse_ref


class LetterIndex(Protocol):
    """A service that keeps derived data or an in-memory index of the letters."""

    async def load(self) -> None:
        """Prepare; cheap. Heavy in-memory indexes are built by ``warm`` or on first use."""

    async def warm(self) -> None:
        """Build the in-memory index now (the bot calls this at start, in the background)."""

    async def on_letter_added(self, letter: LetterRecord) -> None:
        """Compute and store derived data for a new letter, and index it."""

    async def on_letter_removed(self, letter_id: int) -> None:
        """Forget a deleted letter."""


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def recency(rec: LetterRecord) -> tuple[str, str]:
    """Newest first by the date the letter states (when complete), then by when it was added."""
    date = rec.date if rec.date and _ISO_DATE.match(rec.date) else ""
    return date, rec.added_at.isoformat()


@dataclass(frozen=True, slots=True)
class ScopeView:
    """What one scope sees of the catalog."""

    ids: tuple[int, ...]  # the letter ids, ascending (the order letters were added)
    id_set: frozenset[int] | None  # the same as a set; None when the scope sees every letter
    newest: LetterRecord | None  # the most recent letter (see ``recency``)


class Catalog:
    """Every letter's record in memory: titles for autocomplete, owners for scoping.

    Change it through ``put`` and ``drop`` only (``by_id`` is for reading), so that the cached
    views stay true: commands ask for them on every call, and at ten thousand letters walking
    the catalog each time would hold up the event loop."""

    def __init__(self) -> None:
        self.by_id: dict[int, LetterRecord] = {}
        self._views: dict[Scope, ScopeView] = {}
        self._by_number: dict[tuple[int | None, int], int] = {}  # (scope, number) -> id
        self._by_slug: dict[tuple[int | None, str], int] = {}  # (scope, slug folded) -> id

    def put(self, record: LetterRecord) -> None:
        self.drop(record.id)
        self.by_id[record.id] = record
        self._by_number[(record.guild_id, record.number)] = record.id
        self._by_slug[(record.guild_id, record.slug.lower())] = record.id
        self._views.clear()

    def put_many(self, records: list[LetterRecord]) -> None:
        """``put`` each of ``records`` (the whole catalog at start: call it in a worker thread
        while nothing reads the catalog yet)."""
        for record in records:
            self.put(record)

    def drop(self, letter_id: int) -> None:
        old = self.by_id.pop(letter_id, None)
        if old is not None:
            self._by_number.pop((old.guild_id, old.number), None)
            self._by_slug.pop((old.guild_id, old.slug.lower()), None)
        self._views.clear()

    def ref(self, letter_id: int) -> str:
        """How users see and cite the letter: its number in its scope (``3``, or ``s3`` for a
        server's own letter). Internal ids never reach a user."""
        rec = self.by_id.get(letter_id)
        return rec.ref if rec is not None else "?"

    def number(self, letter_id: int) -> int | None:
        """The letter's number within its scope (the CLI's ``--json`` ``id``/``letter``)."""
        rec = self.by_id.get(letter_id)
        return rec.number if rec is not None else None

    def find(self, ref: str, scope: Scope) -> LetterRecord | None:
        """A letter ``scope`` sees, by number (``3``: a letter visible everywhere; ``s3``: the
        server's own) or by slug (the server's own letter first, then a global one)."""
        ref = ref.strip()
        numbered = parse_ref(ref)
        letter_id = None
        if numbered is not None:
            own, n = numbered
            if own and scope.guild_id is not None:
                letter_id = self._by_number.get((scope.guild_id, n))
            elif not own:
                letter_id = self._by_number.get((None, n))
        if letter_id is None:
            slug = ref.lower()
            for owner in (scope.guild_id, None) if scope.guild_id is not None else (None,):
                letter_id = self._by_slug.get((owner, slug))
                if letter_id is not None:
                    break
            if letter_id is None and scope.everything:
                letter_id = next((i for (_, s), i in self._by_slug.items() if s == slug), None)
        rec = self.by_id.get(letter_id) if letter_id is not None else None
        return rec if rec is not None and scope.allows(rec.guild_id) else None

    def visible(self, scope: Scope) -> list[LetterRecord]:
        return [r for r in self.by_id.values() if scope.allows(r.guild_id)]

    def view(self, scope: Scope) -> ScopeView:
        """The letters ``scope`` sees, cached per scope until a letter comes or goes."""
        cached = self._views.get(scope)
        if cached is not None:
            return cached
        records = self.visible(scope)
        ids = tuple(sorted(r.id for r in records))
        every = len(ids) == len(self.by_id)
        view = ScopeView(
            ids=ids,
            id_set=None if every else frozenset(ids),
            newest=max(records, key=recency) if records else None,
        )
        if len(self._views) > 256:
            self._views.clear()
        self._views[scope] = view
        return view

    def in_order(self, scope: Scope) -> list[LetterRecord]:
        """The letters ``scope`` sees, in the order they were added (ascending id)."""
        return [self.by_id[i] for i in self.view(scope).ids]

    def visible_ids(self, scope: Scope) -> frozenset[int] | None:
        """The letter ids ``scope`` may see; None when it sees every letter (no filter needed)."""
        return None if scope.everything else self.view(scope).id_set

    def allows(self, scope: Scope, letter_id: int) -> bool:
        rec = self.by_id.get(letter_id)
        return rec is not None and scope.allows(rec.guild_id)

    def resolve(self, ref: str, scope: Scope) -> LetterRecord:
        """A letter by its number (``3``, ``s3``) or slug among those ``scope`` may see;
        LookupError otherwise (the same for a letter that does not exist and one of another
        server: a server learns nothing about other servers' letters)."""
        rec = self.find(ref, scope)
        if rec is None:
            ref = ref.strip()
            shown = ref if len(ref) <= 60 else ref[:59] + "…"
            raise NotFound("no_letter", ref=repr(shown))
        return rec
