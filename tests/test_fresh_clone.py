"""The README's two commands on a fresh clone, then the first things to try
(``bench/fresh_clone.py``). Slow (installs everything, runs the whole suite again): it runs only
with ``BRIEFBOT_FRESH_CLONE=1``."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("BRIEFBOT_FRESH_CLONE") != "1",
    reason="takes minutes and needs the package index: run with BRIEFBOT_FRESH_CLONE=1",
)
def test_a_fresh_clone_does_what_the_readme_says():
    if shutil.which("git") is None:
        pytest.skip("needs git")
    from bench.fresh_clone import main

    assert main([]) == 0


def test_the_readme_still_has_its_two_commands():
    from pathlib import Path

    from bench.fresh_clone import readme_commands

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert readme_commands(readme) == ["./dev run", "./dev test"]
