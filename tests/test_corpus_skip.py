"""On a clone without the development corpus, the corpus tests skip and say how to run them
(and the README says it too)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import corpus

REPO = Path(__file__).resolve().parents[1]


def test_a_missing_corpus_skips_with_how_to_run_it(monkeypatch, tmp_path):
    monkeypatch.delenv("BRIEFBOT_CORPUS", raising=False)
    monkeypatch.setattr(corpus, "REPO", tmp_path / "clone")  # no ../shared next to it
    with pytest.raises(pytest.skip.Exception) as skipped:
        corpus.corpus_or_skip()
    assert "BRIEFBOT_CORPUS=" in str(skipped.value) and "index.csv" in str(skipped.value)


def test_briefbot_corpus_points_at_a_corpus(monkeypatch, tmp_path):
    (tmp_path / "index.csv").write_text("id,date,title\n", encoding="utf-8")
    monkeypatch.setenv("BRIEFBOT_CORPUS", str(tmp_path))
    assert corpus.corpus_or_skip() == tmp_path


def test_the_readme_documents_the_corpus_setting():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "BRIEFBOT_CORPUS" in readme
