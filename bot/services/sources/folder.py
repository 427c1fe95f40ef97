"""A followed folder: the ``.txt`` and ``.pdf`` files in it (and below), and which are ready.

A file is read once it is *stable*: not changed for :data:`SETTLE` seconds (a copy, a download
or a scraper still writing it changes it all the time), and, for a PDF, complete (its last
kilobyte holds ``%%EOF``; a PDF still being written has none yet). A file's version is its size
and modification time; a file that changed is read again, and one whose bytes did not change
(only touched) is not stored again.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from bot.services.letters import EXTENSIONS

SETTLE = 5.0  # seconds a file must be left alone before it is read
#: A PDF without its end marker is taken as being written for this long, then read anyway
#: (and refused as incomplete, with the reason, if it still is).
INCOMPLETE_GRACE = 600.0


@dataclass(frozen=True, slots=True)
class FileInfo:
    ref: str  # the path inside the folder, with / (the document's id in this source)
    path: Path
    size: int
    mtime_ns: int

    @property
    def version(self) -> str:
        return f"{self.size}:{self.mtime_ns}"

    def age(self, now: float | None = None) -> float:
        return (now if now is not None else time.time()) - self.mtime_ns / 1e9


class FolderMissingError(OSError):
    """The folder is gone or cannot be read (an unmounted share, say)."""


def scan(folder: Path) -> list[FileInfo]:
    """The letters in ``folder`` and below (hidden files and folders, links to folders and
    files of other kinds are left out), oldest first. Blocking."""
    try:
        if not stat.S_ISDIR(folder.stat().st_mode):
            raise FolderMissingError(f"{folder} is not a folder")
    except FileNotFoundError as exc:
        raise FolderMissingError(f"the folder {folder} does not exist (any more)") from exc
    except PermissionError as exc:
        raise FolderMissingError(f"the folder {folder} cannot be read") from exc
    found: list[FileInfo] = []
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(folder, onerror=errors.append):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in EXTENSIONS:
                continue
            path = here / name
            try:
                info = path.stat()
            except OSError:
                continue  # gone meanwhile, or a link to nothing
            if not stat.S_ISREG(info.st_mode):
                continue
            ref = path.relative_to(folder).as_posix()
            found.append(FileInfo(ref, path, info.st_size, info.st_mtime_ns))
    if errors and not found and errors[0].filename == str(folder):
        raise FolderMissingError(f"the folder {folder} cannot be read ({errors[0].strerror})")
    found.sort(key=lambda f: (f.mtime_ns, f.ref))
    return found


def pdf_complete(data: bytes) -> bool:
    """Whether a PDF's bytes end as a finished PDF does (``%%EOF`` near the end)."""
    return b"%%EOF" in data[-1024:]


def settled(info: FileInfo, *, settle: float, now: float | None = None) -> bool:
    return info.age(now) >= settle
