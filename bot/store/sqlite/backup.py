"""Online backup and validated restore of briefbot's SQLite database.

``backup_database`` copies a live database through SQLite's backup API, in one step inside one
read transaction: a consistent snapshot even while the bot writes (in WAL mode a reader never
blocks the writer), written to a temporary file, checked, made self-contained (no ``-wal``)
and renamed into place.

``backup_database`` never writes onto the database's own files: the database itself, its
``-wal``, ``-shm`` or ``-journal`` (whatever path spelling, symlink or hard link names them),
``--force`` or not. Overwriting the ``-wal`` of a live database makes every later connection
fail with "file is not a database".

``restore_database`` first validates the backup (it opens, ``PRAGMA integrity_check`` is
``ok``, it is a briefbot database, its schema version is not newer than this code), refuses
while another connection (a running bot) has the target open, keeps the replaced database in
a ``replaced/`` folder next to it (``data/replaced/`` is in ``.gitignore``), and swaps the new
file in with one atomic rename, with no stale ``-wal``/``-shm`` left to be applied to it.

Both are blocking: call them in a worker thread.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.store.sqlite.migrate import LATEST_SCHEMA_VERSION

SIDE_FILES = ("-wal", "-shm", "-journal")
REPLACED_FOLDER = "replaced"  # next to the database: where restore keeps what it replaced
REQUIRED_TABLES = {"letters", "sections", "sentences", "meta"}


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says why, for people."""


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    path: Path
    bytes: int
    schema_version: int
    letters: int
    integrity: str


@dataclass(frozen=True, slots=True)
class RestoreResult:
    target: Path
    source: Path
    replaced: Path | None  # where the database that was there before is kept
    info: DatabaseInfo


def _connect_existing(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open ``path`` without ever creating it (``sqlite3.connect`` would create an empty
    database at a mistyped path)."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file")
    mode = "ro" if readonly else "rw"
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    try:
        return sqlite3.connect(uri, uri=True, timeout=5, isolation_level=None)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {path}: {exc}") from exc


def inspect_database(path: Path) -> DatabaseInfo:
    """Validate a database file: it opens, passes ``integrity_check``, is briefbot's, and its
    schema is not newer than this code. Raises :class:`BackupError` saying what is wrong."""
    conn = _connect_existing(path, readonly=True)
    try:
        try:
            integrity = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {
                str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.DatabaseError as exc:  # not a database, or damaged beyond reading
            raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc
        if integrity != ["ok"]:
            raise BackupError(f"{path} fails the integrity check: {'; '.join(integrity[:5])}")
        if version < 1 or not tables >= REQUIRED_TABLES:
            raise BackupError(f"{path} is not a briefbot database")
        if version > LATEST_SCHEMA_VERSION:
            raise BackupError(
                f"{path} has schema version {version}, but this briefbot only knows versions up "
                f"to {LATEST_SCHEMA_VERSION}; upgrade briefbot to restore it"
            )
        letters = int(conn.execute("SELECT count(*) FROM letters").fetchone()[0])
    finally:
        conn.close()
    return DatabaseInfo(path, path.stat().st_size, version, letters, "ok")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        _fsync(folder)


def _remove_side_files(path: Path) -> None:
    for suffix in SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def _copy_into(source: sqlite3.Connection, temp: Path) -> None:
    """SQLite's backup API into a new self-contained file (rollback journal, no -wal)."""
    dest = sqlite3.connect(temp, isolation_level=None)
    try:
        source.backup(dest)  # pages=-1: one step, one consistent snapshot of the source
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()
    _remove_side_files(temp)
    _fsync(temp)


def _temp_next_to(target: Path, tag: str) -> Path:
    return target.with_name(f".{target.name}.{tag}-{os.getpid()}-{time.monotonic_ns()}")


def _database_files(database: Path) -> list[Path]:
    """The database and the side files SQLite keeps next to it, under the given name and under
    its real path (SQLite names the side files after the real path of a symlinked database)."""
    names = [database, Path(os.path.realpath(database))]
    return [Path(f"{name}{suffix}") for name in names for suffix in ("", *SIDE_FILES)]


def is_database_file(path: Path, database: Path) -> bool:
    """Whether ``path`` is ``database`` or one of its side files, however it is spelled: another
    relative path, a symlink (to the file or to a folder on its way), or a hard link."""
    real = os.path.normcase(os.path.realpath(path))
    if any(real == os.path.normcase(os.path.realpath(f)) for f in _database_files(database)):
        return True
    try:
        st = Path(path).stat()
    except OSError:  # does not exist (yet): only a name could make it one, checked above
        return False
    for f in _database_files(database):
        try:
            other = f.stat()
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return True
    return False


def backup_database(source: Path, target: Path, *, overwrite: bool = False) -> DatabaseInfo:
    """Copy the database at ``source`` to ``target`` (safe while the bot runs)."""
    source, target = Path(source), Path(target)
    if is_database_file(target, source):
        raise BackupError(
            f"{target} is the database or one of its own files (-wal, -shm, -journal); "
            "choose a path outside it"
        )
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the path of a file to write")
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise BackupError(f"{target} already exists; choose another path (or --force)")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_next_to(target, "backup")
    conn = _connect_existing(source)
    try:
        _copy_into(conn, temp)
        info = inspect_database(temp)
        temp.replace(target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        _remove_side_files(temp)
        raise
    finally:
        conn.close()
    return DatabaseInfo(target, target.stat().st_size, info.schema_version, info.letters, "ok")


def _take_over(target: Path) -> sqlite3.Connection | None:
    """Exclusive access to the current database at ``target`` (None if there is none).

    Leaving WAL mode needs every other connection closed, so it fails with "database is
    locked" while a bot has the database open: then the restore is refused. Afterwards the
    WAL is checkpointed into the main file and gone, and the exclusive lock keeps others out
    until the swap is done."""
    if not target.exists():
        return None
    conn = _connect_existing(target)
    try:
        conn.execute("PRAGMA busy_timeout = 200")
        try:
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise BackupError(
                    f"{target} is in use (is the bot running?); stop it, then restore"
                ) from exc
            raise BackupError(f"cannot take over {target}: {exc}") from exc
        if str(mode).lower() != "delete":
            raise BackupError(f"{target} is in use (journal mode {mode}); stop the bot first")
    except BaseException:
        conn.close()
        raise
    return conn


def restore_database(source: Path, target: Path, *, now: datetime | None = None) -> RestoreResult:
    """Replace the database at ``target`` with the backup at ``source``, validated first.
    The replaced database is kept as ``replaced/<target name>.<UTC time>`` next to it."""
    source, target = Path(source), Path(target)
    inspect_database(source)  # refuses a bad backup before anything is touched
    if target.exists() and is_database_file(source, target):
        raise BackupError("the backup is the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_next_to(target, "restore")
    backup = _connect_existing(source, readonly=True)
    try:
        _copy_into(backup, temp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    finally:
        backup.close()
    replaced: Path | None = None
    holder = None
    try:
        holder = _take_over(target)
        if holder is not None:
            stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
            folder = target.parent / REPLACED_FOLDER
            folder.mkdir(exist_ok=True)
            replaced = folder / f"{target.name}.{stamp}"
            try:
                os.link(target, replaced)  # the old file stays whole under a new name
            except OSError:
                shutil.copy2(target, replaced)
            _fsync_dir(folder)
        # No -wal/-shm of the old database may be applied to the new one.
        _remove_side_files(target)
        temp.replace(target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    finally:
        if holder is not None:
            with contextlib.suppress(sqlite3.Error):
                holder.execute("ROLLBACK")
            holder.close()
    restored = inspect_database(target)
    return RestoreResult(target=target, source=source, replaced=replaced, info=restored)
