"""A deterministic synthetic corpus at scale, written straight into a briefbot SQLite store.

``ensure_synthetic_db(n_letters, seed=7)`` returns the path of a store holding ``n_letters``
synthetic letters of about 100 sentences each (10,000 letters: about 1 million sentences),
generating it on first use and caching it under ``bench/out/`` keyed by size, seed and generator
version. The result is an ordinary store: ``Services.open(settings, database=path)`` reads it.

    python bench/synthetic.py --letters 10000 [--seed 7] [--force]

How the text is made (every letter from its own ``random.Random(f"{seed}:{i}")``, so letter i is
the same whatever the size):

* Source sentences: the clean dev corpus (``../shared/corpus/letters/*.txt``, parsed by
  ``bot.core.parse``) plus the bundled letter; without ``../shared``, the bundled letter alone.
* Each synthetic sentence takes a source sentence, in 40% of cases spliced at a word boundary
  with the tail of another, then replaces about one in five words of four letters or more: mostly
  by a word of the corpus vocabulary, sometimes by a word from wordfreq's Dutch list (ranks drawn
  log-uniformly, so a realistic long tail of rare words appears), and sometimes drops a word.
  Capitals and punctuation around a replaced word are kept.
* 15% of the letters are "damaged" like the scraped bundled letter: lowercase, no digits or
  punctuation except the final full stop, and 30% of accented letters left as a gap
  (``co rdinatie``), the rest repaired; ``damaged = 1`` on those letters.
* 1 to 4 sections with headings drawn from the corpus, a new page every 15 to 30 sentences, all
  letters global (``guild_id`` NULL), ``norm = fold(text)`` as the parser makes it.

Rows are written with plain ``sqlite3`` in the store's schema (see :func:`write_letters`), after
``open_store`` created and migrated the file; the FTS5 triggers fill ``sentences_fts`` as usual.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import os
import random
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.core.parse import PARSER_VERSION, parse_letter  # noqa: E402
from bot.core.text import fold  # noqa: E402
from bot.store import open_store  # noqa: E402

GENERATOR_VERSION = 1
OUT = ROOT / "bench" / "out"
CORPUS = Path(os.environ.get("BRIEFBOT_CORPUS", ROOT.parent / "shared" / "corpus" / "letters"))
BUNDLED = ROOT / "data" / "letters"

_TOKEN = re.compile(r"^(\W*)([^\W\d_]+)(\W*)$")
_ACCENTED = re.compile(r"[^\x00-\x7f]")
_KEEP_DAMAGED = re.compile(r"[^a-zà-ÿ. ]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Sources:
    sentences: tuple[tuple[str, ...], ...]  # clean source sentences as whitespace tokens
    vocabulary: tuple[str, ...]  # corpus words (lowercase, 4+ letters)
    rare: tuple[str, ...]  # wordfreq Dutch words by rank, 4+ letters
    headings: tuple[str, ...]
    subjects: tuple[str, ...]
    kind: str  # "corpus" or "bundled"


@dataclass(slots=True)
class SynthSentence:
    text: str
    page: int
    section: int


@dataclass(slots=True)
class SynthLetter:
    index: int
    damaged: bool
    subject: str
    date: str
    headings: list[str | None]
    sentences: list[SynthSentence]


@lru_cache(maxsize=1)
def load_sources() -> Sources:
    files = sorted(CORPUS.glob("*.txt")) if CORPUS.is_dir() else []
    kind = "corpus" if files else "bundled"
    files += sorted(BUNDLED.glob("*.txt"))
    sentences: list[tuple[str, ...]] = []
    vocabulary: set[str] = set()
    headings: set[str] = set()
    subjects: list[str] = []
    for f in files:
        parsed = parse_letter(f.read_text(encoding="utf-8"))
        for s in parsed.sentences:
            tokens = tuple(s.text.split())
            if len(tokens) >= 5:
                sentences.append(tokens)
            for tok in tokens:
                m = _TOKEN.match(tok)
                if m and len(m[2]) >= 4:
                    vocabulary.add(m[2].lower())
        headings.update(h.heading for h in parsed.sections if h.heading)
        subjects.append(parsed.title)
    from wordfreq import top_n_list

    rare = tuple(w for w in top_n_list("nl", 80_000) if len(w) >= 4 and w.isalpha())
    return Sources(
        sentences=tuple(sentences),
        vocabulary=tuple(sorted(vocabulary)),
        rare=rare,
        headings=tuple(sorted(headings)) or ("Aanpak",),
        subjects=tuple(subjects),
        kind=kind,
    )


def _replacement(rng: random.Random, src: Sources) -> str:
    if rng.random() < 0.7:
        return rng.choice(src.vocabulary)
    rank = int(math.exp(rng.random() * math.log(len(src.rare)))) - 1
    return src.rare[min(rank, len(src.rare) - 1)]


def _sentence(rng: random.Random, src: Sources) -> str:
    tokens = list(rng.choice(src.sentences))
    if rng.random() < 0.4:
        other = rng.choice(src.sentences)
        cut = rng.randint(3, max(3, len(tokens) - 2))
        join = rng.randint(1, max(1, len(other) - 3))
        tokens = tokens[:cut] + list(other[join:])
    out: list[str] = []
    for token in tokens:
        m = _TOKEN.match(token)
        if m and len(m[2]) >= 4:
            r = rng.random()
            if r < 0.03:
                continue  # drop the word
            if r < 0.23:
                word = _replacement(rng, src)
                if m[2][0].isupper():
                    word = word[0].upper() + word[1:]
                out.append(f"{m[1]}{word}{m[3]}")
                continue
        out.append(token)
    text = " ".join(out).rstrip(",;:")
    if not text.endswith((".", "?", "!")):
        text += "."
    return text[0].upper() + text[1:]


def _damage(text: str, rng: random.Random) -> str:
    """Scraped-corpus damage with most accent gaps already repaired by the parser."""
    out = []
    for ch in text.lower():
        if _ACCENTED.match(ch) and ch.isalpha():
            out.append(" " if rng.random() < 0.3 else ch)
        elif _KEEP_DAMAGED.match(ch):
            out.append(" ")
        else:
            out.append(ch)
    body = _SPACES.sub(" ", "".join(out).replace(".", " ")).strip()
    return body + "."


def make_letter(index: int, seed: int, src: Sources) -> SynthLetter:
    rng = random.Random(f"{seed}:{index}")
    damaged = rng.random() < 0.15
    n = rng.randint(50, 150)
    n_sections = rng.randint(1, 4)
    headings: list[str | None] = [None] + [rng.choice(src.headings) for _ in range(n_sections - 1)]
    page, next_break = 1, rng.randint(15, 30)
    sentences = []
    for i in range(n):
        if i >= next_break:
            page += 1
            next_break += rng.randint(15, 30)
        text = _sentence(rng, src)
        if damaged:
            text = _damage(text, rng)
        sentences.append(SynthSentence(text, page, i * n_sections // n))
    day = date(2011, 1, 1) + timedelta(days=rng.randint(0, 8 * 365))
    subject = rng.choice(src.subjects)
    return SynthLetter(index, damaged, subject, day.isoformat(), headings, sentences)


def iter_letters(n_letters: int, seed: int = 7) -> Iterator[SynthLetter]:
    src = load_sources()
    for i in range(n_letters):
        yield make_letter(i, seed, src)


# --------------------------------------------------------------------------- writing


def write_letters(conn: sqlite3.Connection, letters: Iterator[SynthLetter], seed: int) -> int:
    """Insert letters, sections and sentences in the store's schema (0001 with 0004's letter
    numbers) with explicit ids; one transaction per 200 letters. Returns the number of
    sentences written."""
    section_id = sentence_id = 0
    now = datetime.now(UTC).isoformat()
    total = 0
    letter_rows: list[tuple] = []
    section_rows: list[tuple] = []
    sentence_rows: list[tuple] = []

    def flush() -> None:
        conn.execute("BEGIN")
        conn.executemany(
            """INSERT INTO letters (id, number, slug, content_hash, guild_id, source_path,
                   source_kind, damaged, pages, sentence_count, sender, signatory, recipient,
                   recipient_role, date, subject, reference, contact, salutation, closing, copies,
                   title, original, parser_version, added_at)
               VALUES (?, ?, ?, ?, NULL, ?, 'txt', ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, NULL, ?,
                   ?, NULL, ?, ?, ?, ?)""",
            letter_rows,
        )
        conn.executemany(
            "INSERT INTO sections (id, letter_id, position, heading) VALUES (?, ?, ?, ?)",
            section_rows,
        )
        conn.executemany(
            """INSERT INTO sentences (id, letter_id, section_id, number, page, start_offset,
                   end_offset, text, original, norm)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            sentence_rows,
        )
        conn.execute("COMMIT")
        letter_rows.clear()
        section_rows.clear()
        sentence_rows.clear()

    for letter_id, letter in enumerate(letters, start=1):
        first_section = section_id + 1
        for pos, heading in enumerate(letter.headings):
            section_id += 1
            section_rows.append((section_id, letter_id, pos, heading))
        parts: list[str] = []
        offset = 0
        for number, s in enumerate(letter.sentences, start=1):
            if parts:
                parts.append(" ")
                offset += 1
            start = offset
            parts.append(s.text)
            offset += len(s.text)
            sentence_id += 1
            sentence_rows.append(
                (sentence_id, letter_id, first_section + s.section, number, s.page, start,
                 offset, s.text, s.text, fold(s.text))
            )  # fmt: skip
        original = "".join(parts)
        digest = hashlib.sha256(original.encode()).hexdigest()
        salutation = "geachte voorzitter" if letter.damaged else "Geachte voorzitter,"
        letter_rows.append(
            (letter_id, letter_id, f"synthetic-{seed}-{letter.index:05d}", digest,
             f"synthetic:{seed}:{letter.index}", int(letter.damaged), letter.sentences[-1].page,
             len(letter.sentences), "Nationaal Rapporteur", "C.E. Dettmeijer-Vermeulen",
             "Tweede Kamer", letter.date, letter.subject, salutation, "Hoogachtend,",
             letter.subject, original, PARSER_VERSION, now)
        )  # fmt: skip
        total += len(letter.sentences)
        if len(letter_rows) >= 200:
            flush()
    if letter_rows:
        flush()
    conn.execute(  # every letter is global: numbered 1..n, the next one n + 1
        "INSERT INTO letter_numbers (scope, last) VALUES (0, (SELECT max(number) FROM letters))"
        " ON CONFLICT (scope) DO UPDATE SET last = excluded.last"
    )
    return total


def db_path(n_letters: int, seed: int = 7) -> Path:
    kind = load_sources().kind
    return OUT / f"synthetic-v{GENERATOR_VERSION}-{kind}-{n_letters}-s{seed}.sqlite3"


def ensure_synthetic_db(n_letters: int, seed: int = 7, *, force: bool = False) -> Path:
    """The path of the cached synthetic store, generated first when missing."""
    if n_letters < 1:
        raise ValueError("n_letters must be at least 1")
    path = db_path(n_letters, seed)
    if path.exists() and not force:
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)

    async def create() -> None:
        store = await open_store(tmp)
        await store.close()

    asyncio.run(create())
    started = time.perf_counter()
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA foreign_keys = ON")
        total = write_letters(conn, iter_letters(n_letters, seed), seed)
        conn.execute("INSERT INTO sentences_fts (sentences_fts) VALUES ('optimize')")
        conn.execute("PRAGMA optimize")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    tmp.replace(path)
    Path(f"{tmp}-wal").unlink(missing_ok=True)
    Path(f"{tmp}-shm").unlink(missing_ok=True)
    print(
        f"wrote {n_letters:,} letters, {total:,} sentences to {path} "
        f"in {time.perf_counter() - started:.1f}s ({path.stat().st_size / 2**20:.0f} MiB)",
        file=sys.stderr,
    )
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--letters", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--force", action="store_true", help="regenerate even when cached")
    args = ap.parse_args(argv)
    path = ensure_synthetic_db(args.letters, args.seed, force=args.force)
    conn = sqlite3.connect(path)
    try:
        letters, sentences = conn.execute(
            "SELECT (SELECT count(*) FROM letters), (SELECT count(*) FROM sentences)"
        ).fetchone()
    finally:
        conn.close()
    print(f"{path}: {letters:,} letters, {sentences:,} sentences")


if __name__ == "__main__":
    main()
