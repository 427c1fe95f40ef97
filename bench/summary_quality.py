"""How much of a document's main points its summary covers, against plain methods.

Run as ``python bench/summary_quality.py`` from the repository root; ``--splits
dev,test,test2,test3,dev+test+test2+test3`` picks the sets (``a+b`` pools splits into one
figure; ``test``, ``test2`` and ``test3``, held out in rounds 1-3, are tuning data since; ``test4``
is held out: score it once, at the end; ``--test`` adds it); ``-v`` prints each tuning
document's summary and the main points it misses.

The documents are ``bench/eval/documents/{dev,test,test2,test3}`` (other senders: ministries,
advisory boards, associations, inspectorates, municipalities, answers, notes): each has labelled
main points, every point a short description and the sentences that carry it. A summary *covers* a
point when it holds one of those sentences. Each document is read as briefbot reads it
(``bench/eval_docs.py``; clean, and damaged with ``bot.core.text.damage``), and every method of
``bot.core.summarize`` picks ``k`` sentences, for ``k`` = 3, 5 and 10 and for the length the
service uses by default for that document (``bot.core.summarize.default_length``).

Columns: ``points`` the share of the labelled main points covered (mean over documents);
``asks`` the share of the labelled requests, advice and pleas in the summary (out of at most
``k``); ``boiler`` the share of chosen sentences that are boilerplate.

Then the bundled letter: its summary at the default length, and which of the issue's points it
holds (its three main requests; the decline in reported victims and police capacity, online
abuse, prevention).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench import eval_docs  # noqa: E402
from bench.common import HELD_OUT, add_splits, chosen_splits  # noqa: E402
from bot.core import summarize as S  # noqa: E402
from bot.core.recommend import author_of  # noqa: E402
from bot.core.text import fold  # noqa: E402

ASK_KINDS = {"request", "advice", "plea"}
LENGTHS: tuple[int | str, ...] = (3, 5, 10, "default")
SHOWN = ("lead", "textrank", "textrank-mmr", "policy", "coverage")


def summary_sentences(read: eval_docs.ReadDocument) -> list[S.SummarySentence]:
    return [
        S.SummarySentence(i + 1, text, fold(text), section, heading)
        for i, (text, section, heading) in enumerate(
            zip(read.texts, read.sections, read.headings, strict=True)
        )
    ]


def score_split(split: str, *, verbose: bool) -> None:
    docs = [d for part in split.split("+") for d in eval_docs.load(part)]
    if not docs:
        print(f"\n#### {split}: no documents in {eval_docs.DOCUMENTS / split}")
        return
    n_points = sum(len(d.label.get("main_points", [])) for d in docs)
    print(f"\n#### {split}: {len(docs)} documents, {n_points} labelled main points")
    for damaged in (False, True):
        stats: dict[tuple[str, int | str], dict[str, list[float]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for doc in docs:
            read = eval_docs.read(doc.text, damaged=damaged)
            sents = summary_sentences(read)
            author = author_of(read.sender, read.texts)
            points = doc.label.get("main_points", [])
            point_sets = []
            for p in points:
                where = eval_docs.align(p["sentences"], read.texts)
                point_sets.append({i + 1 for i in where if i is not None})
            asks = [
                r["text"] for r in doc.label.get("recommendations", []) if r["kind"] in ASK_KINDS
            ]
            ask_at = {i + 1 for i in eval_docs.align(asks, read.texts) if i is not None}
            for method in SHOWN:
                for length in LENGTHS:
                    k = S.default_length(sents) if length == "default" else int(length)
                    chosen = set(S.choose(sents, k, method=method, author=author))  # type: ignore[arg-type]
                    st = stats[(method, length)]
                    st["k"].append(k)
                    if point_sets:
                        st["points"].append(
                            sum(bool(ps & chosen) for ps in point_sets) / len(point_sets)
                        )
                    if ask_at:
                        st["asks"].append(len(ask_at & chosen) / min(k, len(ask_at)))
                    if chosen:
                        by = {s.number: s for s in sents}
                        st["boiler"].append(
                            float(np.mean([S.is_boilerplate(by[n].text) for n in chosen]))
                        )
                    if verbose and method == S.DEFAULT_METHOD and length == "default":
                        missed = [
                            p["point"]
                            for p, ps in zip(points, point_sets, strict=True)
                            if not ps & chosen
                        ]
                        print(f"  {doc.id} ({'damaged' if damaged else 'clean'}, k={k}):")
                        for n in sorted(chosen):
                            print(f"     {n:>3} {by[n].text[:110]}")
                        print(f"     missed: {'; '.join(missed) or '-'}")
        form = "damaged" if damaged else "clean"
        print(f"\n== {split}, {form}")
        header = "".join(f"{length!s:>14}" for length in LENGTHS)
        print(f"{'method':<14}{header}    (points covered / asks captured)")
        for method in SHOWN:
            cells = []
            for length in LENGTHS:
                st = stats[(method, length)]
                cells.append(f"{np.mean(st['points']):>7.2f} /{np.mean(st['asks']):>5.2f}")
            print(f"{method:<14}" + "".join(cells))
        ks = stats[(S.DEFAULT_METHOD, "default")]["k"]
        print(f"default length per document: {min(ks)}-{max(ks)} (mean {np.mean(ks):.1f})")


def bundled(*, verbose: bool) -> None:
    from bot.core.parse import parse_letter

    path = next((ROOT / "data" / "letters").glob("*.txt"))
    letter = parse_letter(path.read_text(encoding="utf-8"))
    sents = [
        S.SummarySentence(s.number, s.text, s.norm, s.section, letter.sections[s.section].heading)
        for s in letter.sentences
    ]
    k = S.default_length(sents)
    checks = {
        "request: the coalition agreement and coordination (beroep op u)": ["beroep op u"],
        "request: attention for victims among migrants": ["vraag ik ook aandacht"],
        "plea: a cabinet-led approach of sexual violence against children": ["pleit ik voor"],
        "decline in reported victims / police capacity": [
            "daling",
            "politiecapaciteit",
            "reservebank",
            "capaciteit zijn",
        ],
        "online abuse": ["online"],
        "prevention": ["preventie", "voorkomen"],
    }
    print(f"\n#### the bundled letter, default length ({k} sentences), each method")
    for method in SHOWN:
        chosen = S.choose(sents, k, method=method)  # type: ignore[arg-type]
        texts = [fold(s.text) for s in sents if s.number in chosen]
        held = [
            name for name, needles in checks.items() if any(n in t for t in texts for n in needles)
        ]
        asks = sum(name.startswith(("request", "plea")) for name in held)
        points = len(held) - asks
        print(f"{method:<14} main requests {asks}/3, other main points {points}/3")
        if verbose or method == S.DEFAULT_METHOD:
            for n in chosen:
                print(f"     {n:>3} {next(s.text for s in sents if s.number == n)[:110]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="print the dev summaries")
    add_splits(
        ap, default="dev,test,test2,test3,dev+test+test2+test3", names="dev, test, test2, test3"
    )
    args = ap.parse_args()
    splits = chosen_splits(args)
    for split in splits:
        held_out = bool(set(split.split("+")) & set(HELD_OUT))
        score_split(split, verbose=args.verbose and not held_out and "+" not in split)
    bundled(verbose=args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
