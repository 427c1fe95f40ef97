"""Quote lookup quality on the real dev corpus, with hand-written probes.

    python bench/quote_quality.py [-v]

``bench/eval/quote_probes.jsonl`` holds half-remembered fragments written from the letters in
``../shared/corpus/letters`` (or ``$BRIEFBOT_CORPUS``): typos, missing words, word order,
accents left out, hyphens, split or joined compounds, paraphrase; each with its letter and a
piece of the sentence that answers it. Probes with ``"letter": null`` quote nothing in the corpus
and must get no match. Every letter is parsed (``bot.core.parse``) and indexed twice: as the
clean text, and damaged like the scraped bundled letter (``bot.core.text.damage``: lowercase,
no digits or punctuation, accents as gaps, then repaired by the parser where it can). Reports
top-1/top-5 per form, no-match answers, the scores of right answers and of no-match probes
(to judge ``MIN_SCORE``), and the misses. Skips cleanly without the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz  # noqa: E402

from bot.core.parse import parse_letter  # noqa: E402
from bot.core.quote_index import MIN_SCORE, QuoteHit, QuoteIndex, QuoteRow  # noqa: E402
from bot.core.text import damage  # noqa: E402

CORPUS = Path(os.environ.get("BRIEFBOT_CORPUS", ROOT.parent / "shared" / "corpus" / "letters"))
PROBES = ROOT / "bench" / "eval" / "quote_probes.jsonl"


def key(text: str) -> str:
    """Comparable whatever the damage: lowercase letters only, accents as nothing."""
    return damage(text).replace(" ", "").replace(".", "")


def answers(probe: dict, hit: QuoteHit, letter_ids: dict[str, int]) -> bool:
    if hit.letter_id != letter_ids[probe["letter"]]:
        return False
    want = key(probe["answer"])
    return fuzz.partial_ratio(want, key(hit.text)) >= 90


def build(form: str) -> tuple[QuoteIndex, dict[str, int], float]:
    started = time.perf_counter()
    rows: list[QuoteRow] = []
    ids: dict[str, int] = {}
    for letter_id, path in enumerate(sorted(CORPUS.glob("*.txt")), start=1):
        text = path.read_text(encoding="utf-8")
        parsed = parse_letter(damage(text) if form == "damaged" else text)
        ids[path.stem] = letter_id
        rows.extend(
            QuoteRow(letter_id * 10_000 + s.number, letter_id, s.number, s.page, s.text, s.norm)
            for s in parsed.sentences
        )
    return QuoteIndex.build(rows), ids, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="quote lookup quality on the dev corpus")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = ap.parse_args(argv)
    if not CORPUS.is_dir() or not any(CORPUS.glob("*.txt")):
        print(f"skipped: no corpus at {CORPUS}")
        return 0
    probes = [json.loads(line) for line in PROBES.read_text(encoding="utf-8").splitlines() if line]
    quotes = [p for p in probes if p["letter"]]
    nomatch = [p for p in probes if not p["letter"]]
    print(f"{len(quotes)} quote probes, {len(nomatch)} no-match probes; MIN_SCORE {MIN_SCORE}")
    for form in ("clean", "damaged"):
        index, ids, secs = build(form)
        top1 = top5 = 0
        right_scores: list[int] = []
        by_kind: dict[str, list[bool]] = defaultdict(list)
        misses = []
        times = []
        for p in quotes:
            t = time.perf_counter()
            hits = index.search(p["query"], limit=5)
            times.append((time.perf_counter() - t) * 1000)
            ok = [answers(p, h, ids) for h in hits]
            top1 += bool(ok[:1] and ok[0])
            top5 += any(ok)
            if ok[:1] and ok[0]:
                right_scores.append(hits[0].score)
            for k in p["kinds"]:
                by_kind[k].append(bool(ok[:1] and ok[0]))
            if not (ok[:1] and ok[0]):
                misses.append((p, hits[0] if hits else None))
        false_hits = []
        nomatch_best = []
        for p in nomatch:
            hits = index.search(p["query"], limit=1)
            if hits:
                false_hits.append((p, hits[0]))
            below = index.search(p["query"], limit=1, min_score=0)
            nomatch_best.append(below[0].score if below else 0)
        n = len(quotes)
        right_scores.sort()
        print(
            f"\n{form}: {len(index):,} sentences indexed in {secs:.1f}s; "
            f"search p50 {sorted(times)[len(times) // 2]:.1f} ms"
        )
        print(f"  top-1 {top1 / n:.3f} ({top1}/{n}), top-5 {top5 / n:.3f}")
        if right_scores:
            print(
                f"  scores of right answers: min {right_scores[0]}, "
                f"10th percentile {right_scores[len(right_scores) // 10]}, "
                f"median {right_scores[len(right_scores) // 2]}"
            )
        print(
            f"  no-match probes answered: {len(false_hits)}/{len(nomatch)} "
            f"(their best scores, threshold ignored: {sorted(nomatch_best, reverse=True)})"
            + "".join(f"\n    {p['id']} score {h.score}: {h.text[:90]!r}" for p, h in false_hits)
        )
        print(
            "  top-1 by kind: "
            + ", ".join(
                f"{k} {sum(v)}/{len(v)}" for k, v in sorted(by_kind.items(), key=lambda kv: kv[0])
            )
        )
        for p, hit in misses if args.verbose else misses[:6]:
            got = f"{hit.score} {hit.text[:100]!r}" if hit else "no match"
            print(f"  miss {p['id']} {p['query']!r}\n       got {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
