"""Ingest speed: letters per second for the corpus text and PDFs, on one core, and memory;
and, at archive size, ingest to "answerable" and the vector catch-up (issue 14).

    python bench/ingest_speed.py [--rounds 5] [--baseline DIR]
    python bench/ingest_speed.py --synthetic 1000 [--baseline-rev REV] [--baseline-letters 60]

Parses every corpus letter (clean .txt, its damaged form, and the .pdf) ``--rounds`` times on
one core, then ingests them all into a fresh SQLite store. Target: at least 50 text letters/s.

``--baseline DIR``: a directory that holds another version of the ``bot`` package (for instance
``git archive <rev> bot | tar -x -C DIR``); its parser is measured in the same run, in a child
process on the same core, before and after this one, and the ratio printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import BASELINE_REV, baseline_tree, child_json, corpus_dir, peak_rss_mb, pin_one_core

from bot.core.decode import decode_text
from bot.core.lexicon import warm_up
from bot.core.parse import parse_letter
from bot.core.pdf import extract_pdf_pages
from bot.core.repair import warm_up as warm_repair
from bot.core.text import damage
from bot.services.letters import ingest_paths
from bot.store import open_store


def _rate(fn, items, rounds: int) -> tuple[float, float]:
    """(letters per second, worst ms per letter) over ``rounds`` passes."""
    times = []
    for _ in range(rounds):
        for item in items:
            t = time.perf_counter()
            fn(item)
            times.append(time.perf_counter() - t)
    return len(times) / sum(times), max(times) * 1000


_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[2])
from ingest_speed import parse_rates
print(json.dumps(parse_rates(int(sys.argv[3]))))
"""


def parse_rates(rounds: int) -> dict[str, float]:
    """Letters per second parsed by the ``bot`` package on ``sys.path``, per input form."""
    folder = corpus_dir()
    assert folder is not None
    pin_one_core()
    warm_up()
    warm_repair()
    texts = [decode_text(p.read_bytes()) for p in sorted(folder.glob("*.txt"))]
    damaged = [damage(t) for t in texts]
    pdfs = [p.read_bytes() for p in sorted(folder.glob("*.pdf"))]
    parse_letter(texts[0])
    return {
        "clean": _rate(parse_letter, texts, rounds)[0],
        "damaged": _rate(parse_letter, damaged, rounds)[0],
        "pdf": _rate(
            lambda d: parse_letter("\n\f\n".join(extract_pdf_pages(d)), source_kind="pdf"),
            pdfs,
            rounds,
        )[0],
    }


def _baseline(tree: str, rounds: int) -> None:
    """This tree's parser and the one in ``tree``, alternating (old, new, old, new), each in
    a child process; the mean rates and their ratio."""
    bench = str(Path(__file__).resolve().parent)
    here = str(Path(__file__).resolve().parent.parent)
    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "this tree": []}
    for _ in range(2):
        for name, root in (("baseline", tree), ("this tree", here)):
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, root, bench, str(rounds)],
                capture_output=True,
                text=True,
                check=True,
                cwd=root,
            )
            runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\nparse rate against {tree} (letters/s, mean of two alternating runs each)")
    print(f"{'input':<10}{'baseline':>12}{'this tree':>12}{'ratio':>8}")
    for form in ("clean", "damaged", "pdf"):
        old = sum(r[form] for r in runs["baseline"]) / 2
        new = sum(r[form] for r in runs["this tree"]) / 2
        print(f"{form:<10}{old:>12.1f}{new:>12.1f}{new / old:>8.2f}")


# --------------------------------------------------------------------------- archive size

_MONTHS = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()


def render_letter(letter) -> str:  # type: ignore[no-untyped-def]
    """A ``bench/synthetic.py`` letter as the text file of a letter: letterhead, date, subject,
    salutation, headed sections in paragraphs, page breaks, closing and signatory."""
    y, m, d = letter.date.split("-")
    lines = [
        "Nationaal Rapporteur Mensenhandel", "Postbus 20301", "2500 EH Den Haag", "",
        "Aan de Voorzitter van de Tweede Kamer der Staten-Generaal", "Postbus 20018",
        "2500 EA Den Haag", "", f"Datum {int(d)} {_MONTHS[int(m) - 1]} {y}",
        f"Onderwerp {letter.subject}", "", "Geachte voorzitter,", "",
    ]  # fmt: skip
    page, section, para = 1, 0, []
    for s in letter.sentences:
        if s.section != section:
            if para:
                lines += [" ".join(para), ""]
                para = []
            section = s.section
            if letter.headings[section]:
                lines += [letter.headings[section], ""]
        if s.page != page:
            if para:
                lines.append(" ".join(para))
                para = []
            lines.append("\f")
            page = s.page
        para.append(s.text)
        if len(para) >= 4:
            lines += [" ".join(para), ""]
            para = []
    if para:
        lines.append(" ".join(para))
    lines += ["", "Hoogachtend,", "", "C.E. Dettmeijer-Vermeulen", "Nationaal Rapporteur"]
    return "\n".join(lines)


def write_synthetic_files(n: int, folder: Path) -> int:
    """``n`` generated letters as .txt files in ``folder``; returns their sentences."""
    from bench.synthetic import load_sources, make_letter

    src = load_sources()
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        letter = make_letter(i, 7, src)
        total += len(letter.sentences)
        (folder / f"brief-{i:05d}.txt").write_text(render_letter(letter), encoding="utf-8")
    return total


# The child puts the measured tree first on sys.path and imports nothing of this one.
_ARCHIVE_CHILD = """
import asyncio, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from ingest_child import archive_run
print(json.dumps(asyncio.run(archive_run(sys.argv[3], sys.argv[4], sys.argv[5] == "new"))))
"""


def _archive_child(root: str, folder: Path, db: Path, new: bool) -> dict[str, float]:
    bench = str(Path(__file__).resolve().parent)
    return child_json(_ARCHIVE_CHILD, root, bench, folder, db, "new" if new else "old", cwd=root)


def archive(n: int, baseline_rev: str, baseline_letters: int) -> None:
    here = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "letters"
        sentences = write_synthetic_files(n, folder)
        print(f"{n:,} generated letters, {sentences:,} sentences (bench/synthetic.py, as .txt)")
        base_folder = Path(tmp) / "base-letters"
        base_folder.mkdir()
        for f in sorted(folder.glob("*.txt"))[:baseline_letters]:
            (base_folder / f.name).write_bytes(f.read_bytes())
        base_tree = baseline_tree(baseline_rev, Path(tmp))
        load = [os.getloadavg()[0]]
        old = _archive_child(str(base_tree), base_folder, Path(tmp) / "old.sqlite3", False)
        load.append(os.getloadavg()[0])
        new = _archive_child(here, folder, Path(tmp) / "new.sqlite3", True)
        load.append(os.getloadavg()[0])
    old_rate = old["letters"] / old["ingest_s"]
    old_sent = old["sentences"] / old["ingest_s"]
    new_rate = new["letters"] / new["ingest_s"]
    new_sent = new["sentences"] / new["ingest_s"]
    vec_rate = new["embedded"] / new["vectors_s"] if new["vectors_s"] else 0.0
    print(
        f"today ({baseline_rev}): {old['letters']:.0f} letters ingested with their vectors inline"
    )
    print(f"this tree: {new['letters']:.0f} letters to answerable, then the vector catch-up")
    print(f"{'':<34}{'baseline':>12}{'this tree':>12}{'ratio':>8}")
    print(f"{'ingest to answerable, letters/s':<34}{old_rate:>12.1f}{new_rate:>12.1f}"
          f"{new_rate / old_rate:>8.1f}")  # fmt: skip
    print(f"{'ingest to answerable, sentences/s':<34}{old_sent:>12.0f}{new_sent:>12.0f}"
          f"{new_sent / old_sent:>8.1f}")  # fmt: skip
    print(f"{'vectors, sentences/s (catch-up)':<34}{old_sent:>12.0f}{vec_rate:>12.0f}"
          f"{vec_rate / old_sent:>8.1f}")  # fmt: skip
    print(f"answerable at once: quote {bool(new['quote_found'])}, question {bool(new['ask_found'])}"
          f"; {new['pending']:,.0f} sentences waited for vectors, {new['pending_after']:,.0f} after"
          f" the catch-up; refused files: {new['errors']:.0f}")  # fmt: skip
    print(f"targets: >= 50 letters/s and >= 5,000 sentences/s to answerable: "
          f"{'met' if new_rate >= 50 and new_sent >= 5000 else 'NOT met'}; vectors >= 3x: "
          f"{'met' if vec_rate >= 3 * old_sent else 'NOT met'}")  # fmt: skip
    print("(baseline vectors/s: today's inline ingest, whose time is nearly all embedding)")
    if "ingest_cpu_s" in new:  # CPU seconds: what the work cost, however loaded the machine
        per = 1000 * new["ingest_cpu_s"] / max(1.0, new["letters"])
        line = f"CPU per letter to answerable (all processes): {per:.0f} ms"
        if "ingest_cpu_s" in old:
            line += (
                f" (baseline, vectors inline: {1000 * old['ingest_cpu_s'] / old['letters']:.0f} ms)"
            )
        print(line)
    if new.get("vectors_cpu_s"):
        print(f"vectors per CPU-second (catch-up): {new['embedded'] / new['vectors_cpu_s']:.0f}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {cores} cores; 1-minute load before/between/after: "
          + " / ".join(f"{x:.1f}" for x in load))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", help="a directory holding another version of bot/")
    parser.add_argument("--synthetic", type=int, metavar="N", help="ingest N generated letters")
    parser.add_argument("--baseline-rev", default=BASELINE_REV, help="git revision of today's code")
    parser.add_argument("--baseline-letters", type=int, default=60)
    args = parser.parse_args()
    if args.synthetic:
        archive(args.synthetic, args.baseline_rev, min(args.baseline_letters, args.synthetic))
        return
    if args.baseline:
        if corpus_dir() is None:
            print("corpus not found (../shared/corpus/letters): nothing to measure")
            return
        _baseline(args.baseline, args.rounds)
        return
    folder = corpus_dir()
    if folder is None:
        print("corpus not found (../shared/corpus/letters): nothing to measure")
        return
    note = pin_one_core()
    warm_up()
    warm_repair()
    texts = [decode_text(p.read_bytes()) for p in sorted(folder.glob("*.txt"))]
    damaged = [damage(t) for t in texts]
    pdfs = [p.read_bytes() for p in sorted(folder.glob("*.pdf"))]
    parse_letter(texts[0])  # warm caches

    rows = []
    rate, worst = _rate(parse_letter, texts, args.rounds)
    rows.append(("clean .txt (parse)", rate, worst))
    rate, worst = _rate(parse_letter, damaged, args.rounds)
    rows.append(("damaged .txt (parse)", rate, worst))
    rate, worst = _rate(
        lambda d: parse_letter("\n\f\n".join(extract_pdf_pages(d)), source_kind="pdf"),
        pdfs,
        args.rounds,
    )
    rows.append((".pdf (extract + parse)", rate, worst))

    tracemalloc.start()
    for t in texts:
        parse_letter(t)
    _, parse_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"

        async def ingest() -> tuple[float, int]:
            async with open_store(db) as store:
                t = time.perf_counter()
                report = await ingest_paths(store, [folder])
                return time.perf_counter() - t, len(report.ingested)

        seconds, count = asyncio.run(ingest())
        db_size = db.stat().st_size

    print(f"briefbot ingest benchmark: {len(texts)} letters x {args.rounds} rounds, {note}")
    print(f"{'input':<26}{'letters/s':>12}{'worst ms':>10}")
    for name, rate, worst in rows:
        print(f"{name:<26}{rate:>12.1f}{worst:>10.1f}")
    print(
        f"store ingest (.txt + .pdf, parse + SQLite + FTS5): {count} files in {seconds:.2f} s "
        f"= {count / seconds:.1f} letters/s; database {db_size / 1024:.0f} KiB"
    )
    print(f"peak traced memory while parsing one letter at a time: {parse_peak / 1024:.0f} KiB")
    print(f"peak RSS of the whole run: {peak_rss_mb():.0f} MiB")
    target = rows[0][1]
    print(f"target >= 50 text letters/s on one core: {'met' if target >= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
