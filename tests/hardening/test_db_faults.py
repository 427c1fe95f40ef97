"""The database locked by another process, or full: the real bot answers with a clear temporary
error, corrupts nothing, and works again once the fault is gone."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.clock import ManualClock
from tests.chat.conftest import Env, answer_of, new_member, start_env, text_of
from tests.discord_server.state import Upload
from tests.hardening.killer import check_database, sql
from tests.letters import HandmadeLetter

EPHEMERAL = 64
NO_LIMIT = 1_073_741_823  # SQLite's default max_page_count


@pytest.fixture(name="env")
async def env_fixture(tmp_path):
    async for e in start_env(tmp_path):
        yield e


def upload(subject: str) -> Upload:
    return Upload("brief.txt", HandmadeLetter(subject=subject).text().encode("utf-8"))


async def bot_pragma(env: Env, pragma: str) -> int | None:
    """Run a PRAGMA on the bot's own connection (the only way to reach per-connection limits),
    between the store's own uses of it, once the indexes are built (no reader is active)."""
    await env.services.warm()
    async with env.services.store._db.read() as conn, conn.execute(pragma) as cur:
        row = await cur.fetchone()
    return row[0] if row else None


def assert_database_sound(env: Env) -> None:
    check = check_database(env.settings.db_path)
    assert check.integrity == ["ok"] and check.foreign_keys == 0, check
    assert check.partial == [], check.partial


async def test_a_locked_database_gives_a_clear_busy_message_then_recovers(env: Env):
    # the store waits busy_timeout (5 s) for a lock; a shorter wait keeps the test short
    await bot_pragma(env, "PRAGMA busy_timeout = 300")
    letters_before = set(env.services.catalog.by_id)
    other = sqlite3.connect(env.settings.db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        rec = await env.run("letter add", {"file": upload("Vergrendeld")}, user=env.admin)
        msg = answer_of(rec)
        assert msg.flags & EPHEMERAL
        assert "busy" in text_of(msg) and "try again" in text_of(msg)
        rec = await env.run("digest set", {"channel": env.channel, "time": "09:00"}, user=env.admin)
        assert "busy" in text_of(answer_of(rec))
        # readers are not blocked (WAL): answers still come
        rec = await env.run("quote", {"text": "coördinatie van de aanpak van mensenhandel"})
        assert "**" in text_of(answer_of(rec))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert set(env.services.catalog.by_id) == letters_before
    assert_database_sound(env)
    rec = await env.run("letter add", {"file": upload("Vergrendeld")}, user=env.admin)
    assert "Added" in text_of(answer_of(rec))
    assert len(env.services.catalog.by_id) == len(letters_before) + 1
    assert env.bot.is_ready() and not env.bot.is_closed()
    env.server.assert_no_protocol_errors()


async def test_a_full_disk_gives_a_clear_message_corrupts_nothing_and_recovers(env: Env):
    pages = await bot_pragma(env, "PRAGMA page_count")
    assert pages
    await bot_pragma(env, "PRAGMA wal_checkpoint(TRUNCATE)")
    await bot_pragma(env, f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL on growth
    letters_before = set(env.services.catalog.by_id)
    subject = "Opvang van kinderen na een volle schijf"
    rec = await env.run("letter add", {"file": upload(subject)}, user=env.admin)
    msg = answer_of(rec)
    assert msg.flags & EPHEMERAL
    assert "storage is full" in text_of(msg) and "nothing was saved" in text_of(msg)
    assert set(env.services.catalog.by_id) == letters_before
    assert_database_sound(env)
    # the operator frees space: the same upload now works, completely
    await bot_pragma(env, f"PRAGMA max_page_count = {NO_LIMIT}")
    rec = await env.run("letter add", {"file": upload(subject)}, user=env.admin)
    assert "Added" in text_of(answer_of(rec))
    (new_id,) = set(env.services.catalog.by_id) - letters_before
    rec = await env.run("quote", {"text": "financiering van deze plaatsen garanderen"})
    assert f"letter {env.services.catalog.ref(new_id)}, p. " in text_of(answer_of(rec))
    rec = await env.run(
        "digest set", {"channel": env.channel, "time": "09:00"}, user=new_member(env, manager=True)
    )
    assert "Digest set" in text_of(answer_of(rec))
    assert_database_sound(env)
    env.server.assert_no_protocol_errors()


def failed_in(records, function: str) -> bool:
    """Whether a logged command failure passed through ``function``."""
    for r in records:
        tb = r.exc_info[2] if r.exc_info else None
        while tb is not None:
            if tb.tb_frame.f_code.co_name == function:
                return True
            tb = tb.tb_next
    return False


async def test_disk_full_while_derived_data_is_written_leaves_no_half_added_letter(
    env: Env, caplog
):
    """The letter's own transaction fits, the derived data after it (vectors, topics) does
    not: the letter is removed again, the user is told nothing was saved, and adding it once
    space is free gives a fully usable letter."""
    await bot_pragma(env, "PRAGMA wal_checkpoint(TRUNCATE)")
    pages = await bot_pragma(env, "PRAGMA page_count")
    subject = "Toezicht op jeugdzorg bij een bijna volle schijf"
    data = upload(subject)
    before = set(env.services.catalog.by_id)
    for spare in range(1, 40):
        await bot_pragma(env, f"PRAGMA max_page_count = {pages + spare}")
        caplog.clear()
        rec = await env.run("letter add", {"file": data}, user=new_member(env, manager=True))
        text = text_of(answer_of(rec))
        assert_database_sound(env)
        if "Added" in text:
            break
        assert "storage is full" in text, text
        assert set(env.services.catalog.by_id) == before  # nothing half added ...
        with sql(env.settings.db_path) as conn:  # ... nor on disk
            stored = conn.execute("SELECT count(*) FROM letters").fetchone()[0]
        assert stored == len(before)
        if failed_in(caplog.records, "on_letter_added"):
            break  # the case this test is about: derived data did not fit
    else:
        raise AssertionError("the letter never fitted")
    assert failed_in(caplog.records, "on_letter_added"), "the derived data always fitted"
    await bot_pragma(env, f"PRAGMA max_page_count = {NO_LIMIT}")
    rec = await env.run("letter add", {"file": data}, user=new_member(env, manager=True))
    assert "Added" in text_of(answer_of(rec))
    (new_id,) = set(env.services.catalog.by_id) - before
    with sql(env.settings.db_path) as conn:
        kinds = {
            r[0] for r in conn.execute("SELECT kind FROM derived WHERE letter_id = ?", (new_id,))
        }
        vectors = conn.execute(
            "SELECT count(*) FROM sentence_vectors WHERE letter_id = ?", (new_id,)
        ).fetchone()[0]
    assert kinds == {"recommendations", "vectors"}
    assert vectors == env.services.catalog.by_id[new_id].sentence_count
    rec = await env.run("ask", {"question": "Wat vraagt de inspectie over de financiering?"})
    assert f"letter {env.services.catalog.ref(new_id)}, p. " in text_of(answer_of(rec))
    assert_database_sound(env)


# ---------------------------------------------------------------- background work


@pytest.fixture(name="denv")
async def denv_fixture(tmp_path):
    clock = ManualClock(datetime(2026, 11, 27, 7, 0, tzinfo=UTC))  # 08:00 in Amsterdam
    async for e in start_env(tmp_path, clock=clock):
        e.clock = clock  # type: ignore[attr-defined]
        yield e


def digest_messages(env: Env) -> list:
    return [
        m
        for m in env.server.messages(env.channel, from_bot=True)
        if any("digest " in ((e.get("footer") or {}).get("text") or "") for e in m.embeds)
    ]


async def test_a_digest_due_while_the_database_is_locked_goes_out_once_afterwards(denv: Env):
    env = denv
    rec = await env.run("digest set", {"channel": env.channel, "time": "09:00"}, user=env.admin)
    assert "Digest set" in text_of(answer_of(rec))
    await bot_pragma(env, "PRAGMA busy_timeout = 200")
    other = sqlite3.connect(env.settings.db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        await env.clock.advance(timedelta(hours=1))  # due now, but nothing can be written
        await asyncio.sleep(1.0)  # the scheduler tries (and fails) meanwhile
        assert digest_messages(env) == []
    finally:
        other.execute("ROLLBACK")
        other.close()
    for _ in range(5):  # it retries on its own once the lock is gone
        await env.clock.advance(timedelta(minutes=1))
        await asyncio.sleep(0)
        await env.server.settle(0.1, timeout=30)
        await asyncio.wait_for(env.services.scheduler.idle("digests").wait(), 30)
        if digest_messages(env):
            break
    await env.server.settle(0.3, timeout=30)
    assert len(digest_messages(env)) == 1
    with sql(env.settings.db_path) as conn:
        assert [r[0] for r in conn.execute("SELECT status FROM deliveries")] == ["sent"]
    assert env.services.scheduler.running("digests")  # the scheduler survived
    assert_database_sound(env)
