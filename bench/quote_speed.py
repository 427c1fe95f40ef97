"""Quote lookup speed and accuracy at scale, against an exhaustive rapidfuzz scan.

    python bench/quote_speed.py                      # 1M sentences (10,000 synthetic letters)
    python bench/quote_speed.py --sentences 100000   # quicker

Builds (or reuses, see ``bench/synthetic.py``) the synthetic store, builds the quote index the
way the service does (``bot.services.quotes.build_quote_index``: the store's
``iter_all_sentences`` into ``QuoteIndexBuilder``) and reports build time and memory. Then,
pinned to one core, runs ~200 realistically damaged probes drawn from random sentences (6-12
word fragments; typos, dropped words, swapped words, accents removed or added or left as a gap,
case and punctuation lost, hyphens) through ``QuoteIndex.search`` and reports p50/p95/p99 and
top-1/top-5 accuracy; also autocomplete (``suggest``) and scoped searches. Last, the exhaustive
baseline on the same probes (a subset at 1M, because each probe costs seconds): rapidfuzz
``process.extract`` with ``token_set_ratio`` over every sentence (the best full-scan scorer in
``../shared/notes/fuzzy-search.md``), alone and with its top 200 reranked by the index's own
scorer, side by side with the index on that subset.

A hit counts as correct when it is the probe's sentence or a sentence with the identical text.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sqlite3
import statistics
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bench.synthetic import ensure_synthetic_db  # noqa: E402
from bot.core.quote_index import QuoteIndex, prepare_query  # noqa: E402
from bot.core.text import fold  # noqa: E402
from bot.services.quotes import build_quote_index, trim_heap  # noqa: E402
from bot.store import open_store  # noqa: E402

_WORDLIKE = re.compile(r"[^\W\d_]{4,}")
_PUNCT = re.compile(r"[^\w\s]")
_ACCENT_ON = {"e": "é", "o": "ö", "i": "ï", "u": "ü", "a": "á"}


@dataclass
class Probe:
    query: str
    sentence_id: int
    norm: str  # the sentence's
    fragment: str  # the folded fragment before it was damaged
    kinds: list[str] = field(default_factory=list)


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MiB."""
    cur = peak = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        pass
    return cur, peak


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {0})
            return "pinned to CPU 0"
        except OSError as exc:
            return f"not pinned ({exc})"
    return "not pinned (no sched_setaffinity)"


# --------------------------------------------------------------------------- probes


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("swap", "delete", "insert", "replace"))
    letters = "abcdefghijklmnopqrstuvwxyz"
    if op == "swap":
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if op == "delete":
        return word[:i] + word[i + 1 :]
    if op == "insert":
        return word[:i] + rng.choice(letters) + word[i:]
    return word[:i] + rng.choice(letters) + word[i + 1 :]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def make_probe(sentence_id: int, text: str, norm: str, rng: random.Random) -> Probe | None:
    words = text.split()
    if len(words) < 6:
        return None
    size = rng.randint(6, 12)
    start = rng.randint(0, max(0, len(words) - size))
    frag = words[start : start + size]
    clean = fold(" ".join(frag))
    kinds: list[str] = [f"{len(frag)}w"]
    if rng.random() < 0.35 and len(frag) > 6:
        del frag[rng.randrange(len(frag))]
        kinds.append("drop")
    if rng.random() < 0.25 and len(frag) > 3:
        i = rng.randrange(len(frag) - 1)
        frag[i], frag[i + 1] = frag[i + 1], frag[i]
        kinds.append("swap")
    if rng.random() < 0.6:
        candidates = [i for i, w in enumerate(frag) if _WORDLIKE.fullmatch(_PUNCT.sub("", w))]
        for i in rng.sample(candidates, min(len(candidates), rng.choice((1, 1, 2)))):
            frag[i] = _typo(_PUNCT.sub("", frag[i]), rng)
        if candidates:
            kinds.append("typo")
    query = " ".join(frag)
    if any(not c.isascii() and c.isalpha() for c in query):
        r = rng.random()
        if r < 0.4:
            query = _strip_accents(query)
            kinds.append("accent-removed")
        elif r < 0.6:
            query = "".join(" " if (not c.isascii() and c.isalpha()) else c for c in query)
            kinds.append("accent-gap")
    elif rng.random() < 0.15:
        ws = query.split()
        i = rng.randrange(len(ws))
        vowels = [k for k, c in enumerate(ws[i]) if c in _ACCENT_ON]
        if vowels:
            k = rng.choice(vowels)
            ws[i] = ws[i][:k] + _ACCENT_ON[ws[i][k]] + ws[i][k + 1 :]
            query = " ".join(ws)
            kinds.append("accent-added")
    if rng.random() < 0.1:
        ws = query.split()
        if len(ws) > 2:
            i = rng.randrange(len(ws) - 1)
            ws[i : i + 2] = [ws[i] + "-" + ws[i + 1]]
            query = " ".join(ws)
            kinds.append("hyphen")
    if rng.random() < 0.7:
        query = query.lower()
    if rng.random() < 0.6:
        query = _PUNCT.sub("", query)
    return Probe(query, sentence_id, norm, clean, kinds)


def make_probes(db: Path, n: int, seed: int) -> list[Probe]:
    rng = random.Random(f"probes:{seed}")
    conn = sqlite3.connect(db)
    try:
        (max_id,) = conn.execute("SELECT max(id) FROM sentences").fetchone()
        probes: list[Probe] = []
        while len(probes) < n:
            ids = [rng.randint(1, max_id) for _ in range(n)]
            rows = conn.execute(
                "SELECT s.id, s.text, s.norm FROM json_each(?) j"
                " JOIN sentences s ON s.id = j.value",
                (str(ids),),
            ).fetchall()
            for sid, text, norm in rows:
                p = make_probe(sid, text, norm, rng)
                if p is not None and len(probes) < n:
                    probes.append(p)
    finally:
        conn.close()
    return probes


# --------------------------------------------------------------------------- measuring


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def correct_at(
    probe: Probe, results: list[tuple[int, str]], k: int, *, strict: bool = False
) -> bool:
    """The probe's sentence among the first ``k`` results; unless ``strict``, also a sentence
    holding the undamaged fragment word for word (the probe cannot tell them apart)."""
    for sid, norm in results[:k]:
        if sid == probe.sentence_id or norm == probe.norm:
            return True
        if not strict and f" {probe.fragment} " in f" {norm} ":
            return True
    return False


def run_index(index: QuoteIndex, probes: list[Probe]) -> tuple[list[float], list]:
    times: list[float] = []
    answers = []
    for p in probes:
        t = time.perf_counter()
        hits = index.search(p.query, limit=5)
        times.append((time.perf_counter() - t) * 1000)
        answers.append([(h.sentence_id, fold(h.text)) for h in hits])
    return times, answers


def load_all(db: Path) -> tuple[np.ndarray, list[str], list[str]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT id, text, norm FROM sentences ORDER BY id").fetchall()
    finally:
        conn.close()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, [r[1] for r in rows], [r[2] for r in rows]


def exhaustive(
    index: QuoteIndex, probe: Probe, ids: np.ndarray, texts: list[str], norms: list[str]
) -> tuple[list, list]:
    """(token_set_ratio over every norm: top 5; its top 200 rescored by the index's own
    scorer: top 5)."""
    q = prepare_query(probe.query)
    if q is None:
        return [], []
    top = process.extract(
        q.forms[-1], norms, scorer=fuzz.token_set_ratio, processor=None, limit=200
    )
    plain = [(int(ids[i]), norms[i]) for _, _, i in top[:5]]
    scores = index.score_texts(probe.query, [texts[i] for _, _, i in top])
    order = sorted(range(len(top)), key=lambda k: (-scores[k], -top[k][1]))[:5]
    reranked = [(int(ids[top[k][2]]), norms[top[k][2]]) for k in order]
    return plain, reranked


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="quote lookup speed at scale")
    ap.add_argument("--sentences", type=int, default=1_000_000)
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--exhaustive", type=int, default=None, help="probes for the full scan")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    n_letters = max(1, round(args.sentences / 100))
    n_exh = args.exhaustive
    if n_exh is None:
        n_exh = args.probes if args.sentences <= 150_000 else 30

    t0 = time.perf_counter()
    db = ensure_synthetic_db(n_letters, args.seed)
    print(f"store: {db.name} ({time.perf_counter() - t0:.1f}s to generate or find)")
    print(pin_one_core())

    rss0, _ = rss_mib()

    async def build() -> tuple[QuoteIndex, float]:
        store = await open_store(db)
        try:
            t = time.perf_counter()
            index = await build_quote_index(store)
            return index, time.perf_counter() - t
        finally:
            await store.close()

    index, build_s = asyncio.run(build())
    rss1, peak = rss_mib()
    trim_heap()  # what the service does after building: freed heap goes back to the OS
    rss2, _ = rss_mib()
    print(
        f"index: {len(index):,} sentences, {len(index.vocab):,} words; build {build_s:.1f}s; "
        f"arrays+texts {index.nbytes / 2**20:.0f} MiB; RSS {rss0:.0f} -> {rss1:.0f} MiB "
        f"(+{rss1 - rss0:.0f}; +{rss2 - rss0:.0f} after returning freed heap), "
        f"peak {peak:.0f} MiB"
    )

    probes = make_probes(db, args.probes, args.seed)
    for p in probes[:5]:
        index.search(p.query)  # warm caches

    times, answers = run_index(index, probes)
    top1 = sum(correct_at(p, a, 1) for p, a in zip(probes, answers, strict=True))
    top5 = sum(correct_at(p, a, 5) for p, a in zip(probes, answers, strict=True))
    strict1 = sum(correct_at(p, a, 1, strict=True) for p, a in zip(probes, answers, strict=True))
    empty = sum(1 for a in answers if not a)
    n = len(probes)
    print(
        f"\nsearch ({n} probes, limit 5): p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms,"
        f" p99 {pct(times, 99):.1f} ms, mean {statistics.fmean(times):.1f} ms, max {max(times):.1f}"
    )
    print(
        f"  top-1 {top1 / n:.3f}, top-5 {top5 / n:.3f}, no match {empty}; the probe's own "
        f"sentence at top-1: {strict1 / n:.3f} (others hold the same fragment word for word)"
    )
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for p, a in zip(probes, answers, strict=True):
        for k in p.kinds:
            if not k.endswith("w"):
                by_kind[k].append(correct_at(p, a, 1))
    print(
        "  top-1 by damage: "
        + ", ".join(f"{k} {sum(v) / len(v):.2f} (n={len(v)})" for k, v in sorted(by_kind.items()))
    )
    misses = [(p, a) for p, a in zip(probes, answers, strict=True) if not correct_at(p, a, 1)]
    for p, a in misses[:4]:
        print(f"  miss: {p.query!r} [{','.join(p.kinds)}]\n     want {p.norm[:110]!r}")
        if a:
            print(f"     got  {a[0][1][:110]!r}")

    # autocomplete: the first part of each probe, cut inside a word
    prefixes = []
    for p in probes:
        cut = max(8, int(len(p.query) * 0.6))
        prefixes.append(p.query[:cut])
    st = []
    for pre in prefixes:
        t = time.perf_counter()
        index.suggest(pre, limit=25)
        st.append((time.perf_counter() - t) * 1000)
    p50, p95, worst = pct(st, 50), pct(st, 95), max(st)
    print(f"\nsuggest (25 choices): p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f}")

    # scoped: a server that sees 90% of the letters; one letter
    rng = random.Random(args.seed)
    all_letters = sorted(index.letter_ids)
    scope = frozenset(lid for lid in all_letters if rng.random() < 0.9)
    sc = []
    for p in probes:
        t = time.perf_counter()
        index.search(p.query, letters=scope)
        sc.append((time.perf_counter() - t) * 1000)
    print(f"search, 90% of letters visible: p50 {pct(sc, 50):.1f} ms, p95 {pct(sc, 95):.1f} ms")
    conn = sqlite3.connect(db)
    lids = {
        sid: lid
        for sid, lid in conn.execute(
            "SELECT s.id, s.letter_id FROM json_each(?) j JOIN sentences s ON s.id = j.value",
            (str([p.sentence_id for p in probes]),),
        )
    }
    conn.close()
    one = []
    one_ok = 0
    for p in probes:
        t = time.perf_counter()
        hits = index.search(p.query, letters=(lids[p.sentence_id],))
        one.append((time.perf_counter() - t) * 1000)
        one_ok += bool(hits) and (
            hits[0].sentence_id == p.sentence_id or fold(hits[0].text) == p.norm
        )
    print(
        f"search in one letter: p50 {pct(one, 50):.1f} ms, p95 {pct(one, 95):.1f} ms, "
        f"top-1 {one_ok / n:.3f}"
    )

    # the exhaustive baseline on the same probes
    if n_exh > 0:
        sub = probes[:n_exh]
        print(
            f"\nexhaustive rapidfuzz scan over all {len(index):,} sentences, {len(sub)} probes"
            + (" (a subset: each probe takes seconds)" if len(sub) < n else "")
        )
        ids, texts, norms = load_all(db)
        et, e1, e5, r1, r5 = [], 0, 0, 0, 0
        for p in sub:
            t = time.perf_counter()
            plain, reranked = exhaustive(index, p, ids, texts, norms)
            et.append((time.perf_counter() - t) * 1000)
            e1 += correct_at(p, plain, 1)
            e5 += correct_at(p, plain, 5)
            r1 += correct_at(p, reranked, 1)
            r5 += correct_at(p, reranked, 5)
        m = len(sub)
        i1 = sum(correct_at(p, a, 1) for p, a in zip(sub, answers[:m], strict=True))
        i5 = sum(correct_at(p, a, 5) for p, a in zip(sub, answers[:m], strict=True))
        it = times[:m]
        print(f"  {'method':<44} {'p50 ms':>9} {'p95 ms':>9} {'top-1':>6} {'top-5':>6}")
        rows = [
            ("exhaustive token_set_ratio", pct(et, 50), pct(et, 95), e1, e5),
            ("exhaustive token_set_ratio + index rerank", pct(et, 50), pct(et, 95), r1, r5),
            ("quote index", pct(it, 50), pct(it, 95), i1, i5),
        ]
        for name, a, b, c1, c5 in rows:
            print(f"  {name:<44} {a:>9.1f} {b:>9.1f} {c1 / m:>6.3f} {c5 / m:>6.3f}")


if __name__ == "__main__":
    main()
