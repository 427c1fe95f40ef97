"""``/letter add`` with hostile uploads, end to end through the Discord test server.

The size limit is checked before anything is downloaded (``attachment.size``) and again on
the bytes; the type is decided by the content, not the name; only Manage Server members may
upload, and only into their own server; a hostile PDF is refused and the bot carries on.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.chat.conftest import Env, make_settings, start_env
from tests.discord_server.state import Attachment, Permissions, Upload
from tests.hardening.test_pdf_hostile import form_fanout, hostile_pdfs, letter_pdf
from tests.hardening.test_tenancy import all_text
from tests.letters import HandmadeLetter

LIMIT = 1024 * 1024  # 1 MB, so that "too big" needs no 20 MB of test data
DOWNLOAD = "GET /attachments/{channel_id}/{attachment_id}/{filename}"
EPHEMERAL = 64


@pytest.fixture(autouse=True)
def info_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Log at INFO, as the bot runs: a log call that breaks then fails the command."""
    caplog.set_level(logging.INFO)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    settings = make_settings(tmp_path, BRIEFBOT_MAX_UPLOAD_BYTES=LIMIT)
    async for e in start_env(tmp_path, settings=settings):
        yield e


def manager(env: Env, name: str, guild=None):
    user = env.server.add_user(name)
    env.server.add_member(
        guild or env.guild, user, permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD
    )
    return user


def downloads(env: Env) -> list:
    """Requests to the CDN for attachments (recorded apart from the REST routes)."""
    return [r for r in env.server.requests if r.route == DOWNLOAD]


def letter_bytes(subject: str = "Toezicht op de opvang van alleenstaande kinderen") -> bytes:
    return HandmadeLetter(subject=subject).text().encode()


class LyingAttachment(Attachment):
    """An attachment whose announced size is smaller than what the CDN serves."""

    @property
    def size(self) -> int:
        return 10


async def test_too_big_is_refused_before_downloading(env: Env):
    rec = await env.run(
        "letter add", {"file": Upload("groot.txt", b"a" * (LIMIT + 1))}, user=env.admin
    )
    body = all_text(rec)
    assert "limit is 1 MB" in body
    assert downloads(env) == []  # refused on attachment.size alone
    assert len(env.services.catalog.by_id) == 1  # only the bundled letter


async def test_a_size_that_lies_is_caught_on_the_bytes(env: Env):
    data = letter_bytes() + b" " * LIMIT
    att = env.server.state.add_attachment(
        "brief.txt", data, base_url=env.server.base_url, channel_id=env.channel.id
    )
    lying = LyingAttachment(att.id, att.filename, att.data, att.url)
    env.server.state.attachments[att.id] = lying
    rec = await env.run("letter add", {"file": lying}, user=env.admin)
    assert "limit is 1 MB" in all_text(rec)
    assert len(downloads(env)) == 1
    assert len(env.services.catalog.by_id) == 1


async def test_a_file_gone_from_the_cdn_is_a_clear_refusal(env: Env):
    att = env.server.state.add_attachment(
        "brief.txt", letter_bytes(), base_url=env.server.base_url, channel_id=env.channel.id
    )
    del env.server.state.attachments[att.id]  # expired before the bot fetched it
    rec = await env.run("letter add", {"file": att}, user=env.admin)
    body = all_text(rec)
    assert "could not be downloaded" in body and "Something went wrong" not in body, body
    assert len(downloads(env)) == 1


async def test_the_type_is_decided_by_the_content_not_the_name(env: Env):
    pdf = letter_pdf()
    cases = [
        ("brief.txt", pdf, "Added"),  # a PDF named .txt is read as a PDF
        ("brief.pdf", letter_bytes("Een tekst met de naam van een pdf"), "plain text"),
        ("brief.pdf", b"<!DOCTYPE html><html><body>Geachte heer</body></html>", "HTML"),
        ("brief.pdf", b"PK\x03\x04" + bytes(300), "ZIP"),
        ("brief.txt", b"PK\x03\x04" + bytes(300), "binary"),
        ("brief.docx", letter_bytes("Word"), "unknown file type"),
        ("brief.txt", b"\x89PNG\r\n\x1a\n" + bytes(300), "binary"),
        ("brief", letter_bytes("Zonder extensie"), "Added"),
    ]
    for i, (name, data, expected) in enumerate(cases):
        user = manager(env, f"beheerder{i}")
        rec = await env.run("letter add", {"file": Upload(name, data)}, user=user)
        body = all_text(rec)
        assert expected in body, (name, expected, body)
        if expected != "Added":
            answer = rec.followups[-1] if rec.followups else rec.message
            assert answer.flags & EPHEMERAL, (name, body)
    kinds = sorted(r.source_kind for r in env.services.catalog.by_id.values() if r.guild_id)
    assert kinds == ["pdf", "txt"]


async def test_only_managers_and_only_into_their_own_server(env: Env):
    data = letter_bytes("Alleen voor beheerders")
    rec = await env.run("letter add", {"file": Upload("b.txt", data)}, user=env.member)
    assert "Manage Server" in all_text(rec)
    assert downloads(env) == []
    # the other server's manager uploads: it lands in the other server only
    rec = await env.run(
        "letter add", {"file": Upload("b.txt", data)}, user=env.outsider, channel=env.other_channel
    )
    assert "Added" in all_text(rec)
    (record,) = [r for r in env.services.catalog.by_id.values() if r.guild_id is not None]
    assert record.guild_id == env.other_guild.id
    # a manager of one server is a plain member of the other: refused there
    both = env.server.add_user("beide")
    env.server.add_member(env.guild, both)
    env.server.add_member(
        env.other_guild, both, permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD
    )
    rec = await env.run("letter add", {"file": Upload("c.txt", letter_bytes("Nee"))}, user=both)
    assert "Manage Server" in all_text(rec)
    # the command does not exist in DMs
    with pytest.raises(LookupError):
        await env.server.slash("letter add", {"file": Upload("d.txt", data)}, user=env.admin)
    assert [r.guild_id for r in env.services.catalog.by_id.values() if r.guild_id] == [
        env.other_guild.id
    ]


async def test_hostile_pdfs_are_refused_and_the_bot_carries_on(env: Env):
    bombs = {"form-fanout": (form_fanout(6, 20), "memory")}
    for name in ("password", "truncated", "zero-pages", "3000-pages", "page-tree-loop"):
        build_it, expected = hostile_pdfs()[name]
        bombs[name] = (build_it(), expected)
    for i, (name, (data, expected)) in enumerate(bombs.items()):
        rec = await env.run(
            "letter add", {"file": Upload(f"{name}.pdf", data)}, user=manager(env, f"m{i}")
        )
        body = all_text(rec)
        assert "could not read" in body and expected.lower() in body.lower(), (name, body)
    assert len(env.services.catalog.by_id) == 1
    rec = await env.run("letters", user=env.admin)  # still answering
    assert "mensenhandel" in all_text(rec).lower()
    env.server.assert_no_protocol_errors()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(
        st.binary(max_size=4000),
        st.builds(lambda b, at: b[:at], st.just(letter_pdf()), st.integers(0, 3000)),
        st.builds(lambda t: t.encode("utf-8", "surrogatepass"), st.text(max_size=400)),
    ),
    name=st.sampled_from(["brief.txt", "brief.pdf", "brief.PDF", "brief", "@everyone.txt",
                          "**vet**.pdf", "<@123>.txt", "../../etc/passwd", "a" * 200 + ".txt"]),
)  # fmt: skip
async def test_generated_uploads_never_break_the_command(env: Env, data: bytes, name: str):
    env.uploads = getattr(env, "uploads", 0) + 1  # type: ignore[attr-defined]
    user = manager(env, f"gen{env.uploads}")  # type: ignore[attr-defined]
    rec = await env.run("letter add", {"file": Upload(name, data or b" ")}, user=user)
    messages = [m for m in [rec.message, *rec.followups] if m is not None]
    assert messages
    body = all_text(rec)
    assert "Something went wrong" not in body, body
    assert "Added" in body or "could not read" in body or "already" in body.lower(), body
    for m in messages:
        assert m.pinged == []


async def test_a_dutch_manager_reads_every_line_of_an_upload_in_dutch(env: Env):
    """Each line of the reply to an upload (stored, repeated, refused) is said in Dutch, from
    the message keys: never the reader's English."""
    good = HandmadeLetter(subject="Toezicht op de opvang van alleenstaande kinderen").text()
    twice = "\n\n\f\n".join([good, good])
    rec = await env.run(
        "letter add", {"file": Upload("twee.txt", twice.encode())}, user=manager(env, "nl"),
        locale="nl",
    )  # fmt: skip
    body = all_text(rec)
    assert "toegevoegd als brief s1" in body  # the letter, stored once
    assert "Het bestand bevat de brief 2 keer; hij is één keer opgeslagen." in body
    assert "times over" not in body
    english = "Dear Sir,\n\n" + "The quick brown fox jumps over the lazy dog. " * 30
    rec = await env.run(
        "letter add", {"file": Upload("engels.txt", english.encode())},
        user=manager(env, "nl2"), locale="nl",
    )  # fmt: skip
    body = all_text(rec)
    assert "niet lezen: dit lijkt geen Nederlandse tekst" in body and "does not look" not in body
