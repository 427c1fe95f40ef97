"""The digest service without Discord: subscriptions and who may see or stop them, previews, the
one delivery path (scheduler and send-now), failures, the periodic job, a user's data.

Discord's side is a recording sender (the port the Discord adapter implements); the store, the
letters and the services are real."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.errors import Refused
from bot.services.app import Services
from bot.services.clock import ManualClock
from bot.services.digests import DeliveryError, Digest
from bot.settings import Settings
from bot.store.records import Subscription
from tests.subscriptions import digest_service

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
START = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # Friday, 08:00 in Amsterdam
GUILD, OTHER = 501, 502
CHANNEL = 601


class Recorder:
    """Discord's side of a delivery: keeps what was sent; fails on request."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []  # (subscription, digest marker)
        self.notices: list[tuple[int, str]] = []
        self.fail: DeliveryError | None = None
        self.fail_times = 0
        self.left: set[int] = set()  # users no longer members of the server

    async def send(self, sub: Subscription, digest: Digest) -> int:
        if self.fail is not None and self.fail_times:
            self.fail_times -= 1
            raise self.fail
        self.sent.append((sub.id, digest.marker))
        return 9000 + len(self.sent)

    async def find_sent(self, sub: Subscription, digest: Digest) -> int | None:
        return next((9000 + i for i, s in enumerate(self.sent, 1) if s[1] == digest.marker), None)

    async def notify_paused(self, sub: Subscription, reason: str) -> None:
        self.notices.append((sub.id, reason))

    async def check_membership(self, sub: Subscription) -> None:
        if sub.user_id in self.left:
            raise DeliveryError("the user is no longer a member", permanent=True)


@pytest.fixture
async def app(tmp_path: Path):
    settings = Settings(BRIEFBOT_DB=str(tmp_path / "d.sqlite3"), BRIEFBOT_LETTERS_DIR=str(BUNDLED))
    services = await Services.open(settings, clock=ManualClock(START))
    try:
        yield services
    finally:
        await services.close()


async def channel_digest(app: Services, **options: object) -> Subscription:
    return await app.digests.subscribe(
        kind="channel", user_id=1, guild_id=GUILD, channel_id=CHANNEL, **options
    )


async def test_options_are_validated_and_the_next_time_is_local(app: Services) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        await channel_digest(app, time_text="25:00")
    with pytest.raises(ValueError, match="IANA"):
        await channel_digest(app, timezone="Mars/Olympus")
    with pytest.raises(Refused) as caught:
        await channel_digest(app, channel_guild_id=OTHER)
    assert caught.value.key == "foreign_channel"
    sub = await channel_digest(app, time_text="09:00", topics=["kinderporno"])
    assert sub.topics == ("kinderpornografie",)  # resolved to the letters' topic
    assert sub.next_due == START + timedelta(hours=1)  # 09:00 in Amsterdam
    with pytest.raises(Refused) as caught:  # never taken over
        await app.digests.subscribe(kind="channel", user_id=2, guild_id=OTHER, channel_id=CHANNEL)
    assert caught.value.key == "channel_taken" and "another server" in str(caught.value)


async def test_who_sees_and_who_stops_which_digest(app: Services) -> None:
    server = await channel_digest(app)
    mine = await app.digests.subscribe(kind="user", user_id=7, guild_id=GUILD)
    seen = await app.digests.visible_to(user_id=7, guild_id=GUILD)
    assert [s.id for s in seen] == [mine.id, server.id]
    member = await app.digests.stoppable(user_id=7, guild_id=GUILD, manager=False)
    assert [s.id for s in member] == [mine.id]  # a member never stops the server's digest
    stopped = await app.digests.stop(
        user_id=7, guild_id=GUILD, manager=False, subscription_id=server.id
    )
    assert stopped is None and await app.digests.get(server.id) is not None
    manager = await app.digests.stoppable(user_id=7, guild_id=GUILD, manager=True)
    assert {s.id for s in manager} == {mine.id, server.id}  # both: the adapter asks which
    stopped = await app.digests.stop(
        user_id=7, guild_id=GUILD, manager=True, subscription_id=server.id
    )
    assert stopped is not None and await app.digests.get(server.id) is None


async def test_previews_change_nothing_and_check_membership(app: Services) -> None:
    sender = Recorder()
    sample = await app.digests.preview_here(user_id=7, guild_id=GUILD, language="en", sender=sender)
    assert sample is not None and sample.sample and sample.first and sample.introduction
    none = await app.digests.preview_here(
        user_id=7, guild_id=GUILD, language="en", sender=sender, channel_id=CHANNEL
    )
    assert none is None  # a channel without a digest: nothing to show
    mine = await app.digests.subscribe(kind="user", user_id=7, guild_id=GUILD)
    shown = await app.digests.preview_here(user_id=7, guild_id=None, language="nl", sender=sender)
    assert shown is not None and shown.subscription_id == mine.id
    sender.left.add(7)  # a personal digest of a server the user has left: not shown
    with pytest.raises(DeliveryError, match="no longer a member"):
        await app.digests.preview_here(user_id=7, guild_id=None, language="nl", sender=sender)
    assert sender.sent == [] and (await app.store.digests.latest_deliveries()) == {}


async def test_a_due_digest_goes_out_once_whoever_runs(app: Services) -> None:
    sub = await channel_digest(app)
    sender = Recorder()
    assert await app.digests.run_due(sender) == 0  # 08:00: not yet
    await app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    other = digest_service(app, clock=app.clock)  # a second process on the same database
    await asyncio.gather(app.digests.run_due(sender), other.run_due(sender))
    assert sender.sent == [(sub.id, f"digest {sub.id}/2026-11-27")]
    await app.digests.run_due(sender)
    assert len(sender.sent) == 1
    after = await app.digests.get(sub.id)
    assert after.next_due == START + timedelta(days=1, hours=1) and after.introduced


class Slow(Recorder):
    """A send that hangs until released: a delivery that takes longer than a claim lives."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, sub: Subscription, digest: Digest) -> int:
        self.started.set()
        await self.release.wait()
        return await super().send(sub, digest)


async def test_a_slow_delivery_keeps_its_claim_fresh_and_is_not_sent_twice(
    tmp_path: Path,
) -> None:
    settings = Settings(
        BRIEFBOT_DB=str(tmp_path / "d.sqlite3"),
        BRIEFBOT_LETTERS_DIR=str(BUNDLED),
        BRIEFBOT_CLAIM_STALE_SECONDS=5,
    )
    app = await Services.open(settings, clock=ManualClock(START))
    try:
        sub = await channel_digest(app)
        await app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        slow = Slow()
        first = asyncio.ensure_future(app.digests.run_due(slow))
        await asyncio.wait_for(slow.started.wait(), 10)
        # long past the claim's life, and the first process is still sending: it renews
        await app.clock.advance(timedelta(seconds=30))  # type: ignore[attr-defined]
        renew_every = app.digests.deliveries.renew_every
        await asyncio.sleep(renew_every * 2)
        log = (await app.store.digests.latest_deliveries())[sub.id]
        assert log.status == "claimed" and log.claimed_at == app.clock.now()
        other = digest_service(app, clock=app.clock)  # a second process on the same database
        other_sender = Recorder()
        await other.run_due(other_sender)  # due again (parked only until the claim's end)
        assert other_sender.sent == []  # busy: not taken over while its holder lives
        parked = await app.digests.get(sub.id)
        assert parked.next_due > app.clock.now()  # looked at again when it would go stale
        slow.release.set()
        await asyncio.wait_for(first, 10)
        assert slow.sent == [(sub.id, f"digest {sub.id}/2026-11-27")]
        assert (await app.store.digests.latest_deliveries())[sub.id].status == "sent"
    finally:
        await app.close()


async def test_a_permanent_failure_pauses_and_tells_the_owner_once(app: Services) -> None:
    sub = await channel_digest(app)
    sender = Recorder()
    sender.fail, sender.fail_times = DeliveryError("the channel was deleted", permanent=True), 9
    await app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    await app.digests.run_due(sender)
    paused = await app.digests.get(sub.id)
    assert paused.paused_reason == "the channel was deleted"
    assert sender.notices == [(sub.id, "the channel was deleted")]
    await app.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    await app.digests.run_due(sender)
    assert sender.sent == [] and len(sender.notices) == 1


async def test_a_temporary_failure_is_retried_then_sent_once(app: Services) -> None:
    sub = await channel_digest(app)
    sender = Recorder()
    sender.fail, sender.fail_times = DeliveryError("Discord error 500", permanent=False), 1
    await app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    await app.digests.run_due(sender)
    assert sender.sent == []
    retry = await app.digests.get(sub.id)
    assert START + timedelta(hours=1) < retry.next_due <= START + timedelta(hours=1, minutes=1)
    await app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    await app.digests.run_due(sender)
    assert sender.sent == [(sub.id, f"digest {sub.id}/2026-11-27")]
    log = await app.store.digests.latest_deliveries()
    assert log[sub.id].status == "sent" and log[sub.id].attempts == 2


async def test_send_now_is_todays_digest_then_an_extra(app: Services) -> None:
    sub = await channel_digest(app)
    sender = Recorder()
    first = await app.digests.send_now(sub, sender)
    assert first.extra == 0 and not first.recovered
    moved = await app.digests.get(sub.id)
    assert moved.next_due == START + timedelta(days=1, hours=1)  # today's went out
    second = await app.digests.send_now(moved, sender)
    assert second.extra == 1 and second.digest.marker == f"digest {sub.id}/2026-11-27#1"
    assert (await app.digests.get(sub.id)).next_due == moved.next_due  # schedule untouched
    await app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    await app.digests.run_due(sender)  # the scheduler does not send today's again
    assert len(sender.sent) == 2
    sender.fail, sender.fail_times = DeliveryError("Discord error 500", permanent=False), 1
    with pytest.raises(DeliveryError):  # an operator is told; nothing is paused
        await app.digests.send_now(moved, sender)
    assert (await app.digests.get(sub.id)).paused_reason is None


async def test_the_digest_job_runs_on_the_services_scheduler(app: Services) -> None:
    sub = await channel_digest(app)
    sender = Recorder()
    app.start(sender=sender)
    idle = app.scheduler.idle("digests")
    await asyncio.wait_for(idle.wait(), 10)
    assert sender.sent == []
    await app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    for _ in range(100):  # the job wakes at the due time, sends, sleeps again
        await asyncio.sleep(0.01)
        if sender.sent and idle.is_set():
            break
    assert sender.sent == [(sub.id, f"digest {sub.id}/2026-11-27")]
    await app.stop()
    assert not app.scheduler.running("digests")


async def test_a_users_digests_are_forgotten_with_the_user(app: Services) -> None:
    server = await channel_digest(app)  # set up by user 1
    await app.digests.subscribe(kind="user", user_id=7, guild_id=None)
    forgotten = await app.forget_user(7)
    assert forgotten.subscriptions == 1
    assert [s.id for s, _ in await app.digests.overview()] == [server.id]
