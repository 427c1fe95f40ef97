"""``./dev``: one install shared by ``./dev run`` and ``./dev test``, redone only when
pyproject.toml changes. Run on a copy of the script with a stand-in virtualenv whose programs
record how they were called (no pip, no network)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="./dev is a bash script")


def _stub(path: Path) -> None:
    path.write_text(f'#!/usr/bin/env bash\necho "{path.name} $*" >> "$DEV_LOG"\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for name in ("dev", "pyproject.toml"):
        shutil.copy2(REPO / name, tmp_path / name)
    return tmp_path


def make_venv(where: Path) -> Path:
    bin_ = where / "bin"
    bin_.mkdir(parents=True)
    for name in ("python", "ruff", "briefbot"):
        _stub(bin_ / name)
    return where


def dev(checkout: Path, venv: Path, *args: str) -> list[str]:
    """Run ``./dev ARGS``; the commands it ran, in order."""
    log = checkout / "calls.log"
    log.unlink(missing_ok=True)
    env = {
        **os.environ,
        "BRIEFBOT_VENV": str(venv),
        "PYTHON": sys.executable,
        "DEV_LOG": str(log),
    }
    subprocess.run(["bash", str(checkout / "dev"), *args], env=env, check=True, capture_output=True)
    return log.read_text().splitlines() if log.exists() else []


def installs(calls: list[str]) -> list[str]:
    return [c for c in calls if "pip install" in c]


def test_run_after_test_does_not_install_again(checkout):
    venv = make_venv(checkout / "venv")
    calls = dev(checkout, venv, "test")
    assert installs(calls) == ["python -m pip install -e .[test]"]
    assert any(c.startswith("ruff check") for c in calls)
    assert calls[-1] == "python -m pytest -q"

    calls = dev(checkout, venv, "run", "letters")
    assert installs(calls) == []  # the test install serves `./dev run` as it is
    assert calls == ["briefbot letters"]
    assert dev(checkout, venv, "test") == [
        "ruff check bot tests bench",
        "ruff format --check bot tests bench",
        "python -m pytest -q",
    ]


def test_a_changed_pyproject_installs_once_and_keeps_the_test_tools(checkout):
    venv = make_venv(checkout / "venv")
    dev(checkout, venv, "test")
    with (checkout / "pyproject.toml").open("a") as fh:
        fh.write("\n# a new dependency would go here\n")
    calls = dev(checkout, venv, "run")
    assert installs(calls) == ["python -m pip install -e .[test]"]
    assert calls[-1] == "briefbot run"
    assert installs(dev(checkout, venv, "run")) == []
    assert installs(dev(checkout, venv, "test")) == []


def test_run_first_installs_without_test_tools_then_test_adds_them(checkout):
    venv = make_venv(checkout / "venv")
    assert installs(dev(checkout, venv, "run", "check")) == ["python -m pip install -e ."]
    assert installs(dev(checkout, venv, "run", "check")) == []
    assert installs(dev(checkout, venv, "test")) == ["python -m pip install -e .[test]"]
    assert installs(dev(checkout, venv, "run")) == []


def test_a_failed_install_shows_its_log_and_stops(checkout):
    venv = make_venv(checkout / "venv")
    python = venv / "bin" / "python"
    python.write_text(
        '#!/usr/bin/env bash\necho "python $*" >> "$DEV_LOG"\n'
        'echo "ERROR: No matching distribution found for discord.py"; exit 1\n'
    )
    env = {**os.environ, "BRIEFBOT_VENV": str(venv), "PYTHON": sys.executable,
           "DEV_LOG": str(checkout / "calls.log")}  # fmt: skip
    done = subprocess.run(
        ["bash", str(checkout / "dev"), "run"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "No matching distribution found for discord.py" in done.stderr
    assert "briefbot" not in (checkout / "calls.log").read_text()  # did not go on to run
    assert not (venv / ".briefbot-install").exists()  # and will try again next time
