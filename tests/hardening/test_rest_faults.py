"""Discord's REST API answers 429, 500, 502, 503, slowly, or not at all (the request arrives,
the answer is lost: what a client timeout looks like). The real bot retries what is safe to
retry, reports the rest, and never answers an interaction twice nor posts a digest twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.clock import ManualClock
from tests.chat.conftest import Env, answer_of, bot_on, make_settings, new_member, populate, text_of
from tests.discord_server import DiscordTestServer, Fault
from tests.hardening.killer import sql, write_batch

CALLBACK = "POST /interactions/{webhook_id}/{webhook_token}/callback"
FOLLOWUP = "POST /webhooks/{webhook_id}/{webhook_token}"
POST_MESSAGE = "POST /channels/{channel_id}/messages"
START = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # 08:00 in Amsterdam


class LossyServer(DiscordTestServer):
    """The test server plus one fault kind: handle the request, then drop the connection
    before the answer goes out (``lose(route, times)``)."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.losses: dict[str, int] = {}
        self.lost: list[str] = []

    def lose(self, route: str, times: int = 1) -> None:
        self.losses[route] = times

    async def _lossy(self, route: str, handler, ctx):
        result = await handler(ctx)
        if self.losses.get(route, 0) > 0:
            self.losses[route] -= 1
            self.lost.append(route)
            assert ctx.request.transport is not None
            ctx.request.transport.abort()
        return result

    async def _h_interaction_callback(self, ctx):
        return await self._lossy(CALLBACK, super()._h_interaction_callback, ctx)

    async def _h_followup(self, ctx):
        return await self._lossy(FOLLOWUP, super()._h_followup, ctx)

    async def _h_post_message(self, ctx):
        return await self._lossy(POST_MESSAGE, super()._h_post_message, ctx)


@pytest.fixture(name="env")
async def env_fixture(tmp_path):
    clock = ManualClock(START)
    async with LossyServer() as server:
        world = populate(server)
        async with bot_on(server, world, make_settings(tmp_path), clock=clock) as env:
            env.clock = clock  # type: ignore[attr-defined]
            yield env


def answered_once(rec) -> None:
    accepted = [c for c in rec.callbacks if c.accepted]
    assert len(accepted) == 1, rec.callbacks
    assert rec.double_acks == 0


async def settle(env: Env, seconds: float = 0.3) -> None:
    await env.server.settle(seconds, timeout=30)


# ---------------------------------------------------------------- interaction responses


@pytest.mark.parametrize(
    ("fault", "route"),
    [
        ("429", CALLBACK),
        ("500", CALLBACK),
        ("502", CALLBACK),
        ("429", FOLLOWUP),
        ("500", FOLLOWUP),
        ("slow", CALLBACK),
        ("slow", FOLLOWUP),
    ],
)
async def test_a_retryable_failure_still_answers_once(env: Env, fault: str, route: str):
    if fault == "429":
        env.server.add_fault(Fault.rate_limited(route, retry_after=0.2))
    elif fault == "slow":
        env.server.add_fault(Fault.slow(route, delay=1.2))
    else:
        env.server.add_fault(Fault.server_error(route, status=int(fault)))
    rec = await env.run("summary", {"length": 3}, user=new_member(env))
    assert rec.response_type == 5
    await settle(env)
    answered_once(rec)
    assert len(rec.followups) == 1
    assert "p. " in text_of(rec.followups[0])
    assert env.server.faults[0].hits == 1
    env.server.assert_no_protocol_errors()


async def test_a_refused_answer_is_reported_to_the_user(env: Env):
    # a 4xx is not retried: the user gets a short error instead of a silent "thinking..."
    env.server.add_fault(Fault(route=FOLLOWUP, status=400, code=50035, message="Invalid Form Body"))
    rec = await env.run("summary", {"length": 3}, user=new_member(env))
    await settle(env)
    answered_once(rec)
    (only,) = rec.followups  # the answer failed; the error message took its place
    assert "went wrong" in text_of(only) and only.ephemeral
    env.server.assert_no_protocol_errors()


async def test_a_lost_answer_to_a_defer_does_not_stop_the_reply(env: Env):
    env.server.lose(CALLBACK)
    rec = await env.server.slash(
        "summary", {"length": 3}, user=new_member(env), channel=env.channel
    )
    await env.server.wait_for_response(rec)
    await env.server.wait_for_followups(rec, 1, timeout=15)
    await settle(env)
    assert env.server.lost == [CALLBACK]
    answered_once(rec)
    assert len(rec.followups) == 1 and "p. " in text_of(rec.followups[0])
    env.server.assert_no_protocol_errors()  # no second acknowledgement attempt


async def test_a_lost_answer_to_a_direct_reply_does_not_reply_twice(env: Env):
    await env.services.tour.warm()  # as after start-up: /help then answers directly
    env.server.lose(CALLBACK)
    rec = await env.server.slash("help", {}, user=new_member(env), channel=env.channel)
    await env.server.wait_for_response(rec)
    await settle(env)
    assert env.server.lost == [CALLBACK]
    answered_once(rec)
    assert "/quote" in text_of(rec.message)
    assert rec.followups == []  # no error message after the answer that did arrive
    env.server.assert_no_protocol_errors()


async def test_commands_work_normally_after_the_faults(env: Env):
    env.server.add_fault(Fault.server_error(CALLBACK, status=502))
    env.server.lose(FOLLOWUP)
    await env.run("summary", {"length": 3}, user=new_member(env))
    await settle(env)
    rec = await env.run("letters", user=new_member(env))
    assert "mensenhandel" in text_of(answer_of(rec)).lower()
    assert not env.bot.is_closed()


# ---------------------------------------------------------------- digest posts


def digest_messages(env: Env, where) -> list:
    return [
        m
        for m in env.server.messages(where, from_bot=True)
        if any("digest " in ((e.get("footer") or {}).get("text") or "") for e in m.embeds)
    ]


def deliveries(env: Env) -> list[tuple]:
    with sql(env.settings.db_path) as conn:
        return conn.execute(
            "SELECT due_date, status, attempts FROM deliveries ORDER BY due_date"
        ).fetchall()


async def advance(env: Env, delta: timedelta) -> None:
    await env.clock.advance(delta)
    await asyncio.sleep(0)
    await env.server.settle(0.1, timeout=30)
    await asyncio.wait_for(env.services.scheduler.idle("digests").wait(), 30)


async def set_digest(env: Env) -> None:
    rec = await env.run("digest set", {"channel": env.channel, "time": "09:00"}, user=env.admin)
    assert "Digest set" in text_of(answer_of(rec))


@pytest.mark.parametrize("fault", ["429", "502"])
async def test_a_digest_post_retried_by_discord_py_arrives_once(env: Env, fault: str):
    await set_digest(env)
    if fault == "429":
        env.server.add_fault(Fault.rate_limited(POST_MESSAGE, retry_after=0.3, times=2))
    else:
        env.server.add_fault(Fault.server_error(POST_MESSAGE, status=502))
    await advance(env, timedelta(hours=1))
    await settle(env, 0.5)
    assert len(digest_messages(env, env.channel)) == 1
    assert [d[1] for d in deliveries(env)] == ["sent"]


async def test_a_digest_post_that_fails_is_retried_later_and_arrives_once(env: Env):
    await set_digest(env)
    env.server.add_fault(Fault.server_error(POST_MESSAGE, status=503))  # not retried at once
    await advance(env, timedelta(hours=1))
    assert digest_messages(env, env.channel) == []
    assert [d[1] for d in deliveries(env)] == ["failed"]
    await advance(env, timedelta(minutes=2))  # past the backoff
    assert len(digest_messages(env, env.channel)) == 1
    assert [d[1:] for d in deliveries(env)] == [("sent", 2)]


async def test_a_digest_post_whose_answer_is_lost_is_not_posted_again(env: Env):
    await set_digest(env)
    env.server.lose(POST_MESSAGE)
    await advance(env, timedelta(hours=1))
    await advance(env, timedelta(hours=2))  # any retry would have happened by now
    assert env.server.lost == [POST_MESSAGE]
    assert len(digest_messages(env, env.channel)) == 1
    assert [d[1] for d in deliveries(env)] == ["sent"]


async def test_a_long_digest_whose_second_part_fails_is_completed_without_repeats(env: Env):
    # five new letters with long sentences: a digest of several messages

    folder = env.settings.db_path.parent / "nieuw"
    await asyncio.to_thread(write_batch, folder, 7, 5, extra=8, long=True)
    await set_digest(env)
    await env.services.letters.add_path([folder], guild_id=env.guild.id)
    # the first part goes out, the second fails (not retried by discord.py)
    env.server.add_fault(Fault.slow(POST_MESSAGE, delay=0.0, times=1))
    env.server.add_fault(Fault.server_error(POST_MESSAGE, status=503, times=1))
    await advance(env, timedelta(hours=1))
    parts = digest_messages(env, env.channel)
    assert len(parts) == 1
    assert [d[1] for d in deliveries(env)] == ["failed"]
    await advance(env, timedelta(minutes=2))
    parts = digest_messages(env, env.channel)
    footers = [p.embeds[0]["footer"]["text"] for p in parts]
    n = int(footers[0].rsplit("/", 1)[1])
    assert n >= 2
    assert [f.rsplit(" · ", 1)[1] for f in footers] == [f"{i}/{n}" for i in range(1, n + 1)]
    assert [d[1] for d in deliveries(env)] == ["sent"]
