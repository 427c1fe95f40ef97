"""What a digest says: the letters new since the previous digest (what needs attention
first, then a short summary), else one recommendation of the day for its topics, rotating so that
none repeats before all were shown; a subscription's first digest introduces what the letters
hold instead. Nothing here is stored: the rotation moves on when a delivery is finished."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.core.recommend import best_first
from bot.core.schedule import parse_zone
from bot.services.catalog import Catalog
from bot.services.digests.model import Digest, NewLetter
from bot.services.recommendations import RecommendationService
from bot.services.scope import Scope
from bot.services.sources.news import is_news
from bot.services.summary import Cited, SummaryService
from bot.store import DigestRepository, LetterRecord
from bot.store.records import Subscription

MAX_NEW_LETTERS = 5  # per digest; more wait for the next one
INTRO_LETTERS = 3  # a first digest introduces the newest letters, this many
INTRO_SCAN = 30  # ... looking at most this many back for letters on the digest's topics
ACTIONS_PER_LETTER = 3
DEFAULT_ZONE = "Europe/Amsterdam"


def _link(rec: LetterRecord | None) -> str | None:
    """A letter's original on the web (only http(s): a folder's file has no address)."""
    url = rec.source_url if rec is not None else None
    return url if url and url.startswith(("https://", "http://")) else None


def _addressee(rec: LetterRecord) -> str | None:
    """To whom a letter was written: its recipient line, else the role it names."""
    return rec.recipient or rec.recipient_role


class DigestContent:
    def __init__(
        self,
        catalog: Catalog,
        *,
        recommendations: RecommendationService,
        summaries: SummaryService,
        digests: DigestRepository,
    ) -> None:
        self.catalog = catalog
        self.recommendations = recommendations
        self.summaries = summaries
        self.digests = digests

    def round(self) -> Round:
        """What digests built together share (see :class:`Round`)."""
        return Round(self)

    async def build(
        self,
        sub: Subscription,
        due_date: date,
        *,
        shared: Round | None = None,
    ) -> Digest:
        """What the digest for ``due_date`` says; nothing is stored (the recommendation of the
        day it shows is remembered when its delivery is finished). ``shared``: the round of
        deliveries this digest belongs to (what digests have in common is then computed once
        for all of them)."""
        shared = shared or self.round()
        visible = shared.visible(sub.guild_id)
        digest = Digest(sub.id, due_date, sub.language, sub.topics, latest_letter_id=visible.latest)
        # letters a followed source brought with its first poll, or dated long before the
        # subscription, are in the library but not news (bot.services.sources.news)
        newer = [
            r
            for r in visible.newer_than(sub.seen_letter_id)
            if is_news(r, subscribed_at=sub.created_at)
        ]
        for rec in newer[:MAX_NEW_LETTERS]:
            item = await shared.new_letter(sub.guild_id, visible, rec, sub.topics)
            if item is None:
                continue  # a topic digest only reports letters on its topics
            digest.new_letters.append(item)
        if len(newer) > MAX_NEW_LETTERS:  # the rest come in the next digest
            digest.latest_letter_id = newer[MAX_NEW_LETTERS - 1].id
        digest.first = not sub.introduced
        if digest.empty and digest.first and not sub.new_only:
            # the first digest: there is no "since the last digest" yet, so say what the
            # letters hold (the newest ones and what they ask for)
            digest.introduction = await shared.introduction(sub.guild_id, visible, sub.topics)
        if digest.empty and not sub.new_only:
            await self._pick_of_the_day(sub, digest, shared, visible)
        shown = [*digest.new_letters, *digest.introduction]
        cited = [n.letter_id for n in shown]
        cited += [c.letter_id for n in shown for c in n.summary]
        cited += [c.letter_id for n in shown for _, c in n.actions]
        cited += [digest.pick[1].letter_id] if digest.pick else []
        digest.refs = {i: self.catalog.ref(i) for i in cited}
        digest.links = {
            i: url for i in cited if (url := _link(self.catalog.by_id.get(i))) is not None
        }
        return digest

    async def _new_letter(
        self, scope: Scope, rec: LetterRecord, topics: tuple[str, ...], shared: Round
    ) -> NewLetter | None:
        item = NewLetter(rec.id, rec.title, rec.date, sender=rec.sender, recipient=_addressee(rec))
        item.summary = await shared.summary(scope, rec.id)
        recs = await self._recommendations(scope, letter=rec.ref, topics=topics)
        item.actions = best_first(recs)[:ACTIONS_PER_LETTER]
        if topics and not item.actions:
            return None
        return item

    async def _introduction(
        self, scope: Scope, visible: _Visible, topics: tuple[str, ...], shared: Round
    ) -> list[NewLetter]:
        """The newest letters (on ``topics``, if any) with their key requests; a letter that
        asks for nothing shows its first summary sentences instead."""
        out: list[NewLetter] = []
        for rec in reversed(visible.records[-INTRO_SCAN:]):
            recs = await self._recommendations(scope, letter=rec.ref, topics=topics)
            if topics and not recs:
                continue
            item = NewLetter(
                rec.id, rec.title, rec.date, sender=rec.sender, recipient=_addressee(rec)
            )
            item.actions = best_first(recs)[:ACTIONS_PER_LETTER]
            if not item.actions:
                item.summary = (await shared.summary(scope, rec.id))[:2]
            out.append(item)
            if len(out) >= INTRO_LETTERS:
                break
        return out

    async def sample(
        self, *, guild_id: int | None, language: str, now: datetime, topics: Sequence[str] = ()
    ) -> Digest:
        """The first digest a new subscription of this server would get today (``topics``:
        resolved slugs), marked as an example."""
        slugs = list(topics)
        zone = parse_zone(DEFAULT_ZONE)
        sub = Subscription(
            id=0, kind="user", guild_id=guild_id, channel_id=None, user_id=0,
            target_key="sample", local_time="09:00", timezone=zone.key, frequency="daily",
            weekday=0, topics=tuple(sorted(set(slugs))), language=language,  # type: ignore[arg-type]
            skip_empty=False, next_due=now, next_due_date=now.astimezone(zone).date(),
            seen_letter_id=max(self.catalog.by_id, default=0), paused_reason=None,
            paused_at=None, notified=False, created_at=now, updated_at=now, introduced=False,
        )  # fmt: skip
        digest = await self.build(sub, sub.next_due_date)
        digest.sample = True
        return digest

    async def _summary(self, scope: Scope, letter_id: int) -> list[Cited]:
        ref = self.catalog.ref(letter_id)
        summary = await self.summaries.summarize(scope=scope, letter=ref, length=3)
        return [Cited(s.text, s.letter_id, s.page, s.sentence) for s in summary.sentences]

    async def _recommendations(
        self, scope: Scope, *, letter: str | None, topics: Sequence[str]
    ) -> list[tuple[str, Cited]]:
        out: list[tuple[str, Cited]] = []
        seen: set[tuple[int, int]] = set()
        for topic in topics or [None]:
            try:
                answer = await self.recommendations.recommendations(
                    scope, topic=topic, letter=letter
                )
            except LookupError:  # a topic no letter of this server mentions (any more)
                continue
            for r in answer.recommendations:
                if (r.letter_id, r.sentence) not in seen:
                    seen.add((r.letter_id, r.sentence))
                    out.append((r.kind, Cited(r.text, r.letter_id, r.page, r.sentence)))
        return out

    async def _pick_of_the_day(
        self,
        sub: Subscription,
        digest: Digest,
        shared: Round,
        visible: _Visible,
    ) -> None:
        pool = await shared.pool(sub.guild_id, visible, sub.topics)
        if not pool:
            return
        # pool: strongest first; the rotation goes down it before repeating one
        shown = await self.digests.rotation_seen(sub.id)
        fresh = next((k for k in pool if k[0] not in shown), None) if shown else pool[0]
        reset = fresh is None
        key, kind, cited = fresh or pool[0]
        digest.pick = (kind, cited)
        digest.pick_key = key
        digest.pick_reset = reset


@dataclass(frozen=True, slots=True, eq=False)
class _Visible:
    """The letters a server sees, by id, at the start of a round. Servers that see the same
    letters share one (and its ``key``)."""

    key: int
    ids: tuple[int, ...]
    records: tuple[LetterRecord, ...]

    @property
    def latest(self) -> int | None:
        return self.ids[-1] if self.ids else None

    def newer_than(self, letter_id: int) -> tuple[LetterRecord, ...]:
        return self.records[bisect.bisect_right(self.ids, letter_id) :]


Pool = list[tuple[str, str, Cited]]  # (rotation key, kind, recommendation)


class Round:
    """What the digests of one round of deliveries say in common, computed once and reused:
    the letters each server sees (a snapshot, so that a digest marks as seen exactly what it
    could show), the pool of the recommendation of the day per (letters seen, topics), a new
    letter's summary, and its actions per (letters seen, topics). Servers that see the same
    letters share all of it."""

    def __init__(self, content: DigestContent) -> None:
        self.service = content
        self._visible: dict[int | None, _Visible] = {}
        self._interned: dict[tuple[int, ...], _Visible] = {}
        self._pools: dict[object, asyncio.Future[Pool]] = {}
        self._letters: dict[object, asyncio.Future[NewLetter | None]] = {}
        self._intros: dict[object, asyncio.Future[list[NewLetter]]] = {}
        self._summaries: dict[object, asyncio.Future[list[Cited]]] = {}

    def visible(self, guild_id: int | None) -> _Visible:
        v = self._visible.get(guild_id)
        if v is None:
            records = self.service.catalog.in_order(Scope(guild_id=guild_id))
            ids = tuple(r.id for r in records)
            v = self._interned.get(ids)
            if v is None:
                v = self._interned[ids] = _Visible(len(self._interned), ids, tuple(records))
            self._visible[guild_id] = v
        return v

    async def _once(
        self, table: dict[object, asyncio.Future[Any]], key: object, make: Callable[[], Any]
    ) -> Any:
        """``await make()`` once per key; concurrent callers share it; a failure is not kept."""
        task = table.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            table[key] = task

            def forget_failure(t: asyncio.Future[Any]) -> None:
                if (t.cancelled() or t.exception() is not None) and table.get(key) is t:
                    del table[key]

            task.add_done_callback(forget_failure)
        return await asyncio.shield(task)

    async def pool(self, guild_id: int | None, visible: _Visible, topics: tuple[str, ...]) -> Pool:
        """The candidates for the recommendation of the day, best first: requests, advice,
        pleas and requirements (worries only when the letters hold nothing else)."""

        async def make() -> Pool:
            recs = await self.service._recommendations(
                Scope(guild_id=guild_id), letter=None, topics=topics
            )
            asks = [(kind, c) for kind, c in recs if kind != "concern"] or recs
            # thousands of letters hold hundreds of thousands: ranked off the event loop
            ranked = (
                await asyncio.to_thread(best_first, asks)
                if len(asks) > 2000
                else (best_first(asks))
            )
            return [(f"{c.letter_id}:{c.sentence}", kind, c) for kind, c in ranked]

        return await self._once(self._pools, (visible.key, topics), make)

    async def introduction(
        self, guild_id: int | None, visible: _Visible, topics: tuple[str, ...]
    ) -> list[NewLetter]:
        return await self._once(
            self._intros,
            (visible.key, topics),
            lambda: self.service._introduction(Scope(guild_id=guild_id), visible, topics, self),
        )

    async def summary(self, scope: Scope, letter_id: int) -> list[Cited]:
        return await self._once(
            self._summaries, letter_id, lambda: self.service._summary(scope, letter_id)
        )

    async def new_letter(
        self,
        guild_id: int | None,
        visible: _Visible,
        rec: LetterRecord,
        topics: tuple[str, ...],
    ) -> NewLetter | None:
        return await self._once(
            self._letters,
            (visible.key, rec.id, topics),
            lambda: self.service._new_letter(Scope(guild_id=guild_id), rec, topics, self),
        )
