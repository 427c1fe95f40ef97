"""Question and quote latency at a million sentences, this tree against a baseline tree.

    python bench/question_latency.py                     # 10,000 generated letters (1M sentences)
    python bench/question_latency.py --questions 60 --probes 100   # quicker
    python bench/question_latency.py --stages            # also time each stage of a question

The store is ``bench/startup.py``'s (``ensure_store``: generated letters with stand-in
vectors; a copy of a prepared one can be put at ``bench/out/startup-10000.sqlite3``); each tree
opens its own copy, the way the bot does (``Services.open`` + ``warm``, SQLite, in-memory
search), with its saved indexes kept in ``bench/out`` so that a rerun loads them (the first run
builds them: minutes). Each tree runs in a fresh process with its ``bot/`` first on the path:
the baseline is ``bot/`` at ``--baseline-rev`` (``git archive``; default: the commit before this
work), so that both are measured in the same run on the same machine.

Measured, after one warm-up pass, the probes one at a time end to end through the services:
~200 questions (``bench/ask_speed.py``'s: the eval questions and variants) through
``AskService.answer`` and ~200 damaged quote fragments (``bench/quote_speed.py``'s generator)
through ``QuoteService.find``. Printed: p50/p95 of each, the ratio to the baseline, quote top-1
accuracy, how often this tree's passages equal the baseline's (top passage, first three in
order, and the first five as a set), and the peak RSS of each process. Rounds alternate the
order of the trees (``--rounds``), so a change of the machine's load hits both.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import OUT, REPO, baseline_tree, child_json

#: The code path before this work (main at the start of the question-latency round).
BASELINE_REV = "4681c0d"

_CHILD = r"""
import asyncio, gc, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from bot.services.app import Services
from bot.services.scope import GLOBAL
from bot.settings import Settings

async def main(job):
    where = {"BRIEFBOT_INDEX_DIR": job["index_dir"]} if job["index_dir"] else {}
    settings = Settings(BRIEFBOT_DB=job["db"], BRIEFBOT_LETTERS_DIR=job["letters_dir"], **where)
    started = time.perf_counter()
    services = await Services.open(settings, seed=False)
    try:
        await services.warm()
        ready = time.perf_counter() - started
        qs, probes = job["questions"], job["probes"]
        for q in qs[:5]:
            await services.answers.answer(q, scope=GLOBAL)
        for p in probes[:5]:
            await services.quotes.find(p["query"], scope=GLOBAL, letter=None, limit=5)
        gc.collect()
        ask_ms, passages = [], []
        for q in qs:
            t = time.perf_counter()
            reply = await services.answers.answer(q, scope=GLOBAL)
            ask_ms.append((time.perf_counter() - t) * 1000)
            passages.append([[p.letter_id, p.sentence] for p in reply.answer.passages])
        quote_ms, quotes = [], []
        for p in probes:
            t = time.perf_counter()
            found = await services.quotes.find(p["query"], scope=GLOBAL, letter=None, limit=5)
            quote_ms.append((time.perf_counter() - t) * 1000)
            quotes.append([[m.letter_id, m.sentence, m.text] for m in found])
        stages = {}
        if job["stages"]:
            stages = await staged(services, qs)
    finally:
        await services.close()
    return {"ready_s": ready, "ask_ms": ask_ms, "passages": passages, "quote_ms": quote_ms,
            "quotes": quotes, "stages": stages,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

async def staged(services, qs):
    # the blocking retrieval (embedding, BM25, dense, fusion, section evidence) run here,
    # timed, and the rest of answer() as the difference
    import cProfile, io, pstats
    answers = services.answers
    indexes = await answers._indexes.get()
    out = {"retrieve_ms": []}
    prof = cProfile.Profile()
    for q in qs:
        t = time.perf_counter()
        prof.enable()
        answers._retrieve(indexes, q, None, "hybrid")
        prof.disable()
        out["retrieve_ms"].append((time.perf_counter() - t) * 1000)
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(30)
    out["profile"] = text.getvalue()[-7000:]
    return out

job = json.loads(open(sys.argv[2], encoding="utf-8").read())
print(json.dumps(asyncio.run(main(job))))
"""


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def run_child(root: Path, job: dict, tmp: Path) -> dict:
    spec = tmp / f"job-{os.getpid()}.json"
    spec.write_text(json.dumps(job), encoding="utf-8")
    return child_json(_CHILD, root, spec, cwd=root)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--letters", type=int, default=10_000)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=1, help="alternating rounds of both trees")
    ap.add_argument("--baseline-rev", default=BASELINE_REV)
    ap.add_argument("--only", choices=("baseline", "this"), help="measure one side only")
    ap.add_argument("--stages", action="store_true", help="time and profile the retrieval")
    args = ap.parse_args()

    sys.path.insert(0, str(REPO))
    from bench.ask_speed import questions
    from bench.quote_speed import make_probes
    from bench.startup import ensure_store, working_copy
    from bot.core.text import fold

    store = ensure_store(args.letters)
    # one copy that both trees open (the same schema: opening it migrates nothing), as
    # bench/startup.py keeps it
    db = working_copy(store)
    qs = questions()[: args.questions]
    probes = make_probes(store, args.probes, seed=11)
    sides = [s for s in ("baseline", "this") if args.only in (None, s)]
    results: dict[str, list[dict]] = {s: [] for s in sides}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        roots = {"this": REPO}
        if "baseline" in sides:
            roots["baseline"] = baseline_tree(args.baseline_rev, tmp)
        for r in range(args.rounds):
            for side in sides if r % 2 == 0 else sides[::-1]:
                job = {
                    "db": str(db),
                    # this tree's saved indexes where the bot keeps them (beside the store,
                    # shared with bench/startup.py); the baseline's in a folder of its own
                    "index_dir": "" if side == "this" else str(OUT / f"{db.name}-baseline-index"),
                    "letters_dir": str(REPO / "data" / "letters"),
                    "questions": qs,
                    "probes": [{"query": p.query, "sentence_id": p.sentence_id} for p in probes],
                    "stages": args.stages and side == "this" and r == 0,
                }
                out = run_child(roots[side], job, tmp)
                results[side].append(out)
                print(
                    f"round {r + 1} {side}: ready {out['ready_s']:.1f} s, question p95 "
                    f"{pct(out['ask_ms'], 95):.0f} ms, quote p95 "
                    f"{pct(out['quote_ms'], 95):.0f} ms, "
                    f"peak RSS {out['rss_mib']:.0f} MiB (load {os.getloadavg()[0]:.1f})",
                    file=sys.stderr,
                )

    def pooled(side: str, key: str) -> list[float]:
        return [v for out in results[side] for v in out[key]]

    def top1(out: dict) -> float:
        ok = 0
        for p, found in zip(probes, out["quotes"], strict=True):
            ok += bool(found) and fold(found[0][2]) == p.norm
        return ok / len(probes)

    print(f"\n{args.letters:,} letters; {len(qs)} questions, {len(probes)} quote probes, "
          f"{args.rounds} round(s); load average at the end {os.getloadavg()[0]:.1f} (2 cores, "
          "shared)")  # fmt: skip
    print(
        f"{'':34}"
        + "".join(f"{s:>12}" for s in sides)
        + ("  this/baseline" if len(sides) == 2 else "")
    )

    def line(label: str, values: list[float], fmt: str = "{:.1f}") -> None:
        ratio = f"  {values[1] / values[0]:.2f}x" if len(values) == 2 and values[0] else ""
        print(f"{label:34}" + "".join(f"{fmt.format(v):>12}" for v in values) + ratio)

    for key, name in (("ask_ms", "question"), ("quote_ms", "quote")):
        for q in (50, 95):
            line(f"{name} p{q} (ms)", [pct(pooled(s, key), q) for s in sides])
    line("quote top-1", [float(np.mean([top1(o) for o in results[s]])) for s in sides], "{:.3f}")
    line("open + indexes ready (s)", [min(o["ready_s"] for o in results[s]) for s in sides])
    line("peak RSS (MiB)", [max(o["rss_mib"] for o in results[s]) for s in sides], "{:.0f}")
    if len(sides) == 2:
        base, mine = results["baseline"][0], results["this"][0]
        pairs = list(zip(base["passages"], mine["passages"], strict=True))
        same1 = sum(a[:1] == b[:1] for a, b in pairs) / len(pairs)
        same3 = sum(a[:3] == b[:3] for a, b in pairs) / len(pairs)
        set5 = sum(sorted(map(tuple, a[:5])) == sorted(map(tuple, b[:5])) for a, b in pairs)
        quotes_same = sum(
            [q[:2] for q in a] == [q[:2] for q in b]
            for a, b in zip(base["quotes"], mine["quotes"], strict=True)
        ) / len(probes)  # fmt: skip
        print(f"questions: same top passage as the baseline {same1:.3f}, same first three "
              f"{same3:.3f}, same five (as a set) {set5 / len(pairs):.3f}; answered "
              f"{sum(bool(a) for a, _ in pairs)} / {sum(bool(b) for _, b in pairs)}")  # fmt: skip
        print(f"quotes: same five matches in order as the baseline {quotes_same:.3f}")
        for q, (a, b) in zip(qs, pairs, strict=True):
            if a[:3] != b[:3]:
                print(f"  first three differ: {q!r}\n    baseline {a[:5]}\n    this     {b[:5]}")
    for side in sides:
        stages = results[side][0].get("stages") or {}
        if stages:
            ms = stages["retrieve_ms"]
            print(f"\n{side}: retrieval alone p50 {pct(ms, 50):.1f} ms, p95 {pct(ms, 95):.1f} ms")
            print(stages["profile"])


if __name__ == "__main__":
    main()
