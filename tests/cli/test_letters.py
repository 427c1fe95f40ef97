"""``briefbot ingest/letters/show``: the JSON contracts scripts rely on, exit codes, seeding."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.cli import main
from tests.cli.invoke import run
from tests.letters import HandmadeLetter

LETTER_KEYS = {
    "id",
    "subject",
    "sender",
    "signatory",
    "recipient",
    "date",
    "reference",
    "contact",
    "pages",
    "sentences",
}


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "cli.sqlite3")


def test_letters_on_a_new_database_holds_the_bundled_letter(capsys, db):
    code, data = run(capsys, "--db", db, "letters", "--json")
    assert code == 0
    assert list(data) == ["letters"]
    (letter,) = data["letters"]
    assert set(letter) == LETTER_KEYS
    assert letter["date"] == "april"
    assert letter["reference"] is None
    assert letter["pages"] == 3 and letter["sentences"] > 40


def test_ingest_contract_and_idempotence(capsys, db, tmp_path):
    path = tmp_path / "handmade.txt"
    path.write_text(HandmadeLetter().text(), encoding="utf-8")
    code, first = run(capsys, "ingest", str(path), "--db", db, "--json")
    assert code == 0
    assert set(first) == {"ingested", "errors"}
    assert first["errors"] == []
    (item,) = first["ingested"]
    assert set(item) == {"path", "id", "status"}
    assert item["status"] == "added" and item["path"] == str(path)
    code, again = run(capsys, "--json", "--db", db, "ingest", str(path))
    assert code == 0
    assert again["ingested"] == [{"path": str(path), "id": item["id"], "status": "unchanged"}]


def test_ingest_reports_refusals_and_exits_non_zero(capsys, db, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(HandmadeLetter().text(), encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    code, data = run(capsys, "--db", db, "ingest", str(good), str(bad), "--json")
    assert code != 0
    assert [i["path"] for i in data["ingested"]] == [str(good)]
    assert data["errors"] == [{"path": str(bad), "error": "the file is empty"}]


def test_show_contract(capsys, db, tmp_path):
    path = tmp_path / "handmade.txt"
    path.write_text(HandmadeLetter().damaged(), encoding="utf-8")
    _, ingested = run(capsys, "--db", db, "ingest", str(path), "--json")
    letter_id = ingested["ingested"][0]["id"]
    code, data = run(capsys, "--db", db, "show", str(letter_id), "--json")
    assert code == 0
    assert set(data) == {"letter", "sections", "repairs"}
    assert set(data["letter"]) == LETTER_KEYS and data["letter"]["id"] == letter_id
    numbers = []
    for section in data["sections"]:
        assert set(section) == {"heading", "sentences"}
        for s in section["sentences"]:
            assert set(s) == {"sentence", "page", "text", "original"}
            numbers.append(s["sentence"])
    assert numbers == list(range(1, data["letter"]["sentences"] + 1))
    for r in data["repairs"]:
        assert set(r) == {"sentence", "from", "to"}
    assert any(r["to"] == "continuïteit" for r in data["repairs"])


def test_show_by_slug_and_unknown_letter(capsys, db):
    _, listing = run(capsys, "--db", db, "letters", "--json")
    code, by_slug = run(
        capsys,
        "--db",
        db,
        "show",
        "nationaal-rapporteur-2017-04-05-informateur-schippers",
        "--json",
    )
    assert code == 0 and by_slug["letter"]["id"] == listing["letters"][0]["id"]
    code, missing = run(capsys, "--db", db, "show", "9999", "--json")
    assert code == 1 and "9999" in missing["error"]


def test_human_output_mentions_what_was_stored(capsys, db, tmp_path):
    path = tmp_path / "handmade.txt"
    path.write_text(HandmadeLetter().text(), encoding="utf-8")
    assert main(["--db", db, "ingest", str(path)]) == 0
    out = capsys.readouterr().out
    assert "added" in out and "Toezicht op de opvang" in out and "sentences" in out


def test_python_dash_m_bot_is_the_same_program(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(tmp_path / "x.sqlite3"), "letters", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["letters"]) == 1


def _long_letter(n: int) -> str:
    """A letter of ``n`` different sentences (made up; a report's annex, say)."""
    places = ["Assen", "Breda", "Delft", "Ede", "Goes", "Hoorn", "Lelystad", "Venlo", "Zwolle"]
    themes = ["jeugdzorg", "opvang", "toezicht", "voogdij", "huisvesting", "begeleiding"]
    lines = [
        f"In {places[i % len(places)]} meldt team {i} dat de {themes[i % len(themes)]} in wijk "
        f"{i * 7 % 101} dit kwartaal {i % 13 + 2} keer is besproken met ouders en scholen."
        for i in range(n)
    ]
    return HandmadeLetter(subject="Overzicht van de regionale meldingen", page1=lines).text()


def test_ingest_leaves_the_saved_indexes_current(capsys, db, tmp_path):
    # a bot ran on this store: its quote and question indexes are saved next to it
    first = tmp_path / "eerste.txt"
    first.write_text(HandmadeLetter().text(), encoding="utf-8")
    assert run(capsys, "--db", db, "ingest", str(first), "--json")[0] == 0

    async def warm_and_close() -> dict:
        from bot.services.app import Services
        from bot.settings import get_settings

        services = await Services.open(get_settings().model_copy(update={"database": db}))
        try:
            await services.warm(vectors=False)
        finally:
            await services.close()  # the saves finish first
        return services.index_cache.status()["indexes"]

    import asyncio

    saved = asyncio.run(warm_and_close())
    assert saved["quote"]["saved"] and saved["quote"]["letters"] == 1
    # an ingest of many sentences: the saved copies hold the new letter when it returns
    long = tmp_path / "overzicht.txt"
    long.write_text(_long_letter(1200), encoding="utf-8")
    code, data = run(capsys, "--db", db, "ingest", str(long), "--json", "--no-wait-vectors")
    assert code == 0 and data["ingested"][0]["status"] == "added"
    from bot.services.index_cache import IndexCache, default_dir

    status = IndexCache(default_dir(db)).status()["indexes"]
    assert status["quote"]["letters"] == 2
    assert status["ask"]["letters"] == 2
    assert status["quote"]["rows"] > 1200 or status["ask"]["rows"] > 1200
