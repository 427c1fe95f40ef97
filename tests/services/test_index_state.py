"""The indexes' saved state (``export_state`` / ``from_state``) through the index cache's files
(memory-mapped, read-only): a loaded index answers exactly as the one that was saved, and
takes changes afterwards (letters added and removed) exactly as the original does."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from bot.core.bm25 import BM25Index
from bot.core.quote_index import QuoteIndex, QuoteRow
from bot.core.vectors import DenseIndex, normalise
from bot.services.index_cache import IndexCache, Snapshot

WORDS = (
    "aanpak mensenhandel kinderen slachtoffers gemeenten opvang rapporteur minister kabinet "
    "coördinatie financiering toezicht jeugdzorg uitbuiting seksueel geweld politie justitie "
    "onderzoek aanbeveling registratie gegevens meldpunt zorg preventie wetgeving regeerakkoord "
    "coalitieakkoord hulpverlening capaciteit gedaald gestegen inspectie plaatsen begeleiding"
).split()
FILLER = "de het een van in op voor met dat niet geen".split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS if rng.random() < 0.6 else FILLER) for _ in range(rng.randint(5, 18))]
    return " ".join(words).capitalize() + "."


def letters(n: int, seed: int = 3, first_id: int = 1) -> dict[int, list[tuple[int, str]]]:
    """letter id -> [(sentence id, text)], sentence ids ascending across letters."""
    rng = random.Random(seed)
    out: dict[int, list[tuple[int, str]]] = {}
    sid = first_id * 1000
    for lid in range(first_id, first_id + n):
        out[lid] = []
        for _ in range(rng.randint(3, 40)):
            sid += 1
            out[lid].append((sid, sentence(rng)))
    return out


def rows(data: dict[int, list[tuple[int, str]]]) -> list[QuoteRow]:
    return [
        QuoteRow(sid, lid, k + 1, 1 + k // 20, text)
        for lid, sents in data.items()
        for k, (sid, text) in enumerate(sents)
    ]


def roundtrip(tmp_path: Path, name: str, state: tuple) -> Snapshot:
    arrays, blobs, meta = state
    cache = IndexCache(tmp_path / "cache", store_id="s1")
    cache.save(name, {"v": 1}, arrays, blobs, meta, np.zeros((0, 2), dtype=np.int64))
    snap = cache.load(name, {"v": 1})
    assert snap is not None
    mapped = [a for k, a in snap.arrays.items() if k != "_letters"]
    assert mapped and not any(a.flags.writeable or a.flags.owndata for a in mapped)
    return snap


QUERIES = [
    "aanpak van mensenhandel bij kinderen",
    "coordinatie kabinet",
    "financering toezict",  # typos
    "regeer akkoord capaciteit",
    "de het een",
    "slachtofers geweld politie onderzoek",
]


def test_quote_index_loaded_answers_and_changes_as_the_original(tmp_path: Path) -> None:
    data = letters(60)
    original = QuoteIndex.build(rows(data), batch=500)
    original.add_rows(rows(letters(3, seed=9, first_id=100)))  # a second segment
    original.remove_letter(5)
    snap = roundtrip(tmp_path, "quote", original.export_state())
    loaded = QuoteIndex.from_state(snap.arrays, snap.blobs, snap.meta["meta"])

    def same() -> None:
        assert len(loaded) == len(original)
        assert sorted(loaded.letter_ids) == sorted(original.letter_ids)
        for q in QUERIES:
            assert loaded.search(q, limit=10) == original.search(q, limit=10)
            assert loaded.suggest(q[:-2], limit=10) == original.suggest(q[:-2], limit=10)
            assert loaded.search(q, letters={1, 2, 3}) == original.search(q, letters={1, 2, 3})
        assert loaded.get(7, 2) == original.get(7, 2)

    same()
    for index in (original, loaded):  # changes after the load: copies, never the mapped files
        index.remove_letter(8)
        index.add_letter(rows(letters(1, seed=11, first_id=200)))
        for lid in range(10, 20):
            index.remove_letter(lid)  # enough to compact
    same()


def test_bm25_loaded_scores_and_changes_as_the_original(tmp_path: Path) -> None:
    data = letters(80)
    original = BM25Index()
    for lid, sents in data.items():
        original.add(lid, sents, [k // 5 for k in range(len(sents))])
    original.flush()
    original.remove_letter(4)
    original.add(500, letters(1, seed=5, first_id=500)[500])  # pending postings
    snap = roundtrip(tmp_path, "ask", original.export_state())
    loaded = BM25Index.from_state(snap.arrays, snap.blobs, snap.meta["meta"])

    def same() -> None:
        assert len(loaded) == len(original) and loaded.letters == original.letters
        for q in QUERIES:
            expansions = {"coalitieakkoord": [("regeerakkoord", 0.6)]}
            assert loaded.search(q, 20) == original.search(q, 20)
            scoped = {2, 3}
            assert loaded.search(q, 5, letter_ids=scoped) == original.search(
                q, 5, letter_ids=scoped
            )
            assert loaded.search("coalitieakkoord", 5, expansions=expansions) == original.search(
                "coalitieakkoord", 5, expansions=expansions
            )
            pairs = [(data[2][1][0], 2), (data[3][0][0], 3), (12345, 9)]
            assert loaded.section_coverage(q, pairs) == original.section_coverage(q, pairs)
        assert loaded.related("coalitieakkoord") == original.related("coalitieakkoord")
        held = [(data[2][1][0], 2), (data[3][0][0], 3), (data[10][2][0], 10)]
        assert loaded.sentence_terms(held) == original.sentence_terms(held)
        assert original.sentence_terms(held)  # the terms English questions are matched by
        assert loaded.surface("kinder") == original.surface("kinder")
        assert loaded.concentration("mensenhandel", {1, 2}) == original.concentration(
            "mensenhandel", {1, 2}
        )

    same()
    for index in (original, loaded):
        index.remove_letter(9)
        index.add(600, letters(1, seed=6, first_id=600)[600])
        index.flush()
    same()


@pytest.mark.parametrize("ivf", [True, False])
def test_dense_index_loaded_searches_and_changes_as_the_original(tmp_path: Path, ivf: bool) -> None:
    rng = np.random.default_rng(1)
    original = DenseIndex(16, ivf_min=300 if ivf else 10**9, exact_max=50)
    sid = 0
    for lid in range(1, 40):
        n = int(rng.integers(5, 30))
        original.add(lid, list(range(sid, sid + n)), normalise(rng.normal(size=(n, 16))))
        sid += n
    original.remove_letter(3)
    assert original.uses_ivf == ivf
    arrays, _, meta = original.export_state()
    snap = roundtrip(tmp_path, "ask", (arrays, {}, meta))
    loaded = DenseIndex.from_state(snap.arrays, snap.meta["meta"], ivf_min=original.ivf_min,
                                   exact_max=original.exact_max)  # fmt: skip
    queries = normalise(rng.normal(size=(8, 16)))

    def same() -> None:
        assert len(loaded) == len(original) and loaded.letters == original.letters
        for q in queries:
            assert loaded.search(q, 10) == original.search(q, 10)
            assert loaded.search(q, 5, letter_ids={1, 2, 7}) == original.search(
                q, 5, letter_ids={1, 2, 7}
            )
            pairs = [(0, 1), (sid - 1, 39), (99999, 2)]
            assert loaded.similarity(q, pairs) == original.similarity(q, pairs)

    same()
    extra = normalise(rng.normal(size=(12, 16)))
    for index in (original, loaded):
        index.add(77, list(range(10_000, 10_012)), extra)
        index.remove_letter(5)
        index.optimize()
    same()
