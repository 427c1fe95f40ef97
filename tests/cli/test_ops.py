"""``briefbot check``, ``backup`` and ``restore``: JSON contracts, exit codes, and backup and
restore around a running bot."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.services.app import Services
from bot.services.clock import ManualClock
from bot.settings import get_settings
from bot.store.sqlite import LATEST_SCHEMA_VERSION
from tests.chat.conftest import bot_on, make_settings, populate
from tests.cli.invoke import run
from tests.discord_server import DiscordTestServer
from tests.hardening.killer import check_database, sql, write_batch
from tests.letters import HandmadeLetter
from tests.subscriptions import pause

CHECK_KEYS = {
    "database", "integrity", "schema_version", "letters", "sentences", "subscriptions",
    "last_digest", "vectors", "token_set", "ok",
}  # fmt: skip
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "ops.sqlite3")


def letter_ids(path: str | Path) -> set[int]:
    with sql(path) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM letters")}


class RecordingSender:
    """Discord's side of a digest delivery: takes every message."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, sub, digest) -> int:
        self.sent.append(digest.marker)
        return 1000 + len(self.sent)

    async def find_sent(self, sub, digest) -> int | None:
        return None

    async def notify_paused(self, sub, reason: str) -> None:
        return None

    async def check_membership(self, sub) -> None:
        return None


# ---------------------------------------------------------------- check


def test_check_reports_counts_with_stable_keys(capsys, db, tmp_path):
    main(["--db", db, "letters", "--json"])  # creates the database with the bundled letter
    capsys.readouterr()
    code, report = run(capsys, "--db", db, "check", "--json")
    assert code == 0
    assert set(report) == CHECK_KEYS
    assert report["ok"] is True and report["integrity"] == ["ok"]
    assert report["schema_version"] == LATEST_SCHEMA_VERSION
    assert report["letters"] == 1 and report["sentences"] > 40
    assert report["subscriptions"] == {"active": 0, "paused": 0}
    assert report["last_digest"] is None
    assert isinstance(report["token_set"], bool)
    vectors = report["vectors"]  # the bundled letter is seeded with its vectors
    assert vectors["pending_sentences"] == 0 and vectors["complete"] is True
    assert vectors["with_vectors"] == vectors["sentences"] == report["sentences"]

    start = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)

    async def digests() -> None:
        settings = make_settings(tmp_path, BRIEFBOT_DB=Path(db))
        clock = ManualClock(start)
        async with await Services.open(settings, clock=clock) as app:
            service = app.digests
            for channel in (11, 12, 13):
                await service.subscribe(
                    kind="channel", user_id=5, guild_id=7, channel_id=channel, time_text="09:00"
                )
            subs = await app.store.digests.list()
            await pause(app.store, subs[0].id, "the channel was deleted", now=start)
            await clock.advance(timedelta(hours=1))
            await service.run_due(RecordingSender())

    asyncio.run(digests())
    code, report = run(capsys, "--db", db, "check", "--json")
    assert code == 0 and set(report) == CHECK_KEYS
    assert report["subscriptions"] == {"active": 2, "paused": 1}
    last = report["last_digest"]
    assert set(last) == {"subscription", "due_date", "sent_at"}
    assert last["due_date"] == "2026-11-27" and last["subscription"] in (2, 3)
    with sql(db) as conn:
        sentences = conn.execute("SELECT sum(sentence_count) FROM letters").fetchone()[0]
    assert report["sentences"] == sentences


def test_check_prints_for_a_person(capsys, db, monkeypatch, tmp_path):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    get_settings.cache_clear()
    try:
        main(["--db", db, "letters", "--json"])
        capsys.readouterr()
        assert main(["--db", db, "check"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    lines = {line.split(None, 1)[0]: line.split(None, 1)[1] for line in out.splitlines()}
    assert lines["integrity"] == "ok"
    assert lines["letters"].startswith("1 letter, ")  # "1 letter", not "1 letters"
    assert lines["digests"] == "0 active, 0 paused"
    assert lines["token"].startswith("not set")
    assert lines["status"] == "ok"
    assert "last digest   none sent yet" in out
    for repr_mark in ("['", "{'", "None", "True", "False"):  # no Python reprs
        assert repr_mark not in out


def test_check_quiet_is_an_exit_code_only(capsys, db, tmp_path):
    main(["--db", db, "letters", "--json"])
    capsys.readouterr()
    assert main(["--db", db, "check", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    missing = str(tmp_path / "missing.sqlite3")
    assert main(["--db", missing, "check", "--quiet"]) == 1
    assert not Path(missing).exists()  # a health check never creates a database
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    assert main(["--db", str(garbage), "check", "--quiet"]) == 1
    assert capsys.readouterr().out == ""


def test_check_finds_a_damaged_database(capsys, db):
    main(["--db", db, "letters", "--json"])
    capsys.readouterr()
    with sql(db) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'sentences_section'"
        ).fetchone()[0]
    with Path(db).open("r+b") as f:  # scribble over one index page
        f.seek((root - 1) * page_size + 8)
        f.write(b"\xff" * 64)
    code, report = run(capsys, "--db", db, "check", "--json")
    assert code == 1 and report["ok"] is False
    assert report.get("integrity") != ["ok"] or "error" in report


def test_check_refuses_a_database_from_a_newer_briefbot(capsys, db):
    main(["--db", db, "letters", "--json"])
    capsys.readouterr()
    with sql(db) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_SCHEMA_VERSION + 1}")
    code, report = run(capsys, "--db", db, "check", "--json")
    assert code == 1 and report["ok"] is False
    assert "upgrade briefbot" in report["error"]


# ---------------------------------------------------------------- backup and restore


def test_backup_and_restore_contracts(capsys, db, tmp_path):
    main(["--db", db, "letters", "--json"])
    capsys.readouterr()
    backup = tmp_path / "backup.sqlite3"
    code, made = run(capsys, "--db", db, "backup", str(backup), "--json")
    assert code == 0
    assert set(made) == {"backup", "bytes", "schema_version", "letters", "integrity"}
    assert made["letters"] == 1 and made["integrity"] == "ok" and made["bytes"] > 0
    assert not Path(f"{backup}-wal").exists()  # one self-contained file
    code, again = run(capsys, "--db", db, "backup", str(backup), "--json")
    assert code == 1 and "already exists" in again["error"]
    code, _ = run(capsys, "--db", db, "backup", str(backup), "--force", "--json")
    assert code == 0

    # the live database gets a letter the backup does not have; restore brings it back
    letter = tmp_path / "later.txt"
    letter.write_text(HandmadeLetter().text(), encoding="utf-8")
    main(["--db", db, "ingest", str(letter), "--json"])
    capsys.readouterr()
    assert len(letter_ids(db)) == 2
    code, restored = run(capsys, "--db", db, "restore", str(backup), "--json")
    assert code == 0
    assert set(restored) == {"restored", "from", "replaced", "schema_version", "letters"}
    assert restored["letters"] == 1 and len(letter_ids(db)) == 1
    kept = Path(restored["replaced"])
    assert kept.exists() and len(letter_ids(kept)) == 2  # the replaced database is kept whole
    code, report = run(capsys, "--db", db, "check", "--json")
    assert code == 0 and report["letters"] == 1

    fresh = tmp_path / "new" / "fresh.sqlite3"
    code, restored = run(capsys, "--db", str(fresh), "restore", str(backup), "--json")
    assert code == 0 and restored["replaced"] is None and len(letter_ids(fresh)) == 1


def test_restore_refuses_bad_backups_and_changes_nothing(capsys, db, tmp_path):
    main(["--db", db, "letters", "--json"])
    capsys.readouterr()
    before = Path(db).read_bytes()
    cases = {}
    missing = tmp_path / "missing.sqlite3"
    cases["does not exist"] = missing
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    cases["not a readable SQLite database"] = garbage
    other = tmp_path / "other.sqlite3"
    with sql(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    cases["not a briefbot database"] = other
    newer = tmp_path / "newer.sqlite3"
    main(["--db", db, "backup", str(newer), "--json"])
    capsys.readouterr()
    with sql(newer) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_SCHEMA_VERSION + 1}")
    cases["upgrade briefbot"] = newer
    for expected, path in cases.items():
        code, report = run(capsys, "--db", db, "restore", str(path), "--json")
        assert code == 1 and expected in report["error"], (expected, report)
    assert Path(db).read_bytes() == before
    assert not missing.exists()
    assert [p.name for p in tmp_path.iterdir() if ".replaced-" in p.name] == []


def test_restore_over_a_crashed_database_keeps_its_wal_in_the_replaced_copy(capsys, db, tmp_path):
    main(["--db", db, "letters", "--json"])
    backup = tmp_path / "backup.sqlite3"
    main(["--db", db, "backup", str(backup), "--json"])
    capsys.readouterr()
    # a process writes a letter and dies without closing: the letter is only in the -wal
    script = (
        "import sqlite3, os, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode = WAL')\n"
        "c.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "c.execute(\"UPDATE letters SET title = 'in the wal only'\")\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, db], check=True, timeout=60)
    assert Path(f"{db}-wal").stat().st_size > 0
    code, restored = run(capsys, "--db", db, "restore", str(backup), "--json")
    assert code == 0
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()
    with sql(db) as conn:  # the new database got no old WAL
        assert conn.execute("SELECT title FROM letters").fetchone()[0] != "in the wal only"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with sql(restored["replaced"]) as conn:  # the old one kept its write
        assert conn.execute("SELECT title FROM letters").fetchone()[0] == "in the wal only"


async def test_backup_while_the_bot_answers_and_writes_then_restore_into_a_fresh_path(tmp_path):
    live = tmp_path / "live.sqlite3"
    backup = tmp_path / "backup.sqlite3"
    fresh = tmp_path / "restored" / "bot.sqlite3"
    folder = tmp_path / "uploads"
    paths = await asyncio.to_thread(write_batch, folder, 1, 80, extra=4)
    settings = make_settings(tmp_path, BRIEFBOT_DB=live)
    async with DiscordTestServer() as server:
        world = populate(server)
        async with bot_on(server, world, settings) as env:
            before = set(env.services.catalog.by_id)
            stop = asyncio.Event()

            written = 0

            async def write() -> None:
                nonlocal written
                for p in paths:
                    if stop.is_set():
                        break
                    data = await asyncio.to_thread(p.read_bytes)
                    await env.services.letters.add_upload(
                        data, filename=p.name, guild_id=env.guild.id
                    )
                    written += 1

            async def ask() -> int:
                n = 0
                while not stop.is_set():
                    asker = server.add_user(f"lezer-{n}")
                    server.add_member(env.guild, asker)
                    rec = await env.run("letters", user=asker)
                    assert rec.followups or rec.message
                    n += 1
                return n

            writer = asyncio.create_task(write())
            reader = asyncio.create_task(ask())
            await asyncio.sleep(0.05)
            written_before = written
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "--db", str(live), "backup", str(backup), "--json",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=REPO,
            )  # fmt: skip
            out, errs = await asyncio.wait_for(proc.communicate(), 120)
            written_during = written - written_before
            stop.set()
            _, asked = await asyncio.gather(writer, reader)
            assert proc.returncode == 0, errs.decode()
            made = json.loads(out)
            assert written_during >= 1 and asked >= 1  # the bot wrote and answered meanwhile
            # a restore while the bot has the database open is refused, and changes nothing
            code = await asyncio.to_thread(main, ["--db", str(live), "restore", str(backup)])
            assert code == 1
            after = set(env.services.catalog.by_id)
    check = await asyncio.to_thread(check_database, backup)
    assert check.integrity == ["ok"] and check.partial == []  # a consistent snapshot
    in_backup = letter_ids(backup)
    assert before <= in_backup <= after and made["letters"] == len(in_backup)
    assert (await asyncio.to_thread(check_database, live)).ok

    code = await asyncio.to_thread(main, ["--db", str(fresh), "restore", str(backup), "--json"])
    assert code == 0
    async with DiscordTestServer() as server:
        world = populate(server)
        settings = make_settings(tmp_path, BRIEFBOT_DB=fresh)
        async with bot_on(server, world, settings) as env:
            assert set(env.services.catalog.by_id) == in_backup
            rec = await env.run("letters", user=env.admin)
            body = " ".join(
                e.get("description") or "" for m in [*rec.followups, rec.message] if m
                for e in m.embeds
            )  # fmt: skip
            assert "mensenhandel" in body.lower()
