"""BM25 over stemmed, stopword-filtered sentences: pure, in memory, incremental per letter.

Terms are the folded words of a sentence (see :func:`bot.core.text.fold`) without Dutch stopwords
(negations are kept: "geen capaciteit" is not "capaciteit"), stemmed with Snowball's conservative
``dutch_porter``. English questions are left to the embeddings (``bot.core.embed``).

Layout, built to answer in milliseconds at a million sentences:

- one row per indexed sentence (``sentence id``, ``letter id``, length, alive flag);
- a *main* segment of postings in CSR form (per term: rows and term frequencies, numpy arrays),
  and a small *pending* segment of flat arrays that new letters are appended to. Pending postings
  are merged into the main segment when they grow past a fraction of it, and removed letters
  (tombstoned rows) are dropped at the same time;
- a query scores only the postings of its own terms.

Thread-safe: every public method takes the index's lock (searches are short).
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import Stemmer

from bot.core.text import fold
from bot.core.vocabulary import NEGATIONS, STOPWORDS

K1 = 1.2
B = 0.75
# Pending postings are merged into the main segment past max(MIN_PENDING, main / PENDING_RATIO).
MIN_PENDING = 262_144
PENDING_RATIO = 2

_STOP = frozenset(fold(w) for w in STOPWORDS) - frozenset(NEGATIONS)


@dataclass(frozen=True, slots=True)
class BM25Hit:
    sentence_id: int
    letter_id: int
    score: float  # raw BM25, >= 0
    coverage: float  # share (0-1) of the query's idf mass this sentence matches


class Analyzer:
    """Text -> index terms. Caches stems per word (the vocabulary is bounded)."""

    def __init__(self, extra_stopwords: Iterable[str] = ()) -> None:
        self._stemmer = Stemmer.Stemmer("dutch_porter")
        self._stop = _STOP | frozenset(fold(w) for w in extra_stopwords)
        self._cache: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def terms(self, text: str) -> list[str]:
        out: list[str] = []
        cache = self._cache
        for word in fold(text).split():
            stem = cache.get(word, "")
            if stem == "":
                stem = self._stem(word)
            if stem is not None:
                out.append(stem)
        return out

    def _stem(self, word: str) -> str | None:
        if word in self._stop or (len(word) < 2 and not word.isdigit()) or len(word) > 60:
            stem = None
        else:
            with self._lock:  # a Stemmer object is not thread-safe
                stem = self._stemmer.stemWord(word)
        if len(self._cache) < 2_000_000:
            self._cache[word] = stem
        return stem


class BM25Index:
    def __init__(self, analyzer: Analyzer | None = None, *, k1: float = K1, b: float = B) -> None:
        self.analyzer = analyzer or Analyzer()
        self.k1 = k1
        self.b = b
        self._lock = threading.RLock()
        self._vocab: dict[str, int] = {}
        self._df = np.zeros(1024, dtype=np.int32)  # alive documents per term
        # rows
        self._n_rows = 0
        self._sid = np.zeros(1024, dtype=np.int64)
        self._letter = np.zeros(1024, dtype=np.int64)
        self._len = np.zeros(1024, dtype=np.float32)
        self._alive = np.zeros(1024, dtype=bool)
        self._n_alive = 0
        self._total_len = 0.0  # over alive rows
        self._letter_rows: dict[int, np.ndarray] = {}
        self._letter_terms: dict[int, np.ndarray] = {}  # term id per (sentence, distinct term)
        # main segment (CSR over term ids 0 .. len(indptr) - 2)
        self._indptr = np.zeros(1, dtype=np.int64)
        self._rows = np.zeros(0, dtype=np.int32)
        self._tf = np.zeros(0, dtype=np.float32)
        # pending segment
        self._p_term = array("i")
        self._p_row = array("i")
        self._p_tf = array("f")

    # ------------------------------------------------------------------ size

    def __len__(self) -> int:
        return self._n_alive

    @property
    def letters(self) -> frozenset[int]:
        with self._lock:
            return frozenset(self._letter_rows)

    def __contains__(self, letter_id: object) -> bool:
        return letter_id in self._letter_rows

    # ------------------------------------------------------------------ changes

    def add(self, letter_id: int, sentences: Sequence[tuple[int, str]]) -> None:
        """Index a letter's sentences (``(sentence_id, text)``); replaces it if already there."""
        analysed = [(sid, self.analyzer.terms(text)) for sid, text in sentences]
        with self._lock:
            if letter_id in self._letter_rows:
                self._remove(letter_id)
            start = self._n_rows
            self._grow_rows(start + len(analysed))
            letter_terms = array("i")
            for offset, (sid, terms) in enumerate(analysed):
                row = start + offset
                self._sid[row] = sid
                self._letter[row] = letter_id
                self._len[row] = len(terms)
                self._alive[row] = True
                self._total_len += len(terms)
                for term, tf in Counter(terms).items():
                    tid = self._vocab.get(term)
                    if tid is None:
                        tid = len(self._vocab)
                        self._vocab[term] = tid
                        if tid >= len(self._df):
                            self._df = _grown(self._df, tid + 1)
                    self._df[tid] += 1
                    letter_terms.append(tid)
                    self._p_term.append(tid)
                    self._p_row.append(row)
                    self._p_tf.append(tf)
            self._n_rows = start + len(analysed)
            self._n_alive += len(analysed)
            self._letter_rows[letter_id] = np.arange(start, self._n_rows, dtype=np.int64)
            self._letter_terms[letter_id] = np.frombuffer(letter_terms, dtype=np.int32).copy()
            if len(self._p_term) > max(MIN_PENDING, len(self._rows) // PENDING_RATIO):
                self._merge()

    def remove_letter(self, letter_id: int) -> int:
        """Forget a letter; returns how many sentences were removed."""
        with self._lock:
            return self._remove(letter_id)

    def flush(self) -> None:
        """Merge pending postings into the main segment now (after a bulk load)."""
        with self._lock:
            if len(self._p_term) or self._n_alive < self._n_rows:
                self._merge()

    def _remove(self, letter_id: int) -> int:
        rows = self._letter_rows.pop(letter_id, None)
        letter_terms = self._letter_terms.pop(letter_id, None)
        if rows is None or not len(rows):
            return 0
        self._alive[rows] = False
        self._n_alive -= len(rows)
        self._total_len -= float(self._len[rows].sum())
        if letter_terms is not None:
            np.subtract.at(self._df, letter_terms, 1)
        if self._n_rows - self._n_alive > max(10_000, self._n_rows // 4):
            self._merge()
        return len(rows)

    def _grow_rows(self, need: int) -> None:
        if need <= len(self._sid):
            return
        self._sid = _grown(self._sid, need)
        self._letter = _grown(self._letter, need)
        self._len = _grown(self._len, need)
        self._alive = _grown(self._alive, need)

    def _merge(self) -> None:
        """Main + pending -> one main segment; dead rows dropped and rows renumbered."""
        n_terms = len(self._vocab)
        main_terms = np.repeat(np.arange(len(self._indptr) - 1, dtype=np.int32),
                               np.diff(self._indptr))  # fmt: skip
        terms = np.concatenate([main_terms, np.frombuffer(self._p_term, dtype=np.int32)])
        rows = np.concatenate([self._rows, np.frombuffer(self._p_row, dtype=np.int32)])
        tfs = np.concatenate([self._tf, np.frombuffer(self._p_tf, dtype=np.float32)])
        alive = self._alive[: self._n_rows]
        if self._n_alive < self._n_rows:
            keep = alive[rows]
            terms, rows, tfs = terms[keep], rows[keep], tfs[keep]
            new_row = np.cumsum(alive, dtype=np.int64) - 1
            rows = new_row[rows].astype(np.int32)
            n = self._n_alive
            for field in ("_sid", "_letter", "_len", "_alive"):
                old = getattr(self, field)
                fresh = np.zeros(max(1024, n), dtype=old.dtype)
                fresh[:n] = old[: self._n_rows][alive]
                setattr(self, field, fresh)
            self._n_rows = n
            self._letter_rows = {lid: new_row[r] for lid, r in self._letter_rows.items() if len(r)}
        order = np.argsort(terms, kind="stable")  # rows stay ascending within a term
        self._rows = np.ascontiguousarray(rows[order])
        self._tf = np.ascontiguousarray(tfs[order])
        counts = np.bincount(terms, minlength=n_terms)
        self._indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=self._indptr[1:])
        self._p_term = array("i")
        self._p_row = array("i")
        self._p_tf = array("f")

    # ------------------------------------------------------------------ search

    def query_terms(self, query: str) -> list[str]:
        """The distinct index terms of ``query`` (unknown terms included), in order."""
        return list(dict.fromkeys(self.analyzer.terms(query)))

    def search(
        self, query: str, k: int = 10, *, letter_ids: Collection[int] | None = None
    ) -> list[BM25Hit]:
        """The ``k`` best sentences for ``query``, best first; only of ``letter_ids`` if given."""
        terms = self.query_terms(query)
        if not terms or k < 1:
            return []
        with self._lock:
            return self._search(terms, k, letter_ids)

    def _search(
        self, terms: list[str], k: int, letter_ids: Collection[int] | None
    ) -> list[BM25Hit]:
        n = self._n_alive
        if n == 0:
            return []
        avgdl = max(self._total_len / n, 1.0)
        known = [(t, self._vocab[t]) for t in terms if t in self._vocab]
        # Unknown terms still count in the idf mass: a question about something absent is
        # not well covered by a sentence that matches only its common words.
        idf_unknown = math.log(1 + (n + 0.5) / 0.5)
        idfs = {tid: math.log(1 + (n - self._df[tid] + 0.5) / (self._df[tid] + 0.5))
                for _, tid in known}  # fmt: skip
        total_idf = sum(idfs.values()) + idf_unknown * (len(terms) - len(known))
        if not known or total_idf <= 0:
            return []
        p_term = np.frombuffer(self._p_term, dtype=np.int32)
        p_row = np.frombuffer(self._p_row, dtype=np.int32)
        p_tf = np.frombuffer(self._p_tf, dtype=np.float32)
        n_main_terms = len(self._indptr) - 1
        scores = np.zeros(self._n_rows, dtype=np.float32)
        cover = np.zeros(self._n_rows, dtype=np.float32)
        touched = []
        for _, tid in known:
            parts_r, parts_f = [], []
            if tid < n_main_terms:
                a, b = self._indptr[tid], self._indptr[tid + 1]
                parts_r.append(self._rows[a:b])
                parts_f.append(self._tf[a:b])
            if len(p_term):
                sel = p_term == tid
                parts_r.append(p_row[sel])
                parts_f.append(p_tf[sel])
            rows = np.concatenate(parts_r) if len(parts_r) > 1 else parts_r[0]
            if not len(rows):
                continue
            tf = np.concatenate(parts_f) if len(parts_f) > 1 else parts_f[0]
            dl = self._len[rows]
            idf = idfs[tid]
            # a row appears at most once per term, so fancy-index addition is exact
            scores[rows] += (
                idf * tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * dl / avgdl))
            )
            cover[rows] += idf
            touched.append(rows)
        if not touched:
            return []
        cand = np.unique(np.concatenate(touched))
        cand = cand[self._alive[cand]]
        if letter_ids is not None:
            allowed = np.fromiter(letter_ids, dtype=np.int64)
            cand = cand[np.isin(self._letter[cand], allowed)]
        if not len(cand):
            return []
        cand_scores = scores[cand]
        if len(cand) > k:
            top = np.argpartition(-cand_scores, k - 1)[:k]
        else:
            top = np.arange(len(cand))
        # ties broken by row (insertion order), so results are deterministic
        top = top[np.lexsort((cand[top], -cand_scores[top]))]
        return [
            BM25Hit(
                sentence_id=int(self._sid[cand[i]]),
                letter_id=int(self._letter[cand[i]]),
                score=float(cand_scores[i]),
                coverage=min(1.0, float(cover[cand[i]]) / total_idf),
            )
            for i in top
        ]


def _grown(arr: np.ndarray, need: int) -> np.ndarray:
    fresh = np.zeros(max(need, 2 * len(arr)), dtype=arr.dtype)
    fresh[: len(arr)] = arr
    return fresh
