"""Fuzz bench: large numbers of generated hostile inputs per kind, with time and memory limits.

    python bench/fuzz.py [--cases 2000] [--seed 1] [--kinds parse-bytes,pdf-hostile,...]
                         [--memory-limit 3072] [--timeout 900] [--quick]

Each kind runs in its own process (address space capped at ``--memory-limit`` MiB, wall time
at ``--timeout`` s), so "peak MiB" is that kind's own high-water mark (VmHWM). Per case the
parser has its cooperative time limit (``bot.core.parse.PARSE_SECONDS``); "max ms" is the
slowest case. "errors" counts anything but a clear refusal (LetterError for files,
LookupError/ValueError with a short human message for queries), every leak of another
server's letter, and every case over its time limit: it must be 0.

Kinds:

* ``parse-bytes``     random bytes (some with a PDF or UTF-16 look) through ``parse_bytes``
* ``parse-unicode``   random code points (lone surrogates too) through ``parse_letter``
* ``parse-structure`` letters with random edits (no periods, one line, NUL, boilerplate only,
                      duplicated stretches, enormous words) through ``parse_letter``
* ``parse-encodings`` mutated letters in UTF-8/16, Windows-1252, Latin-1 and glued mixtures
* ``parse-big``       19 shapes of letter at 100 k, 500 k and 2 M characters (the maximum)
* ``pdf-mutations``   a letter PDF with random byte edits through ``extract_pdf_pages``
* ``pdf-hostile``     encrypted, truncated, no pages, 3000 pages, loops, bombs, HTML, ZIP ...;
                      the memory bombs through the capped child process of the upload path
* ``cli-files``       folders as ``briefbot ingest`` meets them (the whole CLI path: walking,
                      opening, the capped PDF reader, splitting, duplicates, storing, the
                      report printed and as JSON): odd names (not UTF-8, newlines, escape
                      sequences, right-to-left marks, 200 characters), special files (symlinks
                      to /dev/zero and /dev/urandom, FIFOs, sockets, dangling links), files of
                      other kinds, and files of several letters, some repeated; a case is one
                      file, ``cases / 5`` folders of about six
* ``cli-bombs``       the gigabyte PDFs of issue 15 through the CLI path's reader (capped child)
* ``q-*``             generated queries (markdown, mentions, zero-width and RTL marks, FTS5
                      and SQL syntax, emoji, NUL, lone surrogates, 6,000 characters) per
                      service, over a store with the bundled letter and another server's
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PARSER_KINDS = ["parse-bytes", "parse-unicode", "parse-structure", "parse-encodings", "parse-big"]
PDF_KINDS = ["pdf-mutations", "pdf-hostile"]
CLI_KINDS = ["cli-files", "cli-bombs"]
QUERY_KINDS = [
    "q-quotes.find",
    "q-quotes.suggest",
    "q-answers.ask",
    "q-summaries.summarize",
    "q-recommendations",
    "q-recommendations.topics",
    "q-recommendations.resolve_topic",
    "q-recommendations.suggest_topics",
    "q-resolve_letter",
    "q-digests.subscribe",
]
ALL_KINDS = PARSER_KINDS + PDF_KINDS + CLI_KINDS + ["queries"]


class Tally:
    def __init__(self) -> None:
        self.cases = self.refused = self.accepted = self.errors = 0
        self.max_ms = 0.0
        self.examples: list[str] = []
        self.slowest = ""
        self.hwm = 0.0
        self.hungriest = ""  # the case during which the memory high-water mark last rose

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.examples) < 5:
            self.examples.append(what[:600])

    def refusal(self, exc: BaseException, label: str) -> None:
        """A refusal counts only with a short human message (not a decoding error)."""
        message = str(exc.args[0]) if exc.args else str(exc)
        if isinstance(exc, UnicodeError) or not message.strip() or len(message) > 1000:
            self.error(f"unclear refusal {exc!r} for {label}")
        else:
            self.refused += 1

    def checked(self, problem: str | None, label: str) -> None:
        if problem:
            self.error(f"{problem} for {label}")
        else:
            self.accepted += 1

    def timed(self, elapsed: float, label: Callable[[], str]) -> None:
        if elapsed * 1000 > self.max_ms:
            self.max_ms = elapsed * 1000
            self.slowest = label()

    def as_dict(self) -> dict:
        return {
            "cases": self.cases,
            "refused": self.refused,
            "accepted": self.accepted,
            "errors": self.errors,
            "max_ms": round(self.max_ms, 1),
            "examples": self.examples,
            "slowest": self.slowest,
            "hungriest": self.hungriest,
        }


def peak_mib() -> float:
    """This process's own resident high-water mark (VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(
    tally: Tally,
    fn: Callable[[], object],
    *,
    refusals: tuple[type[BaseException], ...],
    limit_s: float,
    check: Callable[[object], str | None] | None = None,
    label: Callable[[], str] = lambda: "",
) -> None:
    """One case: accepted (``check`` may report a problem), refused, or an error."""
    tally.cases += 1
    started = time.perf_counter()
    try:
        result = fn()
    except refusals as exc:
        tally.refusal(exc, label())
    except Exception as exc:
        tally.error(f"{type(exc).__name__}: {exc} for {label()}\n{traceback.format_exc(-3)}")
    else:
        tally.checked(check(result) if check else None, label())
    elapsed = time.perf_counter() - started
    tally.timed(elapsed, lambda: label()[:120])
    hwm = peak_mib()
    if hwm > tally.hwm + 1:
        tally.hwm = hwm
        tally.hungriest = f"{label()[:120]} ({hwm:.0f} MiB)"
    if elapsed > limit_s:
        tally.error(f"took {elapsed:.1f} s (limit {limit_s:g} s) for {label()}")


# --------------------------------------------------------------------------- generators

PIECES = [
    *("\x00", "\f", "\r", "\r\n", "\u2028", "\u200b", "\ufeff", "\ud800", "\udfff", "\x1b"),
    *(".", "...", ". . .", "\n\n\n", "-\n", "•", "1\n", "12\n", "  \t ", "\x85"),
    *("Geachte heer,", "Met vriendelijke groet,", "Pagina 2 van 3", "Postbus 20301"),
    *("Ons kenmerk", "Datum 14 maart 2019", "Bij beantwoording de datum en ons kenmerk"),
    *("www.rijksoverheid.nl", "Onderwerp", "Retouradres Postbus 1 2500 AA Den Haag"),
    *("é", "e\u0301", "ĳ", "ﬁ", "😀", "\u202e", "ONGERUBRICEERD", "Hoogachtend,"),
]


def random_code_points(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.5:
            out.append(chr(rng.randrange(0x20, 0x250)))
        elif r < 0.6:
            out.append(rng.choice(" \n\n\t.,"))
        elif r < 0.7:
            out.append(chr(rng.randrange(0xD800, 0xE000)))
        else:
            out.append(chr(rng.randrange(0x110000)))
    return "".join(out)


def mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randrange(1, 8)):
        op = rng.randrange(11)
        at = rng.randrange(len(text) + 1)
        if op == 0:
            text = text[:at] + text[at + rng.randrange(1, 400) :]
        elif op == 1:
            text = text[:at] + random_code_points(rng, rng.randrange(1, 30)) + text[at:]
        elif op == 2:
            text = text[:at] + rng.choice(PIECES) * rng.randrange(1, 60) + text[at:]
        elif op == 3:
            start = rng.randrange(len(text) + 1)
            text = text[:at] + text[start : start + rng.randrange(1, 5000)] + text[at:]
        elif op == 4:
            text = text.replace(".", "")
        elif op == 5:
            text = text.replace("\n", " ")
        elif op == 6:
            text = text.upper() if rng.random() < 0.5 else text.lower()
        elif op == 7:
            text = text[:at] + "x" * rng.randrange(1, 200_000) + text[at:]
        elif op == 8:
            text = text[: rng.randrange(0, 300)]
        elif op == 9:
            text = "\n".join(line for line in text.splitlines() if len(line) < 30)
        else:
            text = text * rng.randrange(2, 30)
        text = text[:3_000_000]  # past the parser's limit, but not gigabytes of generator
    return text


def bases() -> list[str]:
    from bot.core.text import damage
    from tests.letters import HandmadeLetter

    handmade = HandmadeLetter().text()
    bundled = next((REPO / "data" / "letters").glob("*.txt")).read_text(encoding="utf-8")
    out = [handmade, damage(handmade), bundled, damage(bundled)]
    corpus = REPO.parent / "shared" / "corpus" / "letters"
    if corpus.is_dir():
        out += [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))[:10]]
    return out


def encode(rng: random.Random, text: str) -> bytes:
    codec = rng.choice(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"])
    if rng.random() < 0.2:  # glued from two encodings
        half = len(text) // 2
        return text[:half].encode("utf-8", "replace") + text[half:].encode("cp1252", "replace")
    errors = "surrogatepass" if codec.startswith("utf") else "replace"
    return text.encode(codec, errors)


def big_shapes() -> dict[str, Callable[[int], str]]:
    from bot.core.text import damage
    from tests.letters import HandmadeLetter

    s = "Ik verzoek u de financiering van de opvang voor ten minste drie jaar te garanderen."
    plain = HandmadeLetter().text()

    def body(lines: list[str]) -> str:
        return HandmadeLetter(page2=lines).text()

    def rep(unit: list[str], n: int) -> list[str]:
        return unit * max(1, n // max(1, sum(len(u) + 1 for u in unit)))

    postbus = "Postbus 4120 3502 HC Utrecht www.a.nl Contactpersoon"
    note = "Zie Kamerstukken II 2018/19, 31 015, nr. 3."
    abbreviations = "Mw. dr. A.B. Kuipers e.a. o.a. t.a.v. bijv. nr. 3"
    greeting = ["Geachte heer Haverkamp,", s, "Met vriendelijke groet,"]
    gaps = "de co rdinatie van de re nie in het caf ."
    url = "zie www.example.nl/a/b en mail info@example.nl " + s
    return {
        "sentences": lambda n: body(rep([s], n)),
        "damaged": lambda n: damage(body(rep([s], n))),
        "one-word": lambda n: body(["a" * n]),
        "no-periods": lambda n: body(rep([s.replace(".", "")], n)),
        "one-line": lambda n: body(rep([s], n)).replace("\n", " "),
        "headings": lambda n: body(rep(["Toezicht op de zorg", s], n)),
        "page-headers": lambda n: body(rep(["Pagina 2 van 3", s], n)),
        "datum-kenmerk": lambda n: body(rep(["Datum 14 maart 2019 Ons kenmerk 4471-B", s], n)),
        "postbus": lambda n: body(rep([postbus, s], n)),
        "footnotes": lambda n: body(rep(["1", note, s], n)),
        "hyphens": lambda n: body(rep(["Ik verzoek u het concept-", "wetsvoorstel."], n)),
        "bullets": lambda n: body(rep(["• de opvang van kinderen;", s], n)),
        "abbreviations": lambda n: body(rep([abbreviations], n)),
        "salutations": lambda n: body(rep(greeting, n)),
        "form-feeds": lambda n: "\f".join([plain] * max(1, n // len(plain))),
        "quotes": lambda n: body(rep(["‘“(" + s + ")”’"], n)),
        "accent-gaps": lambda n: damage(body(rep([gaps], n))),
        "urls": lambda n: body(rep([url], n)),
        "whole-letters": lambda n: plain * max(1, n // len(plain)),
    }


# --------------------------------------------------------------------------- parser kinds


def letter_check(letter) -> str | None:
    if not letter.sentences:
        return "accepted without sentences"
    n = len(letter.original)
    for s in letter.sentences:
        if not (0 <= s.start < s.end <= n) or s.original != letter.original[s.start : s.end]:
            return f"sentence {s.number} has wrong offsets"
        try:
            s.text.encode("utf-8")
            s.original.encode("utf-8")
        except UnicodeEncodeError:
            return f"sentence {s.number} cannot be stored (surrogates)"
        if "\x00" in s.text:
            return f"sentence {s.number} holds NUL"
    return None


def run_parser(kind: str, cases: int, seed: int, quick: bool) -> dict[str, dict]:
    from bot.core.models import LetterError
    from bot.core.parse import MAX_CHARS, PARSE_SECONDS, parse_letter
    from bot.services.letters import parse_bytes

    rng = random.Random(seed)
    tally = Tally()
    limit = PARSE_SECONDS + 5  # the deadline plus one stage that cannot be interrupted
    texts = bases()
    names = ["brief.txt", "brief.pdf", "brief", "brief.TXT", "brief.docx"]

    def parse_text(text: str) -> object:
        return parse_letter(text, deadline=time.monotonic() + PARSE_SECONDS)

    if kind == "parse-bytes":
        for _ in range(cases):
            n = rng.choice([0, 1, 10, 100, 1000, 10_000, 50_000])
            data = rng.randbytes(rng.randrange(n + 1))
            if rng.random() < 0.1:
                data = b"%PDF-1.7\n" + data + b"\n%%EOF\n"
            elif rng.random() < 0.1:
                data = b"\xff\xfe" + data
            name = rng.choice(names)
            run_case(
                tally, lambda d=data, nm=name: parse_bytes(d, name=nm), refusals=(LetterError,),
                limit_s=limit, check=letter_check, label=lambda d=data: f"{len(d)} random bytes",
            )  # fmt: skip
    elif kind == "parse-unicode":
        for _ in range(cases):
            text = random_code_points(rng, rng.choice([0, 5, 50, 500, 5000, 50_000]))
            if rng.random() < 0.3:  # among letter text
                base = rng.choice(texts)
                at = rng.randrange(len(base) + 1)
                text = base[:at] + text + base[at:]
            run_case(
                tally, lambda t=text: parse_text(t), refusals=(LetterError,), limit_s=limit,
                check=letter_check, label=lambda t=text: f"unicode {t[:80]!r}",
            )  # fmt: skip
    elif kind == "parse-structure":
        for _ in range(cases):
            text = mutate(rng, rng.choice(texts))[: MAX_CHARS + 10]
            run_case(
                tally, lambda t=text: parse_text(t), refusals=(LetterError,), limit_s=limit,
                check=letter_check, label=lambda t=text: f"mutated letter of {len(t)} chars",
            )  # fmt: skip
    elif kind == "parse-encodings":
        for _ in range(cases):
            data = encode(rng, mutate(rng, rng.choice(texts)))
            run_case(
                tally, lambda d=data: parse_bytes(d, name="brief.txt"), refusals=(LetterError,),
                limit_s=limit, check=letter_check, label=lambda d=data: f"{d[:60]!r}",
            )  # fmt: skip
    elif kind == "parse-big":
        sizes = [100_000, MAX_CHARS - 60_000] if quick else [100_000, 500_000, MAX_CHARS - 60_000]
        for name, make in big_shapes().items():
            for size in sizes:
                data = make(size).encode("utf-8")
                run_case(
                    tally, lambda d=data: parse_bytes(d, name="groot.txt"),
                    refusals=(LetterError,), limit_s=limit, check=letter_check,
                    label=lambda nm=name, d=data: f"{nm} at {len(d):,} bytes",
                )  # fmt: skip
    return {kind: tally.as_dict()}


# --------------------------------------------------------------------------- PDF kinds


def mutate_pdf(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    syntax = [
        *(b"<<", b">>", b"[", b"]", b"obj", b"endobj", b"stream", b"endstream", b"R", b"xref"),
        *(b"/Count 99999999", b"/Length 0", b"9 0 R", b"/Type /Pages", b"trailer", b"%%EOF"),
        *(b"/Filter /FlateDecode", b"/Kids [2 0 R]", b"\x00", b"-1", b"1e308"),
    ]
    for _ in range(rng.randrange(1, 10)):
        op = rng.randrange(5)
        at = (
            rng.randrange(16, max(17, len(out) - 8))
            if rng.random() < 0.8
            else rng.randrange(len(out) + 1)
        )
        if op == 0 and at < len(out):
            out[at] = rng.randrange(256)
        elif op == 1:
            del out[at : at + rng.randrange(1, 300)]
        elif op == 2:
            out[at:at] = (
                rng.choice(syntax) if rng.random() < 0.6 else rng.randbytes(rng.randrange(1, 50))
            )
        elif op == 3:
            del out[at:]
        else:
            start = rng.randrange(len(out) + 1)
            out[at:at] = out[start : start + rng.randrange(1, 500)]
    return bytes(out)


def run_pdf(kind: str, cases: int, seed: int, quick: bool) -> dict[str, dict]:
    from bot.core.models import LetterError
    from bot.core.parse import PARSE_SECONDS
    from bot.core.pdf import extract_pdf_pages
    from bot.services.letters import PDF_WORKER_MEMORY, extract_pdf_isolated, parse_bytes
    from tests.hardening.test_pdf_hostile import hostile_pdfs, letter_pdf, memory_bombs
    from tests.pdf_factory import make_pdf

    rng = random.Random(seed)
    tally = Tally()
    limit = PARSE_SECONDS + 10

    def pages_check(pages) -> str | None:
        try:
            for page in pages:
                page.encode("utf-8")
        except UnicodeEncodeError:
            return "a page cannot be stored"
        return None

    if kind == "pdf-mutations":
        sources = [letter_pdf(), make_pdf(["Geachte heer,\nDit is een brief.", "Hoogachtend,"])]
        corpus = REPO.parent / "shared" / "corpus" / "letters"
        if corpus.is_dir():
            sources += [p.read_bytes() for p in sorted(corpus.glob("*.pdf"))[:5]]
        for _ in range(cases):
            data = mutate_pdf(rng, rng.choice(sources))
            run_case(
                tally, lambda d=data: extract_pdf_pages(d, max_seconds=PARSE_SECONDS),
                refusals=(LetterError,), limit_s=limit, check=pages_check,
                label=lambda d=data: f"mutated PDF of {len(d)} bytes",
            )  # fmt: skip
        return {kind: tally.as_dict()}

    # pdf-hostile: the named ones in this process, the bombs in the upload path's child
    rounds = 1 if quick else 3
    for _ in range(rounds):
        for name, (build, _word) in hostile_pdfs().items():
            data = build()
            run_case(
                tally, lambda d=data: parse_bytes(d, name="brief.pdf"), refusals=(LetterError,),
                limit_s=limit, check=lambda _r: "a hostile PDF was accepted",
                label=lambda nm=name: nm,
            )  # fmt: skip
    before = peak_mib()
    worker = Tally()
    for _ in range(rounds):
        for name, build in memory_bombs().items():
            data = build()
            run_case(
                worker, lambda d=data: extract_pdf_isolated(d), refusals=(LetterError,),
                limit_s=limit, check=lambda _r: "a memory bomb was accepted",
                label=lambda nm=name: nm,
            )  # fmt: skip
    grown = peak_mib() - before
    if grown > 64:
        worker.error(f"this process grew by {grown:.0f} MiB while the child read the bombs")
    bombs = worker.as_dict()
    bombs["peak_mib"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )  # the children: at most the cap (plus the parent's pages they started with)
    bombs["note"] = f"child capped at {PDF_WORKER_MEMORY // (1024 * 1024)} MiB"
    return {kind: tally.as_dict(), "pdf-bombs (child)": bombs}


# --------------------------------------------------------------------------- CLI kinds

#: Names a folder may hold, as bytes (any byte but "/" and NUL is allowed on Linux).
ODD_NAMES = [
    b"bad\xff\xfe-%d.txt",  # not UTF-8
    b"\xc3\x28-%d.txt",  # a broken UTF-8 sequence
    b"forged\nrefused other.txt: forged-%d.txt",
    b"title\x1b]0;owned\x07\x1b[2J-%d.txt",
    "rtl\u202etxt.exe\u2066-%d.txt".encode(),
    "één brief over opvang 😀 %d.txt".encode(),
    b"x" * 200 + b"-%d.txt",
    b"tab\tand\rreturn-%d.txt",
]
OTHER_NAMES = [b"notities-%d.md", b".DS_Store-%d", b"scan-%d.png", b"brief-%d.docx"]


_WORDS: list[str] = []


def fuzz_letter(rng: random.Random, n: int) -> str:
    """A distinct letter, clean or damaged: its own subject and sentences, told apart by words
    (damage deletes digits, so numbers alone would make two letters one)."""
    from bot.core.text import damage
    from tests.letters import HandmadeLetter

    if not _WORDS:
        bundled = next((REPO / "data" / "letters").glob("*.txt")).read_text(encoding="utf-8")
        _WORDS.extend(sorted({w for w in bundled.split() if w.isalpha() and len(w) > 6}))

    def words(k: int) -> str:
        return " ".join(rng.choice(_WORDS) for _ in range(k))

    subject = f"Onderwerp {words(3)} in regio {n}"
    body = [
        f"Ik verzoek u de {words(2)} in regio {n} te verbeteren met {words(4)}."
        for _ in range(rng.randrange(2, 8))
    ]
    text = HandmadeLetter(subject=subject, page2=body).text()
    return damage(text) + " " if rng.random() < 0.2 else text


def make_cli_folder(rng: random.Random, folder: Path, serial: list[int]) -> dict[bytes, tuple]:
    """A folder of about six entries; name -> what must become of it."""
    import socket

    folder.mkdir()
    root = os.fsencode(folder)
    plan: dict[bytes, tuple] = {}

    def write(name: bytes, data: bytes) -> None:
        fd = os.open(root + b"/" + name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.close(fd)

    for _ in range(rng.randrange(3, 9)):
        serial[0] += 1
        n = serial[0]
        r = rng.random()
        if r < 0.35:  # a file of one or more letters, some repeated
            distinct = rng.randrange(1, 4)
            letters = [fuzz_letter(rng, n * 10 + k) for k in range(distinct)]
            order = letters + [rng.choice(letters) for _ in range(rng.randrange(0, 3))]
            if rng.random() < 0.5:
                rng.shuffle(order)
            name = (rng.choice(ODD_NAMES) if rng.random() < 0.5 else b"brief-%d.txt") % n
            write(name, "".join(order).encode("utf-8"))
            plan[name] = ("letters", distinct, len(order) > distinct)
        elif r < 0.55:  # an odd name on an odd or empty file
            name = rng.choice(ODD_NAMES) % n
            write(name, rng.choice([b"", rng.randbytes(rng.randrange(1, 3000)), b"Geachte heer,"]))
            plan[name] = ("file",)
        elif r < 0.75:  # not a regular file
            kind = rng.randrange(5)
            name = b"special-%d.%s" % (n, rng.choice([b"txt", b"pdf"]))
            path = root + b"/" + name
            if kind == 0:
                os.symlink(b"/dev/zero", path)  # noqa: PTH211 (a bytes name)
            elif kind == 1:
                os.symlink(b"/dev/urandom", path)  # noqa: PTH211
            elif kind == 2:
                os.mkfifo(path)
            elif kind == 3:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.bind(path)
                finally:
                    sock.close()
            else:
                os.symlink(root + b"/nowhere-%d" % n, path)  # noqa: PTH211
            plan[name] = ("special",)
        elif r < 0.9:  # another kind of file
            name = rng.choice(OTHER_NAMES) % n
            write(name, rng.randbytes(rng.randrange(0, 500)))
            plan[name] = ("other",)
        else:  # something that says it is a PDF
            name = b"stuk-%d.pdf" % n
            write(name, b"%PDF-1.7\n" + rng.randbytes(rng.randrange(0, 4000)) + b"\n%%EOF\n")
            plan[name] = ("file",)
    return plan


def check_cli_report(report, plan: dict[bytes, tuple], folder: Path) -> list[str]:
    """Every planned entry is accounted for, the way it must be; every line is printable."""
    from bot.services.letters import display_name

    problems = []
    outcomes: dict[str, list[tuple[str, str]]] = {}
    for i in report.ingested:
        outcomes.setdefault(i.path, []).append(("stored", i.status))
    for e in report.errors:
        outcomes.setdefault(e.path, []).append(("refused", e.error))
    for w in report.warnings:
        outcomes.setdefault(w.path, []).append(("warned", w.warning))
    for text in [*outcomes, *(m for v in outcomes.values() for _, m in v)]:
        if not text.isprintable():
            problems.append(f"unprintable text in the report: {text[:80]!r}")
        text.encode("utf-8")  # raises for a lone surrogate
    for name, want in plan.items():
        shown = display_name(os.fsdecode(os.fsencode(folder) + b"/" + name))
        got = outcomes.get(shown, [])
        kinds = [k for k, _ in got]
        if want[0] == "letters":
            parts = kinds.count("stored") + sum(
                1 for k, m in got if k == "refused" and m.startswith("letter ")
            )
            refused_whole = kinds.count("refused") > 0 and parts == 0
            if not refused_whole and parts != want[1]:
                problems.append(f"{shown}: {want[1]} letters, {parts} accounted for: {got}")
            repeated = any(k == "warned" and "times over" in m for k, m in got)
            if want[2] and not refused_whole and not repeated and parts == want[1]:
                problems.append(f"{shown}: a repeated letter without a warning: {got}")
        elif want[0] == "special":
            if kinds != ["refused"]:
                problems.append(f"{shown}: a special file not refused: {got}")
        elif want[0] == "other":
            if kinds != ["warned"]:
                problems.append(f"{shown}: a file of another kind not reported: {got}")
        elif not got:
            problems.append(f"{shown}: not in the report")
    return problems


def run_cli(kind: str, cases: int, seed: int, quick: bool) -> dict[str, dict]:
    import asyncio
    import io
    import json
    import tempfile

    from rich.console import Console

    import bot.cli.letters as cli_letters
    from bot.core.models import LetterError
    from bot.services import letters as svc
    from bot.store import open_store
    from tests.hardening.test_pdf_hostile import gigabyte_bombs

    rng = random.Random(seed)
    tally = Tally()
    if kind == "cli-bombs":
        before = peak_mib()
        for _ in range(1 if quick else 3):
            for name, build in gigabyte_bombs().items():
                data = build()
                run_case(
                    tally, lambda d=data: svc.read_letters(d, name="brief.pdf", isolate=True),
                    refusals=(LetterError,), limit_s=60,
                    check=lambda _r: "a gigabyte bomb was accepted", label=lambda nm=name: nm,
                )  # fmt: skip
        grown = peak_mib() - before
        if grown > 64:
            tally.error(f"this process grew by {grown:.0f} MiB while the child read the bombs")
        row = tally.as_dict()
        row["note"] = (
            f"child capped at {svc.PDF_WORKER_MEMORY // (1024 * 1024)} MiB; "
            f"this process grew {max(0.0, grown):.0f} MiB"
        )
        return {"cli-bombs (child)": row}

    # cli-files: folders through ingest_paths, the report printed and as JSON
    limit = 90.0
    buffer = io.StringIO()
    cli_letters.out = Console(file=buffer, highlight=False, force_terminal=True, width=200)
    cli_letters.err = cli_letters.out

    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            serial = [0]
            async with open_store(Path(tmp) / "fuzz.sqlite3") as store:
                for i in range(max(1, cases // 5)):
                    folder = Path(tmp) / f"case-{i}"
                    plan = make_cli_folder(rng, folder, serial)
                    started = time.perf_counter()
                    try:
                        report = await asyncio.wait_for(
                            svc.ingest_paths(store, [folder]), timeout=limit
                        )
                        buffer.seek(0)
                        buffer.truncate()
                        cli_letters._print_report(report)
                        json.dumps(
                            {"ingested": [cli_letters._item_json(x) for x in report.ingested],
                             "errors": [e.path + e.error for e in report.errors]},
                            ensure_ascii=False,
                        ).encode("utf-8")  # fmt: skip
                        printed = buffer.getvalue()
                        problems = check_cli_report(report, plan, folder)
                        for bad in ("\x1b]0;", "\x1b[2J", "\x07", "\u202e", "\u2066"):
                            if bad in printed:
                                problems.append(f"{bad!r} reached the terminal")
                    except Exception as exc:
                        tally.cases += len(plan)
                        tally.error(f"{type(exc).__name__}: {exc} in folder {i}\n"
                                    f"{traceback.format_exc(-3)}")  # fmt: skip
                        continue
                    elapsed = time.perf_counter() - started
                    tally.cases += len(plan)
                    tally.refused += len({e.path for e in report.errors})
                    tally.accepted += len({x.path for x in report.ingested})
                    for problem in problems:
                        tally.error(problem)
                    entries = len(plan)
                    tally.timed(elapsed, lambda i=i, k=entries: f"folder {i} ({k} entries)")
                    if elapsed > limit:
                        tally.error(f"folder {i} took {elapsed:.1f} s")
                    hwm = peak_mib()
                    if hwm > tally.hwm + 1:
                        tally.hwm = hwm
                        tally.hungriest = f"folder {i} ({hwm:.0f} MiB)"

    asyncio.run(main())
    return {kind: tally.as_dict()}


# --------------------------------------------------------------------------- query kinds


def hostile_query(rng: random.Random, fragments: list[str]) -> str:
    r = rng.random()
    if r < 0.15:
        return random_code_points(rng, rng.randrange(0, 40))
    if r < 0.25:
        piece = rng.choice(fragments) or "x"
        return (piece * (6000 // len(piece) + 1))[: rng.choice([1000, 2001, 4097, 6000])]
    parts = [rng.choice(fragments) for _ in range(rng.randrange(1, 12))]
    if rng.random() < 0.3:
        parts.append(random_code_points(rng, rng.randrange(1, 8)))
    rng.shuffle(parts)
    return (" " if rng.random() < 0.5 else "").join(parts)


def run_queries(cases: int, seed: int, quick: bool) -> dict[str, dict]:
    import asyncio
    import tempfile

    from bot.services.app import Services
    from bot.services.scope import GLOBAL, Scope
    from tests.chat.conftest import make_settings
    from tests.hardening.test_query_properties import FRAGMENTS, VALID_DIGEST_OPTIONS
    from tests.hardening.test_tenancy import secret_letter

    guild_a, guild_b = 111_111_111_111_111_111, 222_222_222_222_222_222
    rng = random.Random(seed)
    tallies = {k: Tally() for k in QUERY_KINDS}
    refusals = (LookupError, ValueError)
    limit = 10.0

    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            app = await Services.open(make_settings(Path(tmp)))
            try:
                rec, _, _ = await app.letters.add_upload(
                    secret_letter().text().encode(), filename="zeehonden.txt", guild_id=guild_a
                )
                await app.warm()
                await drive(app, rec.id)
            finally:
                await app.close()

    async def drive(app: Services, secret: int) -> None:
        digests = app.digests
        rs = app.recommendations
        secret_topics = set(rs.letter_topic_weights(secret))

        def leak(ids) -> str | None:
            return "another server's letter in the answer" if secret in set(ids) else None

        async def case(kind: str, make, check=None, label="") -> None:
            tally = tallies[kind]
            tally.cases += 1
            started = time.perf_counter()
            try:
                result = await make()
            except refusals as exc:
                tally.refusal(exc, repr(label[:100]))
            except Exception as exc:
                tally.error(f"{type(exc).__name__}: {exc} for {label[:100]!r}")
            else:
                tally.checked(check(result) if check else None, repr(label[:100]))
            elapsed = time.perf_counter() - started
            tally.timed(elapsed, lambda: repr(label[:100]))
            if elapsed > limit:
                tally.error(f"took {elapsed:.1f} s for {label[:100]!r}")

        async def sync(fn):
            return fn()

        async def one_round(q: str, scope: Scope) -> None:
            hidden = secret_topics - visible_topics(app, scope)
            await case(
                "q-quotes.find",
                lambda: app.quotes.find(q, scope=scope, letter=rng.choice([None, q])),
                lambda hits: leak(h.letter_id for h in hits),
                q,
            )
            await case(
                "q-quotes.suggest",
                lambda: sync(lambda: app.quotes.suggest(q, scope)),
                lambda cs: (
                    "another server's sentence suggested"
                    if any(v.startswith(f"{secret}:") or len(n) > 100 for n, v in cs)
                    else None
                ),
                q,
            )
            await case(
                "q-answers.ask",
                lambda: app.answers.ask(q, scope=scope),
                lambda a: leak(p.letter_id for p in a.passages) or (None if a.text else "no text"),
                q,
            )
            which = rng.choice(["topic", "letter", "length"])
            await case(
                "q-summaries.summarize",
                lambda: app.summaries.summarize(scope=scope, **{which: q}),
                lambda s: leak([s.letter.id, *(c.letter_id for c in s.sentences)]),
                q,
            )
            kind = rng.choice(["topic", "letter"])
            await case(
                "q-recommendations",
                lambda: rs.recommendations(scope, **{kind: q}),
                lambda a: leak(r.letter_id for r in a.recommendations),
                q,
            )
            letter = rng.choice([None, q])
            await case("q-recommendations.topics", lambda: rs.topics(scope, letter=letter), None, q)
            await case(
                "q-recommendations.resolve_topic",
                lambda: rs.resolve_topic(q, scope),
                lambda slug: "resolved to another server's topic" if slug in hidden else None,
                q,
            )
            await case(
                "q-recommendations.suggest_topics",
                lambda: sync(lambda: rs.suggest_topics(q, scope)),
                lambda out: (
                    "another server's topic suggested"
                    if {slug for slug, _ in out} & hidden
                    else None
                ),
                q,
            )
            await case(
                "q-resolve_letter", lambda: app.catalog.resolve(q, scope), lambda r: leak([r.id]), q
            )
            field = rng.choice(list(VALID_DIGEST_OPTIONS))
            options = dict(VALID_DIGEST_OPTIONS)
            options[field] = q.split(",") if field == "topics" else q
            b_hidden = secret_topics - visible_topics(app, Scope(guild_b))
            await case(
                "q-digests.subscribe",
                lambda: digests.subscribe(
                    kind="user", user_id=rng.randrange(1, 10**6), guild_id=guild_b, **options
                ),
                lambda sub: (
                    "subscribed to another server's topic" if set(sub.topics) & b_hidden else None
                ),
                q,
            )

        for _ in range(cases):
            await one_round(hostile_query(rng, FRAGMENTS), rng.choice([Scope(guild_b), GLOBAL]))

    def visible_topics(app, scope) -> set[str]:
        return {
            slug
            for r in app.catalog.visible(scope)
            for slug in app.recommendations.letter_topic_weights(r.id)
        }

    asyncio.run(main())
    return {k: t.as_dict() for k, t in tallies.items()}


# --------------------------------------------------------------------------- driver


def worker(kind: str, cases: int, seed: int, quick: bool, memory_mib: int) -> None:
    if memory_mib > 0:
        limit = memory_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if kind in PARSER_KINDS:
        out = run_parser(kind, cases, seed, quick)
    elif kind in PDF_KINDS:
        out = run_pdf(kind, cases, seed, quick)
    elif kind in CLI_KINDS:
        out = run_cli(kind, cases, seed, quick)
    else:
        out = run_queries(cases, seed, quick)
    peak = round(peak_mib(), 1)
    for row in out.values():
        row.setdefault("peak_mib", peak)
    print("FUZZ-RESULT " + json.dumps(out))


def failed_row(why: str) -> dict:
    return {"cases": 0, "refused": 0, "accepted": 0, "errors": 1, "max_ms": 0, "peak_mib": 0,
            "examples": [why]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--cases", type=int, default=2000, help="cases per kind (queries: per service)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(ALL_KINDS))
    parser.add_argument(
        "--memory-limit", type=int, default=3072, help="MiB of address space per kind"
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds per kind")
    parser.add_argument("--quick", action="store_true", help="fewer cases, smaller big letters")
    parser.add_argument("--verbose", action="store_true", help="name the slowest, hungriest cases")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.cases, args.seed, args.quick, args.memory_limit)
        return

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = set(kinds) - set(ALL_KINDS)
    if unknown:
        parser.error(f"unknown kinds {sorted(unknown)}; choose from {ALL_KINDS}")
    cases = min(args.cases, 300) if args.quick else args.cases
    print(f"fuzz: {cases} cases per kind, seed {args.seed}, {args.memory_limit} MiB and "
          f"{args.timeout} s per kind, {os.cpu_count()} CPUs")  # fmt: skip
    rows: dict[str, dict] = {}
    started = time.perf_counter()
    for kind in kinds:
        t0 = time.perf_counter()
        cmd = [sys.executable, __file__, "--worker", kind, "--cases", str(cases),
               "--seed", str(args.seed), "--memory-limit", str(args.memory_limit)]  # fmt: skip
        if args.quick:
            cmd.append("--quick")
        path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "PYTHONPATH": path}
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=args.timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            rows[kind] = failed_row(f"the kind did not finish in {args.timeout} s")
            continue
        line = next((x for x in proc.stdout.splitlines() if x.startswith("FUZZ-RESULT ")), None)
        if line is None:
            rows[kind] = failed_row(f"worker died (rc {proc.returncode}): {proc.stderr[-800:]}")
            continue
        rows.update(json.loads(line.removeprefix("FUZZ-RESULT ")))
        print(f"  {kind}: done in {time.perf_counter() - t0:.0f} s", flush=True)

    header = (
        f"{'kind':34} {'cases':>7} {'refused':>8} {'accepted':>9} {'errors':>7} "
        f"{'max ms':>9} {'peak MiB':>9}"
    )
    print()
    print(header)
    print("-" * len(header))
    total = errors = 0
    for kind, r in rows.items():
        total += r["cases"]
        errors += r["errors"]
        note = f"  ({r['note']})" if r.get("note") else ""
        print(
            f"{kind:34} {r['cases']:>7} {r['refused']:>8} {r['accepted']:>9} {r['errors']:>7} "
            f"{r['max_ms']:>9.0f} {r['peak_mib']:>9.0f}{note}"
        )
    print("-" * len(header))
    took = time.perf_counter() - started
    print(f"{'total':34} {total:>7} {'':>8} {'':>9} {errors:>7}   in {took:.0f} s")
    if args.verbose:
        print()
        for kind, r in rows.items():
            print(f"{kind}: slowest {r.get('slowest')!r}")
            if r.get("hungriest"):
                print(f"{' ' * len(kind)}  memory rose last at {r.get('hungriest')!r}")
    for kind, r in rows.items():
        for example in r.get("examples", []):
            print(f"\n[{kind}] {example}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
