"""What a new server meets first: ``/help`` with a tour built from the stored letters, errors in
the user's language, ``/digest`` commands that mean what ``/digest status`` shows, and a channel
of another server refused."""

from __future__ import annotations

import logging
import re
import sqlite3

import pytest

from tests.chat.conftest import Env, answer_of, new_member, text_of

TOUR_LINE = re.compile(r"`(?:text|tekst): (?P<quote>[^`]+)`")


def subscriptions(env: Env) -> list[tuple]:
    with sqlite3.connect(env.settings.db_path) as conn:
        return conn.execute(
            "SELECT id, kind, guild_id, channel_id, user_id FROM subscriptions ORDER BY id"
        ).fetchall()


# ---------------------------------------------------------------- /help


async def test_help_is_a_tour_with_real_examples_that_work(env: Env):
    rec = await env.run("help", user=new_member(env))
    help_text = text_of(answer_of(rec))
    assert rec.ephemeral or (rec.followups and rec.followups[-1].ephemeral)
    assert "Try these first" in help_text
    quote = TOUR_LINE.search(help_text)
    topic = re.search(r"`topic: (?P<topic>[^`]+)`", help_text)
    question = re.search(r"`question: (?P<question>[^`]+)`", help_text)
    assert quote and topic and question, help_text
    # each example is real: it works when tried
    found = text_of(
        answer_of(await env.run("quote", {"text": quote["quote"]}, user=new_member(env)))
    )
    assert "Best match" in found and quote["quote"].split()[-1] in found
    recs = await env.run("recommendations", {"topic": topic["topic"]}, user=new_member(env))
    assert f"Recommendations: {topic['topic']}" in text_of(answer_of(recs))
    asked = await env.run("ask", {"question": question["question"]}, user=new_member(env))
    assert "Sources" in text_of(answer_of(asked))
    assert question["question"].startswith("What does the letter say about")


async def test_help_speaks_dutch_to_a_dutch_client(env: Env):
    rec = await env.run("help", user=new_member(env), locale="nl")
    text = text_of(answer_of(rec))
    assert "Probeer eerst dit" in text and "/citaat" in text and "/vraag" in text
    assert "`vraag: Wat zegt de brief over " in text
    assert "Try these first" not in text and "/quote" not in text


async def test_a_dm_greeting_gets_the_same_tour(env: Env):
    await env.server.send_dm(env.member, "hallo")
    reply = await env.server.wait_for_message(env.member, timeout=30)
    assert "Probeer eerst dit" in text_of(reply) and TOUR_LINE.search(text_of(reply))


# ---------------------------------------------------------------- errors in the user's language


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("summary", {"letter": "999"}),
        ("summary", {"topic": "xyzzy onbekend"}),
        ("recommendations", {"topic": "xyzzy onbekend"}),
        ("quote", {"text": "mensenhandel", "letter": "999"}),
    ],
)
async def test_refusals_in_dutch_say_what_to_do_next(env: Env, command, options):
    rec = await env.run(command, options, user=new_member(env), locale="nl")
    reply = answer_of(rec)
    text = text_of(reply).strip()
    assert reply.flags & 64  # errors are private
    assert "/brieven" in text or "/onderwerpen" in text or "in de buurt" in text  # next step
    for english in ("no letter", "no topic", "come close", "lists", "name a"):
        assert english not in text
    assert text.count(". ") == 0  # one sentence


async def test_refusals_in_english_point_at_slash_commands(env: Env):
    rec = await env.run("summary", {"letter": "999"}, user=new_member(env))
    assert (
        text_of(answer_of(rec)).strip()
        == "There is no letter '999' here; /letters lists the letters."
    )


async def test_a_dm_refusal_is_in_the_language_of_the_question(env: Env):
    await env.server.send_dm(env.member, "samenvatting over xyzzyqq")
    reply = await env.server.wait_for_message(env.member, timeout=30)
    text = text_of(reply)
    assert "ken ik niet" in text and "no topic" not in text


# ---------------------------------------------------------------- /digest


async def test_off_without_a_channel_stops_the_servers_digest_for_its_admin(env: Env):
    await env.run("digest set", {"channel": env.channel, "time": "09:00"}, user=env.admin)
    status = text_of(answer_of(await env.run("digest status", user=env.admin)))
    assert f"<#{env.channel.id}>" in status
    rec = await env.run("digest off", user=env.admin)
    assert f"Digest stopped: <#{env.channel.id}>" in text_of(answer_of(rec))
    assert subscriptions(env) == []


async def test_off_asks_which_when_both_a_personal_and_a_server_digest_exist(env: Env):
    admin = new_member(env, manager=True)
    await env.run("digest set", {"channel": env.channel, "time": "09:00"}, user=admin)
    await env.run("digest subscribe", {"time": "08:00"}, user=admin)
    assert len(subscriptions(env)) == 2
    rec = await env.run("digest off", user=admin)
    msg = answer_of(rec)
    assert "Which digest should stop?" in text_of(msg)
    channel_sub = next(s for s in subscriptions(env) if s[1] == "channel")
    assert len(subscriptions(env)) == 2  # nothing stopped yet
    other = await env.server.click(msg, f"digest:off:{channel_sub[0]}", user=env.member)
    await env.server.wait_for_response(other)
    assert len(subscriptions(env)) == 2  # only the one who asked can choose
    click = await env.server.click(msg, f"digest:off:{channel_sub[0]}", user=admin)
    await env.server.wait_for_response(click)
    assert click.response_type == 7  # the question is replaced by the answer
    assert [s[1] for s in subscriptions(env)] == ["user"]  # the personal digest is kept


async def test_off_for_a_member_never_touches_the_servers_digest(env: Env):
    await env.run("digest set", {"channel": env.channel, "time": "09:00"}, user=env.admin)
    rec = await env.run("digest off", user=new_member(env))
    assert "no digest to stop" in text_of(answer_of(rec))
    assert len(subscriptions(env)) == 1


async def test_preview_before_any_digest_shows_a_sample(env: Env):
    rec = await env.run("digest preview", user=new_member(env))
    text = "\n".join(text_of(m) for m in rec.followups)
    assert "No digest is set" not in text
    assert "An example: no digest is set here yet" in text and "/digest set" in text
    assert "Mensenhandel en seksueel geweld tegen kinderen" in text  # the newest letter...
    assert "What it asks" in text and "“ik doe daarom een beroep op u" in text  # ...its asks
    assert "example digest" in text  # not a delivery marker
    assert subscriptions(env) == []  # nothing was stored


async def test_set_refuses_a_channel_of_another_server(env: Env, caplog):
    caplog.set_level(logging.INFO)
    await env.run(
        "digest set", {"channel": env.other_channel, "time": "09:00"}, user=env.outsider,
        channel=env.other_channel,
    )  # fmt: skip
    (theirs,) = subscriptions(env)
    rec = await env.run(
        "digest set", {"channel": env.other_channel, "time": "07:00"}, user=env.admin
    )
    text = text_of(answer_of(rec))
    assert "That channel is not in this server" in text and "pick one of this server" in text
    assert "Something went wrong" not in text
    assert subscriptions(env) == [theirs]  # the other server's digest stays where it was
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no traceback


async def test_the_service_never_moves_another_servers_digest(env: Env):
    service = env.services.digests
    theirs = await service.subscribe(
        kind="channel", user_id=1, guild_id=env.other_guild.id, channel_id=env.other_channel.id
    )
    with pytest.raises(ValueError, match="another server"):
        await service.subscribe(
            kind="channel", user_id=2, guild_id=env.guild.id, channel_id=env.other_channel.id
        )
    assert (await service.for_target(channel_id=env.other_channel.id)) == theirs


async def test_ask_numbers_its_sources_as_its_answer_cites_them(env: Env):
    rec = await env.run("ask", {"question": "Wat zegt de brief over coördinatie?"})
    text = text_of(answer_of(rec))
    answer, _, sources = text.partition("Sources")
    assert sources, text
    cited = re.findall(r"\[(\d+), p\. (\d+)\]", answer)
    assert len(cited) >= 2
    for number, page in cited:
        line = next(x for x in sources.splitlines() if x.startswith(f"**[{number}]** "))
        assert f", p. {page}, s. " in line  # [n, p. X] is source n, on page X
