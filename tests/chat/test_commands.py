"""Every slash command end to end: the real bot, over loopback, against the test server."""

from __future__ import annotations

from tests.chat.conftest import (
    Env,
    answer_of,
    bot_on,
    make_settings,
    new_member,
    populate,
    text_of,
)
from tests.discord_server import DiscordTestServer
from tests.discord_server.state import Upload
from tests.letters import HandmadeLetter

EPHEMERAL = 64


def schema(env: Env, name: str) -> dict:
    return next(c for c in env.server.command_schemas() if c["name"] == name)


# ---------------------------------------------------------------- the registered schema


async def test_commands_are_synced_with_dutch_localizations(env: Env):
    names = {c["name"]: c for c in env.server.command_schemas()}
    expected = {
        "summary": "samenvatting",
        "recommendations": "aanbevelingen",
        "quote": "citaat",
        "ask": "vraag",
        "letters": "brieven",
        "topics": "onderwerpen",
        "letter": "brief",
        "digest": "digest",
    }
    for name, dutch in expected.items():
        assert name in names, name
        assert names[name]["name_localizations"]["nl"] == dutch
        assert names[name]["description_localizations"]["nl"]
    assert "help" in names and "sync" in names
    quote = names["quote"]
    text = next(o for o in quote["options"] if o["name"] == "text")
    assert text["required"] and text["autocomplete"] and text["name_localizations"]["nl"] == "tekst"
    letter_group = names["letter"]
    assert int(letter_group["default_member_permissions"]) == 1 << 5  # Manage Server
    subs = {o["name"]: o for o in letter_group["options"]}
    assert subs["add"]["name_localizations"]["nl"] == "toevoegen"
    file_opt = subs["add"]["options"][0]
    assert file_opt["type"] == 11 and file_opt["required"]  # attachment
    length = next(o for o in names["summary"]["options"] if o["name"] == "length")
    assert [c["value"] for c in length["choices"]] == [3, 5, 10]


async def test_commands_are_synced_once_not_on_every_start(tmp_path):
    route = "PUT /applications/{application_id}/commands"
    settings = make_settings(tmp_path)
    async with DiscordTestServer() as server:
        world = populate(server)
        async with bot_on(server, world, settings):
            assert len(server.requests_for(route)) == 1
        async with bot_on(server, world, settings) as env:  # a restart: same commands
            assert len(server.requests_for(route)) == 1
            await env.services.store.meta.set(
                f"command-sync:{env.bot.application_id}:global", "old"
            )
        async with bot_on(server, world, settings):  # the payload changed: sync again
            assert len(server.requests_for(route)) == 2


# ---------------------------------------------------------------- answers


async def test_letters_lists_the_bundled_letter_publicly(env: Env):
    rec = await env.run("letters")
    msg = answer_of(rec)
    assert not rec.ephemeral
    assert msg.embeds[0]["color"] == 0x1F6FB2
    text = text_of(msg)
    # the damaged letter's subject and names in the case a reader expects (stored lowercased)
    assert "Mensenhandel en seksueel geweld tegen kinderen" in text
    # by whom and to whom: people know letters as "the letter to the informateur"
    assert "From Nationaal Rapporteur Mensenhandel en Seksueel Geweld tegen Kinderen" in text
    assert "(Corinne Dettmeijer Vermeulen) to Mevrouw drs. E.I. Schippers informateur" in text
    assert "3 pages · 56 sentences" in text


async def test_letters_in_dutch_with_counts_in_dutch(env: Env):
    rec = await env.run("letters", locale="nl")
    text = text_of(answer_of(rec))
    assert "Van Nationaal Rapporteur" in text and " aan Mevrouw drs. E.I. Schippers" in text
    assert "3 pagina's · 56 zinnen" in text


async def test_summary_defers_then_answers_with_citations(env: Env):
    rec = await env.run("summary", {"length": 3})
    assert rec.response_type == 5  # deferred first
    msg = answer_of(rec)
    body = msg.embeds[0]["description"]
    assert body.count("p. ") == 3 and body.count("s. ") >= 3
    assert rec.latency < 3


async def test_summary_in_dutch_for_a_dutch_client(env: Env):
    rec = await env.run("summary", {"length": 3}, locale="nl")
    msg = answer_of(rec)
    assert msg.embeds[0]["title"].startswith("Samenvatting")
    assert "zin " in msg.embeds[0]["description"]


async def test_recommendations_for_a_synonym_topic(env: Env):
    rec = await env.run("recommendations", {"topic": "kinderporno"})
    msg = answer_of(rec)
    body = text_of(msg)
    assert "kinderpornografie" in body.lower()
    assert "p. " in body


async def test_recommendations_across_many_letters_say_they_show_the_newest(env: Env, monkeypatch):
    monkeypatch.setattr("bot.chat.answers.cog.CHAT_MAX_LETTERS", 1)  # instead of 100 letters
    letter = HandmadeLetter(subject="Toezicht op de jeugdzorg")
    added, _, _ = await env.services.letters.add_upload(
        letter.text().encode(), filename="nieuw.txt", guild_id=env.guild.id
    )
    rec = await env.run("recommendations")
    body = text_of(answer_of(rec))
    assert "most recently added of 2 letters" in body
    assert f"letter {added.ref}, p. " in body
    assert "letter 1, p. " not in body  # the bundled letter is the older one
    rec = await env.run("recommendations", {"letter": "1"}, locale="nl")
    body = text_of(answer_of(rec))
    assert "laatst toegevoegde" not in body and "brief 1, p. " in body


async def test_quote_finds_a_misspelled_fragment_with_context_and_next_match(env: Env):
    rec = await env.run(
        "quote", {"text": "beroep op u dit onderwerp in het regeer akord te laten terugkomen"}
    )
    msg = answer_of(rec)
    e = msg.embeds[0]
    assert "**" in e["description"]  # the matched span is highlighted
    assert "het kabinet de coördinatie" in e["description"]
    assert {f["name"] for f in e.get("fields", [])} <= {"Before", "After"}
    # a fragment that several sentences share offers the next best on request
    rec = await env.run("quote", {"text": "seksueel geweld tegen kinderen"})
    msg = answer_of(rec)
    assert "quote:next" in msg.custom_ids()
    first = msg.embeds[0]["description"]
    click = await env.server.click(msg, "quote:next", user=env.member)
    await env.server.wait_for_response(click)
    assert click.response_type == 7  # message updated in place
    assert msg.embeds[0]["description"] != first
    # someone else may not use the buttons
    other = await env.server.click(msg, "quote:next", user=env.admin)
    await env.server.wait_for_response(other)
    assert other.ephemeral and "belong" in other.content


async def test_quote_without_a_match_says_so_privately(env: Env):
    rec = await env.run("quote", {"text": "qwxz vrrkt plmnb zzyx"})
    msg = answer_of(rec)
    assert "No sentence matches" in msg.content
    assert msg.flags & EPHEMERAL


async def test_ask_answers_with_cited_passages(env: Env):
    rec = await env.run("ask", {"question": "Wat vindt de rapporteur van het coalitieakkoord?"})
    body = text_of(answer_of(rec))
    assert "regeerakkoord" in body
    assert "p. " in body


async def test_topics_and_help(env: Env):
    rec = await env.run("topics")
    assert "`" in text_of(answer_of(rec))
    rec = await env.run("help")
    assert rec.ephemeral and "/quote" in text_of(rec.message)


async def test_public_false_makes_the_answer_ephemeral(env: Env):
    rec = await env.run("letters", {"public": False})
    assert answer_of(rec).flags & EPHEMERAL


async def test_errors_are_short_localized_and_private(env: Env):
    rec = await env.run("summary", {"letter": "9999"}, locale="nl")
    msg = answer_of(rec)
    assert msg.flags & EPHEMERAL
    assert "9999" in text_of(msg)
    assert env.server.protocol_errors == []


async def test_cooldown_gives_a_polite_notice(env: Env):
    results = [await env.run("letters", {"public": False}) for _ in range(5)]
    last = results[-1]
    assert last.ephemeral and "try again" in text_of(answer_of(last)).lower()


# ---------------------------------------------------------------- autocomplete


async def test_autocomplete_is_fast_capped_and_safe(env: Env):
    for command, option, typed in (
        ("summary", "letter", "mens"),
        ("recommendations", "topic", "kinder"),
        ("quote", "text", "regeerakkoord"),
        ("quote", "text", '"NEAR( * OR -'),
    ):
        rec = await env.server.autocomplete(
            command, option, typed, user=env.member, channel=env.channel
        )
        await env.server.wait_for_response(rec)
        assert rec.response_type == 8
        assert len(rec.choices) <= 25
        assert all(len(c["name"]) <= 100 for c in rec.choices)
    rec = await env.server.autocomplete(
        "quote", "text", "regeerakkoord", user=env.member, channel=env.channel
    )
    await env.server.wait_for_response(rec)
    assert any("regeerakkoord" in c["name"] for c in rec.choices)


# ---------------------------------------------------------------- letters of a server


def _upload(name: str = "brief.txt", letter: HandmadeLetter | None = None) -> Upload:
    return Upload(name, (letter or HandmadeLetter()).text().encode("utf-8"))


async def test_letter_add_is_for_managers_and_stays_in_its_server(env: Env):
    refused = await env.run("letter add", {"file": _upload()}, user=env.member)
    assert refused.ephemeral and "Manage Server" in text_of(answer_of(refused))
    added = await env.run("letter add", {"file": _upload()}, user=env.admin)
    assert "Added" in text_of(answer_of(added))
    # visible here, not in the other server
    here = text_of(answer_of(await env.run("letters", user=env.admin)))
    assert "Toezicht op de opvang" in here
    there = text_of(
        answer_of(await env.run("letters", user=env.outsider, channel=env.other_channel))
    )
    assert "Toezicht op de opvang" not in there
    q = await env.run(
        "quote",
        {"text": "financiering van deze plaatsen garanderen"},
        user=env.outsider,
        channel=env.other_channel,
    )
    assert "No sentence matches" in text_of(answer_of(q))
    # the other server's admin cannot remove it
    letter_id = max(env.services.catalog.by_id)
    gone = await env.run(
        "letter remove",
        {"letter": env.services.catalog.ref(letter_id)},
        user=env.outsider,
        channel=env.other_channel,
    )
    assert "not one of this server" in text_of(answer_of(gone))
    assert letter_id in env.services.catalog.by_id
    removed = await env.run(
        "letter remove", {"letter": env.services.catalog.ref(letter_id)}, user=env.admin
    )
    assert "Removed" in text_of(answer_of(removed))
    assert letter_id not in env.services.catalog.by_id


async def test_letter_add_refuses_bad_files_clearly(env: Env):
    rec = await env.run(
        "letter add", {"file": Upload("brief.pdf", b"<!DOCTYPE html><html></html>")}, user=env.admin
    )
    body = text_of(answer_of(rec))
    assert "I could not read **brief.pdf**: this file is not a PDF" in body and "HTML" in body
    rec = await env.run("letter add", {"file": Upload("brief.txt", b"")}, user=env.admin)
    assert "empty" in text_of(answer_of(rec))


async def test_letter_add_refuses_in_dutch_for_a_dutch_client(env: Env):
    rec = await env.run(
        "letter add",
        {"file": Upload("brief.pdf", b"<!DOCTYPE html><html></html>")},
        user=env.admin,
        locale="nl",
    )
    body = text_of(answer_of(rec))
    assert "Ik kon **brief.pdf** niet lezen: dit bestand is geen PDF" in body
    assert "voeg de brief toe als .pdf of .txt" in body  # what to do next
    assert "HTML" not in body and "looks like" not in body  # no English in a Dutch reply
    rec = await env.run(
        "letter add", {"file": Upload("brief.txt", b"")}, user=env.admin, locale="nl"
    )
    assert "het bestand is leeg; voeg de brief zelf toe" in text_of(answer_of(rec))


async def test_letter_commands_are_not_offered_in_dms(env: Env):
    letter_group = schema(env, "letter")
    assert letter_group.get("contexts") in ([0], None) or letter_group.get("dm_permission") is False


# ---------------------------------------------------------------- pagination


async def test_long_answers_are_paginated_with_owner_only_buttons(env: Env):
    for i in range(8):
        letter = HandmadeLetter(subject=f"Toezicht op opvang deel {i}")
        letter.page2 = [*letter.page2, *[
            f"Ik verzoek u voor regio {i}-{k} de capaciteit van de opvang van kinderen "
            "structureel te verhogen en daarover jaarlijks te rapporteren aan de Kamer."
            for k in range(6)
        ]]  # fmt: skip
        await env.services.letters.add_upload(
            letter.text().encode(), filename=f"deel{i}.txt", guild_id=env.guild.id
        )
    rec = await env.run("recommendations", user=env.admin)
    msg = answer_of(rec)
    ids = msg.custom_ids()
    assert "page:next" in ids
    first = msg.embeds[0]["description"]
    click = await env.server.click(msg, "page:next", user=env.admin)
    await env.server.wait_for_response(click)
    assert click.response_type == 7
    assert msg.edits and msg.embeds[0]["description"] != first
    stranger = await env.server.click(msg, "page:next", user=env.member)
    await env.server.wait_for_response(stranger)
    assert stranger.ephemeral


# ---------------------------------------------------------------- mentions and safety


async def test_a_mention_in_a_query_never_pings(env: Env):
    await env.run("ask", {"question": "@everyone <@&1> wat zegt de brief over @here coördinatie?"})
    await env.run("quote", {"text": "@everyone coördinatie van de aanpak"})
    for message in env.server.messages(env.channel, from_bot=True):
        assert message.pinged == []
    for rec in env.server.interactions.values():
        for m in [rec.message, *rec.followups]:
            if m is not None:
                assert m.pinged == []


async def test_every_interaction_was_answered_within_three_seconds(env: Env):
    await env.run("letters")
    await env.run("summary")
    await env.run("topics")
    assert all(r.latency is not None and r.latency < 3 for r in env.server.interactions.values())
    env.server.assert_no_protocol_errors()


async def test_restart_keeps_letters_and_their_server(tmp_path):
    settings = make_settings(tmp_path)
    async with DiscordTestServer() as server:
        world = populate(server)
        async with bot_on(server, world, settings) as env:
            await env.services.letters.add_upload(
                _upload().data, filename="brief.txt", guild_id=env.guild.id
            )
        async with bot_on(server, world, settings) as env:
            rec = await env.run("letters", user=env.admin)
            assert "Toezicht op de opvang" in text_of(answer_of(rec))
            rec = await env.run("letters", user=env.outsider, channel=env.other_channel)
            assert "Toezicht op de opvang" not in text_of(answer_of(rec))


async def test_buttons_are_removed_when_they_time_out(env: Env, monkeypatch):
    monkeypatch.setattr("bot.chat.views.VIEW_TIMEOUT", 0.3)
    rec = await env.run("quote", {"text": "seksueel geweld tegen kinderen"})
    msg = answer_of(rec)
    assert "quote:next" in msg.custom_ids()
    await env.server.wait_until(lambda: not msg.components, timeout=10)
    assert msg.edits  # edited to drop the view


async def test_ask_shows_a_letters_metadata_and_a_missing_topic(env: Env):
    """/ask renders the same reply the command line prints: the signatory (no passages), and
    the note that the letters have no such topic, with close ones."""
    rec = await env.run("ask", {"question": "Who signed the letter?"})
    body = text_of(answer_of(rec))
    assert "was signed by" in body and "dettmeijer" in body.lower()
    rec = await env.run("ask", {"question": "aanbevelingen over voetbal"}, user=new_member(env))
    body = text_of(answer_of(rec))
    assert "geen onderwerp “voetbal”" in body and "in de buurt komen" in body
    assert "I found nothing in the letters" not in body
