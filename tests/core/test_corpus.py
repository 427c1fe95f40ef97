"""The parser over the 26 development letters: .txt, .pdf and their damaged forms.

Skipped when ``../shared/corpus/letters`` is absent. Counts are printed (``pytest -s``) and
asserted against thresholds, so a regression shows as a failing number.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from bot.core.models import ParsedLetter
from bot.core.text import damage, fold
from bot.core.vocabulary import MONTHS
from bot.services.letters import parse_bytes
from tests.corpus import corpus_index, corpus_or_skip

LAYOUT = re.compile(
    r"\b(?:postbus|contactpersoon|ons kenmerk|bij beantwoording|retouradres|wilt u slechts|"
    r"pagina \d* ?van \d*|turfmarkt|schedeldoekshaven)\b",
    re.IGNORECASE,
)
# Scans with an OCR text layer: stamps and markings land mid-sentence (corpus README).
OCR = {"P0102D01", "P0121D01"}


@cache
def _parsed() -> dict[str, dict[str, ParsedLetter]]:
    folder = corpus_or_skip()
    out: dict[str, dict[str, ParsedLetter]] = {}
    for letter_id in corpus_index(folder):
        txt = (folder / f"{letter_id}.txt").read_bytes()
        pdf = (folder / f"{letter_id}.pdf").read_bytes()
        out[letter_id] = {
            "txt": parse_bytes(txt, name=f"{letter_id}.txt"),
            "pdf": parse_bytes(pdf, name=f"{letter_id}.pdf"),
            "damaged": parse_bytes(
                damage(txt.decode("utf-8")).encode(), name=f"{letter_id}-damaged.txt"
            ),
        }
    return out


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict[str, ParsedLetter]]:
    return _parsed()


def _same_person(expected: str, found: str | None) -> bool:
    if not found:
        return False
    want = fold(expected).split()
    got = fold(found).split()
    return want[-1] == got[-1] and all(w in got for w in want[-2:])


def test_every_letter_ingests_in_every_form(parsed):
    for letter_id, forms in parsed.items():
        for form, letter in forms.items():
            assert len(letter.sentences) >= 5, (letter_id, form)
            assert letter.pages >= 1


def test_signatory_and_date_match_the_index(parsed):
    index = corpus_index(corpus_or_skip())
    for form in ("txt", "pdf"):
        signed = [i for i, row in index.items() if row["signatory"] != "not signed"]
        sig_ok = sum(
            _same_person(index[i]["signatory"], parsed[i][form].metadata.signatory) for i in signed
        )
        date_ok = sum(parsed[i][form].metadata.date == index[i]["date"] for i in index)
        unsigned_ok = sum(
            parsed[i][form].metadata.signatory is None
            for i, row in index.items()
            if row["signatory"] == "not signed"
        )
        print(f"\n{form}: signatory {sig_ok}/{len(signed)}, date {date_ok}/{len(index)}")
        assert sig_ok >= len(signed) - 1
        assert date_ok >= len(index) - 1  # P0121D01's date is OCR debris: "l3oktober20ll"
        assert unsigned_ok == len(index) - len(signed)


def test_damaged_forms_keep_the_month_of_the_date(parsed):
    index = corpus_index(corpus_or_skip())
    months = list(MONTHS)
    ok = 0
    for letter_id, row in index.items():
        month = months[int(row["date"][5:7]) - 1]
        ok += parsed[letter_id]["damaged"].metadata.date == month
    assert ok >= len(index) - 1


def test_no_sentence_holds_letterhead_or_page_header_text(parsed):
    bad = [
        (letter_id, form, s.text)
        for letter_id, forms in parsed.items()
        if letter_id not in OCR
        for form, letter in forms.items()
        for s in letter.sentences
        if LAYOUT.search(s.text)
    ]
    assert bad == []


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z]+", damage(text)))


def test_damaged_form_reads_like_the_clean_one(parsed):
    """Most sentences of the damaged form are, word for word, sentences of the clean form."""
    total = same = 0
    for letter_id, forms in parsed.items():
        if letter_id in OCR:
            continue
        clean = {_words(s.text) for s in forms["txt"].sentences}
        for s in forms["damaged"].sentences:
            total += 1
            same += _words(s.text) in clean
    print(f"\ndamaged sentences identical to a clean sentence: {same}/{total}")
    assert same / total >= 0.85


def test_pdf_and_txt_give_nearly_the_same_sentences(parsed):
    total = same = 0
    for forms in parsed.values():
        txt = {fold(s.text) for s in forms["txt"].sentences}
        for s in forms["pdf"].sentences:
            total += 1
            same += fold(s.text) in txt
    print(f"\npdf sentences identical to a txt sentence: {same}/{total}")
    assert same / total >= 0.9


def test_repairs_of_the_damaged_forms_restore_the_original_words(parsed):
    """Every repair made in a damaged letter must produce a word of the clean letter."""
    made = right = 0
    for forms in parsed.values():
        clean_words = set(
            re.findall(r"[^\W\d_]+", " ".join(s.text for s in forms["txt"].sentences).lower())
        )
        for r in forms["damaged"].repairs:
            made += 1
            right += r.to_text.lower() in clean_words
    print(f"\nrepairs in damaged forms: {right}/{made} restore a word of the clean letter")
    assert made >= 50
    assert right / made >= 0.97
