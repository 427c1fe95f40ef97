"""``briefbot ingest --[no-]wait-vectors``, ``index status`` and ``index build``: an ingest
returns once the letters are answerable and says what waits for vectors; the JSON contracts."""

from __future__ import annotations

import pytest

from bot.cli import main
from tests.cli.invoke import run
from tests.letters import HandmadeLetter

STATUS_KEYS = {
    "letters", "sentences", "with_vectors", "pending_letters", "pending_sentences", "model",
    "complete",
}  # fmt: skip


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "cli.sqlite3")


def test_ingest_without_waiting_then_status_and_build(capsys, db, tmp_path):
    path = tmp_path / "opvang.txt"
    path.write_text(HandmadeLetter().text(), encoding="utf-8")
    code, report = run(capsys, "--db", db, "ingest", str(path), "--no-wait-vectors", "--json")
    assert code == 0
    (item,) = report["ingested"]
    pending = report["vectors_pending"]
    assert item["status"] == "added" and pending > 0
    code, status = run(capsys, "--db", db, "index", "status", "--json")
    assert code == 0 and set(status) == STATUS_KEYS
    assert status["pending_sentences"] == pending and status["pending_letters"] == 1
    assert status["complete"] is False and status["letters"] == 1
    # answerable meanwhile: the quote, by its words
    code, found = run(capsys, "--db", db, "quote", "financiering van deze plaatsen", "--json")
    assert code == 0 and found["matches"]
    code, built = run(capsys, "--db", db, "index", "build", "--json")
    assert code == 0 and set(built) == STATUS_KEYS | {
        "embedded_letters", "embedded_sentences", "seconds", "sentences_per_second",
    }  # fmt: skip
    assert built["embedded_letters"] == 1 and built["embedded_sentences"] == pending
    assert built["pending_sentences"] == 0 and built["complete"] is True
    code, status = run(capsys, "--db", db, "index", "status", "--json")
    assert status["with_vectors"] == status["sentences"] > 0 and status["complete"] is True


def test_a_small_ingest_waits_for_its_vectors_by_default(capsys, db, tmp_path):
    path = tmp_path / "opvang.txt"
    path.write_text(HandmadeLetter().text(), encoding="utf-8")
    code, report = run(capsys, "--db", db, "ingest", str(path), "--json")
    assert code == 0 and "vectors_pending" not in report  # nothing waits
    code, status = run(capsys, "--db", db, "index", "status", "--json")
    assert status["complete"] is True and status["pending_sentences"] == 0


def test_ingest_says_what_waits_and_check_shows_it(capsys, db, tmp_path):
    path = tmp_path / "opvang.txt"
    path.write_text(HandmadeLetter().text(), encoding="utf-8")
    assert main(["--db", db, "ingest", str(path), "--no-wait-vectors"]) == 0
    err = capsys.readouterr().err
    assert "wait for their vectors" in err and "briefbot index build" in err
    assert main(["--db", db, "index", "status"]) == 0
    out = capsys.readouterr().out
    assert "wait for their vectors" in out and "0% done" in out
    assert main(["--db", db, "check"]) == 0
    lines = {
        line.split(None, 1)[0]: line.split(None, 1)[1]
        for line in capsys.readouterr().out.splitlines()
    }
    assert "wait for their vectors" in lines["vectors"]
    assert main(["--db", db, "index", "build"]) == 0
    assert "computed the vectors of 1 letter" in capsys.readouterr().out
    assert main(["--db", db, "index", "status"]) == 0
    assert "complete" in capsys.readouterr().out


def test_index_status_of_a_missing_database_is_an_error(capsys, tmp_path):
    missing = str(tmp_path / "nope.sqlite3")
    code, report = run(capsys, "--db", missing, "index", "status", "--json")
    assert code == 1 and "no database" in report["error"]
