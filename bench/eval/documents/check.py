"""Check the held-out evaluation documents and their labels (stdlib only; does not import ``bot``).

For every ``<split>/<stem>.json`` beside a ``<stem>.txt`` (splits ``dev``, ``test``, ``test2``,
``test3``, ``test4``):

- the JSON parses and has the fields and values the README describes;
- ``id`` is the file stem and ``split`` is the folder;
- every labelled sentence (recommendations, main points, answers) occurs verbatim in the
  document text once line breaks and form feeds are joined and end-of-line hyphens are undone.

For every ``../answers-dev2/<stem>.json`` beside a ``<stem>.txt`` (question-answering tuning data):

- the JSON parses; ``id`` is the file stem; every question has a number, a text and an
  ``answer_block``;
- every question occurs verbatim in its own ``Vraag`` block (joined and de-hyphenated as above;
  a question marked ``page_break`` runs over a page break and occurs verbatim on either side of
  the page's footer and footnotes);
- its ``answer_block`` is the first number of an ``Antwoord`` block that exists and lists the
  question's number (and ``answer_marker`` is that block's marker line, if given);
- every ``Vraag`` number in the document is labelled exactly once.

Run: ``python bench/eval/documents/check.py`` (exit status 1 on any problem).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLITS = ("dev", "test", "test2", "test3", "test4")
ANSWERS_DEV2 = HERE.parent / "answers-dev2"
GENRES = {"letter", "answers", "note", "report"}
TEMPLATES = set(
    "ministry advisory association municipality inspectorate answers note".split()
    + "province justice health".split()  # new in test2
)
KINDS = {"request", "plea", "advice", "requirement", "concern"}
LANGS = {"nl", "en"}
META_FIELDS = ("sender", "signatory", "signatory_role", "recipient", "date", "subject", "reference")
LETTER = r"[^\W\d_]"


def flatten(text: str) -> str:
    """The document as one line: end-of-line hyphens undone, line breaks joined with a space."""
    text = text.replace("\f", "\n")
    text = re.sub(rf"({LETTER})-[ \t]*\n[ \t]*(?={LETTER})", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def squash(sentence: str) -> str:
    return re.sub(r"\s+", " ", sentence).strip()


def check_one(label_path: Path, split: str) -> list[str]:
    problems: list[str] = []
    name = f"{split}/{label_path.name}"

    def bad(msg: str) -> None:
        problems.append(f"{name}: {msg}")

    try:
        label = json.loads(label_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{name}: does not parse: {exc}"]
    doc_path = label_path.with_suffix(".txt")
    if not doc_path.exists():
        return [f"{name}: no document {doc_path.name}"]
    text = flatten(doc_path.read_text(encoding="utf-8"))

    if label.get("id") != label_path.stem:
        bad(f"id {label.get('id')!r} is not the file stem")
    if label.get("split") != split:
        bad(f"split {label.get('split')!r} but the file is in {split}/")
    if label.get("genre") not in GENRES:
        bad(f"genre {label.get('genre')!r}")
    if label.get("template") not in TEMPLATES:
        bad(f"template {label.get('template')!r}")

    meta = label.get("metadata")
    if not isinstance(meta, dict) or set(meta) != set(META_FIELDS):
        bad(f"metadata must have exactly the fields {META_FIELDS}")
        meta = {}
    for key in META_FIELDS:
        value = meta.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            bad(f"metadata.{key} must be a non-empty string or null")
    signatory = meta.get("signatory")
    if isinstance(signatory, str) and squash(signatory) not in text:
        bad(f"metadata.signatory {signatory!r} is not printed in the document")
    others = label.get("other_signatories", [])
    if not isinstance(others, list):
        bad("other_signatories must be a list")
        others = []
    for i, other in enumerate(others):
        if not isinstance(other, dict) or not other.get("name") or not other.get("role"):
            bad(f"other_signatories[{i}] needs a name and a role")
        elif squash(other["name"]) not in text:
            bad(f"other_signatories[{i}] {other['name']!r} is not printed in the document")
    if not isinstance(label.get("has_annex", False), bool):
        bad("has_annex must be true or false")
    date = meta.get("date")
    if date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        bad(f"metadata.date {date!r} is not YYYY-MM-DD")

    def present(sentence: object, where: str) -> None:
        if not isinstance(sentence, str) or not sentence.strip():
            bad(f"{where}: empty or not a string")
        elif squash(sentence) not in text:
            bad(f"{where}: not in the document: {sentence[:90]!r}")

    for i, rec in enumerate(label.get("recommendations", [])):
        if rec.get("kind") not in KINDS:
            bad(f"recommendations[{i}].kind {rec.get('kind')!r}")
        present(rec.get("text"), f"recommendations[{i}]")
    texts = [squash(r.get("text", "")) for r in label.get("recommendations", [])]
    for dup, n in Counter(texts).items():
        if n > 1:
            bad(f"recommendation listed {n} times: {dup[:60]!r}")

    points = label.get("main_points", [])
    if not points:
        bad("no main_points")
    for i, point in enumerate(points):
        if not point.get("point") or not point.get("sentences"):
            bad(f"main_points[{i}] needs a point and sentences")
        for j, sentence in enumerate(point.get("sentences", [])):
            present(sentence, f"main_points[{i}].sentences[{j}]")

    questions = label.get("questions", [])
    if not 4 <= len(questions) <= 8:
        bad(f"{len(questions)} questions (4 to 8 expected)")
    for i, q in enumerate(questions):
        if not q.get("question"):
            bad(f"questions[{i}] has no question")
        if "metadata_field" in q and q["metadata_field"] not in META_FIELDS:
            bad(f"questions[{i}].metadata_field {q['metadata_field']!r}")
        if q.get("lang") not in LANGS:
            bad(f"questions[{i}].lang {q.get('lang')!r}")
        if not q.get("answers"):
            bad(f"questions[{i}] has no answers")
        for j, sentence in enumerate(q.get("answers", [])):
            present(sentence, f"questions[{i}].answers[{j}]")
    if not isinstance(label.get("unanswerable"), list):
        bad("unanswerable must be a list")
    return problems


# "Vraag 3", "Antwoord 3, 4 en 5", alone on a line (a page break's form feed may precede it).
MARKER = re.compile(
    r"^\f?[ \t]*(Vraag|Antwoord)[ \t]+(\d+(?:(?:, | en )\d+)*)[ \t]*$", re.MULTILINE
)


def in_block(question: str, block: str, page_break: bool) -> bool:
    """``question`` occurs in ``block`` (flattened); across one page break if ``page_break``."""
    flat = flatten(block)
    if question in flat:
        return True
    if not page_break or "\f" not in block:
        return False
    head, _, tail = block.partition("\f")
    head, tail = flatten(head), flatten(tail)
    words = question.split(" ")
    return any(
        " ".join(words[:k]) in head and " ".join(words[k:]) in tail for k in range(1, len(words))
    )


def check_answers(label_path: Path) -> list[str]:
    problems: list[str] = []
    name = f"answers-dev2/{label_path.name}"

    def bad(msg: str) -> None:
        problems.append(f"{name}: {msg}")

    try:
        label = json.loads(label_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{name}: does not parse: {exc}"]
    doc_path = label_path.with_suffix(".txt")
    if not doc_path.exists():
        return [f"{name}: no document {doc_path.name}"]
    text = doc_path.read_text(encoding="utf-8")
    if label.get("id") != label_path.stem:
        bad(f"id {label.get('id')!r} is not the file stem")
    marks = list(MARKER.finditer(text))
    questions_of: dict[int, str] = {}  # question number -> its Vraag block's text
    answers: dict[int, tuple[list[int], str]] = {}  # first number -> (numbers, marker)
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        numbers = [int(n) for n in re.findall(r"\d+", m.group(2))]
        if m.group(1) == "Vraag":
            for n in numbers:
                if n in questions_of:
                    bad(f"Vraag {n} appears twice")
                questions_of[n] = text[m.end() : end]
        else:
            answers[numbers[0]] = (numbers, m.group(0).lstrip("\f").strip())
    questions = label.get("questions")
    if not isinstance(questions, list) or not questions:
        return [*problems, f"{name}: no questions"]
    seen: Counter[int] = Counter()
    for i, q in enumerate(questions):
        number, question, block = q.get("number"), q.get("question"), q.get("answer_block")
        if not isinstance(number, int) or not isinstance(block, int):
            bad(f"questions[{i}]: number and answer_block must be integers")
            continue
        seen[number] += 1
        if not isinstance(question, str) or not question.strip():
            bad(f"questions[{i}]: no question text")
        elif number not in questions_of:
            bad(f"questions[{i}]: there is no Vraag {number}")
        elif not in_block(squash(question), questions_of[number], bool(q.get("page_break"))):
            bad(f"questions[{i}]: not in Vraag {number}: {question[:80]!r}")
        if block not in answers:
            bad(f"questions[{i}]: no Antwoord block starting with {block}")
        else:
            numbers, marker = answers[block]
            if number not in numbers:
                bad(f"questions[{i}]: {marker!r} does not answer question {number}")
            if "answer_marker" in q and q["answer_marker"] != marker:
                bad(f"questions[{i}]: answer_marker {q['answer_marker']!r}, block is {marker!r}")
    for n in sorted(questions_of):
        if seen[n] != 1:
            bad(f"Vraag {n} is labelled {seen[n]} times")
    return problems


def main() -> int:
    problems: list[str] = []
    counts: Counter[tuple[str, str]] = Counter()
    totals = Counter()
    for split in SPLITS:
        folder = HERE / split
        for doc in sorted(folder.glob("*.txt")):
            if not doc.with_suffix(".json").exists():
                problems.append(f"{split}/{doc.name}: no label file")
        for label_path in sorted(folder.glob("*.json")):
            problems += check_one(label_path, split)
            try:
                label = json.loads(label_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            counts[(split, str(label.get("template")))] += 1
            totals[(split, "documents")] += 1
            totals[(split, "recommendations")] += len(label.get("recommendations", []))
            totals[(split, "main_points")] += len(label.get("main_points", []))
            totals[(split, "questions")] += len(label.get("questions", []))
            totals[(split, "unanswerable")] += len(label.get("unanswerable", []))
    for split in SPLITS:
        per_template = ", ".join(f"{t} {n}" for (s, t), n in sorted(counts.items()) if s == split)
        figures = ", ".join(
            f"{totals[(split, k)]} {k}"
            for k in ("documents", "recommendations", "main_points", "questions", "unanswerable")
        )
        print(f"{split}: {figures} ({per_template})")
    if ANSWERS_DEV2.is_dir():
        n_docs = n_questions = 0
        for doc in sorted(ANSWERS_DEV2.glob("*.txt")):
            if not doc.with_suffix(".json").exists():
                problems.append(f"answers-dev2/{doc.name}: no label file")
        for label_path in sorted(ANSWERS_DEV2.glob("*.json")):
            problems += check_answers(label_path)
            try:
                n_questions += len(json.loads(label_path.read_text(encoding="utf-8"))["questions"])
                n_docs += 1
            except (OSError, json.JSONDecodeError, KeyError, TypeError):
                continue
        print(f"answers-dev2: {n_docs} documents, {n_questions} questions")
    for problem in problems:
        print(problem, file=sys.stderr)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
