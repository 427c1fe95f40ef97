"""Fuzzy quote lookup over every stored sentence, in memory.

Given a half-remembered fragment ("binnen het kabinet de coordinatie van de aanpak"), find the
sentence(s) it comes from, best first, with a 0-100 score and the matched span. Tolerant of case,
accents (also the damaged ``co rdinatie`` form), punctuation, hyphenation and split or joined
compounds, typos, missing or extra words and word order.

Design (numbers: ``bench/quote_speed.py`` at 1M synthetic sentences, ``bench/quote_quality.py``
on the real corpus):

* **Word postings.** Every sentence's ``norm`` (``bot.core.text.fold``) is split into words; a
  global vocabulary maps words to term ids and each segment keeps CSR postings
  (``indptr`` int64 over term ids, ``postings`` int32 rows, ascending). Sentence texts live in
  one UTF-8 buffer per segment (for results, autocomplete and the rerank); norms are not kept.
* **Query terms.** Each query word becomes one or more weighted terms: the exact folded word; the
  fragments an unrepaired damaged source has for it (``coördinatie`` or ``coordinatie`` ->
  ``rdinatie`` of ``co rdinatie``); for a word missing from the vocabulary, similar vocabulary
  words (a character 3-gram index over the vocabulary, verified by Levenshtein distance 1-2) and
  splits into two known words (``tijdgebonden`` -> ``tijd`` + ``gebonden``); two neighbouring
  query words that form a known word when joined (``tijd gebonden`` -> ``tijdgebonden``,
  ``co rdinatie`` -> ``coordinatie``). Weight: IDF times the similarity of the replacement.
* **Candidates, rarest terms first.** Terms are visited by increasing document frequency,
  adding their weight to a per-thread float32 buffer over the rows, until ``POSTING_BUDGET``
  postings are spent; rows under ``GATHER_CUT`` of the best row's weight are dropped, the best
  ``PRERANK`` kept, and the skipped (common) terms' weights added to those by binary search in
  their postings. The best ``RERANK`` rows by this weight go to the rerank.
* **Score.** rapidfuzz ``partial_ratio`` of the query forms (as typed, without accents, damaged)
  against the candidates' texts (``default_process``: the fragment aligned inside the sentence;
  typos, accents, hyphens and spaces cost a character each), blended half and half with the
  share of the query's IDF weight the sentence holds in any order (word order, missing and extra
  words). 0-100; below ``MIN_SCORE`` (62) is no match. On the corpus probes right answers score
  71 or more and quotes from nowhere at most 50.
* **Scopes.** The caller passes the letters it may see (ids, or a predicate), turned into a row
  mask cached per filter object; a small set of letters is searched sentence by sentence.
* **Changes.** Letters added later form small extra segments; removed letters are tombstoned;
  :meth:`QuoteIndex.compact` merges segments when there are too many or too many dead rows.
* **Saved.** :meth:`QuoteIndex.export_state` gives the arrays and buffers the index is made of
  and :meth:`QuoteIndex.from_state` takes them back (read-only memory maps will do: only the
  small arrays that change are copied); ``bot.services.index_cache`` keeps them on disk.

Everything here is pure CPU work on immutable arrays plus a few small mutable ones; call it from
a worker thread in async code. Searching is safe from several threads at once; changes
(``add_letter``, ``remove_letter``, ``compact``) must be serialised by the caller.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from rapidfuzz.utils import default_process

from bot.core.state import StateError, join_words, split_words
from bot.core.text import damage, fold
from bot.core.vocabulary import STOPWORDS

MAX_QUERY_CHARS = 1000  # longer than any sentence: treated as "no match", never searched
MAX_QUERY_WORDS = 40
MIN_SCORE = 62  # below this a sentence is not a match (see bench/quote_quality.py)
SUGGEST_MIN_SCORE = 55
RERANK = 100  # candidates scored by rapidfuzz
PARTIAL_WEIGHT = 0.5  # of partial_ratio in the score; the rest is word coverage
PRERANK = 1500  # candidates whose skipped common terms are added before the RERANK cut
POSTING_BUDGET = 300_000  # postings visited before the remaining (common) terms are skipped
GATHER_CUT = 0.34  # candidates need this share of the best row's gathered weight
COMMON_SHARE = 0.15  # terms in more rows than this share are never used to find candidates
EXHAUSTIVE_ROWS = 4000  # a letter filter this small is searched sentence by sentence
MAX_SEGMENTS = 8
BUILD_BATCH = 20_000

_WORD = re.compile(r"[^\W_]+")
_LetterFilter = Collection[int] | Callable[[int], bool] | None


# --------------------------------------------------------------------------- public records


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """One sentence to index. ``norm`` defaults to ``fold(text)``."""

    sentence_id: int
    letter_id: int
    number: int
    page: int
    text: str
    norm: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteHit:
    sentence_id: int
    letter_id: int
    number: int
    page: int
    score: int  # 0-100
    text: str
    span: tuple[int, int]  # character offsets of the matched part inside ``text``
    before: str | None  # the previous sentence of the same letter
    after: str | None  # the next sentence of the same letter


# --------------------------------------------------------------------------- query forms


@dataclass(slots=True)
class _Query:
    forms: list[str]  # the query as compared with sentence texts (see prepare_query)
    words: list[str]  # the folded query's words (capped), to look up in the vocabulary
    fragments: dict[int, list[str]]  # word index -> its damaged form's words, when different
    prefix: bool  # the last word is being typed (autocomplete)


def _processed(text: str) -> str:
    """rapidfuzz's ``default_process`` (lowercase, non-alphanumerics to spaces; accents kept),
    with runs of spaces collapsed: how sentence texts are compared."""
    return " ".join(default_process(text).split())


def prepare_query(query: str, *, prefix: bool = False) -> _Query | None:
    """The forms of a query, or None when it holds no searchable words or is too long.

    Forms compared with the sentences: the query as typed (lowercased, punctuation dropped,
    accents kept); without accents (``coordinatie``) when it has any; and damaged the way
    scraped letters are (``co rdinatie``, no digits) when that differs.
    """
    if not isinstance(query, str) or len(query) > MAX_QUERY_CHARS:
        return None
    words: list[str] = []
    fragments: dict[int, list[str]] = {}
    for m in _WORD.finditer(query):
        token = m.group()
        folded = fold(token).split()
        if token.isascii() and not token.isdigit():
            broken = folded if not any(c.isdigit() for c in token) else fold(damage(token)).split()
        else:
            broken = fold(damage(token)).split()
        if broken != folded and len(folded) == 1:
            fragments[len(words)] = broken
        words.extend(folded)
        if len(words) >= MAX_QUERY_WORDS:
            break
    words = words[:MAX_QUERY_WORDS]
    if not words:
        return None
    plain = " ".join(words)
    forms = [" ".join(_processed(query).split()[:MAX_QUERY_WORDS]) or plain]
    if plain not in forms:
        forms.append(plain)
    broken_form = " ".join(fold(damage(query)).split()[: MAX_QUERY_WORDS + 8])
    if broken_form and broken_form not in forms:
        forms.append(broken_form)
    ends_open = prefix and not query[-1].isspace() and query[-1].isalnum()
    content = [w for w in words if w not in STOPWORDS]
    if not content and not (ends_open and len(words[-1]) >= 3):
        return None  # only words like "de het een": matches everything, so nothing
    return _Query(forms, words, fragments, ends_open)


# --------------------------------------------------------------------------- vocabulary


def _grams(word: str) -> list[str]:
    padded = f"^{word}$"
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


@dataclass(frozen=True, slots=True)
class _Lookup:
    """Typo and prefix lookup structures over ``words[:n]``; replaced whole, never changed."""

    n: int
    gram_ids: dict[str, int]
    gram_ptr: np.ndarray  # int64, CSR over gram ids
    gram_words: np.ndarray  # int32 word ids
    lengths: np.ndarray  # int16 word lengths
    sorted_words: list[str]
    sorted_ids: list[int]


_EMPTY_LOOKUP = _Lookup(
    0, {}, np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int16), [], []
)


class _Vocab:
    """Words, their term ids, document frequencies, and a 3-gram index for typo lookup.

    Words are only ever added (ids are stable); ``df`` counts live rows. Words added after the
    last :meth:`refresh` sit in a tail that lookups scan directly.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.words: list[str] = []
        self.df = np.zeros(1024, dtype=np.int64)
        self.lookup = _EMPTY_LOOKUP

    def __len__(self) -> int:
        return len(self.words)

    def intern_many(self, words: Iterable[str]) -> None:
        new = sorted(set(words).difference(self.ids))
        if not new:
            return
        if len(self.words) + len(new) > len(self.df):
            grown = np.zeros(max(len(self.words) + len(new), 2 * len(self.df)), dtype=np.int64)
            grown[: len(self.df)] = self.df
            self.df = grown
        base = len(self.words)
        self.words.extend(new)
        self.ids.update(zip(new, range(base, base + len(new)), strict=True))

    def get_df(self, tid: int) -> int:
        df = self.df
        return int(df[tid]) if tid < len(df) else 0

    def refresh(self, *, force: bool = False) -> None:
        """Rebuild the lookup structures when the unindexed tail has grown large."""
        n = len(self.words)
        indexed = self.lookup.n
        if not force and n - indexed <= max(2000, indexed // 10):
            return
        words = self.words[:n]
        gram_ids: dict[str, int] = {}
        gid_list: list[int] = []
        wid_list: list[int] = []
        for wid, word in enumerate(words):
            for g in set(_grams(word)):
                gid = gram_ids.get(g)
                if gid is None:
                    gid = gram_ids[g] = len(gram_ids)
                gid_list.append(gid)
                wid_list.append(wid)
        gids = np.asarray(gid_list, dtype=np.int64)
        order = np.argsort(gids, kind="stable")
        ptr = np.zeros(len(gram_ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(gids, minlength=len(gram_ids)), out=ptr[1:])
        pairs = sorted(zip(words, range(n), strict=True))
        self.lookup = _Lookup(
            n=n,
            gram_ids=gram_ids,
            gram_ptr=ptr,
            gram_words=np.asarray(wid_list, dtype=np.int32)[order],
            lengths=np.fromiter(map(len, words), dtype=np.int16, count=n),
            sorted_words=[w for w, _ in pairs],
            sorted_ids=[i for _, i in pairs],
        )

    def similar(self, token: str, limit: int = 4) -> list[tuple[int, float]]:
        """Live vocabulary words within Levenshtein distance 1 (2 for words of 10+ letters) of
        ``token`` (5+ letters), as ``(term id, similarity 0-1)``, most similar (then most
        frequent) first."""
        if len(token) < 5:
            return []
        max_dist = 1 if len(token) < 10 else 2
        lk = self.lookup
        found: dict[int, int] = {}
        grams = set(_grams(token))
        lists = [
            lk.gram_words[lk.gram_ptr[g] : lk.gram_ptr[g + 1]]
            for g in (lk.gram_ids.get(x) for x in grams)
            if g is not None
        ]
        # very common 3-grams ("en$") are skipped; each skipped one lowers the bar by one
        lists = [p for p in lists if len(p) <= max(5000, lk.n // 5)]
        need = max(1, len(grams) - 3 * max_dist - (len(grams) - len(lists)))
        if lists:
            cand, counts = np.unique(np.concatenate(lists), return_counts=True)
            ok = counts >= need
            cand, counts = cand[ok], counts[ok]
            ok = np.abs(lk.lengths[cand].astype(np.int64) - len(token)) <= max_dist
            cand, counts = cand[ok], counts[ok]
            if len(cand) > 400:
                cand = cand[np.argsort(-counts, kind="stable")[:400]]
            words = self.words
            for wid in cand.tolist():
                d = Levenshtein.distance(token, words[wid], score_cutoff=max_dist)
                if d <= max_dist:
                    found[wid] = d
        tail = self.words[lk.n :]
        if tail:
            for _word, d, i in process.extract_iter(
                token, tail, scorer=Levenshtein.distance, score_cutoff=max_dist
            ):
                found[lk.n + i] = int(d)
        found.pop(self.ids.get(token, -1), None)
        ranked = sorted(found.items(), key=lambda kv: (kv[1], -self.get_df(kv[0]), kv[0]))
        out = []
        for wid, d in ranked:
            if self.get_df(wid) <= 0:
                continue
            out.append((wid, 1.0 - d / max(len(token), len(self.words[wid]))))
            if len(out) >= limit:
                break
        return out

    def completions(self, prefix: str, limit: int = 12) -> list[int]:
        """The most frequent live words starting with ``prefix`` (a word being typed)."""
        if len(prefix) < 2:
            return []
        lk = self.lookup
        lo = bisect.bisect_left(lk.sorted_words, prefix)
        hi = bisect.bisect_left(lk.sorted_words, prefix + "\uffff")
        out = lk.sorted_ids[lo:hi]
        tail = self.words[lk.n :]
        out += [lk.n + i for i, w in enumerate(tail) if w.startswith(prefix)]
        ids = np.asarray(out, dtype=np.int64)
        df = self.df
        dfs = np.zeros(len(ids), dtype=np.int64)
        inside = ids < len(df)
        dfs[inside] = df[ids[inside]]
        top = np.argsort(-dfs, kind="stable")[:limit]
        return [out[i] for i in top.tolist() if dfs[i] > 0]


# --------------------------------------------------------------------------- segments


class _Texts:
    """Many strings in one growing UTF-8 buffer with an offsets array."""

    __slots__ = ("blob", "offsets")

    def __init__(self, blob: bytearray, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets  # int64, len(strings) + 1

    def get(self, i: int) -> str:
        return self.blob[self.offsets[i] : self.offsets[i + 1]].decode()

    def many(self, rows: np.ndarray) -> list[str]:
        starts = self.offsets[rows].tolist()
        ends = self.offsets[rows + 1].tolist()
        blob = self.blob
        return [blob[a:b].decode() for a, b in zip(starts, ends, strict=True)]

    @property
    def nbytes(self) -> int:
        return len(self.blob) + self.offsets.nbytes


class _Segment:
    """An immutable block of rows with its own postings; only ``alive`` changes."""

    def __init__(
        self,
        *,
        sentence_id: np.ndarray,
        letter_id: np.ndarray,
        number: np.ndarray,
        page: np.ndarray,
        texts: _Texts,
        indptr: np.ndarray,
        postings: np.ndarray,
    ) -> None:
        self.n = len(sentence_id)
        self.sentence_id = sentence_id
        self.letter_id = letter_id
        self.number = number
        self.page = page
        self.texts = texts
        self.indptr = indptr
        self.postings = postings
        self.alive = np.ones(self.n, dtype=bool)
        self.dead = 0
        # sentence order inside each letter: neighbours and per-letter row lists
        order = np.lexsort((number, letter_id)).astype(np.int32)
        self.prev = np.full(self.n, -1, dtype=np.int32)
        self.next = np.full(self.n, -1, dtype=np.int32)
        if self.n > 1:
            same = letter_id[order[1:]] == letter_id[order[:-1]]
            self.next[order[:-1][same]] = order[1:][same]
            self.prev[order[1:][same]] = order[:-1][same]
        self.order = order
        self.letter_uniq, rank = np.unique(letter_id, return_inverse=True)
        self.letter_rank = rank.astype(np.int32)
        self.letters: dict[int, tuple[int, int]] = {}
        if self.n:
            lids = letter_id[order]
            cuts = np.flatnonzero(lids[1:] != lids[:-1]) + 1
            starts = np.concatenate(([0], cuts)).tolist()
            ends = [*cuts.tolist(), self.n]
            for s, e in zip(starts, ends, strict=True):
                self.letters[int(lids[s])] = (s, e)

    def postings_of(self, tid: int) -> np.ndarray:
        if tid + 1 >= len(self.indptr):
            return self.postings[:0]
        return self.postings[self.indptr[tid] : self.indptr[tid + 1]]

    def rows_of(self, letter_id: int) -> np.ndarray:
        span = self.letters.get(letter_id)
        if span is None:
            return self.order[:0]
        return self.order[span[0] : span[1]]

    @property
    def nbytes(self) -> int:
        arrays = (
            self.sentence_id, self.letter_id, self.number, self.page, self.indptr, self.postings,
            self.alive, self.prev, self.next, self.order, self.letter_rank, self.letter_uniq,
        )  # fmt: skip
        return sum(a.nbytes for a in arrays) + self.texts.nbytes


class _SegmentBuilder:
    """Builds one segment from rows given in batches. Besides the segment itself it holds only
    the (term, row) pairs, 8 bytes per posting, until :meth:`finish`."""

    def __init__(self, vocab: _Vocab, *, count_df: bool = True) -> None:
        self.vocab = vocab
        self.count_df = count_df  # False when re-indexing rows that are counted already
        self.n = 0
        self._sid: list[np.ndarray] = []
        self._lid: list[np.ndarray] = []
        self._num: list[np.ndarray] = []
        self._page: list[np.ndarray] = []
        self._blob = bytearray()
        self._ends: list[np.ndarray] = []
        self._pairs: list[tuple[np.ndarray, np.ndarray]] = []  # (term ids, rows) sorted by term

    def add(self, rows: Sequence[QuoteRow]) -> None:
        if not rows:
            return
        k = len(rows)
        self._sid.append(np.fromiter((r.sentence_id for r in rows), np.int64, count=k))
        self._lid.append(np.fromiter((r.letter_id for r in rows), np.int64, count=k))
        self._num.append(np.fromiter((r.number for r in rows), np.int32, count=k))
        self._page.append(np.fromiter((r.page for r in rows), np.int32, count=k))
        encoded = [r.text.encode() for r in rows]
        base = len(self._blob)
        self._blob += b"".join(encoded)
        self._ends.append(base + np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=k)))
        del encoded
        tokens = [(r.norm if r.norm is not None else fold(r.text)).split() for r in rows]
        flat = list(chain.from_iterable(tokens))
        vocab = self.vocab
        vocab.intern_many(flat)
        ids = np.fromiter(map(vocab.ids.__getitem__, flat), dtype=np.int64, count=len(flat))
        del flat
        lens = np.fromiter(map(len, tokens), dtype=np.int64, count=k)
        del tokens
        local = np.repeat(np.arange(self.n, self.n + k, dtype=np.int64), lens)
        keys = (ids << 32) | local
        keys.sort()
        if len(keys) > 1:  # one posting per (term, row), term-major
            keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
        terms = (keys >> 32).astype(np.int32)
        self._pairs.append((terms, (keys & 0xFFFFFFFF).astype(np.int32)))
        if self.count_df:
            np.add.at(vocab.df, terms, 1)  # terms are unique per row here
        self.n += k

    def finish(self) -> _Segment:
        n_terms = len(self.vocab)
        counts = np.zeros(n_terms, dtype=np.int64)
        batch_counts = []
        for terms, _ in self._pairs:
            c = np.bincount(terms, minlength=n_terms)
            batch_counts.append(c)
            counts += c
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        postings = np.empty(int(indptr[-1]), dtype=np.int32)
        cursor = indptr[:-1].copy()
        for (terms, rows), c in zip(self._pairs, batch_counts, strict=True):
            first = np.cumsum(c) - c  # where each term's run starts inside this batch
            dest = cursor[terms] + (np.arange(len(terms), dtype=np.int64) - first[terms])
            postings[dest] = rows
            cursor += c
        self._pairs.clear()

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        offsets = np.concatenate(([0], cat(self._ends, np.int64))).astype(np.int64)
        seg = _Segment(
            sentence_id=cat(self._sid, np.int64),
            letter_id=cat(self._lid, np.int64),
            number=cat(self._num, np.int32),
            page=cat(self._page, np.int32),
            texts=_Texts(self._blob, offsets),
            indptr=indptr,
            postings=postings,
        )
        self._blob = bytearray()
        self._ends = []
        return seg


# --------------------------------------------------------------------------- the index


@dataclass(slots=True)
class _Term:
    tid: int
    weight: float
    df: int


@dataclass(slots=True)
class _Candidates:
    seg: int
    rows: np.ndarray
    prescore: np.ndarray


@dataclass(slots=True)
class _Plan:
    gather: list[_Term]
    late: list[_Term]
    total: float  # the weight of a sentence that holds every query word


_local = threading.local()


def _scratch(n: int) -> np.ndarray:
    """A zeroed float32 buffer of at least ``n`` entries, private to this thread. Callers must
    zero what they touched before returning."""
    buf = getattr(_local, "buf", None)
    if buf is None or len(buf) < n:
        buf = np.zeros(max(n, 1024), dtype=np.float32)
        _local.buf = buf
    return buf


class QuoteIndex:
    """Sentences of many letters, searchable by a fuzzy fragment. See the module docstring."""

    def __init__(self) -> None:
        self.vocab = _Vocab()
        self._segments: tuple[_Segment, ...] = ()
        self._where: dict[int, int] = {}  # letter id -> segment index holding it (alive)
        self._live = 0
        self._masks: dict[tuple[int, int], tuple[object, _Segment, np.ndarray]] = {}
        self._mask_lock = threading.Lock()

    # ---- building and changing

    @classmethod
    def build(cls, rows: Iterable[QuoteRow], batch: int = BUILD_BATCH) -> QuoteIndex:
        builder = QuoteIndexBuilder(batch=batch)
        builder.add(rows)
        return builder.finish()

    def __len__(self) -> int:
        return self._live

    def __contains__(self, letter_id: object) -> bool:
        return letter_id in self._where

    @property
    def letter_ids(self) -> list[int]:
        return list(self._where)

    @property
    def nbytes(self) -> int:
        """Bytes held in arrays and text blobs (Python objects of the vocabulary excluded)."""
        return sum(s.nbytes for s in self._segments) + self.vocab.df.nbytes

    def _install(self, segment: _Segment) -> None:
        index = len(self._segments)
        self._segments = (*self._segments, segment)
        self._forget_masks()
        for lid in segment.letters:
            self._where[lid] = index
        self._live += segment.n
        self.vocab.refresh()

    def add_letter(self, rows: Sequence[QuoteRow]) -> bool:
        """Index one letter's sentences (all rows share a letter id). Already indexed: no-op."""
        if not rows:
            return False
        letter_ids = {r.letter_id for r in rows}
        if len(letter_ids) != 1:
            raise ValueError("add_letter takes the sentences of exactly one letter")
        if letter_ids.pop() in self._where:
            return False
        self.add_rows(rows)
        return True

    def add_rows(self, rows: Sequence[QuoteRow]) -> None:
        """Index sentences of letters not yet indexed, as a new segment."""
        rows = [r for r in rows if r.letter_id not in self._where]
        if not rows:
            return
        builder = _SegmentBuilder(self.vocab)
        builder.add(rows)
        self._install(builder.finish())
        if len(self._segments) > MAX_SEGMENTS:
            self.compact()

    def remove_letter(self, letter_id: int) -> bool:
        index = self._where.pop(letter_id, None)
        if index is None:
            return False
        seg = self._segments[index]
        rows = seg.rows_of(letter_id)
        rows = rows[seg.alive[rows]]
        if len(rows):
            seg.alive[rows] = False
            seg.dead += len(rows)
            self._live -= len(rows)
            ids = self.vocab.ids
            # the words were counted from the stored norm, which is fold(text)
            per_row = ({ids.get(w, -1) for w in fold(t).split()} for t in seg.texts.many(rows))
            tids = np.fromiter(chain.from_iterable(per_row), dtype=np.int64)
            np.add.at(self.vocab.df, tids[tids >= 0], -1)
        if seg.dead > seg.n // 4 or len(self._segments) > MAX_SEGMENTS:
            self.compact()
        return True

    def needs_compaction(self) -> bool:
        return len(self._segments) > MAX_SEGMENTS or any(s.dead > s.n // 4 for s in self._segments)

    def compact(self) -> None:
        """Merge all small segments into one and drop dead rows from segments that have many.

        The largest segment is rebuilt only when a quarter of its rows are dead. Searches running
        meanwhile keep using the old segments; the new ones are swapped in at the end.
        """
        if not self._segments:
            return
        big = max(range(len(self._segments)), key=lambda i: self._segments[i].n)
        keep: list[_Segment] = []
        merge: list[_Segment] = []
        for i, seg in enumerate(self._segments):
            if i == big and seg.dead <= seg.n // 4:
                keep.append(seg)
            elif seg.n - seg.dead > 0:
                merge.append(seg)
        if merge:
            builder = _SegmentBuilder(self.vocab, count_df=False)
            for seg in merge:
                rows = np.flatnonzero(seg.alive)
                for start in range(0, len(rows), BUILD_BATCH):
                    builder.add(list(_rows_of(seg, rows[start : start + BUILD_BATCH])))
            keep.append(builder.finish())
        where: dict[int, int] = {}
        live = 0
        for index, seg in enumerate(keep):
            for lid, (s, e) in seg.letters.items():
                if seg.alive[seg.order[s:e]].any():
                    where[lid] = index
            live += int(seg.alive.sum())
        self._segments = tuple(keep)
        self._where = where
        self._live = live
        self._forget_masks()

    def _forget_masks(self) -> None:
        with self._mask_lock:
            self._masks = {k: v for k, v in self._masks.items() if v[1] in self._segments}

    # ---- searching

    def search(
        self,
        query: str,
        *,
        letters: _LetterFilter = None,
        limit: int = 5,
        min_score: int = MIN_SCORE,
    ) -> list[QuoteHit]:
        """The sentences ``query`` best matches, best first, at most ``limit``, each scoring at
        least ``min_score``. ``letters``: the letter ids allowed (a collection or a predicate);
        None allows all. Never raises for any string; returns [] when nothing matches."""
        q = prepare_query(query)
        if q is None or limit < 1:
            return []
        return self._search(q, letters, limit, min_score)

    def suggest(
        self, prefix: str, *, letters: _LetterFilter = None, limit: int = 25
    ) -> list[QuoteHit]:
        """Autocomplete: like :meth:`search`, the last word may be incomplete."""
        q = prepare_query(prefix, prefix=True)
        if q is None or limit < 1:
            return []
        return self._search(q, letters, limit, SUGGEST_MIN_SCORE)

    def _search(
        self, q: _Query, letters: _LetterFilter, limit: int, min_score: int
    ) -> list[QuoteHit]:
        segments = self._segments
        if not segments or self._live == 0:
            return []
        plan = self._plan(q)
        if plan.total <= 0:
            return []
        small = self._small_filter(letters)
        if small is not None:
            cands = self._letter_rows(segments, small, plan)
        else:
            cands = [
                c
                for i, seg in enumerate(segments)
                if (c := self._candidates(i, seg, plan, letters)) is not None
            ]
        cands = _top_candidates(cands, RERANK)
        scored = self._rerank(q, plan, segments, cands)
        hits: list[QuoteHit] = []
        for score, si, row in scored:
            if score < min_score or len(hits) >= limit:
                break
            hits.append(self._hit(segments[si], row, score, q))
        return hits

    def _small_filter(self, letters: _LetterFilter) -> list[int] | None:
        if letters is None or callable(letters):
            return None
        total = 0
        for lid in letters:
            index = self._where.get(lid)
            if index is not None:
                total += len(self._segments[index].rows_of(lid))
            if total > EXHAUSTIVE_ROWS:
                return None
        return list(letters)

    def _letter_rows(
        self, segments: Sequence[_Segment], letters: list[int], plan: _Plan
    ) -> list[_Candidates]:
        by_seg: dict[int, list[np.ndarray]] = {}
        for lid in letters:
            index = self._where.get(lid)
            if index is None or index >= len(segments):
                continue
            seg = segments[index]
            rows = seg.rows_of(lid)
            by_seg.setdefault(index, []).append(rows[seg.alive[rows]])
        out = []
        for index, parts in by_seg.items():
            rows = np.sort(np.concatenate(parts))
            score = np.zeros(len(rows), dtype=np.float32)
            _add_terms(segments[index], rows, score, plan.gather + plan.late)
            out.append(_Candidates(index, rows, score))
        return out

    def _plan(self, q: _Query) -> _Plan:
        """Weighted query terms: those to gather candidates with (rarest first, within the
        posting budget) and the common ones only added to the best candidates; plus the weight
        a sentence holding every query word would get."""
        vocab = self.vocab
        n = max(self._live, 1)
        weights: dict[int, float] = {}

        def weight(tid: int, factor: float) -> float:
            df = vocab.get_df(tid)
            if df <= 0:
                return 0.0
            w = math.log1p(n / df) * factor
            if w > weights.get(tid, 0.0):
                weights[tid] = w
            return w

        def full(tid: int) -> float:  # the weight of a term found as typed
            df = vocab.get_df(tid)
            return math.log1p(n / df) if df > 0 else 0.0

        unknown = 0.5 * math.log1p(1000.0)  # what a word found nowhere costs the coverage
        words = q.words
        ids = vocab.ids
        last = len(words) - 1
        cost: list[float] = []  # per query word: its weight in a sentence holding it
        found: list[bool] = []
        for i, word in enumerate(words):
            best = 0.0
            # the word as an unrepaired damaged source has it: "co rdinatie" for "coördinatie"
            # (from the accent typed) or for "coordinatie" (a vowel that may have had one)
            frags = [ids[f] for f in q.fragments.get(i, ()) if len(f) >= 3 and f in ids]
            frags += _gap_forms(word, ids)
            if q.prefix and i == last:
                for tid in vocab.completions(word):
                    best = max(best, weight(tid, 0.9) / 0.9)
            tid = ids.get(word)
            if tid is not None and vocab.get_df(tid) > 0:
                best = max(best, weight(tid, 1.0))
            elif not (q.prefix and i == last):
                for sim_tid, sim in vocab.similar(word):
                    weight(sim_tid, sim)
                    best = max(best, full(sim_tid))
                for a, b in _splits(word, vocab):
                    weight(a, 0.8)
                    weight(b, 0.8)
                    best = max(best, 0.5 * (full(a) + full(b)))
                for tid in frags:
                    best = max(best, full(tid))
            for tid in frags:  # counts as much as the word itself
                weights[tid] = max(weights.get(tid, 0.0), best or full(tid))
            cost.append(best or unknown)
            found.append(best > 0)
        for i, (a, b) in enumerate(pairwise(words)):
            tid = ids.get(a + b)
            joined = 0.0
            if tid is not None:
                joined = weight(tid, 1.0)
            elif not (found[i] and found[i + 1]) and len(a) + len(b) >= 5:
                for sim_tid, sim in vocab.similar(a + b, limit=2):
                    weight(sim_tid, sim)
                    joined = max(joined, full(sim_tid))
            if joined and not (found[i] and found[i + 1]):
                # "co rdinatie" typed, "coördinatie" stored: the pair is one word
                cost[i], cost[i + 1] = joined, 0.0
                found[i] = found[i + 1] = True
        total = sum(cost[i] for i in {w: i for i, w in reversed(list(enumerate(words)))}.values())
        terms = sorted(
            (_Term(tid, w, vocab.get_df(tid)) for tid, w in weights.items()),
            key=lambda t: (t.df, t.tid),
        )
        gather: list[_Term] = []
        late: list[_Term] = []
        spent = 0
        for t in terms:
            common = t.df > COMMON_SHARE * n
            if gather and (common or spent + t.df > POSTING_BUDGET):
                late.append(t)
            else:
                gather.append(t)
                spent += t.df
        return _Plan(gather, late, total if terms and any(found) else 0.0)

    def _candidates(
        self, index: int, seg: _Segment, plan: _Plan, letters: _LetterFilter
    ) -> _Candidates | None:
        buf = _scratch(seg.n)
        view = buf[: seg.n]
        for t in plan.gather:
            rows = seg.postings_of(t.tid)
            if len(rows):
                view[rows] += t.weight
        if letters is not None:
            np.multiply(view, self._row_mask(seg, letters), out=view)
        top = float(view.max()) if seg.n else 0.0
        if top <= 0.0:
            view.fill(0.0)
            return None
        # rows with less than a third of the best row's weight cannot win; skipping them keeps
        # the work proportional to the plausible rows, not to every row sharing one word
        rows = np.flatnonzero(view >= np.float32(top * GATHER_CUT))
        score = view[rows]
        view.fill(0.0)
        keep = seg.alive[rows]
        if not keep.all():
            rows, score = rows[keep], score[keep]
        if not len(rows):
            return None
        if len(rows) > PRERANK:
            top_rows = np.argpartition(-score, PRERANK)[:PRERANK]
            top_rows.sort()
            rows, score = rows[top_rows], score[top_rows]
        if plan.late:
            _add_terms(seg, rows, score, plan.late)
        return _Candidates(index, rows, score)

    def _row_mask(self, seg: _Segment, letters: Collection[int] | Callable[[int], bool]):
        """Per row of ``seg``: may the filter's letters be seen? Cached per filter object, so a
        caller that passes the same frozenset for a scope pays once."""
        key = (id(letters), id(seg))
        with self._mask_lock:
            cached = self._masks.get(key)
        if cached is not None and cached[0] is letters and cached[1] is seg:
            return cached[2]
        uniq = seg.letter_uniq
        if callable(letters):
            ok = np.fromiter((bool(letters(x)) for x in uniq.tolist()), dtype=bool, count=len(uniq))
        else:
            allowed = np.fromiter(letters, dtype=np.int64)
            ok = np.isin(uniq, allowed)
        mask = ok[seg.letter_rank]
        with self._mask_lock:
            if len(self._masks) >= 16:
                self._masks.pop(next(iter(self._masks)))
            self._masks[key] = (letters, seg, mask)
        return mask

    def _rerank(
        self, q: _Query, plan: _Plan, segments: Sequence[_Segment], cands: list[_Candidates]
    ) -> list[tuple[int, int, int]]:
        """(score, segment, row), best first."""
        keys: list[tuple[int, int]] = []
        choices: list[str] = []
        pre: list[np.ndarray] = []
        for c in cands:
            seg = segments[c.seg]
            choices.extend(map(default_process, seg.texts.many(c.rows)))
            keys.extend((c.seg, r) for r in c.rows.tolist())
            pre.append(c.prescore)
        if not choices:
            return []
        coverage = np.minimum(np.concatenate(pre) / np.float32(plan.total), 1.0)
        scores = _blend(q, choices, coverage).tolist()
        cov = coverage.tolist()
        ranked = sorted(
            range(len(choices)), key=lambda i: (-scores[i], -cov[i], len(choices[i]), keys[i])
        )
        return [(scores[i], keys[i][0], keys[i][1]) for i in ranked]

    def _hit(self, seg: _Segment, row: int, score: int, q: _Query) -> QuoteHit:
        text = seg.texts.get(row)
        prev_row = int(seg.prev[row])
        next_row = int(seg.next[row])
        return QuoteHit(
            sentence_id=int(seg.sentence_id[row]),
            letter_id=int(seg.letter_id[row]),
            number=int(seg.number[row]),
            page=int(seg.page[row]),
            score=score,
            text=text,
            span=match_span(q.words, text, prefix=q.prefix),
            before=seg.texts.get(prev_row) if prev_row >= 0 else None,
            after=seg.texts.get(next_row) if next_row >= 0 else None,
        )

    def score_texts(self, query: str, texts: Sequence[str]) -> list[int]:
        """The score :meth:`search` would give each of ``texts`` (for baselines and tests)."""
        q = prepare_query(query)
        plan = self._plan(q) if q is not None else None
        if q is None or plan is None or plan.total <= 0:
            return [0] * len(texts)
        words = self.vocab.words
        terms = plan.gather + plan.late
        coverage = []
        for text in texts:
            present = set(fold(text).split())
            found = sum(t.weight for t in terms if words[t.tid] in present)
            coverage.append(min(1.0, found / plan.total))
        choices = [default_process(t) for t in texts]
        return _blend(q, choices, np.asarray(coverage, dtype=np.float32)).tolist()

    # ---- saving and loading (bot.services.index_cache stores what this returns)

    def export_state(self) -> tuple[dict[str, np.ndarray], dict[str, object], dict[str, object]]:
        """Everything the index is, as arrays, byte buffers and a small dict: give them back to
        :meth:`from_state` for the same index. Big arrays are shared, not copied; the few that
        change in place (``alive``, ``df``) are copied. Call it while no change runs."""
        vocab = self.vocab
        n_words = len(vocab.words)
        lk = vocab.lookup
        arrays: dict[str, np.ndarray] = {
            "df": vocab.df[:n_words].copy(),
            "gram_ptr": lk.gram_ptr,
            "gram_words": lk.gram_words,
            "lengths": lk.lengths,
            "sorted_ids": np.asarray(lk.sorted_ids, dtype=np.int32),
        }
        blobs: dict[str, object] = {
            "words": join_words(vocab.words),
            "grams": join_words(list(lk.gram_ids)),
        }
        for i, seg in enumerate(self._segments):
            arrays |= {
                f"s{i}.sentence_id": seg.sentence_id,
                f"s{i}.letter_id": seg.letter_id,
                f"s{i}.number": seg.number,
                f"s{i}.page": seg.page,
                f"s{i}.offsets": seg.texts.offsets,
                f"s{i}.indptr": seg.indptr,
                f"s{i}.postings": seg.postings,
                f"s{i}.alive": seg.alive.copy(),
            }
            blobs[f"s{i}.texts"] = seg.texts.blob
        meta = {
            "segments": len(self._segments),
            "words": n_words,
            "grams": len(lk.gram_ids),
            "lookup_n": lk.n,
            "rows": sum(seg.n for seg in self._segments),
        }
        return arrays, blobs, meta

    @classmethod
    def from_state(
        cls, arrays: dict[str, np.ndarray], blobs: dict[str, object], meta: dict[str, object]
    ) -> QuoteIndex:
        """The index :meth:`export_state` described (arrays may be read-only memory maps:
        those that change are copied). ValueError when the parts do not fit together."""
        index = cls()
        vocab = index.vocab
        words = split_words(blobs["words"], int(meta["words"]))
        if len(arrays["df"]) != len(words):
            raise StateError("the vocabulary does not match its counts")
        vocab.words = words
        vocab.ids = dict(zip(words, range(len(words)), strict=True))
        if len(vocab.ids) != len(words):
            raise StateError("the vocabulary holds a word twice")
        vocab.df = np.zeros(max(1024, len(words)), dtype=np.int64)
        vocab.df[: len(words)] = arrays["df"]
        n = int(meta["lookup_n"])
        grams = split_words(blobs["grams"], int(meta["grams"]))
        sorted_ids = np.asarray(arrays["sorted_ids"], dtype=np.int64).tolist()
        gram_ptr, gram_words = arrays["gram_ptr"], arrays["gram_words"]
        if (
            n > len(words)
            or len(sorted_ids) != n
            or len(arrays["lengths"]) != n
            or len(gram_ptr) != len(grams) + 1
            or int(gram_ptr[-1]) != len(gram_words)
        ):
            raise StateError("the word lookup does not match the vocabulary")
        vocab.lookup = _Lookup(
            n=n,
            gram_ids=dict(zip(grams, range(len(grams)), strict=True)),
            gram_ptr=gram_ptr,
            gram_words=gram_words,
            lengths=arrays["lengths"],
            sorted_words=[words[i] for i in sorted_ids],
            sorted_ids=sorted_ids,
        )
        segments = []
        for i in range(int(meta["segments"])):
            offsets = arrays[f"s{i}.offsets"]
            blob = blobs[f"s{i}.texts"]
            indptr, postings = arrays[f"s{i}.indptr"], arrays[f"s{i}.postings"]
            k = len(arrays[f"s{i}.sentence_id"])
            sized = [arrays[f"s{i}.{f}"] for f in ("letter_id", "number", "page", "alive")]
            if (
                any(len(a) != k for a in sized)
                or len(offsets) != k + 1
                or int(offsets[-1]) != len(blob)  # type: ignore[arg-type]
                or len(indptr) > len(words) + 1
                or int(indptr[-1]) != len(postings)
            ):
                raise StateError(f"segment {i} does not fit together")
            seg = _Segment(
                sentence_id=arrays[f"s{i}.sentence_id"],
                letter_id=arrays[f"s{i}.letter_id"],
                number=arrays[f"s{i}.number"],
                page=arrays[f"s{i}.page"],
                texts=_Texts(blob, offsets),  # type: ignore[arg-type]
                indptr=indptr,
                postings=postings,
            )
            seg.alive = np.array(arrays[f"s{i}.alive"], dtype=bool)
            seg.dead = int(k - seg.alive.sum())
            segments.append(seg)
        where: dict[int, int] = {}
        for i, seg in enumerate(segments):
            for lid, (s, e) in seg.letters.items():
                if seg.alive[seg.order[s:e]].any():
                    where[lid] = i
        index._segments = tuple(segments)
        index._where = where
        index._live = sum(seg.n - seg.dead for seg in segments)
        return index

    # ---- direct access

    def get(self, letter_id: int, number: int) -> QuoteHit | None:
        """The sentence ``number`` of a letter, as a hit with score 100 and the whole span."""
        index = self._where.get(letter_id)
        if index is None:
            return None
        seg = self._segments[index]
        rows = seg.rows_of(letter_id)
        match = rows[seg.number[rows] == number]
        if not len(match) or not seg.alive[match[0]]:
            return None
        row = int(match[0])
        hit = self._hit(seg, row, 100, _Query([""], [], {}, False))
        return QuoteHit(
            sentence_id=hit.sentence_id, letter_id=hit.letter_id, number=hit.number,
            page=hit.page, score=100, text=hit.text, span=(0, len(hit.text)),
            before=hit.before, after=hit.after,
        )  # fmt: skip


class QuoteIndexBuilder:
    """Build a :class:`QuoteIndex` from rows fed in batches (bounded extra memory)::

    builder = QuoteIndexBuilder()
    for batch in batches:
        builder.add(batch)  # call from a worker thread in async code
    index = builder.finish()
    """

    def __init__(self, batch: int = BUILD_BATCH) -> None:
        self._index = QuoteIndex()
        self._builder = _SegmentBuilder(self._index.vocab)
        self._batch = batch
        self._pending: list[QuoteRow] = []
        self._seen: set[int] = set()

    def add(self, rows: Iterable[QuoteRow]) -> None:
        for row in rows:
            self._pending.append(row)
            if len(self._pending) >= self._batch:
                self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._builder.add(self._pending)
            self._pending = []

    def finish(self) -> QuoteIndex:
        self._flush()
        index = self._index
        seg = self._builder.finish()
        if seg.n:
            index._install(seg)
        index.vocab.refresh(force=True)
        return index


# --------------------------------------------------------------------------- helpers


def _rows_of(seg: _Segment, rows: np.ndarray) -> Iterator[QuoteRow]:
    texts = seg.texts.many(rows)
    for k, r in enumerate(rows.tolist()):
        yield QuoteRow(
            sentence_id=int(seg.sentence_id[r]),
            letter_id=int(seg.letter_id[r]),
            number=int(seg.number[r]),
            page=int(seg.page[r]),
            text=texts[k],
        )


def _add_terms(seg: _Segment, rows: np.ndarray, score: np.ndarray, terms: list[_Term]) -> None:
    """Add each term's weight to ``score`` where its row holds the term (binary search)."""
    for t in terms:
        post = seg.postings_of(t.tid)
        if len(post):
            pos = np.searchsorted(post, rows)
            pos[pos >= len(post)] = len(post) - 1
            score += np.where(post[pos] == rows, np.float32(t.weight), np.float32(0))


def _top_candidates(cands: list[_Candidates], k: int) -> list[_Candidates]:
    """The ``k`` best candidates over all segments by prescore, keeping rows tied with the
    ``k``-th (up to twice ``k``)."""
    total = sum(len(c.rows) for c in cands)
    if total <= k:
        return cands
    allscores = np.concatenate([c.prescore for c in cands])
    kth = np.partition(-allscores, k - 1)[k - 1]
    threshold = -kth
    out = []
    budget = 2 * k
    for c in cands:
        keep = np.flatnonzero(c.prescore >= threshold)
        if len(keep) > budget:
            keep = keep[np.argsort(-c.prescore[keep], kind="stable")[:budget]]
        budget -= len(keep)
        if len(keep):
            out.append(_Candidates(c.seg, c.rows[keep], c.prescore[keep]))
    return out


def _gap_forms(word: str, ids: dict[str, int]) -> list[int]:
    """Known fragments ``word`` leaves when an accented vowel in it became a gap
    (``coordinatie`` -> ``rdinatie`` of ``co rdinatie``): the longer side, when both are
    known words (or the short side is one or two letters)."""
    out = []
    for i in range(1, len(word) - 3):
        if word[i] in "aeiou":
            head, tail = word[:i], word[i + 1 :]
            longer = tail if len(tail) >= len(head) else head
            shorter = head if longer is tail else tail
            tid = ids.get(longer)
            if tid is not None and len(longer) >= 4 and (len(shorter) <= 2 or shorter in ids):
                out.append(tid)
    return out


def _splits(word: str, vocab: _Vocab) -> list[tuple[int, int]]:
    """Two known words that make up ``word`` (``tijdgebonden`` -> ``tijd`` + ``gebonden``)."""
    out = []
    ids = vocab.ids
    for i in range(3, len(word) - 2):
        a = ids.get(word[:i])
        b = ids.get(word[i:])
        if a is not None and b is not None:
            out.append((a, b))
    return out[:2]


def _blend(q: _Query, choices: list[str], coverage: np.ndarray) -> np.ndarray:
    """The 0-100 score of every choice (a processed sentence text): how well the query aligns
    with a stretch of it (``partial_ratio``, best query form), blended with the share of the
    query's (IDF-weighted) words it holds, whatever their order."""
    pr = process.cdist(
        q.forms, choices, scorer=fuzz.partial_ratio, processor=None, workers=1, dtype=np.float32
    ).max(axis=0)
    return np.rint(PARTIAL_WEIGHT * pr + (100 * (1 - PARTIAL_WEIGHT)) * coverage).astype(np.int32)


def match_span(words: Sequence[str], text: str, *, prefix: bool = False) -> tuple[int, int]:
    """Character offsets in ``text`` of the part the query words match: from the first to the
    last matched word of the stretch (at most a few words longer than the query) that matches
    the most query words, long words counting more than short ones."""
    if not words:
        return (0, len(text))
    tokens: list[tuple[int, int]] = []
    sent_words: list[str] = []
    for m in _WORD.finditer(text):
        w = m.group().lower()
        if not w.isascii():
            w = fold(w).replace(" ", "")
        if w:
            tokens.append((m.start(), m.end()))
            sent_words.append(w)
    if not tokens:
        return (0, len(text))
    sim = process.cdist(
        words, sent_words, scorer=fuzz.ratio, processor=None, score_cutoff=75, dtype=np.uint8
    )
    if prefix:
        last = words[-1]
        sim[-1] = [
            100 if w.startswith(last) else v
            for w, v in zip(sent_words, sim[-1].tolist(), strict=True)
        ]
    qi, cols = np.nonzero(sim)
    if not len(cols):
        return (0, len(text))
    by_col: dict[int, list[int]] = {}
    for i, j in zip(qi.tolist(), cols.tolist(), strict=True):
        by_col.setdefault(j, []).append(i)
    positions = sorted(by_col)
    weight = [1.0 if len(w) > 3 else 0.4 for w in words]
    width = len(words) + 3
    best = (-1.0, 0, 0)
    for a, start in enumerate(positions):
        covered: set[int] = set()
        end = start
        for j in positions[a:]:
            if j >= start + width:
                break
            free = [i for i in by_col[j] if i not in covered]
            if free:  # each sentence word stands for one query word
                covered.add(free[0])
                end = j
        gain = sum(weight[i] for i in covered)
        tie = abs(gain - best[0]) <= 1e-9
        if gain > best[0] + 1e-9 or (tie and end - start < best[2] - best[1]):
            best = (gain, start, end)
    return (tokens[best[1]][0], tokens[best[2]][1])
