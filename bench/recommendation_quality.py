"""Measure the recommendation classifier (bot.core.recommend) against hand labels.

Run as ``python bench/recommendation_quality.py`` from the repository root (``-v`` lists every
disagreement, ``--split dev|heldout|all`` picks the letters). The labels are
``bench/eval/recommendations.jsonl``: every sentence of fourteen corpus letters, each labelled
``request``, ``advice``, ``plea``, ``concern``, ``requirement`` or ``none`` by hand (guidelines
in docs/summaries.md). ``dev``: eight letters read while the rules were written (optimistic
numbers); ``heldout``: six letters labelled afterwards, never used to change a rule.

Prints precision and recall per kind and overall, on three forms of the labelled sentences:

- ``clean``: the labelled sentence text as parsed from the clean letter;
- ``damaged sentence``: ``bot.core.text.damage`` applied to each sentence (lowercase, no digits,
  no punctuation except '.', accents turned into spaces);
- ``damaged letter``: each whole letter damaged, parsed again by ``bot.core.parse`` (which
  splits sentences and repairs accent gaps without punctuation), and every labelled sentence
  found again in it by fuzzy alignment. Needs ``../shared/corpus``; skipped cleanly without it.

"Detection" counts a sentence as found when any kind is given to a labelled sentence; "exact"
also needs the right kind.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.recommend import KINDS, classify  # noqa: E402
from bot.core.text import damage, fold  # noqa: E402

LABELS = ROOT / "bench" / "eval" / "recommendations.jsonl"
CORPUS = Path(os.environ.get("BRIEFBOT_CORPUS", ROOT.parent / "shared" / "corpus" / "letters"))


def load_labels() -> list[dict]:
    with LABELS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _pr(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score(pairs: Iterable[tuple[str, str, dict]], *, title: str, verbose: bool) -> dict:
    """``pairs`` are (gold kind, predicted kind, row). Prints a table; returns the numbers."""
    pairs = list(pairs)
    per: dict[str, Counter] = {k: Counter() for k in KINDS}
    det = Counter()
    exact = Counter()
    misses = []
    for gold, pred, row in pairs:
        for k in KINDS:
            if pred == k and gold == k:
                per[k]["tp"] += 1
            elif pred == k:
                per[k]["fp"] += 1
            elif gold == k:
                per[k]["fn"] += 1
        g, p = gold != "none", pred != "none"
        det["tp"] += g and p
        det["fp"] += p and not g
        det["fn"] += g and not p
        exact["tp"] += g and gold == pred
        exact["fp"] += p and gold != pred
        exact["fn"] += g and gold != pred
        if gold != pred:
            misses.append((gold, pred, row))
    print(f"\n== {title}: {len(pairs)} sentences, {sum(g != 'none' for g, _, _ in pairs)} labelled")
    print(f"{'kind':<13}{'gold':>6}{'pred':>6}{'prec':>8}{'recall':>8}{'F1':>8}")
    for k in KINDS:
        c = per[k]
        p, r, f = _pr(c["tp"], c["fp"], c["fn"])
        print(f"{k:<13}{c['tp'] + c['fn']:>6}{c['tp'] + c['fp']:>6}{p:>8.2f}{r:>8.2f}{f:>8.2f}")
    for name, c in (("detection", det), ("exact kind", exact)):
        p, r, f = _pr(c["tp"], c["fp"], c["fn"])
        print(f"{name:<13}{c['tp'] + c['fn']:>6}{c['tp'] + c['fp']:>6}{p:>8.2f}{r:>8.2f}{f:>8.2f}")
    if verbose:
        for gold, pred, row in misses:
            print(
                f"  gold={gold:<12} pred={pred:<12} {row['letter']} {row.get('sentence', '')}:"
                f" {row['text'][:140]}"
            )
    p, r, f = _pr(det["tp"], det["fp"], det["fn"])
    return {"precision": p, "recall": r, "f1": f}


def predict(text: str) -> str:
    cue = classify(text)
    return cue.kind if cue else "none"


def by_form(rows: list[dict], transform: Callable[[str], str]) -> list[tuple[str, str, dict]]:
    return [(row["kind"], predict(transform(row["text"])), row) for row in rows]


def damaged_letters(rows: list[dict]) -> list[tuple[str, str, dict]] | None:
    """Damage each labelled letter whole, parse it, and align its sentences to the labels."""
    if not CORPUS.is_dir():
        return None
    from rapidfuzz import fuzz, process

    from bot.core.parse import parse_letter

    out = []
    letters: dict[str, list[dict]] = {}
    for row in rows:
        letters.setdefault(row["letter"], []).append(row)
    for letter, labelled in letters.items():
        path = CORPUS / f"{letter}.txt"
        if not path.is_file():
            continue
        parsed = parse_letter(damage(path.read_text(encoding="utf-8")))
        sentences = [fold(s.text) for s in parsed.sentences]
        preds = [predict(s.text) for s in parsed.sentences]
        for row in labelled:
            target = fold(damage(row["text"]))
            hit = process.extractOne(
                target, sentences, scorer=fuzz.token_set_ratio, score_cutoff=70
            )
            # A labelled sentence that the damaged parse merged into a neighbour shares that
            # neighbour's prediction; one that cannot be found counts as not detected.
            pred = preds[hit[2]] if hit else "none"
            out.append((row["kind"], pred, row))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="list the disagreements")
    ap.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    args = ap.parse_args()
    if args.split == "all":
        for split in ("dev", "heldout"):
            print(f"\n################ {split}")
            run(split, verbose=args.verbose)
        return 0
    run(args.split, verbose=args.verbose)
    return 0


def run(split: str, *, verbose: bool) -> None:
    rows = [r for r in load_labels() if r.get("split", "dev") == split]
    letters = sorted({r["letter"] for r in rows})
    print(f"labels: {LABELS.relative_to(ROOT)}: {len(rows)} sentences of {len(letters)} letters")
    t0 = time.perf_counter()
    clean = by_form(rows, lambda t: t)
    elapsed = (time.perf_counter() - t0) / len(rows) * 1e6
    score(clean, title="clean", verbose=verbose)
    score(by_form(rows, damage), title="damaged sentence", verbose=verbose)
    dl = damaged_letters(rows)
    if dl is None:
        print(f"\n== damaged letter: skipped ({CORPUS} not found)")
    else:
        score(dl, title="damaged letter (re-parsed, aligned)", verbose=verbose)
    print(f"\nclassify: {elapsed:.0f} µs per sentence")


if __name__ == "__main__":
    raise SystemExit(main())
