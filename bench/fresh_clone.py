"""A newcomer's first hour, from a fresh clone: the README's two commands word for word, then
the first things to try. Prints each step's time and what it printed; exits 1 if a step did not
do what the README promises.

    python bench/fresh_clone.py [--source PATH_OR_URL] [--keep]

1. ``git clone`` the repository (default: this checkout's committed HEAD) into a temporary
   folder (no ``../shared`` next to it: the corpus tests skip, saying how to run them).
2. The README's two commands, read from its "Two commands" block and run as written, without a
   token: ``./dev run`` sets up and says in one line that the token is missing (exit 2);
   ``./dev test`` sets up the test tools, lints and passes the suite.
3. ``./dev run letters --json`` (no second install: it reuses what ``./dev test`` installed),
   ``./dev run ask "Wat vraagt de rapporteur aan de informateur?"``.
4. ``DISCORD_TOKEN=a.b.c ./dev run`` where Discord cannot be reached (on a machine that can
   reach it, Discord rejects the token instead): one line, a non-zero exit, no traceback.

Needs git, Python 3.11+ and the package index (for the installs); takes 5-10 minutes on 2 cores.
``tests/test_fresh_clone.py`` runs it when ``BRIEFBOT_FRESH_CLONE=1``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTION = "Wat vraagt de rapporteur aan de informateur?"


@dataclass
class Step:
    name: str
    seconds: float
    code: int
    out: str
    err: str
    problems: list[str]


def readme_commands(readme: str) -> list[str]:
    """The commands of the README's "Two commands" block, as written (comments dropped)."""
    section = readme.split("## Two commands", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "no ```sh block under 'Two commands'"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def clean_env() -> dict[str, str]:
    """The caller's environment without briefbot's settings or a virtualenv of its own."""
    drop = ("BRIEFBOT_", "DISCORD_", "VIRTUAL_ENV", "PYTHONPATH", "LOG_LEVEL")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def run(name: str, command: str, cwd: Path, env: dict[str, str], timeout: int) -> Step:
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Step(name, time.monotonic() - started, done.returncode, done.stdout, done.stderr, [])


def shown(step: Step) -> list[str]:
    """What the step printed, without ``./dev``'s one setup notice and without this machine's
    pip configuration warnings (``WARNING: Location ... is ignored``)."""
    text = (step.out + step.err).strip()
    return [
        line
        for line in text.splitlines()
        if not line.startswith(("WARNING: Location", "setting up .venv", "updating .venv"))
    ]


def one_line_no_traceback(step: Step) -> None:
    text = (step.out + step.err).strip()
    lines = shown(step)
    if len(lines) != 1:
        step.problems.append(f"expected one line, got {len(lines)}")
    if "Traceback" in text:
        step.problems.append("printed a traceback")
    if step.code == 0:
        step.problems.append("exit code 0")


def no_setup(step: Step) -> None:
    if "setting up" in step.err or "updating" in step.err:
        step.problems.append("installed again")


def check(clone: Path) -> list[Step]:
    env = clean_env()
    steps: list[Step] = []
    first, second = readme_commands((clone / "README.md").read_text(encoding="utf-8"))
    assert first == "./dev run" and second == "./dev test", (first, second)

    step = run(f"README: {first}", first, clone, env, 1800)
    one_line_no_traceback(step)
    if step.code != 2 or "DISCORD_TOKEN is not set" not in step.err:
        step.problems.append("expected the missing-token line and exit 2")
    steps.append(step)

    step = run(f"README: {second}", second, clone, env, 3600)
    if step.code != 0:
        step.problems.append("the test suite failed")
    steps.append(step)

    step = run("./dev run letters --json", "./dev run letters --json", clone, env, 600)
    no_setup(step)
    try:
        letters = json.loads(step.out)["letters"]
        if len(letters) != 1:
            step.problems.append(f"{len(letters)} letters, expected the bundled one")
    except (ValueError, KeyError):
        step.problems.append("stdout is not the letters JSON object")
    steps.append(step)

    command = f'./dev run ask "{QUESTION}"'
    step = run(command, command, clone, env, 600)
    no_setup(step)
    if step.code != 0 or not step.out.strip():
        step.problems.append("no answer")
    steps.append(step)

    command = "DISCORD_TOKEN=a.b.c ./dev run"
    step = run(command, command, clone, env, 600)
    no_setup(step)
    one_line_no_traceback(step)
    steps.append(step)
    return steps


def report(steps: list[Step]) -> None:
    print(f"{'step':<62} {'seconds':>8} {'exit':>5}  result")
    for s in steps:
        verdict = "ok" if not s.problems else "FAILED: " + "; ".join(s.problems)
        print(f"{s.name[:62]:<62} {s.seconds:8.1f} {s.code:>5}  {verdict}")
    for s in steps:
        lines = (s.out + s.err).strip().splitlines()
        lines = [line for line in lines if not line.startswith("WARNING: Location")]
        tail = lines[-3:] if s.name.endswith("./dev test") else lines[:6]
        print(f"\n$ {s.name}\n" + "\n".join(f"  {line[:160]}" for line in tail))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=str(REPO), help="what to clone (default: this repo)")
    parser.add_argument("--keep", action="store_true", help="keep the clone (path printed)")
    args = parser.parse_args(argv)
    if shutil.which("git") is None:
        print("git is needed", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="briefbot-fresh-"))
    clone = work / "briefbot"
    try:
        started = time.monotonic()
        subprocess.run(
            ["git", "clone", "--quiet", args.source, str(clone)], check=True, timeout=600
        )
        print(f"cloned {args.source} in {time.monotonic() - started:.1f} s into {clone}\n")
        steps = check(clone)
        report(steps)
        failed = [s for s in steps if s.problems]
        total = sum(s.seconds for s in steps)
        print(f"\n{len(steps) - len(failed)}/{len(steps)} steps as the README says; {total:.0f} s")
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"kept {clone}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
