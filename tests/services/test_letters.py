"""Ingest through the letter service on a real SQLite file: idempotence and refusals."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
from pathlib import Path

import pytest

from bot.services import letters as svc
from bot.services.app import Services
from bot.services.letters import files as letter_files
from bot.services.letters import pool as letter_pool
from bot.settings import Settings
from bot.store import open_store
from tests.letters import HandmadeLetter
from tests.pdf_factory import make_pdf

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
#: A second page whose sentences no other test letter has: a different letter.
OTHER_PAGE2 = [
    "zorgaanbieders hun wachtlijsten kunnen verkorten. Jongeren wachten nu gemiddeld veertien",
    "weken op een eerste gesprek. Ik verzoek u de gemeenten te vragen elk kwartaal over de",
    "wachttijden te rapporteren.",
    "Wachtlijsten",
    "De wachtlijsten in de specialistische jeugdhulp moeten binnen een jaar zijn gehalveerd.",
    "Ik vraag u daarover in het voorjaar aan de Tweede Kamer te rapporteren.",
]


def other_letter(subject: str = "Wachtlijsten in de jeugdhulp", **kw) -> HandmadeLetter:
    page1 = [
        "Met deze brief informeer ik u over de wachtlijsten in de jeugdhulp in het noorden",
        "van het land en over wat gemeenten daaraan kunnen doen, zodat gemeenten en",
    ]
    return HandmadeLetter(subject=subject, page1=page1, page2=list(OTHER_PAGE2), **kw)


def settings_for(tmp_path: Path) -> Settings:
    return Settings(BRIEFBOT_DB=str(tmp_path / "b.sqlite3"), BRIEFBOT_LETTERS_DIR=str(BUNDLED))


def vector_rows(db: Path) -> dict[int, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT letter_id, count(*) FROM sentence_vectors GROUP BY 1"))


def _counts(db: Path) -> tuple[int, int, int]:
    with sqlite3.connect(db) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("letters", "sentences", "sentences_fts")
        )


async def test_ingest_is_idempotent(tmp_path):
    db = tmp_path / "b.sqlite3"
    async with open_store(db) as store:
        first = await svc.ingest_paths(store, [BUNDLED])
        second = await svc.ingest_paths(store, [BUNDLED])
    assert [i.status for i in first.ingested] == ["added"]
    assert [i.status for i in second.ingested] == ["unchanged"]
    assert first.ingested[0].letter.id == second.ingested[0].letter.id
    letters, sentences, fts = _counts(db)
    assert letters == 1
    assert sentences == fts == first.ingested[0].letter.sentence_count > 40


async def test_same_text_from_two_paths_is_one_letter(tmp_path):
    a = tmp_path / "a.txt"
    b = tmp_path / "copy" / "b.txt"
    b.parent.mkdir()
    text = HandmadeLetter().text()
    a.write_text(text, encoding="utf-8")
    b.write_text(text, encoding="utf-8")
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await svc.ingest_paths(store, [a, b])
    assert [i.status for i in report.ingested] == ["added", "unchanged"]


async def test_pdf_and_text_letters_are_both_read(tmp_path):
    letter = HandmadeLetter()
    (tmp_path / "letter.pdf").write_bytes(make_pdf(letter.text().split("\f")[:2]))
    other = HandmadeLetter(subject="Wachtlijsten in de jeugdhulp", page2=OTHER_PAGE2)
    (tmp_path / "letter.txt").write_text(other.damaged(), encoding="utf-8")
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await svc.ingest_paths(store, [tmp_path])
        kinds = sorted(i.letter.source_kind for i in report.ingested)
        pdf = next(i.letter for i in report.ingested if i.letter.source_kind == "pdf")
        sentences = await store.letters.sentences(pdf.id)
    assert report.errors == []
    assert kinds == ["pdf", "txt"]
    assert pdf.pages == 2
    assert any("zodat gemeenten en zorgaanbieders" in s.text for s in sentences)


def _bad_files(folder: Path) -> dict[str, str]:
    """file name -> the words its refusal must contain."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "notes.txt").write_text("boodschappen: melk, brood, kaas " * 30, encoding="utf-8")
    (folder / "english.txt").write_text(
        "The committee discussed the report on trafficking and asked for a response. " * 30,
        encoding="utf-8",
    )
    (folder / "page.pdf").write_text("<!DOCTYPE html><html><body>brief</body></html>")
    (folder / "broken.pdf").write_bytes(make_pdf(["Geachte heer, dit is een brief."])[:300])
    (folder / "scan.pdf").write_bytes(make_pdf(["", ""]))
    (folder / "letter.docx").write_bytes(b"PK\x03\x04 not really")
    huge = folder / "huge.txt"
    with huge.open("wb") as fh:
        fh.truncate(svc.MAX_FILE_BYTES + 1)
    return {
        "empty.txt": "empty",
        "binary.txt": "binary",
        "notes.txt": "letter",
        "english.txt": "Dutch",
        "page.pdf": "HTML",
        "broken.pdf": "",
        "scan.pdf": "text layer",
        "letter.docx": "unknown file type",
        "huge.txt": "limit",
    }


async def test_bad_files_are_refused_with_reasons_and_good_ones_still_stored(tmp_path):
    bad = tmp_path / "in"
    bad.mkdir()
    expected = _bad_files(bad)
    good = bad / "good.txt"
    good.write_text(HandmadeLetter().text(), encoding="utf-8")
    paths = sorted(bad.iterdir())
    db = tmp_path / "b.sqlite3"
    async with open_store(db) as store:
        report = await svc.ingest_paths(store, paths)
    refused = {Path(e.path).name: e.error for e in report.errors}
    assert set(refused) == set(expected)
    for name, words in expected.items():
        assert words.lower() in refused[name].lower(), (name, refused[name])
        assert "\n" not in refused[name] and refused[name].strip()
    assert [Path(i.path).name for i in report.ingested] == ["good.txt"]
    letters, sentences, fts = _counts(db)
    assert letters == 1 and sentences == fts > 0


async def test_missing_path_is_an_error_not_a_crash(tmp_path):
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await svc.ingest_paths(store, [tmp_path / "nope.txt"])
    assert report.ingested == []
    assert report.errors[0].error == "no such file or folder"


async def test_utf16_and_windows_1252_letters_are_read(tmp_path):
    text = HandmadeLetter().text()
    (tmp_path / "a.txt").write_bytes(text.encode("utf-16-le"))
    (tmp_path / "b.txt").write_bytes(text.replace("Ik maak", "Ik, maak").encode("cp1252"))
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await svc.ingest_paths(store, [tmp_path])
    assert report.errors == []
    assert len(report.ingested) == 2


async def test_seed_only_into_an_empty_store(tmp_path):
    app = await Services.open(settings_for(tmp_path), seed=False)
    try:
        first = await app.letters.seed()
        second = await app.letters.seed()
        assert first is not None and len(first.ingested) == 1
        assert second is None
        assert await app.store.letters.count() == 1
    finally:
        await app.close()
    again = await Services.open(settings_for(tmp_path))  # seeds only an empty store
    try:
        assert await again.store.letters.count() == 1
    finally:
        await again.close()


@pytest.mark.parametrize("name", ["Brief aan de Minister (2019).txt", "...", "12345.txt"])
def test_slugs_are_ascii_and_never_empty(name):
    slug = svc.slugify(name)
    assert slug and slug == slug.lower()
    assert all((ch.isalnum() and ch.isascii()) or ch == "-" for ch in slug)


async def test_an_upload_with_too_many_sentences_is_refused_and_nothing_stored(tmp_path):
    letter = HandmadeLetter()
    letter.page2 = [
        f"De opvang in regio {i} moet worden verbeterd."
        for i in range(svc.MAX_UPLOAD_SENTENCES + 5)
    ]
    db = tmp_path / "b.sqlite3"
    async with open_store(db) as store:
        with pytest.raises(svc.LetterError, match="at most"):
            await svc.ingest_upload(store, letter.text().encode(), filename="lang.txt", guild_id=1)
    assert _counts(db) == (0, 0, 0)


# --------------------------------------------------------------------------- special files


def _special_files(folder: Path) -> dict[str, str]:
    """name -> words its refusal must contain; each would hang or exhaust a naive reader."""
    (folder / "zero.txt").symlink_to("/dev/zero")  # st_size 0, endless bytes
    (folder / "null.pdf").symlink_to("/dev/null")
    os.mkfifo(folder / "fifo.txt")  # nobody writes: a blocking open never returns
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(folder / "sock.txt"))
    sock.close()
    (folder / "gone.txt").symlink_to(folder / "nowhere.txt")
    return {
        "zero.txt": "character device",
        "null.pdf": "character device",
        "fifo.txt": "FIFO",
        "sock.txt": "socket",
        "gone.txt": "link to nothing",
    }


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symlinks")
async def test_special_files_named_directly_are_refused_at_once(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    expected = _special_files(folder)
    good = folder / "good.txt"
    good.write_text(HandmadeLetter().text(), encoding="utf-8")
    paths = [folder / name for name in expected] + [good]
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await asyncio.wait_for(svc.ingest_paths(store, paths), timeout=60)
    refused = {Path(e.path).name: e.error for e in report.errors}
    assert set(refused) == set(expected)
    for name, words in expected.items():
        assert words.lower() in refused[name].lower(), (name, refused[name])
        assert "\n" not in refused[name]
    assert [Path(i.path).name for i in report.ingested] == ["good.txt"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symlinks")
async def test_special_files_in_a_folder_are_reported_not_read(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    expected = _special_files(folder)
    (folder / "good.txt").write_text(HandmadeLetter().text(), encoding="utf-8")
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await asyncio.wait_for(svc.ingest_paths(store, [folder]), timeout=60)
    assert {Path(e.path).name for e in report.errors} == set(expected)
    assert [Path(i.path).name for i in report.ingested] == ["good.txt"]


def test_read_file_never_reads_past_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(letter_files, "MAX_FILE_BYTES", 1000)  # where read_file reads it
    (tmp_path / "big.txt").write_bytes(b"a" * 1001)
    with pytest.raises(svc.LetterError, match="limit"):
        svc.read_file(tmp_path / "big.txt")
    (tmp_path / "small.txt").write_bytes(b"a" * 1000)
    assert svc.read_file(tmp_path / "small.txt") == b"a" * 1000
    with pytest.raises(svc.LetterError, match="a folder"):
        svc.read_file(tmp_path)


# --------------------------------------------------------------------------- odd names


@pytest.mark.skipif(os.name != "posix", reason="file names as bytes")
async def test_a_file_name_that_is_not_utf8_never_stops_an_ingest(tmp_path):
    """``bad\\xff.txt`` in a folder: read like any other, shown escaped, and the letters
    sorted after it are still stored."""
    folder = tmp_path / "in"
    folder.mkdir()
    fd = os.open(os.fsencode(folder) + b"/bad\xff.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, HandmadeLetter().text().encode())
    os.close(fd)
    (folder / "zz-later.txt").write_text(other_letter().text(), encoding="utf-8")
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await svc.ingest_paths(store, [folder])
        sources = [r.source_path for r in await store.letters.list(guild_id=None)]
    assert report.errors == []
    names = [Path(i.path).name for i in report.ingested]
    assert names == ["bad\\xff.txt", "zz-later.txt"]
    assert [Path(p).name for p in sources] == names  # stored as shown: valid UTF-8
    json.dumps([i.path for i in report.ingested], ensure_ascii=False).encode("utf-8")


async def test_an_upload_name_with_a_lone_surrogate_is_stored_and_escaped(tmp_path):
    app = await Services.open(settings_for(tmp_path), seed=False)
    try:
        record, created, _ = await app.letters.add_upload(
            HandmadeLetter().text().encode(), filename="brief\ud800\u202e.txt", guild_id=7
        )
    finally:
        await app.close()
    assert created
    assert record.source_path == "upload:brief\\ud800\\u202e.txt"
    record.source_path.encode("utf-8")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("gewoon brief.txt", "gewoon brief.txt"),
        ("twee\nregels.txt", "twee\\nregels.txt"),
        ("kleur\x1b[31m.txt", "kleur\\x1b[31m.txt"),
        ("omgekeerd\u202etxt.exe", "omgekeerd\\u202etxt.exe"),
        ("isolaat\u2067x\u2069.txt", "isolaat\\u2067x\\u2069.txt"),
        ("byte\udcff.txt", "byte\\xff.txt"),
        ("schuin\\streep.txt", "schuin\\\\streep.txt"),
        ("één brief.txt", "één brief.txt"),
    ],
)
def test_display_names_cannot_forge_lines_colour_or_reorder(name, shown):
    out = svc.display_name(name)
    assert out == shown
    assert out.isprintable()
    out.encode("utf-8")


# --------------------------------------------------------------------------- nothing dropped


async def test_two_letters_in_one_file_are_two_letters(tmp_path):
    first, second = HandmadeLetter(), other_letter()
    both = tmp_path / "twee.txt"
    both.write_text(first.text() + second.text(), encoding="utf-8")
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await svc.ingest_paths(store, [both])
        again = await svc.ingest_paths(store, [both])
        stored = await store.letters.list(guild_id=None)
        texts = [[s.text for s in await store.letters.sentences(r.id)] for r in stored]
    assert report.errors == [] and report.warnings == []
    assert [(i.part, i.parts, i.status) for i in report.ingested] == [
        (1, 2, "added"),
        (2, 2, "added"),
    ]
    assert [r.title for r in stored] == [first.subject, second.subject]
    assert any("veertien weken" in t for t in texts[1])  # the second letter's own sentences
    assert not any("veertien weken" in t for t in texts[0])
    assert [i.status for i in again.ingested] == ["unchanged", "unchanged"]


async def test_a_letter_repeated_in_a_file_is_stored_once_with_a_warning(tmp_path):
    """1.95 million characters of one letter pasted over and over (issue 11's 400 copies)."""
    one = (BUNDLED / next(p.name for p in BUNDLED.glob("*.txt"))).read_text(encoding="utf-8")
    copies = 1_950_000 // len(one)
    path = tmp_path / "herhaald.txt"
    path.write_text(one * copies, encoding="utf-8")
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await svc.ingest_paths(store, [path])
        single = tmp_path / "een.txt"
        single.write_text(one, encoding="utf-8")
        later = await svc.ingest_paths(store, [single])
    assert report.errors == []
    (item,) = report.ingested
    assert item.status == "added" and item.part is None
    assert item.letter.pages < 10 and item.letter.sentence_count > 40
    (warning,) = report.warnings
    assert f"{copies} times" in warning.warning and "stored once" in warning.warning
    # the letter on its own is then recognised as that letter, not stored again
    assert [i.letter.id for i in later.ingested] == [item.letter.id]


async def test_a_letter_in_a_file_that_cannot_be_read_is_reported(tmp_path):
    english = (
        "Geachte heer Jansen,\n"
        + "The committee discussed the report on trafficking and asked the minister for a "
        "response before the summer. " * 12 + "\nMet vriendelijke groet,\nJ. Jansen\n"
    )
    path = tmp_path / "twee.txt"
    path.write_text(HandmadeLetter().text() + english, encoding="utf-8")
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await svc.ingest_paths(store, [path])
    assert [(i.part, i.parts) for i in report.ingested] == [(1, 2)]
    (error,) = report.errors
    assert error.error.startswith("letter 2 of 2 in the file: ") and "Dutch" in error.error


# --------------------------------------------------------------------------- duplicates


async def test_the_same_letter_as_pdf_and_text_is_stored_once(tmp_path):
    letter = HandmadeLetter()
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(make_pdf(letter.text().split("\f")[:2]))
    txt = tmp_path / "brief.txt"
    txt.write_text(letter.text(), encoding="utf-8")
    other = tmp_path / "ander.txt"
    other.write_text(other_letter().text(), encoding="utf-8")
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await svc.ingest_paths(store, [pdf, txt, other])
        assert await store.letters.count() == 2
    first, second, third = report.ingested
    assert (first.status, second.status, third.status) == ("added", "unchanged", "added")
    assert second.letter.id == first.letter.id
    (warning,) = report.warnings
    assert Path(warning.path).name == "brief.txt"
    assert f"already stored as letter {first.letter.ref}" in warning.warning
    assert "brief.pdf" in warning.warning and "--replace" in warning.warning


async def test_replace_stores_the_other_form_in_place_keeping_the_number(tmp_path):
    letter = HandmadeLetter()
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(make_pdf(letter.text().split("\f")[:2]))
    txt = tmp_path / "brief.txt"
    txt.write_text(letter.text(), encoding="utf-8")
    app = await Services.open(settings_for(tmp_path), seed=False)
    try:
        (old,) = (await app.letters.add_path([pdf])).ingested
        (new,) = (await app.letters.add_path([txt], replace=True)).ingested
        assert new.status == "added" and new.replaced is not None
        assert new.replaced.id == old.letter.id and new.letter.ref == old.letter.ref
        assert set(app.catalog.by_id) == {new.letter.id}
        matches = await app.quotes.find("financiering van deze plaatsen", scope=svc_scope())
        assert {m.letter_id for m in matches} == {new.letter.id}
        assert vector_rows(tmp_path / "b.sqlite3") == {new.letter.id: new.letter.sentence_count}
    finally:
        await app.close()


def svc_scope():
    from bot.services.scope import GLOBAL

    return GLOBAL


# --------------------------------------------------------------------------- reports


async def test_files_of_other_kinds_in_a_folder_are_reported_as_skipped(tmp_path):
    folder = tmp_path / "in"
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "config.txt").write_text("x")
    (folder / "notities.md").write_text("# notities")
    (folder / "scan.PNG").write_bytes(b"\x89PNG")
    (folder / "brief.txt").write_text(HandmadeLetter().text(), encoding="utf-8")
    async with open_store(tmp_path / "b.sqlite3") as store:
        report = await svc.ingest_paths(store, [folder])
    assert [Path(i.path).name for i in report.ingested] == ["brief.txt"]
    assert report.errors == []
    warned = {Path(w.path).name: w.warning for w in report.warnings}
    assert warned == {
        ".git": "skipped: a hidden folder",
        "notities.md": "skipped: not .txt or .pdf",
        "scan.PNG": "skipped: not .txt or .pdf",
    }


async def test_an_unexpected_failure_for_one_file_never_ends_the_report(tmp_path, monkeypatch):
    """A reader that raises something unforeseen (here: for one file) costs that file a line;
    the files after it are still stored and indexed."""
    real = svc.read_letters

    def flaky(data, *, name, **kw):
        if name == "b.txt":
            raise MemoryError("boom")
        return real(data, name=name, **kw)

    monkeypatch.setattr(letter_pool, "read_letters", flaky)  # where the ingest calls it
    for name, letter in (("a.txt", HandmadeLetter()), ("b.txt", HandmadeLetter(subject="X")),
                         ("c.txt", other_letter())):  # fmt: skip
        (tmp_path / name).write_text(letter.text(), encoding="utf-8")
    app = await Services.open(settings_for(tmp_path), seed=False)
    try:
        report = await app.letters.add_path([tmp_path / n for n in ("a.txt", "b.txt", "c.txt")])
        ids = [i.letter.id for i in report.ingested]
        assert [Path(i.path).name for i in report.ingested] == ["a.txt", "c.txt"]
        (error,) = report.errors
        assert Path(error.path).name == "b.txt" and "MemoryError" in error.error
        assert vector_rows(tmp_path / "b.sqlite3") == {
            i: app.catalog.by_id[i].sentence_count for i in ids
        }
        versions = await app.store.recommendations.versions()
        assert set(versions) == set(ids)
    finally:
        await app.close()


async def test_the_next_ingest_fills_in_vectors_a_killed_one_left_missing(tmp_path):
    letter = tmp_path / "brief.txt"
    letter.write_text(HandmadeLetter().text(), encoding="utf-8")
    app = await Services.open(settings_for(tmp_path), seed=False)
    try:
        (first,) = (await app.letters.add_path([letter])).ingested
    finally:
        await app.close()
    db = tmp_path / "b.sqlite3"
    with sqlite3.connect(db) as conn:  # what a kill in the vector phase leaves
        conn.execute("DELETE FROM sentence_vectors")
        conn.execute("DELETE FROM derived WHERE kind = 'vectors'")
    app = await Services.open(settings_for(tmp_path), seed=False)
    try:
        report = await app.letters.add_path([letter])
    finally:
        await app.close()
    assert [i.status for i in report.ingested] == ["unchanged"]
    assert report.vectors_filled == 1
    assert vector_rows(db) == {first.letter.id: first.letter.sentence_count}
