"""The built in-memory indexes, kept on disk so that a restart loads them instead of building
them again (issue 14: start-up at a million sentences in seconds, not minutes).

Each index (``quote``: the fuzzy quote index; ``ask``: BM25 and the int8 dense index) is saved
as a *snapshot*: a folder of numpy arrays (``.npy``, loaded with ``np.load(mmap_mode="r")``, so
the big ones are mapped, not read) and raw UTF-8 text buffers (``.bin``, mapped with
:mod:`mmap`), plus ``meta.json``. The core classes say what to save (``export_state``) and take
it back (``from_state``); this module only stores and checks.

Where: ``BRIEFBOT_INDEX_DIR`` when set; else next to the SQLite file (``briefbot.sqlite3`` ->
``briefbot.sqlite3-index/``); for PostgreSQL a local cache folder per database
(``$XDG_CACHE_HOME/briefbot/index/<hash of the location>``); none for an in-memory store.

Never a stale or half-written snapshot:

* **written atomically**: the files go to a fresh folder, are flushed to disk, and only then
  does ``CURRENT`` (replaced with ``os.replace``) name it; a crash leaves the old snapshot in
  use and a stray folder that the next save removes;
* **keyed**: ``meta.json`` holds the key it was built for (the code that builds the index,
  the model version of the vectors, the store's location and schema version); another key is
  a miss, logged, and the index is built from the store;
* **per letter**: the snapshot lists the letters it holds, each with a fingerprint (its id,
  content hash, sentence count and time added). At load, a letter that is gone or changed since
  is dropped from the loaded index, and letters stored since are added from the store on top
  (``diff``);
* **checked**: every file's size is in ``meta.json`` and the arrays' shapes and types are
  checked by the core class; anything off is one log line and a rebuild, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import mmap
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bot.services.index_build import build_in_child
from bot.store.location import backend_of, describe, sqlite_path
from bot.store.records import LetterRecord

log = logging.getLogger(__name__)

#: The layout of a snapshot folder (``meta.json``, ``*.npy``, ``*.bin``); part of every key.
LAYOUT = 1
#: Stores with fewer sentences have their indexes built in the bot's process (a child process
#: costs a second or two to start); see bot/services/index_build.py.
CHILD_MIN_SENTENCES = 50_000
_CURRENT = "CURRENT"


class CacheError(Exception):
    """A snapshot that cannot be used (missing file, wrong size, unreadable array)."""


def default_dir(location: str, configured: str | os.PathLike[str] | None = None) -> Path | None:
    """Where the snapshots of the store at ``location`` go (None: not kept)."""
    if configured:
        return Path(configured)
    if backend_of(location) == "postgresql":
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        digest = hashlib.sha256(describe(location).encode()).hexdigest()[:16]
        return base / "briefbot" / "index" / digest
    path = sqlite_path(location)
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return Path(path).with_name(Path(path).name + "-index")


@functools.lru_cache(maxsize=8)
def store_identity(location: str) -> str:
    """Which store a saved copy is of: its location (a SQLite file's absolute path, a
    PostgreSQL URL without its password). Nothing is written to the store for it; a copy of
    another store (a shared ``BRIEFBOT_INDEX_DIR``) is stale, and within one store every letter
    is checked by its fingerprint."""
    if backend_of(location) == "postgresql":
        return describe(location)
    path = sqlite_path(location)
    return str(Path(path).resolve()) if path not in ("", ":memory:") else path


def code_version(*modules: str) -> str:
    """A version of the code an index is built by: a hash of these modules' source files. A
    change to how an index is made or laid out (or a tuned constant it holds precomputed,
    such as BM25's ``k1`` and ``b``) makes every saved copy stale: it is built again once."""
    import importlib.util

    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        digest.update(name.encode())
        if origin and Path(origin).is_file():
            digest.update(Path(origin).read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(rec: LetterRecord) -> int:
    """What a letter's rows in an index depend on, as one number: a letter deleted and stored
    again (even with the same id) has another."""
    text = f"{rec.id}|{rec.content_hash}|{rec.sentence_count}|{rec.added_at.isoformat()}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") >> 1


def manifest(letter_ids: Iterable[int], catalog: Mapping[int, LetterRecord]) -> np.ndarray:
    """``(n, 2)`` int64: each letter an index holds and its fingerprint (0 when the catalog no
    longer knows it: such a letter is dropped at load)."""
    ids = sorted(int(i) for i in letter_ids)
    out = np.zeros((len(ids), 2), dtype=np.int64)
    for k, lid in enumerate(ids):
        rec = catalog.get(lid)
        out[k] = (lid, fingerprint(rec) if rec is not None else 0)
    return out


@dataclass(frozen=True, slots=True)
class Diff:
    """How a snapshot's letters stand against the store's letters now."""

    keep: frozenset[int]  # in the snapshot and unchanged
    drop: frozenset[int]  # in the snapshot, but deleted or changed since
    add: tuple[int, ...]  # in the store, not (or no longer validly) in the snapshot; ascending


def diff(held: np.ndarray, catalog: Mapping[int, LetterRecord]) -> Diff:
    keep: set[int] = set()
    drop: set[int] = set()
    for lid, fp in held.tolist():
        rec = catalog.get(lid)
        if rec is not None and fingerprint(rec) == fp:
            keep.add(lid)
        else:
            drop.add(lid)
    add = tuple(sorted(lid for lid in catalog if lid not in keep))
    return Diff(frozenset(keep), frozenset(drop), add)


@dataclass(slots=True)
class Snapshot:
    """A loaded snapshot: arrays (big ones memory-mapped, read-only), text buffers (mapped),
    and what ``meta.json`` says."""

    name: str
    folder: Path
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    blobs: dict[str, Any] = field(default_factory=dict)  # bytes-like, sliceable to bytes

    @property
    def letters(self) -> np.ndarray:
        return self.arrays["_letters"]


@dataclass(frozen=True, slots=True)
class Saved:
    name: str
    folder: Path
    bytes: int
    seconds: float


class IndexCache:
    """The snapshots of one store's indexes, in ``directory`` (None: nothing is kept)."""

    def __init__(self, directory: Path | None, *, store_id: str = "") -> None:
        self.directory = directory
        self.store_id = store_id  # which store (see store_identity); part of every key
        self.last_load: dict[str, str] = {}  # index name -> what happened at the last load
        self._saving: set[asyncio.Task[None]] = set()
        # what a child process needs to build an index (bot/services/index_build.py); set by
        # the composition root. ``child_builds`` False: always built in this process
        self.location: str | None = None
        self.letters_dir: Path | None = None
        self.child_builds = True
        self.child_min_sentences = CHILD_MIN_SENTENCES

    def builds_in_child(self, sentences: int) -> bool:
        """Whether an index of ``sentences`` is built by a child process (then saved here and
        loaded), rather than in this one."""
        return (
            self.directory is not None
            and self.location is not None
            and self.child_builds
            and sentences >= self.child_min_sentences
        )

    async def build_in_child(self, name: str, progress: Callable[[float], None]) -> bool:
        """Build index ``name`` in a child process, which saves it here; True when it did."""
        assert self.directory is not None and self.location is not None
        built = await build_in_child(
            name,
            location=self.location,
            directory=self.directory,
            letters_dir=self.letters_dir,
            progress=progress,
        )
        return built

    def spawn(self, save: Coroutine[Any, Any, None]) -> None:
        """Run a save in the background (:meth:`drain` waits for it at close)."""
        task = asyncio.get_running_loop().create_task(save, name="save-index")
        self._saving.add(task)
        task.add_done_callback(self._saved)

    def _saved(self, task: asyncio.Task[None]) -> None:
        self._saving.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.warning("an index could not be saved (%s); it is built again at the next start",
                        exc)  # fmt: skip

    async def drain(self) -> None:
        """Wait for the saves running now (the process is about to end)."""
        while self._saving:
            await asyncio.gather(*list(self._saving), return_exceptions=True)

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    # ------------------------------------------------------------------ writing

    def save(
        self,
        name: str,
        key: Mapping[str, Any],
        arrays: Mapping[str, np.ndarray],
        blobs: Mapping[str, Any],
        meta: Mapping[str, Any],
        letters: np.ndarray,
    ) -> Saved | None:
        """Write a snapshot of index ``name`` (blocking: run it in a worker thread). The
        previous snapshot stays in use until this one is complete."""
        if self.directory is None:
            return None
        t = time.perf_counter()
        root = self.directory / name
        root.mkdir(parents=True, exist_ok=True)
        folder = root / f"snap-{time.time_ns()}-{os.getpid()}"
        tmp = folder.with_name(folder.name + ".tmp")
        tmp.mkdir()
        try:
            files: dict[str, int] = {}
            for aname, arr in {**arrays, "_letters": letters}.items():
                path = tmp / f"{aname}.npy"
                with path.open("wb") as fh:
                    np.save(fh, np.ascontiguousarray(arr), allow_pickle=False)
                    fh.flush()
                    os.fsync(fh.fileno())
                files[path.name] = path.stat().st_size
            for bname, blob in blobs.items():
                path = tmp / f"{bname}.bin"
                with path.open("wb") as fh:
                    fh.write(memoryview(blob))
                    fh.flush()
                    os.fsync(fh.fileno())
                files[path.name] = path.stat().st_size
            doc = {
                "layout": LAYOUT,
                "name": name,
                "key": {**key, "store_id": self.store_id},
                "meta": dict(meta),
                "files": files,
                "saved_at": time.time(),
            }
            meta_path = tmp / "meta.json"
            meta_path.write_text(json.dumps(doc, sort_keys=True), encoding="utf-8")
            with meta_path.open("rb") as fh:
                os.fsync(fh.fileno())
            tmp.rename(folder)
            pointer = root / f"{_CURRENT}.{os.getpid()}.tmp"
            pointer.write_text(folder.name, encoding="utf-8")
            with pointer.open("rb") as fh:
                os.fsync(fh.fileno())
            pointer.replace(root / _CURRENT)
            _fsync_dir(root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._prune(root, keep=folder.name)
        size = sum(files.values())
        seconds = time.perf_counter() - t
        log.info("%s index saved to %s (%.0f MiB in %.1f s)", name, folder, size / 2**20, seconds)
        return Saved(name, folder, size, seconds)

    @staticmethod
    def _prune(root: Path, keep: str) -> None:
        """Remove older snapshots and stray folders of interrupted saves (a process that still
        maps an old one keeps reading it: the files live on until it lets go)."""
        for entry in root.iterdir():
            if entry.name == keep or not entry.name.startswith("snap-"):
                continue
            if entry.name.endswith(".tmp") and time.time() - entry.stat().st_mtime < 3600:
                continue  # perhaps another process writing right now
            shutil.rmtree(entry, ignore_errors=True)

    # ------------------------------------------------------------------ reading

    def load(self, name: str, key: Mapping[str, Any]) -> Snapshot | None:
        """The current snapshot of index ``name`` when there is one built for ``key``; None
        (with one log line saying why) otherwise. Blocking: run it in a worker thread."""
        if self.directory is None:
            self.last_load[name] = "off"
            return None
        root = self.directory / name
        try:
            current = (root / _CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            self.last_load[name] = "none"
            log.info("%s index: no saved copy in %s yet; building it from the store", name, root)
            return None
        except OSError as exc:
            self.last_load[name] = "unreadable"
            log.warning("%s index: saved copy unreadable (%s); building it from the store",
                        name, exc)  # fmt: skip
            return None
        folder = root / current
        try:
            snap = self._open(name, folder)
        except (CacheError, OSError, ValueError, KeyError, TypeError) as exc:
            self.last_load[name] = "corrupt"
            log.warning(
                "%s index: saved copy %s is damaged (%s); building it from the store",
                name, folder, exc,
            )  # fmt: skip
            return None
        want = {**key, "store_id": self.store_id}
        have = snap.meta.get("key", {})
        if have != want:
            changed = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
            self.last_load[name] = "stale"
            log.info(
                "%s index: saved copy is of another %s; building it from the store",
                name, ", ".join(changed),
            )  # fmt: skip
            return None
        self.last_load[name] = "loaded"
        return snap

    def _open(self, name: str, folder: Path) -> Snapshot:
        doc = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if doc.get("layout") != LAYOUT or doc.get("name") != name:
            raise CacheError(f"layout {doc.get('layout')!r}, expected {LAYOUT}")
        snap = Snapshot(name, folder, doc)
        for fname, size in doc["files"].items():
            path = folder / fname
            actual = path.stat().st_size
            if actual != size:
                raise CacheError(f"{fname} has {actual} bytes, expected {size}")
            stem, ext = fname.rsplit(".", 1)
            if ext == "npy":  # a plain read-only array over the mapped file
                snap.arrays[stem] = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
            elif size == 0:
                snap.blobs[stem] = b""
            else:
                with path.open("rb") as fh:
                    snap.blobs[stem] = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        letters = snap.arrays.get("_letters")
        if letters is None or letters.ndim != 2 or letters.shape[1] != 2:
            raise CacheError("the list of letters is missing")
        snap.arrays["_letters"] = np.array(letters, dtype=np.int64)
        return snap

    # ------------------------------------------------------------------ status

    def status(self) -> dict[str, Any]:
        """What is saved, for ``briefbot index status``: per index, whether a snapshot exists,
        its size, when it was saved, how many letters it holds, and what the last load did."""
        out: dict[str, Any] = {
            "directory": str(self.directory) if self.directory else None,
            "indexes": {},
        }
        if self.directory is None:
            return out
        for name in ("quote", "ask"):
            entry: dict[str, Any] = {"saved": False, "last_load": self.last_load.get(name)}
            root = self.directory / name
            with contextlib.suppress(OSError, ValueError, KeyError):
                folder = root / (root / _CURRENT).read_text(encoding="utf-8").strip()
                doc = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
                entry.update(
                    saved=True,
                    bytes=sum(doc["files"].values()),
                    saved_at=doc["saved_at"],
                    letters=int(doc["meta"].get("letters", 0)),
                    rows=int(doc["meta"].get("rows", 0)),
                )
            out["indexes"][name] = entry
        return out


T = TypeVar("T")


async def saved_or_built(
    cache: IndexCache | None,
    name: str,
    sentences: int,
    *,
    load: Callable[[], Awaitable[T | None]],
    build: Callable[[], Awaitable[T]],
    progress: Callable[[float], None],
) -> T:
    """Index ``name``: the saved copy (``load``: with what changed since), else built and saved
    by a child process and then loaded (the bot's loop never waits on the build), else built
    in this process (``build``, which saves it for the next start)."""
    index = await load()
    if (
        index is None
        and cache is not None
        and cache.builds_in_child(sentences)
        and await cache.build_in_child(name, lambda p: progress(0.9 * p))
    ):
        index = await load()
    return index if index is not None else await build()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
