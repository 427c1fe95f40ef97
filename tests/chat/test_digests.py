"""Digests through the test server with a controlled clock: on time, once, across DST,
downtime, a second instance and Discord failures."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.digests.sender import DiscordSender
from bot.services.app import Services
from bot.services.clock import ManualClock
from bot.services.digests import STALE_CLAIM
from bot.services.scope import Scope
from tests.chat.conftest import Env, start_env
from tests.discord_server import Fault
from tests.letters import HandmadeLetter
from tests.subscriptions import digest_service

# Friday 27 November 2026, 07:00 UTC = 08:00 in Amsterdam
START = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


@pytest.fixture
async def denv(tmp_path):
    clock = ManualClock(START)
    async for env in start_env(tmp_path, clock=clock):
        env.clock = clock  # type: ignore[attr-defined]
        yield env


async def stop_scheduler(env: Env) -> None:
    """The digest job stops, as when the bot process is down."""
    await env.services.scheduler.stop("digests")
    assert not env.services.scheduler.running("digests")  # the scheduler is really gone


def marker_messages(env: Env, where) -> list:
    return [
        m
        for m in env.server.messages(where, from_bot=True)
        if any("digest " in ((e.get("footer") or {}).get("text") or "") for e in m.embeds)
    ]


def deliveries(env: Env) -> list[tuple]:
    with sqlite3.connect(env.settings.db_path) as conn:
        return conn.execute(
            "SELECT subscription_id, due_date, status FROM deliveries ORDER BY due_date"
        ).fetchall()


async def advance(env: Env, delta: timedelta) -> None:
    """Move the clock and let the scheduler finish what became due."""
    await env.clock.advance(delta)
    await asyncio.sleep(0)
    await env.server.settle(0.1, timeout=20)
    await asyncio.wait_for(env.services.scheduler.idle("digests").wait(), 20)


async def set_channel_digest(env: Env, **options) -> None:
    opts = {"channel": env.channel, "time": "09:00"} | options
    rec = await env.run("digest set", opts, user=env.admin)
    assert "Digest set" in (rec.followups[-1].content if rec.followups else rec.content), (
        rec.content
    )


async def test_server_digest_arrives_at_the_local_time_once(denv):
    env = denv
    await set_channel_digest(env)
    await advance(env, timedelta(minutes=59))  # 08:59 local
    assert marker_messages(env, env.channel) == []
    await advance(env, timedelta(minutes=1))  # 09:00 local
    (msg,) = marker_messages(env, env.channel)
    assert msg.pinged == []
    assert "2026-11-27" in msg.embeds[0]["footer"]["text"]
    await advance(env, timedelta(hours=3))
    assert len(marker_messages(env, env.channel)) == 1
    assert [d[2] for d in deliveries(env)] == ["sent"]


async def test_personal_digest_by_dm(denv):
    env = denv
    rec = await env.run("digest subscribe", {"time": "08:30"}, user=env.member, channel=None)
    assert rec.followups or rec.message
    await advance(env, timedelta(minutes=31))
    assert len(marker_messages(env, env.member)) == 1


async def test_new_letters_lead_the_next_digest_then_nothing_new(denv):
    env = denv
    await set_channel_digest(env)
    letter = HandmadeLetter(subject="Opvang van minderjarige slachtoffers")
    await env.services.letters.add_upload(
        letter.text().encode(), filename="nieuw.txt", guild_id=env.guild.id
    )
    await advance(env, timedelta(hours=1))
    first = marker_messages(env, env.channel)[-1]
    titles = " ".join(e.get("title") or "" for e in first.embeds)
    assert "Opvang van minderjarige slachtoffers" in titles
    body = " ".join(e.get("description") or "" for e in first.embeds)
    assert body.index("Needs attention") < body.index("In short") or "Vraagt aandacht" in body
    await advance(env, timedelta(days=1))
    second = marker_messages(env, env.channel)[-1]
    assert "Opvang van minderjarige slachtoffers" not in " ".join(
        e.get("title") or "" for e in second.embeds
    )


async def test_topic_filter_and_rotation_without_repeats(denv):
    env = denv
    await set_channel_digest(env, topics="mensenhandel", language="en")
    await advance(env, timedelta(hours=1))  # the first digest introduces the letters
    first = marker_messages(env, env.channel)[-1]
    assert "Recommendation of the day" not in [e.get("title") for e in first.embeds]
    seen = []
    for _ in range(4):
        await advance(env, timedelta(days=1))
        last = marker_messages(env, env.channel)[-1]
        pick = next(e for e in last.embeds if e.get("title") == "Recommendation of the day")
        seen.append(pick["description"])
    pool = await env.services.recommendations.recommendations(
        Scope(guild_id=env.guild.id), topic="mensenhandel"
    )
    # the pick of the day is a request, advice, plea or requirement (worries only when the
    # letters hold nothing else), the strongest first
    asks = [r for r in pool.recommendations if r.kind != "concern"]
    n = len(asks)
    assert n >= 2
    window = seen[: min(n, len(seen))]
    assert len(set(window)) == len(window)  # no repeat before all were shown
    assert not any(p.startswith("**concern**") for p in seen)
    assert seen[0].startswith("**request**")


async def test_skip_when_empty(denv):
    env = denv
    await set_channel_digest(env, skip_empty=True)
    await advance(env, timedelta(hours=1))  # the first digest introduces: never empty
    assert len(marker_messages(env, env.channel)) == 1
    await advance(env, timedelta(days=1))  # then nothing new: skipped
    assert len(marker_messages(env, env.channel)) == 1
    assert [d[2] for d in deliveries(env)] == ["sent", "skipped"]


async def test_preview_changes_nothing(denv):
    env = denv
    await set_channel_digest(env)
    before = deliveries(env)
    rec = await env.run("digest preview", {"channel": env.channel}, user=env.admin)
    assert rec.followups and rec.followups[0].ephemeral
    assert deliveries(env) == before
    with sqlite3.connect(env.settings.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM digest_rotation").fetchone()[0] == 0
    assert marker_messages(env, env.channel) == []


async def test_missed_digests_after_downtime_are_sent_once_late(denv):
    env = denv
    await set_channel_digest(env)
    # the bot is down for three days: the scheduler task is stopped meanwhile
    await stop_scheduler(env)
    await env.clock.advance(timedelta(days=3))
    env.services.scheduler.start("digests")
    await advance(env, timedelta(seconds=1))
    msgs = marker_messages(env, env.channel)
    assert len(msgs) == 1
    assert "late" in (msgs[0].embeds[0].get("description") or "")
    statuses = [d[2] for d in deliveries(env)]
    # due on the 27th, 28th and 29th while down: the latest is sent, the two before are missed
    assert statuses.count("missed") == 2 and statuses.count("sent") == 1


async def test_a_second_instance_sends_no_duplicate(denv):
    env = denv
    await set_channel_digest(env)
    other_app = await Services.open(env.settings, seed=False, clock=env.clock)
    try:
        other = other_app.digests
        sender = DiscordSender(env.bot)
        await env.clock.advance(timedelta(hours=1))
        await asyncio.gather(
            other.run_due(sender),
            env.services.digests.run_due(sender),
        )
        await env.server.settle(0.1)
        assert len(marker_messages(env, env.channel)) == 1
    finally:
        await other_app.close()


async def test_a_crash_in_the_middle_of_sending_is_recovered_without_duplicate(denv):
    env = denv
    await set_channel_digest(env)
    await stop_scheduler(env)
    sender = DiscordSender(env.bot)
    env.server.add_fault(Fault.slow("POST /channels/{channel_id}/messages", delay=0.5, times=1))
    await env.clock.advance(timedelta(hours=1))
    crashing = asyncio.create_task(env.services.digests.run_due(sender))
    await env.server.wait_for_request("POST /channels/{channel_id}/messages")
    crashing.cancel()  # the process dies while Discord is still taking the message
    await asyncio.gather(crashing, return_exceptions=True)
    await env.server.settle(0.7)
    assert len(marker_messages(env, env.channel)) == 1  # Discord did get it
    # a restarted instance takes the stale claim over, finds the message, does not resend
    restarted = digest_service(env.services, clock=env.clock)
    await env.clock.advance(STALE_CLAIM + timedelta(seconds=1))
    await restarted.run_due(sender)
    await env.server.settle(0.1)
    assert len(marker_messages(env, env.channel)) == 1
    assert [d[2] for d in deliveries(env)] == ["sent"]


async def test_dst_spring_forward_and_fall_back(tmp_path):
    # Saturday 28 March 2026 12:00 UTC; the night after, 02:00 -> 03:00 in Amsterdam
    clock = ManualClock(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    async for env in start_env(tmp_path, clock=clock):
        env.clock = clock  # type: ignore[attr-defined]
        await set_channel_digest(env, time="02:30")
        await advance(env, timedelta(hours=12, minutes=59))  # 00:59 UTC = 01:59 CET
        assert marker_messages(env, env.channel) == []
        await advance(env, timedelta(minutes=1))  # 01:00 UTC = 03:00 CEST, the next valid minute
        assert len(marker_messages(env, env.channel)) == 1
    clock = ManualClock(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    async for env in start_env(tmp_path / "fall", clock=clock):
        env.clock = clock  # type: ignore[attr-defined]
        await set_channel_digest(env, time="09:00")
        await advance(env, timedelta(hours=19, minutes=59))  # 2026-10-25 07:59 UTC = 08:59 CET
        assert marker_messages(env, env.channel) == []
        await advance(env, timedelta(minutes=1))
        assert len(marker_messages(env, env.channel)) == 1


async def test_deleted_channel_pauses_and_tells_the_admin_once(denv):
    env = denv
    await set_channel_digest(env)
    await env.server.delete_channel(env.channel)
    await advance(env, timedelta(hours=1))
    sub = (await env.services.store.digests.list(guild_id=env.guild.id))[0]
    assert sub.paused_reason == "the channel was deleted"
    notices = [m for m in env.server.messages(env.admin, from_bot=True) if "paused" in m.content]
    assert len(notices) == 1
    await advance(env, timedelta(days=2))
    assert (
        len([m for m in env.server.messages(env.admin, from_bot=True) if "paused" in m.content])
        == 1
    )
    lobby = env.server.add_channel(env.guild, "lobby")
    await env.server.announce_channel(lobby)
    rec = await env.run("digest status", user=env.admin, channel=lobby)
    assert "paused: the channel was deleted" in rec.followups[-1].embeds[0]["description"]


async def test_a_paused_digest_is_reported_in_dutch_to_a_dutch_admin(denv):
    env = denv
    await set_channel_digest(env, language="nl")
    await env.server.delete_channel(env.channel)
    await advance(env, timedelta(hours=1))
    (notice,) = [m for m in env.server.messages(env.admin, from_bot=True) if m.content]
    assert "gepauzeerd: het kanaal is verwijderd" in notice.content
    assert "deleted" not in notice.content
    lobby = env.server.add_channel(env.guild, "lobby")
    await env.server.announce_channel(lobby)
    rec = await env.run("digest status", user=env.admin, channel=lobby, locale="nl")
    assert "gepauzeerd: het kanaal is verwijderd" in rec.followups[-1].embeds[0]["description"]


async def test_a_digest_set_up_on_the_command_line_pauses_without_a_dm(denv):
    env = denv
    service = env.services.digests
    await service.subscribe(
        kind="channel", user_id=0, guild_id=env.guild.id, channel_id=env.channel.id
    )  # as `briefbot digest add --channel ... --guild ...` makes it
    await env.server.delete_channel(env.channel)
    await advance(env, timedelta(hours=1))
    (sub,) = await env.services.store.digests.list(guild_id=env.guild.id)
    assert sub.paused_reason == "the channel was deleted"
    assert env.server.requests_for("POST /users/@me/channels") == []  # nobody to tell
    assert env.server.requests_for("GET /users/{user_id}") == []


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("missing_permissions", "the bot lacks permission to post there"),
        ("missing_access", "the bot has no access to the channel"),
    ],
)
async def test_permission_errors_pause(denv, fault, reason):
    env = denv
    await set_channel_digest(env)
    env.server.add_fault(getattr(Fault, fault)("POST /channels/{channel_id}/messages", times=None))
    await advance(env, timedelta(hours=1))
    sub = (await env.services.store.digests.list(guild_id=env.guild.id))[0]
    assert sub.paused_reason == reason


async def test_closed_dms_pause_a_personal_digest(denv):
    env = denv
    await env.run("digest subscribe", {"time": "08:30"}, user=env.member, channel=None)
    env.server.block_dms(env.member)
    await advance(env, timedelta(hours=1))
    sub = (await env.services.store.digests.list(user_id=env.member.id))[0]
    assert sub.paused_reason == "the user does not accept direct messages"


async def test_a_personal_digest_stops_when_its_user_leaves_the_server(denv):
    env = denv
    # subscribed in the server: the digest carries that server's own letters
    await env.run("digest subscribe", {"time": "08:30"}, user=env.member)
    private = HandmadeLetter(subject="Opvang van minderjarige slachtoffers")
    await env.services.letters.add_upload(
        private.text().encode(), filename="p.txt", guild_id=env.guild.id
    )
    await advance(env, timedelta(minutes=31))
    (first,) = marker_messages(env, env.member)
    assert "Opvang van minderjarige slachtoffers" in str(first.embeds)

    env.guild.members.pop(env.member.id)  # left (or was removed from) the server
    await advance(env, timedelta(days=1))
    assert marker_messages(env, env.member) == [first]  # nothing more
    sub = (await env.services.store.digests.list(user_id=env.member.id))[0]
    assert sub.paused_reason is not None and "no longer a member" in sub.paused_reason
    sent = env.server.messages(env.member, from_bot=True)
    notices = [m for m in sent if "no longer a member" in m.content]
    assert len(notices) == 1
    # and a preview from the DMs does not show the server's letters either
    rec = await env.run("digest preview", user=env.member, channel=None)
    body = " ".join(m.content + str(m.embeds) for m in [rec.message, *rec.followups] if m)
    assert "no longer a member" in body and "minderjarige" not in body


@pytest.mark.parametrize("fault", ["rate_limited", "server_error"])
async def test_a_429_or_500_then_success_sends_once(denv, fault):
    env = denv
    await set_channel_digest(env)
    env.server.add_fault(getattr(Fault, fault)("POST /channels/{channel_id}/messages", times=1))
    await advance(env, timedelta(hours=1))
    await env.server.settle(0.5, timeout=20)
    assert len(marker_messages(env, env.channel)) == 1
    assert [d[2] for d in deliveries(env)] == ["sent"]


async def test_one_failure_does_not_delay_the_others(denv):
    env = denv
    await set_channel_digest(env)
    second = env.server.add_channel(env.guild, "tweede")
    await env.server.announce_channel(second)
    rec = await env.run("digest set", {"channel": second, "time": "09:00"}, user=env.admin)
    assert rec.followups
    await env.server.delete_channel(env.channel)
    await advance(env, timedelta(hours=1))
    assert len(marker_messages(env, second)) == 1


async def test_the_first_digest_introduces_what_the_letters_ask(denv):
    env = denv
    await set_channel_digest(env, language="en")
    await advance(env, timedelta(hours=1))
    (first,) = marker_messages(env, env.channel)
    text = "\n".join(
        (e.get("title") or "") + "\n" + (e.get("description") or "") for e in first.embeds
    )
    assert "Your first digest: what the newest letters ask for" in text
    assert "Nothing new since the last digest" not in text
    # the newest letter, its title and names in their case, whom it was written to
    assert "Mensenhandel en seksueel geweld tegen kinderen" in text
    assert "to Mevrouw drs. E.I. Schippers informateur" in text
    asks = text[text.index("What it asks") :]
    assert asks.index("**request** · “ik doe daarom een beroep op u") < asks.index("**plea**")
    await advance(env, timedelta(days=1))  # the second digest: nothing new, a pick of the day
    second = marker_messages(env, env.channel)[-1]
    body = "\n".join(
        (e.get("title") or "") + "\n" + (e.get("description") or "") for e in second.embeds
    )
    assert "Nothing new since the last digest" in body and "Your first digest" not in body
    pick = next(e for e in second.embeds if e.get("title") == "Recommendation of the day")
    assert pick["description"].startswith("**request** · “ik doe daarom een beroep op u")
