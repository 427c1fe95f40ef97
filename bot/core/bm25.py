"""BM25 over stemmed, stopword-filtered sentences: pure, in memory, incremental per letter.

Terms are the folded words of a sentence (see :func:`bot.core.text.fold`) without Dutch stopwords
(negations are kept: "geen capaciteit" is not "capaciteit"), stemmed with Snowball's Dutch
stemmer (see ``STEMMER``). An English question is matched through the Dutch words that
``bot.services.ask`` pairs with its words (as expansions, see :meth:`BM25Index.search`).

Layout, built to answer in milliseconds at a million sentences:

- one row per indexed sentence (``sentence id``, ``letter id``, length, alive flag);
- a *main* segment of postings in CSR form (per term: rows and term frequencies, numpy arrays),
  and a small *pending* segment of flat arrays that new letters are appended to. Pending postings
  are merged into the main segment when they grow past a fraction of it, and removed letters
  (tombstoned rows) are dropped at the same time;
- a query scores only the postings of its own terms.

Thread-safe: every public method takes the index's lock (searches are short).

Saved and loaded as arrays (``export_state`` / ``from_state``, storage only: a loaded index
holds the same precomputed parts and scores exactly as the saved one); the postings may be
read-only memory maps, since a merge writes new arrays.
"""

from __future__ import annotations

import bisect
import itertools
import math
import threading
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import Stemmer

from bot.core.state import StateError, join_words, split_words
from bot.core.text import fold
from bot.core.vocabulary import NEGATIONS, STOPWORDS

K1 = 1.2
# Snowball's current Dutch stemmer (Kraaij-Pohlmann rules): it conflates what the older
# ``dutch_porter`` keeps apart (werkt/gewerkt/werken, pauzes/pauze, overuren/overuur).
# Measured on the tuning sets (bench/kamervragen.py --dev2, --dev, bench/ask_quality.py):
# answer documents hit@3 0.808 -> 0.849 and 0.821 -> 0.846, other senders +6 of 241,
# corpus letters -1 of 78; lemmatising first (simplemma) added nothing.
STEMMER = "dutch"
# ...but it also takes a "ge" out of a compound's middle (regeerakkoord -> reerakkoor), which
# breaks the compound parts that query expansion relies on: a stem that lost the word's head
# (other than a participle's "ge-") is taken from the older stemmer instead.
FALLBACK_STEMMER = "dutch_porter"


def _keeps_head(word: str, stem: str) -> bool:
    head = stem[:3]
    return word.startswith(head) or (word.startswith("ge") and word[2:].startswith(head))


B = 0.75
# Pending postings are merged into the main segment past max(MIN_PENDING, main / PENDING_RATIO).
MIN_PENDING = 262_144
PENDING_RATIO = 2
MIN_SHARED = 5  # letters a compound part shares with a related term, at least
# A related term (an expansion of weight w) covers its query term by min(1, w * this): it ranks
# below the term itself but is as much evidence that the sentence is about it.
EXPANSION_COVER = 2.0

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
        self._stemmer = Stemmer.Stemmer(STEMMER)
        self._fallback = Stemmer.Stemmer(FALLBACK_STEMMER)
        self._stop = _STOP | frozenset(fold(w) for w in extra_stopwords)
        self._cache: dict[str, str | None] = {}
        self._surface: dict[str, str] = {}
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
                if not _keeps_head(word, stem):
                    stem = self._fallback.stemWord(word)
        if len(self._cache) < 2_000_000:
            self._cache[word] = stem
            if stem is not None:
                self._surface.setdefault(stem, word)
        return stem

    def surface(self, stem: str) -> str:
        """The first word seen with this stem (the stem itself if none was)."""
        return self._surface.get(stem, stem)


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
        # per letter: sentence ids (sentence order), the section ids it has, and the index
        # into those of each sentence and of each (sentence, distinct term) entry
        self._letter_sids: dict[int, np.ndarray] = {}
        self._letter_sec_ids: dict[int, np.ndarray] = {}
        self._letter_row_sec: dict[int, np.ndarray] = {}
        self._letter_entry_sec: dict[int, np.ndarray] = {}
        self._letter_counts: dict[int, np.ndarray] = {}  # distinct terms per sentence
        # main segment (CSR over term ids 0 .. len(indptr) - 2)
        self._indptr = np.zeros(1, dtype=np.int64)
        self._rows = np.zeros(0, dtype=np.int32)
        self._tf = np.zeros(0, dtype=np.float32)
        # per posting: the BM25 term-frequency part, with the average length at merge time
        self._part = np.zeros(0, dtype=np.float32)
        # pending segment
        self._p_term = array("i")
        self._p_row = array("i")
        self._p_tf = array("f")
        # sorted terms and reversed terms, for related(); rebuilt when the vocabulary grows
        self._forward: list[str] = []
        self._backward: list[str] = []
        self._affix_size = -1

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

    def add(
        self,
        letter_id: int,
        sentences: Sequence[tuple[int, str]],
        sections: Sequence[int] | None = None,
    ) -> None:
        """Index a letter's sentences (``(sentence_id, text)``), with the section each belongs
        to (``sections``, one id per sentence; None: one section); replaces it if already
        there."""
        analysed = [(sid, self.analyzer.terms(text)) for sid, text in sentences]
        if sections is not None and len(sections) != len(analysed):
            raise ValueError("one section id per sentence is needed")
        with self._lock:
            if letter_id in self._letter_rows:
                self._remove(letter_id)
            start = self._n_rows
            self._grow_rows(start + len(analysed))
            letter_terms = array("i")
            counts = array("i")
            for offset, (sid, terms) in enumerate(analysed):
                row = start + offset
                self._sid[row] = sid
                self._letter[row] = letter_id
                self._len[row] = len(terms)
                self._alive[row] = True
                self._total_len += len(terms)
                distinct = Counter(terms)
                counts.append(len(distinct))
                for term, tf in distinct.items():
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
            self._letter_sids[letter_id] = np.array([sid for sid, _ in analysed], dtype=np.int64)
            secs = np.zeros(len(analysed), dtype=np.int64) if sections is None else sections
            sec_ids, row_sec = np.unique(np.asarray(secs, dtype=np.int64), return_inverse=True)
            self._letter_sec_ids[letter_id] = sec_ids
            self._letter_row_sec[letter_id] = row_sec.astype(np.int32)
            self._letter_entry_sec[letter_id] = np.repeat(
                row_sec.astype(np.int32), np.frombuffer(counts, dtype=np.int32)
            )
            self._letter_counts[letter_id] = np.frombuffer(counts, dtype=np.int32).copy()
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
        for per_letter in (
            self._letter_sids,
            self._letter_sec_ids,
            self._letter_row_sec,
            self._letter_entry_sec,
            self._letter_counts,
        ):
            per_letter.pop(letter_id, None)
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
        self._part = self._tf_part(self._rows, self._tf)
        counts = np.bincount(terms, minlength=n_terms)
        self._indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=self._indptr[1:])
        self._p_term = array("i")
        self._p_row = array("i")
        self._p_tf = array("f")

    # ------------------------------------------------------------------ saving and loading

    _PER_LETTER = ("_letter_rows", "_letter_terms", "_letter_sids", "_letter_sec_ids",
                   "_letter_row_sec", "_letter_entry_sec", "_letter_counts")  # fmt: skip

    def export_state(self) -> tuple[dict[str, np.ndarray], dict[str, object], dict[str, object]]:
        """Everything the index is (storage only: nothing is recomputed, so a loaded index
        scores exactly as this one), for :meth:`from_state`; big arrays shared, not copied."""
        with self._lock:
            n = self._n_rows
            terms = list(self._vocab)  # in id order
            stems = list(self.analyzer._surface)
            arrays: dict[str, np.ndarray] = {
                "df": self._df[: len(terms)].copy(),
                "sid": self._sid[:n].copy(),
                "letter": self._letter[:n].copy(),
                "len": self._len[:n].copy(),
                "alive": self._alive[:n].copy(),
                "indptr": self._indptr,
                "rows": self._rows,
                "tf": self._tf,
                "part": self._part,
                "p_term": np.frombuffer(self._p_term, dtype=np.int32).copy(),
                "p_row": np.frombuffer(self._p_row, dtype=np.int32).copy(),
                "p_tf": np.frombuffer(self._p_tf, dtype=np.float32).copy(),
                "letter_ids": np.fromiter(self._letter_rows, dtype=np.int64),
            }
            for name in self._PER_LETTER:
                per = getattr(self, name)
                parts = [per[lid] for lid in self._letter_rows]
                arrays[name + ".ends"] = np.cumsum([len(p) for p in parts], dtype=np.int64)
                arrays[name] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
            blobs: dict[str, object] = {
                "terms": join_words(terms),
                "stems": join_words(stems),
                "surfaces": join_words([self.analyzer._surface[t] for t in stems]),
            }
            meta = {
                "terms": len(terms),
                "stems": len(stems),
                "rows": n,
                "n_alive": self._n_alive,
                "total_len": self._total_len,
                "k1": self.k1,
                "b": self.b,
            }
        return arrays, blobs, meta

    @classmethod
    def from_state(
        cls,
        arrays: dict[str, np.ndarray],
        blobs: dict[str, object],
        meta: dict[str, object],
        analyzer: Analyzer | None = None,
    ) -> BM25Index:
        """The index :meth:`export_state` described (read-only memory maps are fine: what
        changes in place is copied). ValueError when the parts do not fit together."""
        index = cls(analyzer, k1=float(meta["k1"]), b=float(meta["b"]))  # type: ignore[arg-type]
        terms = split_words(blobs["terms"], int(meta["terms"]))  # type: ignore[call-overload]
        index._vocab = dict(zip(terms, range(len(terms)), strict=True))
        n = int(meta["rows"])  # type: ignore[call-overload]
        indptr = arrays["indptr"]
        if (
            len(index._vocab) != len(terms)
            or len(arrays["df"]) != len(terms)
            or any(len(arrays[f]) != n for f in ("sid", "letter", "len", "alive"))
            or len(indptr) > len(terms) + 1
            or int(indptr[-1]) != len(arrays["rows"])
            or not len(arrays["rows"]) == len(arrays["tf"]) == len(arrays["part"])
            or not len(arrays["p_term"]) == len(arrays["p_row"]) == len(arrays["p_tf"])
        ):
            raise StateError("the BM25 arrays do not fit together")
        index._df = np.zeros(max(1024, len(terms)), dtype=np.int32)
        index._df[: len(terms)] = arrays["df"]
        index._n_rows = n
        for field, name in (("_sid", "sid"), ("_letter", "letter"), ("_len", "len"),
                            ("_alive", "alive")):  # fmt: skip
            fresh = np.zeros(max(1024, n), dtype=getattr(index, field).dtype)
            fresh[:n] = arrays[name]
            setattr(index, field, fresh)
        index._n_alive = int(meta["n_alive"])  # type: ignore[call-overload]
        index._total_len = float(meta["total_len"])  # type: ignore[arg-type]
        index._indptr, index._rows = indptr, arrays["rows"]
        index._tf, index._part = arrays["tf"], arrays["part"]
        index._p_term = array("i", np.asarray(arrays["p_term"]).tobytes())
        index._p_row = array("i", np.asarray(arrays["p_row"]).tobytes())
        index._p_tf = array("f", np.asarray(arrays["p_tf"]).tobytes())
        lids = np.asarray(arrays["letter_ids"]).tolist()
        for name in cls._PER_LETTER:
            ends = np.asarray(arrays[name + ".ends"], dtype=np.int64).tolist()
            data = np.asarray(arrays[name])
            if len(ends) != len(lids) or (ends and ends[-1] != len(data)):
                raise StateError(f"the BM25 {name} do not fit together")
            starts = [0, *ends[:-1]]
            # views into the (mapped) array: these are only ever read, and replaced whole
            setattr(index, name, {
                lid: data[a:b] for lid, a, b in zip(lids, starts, ends, strict=True)
            })  # fmt: skip
        stems = split_words(blobs["stems"], int(meta["stems"]))  # type: ignore[call-overload]
        surfaces = split_words(blobs["surfaces"], int(meta["stems"]))  # type: ignore[call-overload]
        index.analyzer._surface.update(zip(stems, surfaces, strict=True))
        return index

    # ------------------------------------------------------------------ search

    def query_terms(self, query: str) -> list[str]:
        """The distinct index terms of ``query`` (unknown terms included), in order."""
        return list(dict.fromkeys(self.analyzer.terms(query)))

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        letter_ids: Collection[int] | None = None,
        expansions: Mapping[str, Sequence[tuple[str, float]]] | None = None,
    ) -> list[BM25Hit]:
        """The ``k`` best sentences for ``query``, best first; only of ``letter_ids`` if given.

        ``expansions`` maps a query term to related index terms with a weight in (0, 1]
        (see :meth:`related`): a sentence with a related term scores that share of its BM25
        weight, and covers the query term by ``min(1, weight * EXPANSION_COVER)``.
        """
        terms = self.query_terms(query)
        if not terms or k < 1:
            return []
        groups = [
            [(term, 1.0)]
            + [(alt, float(w)) for alt, w in (expansions or {}).get(term, ()) if alt != term]
            for term in terms
        ]
        with self._lock:
            return self._search(groups, k, letter_ids)

    def _search(
        self,
        groups: list[list[tuple[str, float]]],
        k: int,
        letter_ids: Collection[int] | None,
    ) -> list[BM25Hit]:
        n = self._n_alive
        if n == 0:
            return []
        avgdl = max(self._total_len / n, 1.0)
        # Unknown terms still count in the idf mass: a question about something absent is
        # not well covered by a sentence that matches only its common words.
        idf_unknown = math.log(1 + (n + 0.5) / 0.5)
        scores = np.zeros(self._n_rows, dtype=np.float32)
        cover = np.zeros(self._n_rows, dtype=np.float32)
        total_idf = 0.0
        touched: list[np.ndarray] = []  # posting lists of at least k rows (see _floor)
        for group in groups:
            known = [(self._vocab[t], w) for t, w in group if t in self._vocab and w > 0]
            head = group[0][0]
            if head in self._vocab:
                group_idf = self._idf(self._vocab[head], n)
            else:  # an unknown word: as rare as its rarest related term, at most
                group_idf = max([self._idf(tid, n) for tid, _ in known], default=idf_unknown)
            total_idf += group_idf
            group_cover = np.zeros(self._n_rows, dtype=np.float32) if len(known) > 1 else None
            for tid, weight in known:
                rows, part = self._postings(tid, avgdl)
                if not len(rows):
                    continue
                if len(rows) >= k:
                    touched.append(rows)
                # a row appears at most once per term, so fancy-index addition is exact
                scores[rows] += np.float32(weight * self._idf(tid, n)) * part
                credit = np.float32(min(1.0, weight * EXPANSION_COVER))
                if group_cover is None:
                    cover[rows] += credit * np.float32(group_idf)
                else:
                    group_cover[rows] = np.maximum(group_cover[rows], credit)
            if group_cover is not None:
                cover += group_cover * np.float32(group_idf)
        if total_idf <= 0:
            return []
        cand = None
        if letter_ids is None:
            floor = self._floor(scores, touched, k)
            if floor > 0:
                cand = np.flatnonzero(scores[: self._n_rows] >= floor)
                cand = cand[self._alive[cand]]
                if len(cand) < k:
                    cand = None
        if cand is None:
            cand = np.flatnonzero(scores[: self._n_rows])
            cand = cand[self._alive[cand]]
        if letter_ids is not None:
            allowed = np.fromiter(letter_ids, dtype=np.int64)
            cand = cand[np.isin(self._letter[cand], allowed)]
        if not len(cand):
            return []
        cand_scores = scores[cand]
        # the k best, ties broken by row (insertion order), so results are deterministic
        if len(cand) > k:
            kth = np.partition(cand_scores, len(cand) - k)[len(cand) - k]
            top = np.flatnonzero(cand_scores >= kth)
        else:
            top = np.arange(len(cand))
        top = top[np.lexsort((cand[top], -cand_scores[top]))][:k]
        return [
            BM25Hit(
                sentence_id=int(self._sid[cand[i]]),
                letter_id=int(self._letter[cand[i]]),
                score=float(cand_scores[i]),
                coverage=min(1.0, float(cover[cand[i]]) / total_idf),
            )
            for i in top
        ]

    def _floor(self, scores: np.ndarray, touched: list[np.ndarray], k: int) -> float:
        """A score that at least ``k`` alive rows reach: the k-th best alive row of one term's
        postings (a term's rows are distinct), the higher of the two rarest terms'. Every row
        of the top ``k`` scores at least that much, so only rows at or above it are ranked: at
        a million sentences a common word's hundreds of thousands of rows are never gathered."""
        best = 0.0
        # the rarest terms: their rows score highest, and they are the cheapest to look at
        for postings in sorted(touched, key=len)[:2]:
            rows = postings[self._alive[postings]]
            if len(rows) < k:
                continue
            part = scores[rows]
            best = max(best, float(np.partition(part, len(part) - k)[len(part) - k]))
        return best

    def section_coverage(
        self,
        query: str,
        pairs: Sequence[tuple[int, int]],
        *,
        expansions: Mapping[str, Sequence[tuple[str, float]]] | None = None,
    ) -> tuple[list[float], list[int | None]]:
        """For each ``(sentence_id, letter_id)``: the share (0-1) of the query's idf mass that
        the sentence's whole section holds (an answer block, a headed part of a letter; a
        letter without headings is one section), and the section's id; 0.0 and None for a
        sentence not indexed."""
        terms = self.query_terms(query)
        out = [0.0] * len(pairs)
        section_ids: list[int | None] = [None] * len(pairs)
        if not terms or not pairs:
            return out, section_ids
        with self._lock:
            n = self._n_alive
            if n == 0:
                return out, section_ids
            idf_unknown = math.log(1 + (n + 0.5) / 0.5)
            groups: list[tuple[float, np.ndarray, np.ndarray]] = []
            total = 0.0
            for term in terms:
                alts = [(term, 1.0)] + [
                    (alt, float(w)) for alt, w in (expansions or {}).get(term, ()) if alt != term
                ]
                known = [(self._vocab[t], w) for t, w in alts if t in self._vocab and w > 0]
                if term in self._vocab:
                    idf = self._idf(self._vocab[term], n)
                else:
                    idf = max([self._idf(tid, n) for tid, _ in known], default=idf_unknown)
                total += idf
                if known:
                    tids = np.array([t for t, _ in known], dtype=np.int32)
                    credit = np.array([min(1.0, w * EXPANSION_COVER) for _, w in known])
                    groups.append((idf, tids, credit))
            if total <= 0:
                return out, section_ids
            # one pass over the (term, section) entries of the candidates' letters
            tids = np.concatenate([t for _, t, _ in groups]) if groups else np.zeros(0, np.int32)
            group_of = np.concatenate(
                [np.full(len(t), g, dtype=np.int64) for g, (_, t, _) in enumerate(groups)]
            ) if groups else np.zeros(0, np.int64)  # fmt: skip
            credit_of = np.concatenate([c for _, _, c in groups]) if groups else np.zeros(0)
            idfs = np.array([idf for idf, _, _ in groups], dtype=np.float64)
            order = np.argsort(tids, kind="stable")
            tids, group_of, credit_of = tids[order], group_of[order], credit_of[order]
            entries_parts, section_parts, base = [], [], 0
            where: dict[int, int] = {}  # position in pairs -> global section index
            by_letter: dict[int, list[int]] = {}
            for i, (_, lid) in enumerate(pairs):
                by_letter.setdefault(lid, []).append(i)
            for lid, positions in by_letter.items():
                sids = self._letter_sids.get(lid)  # ascending: ids are given in sentence order
                if sids is None:
                    continue
                uniq, local = self._letter_sec_ids[lid], self._letter_row_sec[lid]
                entries_parts.append(self._letter_terms[lid])
                section_parts.append(self._letter_entry_sec[lid] + base)
                wanted = np.array([pairs[i][0] for i in positions], dtype=np.int64)
                at = np.minimum(np.searchsorted(sids, wanted), len(sids) - 1)
                for i, a, ok in zip(positions, at.tolist(), (sids[at] == wanted).tolist(),
                                    strict=True):  # fmt: skip
                    if ok:
                        where[i] = base + int(local[a])
                        section_ids[i] = int(uniq[local[a]])
                base += len(uniq)
            if not where or not len(tids):
                return out, section_ids
            entries = np.concatenate(entries_parts)
            sections = np.concatenate(section_parts)
            # the entries of a query term: a lookup per entry, then a binary search for the
            # few that are (the first of equal term ids, as one search over all would give)
            wanted = np.zeros(max(len(self._df), int(tids[-1]) + 1), dtype=bool)
            wanted[tids] = True
            hit = np.flatnonzero(wanted[entries])
            pos = np.searchsorted(tids, entries[hit])
            g = group_of[pos]
            c = credit_of[pos]
            sec = sections[hit]
            key = sec * len(groups) + g
            order = np.lexsort((-c, key))  # per key, the best credit first
            key, c = key[order], c[order]
            first = np.ones(len(key), dtype=bool)
            first[1:] = key[1:] != key[:-1]
            key, c = key[first], c[first]
            score = np.zeros(base, dtype=np.float64)
            np.add.at(score, key // len(groups), idfs[key % len(groups)] * c)
            for i, sec_index in where.items():
                out[i] = min(1.0, float(score[sec_index]) / total)
        return out, section_ids

    def sentence_terms(self, pairs: Sequence[tuple[int, int]]) -> dict[str, int]:
        """The index terms of the sentences ``(sentence_id, letter_id)``, each with the number
        of indexed sentences that hold it (its document frequency)."""
        out: dict[str, int] = {}
        with self._lock:
            by_letter: dict[int, list[int]] = {}
            for sid, lid in pairs:
                by_letter.setdefault(lid, []).append(sid)
            names: list[str] | None = None
            wanted_tids: list[np.ndarray] = []
            for lid, sids in by_letter.items():
                letter_sids = self._letter_sids.get(lid)
                counts = self._letter_counts.get(lid)
                if letter_sids is None or counts is None:
                    continue
                ends = np.cumsum(counts)
                starts = ends - counts
                want = np.asarray(sids, dtype=np.int64)
                at = np.minimum(np.searchsorted(letter_sids, want), len(letter_sids) - 1)
                at = at[letter_sids[at] == want]
                terms = self._letter_terms[lid]
                for a in at.tolist():
                    wanted_tids.append(terms[starts[a] : ends[a]])
            if not wanted_tids:
                return out
            tids = np.unique(np.concatenate(wanted_tids))
            names = self._term_names()
            for tid in tids.tolist():
                out[names[tid]] = int(self._df[tid])
        return out

    def _term_names(self) -> list[str]:
        if len(getattr(self, "_names_cache", ())) != len(self._vocab):
            self._names_cache = list(self._vocab)
        return self._names_cache

    def concentration(self, word: str, letter_ids: Collection[int]) -> tuple[int, int]:
        """In how many indexed sentences ``word`` occurs, and how many of those are in
        ``letter_ids``: a name that also is a common word of other letters' text ("slachtoffers")
        does not single out a letter."""
        terms = self.analyzer.terms(word)
        if not terms:
            return 0, 0
        with self._lock:
            tid = self._vocab.get(terms[0])
            if tid is None:
                return 0, 0
            avgdl = max(self._total_len / max(self._n_alive, 1), 1.0)
            rows, _ = self._postings(tid, avgdl)
            rows = rows[self._alive[rows]]
            if not len(rows):
                return 0, 0
            inside = np.isin(self._letter[rows], np.fromiter(letter_ids, dtype=np.int64))
            return len(rows), int(inside.sum())

    def _idf(self, tid: int, n: int) -> float:
        df = int(self._df[tid])
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _tf_part(self, rows: np.ndarray, tf: np.ndarray, avgdl: float | None = None) -> np.ndarray:
        if avgdl is None:
            avgdl = max(self._total_len / max(self._n_alive, 1), 1.0)
        dl = self._len[rows]
        k1, b = np.float32(self.k1), np.float32(self.b)
        return (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / np.float32(avgdl)))).astype(np.float32)

    def _postings(self, tid: int, avgdl: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows and term-frequency parts of a term: a slice of the main segment (computed
        with the average length at the last merge) plus its pending postings."""
        parts_r, parts_f = [], []
        if tid < len(self._indptr) - 1:
            a, b = self._indptr[tid], self._indptr[tid + 1]
            parts_r.append(self._rows[a:b])
            parts_f.append(self._part[a:b])
        if len(self._p_term):
            p_term = np.frombuffer(self._p_term, dtype=np.int32)
            sel = p_term == tid
            if sel.any():
                rows = np.frombuffer(self._p_row, dtype=np.int32)[sel]
                tf = np.frombuffer(self._p_tf, dtype=np.float32)[sel]
                parts_r.append(rows)
                parts_f.append(self._tf_part(rows, tf, avgdl))
        if not parts_r:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        if len(parts_r) == 1:
            return parts_r[0], parts_f[0]
        return np.concatenate(parts_r), np.concatenate(parts_f)

    # ------------------------------------------------------------------ related terms

    def df(self, term: str) -> int:
        """In how many indexed sentences ``term`` (an index term) occurs."""
        tid = self._vocab.get(term)
        return 0 if tid is None else int(self._df[tid])

    def related(self, term: str, *, limit: int = 40) -> list[str]:
        """Index terms that share a long head or tail with ``term``: the other parts of Dutch
        compounds (``coalitieakkoord`` -> ``regeerakkoord``, ``akkoord``; ``kinderporno`` ->
        ``kinderpornografie``). Longest shared part first; candidates only: the caller checks
        that they mean the same (``bot.services.ask`` asks the embeddings)."""
        if len(term) < MIN_SHARED + 1:
            return []
        with self._lock:
            self._refresh_affixes()
            found: dict[str, None] = {}
            # shared tail (the head of a compound), then shared start (its modifier)
            for size in range(len(term) - 1, MIN_SHARED - 1, -1):
                tail = term[-size:]
                for other in self._with_suffix(tail):
                    # the word as written must end in it too: a stem that lost a suffix
                    # ("zichtbaar" -> "zicht") is no compound of "toezicht"
                    if (
                        other != term
                        and self._df[self._vocab[other]] > 0
                        and self.analyzer.surface(other).endswith(tail)
                    ):
                        found.setdefault(other)
                if len(found) >= limit:
                    break
            for size in range(len(term) - 1, MIN_SHARED, -1):
                if len(found) >= limit:
                    break
                for other in self._with_prefix(term[:size]):
                    if other != term and self._df[self._vocab[other]] > 0:
                        found.setdefault(other)
            return list(found)[:limit]

    def surface(self, term: str) -> str:
        """A word as written that has index term ``term`` (for embedding it)."""
        return self.analyzer.surface(term)

    def _refresh_affixes(self) -> None:
        size = len(self._vocab)
        if self._affix_size == size:
            return
        new = list(itertools.islice(self._vocab, max(self._affix_size, 0), None))
        if self._affix_size < 0 or len(new) > 5000:
            self._forward = sorted(self._vocab)
            self._backward = sorted(w[::-1] for w in self._vocab)
        else:
            for word in new:
                bisect.insort(self._forward, word)
                bisect.insort(self._backward, word[::-1])
        self._affix_size = size

    def _with_prefix(self, prefix: str, cap: int = 200) -> list[str]:
        i = bisect.bisect_left(self._forward, prefix)
        out = []
        while i < len(self._forward) and self._forward[i].startswith(prefix) and len(out) < cap:
            out.append(self._forward[i])
            i += 1
        return out

    def _with_suffix(self, suffix: str, cap: int = 200) -> list[str]:
        rev = suffix[::-1]
        i = bisect.bisect_left(self._backward, rev)
        out = []
        while i < len(self._backward) and self._backward[i].startswith(rev) and len(out) < cap:
            out.append(self._backward[i][::-1])
            i += 1
        return out


def _grown(arr: np.ndarray, need: int) -> np.ndarray:
    fresh = np.zeros(max(need, 2 * len(arr)), dtype=arr.dtype)
    fresh[: len(arr)] = arr
    return fresh
