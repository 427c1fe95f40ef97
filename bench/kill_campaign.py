"""SIGKILL briefbot at random moments, many times, while it ingests, while it computes vectors
and while it sends digests.

    python bench/kill_campaign.py [--kills 200] [--kind ingest|vectors|digests|poll|all] [--seed 0]

Each kill hits a real process: a child forked from ``tests/hardening/killer.py serve`` with its
own SQLite connection; digest children post over HTTP to the protocol-level Discord test
server running in this process. After every kill the database is checked as the dead process
left it; after each clean run, every due digest must have gone out exactly once, complete.

``poll`` kills ``briefbot follow poll`` against a fake of the Tweede Kamer's OData API running
in this process, while the source publishes, changes and deletes documents between rounds; in
the end every live document must be one letter at its latest version (``lost`` counts documents
missing or stale, ``doubled`` documents stored twice).

``vectors`` kills an ingest in its vector phase (announced by the child), asks a question in a
fresh process after each kill (it must compute no vector: ``other`` counts it if it does) and
ends with one ingest of everything, without the bot's warm-up: every letter must then be there
once with all its vectors and recommendations.

Prints one row per kind: kills, integrity failures (``PRAGMA integrity_check`` or
``foreign_key_check``), partial letters (sentence rows, FTS5 documents or vectors that do not
match the letter's ``sentence_count``), lost digests, doubled digests. Target: all 0.
Exit code 1 if any is not.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

from common import REPO

sys.path.insert(0, str(REPO))

from tests.hardening.killer import (
    CampaignResult,
    digest_campaign,
    ingest_campaign,
    poll_campaign,
    vector_campaign,
)


def row(r: CampaignResult) -> str:
    delays = r.kill_delays or [0.0]
    p50, top = statistics.median(delays) * 1000, max(delays) * 1000
    return (
        f"{r.kind:<8} {r.runs:>5} {r.kills:>6} {r.integrity_failures:>10} {r.partial_letters:>8} "
        f"{r.lost_digests:>5} {r.doubled_digests:>7} {len(r.child_errors) + len(r.problems):>6}"
        f"   {p50:>5.0f}/{top:.0f} ms {r.seconds:>6.0f} s"
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200, help="kills per kind (default 200)")
    parser.add_argument(
        "--kind", choices=["ingest", "vectors", "digests", "poll", "both", "all"], default="all",
        help="both: ingest and digests (as before); all: the four",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()

    results: list[CampaignResult] = []
    work = Path(tempfile.mkdtemp(prefix="kill-campaign-"))

    def progress(r: CampaignResult) -> None:
        if not sys.stdout.isatty():
            return
        print(f"  {r.kind}: {r.kills}/{args.kills} kills, {r.runs} runs", end="\r", flush=True)

    if args.kind in ("ingest", "both", "all"):
        (work / "ingest").mkdir()
        results.append(
            await ingest_campaign(work / "ingest", args.kills, seed=args.seed, progress=progress)
        )
    if args.kind in ("vectors", "all"):
        (work / "vectors").mkdir()
        results.append(
            await vector_campaign(work / "vectors", args.kills, seed=args.seed, progress=progress)
        )
    if args.kind in ("poll", "all"):
        (work / "poll").mkdir()
        results.append(
            await poll_campaign(work / "poll", args.kills, seed=args.seed, progress=progress)
        )
    if args.kind in ("digests", "both", "all"):
        (work / "digests").mkdir()
        results.append(
            await digest_campaign(work / "digests", args.kills, seed=args.seed, progress=progress)
        )
    if sys.stdout.isatty():
        print(" " * 60, end="\r")
    print(
        "kind      runs  kills  integrity  partial  lost  doubled  other   kill at p50/max   time"
    )
    for r in results:
        print(row(r))
    bad = [r for r in results if not r.clean]
    for r in bad:
        for line in [*r.child_errors, *r.problems][:20]:
            print(f"  {r.kind}: {line}")
    if args.keep or bad:
        print(f"work folder: {work}")
    else:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
