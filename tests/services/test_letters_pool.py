"""Ingest of many files through the reading processes (``bot.services.letters.pool``): the same
letters, numbers, sentences, recommendations and refusals as reading them one by one here,
in file order, on a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.services import letters as svc
from bot.services.app import Services
from bot.services.letters import pool
from bot.settings import Settings
from tests.letters import HandmadeLetter
from tests.pdf_factory import make_pdf

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
TOWNS = ["Zwolle", "Assen", "Lelystad", "Middelburg", "Maastricht", "Arnhem", "Haarlem",
         "Leeuwarden", "Groningen", "Utrecht", "Breda", "Tilburg"]  # fmt: skip
TOPICS = ["de wachtlijsten", "de pleegzorg", "de gesloten jeugdhulp", "de opvang van moeders",
          "de nazorg", "de schuldhulp", "de vrijwilligers", "het onderwijs", "de huisvesting",
          "de zorgverzekering", "de jeugdreclassering", "de meldcode"]  # fmt: skip


def letter(i: int) -> HandmadeLetter:
    """A letter of its own: sentences no other letter of the set has."""
    town, topic = TOWNS[i], TOPICS[i]
    page2 = [
        f"gemeenten in de regio {town} hun plannen voor {topic} kunnen uitvoeren. In {town}",
        f"wachten nu {i + 3} gezinnen op een gesprek over {topic} met de gemeente.",
        f"Ik verzoek u de gemeente {town} elk kwartaal over {topic} te laten rapporteren.",
        f"Aanpak in {town}",
        f"De zorgen over {topic} in {town} zijn groot en de middelen zijn beperkt.",
        f"Ik vraag u daarom voor {topic} in {town} een plan op te stellen voor de zomer.",
    ]
    page1 = [
        f"Met deze brief informeer ik u over {topic} in de gemeente {town} en over de",
        f"uitkomsten van ons bezoek aan {town} in het voorjaar, zodat",
    ]
    return HandmadeLetter(subject=f"{topic.capitalize()} in {town}", page1=page1, page2=page2)


def write_folder(folder: Path) -> list[str]:
    """Twelve letters with a bad text file and a broken PDF between them; the bad names."""
    folder.mkdir()
    for i in range(12):
        (folder / f"brief-{i:02d}.txt").write_text(letter(i).text(), encoding="utf-8")
    (folder / "brief-04a.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "brief-07a.pdf").write_bytes(make_pdf(["Geachte heer, dit is een brief."])[:300])
    return ["brief-04a.txt", "brief-07a.pdf"]


async def _ingest(tmp_path: Path, folder: Path, name: str, workers: int):  # type: ignore[no-untyped-def]
    db = tmp_path / f"{name}.sqlite3"
    settings = Settings(BRIEFBOT_DB=str(db), BRIEFBOT_LETTERS_DIR=str(BUNDLED))
    app = await Services.open(settings, seed=False)
    try:
        report = await svc.ingest_paths(
            app.store, [folder], on_stored=app.letters._stored, workers=workers
        )
    finally:
        await app.close()
    with sqlite3.connect(db) as conn:
        letters = conn.execute(
            "SELECT id, number, slug, subject, sentence_count FROM letters ORDER BY id"
        ).fetchall()
        sentences = conn.execute(
            "SELECT letter_id, number, text, norm FROM sentences ORDER BY id"
        ).fetchall()
        recs = conn.execute(
            "SELECT * FROM recommendations ORDER BY letter_id, sentence_number"
        ).fetchall()
        topics = conn.execute(
            "SELECT lt.letter_id, t.slug, t.name, lt.weight, "
            "(SELECT group_concat(t2.slug) FROM recommendations r "
            " JOIN recommendation_topics rt ON rt.recommendation_id = r.id "
            " JOIN topics t2 ON t2.id = rt.topic_id WHERE r.letter_id = lt.letter_id) "
            "FROM letter_topics lt JOIN topics t ON t.id = lt.topic_id "
            "ORDER BY lt.letter_id, t.slug"
        ).fetchall()
    return report, letters, sentences, recs, topics


async def test_reading_processes_store_what_reading_here_stores(tmp_path, caplog):
    folder = tmp_path / "in"
    bad = write_folder(folder)
    here = await _ingest(tmp_path, folder, "here", workers=1)
    pooled = await _ingest(tmp_path, folder, "pooled", workers=2)
    # the refusals came back from the reading processes (picklable), none of which died
    assert not [r for r in caplog.records if r.name == pool.__name__]
    report = pooled[0]
    # every good file stored, in file order; each bad one refused with its reason
    assert [Path(i.path).name for i in report.ingested] == [f"brief-{i:02d}.txt" for i in range(12)]
    assert all(i.status == "added" for i in report.ingested)
    assert sorted(Path(e.path).name for e in report.errors) == bad
    assert [(Path(e.path).name, e.error) for e in report.errors] == [
        (Path(e.path).name, e.error) for e in here[0].errors
    ]
    # the same rows: letters (numbers in file order), sentences, recommendations, topics
    for mine, theirs in zip(pooled[1:], here[1:], strict=True):
        assert mine == theirs
    letters, _, recs, topics = pooled[1:]
    assert [row[1] for row in letters] == list(range(1, 13))
    assert recs and topics  # the analysis ran (where the letters were read)


async def test_few_files_are_read_here(tmp_path, monkeypatch):
    """Below POOL_MIN_FILES no process is started: reading stays in a thread."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"b{i}.txt").write_text(letter(i).text(), encoding="utf-8")
    started: list[int] = []
    real = pool.ProcessPoolExecutor

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, *a, **kw):  # type: ignore[no-untyped-def]
            started.append(1)
            super().__init__(*a, **kw)

    monkeypatch.setattr(pool, "ProcessPoolExecutor", Counting)
    read = [r async for r in pool.read_files(sorted(folder.iterdir()), workers=2)]
    assert started == []
    assert [r.path.name for r in read] == ["b0.txt", "b1.txt", "b2.txt"]
    assert all(r.error is None and r.reading and r.analyses for r in read)
    many = [folder / f"b{i % 3}.txt" for i in range(pool.POOL_MIN_FILES)]
    read = [r async for r in pool.read_files(many, workers=2)]
    assert started == [1]
    assert [r.path for r in read] == many


def test_reading_workers_follow_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("BRIEFBOT_READ_WORKERS", "3")
    settings = Settings(BRIEFBOT_DB=str(tmp_path / "s.sqlite3"))
    assert settings.read_workers == 3 and pool.reading_workers(settings.read_workers) == 3
    assert pool.reading_workers(1) == 1
    assert 1 <= pool.reading_workers() <= pool.MAX_WORKERS
    monkeypatch.setenv("BRIEFBOT_READ_WORKERS", "0")
    with pytest.raises(ValidationError):
        Settings(BRIEFBOT_DB=str(tmp_path / "s.sqlite3"))


async def test_the_analysis_made_where_a_letter_is_read_is_the_one_used(tmp_path):
    """The key of a parsed letter's analysis is the key of its stored sentences: the letter
    service takes the analysis made in the reading process instead of computing it again."""
    from bot.core.parse import parse_letter
    from bot.services.recommendations import analyse_letter, analyse_parsed, analysis_key

    folder = tmp_path / "in"
    write_folder(folder)
    settings = Settings(BRIEFBOT_DB=str(tmp_path / "k.sqlite3"), BRIEFBOT_LETTERS_DIR=str(BUNDLED))
    app = await Services.open(settings, seed=False)
    try:
        for i in (0, 5, 11):
            text = (folder / f"brief-{i:02d}.txt").read_text(encoding="utf-8")
            key, analysis = analyse_parsed(parse_letter(text))
            report = await app.letters.add_path([folder / f"brief-{i:02d}.txt"])
            record = report.ingested[0].letter
            stored = await app.store.letters.sentences(record.id)
            assert analysis_key(stored, record.subject, record.sender) == key
            assert analyse_letter(stored, record.subject, record.sender) == analysis
    finally:
        await app.close()


def test_a_refusal_comes_back_from_a_reading_process_as_it_was():
    import pickle

    from bot.core.models import LetterError
    from bot.services.letters.reading import part_refused

    why = LetterError("file_too_big", "the file is larger than 20 MB", limit=20)
    for error in (why, part_refused(2, 3, why)):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is LetterError
        assert (back.key, back.detail, str(back)) == (error.key, error.detail, str(error))
        assert back.params.keys() == error.params.keys()


_KILLED_CHILD = """
import asyncio, sys
from pathlib import Path
from bot.services.letters import pool

async def main():
    files = [Path(sys.argv[1])] * 400
    async for read in pool.read_files(files, workers=2):
        print("read", flush=True)

asyncio.run(main())
"""


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def test_reading_processes_end_when_the_ingest_is_killed(tmp_path):
    """SIGKILL the process that reads: its reading processes do not wait for ever."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import pytest

    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc to find the reading processes")
    f = tmp_path / "brief.txt"
    f.write_text(letter(0).text(), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CHILD, str(f)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "read"  # the pool is up and reading
        readers = [p for p in _children(proc.pid) if "spawn_main" in _cmdline(p)]
        assert readers
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in readers):
        time.sleep(0.2)
    assert not [p for p in readers if _alive(p)]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
