"""Ingest speed: letters per second for the corpus text and PDFs, on one core, and memory.

    python bench/ingest_speed.py [--rounds 5] [--baseline DIR]

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
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import corpus_dir, peak_rss_mb, pin_one_core

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", help="a directory holding another version of bot/")
    args = parser.parse_args()
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
