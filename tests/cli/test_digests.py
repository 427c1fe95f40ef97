"""``briefbot digest list|preview|send-now``: contracts, preview changes nothing, and send-now
through the protocol-level Discord test server (exactly one digest per due date; an extra does
not disturb the schedule)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.chat.digests.sender import DiscordSender
from bot.cli import main
from bot.services.app import Services
from bot.services.clock import ManualClock
from bot.settings import Settings, get_settings
from tests.cli.invoke import run
from tests.discord_server import DiscordTestServer, patch_discord
from tests.letters import HandmadeLetter
from tests.subscriptions import digest_service, pause

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
CITED = {"text", "letter", "page", "sentence"}
GUILD = 7001
CHANNEL = 7002
MEMBER = 7003
NEW_SUBJECT = "Opvang van minderjarige slachtoffers"


def dump(db: str | Path) -> dict[str, list[str]]:
    """Every row of every table."""
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{n}"')) for n in names}


def log_rows(db: str | Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT subscription_id, due_date, status, message_id FROM deliveries"
            " ORDER BY subscription_id, due_date"
        ).fetchall()


def settings(db: str | Path) -> Settings:
    return Settings(BRIEFBOT_DB=Path(db), BRIEFBOT_LETTERS_DIR=BUNDLED)


async def _populate(db: Path, *, guild: int, channel: int, member: int, **when) -> dict:
    """The bundled letter, a channel digest (topic: mensenhandel), a weekly personal digest,
    then a letter private to the server: new for the channel digest only."""
    app = await Services.open(settings(db))
    try:
        service = app.digests
        chan = await service.subscribe(
            kind="channel", user_id=member, guild_id=guild, channel_id=channel,
            language="en", **when,
        )  # fmt: skip
        dm = await service.subscribe(
            kind="user", user_id=member, guild_id=None, frequency="weekly", **when
        )
        letter = HandmadeLetter(subject=NEW_SUBJECT)
        record, _, _ = await app.letters.add_upload(
            letter.text().encode(), filename="nieuw.txt", guild_id=guild
        )
        return {"channel": chan.id, "dm": dm.id, "letter": record.ref}  # s1: its own
    finally:
        await app.close()


@pytest.fixture
def world(tmp_path) -> dict:
    db = tmp_path / "digests.sqlite3"
    ids = asyncio.run(
        _populate(
            db, guild=GUILD, channel=CHANNEL, member=MEMBER, time_text="09:00",
            timezone="Europe/Amsterdam",
        )
    )  # fmt: skip
    return {"db": str(db), **ids}


# ------------------------------------------------------------------------------------- list


def test_list_contract_with_json_before_or_after_the_command(capsys, world):
    db = world["db"]
    code, data = run(capsys, "--db", db, "digest", "list", "--json")
    assert code == 0
    assert (code, data) == run(capsys, "--json", "digest", "list", "--db", db)
    assert (code, data) == run(capsys, "digest", "--json", "list", "--db", db)
    subs = {s["id"]: s for s in data["subscriptions"]}
    assert set(subs) == {world["channel"], world["dm"]}
    chan, dm = subs[world["channel"]], subs[world["dm"]]
    assert set(chan) == {
        "id", "kind", "target", "channel_id", "user_id", "guild_id", "time", "timezone",
        "frequency", "weekday", "topics", "language", "skip_empty", "next_due_date",
        "next_due_local", "next_due_utc", "paused_reason", "last_delivery",
    }  # fmt: skip
    assert chan["kind"] == "channel" and chan["target"] == CHANNEL and chan["guild_id"] == GUILD
    assert chan["topics"] == [] and chan["language"] == "en" and chan["weekday"] is None
    assert dm["kind"] == "user" and dm["target"] == MEMBER and dm["guild_id"] is None
    assert dm["frequency"] == "weekly" and dm["weekday"] in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    )  # fmt: skip
    for s in (chan, dm):
        assert s["time"] == "09:00" and s["timezone"] == "Europe/Amsterdam"
        local = datetime.fromisoformat(s["next_due_local"])
        utc = datetime.fromisoformat(s["next_due_utc"])
        assert local == utc and utc.utcoffset() == timedelta(0)
        assert local.utcoffset() == local.astimezone(ZoneInfo("Europe/Amsterdam")).utcoffset()
        assert local.strftime("%H:%M") == "09:00"
        assert local.date().isoformat() == s["next_due_date"]
        assert utc > datetime.now(UTC) - timedelta(minutes=1)
        assert s["paused_reason"] is None and s["last_delivery"] is None and not s["skip_empty"]


def test_list_text_and_empty(capsys, world, tmp_path):
    assert main(["--db", world["db"], "digest", "list"]) == 0
    text = capsys.readouterr().out
    assert f"channel {CHANNEL}" in text and f"user {MEMBER}" in text and "never" in text
    empty = str(tmp_path / "empty.sqlite3")
    assert run(capsys, "--db", empty, "digest", "list", "--json") == (0, {"subscriptions": []})


# ------------------------------------------------------------------------------- add, remove


def test_add_then_preview_without_discord(capsys, tmp_path):
    """An operator tries a digest without Discord: add one, preview its first digest (which
    introduces the letters), list it, remove it."""
    db = str(tmp_path / "add.sqlite3")
    code, data = run(
        capsys, "--db", db, "digest", "add", "--channel", "9001", "--guild", "9002",
        "--time", "07:30", "--timezone", "Europe/Brussels", "--topics", "kinderporno",
        "--language", "en", "--frequency", "weekdays", "--skip-empty", "--json",
    )  # fmt: skip
    assert code == 0 and data["replaced"] is False
    sub = data["subscription"]
    assert (sub["kind"], sub["channel_id"], sub["guild_id"]) == ("channel", 9001, 9002)
    assert (sub["time"], sub["timezone"], sub["frequency"]) == (
        "07:30",
        "Europe/Brussels",
        "weekdays",
    )
    assert sub["topics"] == ["kinderpornografie"] and sub["language"] == "en" and sub["skip_empty"]
    assert sub["user_id"] == 0  # set up here: nobody to tell by DM when it pauses
    code, listed = run(capsys, "--db", db, "digest", "list", "--json")
    assert [s["id"] for s in listed["subscriptions"]] == [sub["id"]]

    code, preview = run(capsys, "--db", db, "digest", "preview", str(sub["id"]), "--json")
    assert code == 0 and preview["empty"] is False and preview["new_letters"] == []
    (intro,) = preview["introduction"]  # the first digest introduces the letter on its topic
    assert intro["actions"] and all("kinderporn" in a["text"] for a in intro["actions"])

    code, again = run(
        capsys, "--db", db, "digest", "add", "--channel", "9001", "--guild", "9002",
        "--time", "08:00", "--json",
    )  # fmt: skip
    assert code == 0 and again["replaced"] is True and again["subscription"]["id"] == sub["id"]
    assert again["subscription"]["time"] == "08:00"

    assert main(["--db", db, "digest", "remove", str(sub["id"])]) == 0
    assert f"removed digest {sub['id']}" in capsys.readouterr().out
    assert run(capsys, "--db", db, "digest", "list", "--json") == (0, {"subscriptions": []})
    code, gone = run(capsys, "--db", db, "digest", "remove", str(sub["id"]), "--json")
    assert code == 1 and str(sub["id"]) in gone["error"]


def test_add_a_personal_digest_and_refusals(capsys, tmp_path):
    db = str(tmp_path / "add.sqlite3")
    code, data = run(capsys, "--db", db, "digest", "add", "--user", "4242", "--json")
    assert code == 0
    sub = data["subscription"]
    assert (sub["kind"], sub["user_id"], sub["time"]) == ("user", 4242, "09:00")
    # a channel digest names its server; a bad time or zone is one line, exit 1
    code, err = run(capsys, "--db", db, "digest", "add", "--channel", "1", "--json")
    assert code == 1 and "--guild" in err["error"]
    code, err = run(capsys, "--db", db, "digest", "add", "--user", "1", "--time", "9 uur", "--json")
    assert code == 1 and "is not a time; use HH:MM" in err["error"]
    # another server's channel is not taken over
    run(capsys, "--db", db, "digest", "add", "--channel", "77", "--guild", "1", "--json")
    code, err = run(
        capsys, "--db", db, "digest", "add", "--channel", "77", "--guild", "2", "--json"
    )
    assert code == 1 and "already has a digest of another server" in err["error"]
    code, err = run(capsys, "--db", db, "digest", "add", "--json")
    assert code == 2 and "--channel" in err["error"]


# ---------------------------------------------------------------------------------- preview


def _assert_cited(item: dict, db: str) -> None:
    """A cited sentence is really that sentence of that letter, on that page."""
    assert set(item) >= CITED
    ref = item["letter"]  # 3: a letter visible everywhere; "s3": the server's own (one here)
    scope = "l.guild_id IS NULL" if isinstance(ref, int) else "l.guild_id IS NOT NULL"
    number = ref if isinstance(ref, int) else int(ref.removeprefix("s"))
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT s.text, s.page FROM sentences AS s JOIN letters AS l ON l.id = s.letter_id"
            f" WHERE {scope} AND l.number = ? AND s.number = ?",
            (number, item["sentence"]),
        ).fetchone()
    assert row is not None and row == (item["text"], item["page"]), item


def test_preview_contract_citations_and_nothing_changes(capsys, world):
    db = world["db"]
    before = dump(db)
    code, data = run(capsys, "--db", db, "digest", "preview", str(world["channel"]), "--json")
    assert code == 0
    assert set(data) == {
        "subscription", "due_date", "empty", "language", "topics", "new_letters",
        "introduction", "pick",
    }  # fmt: skip
    assert data["introduction"] == []  # something is new: no introduction
    assert data["subscription"] == world["channel"] and data["empty"] is False
    assert data["pick"] is None  # news leads; no recommendation of the day
    (new,) = data["new_letters"]  # the private letter; its server's digest shows it
    assert new["letter"] == world["letter"] and NEW_SUBJECT in new["title"]
    assert len(new["summary"]) == 3 and new["actions"]
    for s in new["summary"]:
        assert set(s) == CITED and s["letter"] == world["letter"]
        _assert_cited(s, db)
    for a in new["actions"]:
        assert set(a) == CITED | {"kind"}
        assert a["kind"] in {"request", "plea", "advice", "requirement", "concern"}
        _assert_cited(a, db)
    with sqlite3.connect(db) as conn:
        due = conn.execute(
            "SELECT next_due_date FROM subscriptions WHERE id = ?", (world["channel"],)
        ).fetchone()[0]
    assert data["due_date"] == due

    code, dm = run(capsys, "--db", db, "digest", "preview", str(world["dm"]), "--json")
    assert code == 0 and dm["new_letters"] == []  # private: not for DMs
    # the DM digest's first: it introduces the letters it can see (not the private one)
    assert dm["empty"] is False and dm["pick"] is None
    (intro,) = dm["introduction"]
    assert intro["letter"] != world["letter"] and intro["actions"]
    for a in intro["actions"]:
        assert set(a) == CITED | {"kind"}
        _assert_cited(a, db)
    # nothing remembered: the same pick again, and not one row changed anywhere
    assert run(capsys, "--db", db, "digest", "preview", str(world["dm"]), "--json")[1] == dm
    assert main(["--db", db, "digest", "preview", str(world["channel"])]) == 0
    text = capsys.readouterr().out
    assert NEW_SUBJECT in text and f"(letter {world['letter']}, p." in text
    assert dump(db) == before


def test_preview_unknown_subscription(capsys, world):
    code, data = run(capsys, "--db", world["db"], "digest", "preview", "999", "--json")
    assert code == 1 and "999" in data["error"]
    # a usage error: one line (a JSON object with --json), exit 2, no usage dump
    assert main(["--db", world["db"], "digest", "preview", "abc"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SUB_ID" in err and "briefbot digest preview --help" in err
    code, data = run(capsys, "--json", "--db", world["db"], "digest", "preview", "abc")
    assert code == 2 and "SUB_ID" in data["error"]


# --------------------------------------------------------------------------------- send-now


@pytest.fixture
def token(monkeypatch):
    def use(value: str) -> None:
        monkeypatch.setenv("DISCORD_TOKEN", value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_send_now_needs_a_token(capsys, world, token):
    token("")
    before = dump(world["db"])
    assert main(["--db", world["db"], "digest", "send-now", str(world["channel"])]) == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err
    assert dump(world["db"]) == before


def midday_zone(now: datetime) -> tuple[str, datetime]:
    """A fixed-offset zone where it is now between 08:00 and 16:00, and the local time."""
    for hours in range(-12, 15):
        name = f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"  # Etc/GMT-2 is UTC+2
        local = now.astimezone(ZoneInfo(name))
        if 8 <= local.hour < 16:
            return name, local
    raise AssertionError("some offset puts now at midday")


def digests_in(server: DiscordTestServer, where) -> list[str]:
    return [
        m.embeds[0]["footer"]["text"]
        for m in server.messages(where, from_bot=True)
        if m.embeds and "digest " in (m.embeds[0].get("footer") or {}).get("text", "")
    ]


async def cli(capsys, *argv: str) -> tuple[int, dict]:
    """``main`` runs its own event loop: in a thread, while the test server runs in ours."""
    code = await asyncio.to_thread(main, list(argv))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return code, json.loads(lines[0])


async def test_send_now_counts_as_today_then_extra_and_the_schedule_holds(capsys, tmp_path, token):
    zone, local = midday_zone(datetime.now(UTC))
    at = (local + timedelta(hours=2)).strftime("%H:%M")  # due later today, local time
    today = local.date()
    db = tmp_path / "send.sqlite3"
    async with DiscordTestServer() as server:  # accepts "test-token"
        guild = server.add_guild("Beleid")
        channel = server.add_channel(guild, "brieven")
        member = server.add_user("lid")
        server.add_member(guild, member)
        ids = await _populate(
            db, guild=guild.id, channel=channel.id, member=member.id, time_text=at, timezone=zone
        )
        sid = ids["channel"]
        token("test-token")
        with patch_discord(server):
            # 1. today's digest has not gone out: this IS today's digest
            code, data = await cli(
                capsys, "--db", str(db), "digest", "send-now", str(sid), "--json"
            )
            assert code == 0, data
            assert data["counted_as"] == "scheduled" and data["extra"] == 0
            assert data["due_date"] == today.isoformat() and data["target"] == channel.id
            await server.settle(0.05)
            assert digests_in(server, channel) == [f"briefbot · digest {sid}/{today}"]
            message_id = server.messages(channel, from_bot=True)[0].id
            assert log_rows(db) == [(sid, today.isoformat(), "sent", message_id)]
            tomorrow = today + timedelta(days=1)
            assert data["next_due_utc"].startswith(tomorrow.isoformat()) or (
                datetime.fromisoformat(data["next_due_utc"]).astimezone(ZoneInfo(zone)).date()
                == tomorrow
            )
            # 2. again: today's went out, so this is an extra; the schedule stays
            code, extra = await cli(
                capsys, "--db", str(db), "digest", "send-now", str(sid), "--json"
            )
            assert code == 0 and extra["counted_as"] == "extra" and extra["extra"] == 1
            assert extra["next_due_utc"] == data["next_due_utc"]
            await server.settle(0.05)
            assert digests_in(server, channel)[1:] == [f"briefbot · digest {sid}/{today}#1"]
            assert [r[:3] for r in log_rows(db)] == [
                (sid, today.isoformat(), "sent"),
                (sid, f"{today}#1", "sent"),
            ]
            code, listed = await cli(capsys, "--db", str(db), "digest", "list", "--json")
            (row,) = [s for s in listed["subscriptions"] if s["id"] == sid]
            assert row["last_delivery"]["extra"] == 1 and row["last_delivery"]["status"] == "sent"

            # 3. the scheduler: nothing more today, tomorrow's digest as usual
            app = await Services.open(settings(db), seed=False)
            client = discord.Client(intents=discord.Intents.none())
            try:
                await client.login("test-token")
                sender = DiscordSender(client)  # type: ignore[arg-type]
                due_today = datetime.combine(today, local.time()).replace(tzinfo=ZoneInfo(zone))
                due_today += timedelta(hours=2, seconds=1)
                clock = ManualClock(due_today)
                await digest_service(app, clock=clock).run_due(sender)
                await server.settle(0.05)
                assert len(digests_in(server, channel)) == 2
                await clock.advance(timedelta(days=1))
                await digest_service(app, clock=clock).run_due(sender)
                await server.settle(0.05)
                assert digests_in(server, channel)[2:] == [f"briefbot · digest {sid}/{tomorrow}"]
            finally:
                await client.close()
                await app.close()
            assert [r[:3] for r in log_rows(db) if r[0] == sid] == [
                (sid, today.isoformat(), "sent"),
                (sid, f"{today}#1", "sent"),
                (sid, tomorrow.isoformat(), "sent"),
            ]

            # 4. the weekly personal digest was due today too: the scheduler sent it to the
            # member's DMs; sending it now is an extra
            assert digests_in(server, member) == [f"briefbot · digest {ids['dm']}/{today}"]
            code, dm = await cli(
                capsys, "--db", str(db), "digest", "send-now", str(ids["dm"]), "--json"
            )
            assert code == 0 and dm["target"] == member.id and dm["counted_as"] == "extra"
            await server.settle(0.05)
            assert digests_in(server, member)[1:] == [f"briefbot · digest {ids['dm']}/{today}#1"]
        assert server.unhandled == [] and server.internal_errors == []


async def test_send_now_refusals(capsys, tmp_path, token):
    db = tmp_path / "refuse.sqlite3"
    async with DiscordTestServer() as server:
        guild = server.add_guild("Beleid")
        channel = server.add_channel(guild, "brieven")
        member = server.add_user("lid")
        ids = await _populate(
            db, guild=guild.id, channel=channel.id, member=member.id, time_text="09:00"
        )
        with patch_discord(server):
            token("not-the-token")
            code = await asyncio.to_thread(
                main, ["--db", str(db), "digest", "send-now", str(ids["channel"])]
            )
            assert code == 2 and "rejected the token" in capsys.readouterr().err
            token("test-token")
            code, data = await cli(capsys, "--db", str(db), "digest", "send-now", "999", "--json")
            assert code == 1 and "999" in data["error"]
            app = await Services.open(settings(db), seed=False)
            try:
                await pause(
                    app.store, ids["channel"], "the channel was deleted", now=datetime.now(UTC)
                )
            finally:
                await app.close()
            before = dump(db)
            code, data = await cli(
                capsys, "--db", str(db), "digest", "send-now", str(ids["channel"]), "--json"
            )
            assert code == 1 and "paused" in data["error"]
            assert dump(db) == before
            # Discord refuses the post: exit 1, logged as failed, schedule and state untouched
            server.block_dms(member)
            with sqlite3.connect(db) as conn:
                schedule = conn.execute(
                    "SELECT next_due, next_due_date, paused_reason FROM subscriptions WHERE id = ?",
                    (ids["dm"],),
                ).fetchone()
            code, data = await cli(
                capsys, "--db", str(db), "digest", "send-now", str(ids["dm"]), "--json"
            )
            assert code == 1 and "direct messages" in data["error"]
            with sqlite3.connect(db) as conn:
                assert (
                    schedule
                    == conn.execute(
                        "SELECT next_due, next_due_date, paused_reason FROM subscriptions"
                        " WHERE id = ?",
                        (ids["dm"],),
                    ).fetchone()
                )
            assert [r[2] for r in log_rows(db) if r[0] == ids["dm"]] == ["failed"]
        assert digests_in(server, channel) == [] and digests_in(server, member) == []
