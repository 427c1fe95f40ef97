"""What a poll costs: a year of the trafficking dossier (28638) on the local fake of the
Tweede Kamer's OData API, with briefbot's real politeness (one request a second per host).

    python bench/follow_poll.py [--letters 40] [--others 20] [--noise 400] [--interval 1.0]

The fake holds a year of dossier 28638: ``--letters`` letters (PDF: the 26 real letters of
``../shared/corpus/letters`` when there, generated ones after that), ``--others`` documents of
the dossier briefbot does not read (Word files, as the Kamer publishes many), and ``--noise``
documents of other dossiers (the API filters them out). It prints, for ``follow add tweedekamer
--dossier 28638 --since <a year ago>``:

* the first poll (the backfill): requests, seconds, letters added, skipped;
* the next poll with nothing new, and one after a new letter was published;
* baselines in the same run: a poll that re-reads every file each time (no cursor, no
  versions), and following the SyncFeed instead (every document of the Kamer, one Atom page of
  250 entries per request, estimated from ``--kamer-per-year``).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import REPO

sys.path.insert(0, str(REPO))

from bot.services.app import Services
from bot.services.sources.http import PoliteClient
from bot.settings import Settings
from tests.fake_tweedekamer import DOCX, FakeDocument, FakeTweedeKamer
from tests.source_docs import corpus_pdfs, letter_pdf

BUNDLED = REPO / "data" / "letters"


def populate(tk: FakeTweedeKamer, letters: int, others: int, noise: int) -> int:
    today = datetime.now(UTC).date()
    real = corpus_pdfs()
    for i in range(letters):
        content = real[i].pdf.read_bytes() if i < len(real) else letter_pdf(i)
        tk.add(
            FakeDocument(
                soort="Brief regering", onderwerp=f"Mensenhandel, brief {i}",
                datum=today - timedelta(days=5 + (360 * i) // max(1, letters)),
                content=content, dossiers=[(28638, None)],
            )
        )  # fmt: skip
    for i in range(others):
        tk.add(
            FakeDocument(
                soort="Motie", onderwerp=f"Motie over mensenhandel {i}",
                datum=today - timedelta(days=7 + 17 * i), content=b"PK\x03\x04 docx",
                content_type=DOCX, dossiers=[(28638, None)],
            )
        )  # fmt: skip
    for i in range(noise):
        tk.add(
            FakeDocument(
                soort="Brief regering", onderwerp=f"Ander onderwerp {i}",
                datum=today - timedelta(days=i % 365), content=b"%PDF-1.4 other",
                dossiers=[(36000 + i % 50, None)],
            )
        )  # fmt: skip
    return min(letters, len(real))


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=int, default=40)
    parser.add_argument("--others", type=int, default=20)
    parser.add_argument("--noise", type=int, default=400)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between requests")
    parser.add_argument(
        "--kamer-per-year", type=int, default=40_000, help="the Kamer's documents a year"
    )
    args = parser.parse_args()

    async with FakeTweedeKamer() as tk:
        real = populate(tk, args.letters, args.others, args.noise)
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                BRIEFBOT_DB=Path(tmp) / "bench.sqlite3", BRIEFBOT_LETTERS_DIR=BUNDLED,
                BRIEFBOT_TWEEDEKAMER_URL=tk.base_url,
            )  # fmt: skip
            client = PoliteClient(interval=args.interval)
            app = await Services.open(settings, seed=False, http=client)
            service = app.sources
            try:
                since = (datetime.now(UTC).date() - timedelta(days=365)).isoformat()
                await service.follow_tweedekamer(dossiers=["28638"], since=since)

                def row(label: str, report, wall: float) -> None:
                    print(
                        f"{label:<42} {report.requests:>8} {wall:>8.1f} s "
                        f"{len(report.added):>6} {len(report.skipped):>8} {len(report.errors):>6}"
                    )

                print(
                    f"fake: dossier 28638 with {args.letters} letters ({real} real PDFs), "
                    f"{args.others} Word files; {args.noise} documents of other dossiers; "
                    f"{args.interval:g} s between requests"
                )
                print(f"{'poll':<42} {'requests':>8} {'time':>10} {'added':>6} {'skipped':>8} "
                      f"{'errors':>6}")  # fmt: skip
                started = time.monotonic()
                first = await service.poll()
                row("first poll: a year (backfill)", first, time.monotonic() - started)
                started = time.monotonic()
                second = await service.poll()
                row("next poll, nothing new", second, time.monotonic() - started)
                tk.add(
                    FakeDocument(
                        soort="Brief regering", onderwerp="Mensenhandel, nieuwe brief",
                        datum=datetime.now(UTC).date(), content=letter_pdf(999),
                        dossiers=[(28638, None)],
                    )
                )  # fmt: skip
                started = time.monotonic()
                third = await service.poll()
                row("next poll, one new letter", third, time.monotonic() - started)
                listed = args.letters + args.others
                reread = math.ceil(listed / 250) + args.letters
                print(
                    f"\nbaseline, re-reading every file at each poll: {reread} requests, "
                    f"~{reread * args.interval:.0f} s a poll (incremental: {second.requests} "
                    f"requests; {reread / max(1, second.requests):.0f}x fewer)"
                )
                feed_pages = math.ceil(args.kamer_per_year / 250)
                feed = feed_pages + args.letters
                print(
                    f"baseline, the SyncFeed for a year of the Kamer ({args.kamer_per_year:,} "
                    f"documents, 250 per page): {feed_pages} pages + {args.letters} files = "
                    f"{feed} requests, ~{feed * args.interval:.0f} s (the OData backfill: "
                    f"{first.requests} requests, {feed / max(1, first.requests):.1f}x fewer)"
                )
            finally:
                await service.close()
                await app.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
