"""Measure accent-gap repair (bot.core.repair) on the clean corpus and on the seed letter.

Run as ``python bench/repair_quality.py`` from the repository root. For every clean letter in
``../shared/corpus/letters`` (or ``$BRIEFBOT_CORPUS``) the text is damaged with
``bot.core.text.damage`` and repaired; each repair is checked against the original word.
Prints precision, recall, gaps, wrong repairs (listed), misses (with ``-v``), the changes
made to the undamaged texts with ``damaged=False``, and ms per letter. Then the same on the
seed letter, whose 9 gaps are known by hand.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.repair import repair_text, warm_up  # noqa: E402
from bot.core.text import damage  # noqa: E402

CORPUS = Path(os.environ.get("BRIEFBOT_CORPUS", ROOT.parent / "shared" / "corpus" / "letters"))
SEED = ROOT / "data" / "letters" / "nationaal-rapporteur-2017-04-05-informateur-schippers.txt"
SEED_SHARED = ROOT.parent / "shared" / "seed" / SEED.name

_FRAGMENT = re.compile(r"[a-z]+")
_SPACES = re.compile(r"\s+")


def damage_keep_accents(text: str) -> str:
    """``damage`` except that non-ASCII letters are kept: the words as they should come back."""
    out = []
    for ch in text.lower():
        if "a" <= ch <= "z" or ch == "." or (not ch.isascii() and ch.isalpha()):
            out.append(ch)
        else:
            out.append(" ")
    return _SPACES.sub(" ", "".join(out)).strip()


@dataclass
class Alignment:
    """Original words and where their fragments sit among the damaged text's tokens.

    ``damage`` turns each non-ASCII letter into a space, so an original word (a letter run of
    the accent-keeping text) becomes its ASCII runs, in order, and nothing else changes. The
    damaged text's ``[a-z]+`` tokens are therefore exactly the concatenation of every original
    word's fragments; word ``w`` owns tokens ``first[w] .. first[w] + count[w] - 1``.
    """

    damaged: str
    token_starts: list[int]  # char offset of each damaged token
    words: list[str]  # original words, accents kept, lowercase
    first: list[int]  # first damaged token of each word
    count: list[int]  # number of fragments of each word (0: the word vanished, e.g. "é")


def align(clean: str) -> Alignment:
    damaged = damage(clean)
    keep = damage_keep_accents(clean)
    words = re.findall(r"[^\W\d_]+", keep)
    token_starts = [m.start() for m in _FRAGMENT.finditer(damaged)]
    tokens = _FRAGMENT.findall(damaged)
    first: list[int] = []
    count: list[int] = []
    k = 0
    for word in words:
        frags = _FRAGMENT.findall(word)
        first.append(k)
        count.append(len(frags))
        if tokens[k : k + len(frags)] != frags:
            raise AssertionError(f"alignment broke at word {word!r}")
        k += len(frags)
    if k != len(tokens):
        raise AssertionError("alignment did not consume every damaged token")
    return Alignment(damaged, token_starts, words, first, count)


@dataclass
class Score:
    gaps: int = 0
    correct: int = 0
    repairs: int = 0
    wrong: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    missed: Counter[str] = field(default_factory=Counter)

    @property
    def precision(self) -> float:
        """Strict: a partial repair counts as wrong."""
        return self.correct / self.repairs if self.repairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.gaps if self.gaps else 1.0


def score_letter(clean: str, score: Score, name: str) -> float:
    """Damage, repair and judge one letter; return the repair time in ms."""
    al = align(clean)
    t0 = time.perf_counter()
    _, repairs = repair_text(al.damaged, damaged=True)
    ms = (time.perf_counter() - t0) * 1000
    by_first = {f: w for w, f in enumerate(al.first) if al.count[w]}
    token_at = {s: i for i, s in enumerate(al.token_starts)}
    gap_words = {w for w, word in enumerate(al.words) if al.count[w] and not word.isascii()}
    score.gaps += len(gap_words)
    hit: set[int] = set()
    for rep in repairs:
        score.repairs += 1
        t = token_at[rep.start]
        n_tokens = len(_FRAGMENT.findall(rep.from_text))
        w = by_first.get(t)
        if w is not None and al.count[w] == n_tokens and al.words[w] == rep.to_text:
            score.correct += 1
            hit.add(w)
            continue
        lo = max(0, rep.start - 30)
        context = al.damaged[lo : rep.end + 30]
        covered = [
            w
            for w in range(len(al.words))
            if al.count[w] and al.first[w] <= t + n_tokens - 1 and al.first[w] + al.count[w] > t
        ]
        truth = " ".join(al.words[w] for w in covered)
        line = f"{name}: {rep.from_text!r} -> {rep.to_text!r} (was {truth!r}) ...{context}..."
        # Partial: the repair restores part of one longer word (``priv`` -> ``privé`` where the
        # word was ``privésleutel``); the text improves but the word is still split.
        if len(covered) == 1 and rep.to_text in al.words[covered[0]]:
            score.partial.append(line)
        else:
            score.wrong.append(line)
    for w in gap_words - hit:
        frags = " ".join(_FRAGMENT.findall(al.words[w]))
        score.missed[f"{frags!r} ({al.words[w]})"] += 1
    return ms


def seed_gold(text: str) -> dict[tuple[int, int], str]:
    """The seed letter's 9 gaps, found by hand: span -> repaired word."""
    patterns = {
        r"\bco rdinatie\b": "coördinatie",
        r"\bco rdinerend\b": "coördinerend",
        r"\bgeco rdineerd\b": "gecoördineerd",
        r"\bgeco rdineerde\b": "gecoördineerde",
        r"\bge nvesteerd\b": "geïnvesteerd",
        r"\bvari teit\b": "variëteit",
        r"(?<=\bslechts )n(?= zaak\b)": "één",
    }
    gold = {}
    for pattern, word in patterns.items():
        for m in re.finditer(pattern, text):
            gold[m.span()] = word
    return gold


def measure(title: str, named_texts: list[tuple[str, str]], verbose: bool) -> None:
    """Print the damaged-text score, the clean-text changes and the speed over some texts."""
    for name, clean in named_texts:  # warm-up pass (caches, branch predictors)
        score_letter(clean, Score(), name)
    score = Score()
    times: list[float] = []
    clean_changes: list[str] = []
    n_words = 0
    for name, clean in named_texts:
        times.append(score_letter(clean, score, name))
        n_words += len(damage(clean).split())
        _, reps = repair_text(clean, damaged=False)
        clean_changes += [f"{name}: {r.from_text!r} -> {r.to_text!r}" for r in reps]
    print(f"\n{title}: {len(named_texts)} texts, {n_words} words")
    print(f"  gaps (words with an accent lost): {score.gaps}")
    print(
        f"  repairs: {score.repairs}, correct: {score.correct}, wrong: {len(score.wrong)}, "
        f"partial: {len(score.partial)}"
    )
    print(f"  precision: {score.precision:.3f}   recall: {score.recall:.3f}")
    for line in score.wrong:
        print(f"    WRONG {line}")
    for line in score.partial:
        print(f"    PARTIAL {line}")
    print(f"  missed: {sum(score.missed.values())} ({len(score.missed)} distinct)")
    if verbose:
        for key, n in score.missed.most_common():
            print(f"    miss {n}x {key}")
    per_10k = len(clean_changes) / max(n_words, 1) * 10_000
    print(
        f"  undamaged texts, damaged=False: {len(clean_changes)} changes ({per_10k:.2f}/10k words)"
    )
    for line in clean_changes:
        print(f"    CHANGED {line}")
    avg = sum(times) / len(times)
    per_kw = sum(times) / max(n_words, 1) * 1000
    print(
        f"  time: {avg:.2f} ms per text (mean {n_words // len(named_texts)} words), "
        f"{per_kw:.2f} ms per 1,000 words"
    )


def measure_seed(seed: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    gold = seed_gold(text)
    repair_text(text, damaged=True)
    t0 = time.perf_counter()
    _, reps = repair_text(text, damaged=True)
    ms = (time.perf_counter() - t0) * 1000
    correct = [r for r in reps if gold.get((r.start, r.end)) == r.to_text]
    wrong = [r for r in reps if gold.get((r.start, r.end)) != r.to_text]
    found = {(r.start, r.end) for r in correct}
    print(f"\nseed letter {seed.name}: {len(text.split())} words")
    print(
        f"  gaps: {len(gold)}, repairs: {len(reps)}, correct: {len(correct)}, wrong: {len(wrong)}"
    )
    prec = len(correct) / len(reps) if reps else 1.0
    rec = len(correct) / len(gold) if gold else 1.0
    print(f"  precision: {prec:.3f}   recall: {rec:.3f}   time: {ms:.2f} ms")
    for r in wrong:
        print(f"    WRONG {r.from_text!r} -> {r.to_text!r} at {r.start}")
    for span, word in sorted(gold.items()):
        if span not in found:
            print(f"    MISSED {text[span[0] : span[1]]!r} -> {word!r} at {span[0]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list missed gaps")
    parser.add_argument(
        "--extra",
        nargs="*",
        type=Path,
        default=[],
        help="more clean Dutch text files to measure on (cut into 300-line pieces)",
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    warm_up()
    print(f"lexicon loaded in {(time.perf_counter() - t0) * 1000:.0f} ms")

    files = sorted(CORPUS.glob("*.txt")) if CORPUS.is_dir() else []
    if files:
        texts = [(f.stem, f.read_text(encoding="utf-8")) for f in files]
        measure(f"corpus {CORPUS}", texts, args.verbose)
    else:
        print(f"corpus not found at {CORPUS}: skipping the corpus measurement")

    for path in args.extra:
        lines = path.read_text(encoding="utf-8").splitlines()
        pieces = [
            (f"{path.stem}:{i + 1}", "\n".join(lines[i : i + 300]))
            for i in range(0, len(lines), 300)
        ]
        measure(f"extra {path}", pieces, args.verbose)

    seed = SEED if SEED.exists() else SEED_SHARED
    if seed.exists():
        measure_seed(seed)
    else:
        print("\nseed letter not found: skipping")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
