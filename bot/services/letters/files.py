"""Files from strangers: names shown safely, files read with a cap and without blocking,
folders expanded (what is skipped is said, never dropped silently).

Every file, whether named at the command line, found in a folder or uploaded in Discord, is
opened without following it into a device, FIFO or socket (``O_NONBLOCK``, then ``fstat`` on the
opened descriptor: only a regular file is read) and read with a cap (:data:`MAX_FILE_BYTES`), so
``/dev/zero`` or a FIFO is refused at once. File names are shown escaped
(:func:`display_name`): not UTF-8, control characters, right-to-left marks.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.models import LetterError
from bot.services.letters.report import Refused, Warned

MAX_FILE_BYTES = 20 * 1024 * 1024
EXTENSIONS = (".txt", ".pdf")


#: Marks that reorder a line on screen (Unicode bidi controls): never printed as they are.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def display_name(text: str) -> str:
    """A file name (or any text from outside) safe to print on one line and in JSON: a byte
    that is not UTF-8 (``os.fsdecode`` keeps it as a lone surrogate) becomes ``\\xff``;
    control characters, right-to-left and other invisible marks become escapes like ``\\n``
    and ``\\u202e``, so a name cannot forge a line, colour the terminal or reorder what is
    shown. Printable text is left as it is."""
    if text.isprintable() and "\\" not in text and not _BIDI.intersection(text):
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _NAMED:
            out.append(_NAMED[ch])
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable() and ch not in _BIDI:
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


def slugify(name: str) -> str:
    stem = Path(name).stem.lower()
    slug = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")
    return slug[:80] or "letter"


def _kind_of(mode: int) -> str | None:
    """What a file that is not a regular file is, for the refusal; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, what in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return "not a regular file"


def _too_big(size: int) -> LetterError:
    shown, limit = f"{size / 1024 / 1024:.1f}", MAX_FILE_BYTES // 1024 // 1024
    return LetterError(
        "file_too_big", f"the file is {shown} MB; the limit is {limit} MB", size=shown, limit=limit
    )


def _unreadable(exc: OSError) -> LetterError:
    why = exc.strerror or str(exc)
    return LetterError("unreadable_file", f"cannot read the file: {why}", why=why)


def _not_a_file(kind: str) -> LetterError:
    return LetterError(
        "not_a_file", f"this is {kind}, not a file; give the path of a .txt or .pdf file", what=kind
    )


def read_file(path: str | Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`. Anything else (a device,
    a FIFO, a socket, a symlink to one of them) is refused at once: the file is opened without
    blocking and checked on the opened descriptor, and never more than the limit is read, so
    neither ``/dev/zero`` nor a FIFO nobody writes to can hold the ingest up. Blocking."""
    try:
        kind = _kind_of(Path(path).stat().st_mode)  # a socket cannot even be opened
    except OSError as exc:
        raise _unreadable(exc) from exc
    if kind is not None:
        raise _not_a_file(kind)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _unreadable(exc) from exc
    try:
        info = os.fstat(fd)  # what was opened, even if the name was swapped since
        kind = _kind_of(info.st_mode)
        if kind is not None:
            raise _not_a_file(kind)
        if info.st_size > MAX_FILE_BYTES:
            raise _too_big(info.st_size)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_FILE_BYTES:
                raise _too_big(total)
    except OSError as exc:
        raise _unreadable(exc) from exc
    finally:
        os.close(fd)
    return b"".join(chunks)


@dataclass(slots=True)
class Expansion:
    """The files an ingest will read, and what it reports without reading."""

    files: list[Path] = field(default_factory=list)
    errors: list[Refused] = field(default_factory=list)
    warnings: list[Warned] = field(default_factory=list)


def expand_paths(paths: Iterable[str | Path]) -> Expansion:
    """Files as given (whatever their kind: reading refuses what is not a letter), and the
    ``.txt``/``.pdf`` files inside given folders (recursively, sorted). A missing path is an
    error; any other file in a folder is reported as skipped, never skipped silently."""
    found = Expansion()
    seen: set[str] = set()
    for raw in paths:
        p = Path(raw)
        shown = display_name(str(p))
        try:
            is_dir = stat.S_ISDIR(p.stat().st_mode)
        except FileNotFoundError:
            why = "a link to nothing" if p.is_symlink() else "no such file or folder"
            found.errors.append(Refused(shown, why))
            continue
        except OSError as exc:
            found.errors.append(Refused(shown, f"cannot read it: {exc.strerror or exc}"))
            continue
        if is_dir:
            candidates = _walk(p, found)
            if not candidates:
                found.errors.append(Refused(shown, "the folder holds no .txt or .pdf files"))
        else:
            candidates = [p]
        for f in candidates:
            key = os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                found.files.append(f)
    return found


def _walk(folder: Path, found: Expansion) -> list[Path]:
    """The letters in ``folder`` and below, sorted; what is skipped goes into ``found``. Any
    file name works, also one that is not UTF-8 (kept as ``os.fsdecode`` gives it)."""
    files: list[Path] = []

    def unreadable(exc: OSError) -> None:
        where = display_name(str(exc.filename or folder))
        found.errors.append(Refused(where, f"cannot read this folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        here = Path(dirpath)
        for d in sorted(dirnames):
            sub = here / d
            if sub.is_symlink():  # os.walk does not follow links to folders: say so
                found.warnings.append(
                    Warned(display_name(str(sub)), "skipped: a link to a folder (not followed)")
                )
            elif d.startswith("."):
                found.warnings.append(Warned(display_name(str(sub)), "skipped: a hidden folder"))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            f = here / name
            shown = display_name(str(f))
            if f.suffix.lower() not in EXTENSIONS:
                found.warnings.append(Warned(shown, "skipped: not .txt or .pdf"))
                continue
            try:
                kind = _kind_of(f.stat().st_mode)
            except OSError as exc:
                why = "a link to nothing" if f.is_symlink() else exc.strerror or str(exc)
                found.errors.append(Refused(shown, f"cannot read the file: {why}"))
                continue
            if kind is not None:
                found.errors.append(Refused(shown, f"this is {kind}, not a file"))
                continue
            files.append(f)
    return sorted(files)
