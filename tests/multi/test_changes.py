"""The change feed: what one bot process changes, another on the same store takes in within
seconds. Two real ``Services`` on one real store (a SQLite file, a PostgreSQL database: two
connections, as two processes have), the change job of the second running in its scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.app import Services
from bot.services.scope import Scope
from bot.settings import Settings
from bot.store import open_store
from tests.letters import HandmadeLetter

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
GUILD = 4242
# a sentence of the handmade letter, misspelled the way a user remembers it
FRAGMENT = "verzoek u de financiering van deze plaatsen voor tenminste drie jaar te garanderen"


def settings(location: str) -> Settings:
    return Settings(
        BRIEFBOT_DB=location,
        BRIEFBOT_LETTERS_DIR=BUNDLED,
        DISCORD_TOKEN="test-token",
    )


@pytest.fixture
async def two(location: str) -> AsyncIterator[tuple[Services, Services]]:
    conf = settings(location)
    first = await Services.open(conf)
    second = await Services.open(conf)
    second.change_job.listen = 0.5
    second.scheduler.start("changes")
    try:
        yield first, second
    finally:
        await second.close()
        await first.close()


async def until(predicate, within: float = 10.0) -> float:
    """Wait until ``predicate()`` holds; how long it took (fails after ``within``)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not predicate():
        assert loop.time() - started < within, "not taken in within the time"
        await asyncio.sleep(0.02)
    return loop.time() - started


async def test_a_letter_uploaded_in_one_process_is_answered_by_the_other(two):
    first, second = two
    scope = Scope(guild_id=GUILD)
    assert not [m for m in await second.quotes.find(FRAGMENT, scope=scope) if m.score > 80]
    record, created, _ = await first.letters.add_upload(
        HandmadeLetter().text().encode(), filename="brief.txt", guild_id=GUILD
    )
    assert created
    took = await until(lambda: second.change_job.applied == 1)  # indexed there
    assert took < 5 and record.id in second.catalog.by_id  # "within seconds"
    (best, *_) = await second.quotes.find(FRAGMENT, scope=scope)
    assert best.letter_id == record.id and "financiering" in best.text
    # only that server sees it, there too
    assert all(m.letter_id != record.id for m in await second.quotes.find(FRAGMENT, scope=Scope(1)))
    # and removed there as well
    assert await first.letters.remove(record.id, guild_id=GUILD)
    await until(lambda: second.change_job.applied == 2)
    assert record.id not in second.catalog.by_id
    assert all(m.letter_id != record.id for m in await second.quotes.find(FRAGMENT, scope=scope))


async def test_vectors_another_process_stored_are_loaded_not_computed_again(two):
    first, second = two
    await second.answers.warm()  # the other process's question index is built
    record, created, _ = await first.letters.add_upload(
        HandmadeLetter().text().encode(), filename="brief.txt", guild_id=GUILD
    )
    assert created and (await second.store.vectors.versions()).get(record.id)  # stored by first
    await until(lambda: second.change_job.applied == 1)  # indexed there
    assert second.answers.pending().pending_sentences == record.sentence_count
    before = second.answers.embedded_sentences
    assert await second.answers.backfill() == 0  # nothing embedded ...
    assert second.answers.embedded_sentences == before
    assert second.answers.pending().pending_sentences == 0  # ... yet the letter is indexed
    assert record.id in await second.answers.with_vectors()


async def test_a_subscription_set_in_one_process_wakes_the_others_digest_job(two):
    first, second = two
    second.digests.changed.clear()
    await first.digests.subscribe(kind="channel", user_id=7, guild_id=GUILD, channel_id=8)
    await until(second.digests.changed.is_set)
    first_applied = first.change_job.applied
    assert first_applied == 0  # a process never applies its own changes


async def test_a_change_that_was_never_told_is_mended_from_the_store(two):
    first, second = two
    record, _, _ = await first.letters.add_upload(
        HandmadeLetter().text().encode(), filename="brief.txt", guild_id=GUILD
    )
    await second.scheduler.stop("changes")
    second.catalog.drop(record.id) if record.id in second.catalog.by_id else None
    for index in second._indexes:
        await index.on_letter_removed(record.id)
    # the feed lost it (pruned before this process read it): the store still has the letter
    await first.store.changes.prune(datetime.now(UTC) + timedelta(seconds=1))
    assert await second.change_job.catch_up() == 0
    assert record.id not in second.catalog.by_id
    assert await second.change_job.reconcile() == 1
    assert record.id in second.catalog.by_id
    (best, *_) = await second.quotes.find(FRAGMENT, scope=Scope(GUILD))
    assert best.letter_id == record.id


async def test_the_feed(location):
    async with open_store(location) as one, open_store(location) as other:
        feed, seen = one.changes, other.changes
        assert await seen.cursor() == 0
        assert await seen.wait(0, 0.2) is False  # nothing came
        waiting = asyncio.ensure_future(seen.wait(0, 5))
        await asyncio.sleep(0.1)
        first = await feed.publish("letter-added", 7, origin="a")
        assert await asyncio.wait_for(waiting, 2) is True  # woken by the other connection
        second = await feed.publish("subscriptions", origin="b")
        assert second > first
        changes = await seen.since(0)
        assert [(c.kind, c.key, c.origin) for c in changes] == [
            ("letter-added", 7, "a"),
            ("subscriptions", None, "b"),
        ]
        assert [c.id for c in await seen.since(first)] == [second]
        assert await seen.cursor() == second
        # pruned: gone, but ids never come back (cursors stay valid)
        assert await feed.prune(datetime.now(UTC) + timedelta(seconds=1)) == 2
        assert await seen.since(0) == [] and await seen.cursor() == second
        assert await feed.publish("sources", origin="a") > second
