"""The synthetic store with its derived data baked in, for benchmarks of the whole bot.

    python bench/ready_store.py [--letters 10000]

``ensure_ready_db(n)`` takes ``bench/synthetic.py``'s store of ``n`` letters and adds what
ingest would have stored: recommendations and topics (computed for real, by the
RecommendationService backfill) and sentence vectors. Embedding a million sentences for real
takes about an hour on this machine, so the vectors are stand-ins: real USE embeddings of a
sample of the corpus's sentences, each reused with a little noise. That is faithful for speed
and memory (same sizes, same index structure), not for answer quality; quality is measured on
the real corpus in ``bench/ask_quality.py``. Cached under ``bench/out/``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synthetic import OUT, ensure_synthetic_db  # noqa: E402
from bot.core.vectors import SentenceEncoder, model_version, normalise, to_blob  # noqa: E402
from bot.services.app import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402

SAMPLE = 3000  # sentences embedded for real, reused as stand-ins
BATCH = 20_000


def settings_for(db: Path) -> Settings:
    return Settings(BRIEFBOT_DB=db, BRIEFBOT_LETTERS_DIR=ROOT / "data" / "letters")


def _stand_in_vectors(db: Path, version: str) -> int:
    rng = np.random.default_rng(7)
    with sqlite3.connect(db) as conn:
        texts = [
            r[0]
            for r in conn.execute(
                "SELECT text FROM sentences WHERE id % 331 = 0 LIMIT ?", (SAMPLE,)
            )
        ]
    base = SentenceEncoder(threads=1).encode(texts)
    written = 0
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA synchronous = OFF")
        cursor = conn.execute("SELECT id, letter_id FROM sentences ORDER BY id")
        while rows := cursor.fetchmany(BATCH):
            picks = base[rng.integers(0, len(base), len(rows))]
            vecs = normalise(picks + 0.05 * rng.standard_normal(picks.shape).astype(np.float32))
            conn.executemany(
                "INSERT OR REPLACE INTO sentence_vectors (sentence_id, letter_id, vector)"
                " VALUES (?, ?, ?)",
                [(sid, lid, to_blob(v)) for (sid, lid), v in zip(rows, vecs, strict=True)],
            )
            written += len(rows)
        conn.execute(
            "INSERT OR REPLACE INTO derived (letter_id, kind, version)"
            " SELECT id, 'vectors', ? FROM letters",
            (version,),
        )
        conn.commit()
    return written


async def _bake(db: Path) -> None:
    t = time.perf_counter()
    app = await Services.open(settings_for(db), seed=False)  # recommendations backfill runs here
    await app.close()
    print(f"recommendations and topics for every letter: {time.perf_counter() - t:.0f} s")


def ensure_ready_db(n_letters: int) -> Path:
    version = model_version()
    target = OUT / f"ready-{n_letters}-{version.replace('/', '_')}.sqlite3"
    if target.exists():
        return target
    work = target.with_name(target.name + ".tmp")
    shutil.copyfile(ensure_synthetic_db(n_letters), work)
    asyncio.run(_bake(work))
    t = time.perf_counter()
    n = _stand_in_vectors(work, version)
    print(f"stand-in vectors for {n:,} sentences: {time.perf_counter() - t:.0f} s")
    with sqlite3.connect(work) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    work.replace(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--letters", type=int, default=10_000)
    path = ensure_ready_db(parser.parse_args().letters)
    print(f"{path} ({path.stat().st_size / 2**20:.0f} MiB)")


if __name__ == "__main__":
    main()
