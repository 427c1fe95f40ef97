"""Reading PDFs from strangers: in child processes of capped memory and time, reused.

A crafted PDF of a few kilobytes (a content stream that inflates to a gigabyte, Form XObjects
that draw each other a hundred million times) makes PDFium take gigabytes while it loads a
page, before any check of :mod:`bot.core.pdf` can run. So every PDF a user gives, by upload or
by ``briefbot ingest``, is read in a child process whose address space is capped
(``RLIMIT_AS``) and which is stopped when it takes too long: a bomb costs that process, and
the reader says in one line why the file was refused.

Starting a Python process and importing PDFium takes about a quarter of a second, longer than
reading a letter, so the children are kept and reused (at most :data:`WORKERS` at a time, each
for at most :data:`REQUESTS_PER_WORKER` files). A child that failed is never reused; a memory
failure in a child that had read other files first is tried once more in a fresh child (its
address space may have been fragmented, not exhausted by this file). Children exit when their
input closes, so they never outlive the process that started them, even after SIGKILL.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from bot.core.models import LetterError
from bot.core.pdf import extract_pdf_pages
from bot.core.refusals import TEXT

log = logging.getLogger(__name__)

#: Address space of a child. A real letter needs well under 100 MiB.
WORKER_MEMORY = 1024 * 1024 * 1024
WORKERS = 2  # PDFs read at the same time
REQUESTS_PER_WORKER = 32  # then a fresh child: no slow growth of one process
GRACE_SECONDS = 10.0  # on top of the reader's own time limit, for start-up and the reply

_CHILD = """
import gc, json, sys
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
except (ImportError, ValueError, OSError):
    pass
from bot.core.models import LetterError
from bot.core.pdf import extract_pdf_pages
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
while True:
    header = stdin.readline()
    if not header:
        break
    request = json.loads(header)
    data = stdin.read(request["size"])
    try:
        out = {"pages": extract_pdf_pages(data, max_pages=request["max_pages"],
                                          max_seconds=request["max_seconds"])}
    except LetterError as exc:
        out = {"error": str(exc), "key": exc.key, "params": exc.params}
    stdout.write(json.dumps(out).encode() + b"\\n")
    stdout.flush()
    del data, out
    gc.collect()
"""


class _Failed(Exception):
    """The child died or hung on this file."""

    def __init__(self, message: str, *, memory: bool, key: str = "pdf_damaged") -> None:
        super().__init__(message)
        self.memory = memory
        self.key = key  # what the user is told (bot.core.refusals)


class _Child:
    def __init__(self, memory: int) -> None:
        root = str(Path(__file__).resolve().parents[2])  # where ``bot`` is importable from
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
        # no secrets (DISCORD_TOKEN) for the process that reads strangers' files
        env = {"PYTHONPATH": path, "PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"}
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(memory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
            close_fds=True,
        )
        self.memory = memory
        self.owner = os.getpid()  # a forked process must not use its parent's children
        self.served = 0

    def read(self, data: bytes, *, max_pages: int, max_seconds: float) -> list[str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        header = {"size": len(data), "max_pages": max_pages, "max_seconds": max_seconds}
        try:
            self.proc.stdin.write(json.dumps(header).encode() + b"\n")
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except OSError:  # it died before reading (BrokenPipeError)
            raise self._died() from None
        reply = self._reply(max_seconds + GRACE_SECONDS)
        self.served += 1
        try:
            out = json.loads(reply)
        except ValueError:
            out = {}
        if isinstance(out.get("error"), str):
            params = out.get("params") if isinstance(out.get("params"), dict) else {}
            key = out.get("key") if out.get("key") in TEXT else "pdf_damaged"
            raise LetterError(key, out["error"], **params)
        if isinstance(out.get("pages"), list):
            return [str(p) for p in out["pages"]]
        raise _Failed("This PDF crashed the PDF reader; it is damaged or malformed.", memory=False)

    def _reply(self, timeout: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close(kill=True)
                raise _Failed(
                    f"Reading this PDF took longer than {timeout - GRACE_SECONDS:g} seconds; "
                    "it is too large or malformed.",
                    memory=False,
                    key="pdf_too_big",
                )
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise self._died()
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                return b"".join(chunks)

    def _died(self) -> _Failed:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        code = self.proc.returncode
        self.stderr.seek(0, os.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - 2000))
        tail = self.stderr.read().decode("utf-8", "replace")
        log.warning("the PDF reader failed", extra={"returncode": code, "stderr": tail})
        self.close(kill=True)
        if code == -6 or "MemoryError" in tail or "Out of memory" in tail:
            return _Failed(
                f"Reading this PDF needs more than {self.memory // (1024 * 1024)} MiB of memory; "
                "it is not a letter (or it is built to exhaust the reader).",
                memory=True,
                key="pdf_too_big",
            )
        return _Failed("This PDF crashed the PDF reader; it is damaged or malformed.", memory=False)

    def close(self, *, kill: bool = False) -> None:
        if self.owner != os.getpid():
            return  # a parent's child, inherited through fork: not ours to stop
        if kill and self.proc.poll() is None:
            self.proc.kill()  # our own child, by its handle
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()  # a waiting child sees the end of its input and exits
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


class PdfReaders:
    """The children of this process that read PDFs (see the module docstring)."""

    def __init__(self, size: int = WORKERS) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[_Child] = []
        self._lock = threading.Lock()

    def read(
        self, data: bytes, *, max_pages: int, max_seconds: float, max_memory: int
    ) -> list[str]:
        if not self._slots.acquire(timeout=max(0.0, max_seconds)):
            raise LetterError(
                "pdf_busy", "The PDF reader is busy with other files; try again in a minute."
            )
        try:
            for attempt in range(2):
                child = self._take(max_memory)
                if child is None:  # no interpreter to start (an embedded Python)
                    log.warning("cannot start the PDF reader process; reading in-process")
                    return extract_pdf_pages(data, max_pages=max_pages, max_seconds=max_seconds)
                fresh = child.served == 0
                try:
                    pages = child.read(data, max_pages=max_pages, max_seconds=max_seconds)
                except LetterError:
                    self._give(child)  # a refusal: the child is fine
                    raise
                except _Failed as failed:
                    child.close(kill=True)
                    if failed.memory and not fresh and attempt == 0:
                        continue  # perhaps the child's own history: once more, fresh
                    raise LetterError(failed.key, str(failed)) from None
                self._give(child)
                return pages
            raise AssertionError("unreachable")
        finally:
            self._slots.release()

    def _take(self, memory: int) -> _Child | None:
        with self._lock:
            here = os.getpid()
            self._idle = [c for c in self._idle if c.owner == here]  # drop a parent's
            for i, child in enumerate(self._idle):
                if child.memory == memory and child.proc.poll() is None:
                    return self._idle.pop(i)
        try:
            return _Child(memory)
        except OSError:
            return None

    def _give(self, child: _Child) -> None:
        if child.served >= REQUESTS_PER_WORKER or child.proc.poll() is not None:
            child.close()
            return
        with self._lock:
            self._idle.append(child)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.close()


READERS = PdfReaders()
atexit.register(READERS.close)


def extract_pdf_isolated(
    data: bytes,
    *,
    max_pages: int = 500,
    max_seconds: float = 30.0,
    max_memory: int = WORKER_MEMORY,
) -> list[str]:
    """:func:`bot.core.pdf.extract_pdf_pages` in a child process with at most ``max_memory``
    bytes of address space and ``max_seconds`` (plus :data:`GRACE_SECONDS`) of time, so that a
    hostile PDF costs that process, not this one. Blocking; raises LetterError."""
    return READERS.read(
        bytes(data), max_pages=max_pages, max_seconds=max_seconds, max_memory=max_memory
    )
