"""/forget-me deletes a user's digests; a server's data goes after the bot left it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.clock import ManualClock
from bot.services.privacy import GRACE
from tests.chat.conftest import Env, start_env
from tests.letters import HandmadeLetter


@pytest.fixture
async def penv(tmp_path):
    clock = ManualClock(datetime(2026, 11, 27, 7, 0, tzinfo=UTC))
    async for env in start_env(tmp_path, clock=clock):
        env.clock = clock  # type: ignore[attr-defined]
        yield env


def count(env: Env, sql: str) -> int:
    with sqlite3.connect(env.settings.db_path) as conn:
        return conn.execute(sql).fetchone()[0]


async def test_forget_me_deletes_the_users_subscriptions_only(penv):
    env = penv
    await env.run("digest subscribe", {"time": "09:00"}, user=env.member, channel=None)
    await env.run("digest subscribe", {"time": "10:00"}, user=env.admin, channel=None)
    rec = await env.run("forget-me", user=env.member, channel=None, locale="nl")
    assert rec.ephemeral or rec.followups[-1].ephemeral
    assert "gewist" in (rec.followups[-1].content if rec.followups else rec.content)
    assert count(env, f"SELECT count(*) FROM subscriptions WHERE user_id = {env.member.id}") == 0
    assert count(env, f"SELECT count(*) FROM subscriptions WHERE user_id = {env.admin.id}") == 1


async def test_a_servers_data_is_deleted_after_the_grace_period(penv):
    env = penv
    await env.services.letters.add_upload(
        HandmadeLetter().text().encode(), filename="a.txt", guild_id=env.guild.id
    )
    await env.run("digest set", {"channel": env.channel, "time": "09:00"}, user=env.admin)
    privacy = env.services.privacy
    await env.server.delete_guild(env.guild)
    await env.server.wait_until(
        lambda: count(env, "SELECT count(*) FROM meta WHERE key LIKE 'guild-left:%'") == 1
    )
    await env.clock.advance(GRACE - timedelta(hours=2))
    await privacy.purge_due()
    assert count(env, f"SELECT count(*) FROM letters WHERE guild_id = {env.guild.id}") == 1
    await env.clock.advance(timedelta(hours=3))
    purged = await privacy.purge_due()
    assert purged == [env.guild.id]
    assert count(env, f"SELECT count(*) FROM letters WHERE guild_id = {env.guild.id}") == 0
    assert count(env, f"SELECT count(*) FROM subscriptions WHERE guild_id = {env.guild.id}") == 0
    assert count(env, "SELECT count(*) FROM letters WHERE guild_id IS NULL") == 1  # bundled stays


async def test_coming_back_within_the_grace_period_keeps_the_data(penv):
    env = penv
    privacy = env.services.privacy
    await privacy.guild_left(env.guild.id)
    assert await privacy.guild_joined(env.guild.id)
    await env.clock.advance(GRACE * 2)
    assert await privacy.purge_due() == []
