"""The outside test: parliamentary questions answered from the government's answers.

    python bench/kamervragen.py            # both figures
    python bench/kamervragen.py --json     # the same, one JSON object
    python bench/kamervragen.py --dev -v   # the invented dev documents, misses listed
    python bench/kamervragen.py --dev2 -v  # bench/eval/answers-dev2 (real Aanhangsel style), dev
    python bench/kamervragen.py --dir PATH -v  # any folder of such documents, as dev

``../shared/corpus/kamervragen/`` (or ``$BRIEFBOT_KAMERVRAGEN``) holds documents of the
*Aanhangsel van de Handelingen*: questions of members of parliament (``Vraag N``) with the
answers of a minister (``Antwoord N``). Nobody working on briefbot wrote them, so they are a
**test set**: this benchmark prints totals only (no per-question results), and no rule may be
tuned on it. Following the corpus README:

1. each ``.txt`` document is split at its ``Vraag N`` / ``Antwoord N`` lines (also
   ``Vraag 3, 4 en 5``, ``Antwoord 10 en 11``, a marker after a page break's form feed);
2. a document holding only the header and the ``Antwoord`` blocks is written and ingested
   through the real services (``LetterService.add_path``: parser, store, every index, embeddings);
3. each question whose answer block has at least 12 words is asked (a ``Vraag`` block of
   several questions: each of its sentences that ends in ``?``; a block of one question: the
   block) with ``AskService.ask`` over every ingested document, as the operator;
4. a hit: one of the top 3 passages comes from that question's own ``Antwoord`` block (a
   stored sentence belongs to the block that holds most of its characters);
5. the baseline, in the same run and on the same texts: a plain BM25 (Okapi, k1 1.5, b 0.75,
   lowercase word tokens, no stemming or stopwords) over the documents' sentences split on
   ``. ? !``.

Prints hit@1 and hit@3 of both, the counts, how many of the baseline's top-3 misses briefbot
answers, and how many questions briefbot answered "nothing found". Without the corpus it says
so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.services.app import Services  # noqa: E402
from bot.services.scope import OPERATOR  # noqa: E402
from bot.settings import Settings  # noqa: E402

MIN_ANSWER_WORDS = 12
TOP = 3

# "Vraag 3", "Antwoord 3, 4 en 5", "Vraag 7, 8, 9 10 en 11", alone on a line (a page break's
# form feed may precede it).
_MARKER = re.compile(
    r"^\f?[ \t]*(Vraag|Antwoord)[ \t]+(\d+(?:[ \t]*(?:,|en|&)?[ \t]*\d+)*)[ \t]*$",
    re.MULTILINE,
)
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def corpus() -> Path | None:
    for candidate in (
        os.environ.get("BRIEFBOT_KAMERVRAGEN"),
        ROOT.parent / "shared" / "corpus" / "kamervragen",
    ):
        if candidate and Path(candidate).is_dir() and any(Path(candidate).glob("*.txt")):
            return Path(candidate)
    return None


# --------------------------------------------------------------------------- splitting


@dataclass(slots=True)
class Block:
    kind: str  # "Vraag" | "Antwoord"
    numbers: tuple[int, ...]
    marker: str  # the marker line as written, without a form feed
    text: str  # the block's text after its marker line


@dataclass(slots=True)
class Question:
    doc: str
    text: str
    block: int  # index of the answer block (into AnswerDoc.spans)


@dataclass(slots=True)
class AnswerDoc:
    name: str
    text: str  # header + every Antwoord block
    spans: list[tuple[int, int]] = field(default_factory=list)  # per answer block, in text
    questions: list[Question] = field(default_factory=list)


def split_blocks(text: str) -> tuple[str, list[Block]]:
    """The header (everything before the first marker) and the blocks, in order."""
    marks = list(_MARKER.finditer(text))
    header = text[: marks[0].start()] if marks else text
    blocks = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        numbers = tuple(int(n) for n in re.findall(r"\d+", m.group(2)))
        body = text[m.end() : end].strip("\n")
        blocks.append(Block(m.group(1), numbers, m.group(0).lstrip("\f").strip(), body))
    return header, blocks


def question_texts(block: Block) -> list[str]:
    """What is asked of a Vraag block: the block (one question), or each ``?`` sentence."""
    flat = " ".join(block.text.split())
    if len(block.numbers) <= 1:
        return [flat] if flat else []
    return [s for s in _SENTENCE_END.split(flat) if s.endswith("?")]


def answer_document(name: str, text: str) -> AnswerDoc:
    header, blocks = split_blocks(text)
    doc = AnswerDoc(name=name, text=header.rstrip("\n") + "\n")
    answer_of: dict[int, int] = {}  # question number -> answer block index
    for block in blocks:
        if block.kind != "Antwoord":
            continue
        start = len(doc.text)
        doc.text += block.marker + "\n" + block.text.rstrip("\n") + "\n"
        doc.spans.append((start, len(doc.text)))
        long_enough = len(_WORD.findall(block.text)) >= MIN_ANSWER_WORDS
        for n in block.numbers:
            answer_of[n] = len(doc.spans) - 1 if long_enough else -1
    for block in blocks:
        if block.kind != "Vraag":
            continue
        targets = {answer_of.get(n, -1) for n in block.numbers}
        targets.discard(-1)
        if len(targets) != 1:  # no long answer (or answers split differently): not asked
            continue
        (target,) = targets
        for q in question_texts(block):
            doc.questions.append(Question(doc=name, text=q, block=target))
    return doc


def block_of(doc: AnswerDoc, start: int, end: int) -> int | None:
    """The answer block holding most of the characters ``[start, end)`` of ``doc.text``."""
    best, best_overlap = None, 0
    for i, (a, b) in enumerate(doc.spans):
        overlap = min(b, end) - max(a, start)
        if overlap > best_overlap:
            best, best_overlap = i, overlap
    return best


# --------------------------------------------------------------------------- baseline


class PlainBM25:
    """Okapi BM25 over lowercase word tokens, nothing else."""

    def __init__(self, docs: list[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.len = [len(d) for d in docs]
        self.avgdl = sum(self.len) / max(len(docs), 1)
        df: Counter[str] = Counter()
        for d in self.tf:
            df.update(d.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def top(self, query: list[str], k: int) -> list[int]:
        scores = []
        for i, tf in enumerate(self.tf):
            s = 0.0
            for t in query:
                f = tf.get(t)
                if f:
                    norm = self.k1 * (1 - self.b + self.b * self.len[i] / self.avgdl)
                    s += self.idf[t] * f * (self.k1 + 1) / (f + norm)
            if s > 0:
                scores.append((-s, i))
        return [i for _, i in sorted(scores)[:k]]


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def naive_sentences(doc: AnswerDoc) -> list[tuple[int, int]]:
    """Spans of ``doc.text`` split after ``. ? !`` followed by white space."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(doc.text):
        if doc.text[start : m.start()].strip():
            spans.append((start, m.start()))
        start = m.end()
    if doc.text[start:].strip():
        spans.append((start, len(doc.text)))
    return spans


# --------------------------------------------------------------------------- run


DEV = ROOT / "bench" / "eval" / "answers-dev"
# Answer documents written in the real Aanhangsel style with members' questions (round 2's
# dev set, shaped like the outside test).
DEV2 = ROOT / "bench" / "eval" / "answers-dev2"


# The held-out documents of the dev split that are answers to parliamentary questions count
# as dev documents of this shape too.
DEV_MORE = ROOT / "bench" / "eval" / "documents" / "dev"


def load_documents(source: Path) -> list[AnswerDoc]:
    files = sorted(source.glob("*.txt"))
    if source == DEV:
        files += sorted(p for p in DEV_MORE.glob("*.txt") if _MARKER.search(p.read_text("utf-8")))
    return [answer_document(p.stem, p.read_text("utf-8")) for p in files]


async def measure(source: Path) -> tuple[dict, list[dict]]:
    """Both systems on the documents of ``source``: the totals, and one row per question
    (for the dev set only: never print those of the test set)."""
    docs = load_documents(source)
    questions = [q for d in docs for q in d.questions]
    by_name = {d.name: d for d in docs}

    # baseline
    units: list[tuple[str, int | None]] = []  # (doc, answer block) per naive sentence
    texts: list[list[str]] = []
    for d in docs:
        for a, b in naive_sentences(d):
            units.append((d.name, block_of(d, a, b)))
            texts.append(tokens(d.text[a:b]))
    bm25 = PlainBM25(texts)
    base: list[tuple[bool, bool]] = []
    for q in questions:
        top = [units[i] for i in bm25.top(tokens(q.text), TOP)]
        ok = [u == (q.doc, q.block) for u in top]
        base.append((any(ok[:1]), any(ok[:TOP])))

    # briefbot
    refused: list[str] = []
    ours: list[tuple[bool, bool]] = []
    nothing = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "answers"
        folder.mkdir()
        for d in docs:
            (folder / f"{d.name}.txt").write_text(d.text, encoding="utf-8")
        settings = Settings(BRIEFBOT_DB=str(Path(tmp) / "kv.sqlite3"), BRIEFBOT_LETTERS_DIR=tmp)
        app = await Services.open(settings, seed=False)
        try:
            t0 = time.perf_counter()
            report = await app.letters.add_path([folder])
            refused = [Path(e.path).stem for e in report.errors]
            await app.answers.warm()
            ingest_s = time.perf_counter() - t0
            doc_of = {r.id: Path(r.source_path).stem for r in app.catalog.by_id.values()}
            where: dict[tuple[int, int], tuple[str, int | None]] = {}
            for letter_id, name in doc_of.items():
                for rec in await app.store.letters.sentences(letter_id):
                    where[(letter_id, rec.number)] = (
                        name,
                        block_of(by_name[name], rec.start_offset, rec.end_offset),
                    )
            latencies = []
            for q in questions:
                t = time.perf_counter()
                answer = await app.answers.ask(q.text, scope=OPERATOR, limit=TOP)
                latencies.append(time.perf_counter() - t)
                if not answer.found:
                    nothing += 1
                top = [where.get((p.letter_id, p.sentence)) for p in answer.passages[:TOP]]
                ok = [u == (q.doc, q.block) for u in top]
                ours.append((any(ok[:1]), any(ok[:TOP])))
        finally:
            await app.close()

    n = len(questions)
    rows = [
        {"doc": q.doc, "question": q.text, "briefbot": ours[i], "bm25": base[i]}
        for i, q in enumerate(questions)
    ]
    base_miss = [i for i in range(n) if not base[i][1]]
    rescued = sum(ours[i][1] for i in base_miss)
    result = {
        "documents": len(docs),
        "refused": refused,
        "questions": n,
        "briefbot": {
            "hit@1": round(sum(h[0] for h in ours) / n, 3),
            "hit@3": round(sum(h[1] for h in ours) / n, 3),
            "hits@3": sum(h[1] for h in ours),
            "nothing_found": nothing,
        },
        "baseline_bm25": {
            "hit@1": round(sum(h[0] for h in base) / n, 3),
            "hit@3": round(sum(h[1] for h in base) / n, 3),
            "hits@3": sum(h[1] for h in base),
        },
        "baseline_misses": len(base_miss),
        "baseline_misses_answered": rescued,
        "ingest_seconds": round(ingest_s, 1),
        "ask_ms_p50": round(sorted(latencies)[n // 2] * 1000, 1),
    }
    return result, rows


async def run(as_json: bool, dev: bool, verbose: bool, source: Path | None = None) -> int:
    source = source or (DEV if dev else corpus())
    if source is None:
        print("kamervragen: ../shared/corpus/kamervragen not found; nothing measured (skipped).")
        return 0
    if not any(source.glob("*.txt")):
        print(f"kamervragen: no documents in {source}; nothing measured (skipped).")
        return 0
    result, rows = await measure(source)
    n, nothing = result["questions"], result["briefbot"]["nothing_found"]
    rescued, refused = result["baseline_misses_answered"], result["refused"]
    if as_json:
        print(json.dumps(result))
        return 0
    print(f"{'dev set' if dev else 'TEST set'} {source}")
    print(
        f"{result['documents']} documents ({len(refused)} refused by the parser), "
        f"{n} questions asked"
    )
    print(f"{'':16s} {'hit@1':>6s} {'hit@3':>6s}  hits@3")
    for label, key in (("briefbot", "briefbot"), ("plain BM25", "baseline_bm25")):
        r = result[key]
        print(f"{label:16s} {r['hit@1']:6.3f} {r['hit@3']:6.3f}  {r['hits@3']}/{n}")
    print(
        f"baseline misses answered by briefbot: {rescued}/{result['baseline_misses']}; "
        f"briefbot said nothing found for {nothing}/{n}; ask p50 {result['ask_ms_p50']} ms"
    )
    if refused:
        print("refused documents: " + ", ".join(refused))
    if verbose:
        for row in rows:
            if not row["briefbot"][1]:
                flag = "(bm25 hit)" if row["bm25"][1] else ""
                print(f"  miss {row['doc']}: {row['question'][:150]} {flag}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--dev", action="store_true", help=f"the invented dev documents ({DEV.relative_to(ROOT)})"
    )
    parser.add_argument(
        "--dev2", action="store_true", help=f"the dev set {DEV2.relative_to(ROOT)} (real style)"
    )
    parser.add_argument("--dir", type=Path, help="a folder of answer documents, scored as dev")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list the misses (dev set only)"
    )
    args = parser.parse_args(argv)
    source = DEV2 if args.dev2 else args.dir
    dev = args.dev or source is not None
    if args.verbose and not dev:
        parser.error("-v lists misses of the dev set only: the outside set is a test set")
    return asyncio.run(run(args.json, dev, args.verbose, source))


if __name__ == "__main__":
    sys.exit(main())
