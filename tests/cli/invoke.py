"""Running the real command line in-process, as scripts do: ``--json`` prints one object."""

from __future__ import annotations

import json

from bot.cli import main


def run(capsys, *argv: str) -> tuple[int, dict]:
    """Exit code and the one JSON object ``briefbot *argv`` printed on stdout."""
    code = main(list(argv))
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out  # exactly one JSON object
    return code, json.loads(lines[0])
