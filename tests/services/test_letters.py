"""Ingest through the letter service on a real SQLite file: idempotence and refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.services import letters as svc
from bot.store import open_store
from tests.letters import HandmadeLetter
from tests.pdf_factory import make_pdf

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"


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
    (tmp_path / "letter.txt").write_text(letter.damaged(), encoding="utf-8")
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
    async with open_store(tmp_path / "b.sqlite3") as store:
        first = await svc.ensure_seeded(store, BUNDLED)
        second = await svc.ensure_seeded(store, BUNDLED)
        assert first is not None and len(first.ingested) == 1
        assert second is None
        assert await store.letters.count() == 1


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
