"""Where the development corpus lives (``../shared/corpus/letters``), for tests that use it.

Tests that need it call :func:`corpus_or_skip`; the core suite passes without it.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def corpus_dir() -> Path | None:
    """``$BRIEFBOT_CORPUS`` if set, else ``../shared/corpus/letters`` next to the repository."""
    for candidate in (os.environ.get("BRIEFBOT_CORPUS"), REPO.parent / "shared/corpus/letters"):
        if candidate and Path(candidate, "index.csv").is_file():
            return Path(candidate)
    return None


#: Why a corpus test skipped, and how to run it.
SKIP_REASON = (
    "needs the development corpus: put it at ../shared/corpus/letters (next to the repository) "
    "or run with BRIEFBOT_CORPUS=/path/to/corpus/letters (a folder with index.csv)"
)


def corpus_or_skip() -> Path:
    found = corpus_dir()
    if found is None:
        pytest.skip(SKIP_REASON)
    return found


def corpus_index(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "index.csv").open(encoding="utf-8") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}
