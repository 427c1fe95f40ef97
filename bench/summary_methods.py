"""Compare the extractive summary methods of bot.core.summarize on the corpus.

Run as ``python bench/summary_methods.py`` from the repository root. Needs ``../shared/corpus``
(or ``$BRIEFBOT_CORPUS``); skips cleanly without it. For every corpus letter, in its clean form
and damaged with ``bot.core.text.damage`` (then parsed again), and for summary lengths 3, 5 and
10, each method picks sentences; the table prints, per method:

- ``key``: share of chosen sentences that are labelled recommendations, requests, pleas or
  concerns in ``bench/eval/recommendations.jsonl`` (only the 14 labelled letters count; a
  recommendation letter's key sentences are what it asks for);
- ``keyR``: share of a labelled letter's request/advice/plea sentences that the summary holds
  (out of at most ``k``);
- ``redund``: mean cosine similarity (TF-IDF) between pairs of chosen sentences;
- ``sect``: share of the letter's sections (of two or more usable sentences) that the summary
  touches, out of at most ``k``;
- ``2nd half``: share of chosen sentences from the second half of the letter;
- ``boiler``: share of chosen sentences that are boilerplate (closing formula, salutation,
  thanks, heading, debris) or announce the letter ("hieronder licht ik toe");
- ``gaps``: share of chosen sentences (damaged forms) whose numbers the damage deleted so that
  they read badly (``has_deleted_numbers``);
- ``ms``: milliseconds per summary.
Then the precision/recall of ``has_deleted_numbers`` itself on damaged sentences whose clean
form held a number.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.core import summarize as S  # noqa: E402
from bot.core.parse import parse_letter  # noqa: E402
from bot.core.text import damage, fold  # noqa: E402

CORPUS = Path(os.environ.get("BRIEFBOT_CORPUS", ROOT.parent / "shared" / "corpus" / "letters"))
LABELS = ROOT / "bench" / "eval" / "recommendations.jsonl"
KEY_KINDS = {"request", "advice", "plea", "concern", "requirement"}
ASK_KINDS = {"request", "advice", "plea"}


def load_labels() -> dict[str, dict[str, str]]:
    """letter -> folded damaged sentence text -> kind."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    with LABELS.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            out[row["letter"]][fold(damage(row["text"]))] = row["kind"]
    return out


def label_of(labels: dict[str, str], text: str) -> str | None:
    key = fold(damage(text))
    if key in labels:
        return labels[key]
    from rapidfuzz import fuzz, process

    hit = process.extractOne(key, list(labels), scorer=fuzz.ratio, score_cutoff=90)
    return labels[hit[0]] if hit else None


def main() -> int:
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} not found")
        return 0
    labels = load_labels()
    files = sorted(CORPUS.glob("*.txt"))
    letters = []
    for f in files:
        raw = f.read_text(encoding="utf-8")
        for form in ("clean", "damaged"):
            parsed = parse_letter(raw if form == "clean" else damage(raw))
            sents = [
                S.SummarySentence(
                    s.number, s.text, s.norm, s.section, parsed.sections[s.section].heading
                )
                for s in parsed.sentences
            ]
            letters.append((f.stem, form, sents))
    print(f"{len(files)} letters x 2 forms; labelled letters: {len(labels)}")

    stats: dict[tuple[str, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for stem, form, sents in letters:
        by_number = {s.number: s for s in sents}
        lab = labels.get(stem)
        kinds = {s.number: label_of(lab, s.text) for s in sents} if lab else {}
        usable = [s for s in sents if S.prior(s) > 0]
        section_sizes = defaultdict(int)
        for s in usable:
            section_sizes[s.section] += 1
        sections = {sec for sec, size in section_sizes.items() if size >= 2}
        asks = [n for n, k in kinds.items() if k in ASK_KINDS]
        mat = S.tfidf_matrix([s.norm or s.text for s in sents])
        index = {s.number: i for i, s in enumerate(sents)}
        for method in S.METHODS:
            for k in (3, 5, 10):
                t0 = time.perf_counter()
                chosen = S.choose(sents, k, method=method)
                ms = (time.perf_counter() - t0) * 1000
                st = stats[(method, k)]
                st["ms"].append(ms)
                if not chosen:
                    continue
                if lab:
                    st["key"].append(np.mean([kinds.get(n) in KEY_KINDS for n in chosen]))
                    if asks:
                        st["keyR"].append(len(set(asks) & set(chosen)) / min(k, len(asks)))
                if len(chosen) > 1:
                    v = mat[[index[n] for n in chosen]]
                    sim = v @ v.T
                    iu = np.triu_indices(len(chosen), 1)
                    st["redund"].append(float(sim[iu].mean()))
                if len(sections) >= 2:
                    hit = {by_number[n].section for n in chosen} & sections
                    st["sect"].append(len(hit) / min(k, len(sections)))
                half = len(sents) / 2
                st["2nd half"].append(np.mean([n > half for n in chosen]))
                st["boiler"].append(
                    np.mean(
                        [
                            S.is_boilerplate(by_number[n].text, by_number[n].heading)
                            or bool(S._META.search(fold(by_number[n].text)))
                            for n in chosen
                        ]
                    )
                )
                if form == "damaged":
                    st["gaps"].append(
                        np.mean([S.has_deleted_numbers(by_number[n].text) for n in chosen])
                    )

    cols = ["key", "keyR", "redund", "sect", "2nd half", "boiler", "gaps", "ms"]
    for k in (3, 5, 10):
        print(f"\n== k = {k}")
        print(f"{'method':<14}" + "".join(f"{c:>10}" for c in cols))
        for method in S.METHODS:
            st = stats[(method, k)]
            cells = []
            for c in cols:
                vals = st.get(c, [])
                cells.append(f"{np.mean(vals):>10.2f}" if vals else f"{'-':>10}")
            print(f"{method:<14}" + "".join(cells))

    # has_deleted_numbers against the truth: the clean sentence held a number
    from rapidfuzz import fuzz, process

    tp = fp = fn = 0
    for f in files:
        raw = f.read_text(encoding="utf-8")
        clean = parse_letter(raw)
        damaged = parse_letter(damage(raw))
        keys = [fold(damage(s.text)) for s in clean.sentences]
        for s in damaged.sentences:
            hit = process.extractOne(fold(s.text), keys, scorer=fuzz.ratio, score_cutoff=85)
            if not hit:
                continue
            had_number = any(ch.isdigit() for ch in clean.sentences[hit[2]].text)
            flagged = S.has_deleted_numbers(s.text)
            tp += had_number and flagged
            fp += flagged and not had_number
            fn += had_number and not flagged
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    print(
        f"\nhas_deleted_numbers on damaged sentences (truth: the clean sentence held a digit): "
        f"precision {p:.2f}, recall {r:.2f} (tp {tp}, fp {fp}, fn {fn}); most numbers that are "
        "deleted (years, article numbers) leave a readable sentence, so recall is low by design"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
