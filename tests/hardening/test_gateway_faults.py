"""The gateway drops the connection, asks for a reconnect or invalidates the session while the
real bot works: it resumes (or identifies again), answers what was in flight, keeps answering,
and its tasks never die."""

from __future__ import annotations

import asyncio

import pytest

from tests.chat.conftest import Env, answer_of, new_member, start_env, text_of
from tests.discord_server import Fault

FOLLOWUP = "POST /webhooks/{webhook_id}/{webhook_token}"

# fault -> whether the bot resumes the same session (else it identifies again)
FAULTS = {
    "drop": True,  # TCP abort, no close frame
    "close-4000": True,  # "unknown error, reconnect"
    "reconnect": True,  # op 7
    "invalid-resumable": True,  # op 9, d=true
    "invalid": False,  # op 9, d=false: a new session
}


@pytest.fixture(name="env")
async def env_fixture(tmp_path):
    async for e in start_env(tmp_path):
        yield e


async def inject(env: Env, fault: str) -> None:
    server = env.server
    if fault == "drop":
        await server.drop_gateway()
    elif fault == "close-4000":
        await server.drop_gateway(code=4000)
    elif fault == "reconnect":
        await server.send_reconnect()
    elif fault == "invalid-resumable":
        await server.invalidate_session(resumable=True)
    else:
        await server.invalidate_session(resumable=False)


def assert_alive(env: Env) -> None:
    assert not env.bot.is_closed()
    # the periodic jobs survive the reconnect
    assert env.services.scheduler.running("digests") and env.services.scheduler.running("purge")


async def back_online(env: Env, fault: str, identified: int, resumed: int) -> None:
    if FAULTS[fault]:
        await env.server.wait_for_resume(resumed + 1, timeout=20)
    else:
        await env.server.wait_for_ready(identified + 1, timeout=20)
    await asyncio.wait_for(env.bot.wait_until_ready(), 20)


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_deferred_command_in_flight_is_answered_and_the_bot_keeps_working(
    env: Env, fault: str
):
    identified, resumed = env.server.identify_count, env.server.resume_count
    # the answer takes a while to go out: the fault hits while the command is being answered
    env.server.add_fault(Fault.slow(FOLLOWUP, delay=0.4))
    rec = await env.server.slash(
        "summary", {"length": 3}, user=new_member(env), channel=env.channel
    )
    await env.server.wait_for_response(rec)
    assert rec.response_type == 5  # deferred ("thinking")
    await inject(env, fault)
    await env.server.wait_for_followups(rec, 1, timeout=20)
    assert "p. " in text_of(rec.followups[0])
    await back_online(env, fault, identified, resumed)
    if FAULTS[fault]:
        assert env.server.identify_count == identified  # resumed, not a new session
    else:
        assert env.server.identify_count == identified + 1
    # commands after the reconnect work
    rec = await env.run("letters", user=new_member(env))
    assert "mensenhandel" in text_of(answer_of(rec)).lower()
    rec = await env.run("quote", {"text": "coördinatie van de aanpak"}, user=new_member(env))
    assert "**" in text_of(answer_of(rec))
    assert_alive(env)
    env.server.assert_no_protocol_errors()


@pytest.mark.parametrize("fault", ["drop", "reconnect", "invalid-resumable"])
async def test_a_command_sent_while_the_bot_is_away_is_replayed_and_answered(env: Env, fault: str):
    resumed = env.server.resume_count
    await inject(env, fault)
    # dispatched at once: the bot is reconnecting and gets it on RESUME
    rec = await env.server.slash("letters", {}, user=new_member(env), channel=env.channel)
    await env.server.wait_for_resume(resumed + 1, timeout=20)
    await env.server.wait_for_response(rec, timeout=10)
    assert rec.latency is not None and rec.latency < 3
    if rec.response_type == 5:  # deferred: the answer follows
        await env.server.wait_for_followups(rec, 1, timeout=10)
    assert "mensenhandel" in text_of(answer_of(rec)).lower()
    assert_alive(env)
    env.server.assert_no_protocol_errors()


async def test_many_faults_in_a_row_the_bot_never_dies(env: Env):
    sequence = ["drop", "reconnect", "invalid", "close-4000", "drop", "invalid-resumable"]
    for fault in sequence:
        identified, resumed = env.server.identify_count, env.server.resume_count
        await inject(env, fault)
        await back_online(env, fault, identified, resumed)
        rec = await env.run("topics", user=new_member(env))
        assert "`" in text_of(answer_of(rec))
    assert env.server.identify_count == 2  # the first and one after "invalid"
    assert env.server.resume_count >= 5
    assert_alive(env)
    env.server.assert_no_protocol_errors()
