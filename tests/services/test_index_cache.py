"""The built indexes saved and loaded at the next start (bot.services.index_cache): the answers
are the same with and without the saved copy, letters stored or deleted since it was saved
are taken into account, and a damaged or stale copy is rebuilt, never used and never a crash."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.services.app import Services
from bot.services.scope import OPERATOR
from bot.settings import Settings
from tests.letters import HandmadeLetter

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
QUOTES = [
    "aanpak van mensenhandel",
    "binnen het kabinet de coordinatie",
    "seksueel geweld tegen kinderen",
    "financiering van deze plaatsen",
    "kleinschalige opvang gedaald",
]
QUESTIONS = [
    "Wat vraagt de rapporteur?",
    "What about supervision of the quality requirements?",
    "Wat staat er over het coalitieakkoord?",
    "Hoeveel slachtoffers van mensenhandel zijn er?",
]


def settings(tmp_path: Path, index_dir: str | None = None) -> Settings:
    values = {"BRIEFBOT_DB": str(tmp_path / "b.sqlite3"), "BRIEFBOT_LETTERS_DIR": str(BUNDLED)}
    if index_dir is not None:
        values["BRIEFBOT_INDEX_DIR"] = index_dir
    return Settings(**values)


async def results(app: Services) -> list:
    """Every query's full result, as comparable values."""
    out: list = []
    for text in QUOTES:
        out.append([(m.letter_id, m.sentence, m.score, m.span, m.text)
                    for m in await app.quotes.find(text, scope=OPERATOR, limit=10)])  # fmt: skip
        out.append([(s.value, s.span) for s in app.quotes.suggest(text[:-2], OPERATOR)])
    for question in QUESTIONS:
        answer = await app.answers.ask(question, scope=OPERATOR)
        out.append((answer.text, [(p.letter_id, p.sentence, p.score) for p in answer.passages]))
        ranked = await app.answers.rank(question)
        out.append([(c.sentence_id, round(c.fused, 9), c.cosine) for c in ranked])
    return out


async def warmed(app: Services) -> list:
    await app.quotes.warm()
    await app.answers.warm()
    return await results(app)


@pytest.fixture
async def seeded(tmp_path: Path) -> Path:
    """A store with the bundled letter and one more, and no saved indexes yet."""
    async with await Services.open(settings(tmp_path, "off")) as app:
        await app.letters.add_upload(
            HandmadeLetter().text().encode(), filename="opvang.txt", guild_id=None
        )
    return tmp_path


async def test_a_restart_loads_the_saved_indexes_and_answers_the_same(seeded: Path) -> None:
    async with await Services.open(settings(seeded, "off")) as app:
        cold = await warmed(app)
    async with await Services.open(settings(seeded)) as app:
        first = await warmed(app)  # built from the store, then saved (close waits for it)
        assert app.index_cache.last_load == {"quote": "none", "ask": "none"}
    folder = seeded / "b.sqlite3-index"
    assert (folder / "quote" / "CURRENT").is_file() and (folder / "ask" / "CURRENT").is_file()
    async with await Services.open(settings(seeded)) as app:
        again = await warmed(app)
        assert app.index_cache.last_load == {"quote": "loaded", "ask": "loaded"}
        status = app.index_cache.status()
        sentences = sum(r.sentence_count for r in app.catalog.by_id.values())
    assert first == cold
    assert again == cold
    assert status["indexes"]["quote"]["saved"] and status["indexes"]["quote"]["letters"] == 2
    assert status["indexes"]["ask"]["rows"] == status["indexes"]["quote"]["rows"] == sentences


async def test_letters_stored_and_deleted_since_the_save_are_taken_into_account(
    seeded: Path,
) -> None:
    async with await Services.open(settings(seeded)) as app:
        await warmed(app)  # saved with two letters
    async with await Services.open(settings(seeded, "off")) as app:  # another process
        new, created, _ = await app.letters.add_upload(
            HandmadeLetter(sender="Stichting Kinderstem Noord", signatory="Mira Okafor")
            .text()
            .encode(),
            filename="kinderstem.txt",
            guild_id=None,
        )
        assert created
        probe = max((r.text for r in await app.store.letters.sentences(new.id)), key=len)
        await app.answers.backfill()
        gone = next(r for r in app.catalog.by_id.values() if r.source_path.endswith("opvang.txt"))
        assert await app.letters.remove(gone.id, guild_id=None)
        cold = await warmed(app)
    async with await Services.open(settings(seeded)) as app:
        loaded = await warmed(app)
        assert app.index_cache.last_load == {"quote": "loaded", "ask": "loaded"}
        found = await app.quotes.find(probe, scope=OPERATOR)
        assert len(app.answers._indexes.value.dense) == len(app.answers._indexes.value.bm25)
    assert loaded == cold
    assert found[0].letter_id == new.id and found[0].text == probe
    assert all(m.letter_id != gone.id for m in found)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "pointer", "stale"])
async def test_a_damaged_or_stale_copy_is_rebuilt_not_used(
    seeded: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with await Services.open(settings(seeded, "off")) as app:
        cold = await warmed(app)
    async with await Services.open(settings(seeded)) as app:
        await warmed(app)
    root = seeded / "b.sqlite3-index" / "quote"
    snap = root / (root / "CURRENT").read_text().strip()
    postings = next(snap.glob("s0.postings.npy"))
    if damage == "truncated":
        postings.write_bytes(postings.read_bytes()[:-40])
    elif damage == "garbage":  # same size, not an array
        postings.write_bytes(b"\0" * postings.stat().st_size)
    elif damage == "pointer":
        (root / "CURRENT").write_text("snap-that-is-not-there")
    else:
        meta = json.loads((snap / "meta.json").read_text())
        meta["key"]["code"] = "an older briefbot"
        (snap / "meta.json").write_text(json.dumps(meta))
    caplog.set_level(logging.INFO, logger="bot.services")
    async with await Services.open(settings(seeded)) as app:
        after = await warmed(app)
        assert app.index_cache.last_load["quote"] != "loaded"
        assert app.index_cache.last_load["ask"] == "loaded"
    assert after == cold
    assert any("quote index" in r.getMessage() and "building it" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    # and the copy saved by that build is whole again
    async with await Services.open(settings(seeded)) as app:
        assert await warmed(app) == cold
        assert app.index_cache.last_load["quote"] == "loaded"


async def test_no_copy_is_kept_when_turned_off(seeded: Path) -> None:
    async with await Services.open(settings(seeded, "off")) as app:
        await warmed(app)
        assert not app.index_cache.enabled
    assert not (seeded / "b.sqlite3-index").exists()


async def test_an_explicit_folder_and_another_store_in_it(tmp_path: Path, seeded: Path) -> None:
    shared = tmp_path / "indexes"
    async with await Services.open(settings(seeded, str(shared))) as app:
        cold = await warmed(app)
    other = tmp_path / "other"
    other.mkdir()
    async with await Services.open(settings(other, str(shared))) as app:  # the bundled letter
        await warmed(app)  # the folder holds a copy of another store: not used, replaced
        assert app.index_cache.last_load == {"quote": "stale", "ask": "stale"}
        assert len(app.catalog.by_id) == 1
    async with await Services.open(settings(seeded, str(shared))) as app:
        assert await warmed(app) == cold  # the folder now holds the other store's copy
        assert app.index_cache.last_load == {"quote": "stale", "ask": "stale"}


async def test_a_large_store_has_its_indexes_built_by_a_child_process(seeded: Path) -> None:
    async with await Services.open(settings(seeded, "off")) as app:
        cold = await warmed(app)
    async with await Services.open(settings(seeded)) as app:
        app.index_cache.child_min_sentences = 0  # this small store counts as large
        built = await warmed(app)
        # built and saved by the child, then loaded here
        assert app.index_cache.last_load == {"quote": "loaded", "ask": "loaded"}
    assert built == cold


async def test_a_failing_child_leaves_the_build_to_the_bot(seeded: Path, caplog) -> None:
    async with await Services.open(settings(seeded, "off")) as app:
        cold = await warmed(app)
    async with await Services.open(settings(seeded)) as app:
        app.index_cache.child_min_sentences = 0
        app.index_cache.location = str(seeded)  # a folder: the child cannot open it
        caplog.set_level(logging.WARNING, logger="bot.services")
        built = await warmed(app)
        assert app.index_cache.last_load == {"quote": "none", "ask": "none"}
    assert built == cold
    assert any("child process" in r.getMessage() for r in caplog.records)
