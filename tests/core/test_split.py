"""Finding the letters in a text that holds several (bot.core.split)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bot.core.parse import parse_letter
from bot.core.split import split_letters
from bot.core.text import damage
from tests.letters import HandmadeLetter

REPO = Path(__file__).resolve().parents[2]
BUNDLED = next((REPO / "data" / "letters").glob("*.txt"))
DEV_DOCUMENTS = REPO / "bench" / "eval" / "documents" / "dev"  # other senders and genres
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def letters() -> list[str]:
    second = HandmadeLetter(
        subject="Wachtlijsten in de jeugdhulp",
        page2=["zorgaanbieders hun wachtlijsten verkorten. Jongeren wachten veertien weken.",
               "Ik verzoek u de gemeenten te vragen elk kwartaal te rapporteren."],
    )  # fmt: skip
    return [HandmadeLetter().text(), second.text(), BUNDLED.read_text(encoding="utf-8")]


def forms(text: str) -> list[str]:
    return [text, damage(text) + " "]


@pytest.mark.parametrize("glue", ["", "\n", "\n\n", "\f"])
def test_each_letter_of_a_joined_text_reads_as_it_does_alone(glue: str):
    """Two letters one after the other, in clean and damaged form: two parts, each parsing to
    the sentences the letter has on its own (nothing of one lands in the other)."""
    for a, b in itertools.permutations(letters(), 2):
        for x, y in itertools.product(forms(a), forms(b)):
            joined = x + glue + y
            spans = split_letters(joined)
            assert len(spans) == 2, (x[:40], y[:40])
            for (start, end), alone in zip(spans, (x, y), strict=True):
                got = [s.text for s in parse_letter(joined[start:end]).sentences]
                assert got == [s.text for s in parse_letter(alone).sentences]


def test_one_letter_is_one_part():
    for text in letters():
        for form in forms(text):
            assert split_letters(form) == [(0, len(form))]
    postscript = HandmadeLetter().text() + "Bijlage\nMet vriendelijke groet,\nKees\n"
    assert split_letters(postscript) == [(0, len(postscript))]
    short = HandmadeLetter().text() + "Geachte heer,\nDank.\nMet vriendelijke groet,\nKees\n"
    assert split_letters(short) == [(0, len(short))]  # no body: not a letter of its own
    for path in sorted(DEV_DOCUMENTS.glob("*.txt")):  # advice, answers, notes, ...
        text = path.read_text(encoding="utf-8")
        assert split_letters(text) == [(0, len(text))], path.name


def test_copies_are_cut_alike():
    one = BUNDLED.read_text(encoding="utf-8")
    text = one * 50
    parts = {text[a:b].strip() for a, b in split_letters(text)}
    assert len(split_letters(text)) == 50 and len(parts) == 1


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_no_document_of_the_corpus_is_split():
    from bot.core.decode import decode_text

    texts = sorted(CORPUS.glob("*/*.txt"))
    assert texts
    for path in texts:
        text = decode_text(path.read_bytes())
        assert len(split_letters(text)) == 1, path.name
