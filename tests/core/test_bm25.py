"""BM25 over stemmed, stopword-filtered sentences (bot.core.bm25)."""

from __future__ import annotations

import itertools
import random

import pytest

from bot.core import bm25 as bm25_module
from bot.core.bm25 import Analyzer, BM25Index

LETTER_A = [
    (1, "De aanpak van mensenhandel hoort niet op de reservebank."),
    (2, "Ik doe een beroep op u dit onderwerp in het regeerakkoord op te nemen."),
    (3, "Slachtoffers van mensenhandel worden alleen gevonden wanneer actief gezocht wordt."),
]
LETTER_B = [
    (11, "Gemeenten kopen de jeugdzorg in de eigen regio in."),
    (12, "Er is geen capaciteit voor de opvang van slachtoffers."),
    (13, "De financiering van het Centrum Seksueel Geweld is onzeker."),
]


def make_index() -> BM25Index:
    index = BM25Index()
    index.add(1, LETTER_A)
    index.add(2, LETTER_B)
    return index


def test_terms_are_stemmed_folded_and_keep_negations() -> None:
    terms = Analyzer().terms("De Slachtoffers van de coördinatie zijn NIET gevonden, geen hulp!")
    assert "slachtoffer" in terms  # stemmed
    analyzer = Analyzer()
    assert analyzer.terms("coordinatie")[0] in terms  # accents folded
    assert "niet" in terms and analyzer.terms("geen")[0] in terms  # negations kept
    assert "de" not in terms and "van" not in terms  # stopwords dropped


def test_search_ranks_the_matching_sentence_first() -> None:
    hits = make_index().search("regeerakkoord", 3)
    assert [h.sentence_id for h in hits] == [2]
    assert hits[0].letter_id == 1
    assert hits[0].coverage == pytest.approx(1.0)


def test_inflected_forms_match() -> None:
    hits = make_index().search("het slachtoffer", 5)
    assert {h.sentence_id for h in hits} == {3, 12}


def test_coverage_counts_unknown_terms() -> None:
    hits = make_index().search("regeerakkoord appeltaart", 3)
    assert hits[0].sentence_id == 2
    assert 0.2 < hits[0].coverage < 0.8


def test_letter_filter_and_removal() -> None:
    index = make_index()
    assert {h.sentence_id for h in index.search("slachtoffers", 5, letter_ids=[2])} == {12}
    assert index.search("slachtoffers", 5, letter_ids=[]) == []
    assert index.remove_letter(1) == 3
    assert len(index) == 3
    assert {h.sentence_id for h in index.search("slachtoffers mensenhandel", 5)} == {12}
    index.flush()  # drops the removed rows
    assert {h.sentence_id for h in index.search("slachtoffers", 5)} == {12}
    assert index.remove_letter(1) == 0


def test_re_adding_a_letter_replaces_it() -> None:
    index = make_index()
    index.add(1, [(21, "Een geheel nieuwe zin over kinderpornografie.")])
    assert index.search("reservebank", 5) == []
    assert [h.sentence_id for h in index.search("kinderpornografie", 5)] == [21]


def test_queries_without_terms_give_nothing() -> None:
    index = make_index()
    for query in ("", "   ", "de het een", "?!", "😀", '"', "*", "NEAR(", "OR", "-"):
        assert index.search(query, 5) == []


def test_expansions_weigh_less_and_cover_the_query_term() -> None:
    index = make_index()
    assert index.search("coalitieakkoord", 5) == []
    assert "regeerakkoord" in index.related("coalitieakkoord")
    hits = index.search(
        "coalitieakkoord", 5, expansions={"coalitieakkoord": [("regeerakkoord", 0.5)]}
    )
    assert [h.sentence_id for h in hits] == [2]
    assert hits[0].coverage == pytest.approx(min(1.0, 0.5 * bm25_module.EXPANSION_COVER))
    full = index.search("regeerakkoord", 5)[0].score
    assert hits[0].score == pytest.approx(0.5 * full, rel=1e-5)


def test_related_finds_compound_parts_only() -> None:
    index = BM25Index()
    index.add(
        1, [(1, "Het regeerakkoord en het bestuursakkoord."), (2, "Een akkoord."), (3, "Woord.")]
    )
    related = index.related("coalitieakkoord")
    assert {"regeerakkoord", "bestuursakkoord", "akkoord"} <= set(related)
    assert "woord" not in related  # shares fewer than MIN_SHARED letters
    assert index.related("akk") == []


def test_merge_keeps_results_identical() -> None:
    """Pending and merged postings, and compaction after removals, give the same answers."""
    rng = random.Random(3)
    words = [f"woord{i}" for i in range(200)]
    letters = {
        lid: [(lid * 1000 + j, " ".join(rng.choices(words, k=8))) for j in range(20)]
        for lid in range(1, 41)
    }
    incremental = BM25Index()
    for lid, sentences in letters.items():
        incremental.add(lid, sentences)
    for lid in range(1, 41, 3):
        incremental.remove_letter(lid)
    incremental.flush()
    fresh = BM25Index()
    for lid, sentences in letters.items():
        if (lid - 1) % 3:
            fresh.add(lid, sentences)
    for query in ("woord1 woord2", "woord150", "woord7 woord8 woord9"):
        a = [(h.sentence_id, round(h.score, 4)) for h in incremental.search(query, 10)]
        b = [(h.sentence_id, round(h.score, 4)) for h in fresh.search(query, 10)]
        assert a == b and a


def test_long_input_is_handled() -> None:
    index = make_index()
    hits = index.search("mensenhandel " * 2000, 5)
    assert {h.sentence_id for h in hits} == {1, 3}


def test_section_coverage_counts_the_whole_section() -> None:
    index = BM25Index()
    index.add(
        1,
        [(10, "De wachttijd voor jeugdhulp is lang."), (11, "Gemeenten kopen te weinig in."),
         (12, "Het budget voor bruggen stijgt.")],
        [100, 100, 101],
    )  # fmt: skip
    cover, sections = index.section_coverage("wachttijd gemeenten", [(11, 1), (12, 1), (99, 1)])
    assert cover[0] == pytest.approx(1.0)  # its section holds both words
    assert cover[1] == 0.0 and cover[2] == 0.0
    assert sections == [100, 101, None]
    assert index.concentration("gemeenten", [1]) == (1, 1)
    assert index.concentration("gemeenten", [2]) == (1, 0)
    index.remove_letter(1)
    assert index.section_coverage("wachttijd", [(10, 1)]) == ([0.0], [None])
    with pytest.raises(ValueError):
        index.add(2, [(20, "een zin")], [1, 2])


def test_inflections_of_one_word_share_a_term_and_compounds_keep_their_head() -> None:
    analyzer = Analyzer()
    for forms in (("werkt", "gewerkt", "werken"), ("pauzes", "pauze"), ("overuren", "overuur")):
        assert len(set(analyzer.terms(" ".join(forms)))) == 1, forms
    # the current Snowball stemmer would cut "ge" out of the middle ("reerakkoor")
    (term,) = analyzer.terms("regeerakkoord")
    assert term.startswith("regeer")


def test_sentence_terms_are_the_terms_of_those_sentences_with_their_frequency() -> None:
    index = make_index()
    terms = index.sentence_terms([(12, 2), (999, 2), (1, 77)])  # unknown ones are skipped
    own = set(index.analyzer.terms(dict(LETTER_B)[12]))
    assert set(terms) == own
    assert all(terms[t] == index.df(t) >= 1 for t in terms)
    assert index.sentence_terms([]) == {}


def test_a_stem_that_lost_its_suffix_is_no_compound_part() -> None:
    index = BM25Index()
    index.add(1, [(1, "Het toezicht is streng."), (2, "De daling is zichtbaar."),
                  (3, "Het markttoezicht groeit.")])  # fmt: skip
    related = index.related(index.query_terms("toezicht")[0])
    assert index.query_terms("markttoezicht")[0] in related
    assert index.query_terms("zichtbaar")[0] not in related  # "zichtbaar" stems to "zicht"


def test_top_k_from_the_rows_above_the_floor_equals_ranking_every_row() -> None:
    """The unscoped search ranks only the rows that reach the k-th best score of a rare term's
    postings; the scoped search (every letter allowed) ranks every matching row: the same hits,
    in the same order, ties broken by row, with dead rows of removed letters among them."""
    rng = random.Random(11)
    common = ["beleid", "gemeente", "rapporteur"]  # in most sentences: long postings
    words = [f"woord{i}" for i in range(60)]  # few words: many equal scores
    index = BM25Index()
    for lid in range(1, 61):
        index.add(
            lid,
            [
                (lid * 1000 + j, " ".join(rng.choices(common, k=2) + rng.choices(words, k=3)))
                for j in range(25)
            ],
        )
    for lid in range(1, 61, 4):
        index.remove_letter(lid)
    everyone = sorted(index.letters)
    queries = ["beleid gemeente", "rapporteur woord3", "woord1 woord2 beleid", "woord59", "beleid"]
    for query in queries:
        for k in (1, 5, 50):
            fast = index.search(query, k)
            full = index.search(query, k, letter_ids=everyone)
            assert [(h.sentence_id, h.score, h.coverage) for h in fast] == [
                (h.sentence_id, h.score, h.coverage) for h in full
            ]
            assert len(fast) == min(k, len(full)) and fast
            assert all(a.score >= b.score for a, b in itertools.pairwise(fast))
