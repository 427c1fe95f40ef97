"""Kill briefbot with SIGKILL at random points while it ingests letters or sends digests.

Child side (run as a script)::

    python tests/hardening/killer.py serve
    python tests/hardening/killer.py job '{"kind": "ingest", "db": "x.sqlite3", "paths": ["d"]}'

``serve`` is a zygote: it imports briefbot and loads the sentence model and the lexicon once,
then reads one JSON job per line on stdin and runs each in a *forked child process*, a real
process with its own SQLite connection that the caller kills with SIGKILL. Forking from a warm
zygote makes a child ready in ~0.3 s instead of ~4 s, so a test can afford many kills.
Protocol on stdout, one line each: ``zygote ready``; per job ``pid N``, ``ready N`` (the child
is about to do the work), ``done N INFO`` (finished), ``exit N CODE`` (``-9``: killed). The
zygote reaps a child only when the next job (or EOF) arrives, so its pid cannot be reused
before the caller has seen ``exit``.

Jobs:

* ``{"kind": "ingest", "db", "paths"}``: ``LetterService.add_path`` (what ``briefbot ingest`` does);
* ``{"kind": "cli-ingest", "db", "paths"}``: ``bot.cli.main(["ingest", ...])`` itself;
  either ingest with ``"announce": "vectors"`` also says ``vectors N`` each time it starts
  computing a letter's vectors (so the caller can kill it in that phase);
* ``{"kind": "ask", "db", "question"}``: ``AskService.ask`` on a freshly opened app, as
  ``briefbot ask`` does (it must never compute a letter's vectors);
* ``{"kind": "digests", "db", "api_base", "now"}``: ``DigestService.run_due`` with the real
  ``DiscordSender`` over REST to a :class:`DiscordTestServer` at ``api_base`` (running in the
  caller's process), with the clock fixed at ``now``;
* ``{"kind": "poll", "db", "tk_url"}``: ``SourceService.poll`` (what ``briefbot follow poll``
  does) against a fake of the Tweede Kamer's OData API at ``tk_url`` (in the caller's process).

Parent side (imported by ``tests/hardening/test_kill.py`` and ``bench/kill_campaign.py``):
:class:`Zygote`, :func:`ingest_campaign`, :func:`digest_campaign` and the checks they run
after every kill: ``PRAGMA integrity_check``/``foreign_key_check``; every letter whole (its
``sentence_count`` = its sentence rows = its documents in the FTS5 index, vectors all or none)
or absent; per (subscription, due date) at most one digest posted, and after a clean run
exactly one, complete.
"""

# Timeouts as parameters are the point of these helpers.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()
REPO = SCRIPT.parents[2]
if str(REPO) not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO))

TOKEN = "test-token"
BUNDLED = REPO / "data" / "letters"


# =========================================================================== child side


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())  # unbuffered: a fork never duplicates pending output


def _settings(db: str):
    from bot.settings import Settings

    return Settings(BRIEFBOT_DB=Path(db), BRIEFBOT_LETTERS_DIR=BUNDLED, DISCORD_TOKEN=TOKEN)


class FixedClock:
    """The clock of one digest run: always ``now`` (the caller moves time between runs)."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        await asyncio.sleep(0)


def _announce_vectors() -> None:
    """Say ``vectors PID`` whenever this child starts computing a letter's vectors: the kill
    campaign's vector phase is then known to the second. The work itself is unchanged."""
    from bot.services.ask import AskService

    def announcing(real):  # type: ignore[no-untyped-def]
        async def announced(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            _say(f"vectors {os.getpid()}")
            return await real(self, *args, **kwargs)

        return announced

    # the catch-up encodes several letters at once (_encode_ahead), then stores each
    # (_embed_and_store, which an upload's inline vectors also take)
    AskService._encode_ahead = announcing(AskService._encode_ahead)  # type: ignore[method-assign]
    AskService._embed_and_store = announcing(AskService._embed_and_store)  # type: ignore[method-assign]


async def _ask(job: dict[str, Any]) -> str:
    from bot.services.app import Services
    from bot.services.scope import GLOBAL

    app = await Services.open(_settings(job["db"]), seed=False)
    try:
        _say(f"ready {os.getpid()}")
        answer = await app.answers.ask(job["question"], scope=GLOBAL)
    finally:
        await app.close()
    return f"found={answer.found}"


async def _ingest(job: dict[str, Any]) -> str:
    from bot.services.app import Services

    app = await Services.open(_settings(job["db"]), seed=False)
    try:
        _say(f"ready {os.getpid()}")
        report = await app.letters.add_path(job["paths"])
    finally:
        await app.close()
    added = sum(1 for i in report.ingested if i.status == "added")
    return f"added={added} errors={len(report.errors)}"


def _cli_ingest(job: dict[str, Any]) -> str:
    import io

    from bot.cli import main

    _say(f"ready {os.getpid()}")
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = main(["--db", job["db"], "ingest", *job["paths"], "--json"])
    data = json.loads(out.getvalue())
    added = sum(1 for i in data["ingested"] if i["status"] == "added")
    return f"added={added} errors={len(data['errors'])} code={code}"


async def _digests(job: dict[str, Any]) -> str:
    import discord
    import discord.http

    from bot.chat.digests.sender import DiscordSender
    from bot.services.app import Services

    discord.http.Route.BASE = job["api_base"]  # what tests.discord_server.patch_discord does
    clock = FixedClock(datetime.fromisoformat(job["now"]))
    app = await Services.open(_settings(job["db"]), seed=False, clock=clock)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(TOKEN)  # REST only: a digest run needs no gateway
        service = app.digests
        _say(f"ready {os.getpid()}")
        handled = await service.run_due(DiscordSender(client))  # type: ignore[arg-type]
    finally:
        await client.close()
        await app.close()
    return f"handled={handled}"


async def _poll(job: dict[str, Any]) -> str:
    from bot.services.app import Services
    from bot.services.sources.http import PoliteClient

    settings = _settings(job["db"]).model_copy(update={"tweedekamer_url": job["tk_url"]})
    client = PoliteClient(interval=0.0, backoff=0.05, timeout=10)
    app = await Services.open(settings, seed=False, http=client)
    try:
        _say(f"ready {os.getpid()}")
        report = await app.sources.poll()
    finally:
        await app.close()
    return f"added={len(report.added)} skipped={len(report.skipped)} errors={len(report.errors)}"


async def _open_and_warm(job: dict[str, Any]) -> str:
    from bot.services.app import Services

    app = await Services.open(_settings(job["db"]), seed=False)
    try:
        _say(f"ready {os.getpid()}")
        await app.warm()
    finally:
        await app.close()
    return f"letters={len(app.catalog.by_id)}"


def run_job(job: dict[str, Any]) -> str:
    kind = job["kind"]
    if job.get("announce") == "vectors":
        _announce_vectors()
    if kind == "ask":
        return asyncio.run(_ask(job))
    if kind == "warm":
        return asyncio.run(_open_and_warm(job))
    if kind == "ingest":
        return asyncio.run(_ingest(job))
    if kind == "cli-ingest":
        return _cli_ingest(job)
    if kind == "digests":
        return asyncio.run(_digests(job))
    if kind == "poll":
        return asyncio.run(_poll(job))
    raise ValueError(f"unknown job kind {kind!r}")


def _warm() -> None:
    """Load what every child would otherwise load itself: modules, the sentence model, the
    lexicon and the analysers (by ingesting one letter into a throwaway database)."""
    import tempfile

    import bot.chat.digests.sender
    import bot.cli
    import bot.services.app
    import bot.services.digests
    import bot.services.sources  # noqa: F401
    from bot.services.ask import _ENCODER

    _ENCODER.load()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_ingest({"db": str(Path(tmp) / "warm.sqlite3"), "paths": [str(BUNDLED)]}))


def _exit_code(pid: int) -> int:
    info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    assert info is not None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def serve() -> int:
    import threading

    devnull = os.open(os.devnull, os.O_WRONLY)
    saved_stdout = os.dup(1)
    os.dup2(devnull, 1)  # a library printing while warming must not break the protocol
    try:
        _warm()
    finally:
        os.dup2(saved_stdout, 1)
    stray = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if stray:  # forking with live threads could deadlock a child
        _say(f"error threads alive after warm-up: {stray}")
        return 1
    _say("zygote ready")
    previous: int | None = None
    for line in sys.stdin:
        if previous is not None:
            os.waitpid(previous, 0)
            previous = None
        if not line.strip():
            continue
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the child: do the job, never return into the zygote's loop
            code = 0
            try:
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                random.seed()
                info = run_job(job)
                _say(f"done {os.getpid()} {info}")
            except BaseException as exc:  # reported, not raised: the zygote must not run on
                _say(f"done {os.getpid()} error={type(exc).__name__}: {exc}".replace("\n", " "))
                code = 1
            finally:
                os._exit(code)
        _say(f"pid {pid}")
        _say(f"exit {pid} {_exit_code(pid)}")
        previous = pid
    if previous is not None:
        os.waitpid(previous, 0)
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        return serve()
    if len(argv) == 2 and argv[0] == "job":
        print(run_job(json.loads(argv[1])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


# =========================================================================== parent side


@dataclass
class Outcome:
    pid: int
    killed: bool
    code: int
    info: str
    ready_after: float  # seconds from the job's start to "ready"
    ran_for: float  # seconds from "ready" to the end (the kill or "done")
    armed_for: float = 0.0  # seconds from the line that armed the kill to the end


class Zygote:
    """A running ``killer.py serve``; ``run`` forks one child per job, optionally kills it."""

    def __init__(self, proc: asyncio.subprocess.Process, stderr_path: Path) -> None:
        self.proc = proc
        self.stderr_path = stderr_path

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, workdir: Path, *, timeout: float = 120) -> AsyncIterator[Zygote]:
        stderr_path = workdir / "zygote.stderr"
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        with stderr_path.open("wb") as stderr:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(SCRIPT), "serve",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
                cwd=str(workdir), env=env,
            )  # fmt: skip
        zygote = cls(proc, stderr_path)
        try:
            line = await zygote._line(timeout)
            if line != "zygote ready":
                raise RuntimeError(f"the zygote did not start: {line!r} {zygote._stderr()}")
            yield zygote
        finally:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()  # our own child process, by its handle
                await proc.wait()

    def _stderr(self) -> str:
        with contextlib.suppress(OSError):
            return self.stderr_path.read_text(errors="replace")[-3000:]
        return ""

    async def _line(self, timeout: float) -> str:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not raw:
            raise RuntimeError(f"the zygote ended: {self._stderr()}")
        return raw.decode().rstrip("\n")

    async def run(
        self,
        job: dict[str, Any],
        *,
        kill_after: float | None,
        timeout: float = 120,
        arm: str = "ready",
    ) -> Outcome:
        """Run ``job`` in a fresh child; SIGKILL it ``kill_after`` seconds after it first said
        ``arm`` (``ready``, or ``vectors`` for a job that announces them), unless it finished
        first. Returns when the child is dead."""
        assert self.proc.stdin is not None
        started = time.monotonic()
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        await self.proc.stdin.drain()
        pid: int | None = None
        ready_at: float | None = None
        armed_at: float | None = None
        info = ""
        killed_at: float | None = None
        while True:
            wait = timeout
            armed = pid is not None and armed_at is not None and kill_after is not None
            if armed and killed_at is None:
                wait = max(0.0, armed_at + kill_after - time.monotonic())  # type: ignore[operator]
            try:
                line = await self._line(wait)
            except TimeoutError:
                if not armed or killed_at is not None:
                    raise
                # No "exit" yet: the child is alive or an unreaped zombie, so this pid is
                # still the child's (the zygote reaps it only when the next job arrives).
                assert pid is not None
                os.kill(pid, signal.SIGKILL)
                killed_at = time.monotonic()
                continue
            word, _, rest = line.partition(" ")
            if word == arm and armed_at is None:
                armed_at = time.monotonic()
            if word == "pid":  # the child may say "ready" before the zygote says "pid"
                pid = int(rest)
            elif word == "ready":
                ready_at = time.monotonic()
            elif word == "done":
                info = rest.partition(" ")[2]
            elif word == "exit":
                code = int(rest.split()[1])
                end = killed_at or time.monotonic()
                return Outcome(
                    pid=int(rest.split()[0]),
                    killed=code == -signal.SIGKILL,
                    code=code,
                    info=info,
                    ready_after=(ready_at or end) - started,
                    ran_for=end - (ready_at or end),
                    armed_for=end - (armed_at or end),
                )


# --------------------------------------------------------------------------- checks


def sql(path: str | Path) -> closing[sqlite3.Connection]:
    """A plain connection that is closed after the ``with`` block (autocommit)."""
    return closing(sqlite3.connect(path, isolation_level=None))


@dataclass
class DbCheck:
    integrity: list[str]
    foreign_keys: int
    partial: list[str]  # one line per letter that is neither whole nor absent
    letters: int
    content_hashes: set[str]

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and self.foreign_keys == 0 and not self.partial


_FTS_DOCS = """
    CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_instances
    USING fts5vocab(main, sentences_fts, instance)
"""


def check_database(path: Path) -> DbCheck:
    """Open the database as a killed process left it and check it (blocking)."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        fks = len(conn.execute("PRAGMA foreign_key_check").fetchall())
        partial: list[str] = []
        letters = {
            r[0]: (r[1], r[2])
            for r in conn.execute("SELECT id, sentence_count, content_hash FROM letters")
        }
        rows: dict[int, int] = Counter()
        indexable: dict[int, int] = Counter()
        for letter_id, norm in conn.execute("SELECT letter_id, norm FROM sentences"):
            rows[letter_id] += 1
            if any(ch.isalnum() for ch in norm):
                indexable[letter_id] += 1
        conn.execute(_FTS_DOCS)
        fts_docs: dict[int | None, int] = Counter()
        for letter_id, docs in conn.execute(
            "SELECT s.letter_id, count(DISTINCT v.doc) FROM temp.fts_instances AS v"
            " LEFT JOIN sentences AS s ON s.id = v.doc GROUP BY s.letter_id"
        ):
            fts_docs[letter_id] = docs
        vectors = dict(
            conn.execute("SELECT letter_id, count(*) FROM sentence_vectors GROUP BY letter_id")
        )
        derived = {
            (r[0], r[1]) for r in conn.execute("SELECT letter_id, kind FROM derived").fetchall()
        }
        sections = dict(conn.execute("SELECT letter_id, count(*) FROM sections GROUP BY letter_id"))
        for letter_id, (count, _) in letters.items():
            problems = []
            if rows[letter_id] != count:
                problems.append(f"{rows[letter_id]} sentence rows")
            if fts_docs[letter_id] != indexable[letter_id]:
                problems.append(f"{fts_docs[letter_id]}/{indexable[letter_id]} FTS documents")
            if count and not sections.get(letter_id):
                problems.append("no sections")
            n_vec = vectors.get(letter_id, 0)
            if (letter_id, "vectors") in derived and n_vec != count:
                problems.append(f"{n_vec} vectors")
            if (letter_id, "vectors") not in derived and n_vec not in (0, count):
                problems.append(f"{n_vec} vectors without a derived row")
            if problems:
                partial.append(f"letter {letter_id} ({count} sentences): {', '.join(problems)}")
        orphans = sum(n for lid, n in rows.items() if lid not in letters)
        if orphans:
            partial.append(f"{orphans} sentence rows without a letter")
        if fts_docs.get(None):
            partial.append(f"{fts_docs[None]} FTS documents without a sentence row")
        return DbCheck(
            integrity=integrity,
            foreign_keys=fks,
            partial=partial,
            letters=len(letters),
            content_hashes={h for _, h in letters.values()},
        )
    finally:
        conn.close()


def derived_complete(path: Path) -> list[str]:
    """Letters lacking derived data (after a clean open + warm every letter must have it)."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        missing = conn.execute(
            "SELECT l.id, k.kind FROM letters AS l CROSS JOIN"
            " (SELECT 'recommendations' AS kind UNION ALL SELECT 'vectors') AS k"
            " WHERE NOT EXISTS (SELECT 1 FROM derived AS d"
            "                   WHERE d.letter_id = l.id AND d.kind = k.kind)"
        ).fetchall()
    finally:
        conn.close()
    return [f"letter {lid} lacks {kind}" for lid, kind in missing]


# --------------------------------------------------------------------------- campaigns


@dataclass
class CampaignResult:
    kind: str
    runs: int = 0
    kills: int = 0
    integrity_failures: int = 0
    partial_letters: int = 0
    lost_digests: int = 0
    doubled_digests: int = 0
    child_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    kill_delays: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not (
            self.integrity_failures
            or self.partial_letters
            or self.lost_digests
            or self.doubled_digests
            or self.child_errors
            or self.problems
        )


def _letter_text(batch: int, i: int, extra: int, *, long: bool = False) -> str:
    from tests.letters import HandmadeLetter

    tail = (
        " en daarbij de gemeenten, de zorgaanbieders, de voogdijinstelling en de inspectie"
        " tijdig te betrekken zodat de afspraken over plaatsing, begeleiding, onderwijs en"
        " nazorg van deze kinderen in de hele regio op dezelfde manier worden uitgevoerd"
        if long
        else ""
    )
    letter = HandmadeLetter(subject=f"Toezicht op de opvang in regio {batch}-{i}")
    letter.page2 = [
        *letter.page2,
        *[
            f"Ik verzoek u in regio {batch}-{i} onderdeel {k} de capaciteit van de opvang van "
            f"kinderen met {k + i} plaatsen te verhogen{tail} en daarover jaarlijks te "
            "rapporteren."
            for k in range(extra)
        ],
    ]
    return letter.text()


def write_batch(
    folder: Path, batch: int, n: int, *, extra: int = 25, long: bool = False
) -> list[Path]:
    """``n`` distinct letters (``extra`` more sentences each than the handmade letter)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"brief-{batch}-{i}.txt"
        p.write_text(_letter_text(batch, i, extra, long=long), encoding="utf-8")
        paths.append(p)
    return paths


def _hash(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _final_ingest(
    zygote: Any,
    db: Path,
    folders: list[Path],
    expected: set[str],
    result: CampaignResult,
    check: Callable[[str], DbCheck],
) -> None:
    """A last ingest of everything, not killed: then every letter is present exactly once."""
    final = await zygote.run(
        {"kind": "cli-ingest", "db": str(db), "paths": [str(f) for f in folders]},
        kill_after=None,
    )
    result.runs += 1
    if final.code != 0 or final.info.startswith("error="):
        result.child_errors.append(f"final ingest: {final.code} {final.info}")
    c = await asyncio.to_thread(check, "after the final ingest")
    if c.content_hashes != expected or c.letters != len(expected):
        result.problems.append(
            f"after the final ingest: {c.letters} letters, {len(expected)} expected"
        )


async def ingest_campaign(
    workdir: Path,
    kills: int,
    *,
    seed: int = 0,
    batch_size: int = 6,
    extra: int = 25,
    progress: Callable[[CampaignResult], None] | None = None,
) -> CampaignResult:
    """Ingest batches of new letters in child processes and SIGKILL each at a random moment.

    Every job ingests the previous batch (finishing what the last kill interrupted) and a new
    one. After each kill the database is checked as the dead process left it. Half the jobs
    go through ``bot.cli.main(["ingest", ...])``, half through ``LetterService.add_path``."""
    rng = random.Random(seed)
    result = CampaignResult("ingest")
    db = workdir / "ingest.sqlite3"
    started = time.monotonic()
    expected: set[str] = set()
    folders: list[Path] = []

    def check(after: str) -> DbCheck:
        c = check_database(db)
        if c.integrity != ["ok"] or c.foreign_keys:
            result.integrity_failures += 1
            result.problems.append(f"{after}: integrity {c.integrity[:3]}, fk {c.foreign_keys}")
        if c.partial:
            result.partial_letters += len(c.partial)
            result.problems.extend(f"{after}: {p}" for p in c.partial[:5])
        if not c.content_hashes <= expected:
            result.problems.append(f"{after}: letters nobody ingested")
        return c

    async with Zygote.start(workdir) as zygote:
        # calibration: how long one job takes when nobody kills it
        folders.append(workdir / "batch-0")
        expected |= {_hash(p) for p in write_batch(folders[0], 0, batch_size, extra=extra)}
        first = await zygote.run(
            {"kind": "ingest", "db": str(db), "paths": [str(folders[0])]}, kill_after=None
        )
        result.runs += 1
        if first.code != 0 or first.info.startswith("error="):
            result.child_errors.append(f"calibration: {first.code} {first.info}")
            return result
        window = max(0.2, first.ran_for)
        batch = 0
        max_runs = kills * 4 + 5
        while result.kills < kills and result.runs < max_runs:
            batch += 1
            folder = workdir / f"batch-{batch}"
            expected |= {_hash(p) for p in write_batch(folder, batch, batch_size, extra=extra)}
            folders.append(folder)
            kind = "cli-ingest" if batch % 2 else "ingest"
            delay = rng.uniform(0, window)
            job = {"kind": kind, "db": str(db), "paths": [str(f) for f in folders[-2:]]}
            outcome = await zygote.run(job, kill_after=delay)
            result.runs += 1
            if outcome.killed:
                result.kills += 1
                result.kill_delays.append(delay)
            else:
                window = max(0.2, outcome.ran_for)  # kill anywhere inside a whole job
                if outcome.code != 0 or outcome.info.startswith("error="):
                    result.child_errors.append(
                        f"{kind} batch {batch}: {outcome.code} {outcome.info}"
                    )
            await asyncio.to_thread(check, f"after {kind} batch {batch} (killed={outcome.killed})")
            if progress:
                progress(result)
        # a clean run over everything: every letter is then present exactly once, whole
        await _final_ingest(zygote, db, folders, expected, result, check)
        # the bot's start heals derived data a kill interrupted (recommendations on open,
        # vectors on warm): after it no letter lacks any
        warm = await zygote.run({"kind": "warm", "db": str(db)}, kill_after=None)
        if warm.code != 0 or warm.info.startswith("error="):
            result.child_errors.append(f"open + warm: {warm.code} {warm.info}")
        result.problems.extend(derived_complete(db))
        await asyncio.to_thread(check, "after open + warm")
    result.seconds = time.monotonic() - started
    return result


def vector_count(path: Path) -> int:
    with sql(path) as conn:
        return int(conn.execute("SELECT count(*) FROM sentence_vectors").fetchone()[0])


async def vector_campaign(
    workdir: Path,
    kills: int,
    *,
    seed: int = 0,
    batch_size: int = 4,
    extra: int = 25,
    progress: Callable[[CampaignResult], None] | None = None,
) -> CampaignResult:
    """Kill ingests while they compute vectors, then check that a question asked meanwhile
    computes none, and that the next ingest fills every one in, nothing doubled.

    Each job ingests the previous batch and a new one and announces its vector phase; the kill
    comes at a random moment after the first announcement (drawn over the rest of a whole
    job). After each kill: the database is checked as left, then a ``briefbot ask`` in a fresh
    process must leave the vector count as it was. A final ingest of everything, without the
    bot's warm-up, must leave every letter once, with all its vectors and recommendations."""
    rng = random.Random(seed)
    result = CampaignResult("vectors")
    db = workdir / "vectors.sqlite3"
    started = time.monotonic()
    expected: set[str] = set()
    folders: list[Path] = []
    question = "Wat vraagt de inspectie over de capaciteit van de opvang van kinderen?"

    def check(after: str) -> DbCheck:
        c = check_database(db)
        if c.integrity != ["ok"] or c.foreign_keys:
            result.integrity_failures += 1
            result.problems.append(f"{after}: integrity {c.integrity[:3]}, fk {c.foreign_keys}")
        if c.partial:
            result.partial_letters += len(c.partial)
            result.problems.extend(f"{after}: {p}" for p in c.partial[:5])
        return c

    async with Zygote.start(workdir) as zygote:
        folders.append(workdir / "batch-0")
        expected |= {_hash(p) for p in write_batch(folders[0], 0, batch_size, extra=extra)}
        first = await zygote.run(
            {"kind": "ingest", "db": str(db), "paths": [str(folders[0])], "announce": "vectors"},
            kill_after=None,
        )
        result.runs += 1
        if first.code != 0 or first.info.startswith("error="):
            result.child_errors.append(f"calibration: {first.code} {first.info}")
            return result
        window = max(0.1, first.armed_for)
        batch = 0
        while result.kills < kills and result.runs < kills * 6 + 5:
            batch += 1
            folder = workdir / f"batch-{batch}"
            expected |= {_hash(p) for p in write_batch(folder, batch, batch_size, extra=extra)}
            folders.append(folder)
            kind = "cli-ingest" if batch % 2 else "ingest"
            delay = rng.uniform(0, window)
            job = {"kind": kind, "db": str(db), "paths": [str(f) for f in folders[-2:]],
                   "announce": "vectors"}  # fmt: skip
            outcome = await zygote.run(job, kill_after=delay, arm="vectors")
            result.runs += 1
            await asyncio.to_thread(check, f"after {kind} batch {batch} (killed={outcome.killed})")
            if not outcome.killed:
                window = max(0.1, outcome.armed_for)
                if outcome.code != 0 or outcome.info.startswith("error="):
                    result.child_errors.append(
                        f"{kind} batch {batch}: {outcome.code} {outcome.info}"
                    )
                continue
            result.kills += 1
            result.kill_delays.append(delay)
            before = await asyncio.to_thread(vector_count, db)
            asked = await zygote.run(
                {"kind": "ask", "db": str(db), "question": question}, kill_after=None
            )
            result.runs += 1
            if asked.code != 0 or asked.info.startswith("error="):
                result.child_errors.append(f"ask after batch {batch}: {asked.code} {asked.info}")
            after = await asyncio.to_thread(vector_count, db)
            if after != before:
                result.problems.append(
                    f"a question after the kill of batch {batch} computed {after - before} vectors"
                )
            if progress:
                progress(result)
        await _final_ingest(zygote, db, folders, expected, result, check)
        result.problems.extend(  # filled in by the ingest itself, no warm-up needed
            f"after the final ingest: {p}" for p in derived_complete(db)
        )
    result.seconds = time.monotonic() - started
    return result


# ---- digests

# "digest 5/2026-11-27", an operator's extra "digest 5/2026-11-27#1", then "· 2/3" for part 2
_MARKER = re.compile(r"digest (\d+)/(\d{4}-\d{2}-\d{2}(?:#\d+)?)(?: · (\d+)/(\d+))?")


@dataclass
class Posted:
    """The digest messages seen on the server for one (subscription, due date)."""

    heads: int = 0
    parts: list[tuple[int, int]] = field(default_factory=list)  # (part, of) when numbered
    messages: int = 0


def posted_digests(server: Any, where: list[Any]) -> dict[tuple[int, str], Posted]:
    out: dict[tuple[int, str], Posted] = defaultdict(Posted)
    for target in where:
        for message in server.messages(target, from_bot=True):
            found = None
            for e in message.embeds:
                m = _MARKER.search((e.get("footer") or {}).get("text") or "")
                if m:
                    found = m
                    break
            if found is None:
                continue
            p = out[(int(found[1]), found[2])]
            p.messages += 1
            if found[3]:
                p.parts.append((int(found[3]), int(found[4])))
            title = (message.embeds[0].get("title") or "") if message.embeds else ""
            if title.startswith(("Digest of ", "Overzicht van ")):
                p.heads += 1
    return out


def _digest_problems(p: Posted, *, complete: bool) -> tuple[int, int, list[str]]:
    """(lost, doubled, details) for one (subscription, due date)."""
    doubled = p.heads > 1 or any(n > 1 for n in Counter(p.parts).values())
    lost = False
    notes = []
    if complete:
        if p.heads == 0:
            lost = True
            notes.append("not posted")
        if p.parts:
            of = p.parts[0][1]
            missing = set(range(1, of + 1)) - {part for part, _ in p.parts}
            if missing:
                lost = True
                notes.append(f"parts {sorted(missing)} of {of} missing")
    if doubled:
        notes.append(f"{p.heads} heads, parts {sorted(p.parts)}")
    return int(lost), int(doubled), notes


async def digest_campaign(
    workdir: Path,
    kills: int,
    *,
    seed: int = 0,
    channels: int = 16,
    users: int = 4,
    new_letters: int = 5,
    progress: Callable[[CampaignResult], None] | None = None,
) -> CampaignResult:
    """Deliver daily digests from child processes against a Discord test server running
    here, SIGKILL each child at a random moment, restart after the claim went stale.

    Day after day every subscription is due; a third of them get a digest with new letters
    (several messages), the others a short one. A day ends with a run nobody killed; then
    every (subscription, day) must have exactly one complete digest and a ``sent`` delivery.
    """
    from bot.services.app import Services
    from bot.services.clock import ManualClock
    from bot.services.digests import STALE_CLAIM
    from tests.discord_server import DiscordTestServer
    from tests.discord_server.state import Permissions

    rng = random.Random(seed)
    result = CampaignResult("digests")
    started = time.monotonic()
    db = workdir / "digests.sqlite3"
    start = datetime(2026, 11, 27, 7, 59, tzinfo=UTC)  # 08:59 in Amsterdam
    async with DiscordTestServer(token=TOKEN) as server:
        guild = server.add_guild("Kill")
        admin = server.add_user("admin")
        server.add_member(guild, admin, permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD)
        targets: list[Any] = [server.add_channel(guild, f"kanaal-{i}") for i in range(channels)]
        people = [server.add_user(f"lezer-{i}") for i in range(users)]
        targets += people
        # seeds the bundled letter
        app = await Services.open(_settings(str(db)), clock=ManualClock(start))
        try:
            letters = workdir / "letters"
            write_batch(letters, 0, new_letters, extra=8, long=True)
            await app.letters.add_path([letters])
            service = app.digests
            for ch in targets[:channels]:
                await service.subscribe(
                    kind="channel", user_id=admin.id, guild_id=guild.id, channel_id=ch.id,
                    time_text="09:00", language="en",
                )  # fmt: skip
            for user in people:
                await service.subscribe(
                    kind="user", user_id=user.id, guild_id=None, time_text="09:00", language="en"
                )
            sub_ids = [s.id for s in await app.store.digests.list()]
        finally:
            await app.close()

        async with Zygote.start(workdir) as zygote:
            day = 0
            window: float | None = None
            checked: set[tuple[int, str]] = set()
            while result.kills < kills and day < kills * 3 + 3:
                due = start + timedelta(days=day, minutes=1)  # 09:00 local
                day_key = due.date().isoformat()
                with sql(db) as conn:  # every third subscription has news today
                    conn.execute(
                        "UPDATE subscriptions SET seen_letter_id = 0 WHERE id % 3 = ?", (day % 3,)
                    )
                attempt = 0
                restart_gap = STALE_CLAIM + timedelta(seconds=1)  # the claim is stale by then
                while True:
                    now = due + timedelta(seconds=1) + attempt * restart_gap
                    job = {
                        "kind": "digests", "db": str(db), "api_base": server.api_base,
                        "now": now.isoformat(),
                    }  # fmt: skip
                    delay = None if window is None else rng.uniform(0, window)
                    outcome = await zygote.run(job, kill_after=delay)
                    result.runs += 1
                    if window is None:
                        window = max(0.2, outcome.ran_for * 1.2)  # calibrated on day 0
                    await server.settle(0.05, timeout=30)
                    for key, p in posted_digests(server, targets).items():
                        if key[1] == day_key:
                            _, doubled, notes = _digest_problems(p, complete=False)
                            if doubled and key not in checked:
                                result.doubled_digests += 1
                                checked.add(key)
                                result.problems.append(f"{key}: {'; '.join(notes)}")
                    integrity = await asyncio.to_thread(check_database, db)
                    if integrity.integrity != ["ok"] or integrity.foreign_keys:
                        result.integrity_failures += 1
                    if outcome.killed:
                        result.kills += 1
                        result.kill_delays.append(delay or 0.0)
                        attempt += 1
                        if attempt > 30:
                            result.problems.append(f"day {day_key}: never finished")
                            break
                        continue
                    if outcome.code != 0 or outcome.info.startswith("error="):
                        result.child_errors.append(f"day {day_key}: {outcome.code} {outcome.info}")
                    break
                # the day is over: exactly one complete digest per subscription
                posted = posted_digests(server, targets)
                with sql(db) as conn:
                    statuses = dict(
                        conn.execute(
                            "SELECT subscription_id, status FROM deliveries WHERE due_date = ?",
                            (day_key,),
                        ).fetchall()
                    )
                for sid in sub_ids:
                    lost, doubled, notes = _digest_problems(
                        posted.get((sid, day_key), Posted()), complete=True
                    )
                    if lost:
                        result.lost_digests += 1
                        result.problems.append(f"({sid}, {day_key}): {'; '.join(notes)}")
                    if doubled and (sid, day_key) not in checked:
                        result.doubled_digests += 1
                        checked.add((sid, day_key))
                    if statuses.get(sid) != "sent":
                        result.problems.append(
                            f"({sid}, {day_key}): delivery {statuses.get(sid)!r}, not 'sent'"
                        )
                if progress:
                    progress(result)
                day += 1
        extra = {key for key in posted_digests(server, targets) if key[0] not in sub_ids}
        if extra:
            result.problems.append(f"digests for unknown subscriptions: {sorted(extra)[:3]}")
        if server.internal_errors:
            result.problems.append(f"test server errors: {server.internal_errors[:2]}")
    result.seconds = time.monotonic() - started
    return result


# ---- followed sources


async def poll_campaign(
    workdir: Path,
    kills: int,
    *,
    seed: int = 0,
    per_round: int = 3,
    progress: Callable[[CampaignResult], None] | None = None,
) -> CampaignResult:
    """Poll a followed Tweede Kamer source (a fake of its OData API running here) from child
    processes and SIGKILL each at a random moment; between rounds the source publishes new
    documents, changes one and deletes one. A killed poll's lease is let run out (as time
    would), and the next poll goes on. After every kill the database must be whole; after a
    last clean poll every live document must be exactly one letter, at its latest version,
    and no deleted one may be left (``doubled_digests`` counts documents stored twice,
    ``lost_digests`` documents missing or stale)."""
    import hashlib

    from bot.services.app import Services
    from tests.fake_tweedekamer import FakeDocument, FakeTweedeKamer
    from tests.source_docs import letter_pdf

    rng = random.Random(seed)
    result = CampaignResult("poll")
    started = time.monotonic()
    db = workdir / "poll.sqlite3"
    today = datetime.now(UTC).date()
    serial = 0

    def publish(fake: FakeTweedeKamer, n: int) -> None:
        nonlocal serial
        for _ in range(n):
            fake.add(
                FakeDocument(
                    soort="Brief regering", onderwerp=f"Aanpak mensenhandel {serial}",
                    datum=today - timedelta(days=rng.randint(0, 300)),
                    content=letter_pdf(serial), dossiers=[(28638, None)],
                )
            )  # fmt: skip
            serial += 1

    def check(after: str) -> None:
        c = check_database(db)
        if c.integrity != ["ok"] or c.foreign_keys:
            result.integrity_failures += 1
            result.problems.append(f"{after}: integrity {c.integrity[:3]}, fk {c.foreign_keys}")
        if c.partial:
            result.partial_letters += len(c.partial)
            result.problems.extend(f"{after}: {p}" for p in c.partial[:5])
        with sql(db) as conn:
            doubled = conn.execute(
                "SELECT source_ref, count(*) FROM letters WHERE source_id IS NOT NULL"
                " GROUP BY source_ref HAVING count(*) > 1"
            ).fetchall()
            same = conn.execute(
                "SELECT content_hash, count(*) FROM letters GROUP BY content_hash"
                " HAVING count(*) > 1"
            ).fetchall()
        if doubled or same:
            result.doubled_digests += len(doubled) + len(same)
            result.problems.append(f"{after}: stored twice: {doubled[:3]} {same[:3]}")

    async with FakeTweedeKamer() as fake:
        app = await Services.open(_settings(str(db)), seed=False)
        try:
            await app.sources.follow_tweedekamer(
                dossiers=["28638"], since=(today - timedelta(days=365)).isoformat()
            )
        finally:
            await app.close()
        publish(fake, per_round)
        job = {"kind": "poll", "db": str(db), "tk_url": fake.base_url}
        async with Zygote.start(workdir) as zygote:
            first = await zygote.run(job, kill_after=None)
            result.runs += 1
            if first.code != 0 or "errors=0" not in first.info:
                result.child_errors.append(f"calibration: {first.code} {first.info}")
                return result
            window = max(0.2, first.ran_for)
            rounds = 0
            while result.kills < kills and rounds < kills * 4 + 5:
                rounds += 1
                publish(fake, per_round)
                live = [d for d in fake.docs.values() if not d.verwijderd]
                if rounds % 3 == 0 and live:
                    changed = rng.choice(live)
                    fake.change(changed.id, content=letter_pdf(
                        int(changed.onderwerp.rsplit(" ", 1)[1]), version=rounds + 1))  # fmt: skip
                if rounds % 4 == 0 and len(live) > 2:
                    fake.delete(rng.choice(live).id)
                delay = rng.uniform(0, window)
                outcome = await zygote.run(job, kill_after=delay)
                result.runs += 1
                if outcome.killed:
                    result.kills += 1
                    result.kill_delays.append(delay)
                    with sql(db) as conn:  # the dead poll's lease runs out, as time would
                        conn.execute("UPDATE sources SET lease_owner = NULL, lease_until = NULL")
                else:
                    window = max(0.2, outcome.ran_for)
                    if outcome.code != 0 or "errors=0" not in outcome.info:
                        result.child_errors.append(f"round {rounds}: {outcome.code} "
                                                   f"{outcome.info}")  # fmt: skip
                await asyncio.to_thread(check, f"after round {rounds} (killed={outcome.killed})")
                if progress:
                    progress(result)
            final = await zygote.run(job, kill_after=None)
            result.runs += 1
            if final.code != 0 or "errors=0" not in final.info:
                result.child_errors.append(f"final poll: {final.code} {final.info}")
            await asyncio.to_thread(check, "after the final poll")
            with sql(db) as conn:
                stored = dict(
                    conn.execute(
                        "SELECT source_ref, content_hash FROM letters WHERE source_id IS NOT NULL"
                    ).fetchall()
                )
            expected = {
                d.id: hashlib.sha256(d.content or b"").hexdigest()
                for d in fake.docs.values()
                if not d.verwijderd
            }
            missing = [ref for ref, h in expected.items() if stored.get(ref) != h]
            extra = [ref for ref in stored if ref not in expected]
            if missing or extra:
                result.lost_digests += len(missing) + len(extra)
                result.problems.append(
                    f"after the final poll: {len(missing)} documents missing or stale, "
                    f"{len(extra)} deleted ones still stored"
                )
    result.seconds = time.monotonic() - started
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
