"""Names and titles of damaged (lowercased) letters shown in the case a reader expects; the
stored text is never changed, and text that kept its case is left alone."""

from __future__ import annotations

import pytest

from bot.core.casing import case_lost, name_case, sentence_case


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("corinne dettmeijer vermeulen", "Corinne Dettmeijer Vermeulen"),
        ("herman bolhaar", "Herman Bolhaar"),
        # particles lower inside a name, capital when the name starts with them
        ("j. van der berg", "J. van der Berg"),
        ("drs. j.a. de vries", "drs. J.A. de Vries"),
        ("van den heuvel", "Van den Heuvel"),
        ("dettmeijer-vermeulen", "Dettmeijer-Vermeulen"),
        ("ijzerman", "IJzerman"),
        ("d'ancona", "D'Ancona"),
        ("h.m. d'ancona", "H.M. d'Ancona"),
        # titles and initials, acronyms, an address line with a role and p/a
        ("mr. m. abelman", "mr. M. Abelman"),
        (
            "mevrouw drs. e.i. schippers informateur p a tweede kamer",
            "Mevrouw drs. E.I. Schippers informateur p a Tweede Kamer",
        ),
        ("ggd nederland", "GGD Nederland"),
        # organisations: function words and role nouns stay lower
        (
            "nationaal rapporteur mensenhandel en seksueel geweld tegen kinderen",
            "Nationaal Rapporteur Mensenhandel en Seksueel Geweld tegen Kinderen",
        ),
        ("de minister van justitie en veiligheid", "De minister van Justitie en Veiligheid"),
        ("tweede kamer der staten-generaal", "Tweede Kamer der Staten-Generaal"),
    ],
)
def test_names_get_their_case_back(stored, shown):
    assert name_case(stored) == shown


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (
            "mensenhandel en seksueel geweld tegen kinderen",
            "Mensenhandel en seksueel geweld tegen kinderen",
        ),
        ("advies over de nctv en de ggd", "Advies over de NCTV en de GGD"),
        ("ijsselmeer en waddenzee", "IJsselmeer en waddenzee"),
    ],
)
def test_subjects_in_sentence_case(stored, shown):
    assert sentence_case(stored) == shown


@pytest.mark.parametrize(
    "kept",
    ["Herman Bolhaar", "Minister van Justitie en Veiligheid", "Brief aan de Tweede Kamer", "COA"],
)
def test_text_that_kept_its_case_is_left_alone(kept):
    assert not case_lost(kept)
    assert name_case(kept) == kept and sentence_case(kept) == kept


def test_empty_and_missing():
    assert name_case(None) == "" and sentence_case("") == ""
    assert name_case("1234") == "1234"  # no letters: nothing was lost
