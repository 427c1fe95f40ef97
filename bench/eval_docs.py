"""The labelled held-out documents of ``bench/eval/documents/{dev,test}``, read as briefbot reads
them, and their labelled sentences found again among briefbot's sentences.

Each ``<id>.txt`` (a document of another sender: ministry, advisory board, association,
inspectorate, municipality, answers to parliamentary questions, note) has a ``<id>.json`` with
its metadata, its recommendations (sentence and kind) and its main points (each a short
description and the sentences that carry it). ``dev`` is for tuning; ``test`` is scored once.

:func:`read` parses a document with ``bot.core.parse`` (clean, or damaged first with
``bot.core.text.damage``); a document the parser refuses is split into sentences with
``bot.core.segment`` after its lines are joined, so that every document is scored (the refusal
is reported). :func:`align` finds the sentence that holds each labelled sentence.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.core.text import damage, fold

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "bench" / "eval" / "documents"
LETTER = r"[^\W\d_]"


@dataclass(frozen=True, slots=True)
class LabelledDocument:
    id: str
    split: str
    template: str
    genre: str
    text: str
    label: dict


@dataclass(slots=True)
class ReadDocument:
    texts: list[str]
    headings: list[str | None]
    sections: list[int]
    sender: str | None
    signatory: str | None
    subject: str | None
    pages: int
    parsed: bool  # False: the parser refused it and the text was split as it is


def load(split: str) -> list[LabelledDocument]:
    """The documents of one split, by id; [] when the split is not there."""
    folder = DOCUMENTS / split
    out = []
    for label_path in sorted(folder.glob("*.json")):
        doc = label_path.with_suffix(".txt")
        if not doc.is_file():
            continue
        label = json.loads(label_path.read_text(encoding="utf-8"))
        out.append(
            LabelledDocument(
                label_path.stem,
                split,
                label.get("template", "?"),
                label.get("genre", "?"),
                doc.read_text(encoding="utf-8"),
                label,
            )
        )
    return out


def flatten(text: str) -> str:
    text = text.replace("\f", "\n")
    text = re.sub(rf"({LETTER})-[ \t]*\n[ \t]*(?={LETTER})", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def read(text: str, *, damaged: bool = False) -> ReadDocument:
    from bot.core.models import LetterError
    from bot.core.parse import parse_letter

    source = damage(text) if damaged else text
    try:
        parsed = parse_letter(source)
    except LetterError:
        from bot.core.segment import split_sentences

        flat = flatten(source)
        spans = split_sentences(flat, damaged=damaged)
        texts = [flat[a:b] for a, b in spans]
        n = len(texts)
        return ReadDocument(texts, [None] * n, [0] * n, None, None, None, 1, False)
    return ReadDocument(
        [s.text for s in parsed.sentences],
        [parsed.sections[s.section].heading for s in parsed.sentences],
        [s.section for s in parsed.sentences],
        parsed.metadata.sender,
        parsed.metadata.signatory,
        parsed.metadata.subject,
        parsed.pages,
        True,
    )


def key(text: str) -> str:
    """The form in which labelled and parsed sentences are compared (damage folds alike)."""
    return fold(damage(text))


def align(targets: list[str], texts: list[str], cutoff: float = 85.0) -> list[int | None]:
    """For each labelled sentence, the index of the sentence in ``texts`` that holds it (the
    parser may have joined it to a neighbour), or None."""
    keys = [key(t) for t in texts]
    out: list[int | None] = []
    for target in targets:
        k = key(target)
        hit = process.extractOne(k, keys, scorer=fuzz.ratio, score_cutoff=cutoff)
        if hit is None and len(k) >= 40:
            hit = process.extractOne(k, keys, scorer=fuzz.partial_ratio, score_cutoff=92)
        out.append(hit[2] if hit else None)
    return out
