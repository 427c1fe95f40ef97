"""The outside test's splitting of parliamentary questions and answers (bench/kamervragen.py)."""

from __future__ import annotations

from bench.kamervragen import answer_document, block_of, naive_sentences, split_blocks

DOC = (
    "Tweede Kamer der Staten-Generaal\n"
    "Vragen van het lid Jansen aan de Minister over bruggen (ingezonden 1 mei 2024).\n"
    "Antwoord van Minister Bakker (ontvangen 20 mei 2024).\n"
    "Vraag 1\n"
    "Bent u bekend met het bericht over de brug?\n"
    "Antwoord 1\n"
    "Ja.\n"
    "Vraag 2\n"
    "Hoeveel bruggen moeten worden vervangen? Wanneer begint dat?\n"
    "Antwoord 2\n"
    "Rijkswaterstaat vervangt de komende tien jaar ongeveer negentig bruggen in het hele\n"
    "land, te beginnen in 2026 met de bruggen die het zwaarst belast worden.\n"
    "\fVraag 3, 4 en 5\n"
    "Wat kost dat? Wie betaalt het? Is dat genoeg?\n"
    "Antwoord 3, 4 en 5\n"
    "De vervanging kost naar schatting vier miljard euro, die uit het Mobiliteitsfonds wordt\n"
    "betaald; dat bedrag is voldoende voor de bruggen die nu zijn ingepland.\n"
)


def test_blocks_are_split_at_their_markers() -> None:
    header, blocks = split_blocks(DOC)
    assert header.startswith("Tweede Kamer") and "Vraag" not in header.splitlines()[-1]
    assert [(b.kind, b.numbers) for b in blocks] == [
        ("Vraag", (1,)), ("Antwoord", (1,)), ("Vraag", (2,)), ("Antwoord", (2,)),
        ("Vraag", (3, 4, 5)), ("Antwoord", (3, 4, 5)),
    ]  # fmt: skip


def test_the_answer_document_holds_no_question_and_asks_the_long_answers() -> None:
    doc = answer_document("d", DOC)
    assert "Bent u bekend" not in doc.text and "Wat kost dat?" not in doc.text
    assert "Antwoord 3, 4 en 5" in doc.text and len(doc.spans) == 3
    asked = [(q.text, q.block) for q in doc.questions]
    # "Ja." is too short to ask; a one-question block is asked whole; a block of three is
    # asked per question sentence
    assert asked == [
        ("Hoeveel bruggen moeten worden vervangen? Wanneer begint dat?", 1),
        ("Wat kost dat?", 2), ("Wie betaalt het?", 2), ("Is dat genoeg?", 2),
    ]  # fmt: skip
    start, _ = doc.spans[2]
    assert block_of(doc, start + 30, start + 60) == 2
    assert block_of(doc, 0, 10) is None  # the header is no answer
    spans = naive_sentences(doc)
    assert all(doc.text[a:b].strip() for a, b in spans)
    assert any(doc.text[a:b].endswith("belast worden.") for a, b in spans)
