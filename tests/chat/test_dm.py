"""Direct messages: questions answered with citations, help, no loops, a polite rate limit."""

from __future__ import annotations

from tests.chat.conftest import Env


def bot_messages(env: Env, user) -> list:
    return env.server.messages(user, from_bot=True)


def text(message) -> str:
    parts = [message.content or ""]
    for e in message.embeds:
        parts += [e.get("title") or "", e.get("description") or ""]
    return "\n".join(parts)


async def test_a_dm_question_gets_a_cited_answer(env: Env):
    await env.server.send_dm(env.member, "Waarom moet mensenhandel in het regeerakkoord?")
    reply = await env.server.wait_for_message(env.member, timeout=20)
    body = text(reply)
    assert "regeerakkoord" in body and "p. " in body
    await env.server.settle(0.2)
    assert len(bot_messages(env, env.member)) == 1  # its own echoed reply started no loop


async def test_an_english_dm_question_finds_dutch_passages(env: Env):
    await env.server.send_dm(
        env.member, "What does the letter say about child pornography on Dutch servers?"
    )
    reply = await env.server.wait_for_message(env.member, timeout=20)
    assert "kinderpornografie" in text(reply).lower()


async def test_greetings_and_empty_messages_get_help(env: Env):
    await env.server.send_dm(env.member, "hoi")
    reply = await env.server.wait_for_message(env.member, timeout=20)
    assert "/samenvatting" in text(reply)


async def test_routing_in_dms(env: Env):
    await env.server.send_dm(env.member, "aanbevelingen over kinderporno")
    reply = await env.server.wait_for_message(env.member, timeout=20)
    assert "kinderpornografie" in text(reply).lower()
    await env.server.send_dm(env.member, "samenvatting")
    reply = await env.server.wait_for_message(
        env.member, lambda m: "Summary" in text(m) or "Samenvatting" in text(m), timeout=20
    )
    assert "p. " in text(reply)


async def test_dm_rate_limit_sends_one_polite_notice(env: Env):
    for i in range(9):
        await env.server.send_dm(env.outsider, f"vraag {i} over mensenhandel en preventie")
    await env.server.settle(0.5, timeout=30)
    notices = [
        m for m in bot_messages(env, env.outsider) if "faster" in text(m) or "sneller" in text(m)
    ]
    assert len(notices) == 1
    assert len(bot_messages(env, env.outsider)) <= 6


async def test_mentions_in_dms_never_ping(env: Env):
    await env.server.send_dm(env.member, "@everyone wat staat er over @here coördinatie <@1>")
    await env.server.wait_for_message(env.member, timeout=20)
    assert all(m.pinged == [] for m in bot_messages(env, env.member))
