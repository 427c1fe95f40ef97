"""Question answering speed at scale: ingest, embedding rate, BM25 and hybrid latency.

    python bench/ask_speed.py                  # everything (first run embeds 100k sentences)
    python bench/ask_speed.py --quick          # 100 letters instead of 1,000 for the hybrid
    python bench/ask_speed.py --skip-1m        # no million-sentence part

Stores come from ``bench/synthetic.py`` (``ensure_synthetic_db``: ~100 sentences per letter,
cached under ``bench/out/``). Queries are the questions of ``bench/eval/questions.jsonl`` plus
variants (~200), run pinned to one core after one warm-up pass; latencies are per call.

1. Ingest through ``LetterService.add_path`` of the dev corpus (or the bundled letter without
   ``../shared``): sentences/s of the whole ingest (parse, store, every index; embeddings are
   computed and stored by the ask service), and the database size with vectors.
2. Hybrid at 100k sentences (1,000 synthetic letters; the store is copied, its vectors are
   computed once by the service's backfill and the copy kept in ``bench/out`` for reruns):
   embedding rate (sentences/s, one thread), DB size before/after, index build time, and
   ``AskService.ask`` p50/p95 end to end (question embedding, query expansion, BM25, dense,
   fusion, sentence fetch, composition).
3. One million sentences (10,000 synthetic letters): BM25 built from the store, p50/p95 of
   ``BM25Index.search``. Embedding a million sentences takes ~40 min on this machine, so the
   dense index at 1M is filled with the 100k real vectors of part 2 repeated ten times with
   small noise (realistic for speed, not for answers): dense p50/p95 and recall@10 of its
   inverted file against an exact scan, and the service's whole retrieval (``_retrieve``:
   question embedding + expansion + BM25 + dense + fusion) p50/p95 over both 1M indexes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.common import OUT, corpus_dir, peak_rss_mb, pin_one_core  # noqa: E402
from bench.synthetic import ensure_synthetic_db  # noqa: E402
from bot.core import ask as core  # noqa: E402
from bot.core.bm25 import BM25Index  # noqa: E402
from bot.core.vectors import DenseIndex, from_blobs, in_context, model_version  # noqa: E402
from bot.services.app import Services  # noqa: E402
from bot.services.ask import _Indexes  # noqa: E402
from bot.services.scope import OPERATOR  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import open_store  # noqa: E402

QUESTIONS = ROOT / "bench" / "eval" / "questions.jsonl"


def questions() -> list[str]:
    with QUESTIONS.open(encoding="utf-8") as f:
        base = [json.loads(line)["question"] for line in f if line.strip()]
    variants = [q.rstrip("?") + " in de brieven?" for q in base[:60]]
    return base + variants + ["Wat zegt de rapporteur over jeugdzorg en gemeenten?"] * 5


def pct(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p50 = statistics.median(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms  (n={len(ms)})"


def db_mib(path: Path) -> float:
    total = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return total / 2**20


def settings_for(db: Path) -> Settings:
    return Settings(BRIEFBOT_DB=str(db), BRIEFBOT_LETTERS_DIR=str(db.parent))


# --------------------------------------------------------------------------- 1. ingest


async def ingest(tmp: Path) -> None:
    corpus = corpus_dir()
    files = sorted(corpus.glob("*.txt")) if corpus else sorted((ROOT / "data/letters").glob("*"))
    db = tmp / "ingest.sqlite3"
    app = await Services.open(settings_for(db), seed=False)
    try:
        started = time.perf_counter()
        await app.letters.add_path(files)
        took = time.perf_counter() - started
        n = await app.store.vectors.count()
        print(f"[1] ingest of {len(files)} letters, {n} sentences with vectors: {took:.1f} s, "
              f"{n / took:.0f} sentences/s (parse + store + all indexes + embeddings)")  # fmt: skip
    finally:
        await app.close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        vec_bytes = conn.execute("SELECT sum(length(vector)) FROM sentence_vectors").fetchone()[0]
    print(f"    database {db_mib(db):.1f} MiB, of which vector blobs {vec_bytes / 2**20:.2f} MiB "
          f"({vec_bytes / max(n, 1):.0f} bytes/sentence)")  # fmt: skip


# --------------------------------------------------------------------------- 2. hybrid, 100k


async def embedded_store(n_letters: int) -> Path:
    """A copy of the synthetic store with every sentence's vector (computed once, cached)."""
    tag = model_version().replace("/", "_")
    target = OUT / f"ask-vectors-{n_letters}-{tag}.sqlite3"
    if target.exists():
        print(f"[2] reusing {target.name} (vectors already computed)")
        return target
    source = ensure_synthetic_db(n_letters)
    work = target.with_name(target.name + ".tmp")
    shutil.copyfile(source, work)
    before = db_mib(work)
    app = await Services.open(settings_for(work), seed=False)
    try:
        n = sum(r.sentence_count for r in app.catalog.by_id.values())
        started = time.perf_counter()
        await app.answers.backfill()
        took = time.perf_counter() - started
        print(f"[2] embedded and stored {n:,} sentences in {took:.0f} s: {n / took:.0f} "
              f"sentences/s (one thread; includes writing the vectors)")  # fmt: skip
    finally:
        await app.close()
    with sqlite3.connect(work) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"    database {before:.0f} MiB -> {db_mib(work):.0f} MiB with vectors")
    work.replace(target)
    return target


async def hybrid_100k(n_letters: int, qs: list[str]) -> Path:
    db = await embedded_store(n_letters)
    app = await Services.open(settings_for(db), seed=False)
    try:
        started = time.perf_counter()
        await app.answers.warm()
        indexes = await app.answers._indexes.get()
        took = time.perf_counter() - started
        print(f"    indexes built from the store in {took:.1f} s: {len(indexes.bm25):,} "
              f"sentences, {len(indexes.dense):,} vectors (inverted file: "
              f"{indexes.dense.uses_ivf}); peak RSS {peak_rss_mb():.0f} MiB")  # fmt: skip
        for q in qs[:20]:
            await app.answers.ask(q, scope=OPERATOR)
        times, found = [], 0
        for q in qs:
            t = time.perf_counter()
            answer = await app.answers.ask(q, scope=OPERATOR)
            times.append(time.perf_counter() - t)
            found += answer.found
        print(f"    ask() at {len(indexes.bm25):,} sentences: {pct(times)}; "
              f"answered {found}/{len(qs)}")  # fmt: skip
        bm = [await timed_bm25(indexes.bm25, q) for q in qs]
        print(f"    BM25 alone at {len(indexes.bm25):,}: {pct(bm)}")
    finally:
        await app.close()
    return db


async def timed_bm25(index: BM25Index, q: str) -> float:
    text = core.search_text(q)
    t = time.perf_counter()
    index.search(text, 50)
    return time.perf_counter() - t


# --------------------------------------------------------------------------- 3. one million


async def bm25_from_store(path: Path) -> BM25Index:
    index = BM25Index()
    store = await open_store(path)
    try:
        current, pending, sections = None, [], []
        async for rec in store.letters.iter_all_sentences(batch=20_000):
            if rec.letter_id != current:
                if pending:
                    index.add(current, pending, sections)
                current, pending, sections = rec.letter_id, [], []
            pending.append((rec.id, rec.text))
            sections.append(rec.section_id)
        if pending:
            index.add(current, pending, sections)
        index.flush()
    finally:
        await store.close()
    return index


async def vectors_of(path: Path) -> np.ndarray:
    store = await open_store(path)
    try:
        parts = [from_blobs([r.vector for r in rows]) async for rows in store.vectors.iter_all()]
    finally:
        await store.close()
    return np.concatenate(parts)


async def one_million(vec_db: Path, qs: list[str]) -> None:
    path = ensure_synthetic_db(10_000)
    started = time.perf_counter()
    bm25 = await bm25_from_store(path)
    print(f"[3] BM25 over {len(bm25):,} sentences built in {time.perf_counter() - started:.0f} s; "
          f"peak RSS {peak_rss_mb():.0f} MiB")  # fmt: skip
    for q in qs[:20]:
        await timed_bm25(bm25, q)
    print(f"    BM25.search (50 hits) at 1M: {pct([await timed_bm25(bm25, q) for q in qs])}")

    base = await vectors_of(vec_db)
    rng = np.random.default_rng(1)
    n = len(bm25)
    dense = DenseIndex()
    started = time.perf_counter()
    letter, row = 0, 0
    while row < n:
        take = min(100, n - row)
        src = base[rng.integers(0, len(base), take)]
        noisy = src + 0.05 * rng.standard_normal(src.shape).astype(np.float32)
        dense.add(letter, list(range(row, row + take)), in_context(noisy), maintain=False)
        letter, row = letter + 1, row + take
    dense.optimize()
    print(f"    dense index of {len(dense):,} vectors (100k real, repeated with noise) built in "
          f"{time.perf_counter() - started:.0f} s (inverted file: {dense.uses_ivf}); "
          f"peak RSS {peak_rss_mb():.0f} MiB")  # fmt: skip

    settings = Settings(BRIEFBOT_DB=str(vec_db), BRIEFBOT_LETTERS_DIR=str(vec_db.parent))
    app = await Services.open(settings, seed=False)
    try:
        service = app.answers
        qvecs = service.encoder.encode(qs)
        times, recall = [], []
        exact = dense._vec[: dense._n]
        for i, qv in enumerate(qvecs):
            t = time.perf_counter()
            hits = dense.search(qv, 50)
            times.append(time.perf_counter() - t)
            if i % 10 == 0:  # exact scan of every row, for recall
                truth = np.argsort(-(exact @ qv))[:10]
                truth_ids = {int(dense._sid[r]) for r in truth}
                recall.append(len({h.sentence_id for h in hits[:10]} & truth_ids) / 10)
        print(f"    dense.search (50 hits) at 1M: {pct(times)}; recall@10 vs exact "
              f"{statistics.mean(recall):.3f}")  # fmt: skip
        indexes = _Indexes(bm25, dense)
        for q in qs[:10]:
            service._retrieve(indexes, q, None)
        times = []
        for q in qs:
            t = time.perf_counter()
            service._retrieve(indexes, q, None)
            times.append(time.perf_counter() - t)
        print(f"    hybrid retrieval (embed + expand + BM25 + dense + fuse) at 1M: {pct(times)}")
    finally:
        await app.close()


async def run(args: argparse.Namespace) -> None:
    print(f"model {model_version()}; {pin_one_core()}")
    qs = questions()
    with tempfile.TemporaryDirectory() as tmp:
        await ingest(Path(tmp))
    vec_db = await hybrid_100k(100 if args.quick else 1000, qs)
    if not args.skip_1m:
        await one_million(vec_db, qs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k sentences for the hybrid part")
    parser.add_argument("--skip-1m", action="store_true", help="leave out the 1M part")
    args = parser.parse_args(argv)
    # the synthetic stores are made (once, cached) outside the event loop: making one runs a
    # loop of its own
    ensure_synthetic_db(100 if args.quick else 1000)
    if not args.skip_1m:
        ensure_synthetic_db(10_000)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
