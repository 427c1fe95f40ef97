"""Ingest speed: letters per second for the corpus text and PDFs, on one core, and memory.

    python bench/ingest_speed.py [--rounds 5]

Parses every corpus letter (clean .txt, its damaged form, and the .pdf) ``--rounds`` times on
one core, then ingests them all into a fresh SQLite store. Target: at least 50 text letters/s.
"""

from __future__ import annotations

import argparse
import asyncio
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
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
