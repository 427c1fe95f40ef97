"""Settings: ``.env.example`` lists every one, and a wrong one is one clear line (exit 2), never
a traceback or a silently empty store."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def example_keys() -> list[str]:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    return re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE)


def test_env_example_lists_every_setting_once():
    aliases = [field.alias for field in Settings.model_fields.values()]
    keys = example_keys()
    assert sorted(keys) == sorted(aliases)
    assert len(set(keys)) == len(keys)


def test_env_example_as_copied_gives_the_defaults():
    """``cp .env.example .env`` works as it is: blank settings mean the default."""
    from_example = Settings(_env_file=REPO / ".env.example")
    defaults = Settings(_env_file=None)
    assert from_example.model_dump() == defaults.model_dump()


def briefbot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "DISCORD_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, "BRIEFBOT_DB": str(tmp_path / "c.sqlite3"), **env},
        cwd=tmp_path,  # no .env here
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_letters_dir_that_does_not_exist_is_a_clear_error(tmp_path):
    missing = tmp_path / "no-such-folder"
    result = briefbot(tmp_path, "letters", BRIEFBOT_LETTERS_DIR=str(missing))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "BRIEFBOT_LETTERS_DIR" in line and str(missing) in line and "not a folder" in line
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "c.sqlite3").exists()  # nothing was created, let alone left empty


def test_a_bad_setting_is_one_line_with_json_too(tmp_path):
    result = briefbot(tmp_path, "--json", "check", BRIEFBOT_DEV_GUILD="my-server")
    assert result.returncode == 2
    (line,) = result.stdout.strip().splitlines()
    assert "BRIEFBOT_DEV_GUILD" in line and line.startswith('{"error": ')
    assert "Traceback" not in result.stderr
    result = briefbot(tmp_path, "check", LOG_LEVEL="chatty")
    assert result.returncode == 2 and "LOG_LEVEL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
