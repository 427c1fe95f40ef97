"""Tenancy: through every command, autocomplete and the DM path, another server's letters and
digest subscriptions can be neither read, quoted, summarised, digested, changed nor deleted.

Guild A (``env.guild``) uploads a letter about a subject nobody else writes about (seal
shelters); guild B (``env.other_guild``) and DMs then try every way in. The letter's words are
distinctive, so any leak shows up as one of them in a message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.chat.conftest import Env, start_env, text_of
from tests.discord_server.state import Permissions, Upload
from tests.letters import HandmadeLetter

EPHEMERAL = 64
#: Words of the secret letter that no other letter uses (checked in the fixture).
MARKERS = ("zeehond", "wadden", "pieterburen", "zeehondenopvang", "huilers")
MARKER_RE = re.compile("|".join(MARKERS), re.IGNORECASE)


def secret_letter() -> HandmadeLetter:
    """Guild A's letter: a clean Dutch government letter on a subject of its own."""
    return HandmadeLetter(
        subject="Zeehondenopvang op de Waddeneilanden",
        page1=[
            "Met deze brief informeer ik u over de zeehondenopvang op de Waddeneilanden en in",
            "Pieterburen.",
            "Opvang van huilers",
            "Het aantal huilers dat de opvang in Pieterburen bereikt, is dit jaar verdubbeld. Ik",
            "verzoek u daarom de financiering van de zeehondenopvang voor ten minste drie jaar",
            "te garanderen, zodat de opvang op de Waddeneilanden",
        ],
        page2=[
            "kan blijven bestaan. Daarnaast zag ik dat vrijwilligers weinig tijd hebben om",
            "zieke zeehonden te verzorgen. Ik maak mij ernstig zorgen over de zeehondenopvang.",
            "Toezicht",
            "Ik beveel aan het toezicht op de zeehondenopvang in de Waddenzee te versterken.",
        ],
    )


def messages_of(rec) -> list:
    return [m for m in [rec.message, *rec.followups] if m is not None]


def all_text(rec) -> str:
    return "\n".join(text_of(m) for m in messages_of(rec))


@pytest.fixture(autouse=True)
def info_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Log at INFO, as the bot runs: a log call that breaks then fails the command."""
    caplog.set_level(logging.INFO)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    async for e in start_env(tmp_path):
        yield e


async def _secret_in_a(env: Env) -> int:
    """Upload the secret letter into guild A; returns its id."""
    before = set(env.services.catalog.by_id)
    rec = await env.run(
        "letter add", {"file": Upload("zeehonden.txt", secret_letter().text().encode())},
        user=env.admin,
    )  # fmt: skip
    assert "Added" in all_text(rec), all_text(rec)
    (letter_id,) = set(env.services.catalog.by_id) - before
    assert env.services.catalog.by_id[letter_id].guild_id == env.guild.id
    others = [r for r in env.services.catalog.by_id.values() if r.id != letter_id]
    for r in others:  # the markers are the secret letter's own
        assert not MARKER_RE.search(r.title)
    return letter_id


class Tries:
    """Users of guild B and of no guild, each fresh (the per-user cooldown never interferes)."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.n = 0

    def user(self, *, manager: bool = True, guild=None):
        self.n += 1
        server = self.env.server
        user = server.add_user(f"b{self.n}")
        perms = Permissions.DEFAULT | (Permissions.MANAGE_GUILD if manager else 0)
        server.add_member(guild or self.env.other_guild, user, permissions=perms)
        return user

    async def run(self, command: str, options: dict | None = None, *, dm: bool = False):
        user = self.user()
        channel = None if dm else self.env.other_channel
        return await self.env.run(command, options or {}, user=user, channel=channel)

    async def complete(self, command: str, option: str, typed: str, options=None):
        server = self.env.server
        rec = await server.autocomplete(
            command, option, typed, options or {}, user=self.user(), channel=self.env.other_channel
        )
        await server.wait_for_response(rec, timeout=10)
        return rec


def without_echo(body: str, typed: object, *, words: bool = False) -> str:
    """``body`` without what the user typed (a refusal may quote the input back); with
    ``words`` also without each of its longer words (a DM refusal may quote a part)."""
    for value in typed if isinstance(typed, list | tuple) else [typed]:
        if isinstance(value, str) and value.strip():
            parts = [value.strip(), *(re.findall(r"\w{4,}", value) if words else [])]
            for part in parts:
                body = re.sub(re.escape(part), " ", body, flags=re.IGNORECASE)
    return body


def assert_clean(rec, secret_id: int, typed: object = ()) -> str:
    """No trace of the secret letter in the answer, and nobody pinged; returns the text."""
    body = all_text(rec)
    rest = without_echo(body, typed)
    assert not MARKER_RE.search(rest), body
    if secret_id:
        assert f"{secret_id}:" not in rest, body
    for m in messages_of(rec):
        assert m.pinged == []
    return body


async def test_guild_b_and_dms_never_see_guild_a_letters(env: Env):
    secret = await _secret_in_a(env)
    sid = str(secret)  # its internal id: never a way in
    ref = env.services.catalog.ref(secret)  # its number as guild A sees it (s1)
    tries = Tries(env)
    # guild A itself sees it: the probes below could find it if scoping failed
    own = await env.run("quote", {"text": "financiering van de zeehondenopvang"}, user=env.admin)
    assert "zeehondenopvang" in all_text(own).lower()

    attempts = [
        ("letters", {}),
        ("summary", {}),
        ("summary", {"letter": sid}),
        ("summary", {"letter": ref}),
        ("summary", {"letter": "zeehonden"}),  # its slug
        ("summary", {"topic": "zeehondenopvang"}),
        ("quote", {"text": "financiering van de zeehondenopvang voor drie jaar"}),
        ("quote", {"text": f"{sid}:2"}),
        ("quote", {"text": f"{ref}:2"}),  # a sentence reference, as autocomplete sends them
        ("quote", {"text": "opvang", "letter": sid}),
        ("quote", {"text": "opvang", "letter": ref}),
        ("ask", {"question": "Wat zegt de brief over de zeehondenopvang in Pieterburen?"}),
        ("ask", {"question": f"{sid}:2"}),
        ("recommendations", {}),
        ("recommendations", {"letter": sid}),
        ("recommendations", {"letter": ref}),
        ("recommendations", {"topic": "zeehondenopvang"}),
        ("topics", {}),
        ("topics", {"letter": sid}),
        ("topics", {"letter": ref}),
    ]
    for command, options in attempts:
        for dm in (False, True):
            rec = await tries.run(command, options, dm=dm)
            body = assert_clean(rec, secret, list(options.values()))
            if "letter" in options:  # naming the letter is a refusal, not an empty answer
                answer = rec.followups[-1] if rec.followups else rec.message
                assert answer.flags & EPHEMERAL, (command, options, body)
                assert "no letter" in body.lower() or sid in body or ref in body
    env.server.assert_no_protocol_errors()


async def test_dm_questions_never_reach_guild_a_letters(env: Env):
    secret = await _secret_in_a(env)
    tries = Tries(env)
    for question in (
        "Wat zegt de brief over de zeehondenopvang in Pieterburen?",
        "samenvatting zeehondenopvang",
        "aanbevelingen over zeehondenopvang",
        'citaat "financiering van de zeehondenopvang"',
        f"{secret}:2",
        f"{env.services.catalog.ref(secret)}:2",
    ):
        user = tries.user()
        await env.server.send_dm(user, question)
        await env.server.wait_for_message(user, timeout=20)
        await env.server.settle(0.1, timeout=20)
        for m in env.server.messages(user, from_bot=True):
            body = without_echo(text_of(m), question, words=True)
            assert not MARKER_RE.search(body), (question, body)
            assert m.pinged == []


async def test_autocomplete_in_guild_b_never_suggests_guild_a(env: Env):
    secret = await _secret_in_a(env)
    ref = env.services.catalog.ref(secret)
    tries = Tries(env)
    probes = [
        ("summary", "letter", ""),
        ("summary", "letter", str(secret)),
        ("summary", "letter", ref),
        ("summary", "letter", "zeehond"),
        ("summary", "topic", "zeehond"),
        ("recommendations", "letter", ""),
        ("recommendations", "topic", "zeehond"),
        ("quote", "letter", "zee"),
        ("quote", "text", "financiering van de zeehondenopvang"),
        ("quote", "text", f"{secret}:2"),
        ("quote", "text", f"{ref}:2"),
        ("topics", "letter", ""),
        ("letter remove", "letter", ""),
        ("letter remove", "letter", str(secret)),
        ("letter remove", "letter", ref),
        ("digest subscribe", "topics", "zeehond"),
    ]
    for command, option, typed in probes:
        options = {"time": "09:00"} if command.startswith("digest") else None
        rec = await tries.complete(command, option, typed, options)
        assert rec.response_type == 8, (command, option)
        for c in rec.choices:
            assert not MARKER_RE.search(c["name"]), (command, option, c)
            assert str(c["value"]) not in (str(secret), ref)
            assert not str(c["value"]).startswith((f"{secret}:", f"{ref}:"))
    # the same probes in guild A do find it: they are not vacuous
    rec = await env.server.autocomplete(
        "quote", "text", "financiering van de zeehondenopvang", user=env.admin, channel=env.channel
    )
    await env.server.wait_for_response(rec, timeout=10)
    assert any(str(c["value"]).startswith(f"{ref}:") for c in rec.choices)


async def test_guild_b_cannot_remove_guild_a_letter(env: Env):
    secret = await _secret_in_a(env)
    tries = Tries(env)
    record = env.services.catalog.by_id[secret]
    for ref in (str(secret), record.ref, record.slug, f" {record.ref} ", f"{secret}.0"):
        rec = await tries.run("letter remove", {"letter": ref})
        assert_clean(rec, secret, ref)
        assert "not one of this server" in all_text(rec)
        assert secret in env.services.catalog.by_id
    # a bundled letter (guild NULL) is nobody's to remove from a server either
    bundled = next(r for r in env.services.catalog.by_id.values() if r.guild_id is None)
    rec = await tries.run("letter remove", {"letter": bundled.ref})
    assert "not one of this server" in all_text(rec)
    assert bundled.id in env.services.catalog.by_id
    # the sentences are still searchable in guild A
    rows = await env.services.store.letters.sentences(secret)
    assert len(rows) == record.sentence_count


async def test_digests_of_guild_a_are_invisible_and_untouchable_from_guild_b(env: Env):
    await _secret_in_a(env)
    server = env.server
    # guild A: a channel digest set by its admin, and a member's personal digest
    rec = await env.run("digest set", {"channel": env.channel, "time": "08:15"}, user=env.admin)
    assert "08:15" in all_text(rec), all_text(rec)
    rec = await env.run("digest subscribe", {"time": "07:45"}, user=env.member)
    assert "07:45" in all_text(rec), all_text(rec)
    before = sorted(
        (s.id, s.kind, s.guild_id, s.channel_id, s.user_id, s.local_time)
        for s in await env.services.store.digests.list()
    )
    assert len(before) == 2

    tries = Tries(env)
    # guild B's manager: status, preview and off, with and without naming A's channel
    for command, options in (
        ("digest status", {}),
        ("digest preview", {}),
        ("digest preview", {"channel": env.channel}),
        ("digest off", {}),
        ("digest off", {"channel": env.channel}),
        ("forget-me", {}),
    ):
        rec = await tries.run(command, options)
        body = assert_clean(rec, 0)
        assert "08:15" not in body and "07:45" not in body, (command, body)
    # and from DMs
    for command in ("digest status", "digest preview", "digest off"):
        rec = await tries.run(command, {}, dm=True)
        body = assert_clean(rec, 0)
        assert "08:15" not in body and "07:45" not in body, (command, body)
    # guild B's own digest then previews without A's letter
    rec = await tries.run("digest set", {"channel": env.other_channel, "time": "06:30"})
    assert "06:30" in all_text(rec), all_text(rec)
    user = tries.user()
    rec = await env.run(
        "digest preview", {"channel": env.other_channel}, user=user, channel=env.other_channel
    )
    assert_clean(rec, 0)
    after = sorted(
        (s.id, s.kind, s.guild_id, s.channel_id, s.user_id, s.local_time)
        for s in await env.services.store.digests.list()
        if s.guild_id != env.other_guild.id
    )
    assert after == before  # nothing of guild A changed
    # A member of both servers sees, in guild B, only their own digest and B's
    both = server.add_user("beide")
    server.add_member(env.guild, both)
    server.add_member(env.other_guild, both)
    await env.run("digest subscribe", {"time": "05:05"}, user=both)
    rec = await env.run("digest status", user=both, channel=env.other_channel)
    body = all_text(rec)
    assert "05:05" in body and "06:30" in body and "08:15" not in body


async def test_names_and_numbers_a_server_sees_are_its_own(env: Env):
    """Guild A adds three letters, one of them zeehonden.txt; guild B then uploads its own
    zeehonden.txt. B's letter is named zeehonden and numbered s1, as if A had none: nothing B
    sees (the answer, /letters, citations, autocomplete values) tells it A has letters, nor how
    many. Letters visible everywhere keep their own sequence (1, 2 ...) whatever servers add."""
    await _secret_in_a(env)
    for subject in ("Toezicht op de jeugdzorg", "Opvang in de grensregio"):
        rec = await env.run(
            "letter add",
            {"file": Upload("a.txt", HandmadeLetter(subject=subject).text().encode())},
            user=env.admin,
        )
        assert "Added" in all_text(rec)
    tries = Tries(env)  # a fresh user of guild B for each command (the cooldown)
    b_letter = HandmadeLetter(
        subject="Zeehonden in de Oosterschelde",
        page2=["Ik verzoek u de opvang van zeehonden in de Oosterschelde te financieren."],
    )
    rec = await tries.run("letter add", {"file": Upload("zeehonden.txt", b_letter.text().encode())})
    assert "as letter s1:" in all_text(rec), all_text(rec)
    mine = next(r for r in env.services.catalog.by_id.values() if r.guild_id == env.other_guild.id)
    assert (mine.slug, mine.ref) == ("zeehonden", "s1")
    # B finds its letter by that name and number; A's zeehonden stays A's
    for ref in ("zeehonden", "s1", "#s1"):
        rec = await tries.run("summary", {"letter": ref})
        assert "Oosterschelde" in all_text(rec), (ref, all_text(rec))
    rec = await env.run("summary", {"letter": "zeehonden"}, user=env.admin)
    assert "Waddeneilanden" in all_text(rec)
    # /letters in B: the bundled letter as 1, its own as s1, nothing else
    rec = await tries.run("letters")
    numbers = re.findall(r"\*\*(s?\d+)\*\*", all_text(rec))
    assert list(dict.fromkeys(numbers)) == ["1", "s1"], all_text(rec)
    # citations and autocomplete values carry the number B sees, not an internal id
    rec = await tries.run("quote", {"text": "opvang van zeehonden in de Oosterschelde"})
    assert "letter s1, p. " in all_text(rec), all_text(rec)
    rec = await tries.complete("quote", "text", "opvang van zeehonden in de Oosterschelde")
    assert rec.choices and all(str(c["value"]).startswith("s1:") for c in rec.choices)
    rec = await tries.complete("summary", "letter", "")
    assert {c["value"] for c in rec.choices} == {"1", "s1"}
    # a letter for everyone added now is number 2 in every server, not 1 + A's and B's count
    added = await env.services.letters.add_path([_global_letter(env)])
    assert [i.letter.ref for i in added.ingested] == ["2"]
    env.server.assert_no_protocol_errors()


def _global_letter(env: Env) -> Path:
    path = Path(env.settings.db_path).parent / "voor-iedereen.txt"
    letter = HandmadeLetter(
        subject="Kinderopvang in krimpgebieden",
        page2=["Ik verzoek u de kinderopvang in krimpgebieden overeind te houden."],
    )
    path.write_text(letter.text(), encoding="utf-8")
    return path
