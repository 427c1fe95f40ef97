"""Measure the recommendation classifier (bot.core.recommend) against hand labels.

Run as ``python bench/recommendation_quality.py`` from the repository root. ``-v`` lists every
disagreement; ``--splits rapporteur,dev,test,test2,test3,dev+test+test2+test3`` picks the sets
(``a+b`` pools splits into one figure; ``test``, ``test2`` and ``test3``, held out in rounds 1-3,
are tuning data since; ``test4`` is held out: score it once, at the end; its disagreements are
never listed; ``--test`` adds it).

Two labelled sets:

- ``bench/eval/recommendations.jsonl``: every sentence of fourteen letters of the Rapporteur,
  each labelled ``request``, ``advice``, ``plea``, ``concern``, ``requirement`` or ``none``
  (guidelines in docs/summaries.md). ``dev``: eight letters read while the rules were written
  (optimistic); ``heldout``: six labelled afterwards. Forms: ``clean`` (the labelled sentence),
  ``damaged sentence`` (``bot.core.text.damage`` of it) and ``damaged letter`` (the whole letter
  damaged and parsed again, each label found again by fuzzy alignment; needs
  ``../shared/corpus``).
- ``bench/eval/documents/{dev,test,test2,test3,test4}``: documents of other senders (ministries,
  advisory boards, associations, inspectorates, municipalities, answers to parliamentary questions,
  notes) with their recommendations labelled (every other sentence is not one). Each document is
  read as briefbot reads it (parsed, clean and damaged; see ``bench/eval_docs.py``), every
  sentence is classified with the author the document names
  (:func:`bot.core.recommend.author_of`, from the sender the parser found), and the labels are
  aligned to the sentences. ``author from labels`` gives the classifier the labelled sender
  instead, to tell the classifier's misses from the parser's.

Beside briefbot, in the same run and on the same sentences, a plain baseline: a sentence is a
recommendation when its folded form holds ``moet``, ``adviseer``, ``verzoek``, ``pleit`` or
``beveel`` (kind: requirement, advice, request, plea, advice).

"Detection" counts a sentence as found when any kind is given to a labelled sentence; "exact"
also needs the right kind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import eval_docs  # noqa: E402
from bench.common import HELD_OUT, add_splits, chosen_splits  # noqa: E402
from bot.core.recommend import KINDS, author_of, classify, classify_all  # noqa: E402
from bot.core.text import damage, fold  # noqa: E402

LABELS = ROOT / "bench" / "eval" / "recommendations.jsonl"
CORPUS = Path(os.environ.get("BRIEFBOT_CORPUS", ROOT.parent / "shared" / "corpus" / "letters"))

_BASELINE = re.compile(r"moet|adviseer|verzoek|pleit|beveel")
_BASELINE_KIND = {
    "moet": "requirement",
    "adviseer": "advice",
    "verzoek": "request",
    "pleit": "plea",
    "beveel": "advice",
}


def baseline(text: str) -> str:
    """The plain keyword rule: the kind of the first keyword in the folded sentence."""
    m = _BASELINE.search(fold(text))
    return _BASELINE_KIND[m.group(0)] if m else "none"


def load_labels() -> list[dict]:
    with LABELS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _pr(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


Pair = tuple[str, str, dict]  # gold kind, predicted kind, row (for -v)


def score(pairs: Iterable[Pair]) -> dict:
    pairs = list(pairs)
    per: dict[str, Counter] = {k: Counter() for k in KINDS}
    det: Counter = Counter()
    exact: Counter = Counter()
    for gold, pred, _ in pairs:
        for k in KINDS:
            per[k]["tp"] += pred == k and gold == k
            per[k]["fp"] += pred == k and gold != k
            per[k]["fn"] += gold == k and pred != k
        g, p = gold != "none", pred != "none"
        det["tp"] += g and p
        det["fp"] += p and not g
        det["fn"] += g and not p
        exact["tp"] += g and gold == pred
        exact["fp"] += p and gold != pred
        exact["fn"] += g and gold != pred
    return {
        "n": len(pairs),
        "gold": sum(g != "none" for g, _, _ in pairs),
        "per": per,
        "detection": _pr(det["tp"], det["fp"], det["fn"]),
        "exact": _pr(exact["tp"], exact["fp"], exact["fn"]),
    }


def report(
    title: str, ours: list[Pair], base: list[Pair], *, verbose: bool, per_kind: bool = True
) -> dict:
    s, b = score(ours), score(base)
    print(f"\n== {title}: {s['n']} sentences, {s['gold']} labelled")
    print(f"{'':<24}{'det P':>7}{'det R':>7}{'det F1':>8}{'kind P':>8}{'kind R':>8}")
    for name, x in (("briefbot", s), ("baseline (keywords)", b)):
        dp, dr, df = x["detection"]
        ep, er, _ = x["exact"]
        print(f"{name:<24}{dp:>7.2f}{dr:>7.2f}{df:>8.2f}{ep:>8.2f}{er:>8.2f}")
    if per_kind:
        cells = []
        for k in KINDS:
            c = s["per"][k]
            p, r, _ = _pr(c["tp"], c["fp"], c["fn"])
            cells.append(f"{k} {c['tp'] + c['fn']}: P {p:.2f} R {r:.2f}")
        print("  per kind (briefbot): " + "; ".join(cells))
    if verbose:
        for gold, pred, row in ours:
            if gold != pred:
                where = f"{row.get('letter', '')} {row.get('sentence', '')}".strip()
                print(f"  gold={gold:<12} pred={pred:<12} {where}: {row['text'][:150]}")
    return s


# --------------------------------------------------------------------------- the Rapporteur set


def predict(text: str) -> str:
    cue = classify(text)
    return cue.kind if cue else "none"


def by_form(
    rows: list[dict], transform: Callable[[str], str], rule: Callable[[str], str] = predict
) -> list[Pair]:
    return [(row["kind"], rule(transform(row["text"])), row) for row in rows]


def damaged_letters(rows: list[dict]) -> tuple[list[Pair], list[Pair]] | None:
    """Damage each labelled letter whole, parse it, and align its sentences to the labels."""
    if not CORPUS.is_dir():
        return None
    from rapidfuzz import fuzz, process

    from bot.core.parse import parse_letter

    ours: list[Pair] = []
    base: list[Pair] = []
    letters: dict[str, list[dict]] = {}
    for row in rows:
        letters.setdefault(row["letter"], []).append(row)
    for letter, labelled in letters.items():
        path = CORPUS / f"{letter}.txt"
        if not path.is_file():
            continue
        parsed = parse_letter(damage(path.read_text(encoding="utf-8")))
        sentences = [fold(s.text) for s in parsed.sentences]
        author = author_of(parsed.metadata.sender, [s.text for s in parsed.sentences])
        cues = classify_all([s.text for s in parsed.sentences], author)
        preds = [c.kind if c else "none" for c in cues]
        for row in labelled:
            target = fold(damage(row["text"]))
            hit = process.extractOne(
                target, sentences, scorer=fuzz.token_set_ratio, score_cutoff=70
            )
            # A labelled sentence that the damaged parse merged into a neighbour shares that
            # neighbour's prediction; one that cannot be found counts as not detected.
            ours.append((row["kind"], preds[hit[2]] if hit else "none", row))
            base.append((row["kind"], baseline(sentences[hit[2]]) if hit else "none", row))
    return ours, base


def run_rapporteur(split: str, *, verbose: bool) -> None:
    rows = [r for r in load_labels() if r.get("split", "dev") == split]
    letters = sorted({r["letter"] for r in rows})
    print(
        f"\n#### Rapporteur letters, {split}: {len(rows)} sentences of {len(letters)} letters"
        f" ({LABELS.relative_to(ROOT)})"
    )
    t0 = time.perf_counter()
    clean = by_form(rows, lambda t: t)
    elapsed = (time.perf_counter() - t0) / len(rows) * 1e6
    # the disagreements are listed for the letters the rules were written on, never for the
    # held-out ones (listing them would invite tuning on them)
    verbose = verbose and split == "dev"
    report("clean", clean, by_form(rows, lambda t: t, baseline), verbose=verbose)
    report(
        "damaged sentence",
        by_form(rows, damage),
        by_form(rows, damage, baseline),
        verbose=verbose,
        per_kind=False,
    )
    dl = damaged_letters(rows)
    if dl is None:
        print(f"\n== damaged letter: skipped ({CORPUS} not found)")
    else:
        report("damaged letter (re-parsed, aligned)", *dl, verbose=verbose, per_kind=False)
    print(f"classify: {elapsed:.0f} µs per sentence")


# --------------------------------------------------------------------------- other senders


def document_pairs(
    docs: list[eval_docs.LabelledDocument], *, damaged: bool, labelled_sender: bool
) -> tuple[list[Pair], list[Pair], list[str]]:
    """(gold, predicted) for every sentence briefbot reads in the documents; a labelled
    recommendation that is in no sentence counts as missed."""
    ours: list[Pair] = []
    base: list[Pair] = []
    refused = []
    for doc in docs:
        read = eval_docs.read(doc.text, damaged=damaged)
        if not read.parsed:
            refused.append(doc.id)
        sender = doc.label["metadata"].get("sender") if labelled_sender else read.sender
        author = author_of(sender, read.texts)
        cues = classify_all(read.texts, author, read.headings)
        recs = doc.label.get("recommendations", [])
        where = eval_docs.align([r["text"] for r in recs], read.texts)
        gold = ["none"] * len(read.texts)
        for rec, i in zip(recs, where, strict=True):
            if i is None:
                row = {"letter": doc.id, "sentence": "(not in any sentence)", "text": rec["text"]}
                ours.append((rec["kind"], "none", row))
                base.append((rec["kind"], "none", row))
            else:
                gold[i] = rec["kind"]
        # a sentence printed twice (an advice repeated in a closing section) is labelled once
        # and either occurrence counts: the other one is not scored
        labelled = {eval_docs.key(read.texts[i]) for i in where if i is not None}
        for i, text in enumerate(read.texts):
            if gold[i] == "none" and eval_docs.key(text) in labelled:
                continue
            row = {"letter": doc.id, "sentence": i + 1, "text": text}
            ours.append((gold[i], cues[i].kind if cues[i] else "none", row))
            base.append((gold[i], baseline(text), row))
    return ours, base, refused


def load_docs(split: str) -> list[eval_docs.LabelledDocument]:
    """The documents of one split, or of several pooled with ``+`` (``dev+test+test2``)."""
    return [d for part in split.split("+") for d in eval_docs.load(part)]


def run_documents(split: str, *, verbose: bool) -> None:
    # never list a held-out set's disagreements
    verbose = verbose and not set(split.split("+")) & set(HELD_OUT)
    docs = load_docs(split)
    if not docs:
        print(f"\n#### documents, {split}: none in {eval_docs.DOCUMENTS / split}")
        return
    templates = Counter(d.template for d in docs)
    n_recs = sum(len(d.label.get("recommendations", [])) for d in docs)
    print(
        f"\n#### other senders' documents, {split}: {len(docs)} documents "
        f"({', '.join(f'{t} {n}' for t, n in sorted(templates.items()))}), "
        f"{n_recs} labelled recommendations"
    )
    for damaged in (False, True):
        form = "damaged" if damaged else "clean"
        ours, base, refused = document_pairs(docs, damaged=damaged, labelled_sender=False)
        note = f"; the parser refused {', '.join(refused)} (split as text)" if refused else ""
        report(f"{form}, as briefbot reads it{note}", ours, base, verbose=verbose)
        ours, base, _ = document_pairs(docs, damaged=damaged, labelled_sender=True)
        report(f"{form}, author from labels", ours, base, verbose=False, per_kind=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="list the disagreements")
    add_splits(
        ap,
        default="rapporteur,dev,test,test2,test3,dev+test+test2+test3",
        names="rapporteur, dev, test, test2, test3",
    )
    args = ap.parse_args()
    splits = chosen_splits(args)
    for split in splits:
        if split == "rapporteur":
            for part in ("dev", "heldout"):
                run_rapporteur(part, verbose=args.verbose)
        else:
            run_documents(split, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
