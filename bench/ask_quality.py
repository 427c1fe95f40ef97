"""Measure question answering (bot.services.ask) on hand-written questions about the corpus.

Run as ``python bench/ask_quality.py`` from the repository root (``-v`` lists every miss).
Needs ``../shared/corpus/letters`` (or ``$BRIEFBOT_CORPUS``); without it, it says so and exits 0.

The questions are ``bench/eval/questions.jsonl``: Dutch paraphrases (other words than the
letter's), English questions, keyword questions, each with the sentence(s) that answer it
(letter id of the corpus + sentence text), and questions nothing in the letters answers.

The corpus letters (.txt) are ingested into a temporary store through a real ``Briefbot``
(embeddings computed and stored as at any ingest). Then, for BM25 alone, dense (embeddings)
alone and the hybrid that the service uses:

- hit@1 / hit@3 / hit@5: share of answerable questions with an answering sentence among the
  first 1 / 3 / 5 passages, overall and per question kind;
- no-answer precision / recall: of the questions answered "nothing relevant found", the share
  that is truly unanswerable; of the unanswerable ones, the share answered that way;
- answered: share of answerable questions that got an answer (found=True).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import corpus_dir  # noqa: E402
from bot.core import ask as core  # noqa: E402
from bot.core.text import fold  # noqa: E402
from bot.services.app import Briefbot  # noqa: E402
from bot.settings import Settings  # noqa: E402

QUESTIONS = ROOT / "bench" / "eval" / "questions.jsonl"
MODES = ("bm25", "dense", "hybrid")


def load_questions() -> list[dict]:
    with QUESTIONS.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


async def gold_ids(app: Briefbot, question: dict, letter_ids: dict[str, int]) -> set[int]:
    out: set[int] = set()
    for answer in question["answers"]:
        letter_id = letter_ids.get(answer["letter"])
        if letter_id is None:
            continue
        want = fold(answer["text"])
        for rec in await app.store.letters.sentences(letter_id):
            have = fold(rec.text)
            if have == want or (len(want) > 40 and (have.startswith(want) or want in have)):
                out.add(rec.id)
    return out


async def run(verbose: bool) -> int:
    corpus = corpus_dir()
    if corpus is None:
        print("ask_quality: ../shared/corpus/letters not found; nothing measured (skipped).")
        return 0
    questions = load_questions()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(BRIEFBOT_DB=str(Path(tmp) / "q.sqlite3"), BRIEFBOT_LETTERS_DIR=tmp)
        app = await Briefbot.open(settings, seed=False)
        try:
            t0 = time.perf_counter()
            files = sorted(corpus.glob("*.txt"))
            await app.add_path(files)
            await app.answers.warm()
            n_sent = await app.store.vectors.count()
            print(
                f"ingested {len(files)} letters, {n_sent} sentences with vectors "
                f"in {time.perf_counter() - t0:.1f} s"
            )
            letter_ids = {Path(r.source_path).stem: r.id for r in app.catalog.by_id.values()}
            results = {m: defaultdict(list) for m in MODES}
            found_by = {m: [] for m in MODES}
            missing_gold = 0
            for q in questions:
                gold = await gold_ids(app, q, letter_ids)
                if q["answers"] and not gold:
                    missing_gold += 1
                    print(f"  {q['id']}: answer sentence not found in the parsed letter, skipped")
                    continue
                for mode in MODES:
                    cands = await app.answers.rank(q["question"], mode=mode)
                    top = [c.sentence_id for c in cands[:5]]
                    found = any(c.relevance >= core.FOUND_AT for c in cands[:10])
                    found_by[mode].append((bool(gold), found))
                    if gold:
                        ok = [s in gold for s in top]
                        row = (any(ok[:1]), any(ok[:3]), any(ok[:5]))
                        results[mode]["all"].append(row)
                        results[mode][q["kind"]].append(row)
                        if verbose and mode == "hybrid" and not row[2]:
                            print(f"  miss {q['id']} ({q['kind']}): {q['question']}")
                    elif verbose and mode == "hybrid" and found:
                        print(f"  false answer {q['id']}: {q['question']}")
        finally:
            await app.close()
    print(f"\n{'':8s} {'hit@1':>6s} {'hit@3':>6s} {'hit@5':>6s}   per kind hit@3")
    for mode in MODES:
        rows = results[mode]["all"]
        h = [sum(r[i] for r in rows) / len(rows) for i in range(3)]
        kinds = ", ".join(
            f"{k} {sum(r[1] for r in v) / len(v):.2f} (n={len(v)})"
            for k, v in sorted(results[mode].items())
            if k != "all"
        )
        print(f"{mode:8s} {h[0]:6.3f} {h[1]:6.3f} {h[2]:6.3f}   {kinds}")
    print("\nno-answer detection (found = a passage with relevance >= FOUND_AT):")
    for mode in MODES:
        pairs = found_by[mode]
        said_none = [answerable for answerable, found in pairs if not found]
        unanswerable = [found for answerable, found in pairs if not answerable]
        answerable = [found for answerable, found in pairs if answerable]
        precision = sum(not a for a in said_none) / len(said_none) if said_none else 1.0
        recall = sum(not f for f in unanswerable) / len(unanswerable) if unanswerable else 1.0
        answered = sum(answerable) / len(answerable) if answerable else 0.0
        print(
            f"{mode:8s} no-answer precision {precision:.3f}  recall {recall:.3f}  "
            f"answered {answered:.3f}  (n={len(pairs)}, unanswerable {len(unanswerable)})"
        )
    if missing_gold:
        print(f"\n{missing_gold} questions skipped: their answer was not found in the letters")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.verbose))


if __name__ == "__main__":
    sys.exit(main())
