"""``briefbot follow add|list|remove|poll``: the JSON contracts, exit codes and what a person
reads, against a local fake of the Tweede Kamer's OData API and a folder."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import main
from bot.settings import get_settings
from tests.cli.invoke import run
from tests.fake_tweedekamer import FakeDocument, ThreadedFake
from tests.source_docs import letter_pdf, letter_text

TODAY = datetime.now(UTC).date()
SOURCE_KEYS = {
    "id", "kind", "name", "types", "dossiers", "subjects", "path", "since", "letters",
    "skipped", "last_poll", "last_ok", "next_poll", "error",
}  # fmt: skip


@pytest.fixture
def tk(monkeypatch):
    with ThreadedFake() as fake:
        monkeypatch.setenv("BRIEFBOT_TWEEDEKAMER_URL", fake.base_url)
        get_settings.cache_clear()
        yield fake
    get_settings.cache_clear()


def brief(i: int, **kw) -> FakeDocument:
    values = {
        "soort": "Brief regering", "onderwerp": f"Aanpak mensenhandel {i}",
        "datum": TODAY - timedelta(days=2), "content": letter_pdf(i), "dossiers": [(28638, None)],
    }  # fmt: skip
    values.update(kw)
    return FakeDocument(**values)


def test_follow_add_list_poll_remove_contracts(capsys, tmp_path, tk):
    db = str(tmp_path / "b.sqlite3")
    good = tk.add(brief(0))
    scan = tk.add(brief(1, content=letter_pdf(1)[:200]))  # a broken PDF
    code, data = run(
        capsys, "--db", db, "follow", "add", "tweedekamer", "--type", "Brief regering",
        "--dossier", "28638", "--since", (TODAY - timedelta(days=30)).isoformat(), "--json",
    )  # fmt: skip
    assert code == 0 and data["created"] is True
    source = data["source"]
    assert set(source) == SOURCE_KEYS
    assert source["kind"] == "tweedekamer" and source["dossiers"] == ["28638"]
    assert source["types"] == ["Brief regering"] and source["path"] is None
    assert source["letters"] == 0 and source["last_poll"] is None

    code, again = run(capsys, "--db", db, "follow", "add", "tweedekamer", "--dossier", "28638",
                      "--type", "Brief regering", "--since", source["since"], "--json")  # fmt: skip
    assert code == 0 and again["created"] is False and again["source"]["id"] == source["id"]

    code, report = run(capsys, "--db", db, "follow", "poll", "--json")
    assert code == 0
    assert set(report) == {"added", "skipped", "errors"}
    (added,) = report["added"]
    assert set(added) == {"source", "id", "title", "url"}
    assert added["source"] == source["id"] and added["id"] == 1
    assert added["url"] == f"{tk.base_url}Document({good.id})/resource"
    (skipped,) = report["skipped"]
    assert set(skipped) == {"source", "ref", "reason"} and skipped["ref"] == scan.id
    assert report["errors"] == []

    code, listing = run(capsys, "--db", db, "follow", "list", "--json")
    (item,) = listing["sources"]
    assert item["letters"] == 1 and item["skipped"] == 1 and item["last_ok"] and not item["error"]

    code, letters = run(capsys, "--db", db, "letters", "--json")
    assert [x["id"] for x in letters["letters"]] == [1]  # the letters contract is unchanged

    code, removed = run(capsys, "--db", db, "follow", "remove", str(source["id"]), "--json")
    assert (code, removed) == (0, {"removed": source["id"]})
    code, error = run(capsys, "--db", db, "follow", "remove", str(source["id"]), "--json")
    assert code == 1 and "no followed source" in error["error"]
    code, letters = run(capsys, "--db", db, "letters", "--json")
    assert len(letters["letters"]) == 1  # its letters stay


def test_poll_exits_1_on_an_outage_and_says_so(capsys, tmp_path, tk):
    db = str(tmp_path / "b.sqlite3")
    assert main(["--db", db, "follow", "add", "tweedekamer", "--dossier", "28638"]) == 0
    capsys.readouterr()
    tk.fail("404", route="/Document?", times=10)  # not found: said at once, no retries
    code, report = run(capsys, "--db", db, "follow", "poll", "--json")
    assert code == 1 and report["added"] == []
    (error,) = report["errors"]
    assert error["source"] == 1 and "404" in error["error"]


def test_folder_and_readable_output(capsys, tmp_path, tk):
    db = str(tmp_path / "b.sqlite3")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    f = inbox / "brief.txt"
    f.write_text(letter_text(5), encoding="utf-8")
    then = time.time() - 60
    os.utime(f, (then, then))
    assert main(["--db", db, "follow", "add", "folder", str(inbox)]) == 0
    out = capsys.readouterr().out
    assert "following source 1: folder inbox" in out and "briefbot follow poll 1" in out
    assert main(["--db", db, "follow", "poll"]) == 0
    captured = capsys.readouterr()
    assert "added letter 1 from source 1" in captured.out
    assert main(["--db", db, "follow", "list"]) == 0
    out = capsys.readouterr().out
    assert "#1 folder inbox" in out and "1 letter" in out
    _code, data = run(capsys, "--db", db, "follow", "list", "--json")
    (src,) = data["sources"]
    assert src["kind"] == "folder" and src["path"] == str(inbox.resolve())
    assert src["types"] is None and src["letters"] == 1


def test_bad_input_is_one_clear_line(capsys, tmp_path, tk):
    db = str(tmp_path / "b.sqlite3")
    code, data = run(capsys, "--db", db, "follow", "add", "tweedekamer", "--dossier", "abc",
                     "--json")  # fmt: skip
    assert code == 1 and "not a dossier number" in data["error"]
    code, data = run(capsys, "--db", db, "follow", "add", "tweedekamer", "--since", "gisteren",
                     "--json")  # fmt: skip
    assert code == 1 and "is not a date; use YYYY-MM-DD" in data["error"]
    code, data = run(capsys, "--db", db, "follow", "add", "folder", str(tmp_path / "x"),
                     "--json")  # fmt: skip
    assert code == 1 and "is not a folder" in data["error"]
    code, data = run(capsys, "--db", db, "follow", "poll", "7", "--json")
    assert code == 1 and "no followed source 7" in data["error"]
