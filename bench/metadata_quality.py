"""How well the parser reads what a document states about itself, next to a plain baseline.

Run as ``python bench/metadata_quality.py`` from the repository root. It scores per field
(sender, signatory, signatory role, recipient, date, subject, reference):

* ``corpus``: the 26 letters of the Nationaal Rapporteur (``../shared/corpus/letters``;
  ``index.csv`` gives date, addressee and signatory; skipped when absent);
* ``dev``, ``test``, ``test2``, ``test3`` and ``test4``: documents of other senders in
  ``bench/eval/documents`` (labels in the ``.json`` next to each ``.txt``). Rules are tuned on
  ``dev``, ``test`` (since round 2), ``test2`` (since round 3) and ``test3`` (since round 4);
  ``test4`` is held out, scored once, at the end: ``--splits ...,test4`` or ``--test`` (the
  default leaves it out) and its misses are never listed. ``a+b`` pools splits into one figure
  (``dev+test+test2+test3``).

Each document is read in its clean form and in its damaged form (``bot.core.text.damage``:
lowercase, no digits, no punctuation but ``.``, accents turned into gaps). In the damaged form
a date can only be its month, and every text is compared damaged.

The **baseline**, measured in the same run on the same texts, is what a few lines of code get:
the first line with a date, the text after ``Betreft``/``Onderwerp``, the text after ``Aan``,
the first line as sender, the last short capitalised line as signatory, the word after
``kenmerk``. ``all four`` is the share of letters whose signatory, date, subject and sender are
all right (the issue's target: at least 9 of 10 letters of other templates).

Also printed: the share of documents accepted (every form, the kamervragen folder included),
the genre found against the labelled one, and how many labelled sentences (recommendations and
main points) are kept as sentences, in annexes and elsewhere.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz  # noqa: E402

from bot.core.models import LetterError, ParsedLetter  # noqa: E402
from bot.core.parse import parse_letter  # noqa: E402
from bot.core.text import damage, fold  # noqa: E402
from bot.core.vocabulary import MONTHS  # noqa: E402

DOCS = ROOT / "bench" / "eval" / "documents"
SHARED = ROOT.parent / "shared" / "corpus"
FIELDS = ("sender", "signatory", "signatory_role", "recipient", "date", "subject", "reference")
CORE = ("signatory", "date", "subject", "sender")
# Scored once, at the end; ``test``, ``test2`` and ``test3`` were held out before.
HELD_OUT = ("test4/",)
_TITLES = frozenset("mr drs dr prof ir ing mw mevr dhr ds bc ba ma msc llm phd".split())
_ROLES = frozenset("minister staatssecretaris de heer mevrouw".split())
_LEADING = frozenset({"aan", "de", "het", "t", "a"})


# --------------------------------------------------------------------------- comparing


def _tokens(text: str) -> list[str]:
    return fold(damage(text)).split()


def _person(text: str) -> list[str]:
    """A name without titles: ``prof. mr. E.C. Wijnberg-Haasnoot`` -> ``e c wijnberg haasnoot``."""
    return [t for t in _tokens(text) if t not in _TITLES]


def same_person(expected: str, found: str) -> bool:
    want, got = _person(expected), _person(found)
    while got and got[0] in _ROLES and len(got) > len(want):
        got = got[1:]  # ``Minister Hendriksen`` against ``Hendriksen``
    if not want or not got:
        return False
    if want == got:
        return True
    # Given names may be printed as initials (``Corinne`` / ``C.E.``, ``Herman`` /
    # ``H.J. (Herman)``): the surname (last word) must agree, every word of the shorter name
    # must be in the longer one (as a word or an initial), and what the longer one has more
    # must be initials.
    if want[-1] != got[-1]:
        return False
    short, long_ = sorted((want, got), key=len)
    initials = {w[0] for w in long_}
    if not all(w in long_ or w[0] in initials for w in short):
        return False
    return all(len(w) == 1 or w in short for w in long_)


def same_text(expected: str, found: str) -> bool:
    want, got = _tokens(expected), _tokens(found)
    while want and want[0] in _LEADING:
        want = want[1:]
    while got and got[0] in _LEADING:
        got = got[1:]
    # ``College van burgemeester en wethouders van X`` is the body that signs as
    # ``Burgemeester en wethouders van X`` (the first set labels the one, test2 the other)
    if want[:2] == ["college", "van"]:
        want = want[2:]
    if got[:2] == ["college", "van"]:
        got = got[2:]
    if want == got:
        return True
    return fuzz.ratio(" ".join(want), " ".join(got)) >= 92


def same_date(expected: str, found: str, damaged: bool) -> bool:
    if not damaged:
        return expected == found
    month = list(MONTHS)[int(expected[5:7]) - 1]
    return found == month


def same_reference(expected: str, found: str) -> bool:
    return _tokens(expected) == _tokens(found)


def right(field_name: str, expected: str | None, found: str | None, damaged: bool) -> bool:
    if expected is None:
        return found is None
    if not found:
        return False
    if field_name == "signatory":
        return same_person(expected, found)
    if field_name == "date":
        return same_date(expected, found, damaged)
    if field_name == "reference":
        return same_reference(expected, found)
    if field_name == "signatory_role":
        # a function printed with its organisation on one line: the label is the function,
        # compared by containment (``inspecteur-generaal`` in ``inspecteur-generaal X``)
        want, got = " ".join(_tokens(expected)), " ".join(_tokens(found))
        return same_text(expected, found) or f" {want} " in f" {got} "
    return same_text(expected, found)


# --------------------------------------------------------------------------- the baseline

_DATE_LINE = re.compile(r"\b(\d{1,2})\s+(" + "|".join(MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)
_SUBJECT_LINE = re.compile(r"^\s*(?:betreft|onderwerp)\s*:?\s+(.+)$", re.IGNORECASE | re.MULTILINE)
_TO_LINE = re.compile(r"^\s*aan\s*:?\s+(.+)$", re.IGNORECASE | re.MULTILINE)
_REF_LINE = re.compile(r"kenmerk\s*:?\s+(\S+)", re.IGNORECASE)


def baseline(text: str) -> dict[str, str | None]:
    """What a few lines of plain code find (see the module docstring)."""
    out: dict[str, str | None] = dict.fromkeys(FIELDS)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    m = _DATE_LINE.search(text)
    if m:
        day, month, year = int(m.group(1)), m.group(2).lower(), int(m.group(3))
        out["date"] = f"{year:04d}-{MONTHS[month]:02d}-{day:02d}"
    else:
        m2 = re.search(r"\b(" + "|".join(MONTHS) + r")\b", text.lower())
        out["date"] = m2.group(1) if m2 else None
    m = _SUBJECT_LINE.search(text)
    out["subject"] = m.group(1).strip() if m else None
    m = _TO_LINE.search(text)
    out["recipient"] = m.group(1).strip() if m else None
    m = _REF_LINE.search(text)
    out["reference"] = m.group(1).strip() if m else None
    out["sender"] = lines[0] if lines else None
    for ln in reversed(lines[-12:]):
        words = ln.split()
        short = 2 <= len(words) <= 5 and not re.search(r"\d", ln)
        if short and ln[:1].isupper() and not ln.endswith((".", ",", ":")):
            out["signatory"] = ln
            break
    return out


# --------------------------------------------------------------------------- documents


@dataclass
class Doc:
    name: str
    split: str
    text: str
    genre: str
    expected: dict[str, str | None]
    annex: bool = False
    labelled: list[str] = field(default_factory=list)  # sentences a reader must find


def _evalset(split: str) -> list[Doc]:
    out = []
    paths = [p for part in split.split("+") for p in sorted((DOCS / part).glob("*.txt"))]
    for path in paths:
        label = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        sentences = [r["text"] for r in label.get("recommendations", [])]
        for point in label.get("main_points", []):
            sentences.extend(point.get("sentences", []))
        out.append(
            Doc(
                name=path.stem,
                split=path.parent.name,
                text=path.read_text(encoding="utf-8"),
                genre=label.get("genre", "letter"),
                expected={f: label["metadata"].get(f) for f in FIELDS},
                annex=bool(label.get("has_annex")),
                labelled=list(dict.fromkeys(sentences)),
            )
        )
    return out


def _corpus() -> list[Doc]:
    folder = SHARED / "letters"
    if not (folder / "index.csv").is_file():
        return []
    out = []
    with (folder / "index.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            signed = row["signatory"] != "not signed"
            out.append(
                Doc(
                    name=row["id"],
                    split="corpus",
                    text=(folder / f"{row['id']}.txt").read_text(encoding="utf-8"),
                    genre="letter",
                    expected={
                        "signatory": row["signatory"] if signed else None,
                        "date": row["date"],
                    },
                )
            )
    return out


# --------------------------------------------------------------------------- scoring


def _found(parsed: ParsedLetter) -> dict[str, str | None]:
    m = parsed.metadata
    return {f: getattr(m, f, None) for f in FIELDS}


def _kept(parsed: ParsedLetter, sentences: list[str], damaged: bool) -> tuple[int, int]:
    """How many labelled sentences are, word for word, sentences of the parse."""
    have = {" ".join(_tokens(s.text)) for s in parsed.sentences}
    want = [" ".join(_tokens(damage(s) if damaged else s)) for s in sentences]
    return sum(w in have for w in want), len(want)


def score(docs: list[Doc], form: str, misses: list[str]) -> dict:
    damaged = form == "damaged"
    res: dict = defaultdict(lambda: [0, 0])  # key -> [right, total]
    accepted = 0
    for doc in docs:
        text = damage(doc.text) if damaged else doc.text
        base = baseline(text)
        try:
            parsed = parse_letter(text)
        except LetterError as exc:
            misses.append(f"{doc.split}/{doc.name} [{form}] refused: {exc}")
            parsed = None
        found = _found(parsed) if parsed else dict.fromkeys(FIELDS)
        accepted += parsed is not None
        if parsed is not None:
            res["genre"][0] += parsed.genre == doc.genre
            res["genre"][1] += 1
        core_ok = {"ours": True, "base": True}
        for f in FIELDS:
            if f not in doc.expected:
                continue
            want = doc.expected[f]
            if want is not None and damaged:
                want = want if f == "date" else (damage(want) or None)  # digits only: gone
            ok = right(f, want, found.get(f), damaged)
            ok_base = right(f, want, base.get(f), damaged)
            res[f"ours:{f}"][0] += ok
            res[f"ours:{f}"][1] += 1
            res[f"base:{f}"][0] += ok_base
            res[f"base:{f}"][1] += 1
            if f in CORE:
                core_ok["ours"] &= ok
                core_ok["base"] &= ok_base
            if not ok:
                misses.append(
                    f"{doc.split}/{doc.name} [{form}] {f}: want {want!r}, got {found.get(f)!r}"
                )
        if doc.genre == "letter" and all(f in doc.expected for f in CORE):
            for who in ("ours", "base"):
                res[f"{who}:all four"][0] += core_ok[who]
                res[f"{who}:all four"][1] += 1
        if parsed is not None and doc.labelled:
            k, n = _kept(parsed, doc.labelled, damaged)
            key = "kept (annex letters)" if doc.annex else "kept (other documents)"
            res[key][0] += k
            res[key][1] += n
    res["accepted"] = [accepted, len(docs)]
    return res


def _cell(pair: list[int]) -> str:
    r, n = pair
    return f"{r}/{n} {r / n:.2f}" if n else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--splits",
        default="corpus,dev,test,test2,test3,dev+test+test2+test3",
        help="comma-separated: corpus, dev, test, test2, test3 (tuning data; ``a+b`` pools), "
        "test4 (held out: score it once, at the end; its misses are never listed)",
    )
    ap.add_argument("--test", action="store_true", help="also score the held-out test4 (once)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = ap.parse_args()
    splits = [s.strip() for s in args.splits.split(",") if s.strip()]
    if args.test and HELD_OUT[0].rstrip("/") not in splits:
        splits.append(HELD_OUT[0].rstrip("/"))
    t0 = time.perf_counter()
    misses: list[str] = []
    for split in splits:
        docs = _corpus() if split == "corpus" else _evalset(split)
        if not docs:
            print(f"\n{split}: no documents found, skipped")
            continue
        print(f"\n== {split}: {len(docs)} documents")
        results = {form: score(docs, form, misses) for form in ("clean", "damaged")}
        print(f"{'field':<16}{'clean':>16}{'baseline':>16}{'damaged':>16}{'baseline':>16}")
        for f in (*FIELDS, "all four"):
            if not results["clean"][f"ours:{f}"][1]:
                continue
            row = [
                _cell(results[form][f"{who}:{f}"])
                for form in ("clean", "damaged")
                for who in ("ours", "base")
            ]
            print(f"{f:<16}" + "".join(f"{c:>16}" for c in row))
        for key in ("genre", "accepted", "kept (annex letters)", "kept (other documents)"):
            if results["clean"][key][1]:
                row = [_cell(results[form][key]) for form in ("clean", "damaged")]
                print(f"{key:<24}{row[0]:>16}{'':>16}{row[1]:>16}")
    kv = sorted((SHARED / "kamervragen").glob("*.txt"))
    if kv:
        ok = 0
        for p in kv:
            text = p.read_text(encoding="utf-8")
            for form_text in (text, damage(text)):
                with contextlib.suppress(LetterError):
                    ok += parse_letter(form_text).genre == "answers"
        print(f"\nkamervragen accepted as answers (clean and damaged): {ok}/{2 * len(kv)}")
    shown = list(dict.fromkeys(m for m in misses if not m.startswith(HELD_OUT)))
    if args.verbose and shown:
        print("\nmisses (held-out splits not listed):")
        for line in shown:
            print("  " + line)
    print(f"\n{time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
