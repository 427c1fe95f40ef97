"""Following a folder: files appearing, changing, half-written, removed; a folder that is gone
or suddenly empty removes nothing."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.services.app import Services
from bot.services.scope import GLOBAL
from bot.services.sources import SourceService
from bot.settings import Settings
from tests.source_docs import letter_pdf, letter_text

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
SETTLE = 2.0


def age(path: Path, seconds: float = 60) -> None:
    """Make a file look written ``seconds`` ago (as if its writer finished then)."""
    then = time.time() - seconds
    os.utime(path, (then, then))


@asynccontextmanager
async def opened(tmp_path: Path) -> AsyncIterator[tuple[Services, SourceService]]:
    settings = Settings(BRIEFBOT_DB=tmp_path / "b.sqlite3", BRIEFBOT_LETTERS_DIR=BUNDLED)
    app = await Services.open(settings, seed=False)
    app.sources.settle = SETTLE  # the tests age their files by this much, not by the default
    try:
        yield app, app.sources
    finally:
        await app.close()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


async def test_files_appear_change_and_leave(tmp_path, inbox):
    a = inbox / "brief-a.pdf"
    a.write_bytes(letter_pdf(0))
    age(a)
    (inbox / "notities.docx").write_bytes(b"not a letter")  # not .txt/.pdf: ignored
    (inbox / ".verborgen.txt").write_text("hidden", encoding="utf-8")
    async with opened(tmp_path) as (app, service):
        _source, _ = await service.follow_folder(inbox)
        report = await service.poll()
        (added,) = report.added
        assert added.letter.source_ref == "brief-a.pdf" and added.url is None
        assert added.letter.backfill  # there before the folder was followed: not news
        assert report.skipped == [] and report.errors == []

        sub = inbox / "2026"
        sub.mkdir()
        b = sub / "brief-b.txt"
        b.write_text(letter_text(1), encoding="utf-8")
        age(b)
        (added,) = (await service.poll()).added
        assert added.letter.source_ref == "2026/brief-b.txt" and not added.letter.backfill

        a.write_bytes(letter_pdf(0, version=2))  # changed
        age(a, 30)
        (changed,) = (await service.poll()).added
        assert changed.updated and changed.letter.source_ref == "brief-a.pdf"
        assert len(app.catalog.by_id) == 2

        age(a, 10)  # touched, same bytes: nothing stored again
        assert (await service.poll()).added == []

        b.unlink()
        report = await service.poll()
        (gone,) = report.skipped
        assert gone.ref == "2026/brief-b.txt" and "removed from the folder" in gone.reason
        assert [r.source_ref for r in app.catalog.in_order(GLOBAL)] == ["brief-a.pdf"]


async def test_a_half_written_file_waits_until_it_is_complete(tmp_path, inbox):
    async with opened(tmp_path) as (_app, service):
        await service.follow_folder(inbox)
        await service.poll()
        pdf = letter_pdf(2)
        f = inbox / "binnenkomend.pdf"
        f.write_bytes(pdf[: len(pdf) // 2])  # a copy under way: just written
        report = await service.poll()
        assert report.added == []
        assert "still being written" in report.skipped[0].reason
        age(f, 30)  # the writer paused, but the PDF has no end yet
        report = await service.poll()
        assert report.added == [] and "not complete yet" in report.skipped[0].reason
        f.write_bytes(pdf)
        assert "still being written" in (await service.poll()).skipped[0].reason
        age(f, SETTLE + 1)
        (added,) = (await service.poll()).added
        assert added.letter.source_ref == "binnenkomend.pdf"


async def test_a_file_that_is_not_a_letter_is_skipped_once_with_its_reason(tmp_path, inbox):
    bad = inbox / "leeg.txt"
    bad.write_text("", encoding="utf-8")
    age(bad)
    async with opened(tmp_path) as (_app, service):
        await service.follow_folder(inbox)
        (skip,) = (await service.poll()).skipped
        assert skip.ref == "leeg.txt" and "empty" in skip.reason
        assert (await service.poll()).skipped == []  # said once, until it changes


async def test_a_folder_that_is_gone_or_empties_removes_nothing(tmp_path, inbox):
    f = inbox / "brief.txt"
    f.write_text(letter_text(3), encoding="utf-8")
    age(f)
    async with opened(tmp_path) as (app, service):
        source, _ = await service.follow_folder(inbox)
        assert len((await service.poll()).added) == 1
        moved = tmp_path / "elders"
        inbox.rename(moved)  # an unmounted share
        report = await service.poll()
        (failure,) = report.errors
        assert "does not exist" in failure.error and "nothing was removed" in failure.error
        assert len(app.catalog.by_id) == 1
        inbox.mkdir()  # the mount point is back, empty
        (failure,) = (await service.poll()).errors
        assert "the folder is empty while 1 of its letters are stored" in failure.error
        assert f"follow remove {source.id}" in failure.error
        assert len(app.catalog.by_id) == 1


async def test_following_something_that_is_not_a_folder_is_refused(tmp_path):
    async with opened(tmp_path) as (_app, service):
        with pytest.raises(ValueError, match="is not a folder"):
            await service.follow_folder(tmp_path / "nergens")
