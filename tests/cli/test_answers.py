"""``briefbot summary/recommendations/quote/ask/topics --json``: the stable contracts."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.cli.invoke import run


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "answers.sqlite3")


CITED = {"text", "letter", "page", "sentence"}


def test_summary_contract_and_lengths(capsys, db):
    for length, expected in (("3", 3), ("short", 3), ("5", 5), ("long", 10)):
        code, data = run(capsys, "--db", db, "summary", "--length", length, "--json")
        assert code == 0
        assert set(data) == {"letter", "sentences"}
        assert len(data["sentences"]) == expected
        numbers = [s["sentence"] for s in data["sentences"]]
        assert numbers == sorted(numbers)  # letter order
        for s in data["sentences"]:
            assert set(s) == CITED and s["letter"] == data["letter"]


def test_recommendations_contract_and_synonym(capsys, db):
    code, data = run(capsys, "--db", db, "recommendations", "--json")
    assert code == 0 and data["topic"] is None
    assert len(data["recommendations"]) >= 5
    for r in data["recommendations"]:
        assert set(r) == {"text", "kind", "topics", "letter", "page", "sentence"}
        assert r["kind"] in {"request", "plea", "advice", "requirement", "concern"}
        assert isinstance(r["topics"], list)
    whole = [r for r in data["recommendations"] if "terugkomen en binnen het kabinet" in r["text"]]
    assert whole and whole[0]["text"].startswith("ik doe daarom een beroep op u")
    code, data = run(capsys, "--db", db, "recommendations", "--topic", "kinderporno", "--json")
    assert code == 0 and data["topic"]
    assert any("kinderpornografie" in r["text"] for r in data["recommendations"])


def test_quote_contract_accent_insensitive_and_no_match(capsys, db):
    code, data = run(
        capsys, "--db", db, "quote", "de coördinatie van de aanpak van mensenhandel", "--json"
    )
    assert code == 0
    best = data["matches"][0]
    assert set(best) == {"text", "score", "letter", "page", "sentence", "before", "after"}
    assert "co" in best["text"] and 0 <= best["score"] <= 100
    code, data = run(capsys, "--db", db, "quote", "xqzv plumbo wrrtk", "--json")
    assert code == 0 and data == {"matches": []}
    code, data = run(capsys, "--db", db, "quote", "geweld", "--limit", "2", "--json")
    assert len(data["matches"]) <= 2


@pytest.mark.parametrize("text", ['"', "*", "NEAR(", "OR", "-", "🙂🙂", "x" * 10000])
def test_hostile_queries_never_crash(capsys, db, text):
    code, data = main(["--db", db, "quote", text, "--json"]), None
    out = capsys.readouterr().out
    data = json.loads(out)
    assert code in (0, 1)
    assert ("matches" in data and isinstance(data["matches"], list)) or "error" in data


def test_ask_contract(capsys, db):
    code, data = run(
        capsys, "--db", db, "ask", "Waarom hoort mensenhandel in het coalitieakkoord?", "--json"
    )
    assert code == 0
    assert set(data) == {"answer", "passages"}
    assert data["answer"]
    assert any("regeerakkoord" in p["text"] for p in data["passages"])
    for p in data["passages"]:
        # the contract's fields, and the sentences shown with each passage (in letter order)
        assert set(p) == {"text", "score", "letter", "page", "sentence", "context"}
        for c in p["context"]:
            assert (
                set(c) == {"text", "page", "sentence"} and abs(c["sentence"] - p["sentence"]) == 1
            )


def test_topics_contract(capsys, db):
    code, data = run(capsys, "--db", db, "topics", "--json")
    assert code == 0
    assert data["topics"]
    for t in data["topics"]:
        assert set(t) == {"slug", "name", "recommendations"}
        assert t["slug"] == t["slug"].lower() and " " not in t["slug"]


def test_unknown_letter_and_topic_are_clear_errors(capsys, db):
    code, data = run(capsys, "--db", db, "summary", "--letter", "9999", "--json")
    assert code == 1 and "9999" in data["error"]
    code, data = run(capsys, "--db", db, "recommendations", "--topic", "ruimtevaart", "--json")
    assert code == 1 and "ruimtevaart" in data["error"]
    code, data = run(capsys, "--db", db, "quote", "   ", "--json")
    assert code == 1 and data["error"]


def test_human_output_shows_citations(capsys, db):
    assert main(["--db", db, "quote", "de coördinatie van de aanpak van mensenhandel"]) == 0
    out = capsys.readouterr().out
    assert "(letter 1, p. 1, s. 18)" in out.replace("\n", " ")


def test_ask_numbers_the_passages_its_answer_cites(capsys, db):
    question = "Wat zegt de brief over coördinatie?"
    code, data = run(capsys, "--db", db, "ask", question, "--json")
    assert code == 0 and len(data["passages"]) >= 2
    assert main(["--db", db, "ask", question]) == 0
    out = " ".join(capsys.readouterr().out.split())
    answer, _, listing = out.partition(" [1] ")
    assert listing, out  # the passages are listed, numbered from 1
    cited = 0
    for n, p in enumerate(data["passages"], 1):
        where = f"(letter {p['letter']}, p. {p['page']}, s. {p['sentence']})"
        assert f"[{n}] {p['text']} {where}" in "[1] " + listing  # n-th shown is passage n
        if f"[{n}, p. " in answer:  # the answer's [n, p. X] is that passage, on its page
            assert f"{p['text']} [{n}, p. {p['page']}]" in answer
            cited += 1
    assert cited >= 2
    assert out.index("[1] ") < out.index("[2] ")  # in the order of their numbers


@pytest.mark.parametrize("command", ["ask", "quote"])
def test_empty_ask_and_quote_fail_alike_in_english(capsys, db, command):
    main(["--db", db, "letters", "--json"])  # the first use, which adds the bundled letter
    capsys.readouterr()
    assert main(["--db", db, command, ""]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("error: type a")  # English, and what to do
    code, data = run(capsys, "--db", db, command, "   ", "--json")
    assert code == 1 and data["error"].startswith("type a")


def test_a_question_without_words_is_an_error_too(capsys, db):
    code, data = run(capsys, "--db", db, "ask", "?!", "--json")
    assert code == 1 and "no words" in data["error"]


@pytest.mark.parametrize("limit", ["0", "-1", "51", "abc"])
def test_quote_limit_out_of_range_is_an_error(capsys, db, limit):
    code, data = run(capsys, "--db", db, "quote", "mensenhandel", f"--limit={limit}", "--json")
    assert code == 2 and "--limit must be a whole number from 1 to 50" in data["error"]


def test_quote_limit_is_respected(capsys, db):
    code, data = run(capsys, "--db", db, "quote", "aanpak mensenhandel", "--limit", "1", "--json")
    assert code == 0 and len(data["matches"]) == 1
    code, data = run(capsys, "--db", db, "quote", "aanpak mensenhandel", "--limit", "3", "--json")
    assert code == 0 and len(data["matches"]) > 1


def test_ask_shows_an_answer_from_a_letters_metadata_and_a_missing_topic(capsys, db):
    """The human output shows what the JSON answer says: a letter's signatory (an answer with
    no passages), and that the letters have no such topic (with close ones), never "no passage
    answers this"."""
    code, data = run(capsys, "--db", db, "ask", "Who signed the letter?", "--json")
    assert code == 0 and "dettmeijer" in data["answer"].lower() and data["passages"] == []
    assert main(["--db", db, "ask", "Who signed the letter?"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "signed by" in out and "dettmeijer" in out.lower()
    assert "no passage" not in out
    code, data = run(capsys, "--db", db, "ask", "aanbevelingen over voetbal", "--json")
    assert code == 0 and "geen onderwerp “voetbal”" in data["answer"]
    assert main(["--db", db, "ask", "aanbevelingen over voetbal"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "geen onderwerp “voetbal”" in out and "Onderwerpen die in de buurt komen:" in out
    assert "no passage" not in out
    # a question nothing answers still says so
    assert main(["--db", db, "ask", "xqzv plumbo wrrtk"]) == 0
    assert "no passage" in capsys.readouterr().out
