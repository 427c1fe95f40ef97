"""Backup never writes onto the database's own files; restore keeps what it replaced out of
``git status``."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import open_store
from bot.store.sqlite.backup import BackupError, backup_database, restore_database
from tests.cli.invoke import run

REPO = Path(__file__).resolve().parents[2]


def _database(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "x.db"

    async def make() -> None:
        async with open_store(db) as store:
            await store.meta.set("probe", "1")

    asyncio.run(make())
    return db


def _sound(db: Path) -> None:
    with closing(sqlite3.connect(db)) as conn:  # a new connection, as the bot's next start
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT value FROM meta WHERE key = 'probe'").fetchone()[0] == "1"


def test_backup_never_overwrites_the_database_or_its_side_files(tmp_path: Path):
    db = _database(tmp_path)
    holder = sqlite3.connect(db)  # another process has it open: -wal and -shm exist
    try:
        holder.execute("PRAGMA journal_mode = WAL")
        holder.execute("UPDATE meta SET value = '1' WHERE key = 'probe'")
        assert Path(f"{db}-wal").exists() and Path(f"{db}-shm").exists()
        folder_link = tmp_path / "link-to-data"
        folder_link.symlink_to(db.parent)
        file_link = tmp_path / "backup.db"
        file_link.symlink_to(f"{db}-wal")
        hard = tmp_path / "hard.db"
        os.link(db, hard)
        targets = [
            db,
            Path(f"{db}-wal"),
            Path(f"{db}-shm"),
            Path(f"{db}-journal"),  # not there now; SQLite creates it in rollback mode
            db.parent / ".." / "data" / "x.db-wal",  # another spelling
            folder_link / "x.db-wal",  # through a symlinked folder
            file_link,  # a symlink to the -wal
            hard,  # a hard link to the database
        ]
        for target in targets:
            with pytest.raises(BackupError, match="the database or one of its own files"):
                backup_database(db, target, overwrite=True)
        _sound(db)
        # the same through the command line, --force or not
        for force in ([], ["--force"]):
            code, report = _cli(["--db", str(db), "backup", f"{db}-wal", *force, "--json"])
            assert code == 1 and "its own files" in report["error"]
        _sound(db)
        # a real backup next to it still works
        info = backup_database(db, tmp_path / "kopie.db")
        assert info.integrity == "ok"
    finally:
        holder.close()
    _sound(db)


def _cli(argv: list[str]) -> tuple[int, dict]:
    import io
    import json
    from contextlib import redirect_stdout

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(argv)
    return code, json.loads(buffer.getvalue())


def test_restore_keeps_the_replaced_database_in_a_folder_git_ignores(tmp_path: Path, capsys):
    db = _database(tmp_path)
    backup = tmp_path / "backup.db"
    backup_database(db, backup)
    code, report = run(capsys, "--db", str(db), "restore", str(backup), "--json")
    assert code == 0
    kept = Path(report["replaced"])
    assert kept.parent == db.parent / "replaced" and kept.name.startswith("x.db.")
    assert not list(db.parent.glob("*.replaced-*"))  # nothing new next to the database
    _sound(kept)
    # where the default database lives, that folder is ignored by git
    if shutil.which("git") and (REPO / ".git").exists():
        probe = f"data/replaced/briefbot.sqlite3.{kept.name.split('.', 2)[2]}"
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", "--no-index", probe], cwd=REPO, check=False
        )
        assert ignored.returncode == 0, f"{probe} would show in git status"
    # and restore says where it is
    code = main(["--db", str(db), "restore", str(backup)])
    assert code == 0
    assert "replaced" in capsys.readouterr().out


def test_restore_refuses_a_side_file_of_the_database_as_the_backup(tmp_path: Path):
    db = tmp_path / "y.db"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(BackupError):
        restore_database(db, db)
