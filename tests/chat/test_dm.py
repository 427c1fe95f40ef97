"""Direct messages: questions answered with citations, help, no loops, a polite rate limit."""

from __future__ import annotations

import logging

from bot.logs import setup_logging
from tests.chat.conftest import Env, text_of


def bot_messages(env: Env, user) -> list:
    return env.server.messages(user, from_bot=True)


async def test_a_dm_question_gets_a_cited_answer(env: Env):
    await env.server.send_dm(env.member, "Waarom moet mensenhandel in het regeerakkoord?")
    reply = await env.server.wait_for_message(env.member, timeout=20)
    body = text_of(reply)
    assert "regeerakkoord" in body and "p. " in body
    await env.server.settle(0.2)
    assert len(bot_messages(env, env.member)) == 1  # its own echoed reply started no loop


async def test_an_english_dm_question_finds_dutch_passages(env: Env):
    await env.server.send_dm(
        env.member, "What does the letter say about child pornography on Dutch servers?"
    )
    reply = await env.server.wait_for_message(env.member, timeout=20)
    assert "kinderpornografie" in text_of(reply).lower()


async def test_greetings_and_empty_messages_get_help(env: Env):
    await env.server.send_dm(env.member, "hoi")
    reply = await env.server.wait_for_message(env.member, timeout=20)
    assert "/samenvatting" in text_of(reply)


async def test_routing_in_dms(env: Env):
    await env.server.send_dm(env.member, "aanbevelingen over kinderporno")
    reply = await env.server.wait_for_message(env.member, timeout=20)
    assert "kinderpornografie" in text_of(reply).lower()
    await env.server.send_dm(env.member, "samenvatting")
    reply = await env.server.wait_for_message(
        env.member, lambda m: "Summary" in text_of(m) or "Samenvatting" in text_of(m), timeout=20
    )
    assert "p. " in text_of(reply)


async def test_dm_rate_limit_sends_one_polite_notice(env: Env):
    for i in range(9):
        await env.server.send_dm(env.outsider, f"vraag {i} over mensenhandel en preventie")
    await env.server.settle(0.5, timeout=30)
    notices = [
        m
        for m in bot_messages(env, env.outsider)
        if "faster" in text_of(m) or "sneller" in text_of(m)
    ]
    assert len(notices) == 1
    assert len(bot_messages(env, env.outsider)) <= 6


async def test_mentions_in_dms_never_ping(env: Env):
    await env.server.send_dm(env.member, "@everyone wat staat er over @here coördinatie <@1>")
    await env.server.wait_for_message(env.member, timeout=20)
    assert all(m.pinged == [] for m in bot_messages(env, env.member))


async def test_dm_text_is_never_logged_even_at_debug(env: Env, capsys):
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    setup_logging("DEBUG")
    try:
        secret = "Wat vindt de rapporteur van zebrapaddestoel-opvang?"
        await env.server.send_dm(env.member, secret)
        await env.server.wait_for_message(env.member, timeout=20)
        await env.server.send_dm(env.member, "citaat zebrapaddestoel coördinatie")
        await env.server.wait_for_message(env.member, timeout=20)
        await env.server.settle(0.2)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "level=DEBUG" in err  # it did log, verbosely
    assert "zebrapaddestoel" not in err.lower()
