"""What briefbot forgets, without Discord: a user's data on request (every service is asked), a
server's data after its grace period (the periodic purge job)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.services.app import Services
from bot.services.clock import ManualClock
from bot.services.privacy import GRACE, PURGE_EVERY
from bot.settings import Settings
from tests.letters import HandmadeLetter

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
START = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
GUILD = 501


@pytest.fixture
async def app(tmp_path: Path):
    settings = Settings(BRIEFBOT_DB=str(tmp_path / "p.sqlite3"), BRIEFBOT_LETTERS_DIR=str(BUNDLED))
    services = await Services.open(settings, clock=ManualClock(START))
    try:
        yield services
    finally:
        await services.close()


async def test_forget_me_asks_every_service_that_keeps_user_data(app: Services) -> None:
    await app.digests.subscribe(kind="user", user_id=7, guild_id=None)
    await app.digests.subscribe(kind="channel", user_id=7, guild_id=GUILD, channel_id=8)
    await app.digests.subscribe(kind="user", user_id=9, guild_id=None)
    assert set(app.privacy.users) == {"subscriptions"}
    forgotten = await app.forget_user(7)
    assert forgotten.counts == {"subscriptions": 2}
    assert [s.user_id for s, _ in await app.digests.overview()] == [9]
    assert app.digests.changed.is_set()  # the digest job plans again


async def test_a_server_is_purged_after_its_grace_period_by_the_periodic_job(
    app: Services,
) -> None:
    letter = HandmadeLetter().text().encode()
    record, _, _ = await app.letters.add_upload(letter, filename="a.txt", guild_id=GUILD)
    assert record.ref == "s1"
    await app.digests.subscribe(kind="channel", user_id=7, guild_id=GUILD, channel_id=8)
    await app.privacy.guild_left(GUILD)

    class Silent:  # the digest job needs a sender; nothing is due here
        async def send(self, sub, digest): ...
        async def find_sent(self, sub, digest): ...
        async def notify_paused(self, sub, reason): ...
        async def check_membership(self, sub): ...

    app.start(sender=Silent())
    idle = app.scheduler.idle("purge")
    await asyncio.wait_for(idle.wait(), 10)
    assert app.scheduler.rounds("purge") == 1 and record.id in app.catalog.by_id
    await app.clock.advance(GRACE)  # type: ignore[attr-defined]
    for _ in range(200):  # the job wakes every PURGE_EVERY and deletes what is due
        await asyncio.sleep(0.01)
        if record.id not in app.catalog.by_id and idle.is_set():
            break
    assert GRACE > PURGE_EVERY and record.id not in app.catalog.by_id
    assert await app.store.letters.get(record.id) is None
    assert await app.digests.overview() == []
    assert await app.store.meta.items("guild-left:") == []
    # the server's numbers are forgotten too: a server that comes back starts at s1 again
    again, _, _ = await app.letters.add_upload(letter, filename="a.txt", guild_id=GUILD)
    assert again.ref == "s1"
    bundled = [r for r in app.catalog.by_id.values() if r.guild_id is None]
    assert len(bundled) == 1  # the letters everyone sees stay


async def test_coming_back_within_the_grace_period_keeps_the_data(app: Services) -> None:
    await app.privacy.guild_left(GUILD)
    assert await app.privacy.guild_joined(GUILD)
    await app.clock.advance(GRACE * 2)  # type: ignore[attr-defined]
    assert await app.privacy.purge_due() == []
