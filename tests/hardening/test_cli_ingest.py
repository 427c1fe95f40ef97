"""``briefbot ingest`` from the outside, as safe as an upload.

Each test runs the real command line in a child process whose address space is capped
(:data:`CLI_MEMORY`), the way an operator runs it: a PDF built to take gigabytes, a symlink to
``/dev/zero``, a FIFO, a socket, a file name that is not UTF-8 or that holds a newline, escape
sequences or right-to-left marks. Each bad file is refused in seconds with one line; the other
files are stored and fully indexed (vectors, recommendations); the report is complete and
``--json`` stays one valid JSON object. Before issue 15 the bombs took the process to 8 GB and
it died (exit 134) with no report; the FIFO hung it; the name stopped the whole ingest.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hardening.test_pdf_hostile import gigabyte_bombs
from tests.letters import HandmadeLetter

REPO = Path(__file__).resolve().parents[2]
#: What the command may use: far below the gigabytes the bombs ask for, well above a real run.
CLI_MEMORY = 2 * 1024 * 1024 * 1024
_PRELUDE = (
    "import resource, sys\n"
    "resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))\n"
    "from bot.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS, FIFOs, /dev/zero")


def cli(
    tmp_path: Path, *args: str | bytes, timeout: float = 240, env: dict[str, str] | None = None
) -> tuple[int, str, str, float]:
    """``briefbot --db tmp/cli.sqlite3 ARGS`` in a capped child: (code, stdout, stderr, s)."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _PRELUDE, str(CLI_MEMORY), "--db", str(tmp_path / "cli.sqlite3"),
         *args],
        capture_output=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", **(env or {})},
        check=False,
    )  # fmt: skip
    out = proc.stdout.decode("utf-8")  # must always be valid UTF-8
    err = proc.stderr.decode("utf-8")
    return proc.returncode, out, err, time.monotonic() - started


def letters_and_derived(db: Path) -> dict[int, tuple[int, int, set[str]]]:
    """letter id -> (sentence count, vectors stored, kinds of derived data)."""
    with sqlite3.connect(db) as conn:
        letters = dict(conn.execute("SELECT id, sentence_count FROM letters"))
        vectors = dict(conn.execute("SELECT letter_id, count(*) FROM sentence_vectors GROUP BY 1"))
        kinds: dict[int, set[str]] = {}
        for lid, kind in conn.execute("SELECT letter_id, kind FROM derived"):
            kinds.setdefault(lid, set()).add(kind)
    return {i: (n, vectors.get(i, 0), kinds.get(i, set())) for i, n in letters.items()}


def two_letters(folder: Path) -> list[Path]:
    a = folder / "a-brief.txt"
    a.write_text(HandmadeLetter().text(), encoding="utf-8")
    b = folder / "z-brief.txt"
    b.write_text(
        HandmadeLetter(
            subject="Wachtlijsten in de jeugdhulp",
            page2=[
                "zorgaanbieders hun wachtlijsten verkorten. Jongeren wachten nu veertien weken.",
                "Ik verzoek u de gemeenten te vragen elk kwartaal te rapporteren.",
            ],
        ).text(),
        encoding="utf-8",
    )
    return [a, b]


def test_pdf_bombs_are_refused_in_seconds_and_the_other_letters_are_stored_and_indexed(
    tmp_path: Path,
):
    folder = tmp_path / "brieven"
    folder.mkdir()
    good = two_letters(folder)
    bombs = gigabyte_bombs()
    for name, make in bombs.items():
        data = make()
        assert len(data) < 12_000  # a few kilobytes that ask for gigabytes
        (folder / f"m-{name}.pdf").write_bytes(data)  # sorted between the two letters
    code, out, err, took = cli(tmp_path, "--json", "ingest", str(folder))
    assert code == 1, err[-3000:]
    report = json.loads(out)
    assert sorted(Path(i["path"]).name for i in report["ingested"]) == [p.name for p in good]
    assert {i["status"] for i in report["ingested"]} == {"added"}
    refused = {Path(e["path"]).name: e["error"] for e in report["errors"]}
    assert set(refused) == {f"m-{name}.pdf" for name in bombs}
    for why in refused.values():
        assert "\n" not in why and len(why) < 300
        assert "memory" in why or "drawing objects" in why or "longer than" in why, why
    assert took < 200, f"{took:.0f} s"
    derived = letters_and_derived(tmp_path / "cli.sqlite3")
    assert len(derived) == 2
    for sentences, vectors, kinds in derived.values():  # fully indexed
        assert vectors == sentences > 0 and kinds == {"vectors", "recommendations"}


def _specials(folder: Path) -> list[Path]:
    zero = folder / "z.txt"
    zero.symlink_to("/dev/zero")
    fifo = folder / "f.txt"
    os.mkfifo(fifo)
    sock_path = folder / "s.txt"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(sock_path))
    sock.close()
    return [zero, fifo, sock_path, Path("/dev/urandom")]


def test_devices_fifos_and_sockets_named_directly_are_refused_at_once(tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    specials = _specials(folder)
    (good, _) = two_letters(folder)
    code, out, err, took = cli(tmp_path, "ingest", *map(str, specials), str(good), timeout=120)
    assert code == 1
    refused = [line for line in err.splitlines() if line.startswith("refused ")]
    assert len(refused) == len(specials), err
    for path, line in zip(specials, refused, strict=True):
        assert line.startswith(f"refused {path}: this is ")
    assert "character device" in refused[0] and "FIFO" in refused[1] and "socket" in refused[2]
    assert out.startswith(f"added {good}")
    assert took < 100


def test_a_file_name_that_is_not_utf8_keeps_json_valid_and_the_ingest_going(tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    fd = os.open(os.fsencode(folder) + b"/bad\xff.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, HandmadeLetter(subject="Een naam die geen UTF-8 is").text().encode())
    os.close(fd)
    good = two_letters(folder)
    code, out, err, _ = cli(tmp_path, "--json", "ingest", str(folder))
    assert code == 0, err
    report = json.loads(out)  # one valid JSON object
    names = [Path(i["path"]).name for i in report["ingested"]]
    assert names == ["a-brief.txt", "bad\\xff.txt", good[1].name]
    assert report["errors"] == []


def test_names_cannot_forge_lines_send_escapes_or_reorder_the_output(tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    hostile = {
        "forged\nrefused other.txt: this line is forged.txt": b"",
        "title\x1b]0;owned\x07\x1b[2J.txt": b"",
        "rtl\u202etxt.exe\u2066.txt": b"",
    }
    for name, data in hostile.items():
        (folder / name).write_bytes(data)
    two_letters(folder)
    # as a terminal would get it (colours, the progress bar for more than 3 files)
    code, out, err, _ = cli(tmp_path, "ingest", str(folder), env={"TTY_COMPATIBLE": "1"})
    assert code == 1
    for stream in (out, err):
        assert "\x1b]0;" not in stream and "\x1b[2J" not in stream and "\x07" not in stream
        assert "\u202e" not in stream and "\u2066" not in stream
    plain = _ANSI.sub("", err)
    refused = [line for line in plain.splitlines() if line.startswith("refused")]
    assert len(refused) == len(hostile), plain  # no forged line
    assert any("forged\\nrefused other.txt" in line for line in refused)
    assert any("rtl\\u202etxt.exe\\u2066.txt" in line for line in refused)
    assert _ANSI.sub("", out).count("added") == 2
