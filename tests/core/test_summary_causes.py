"""Summaries: the causes of missed main points found across the labelled sets of other
senders, each with a handmade document typed from how such documents are built.

* the author that writes of itself in the third person (``De Raad adviseert``, ``De vereniging
  vraagt``): its requests weigh as requests, like ``ik verzoek``;
* a part's key figure (``1.412 keer``, ``43 procent``, ``214 meldingen, tegen 61 een jaar
  eerder``) weighs more than a detail of the same part;
* the default length grows to one sentence for each headed part that says more than a line;
* a letterhead footer line and a footnote printed with its number are not sentences.
"""

from __future__ import annotations

from bot.core.parse import parse_letter
from bot.core.recommend import author_of
from bot.core.summarize import SummarySentence, choose, default_length, prior
from bot.core.text import fold


def _doc(parts: list[tuple[str | None, list[str]]]) -> list[SummarySentence]:
    out = []
    for sec, (heading, texts) in enumerate(parts):
        for text in texts:
            out.append(SummarySentence(len(out) + 1, text, fold(text), sec, heading))
    return out


def test_a_third_person_author_s_request_weighs_as_a_request() -> None:
    s = _doc(
        [("Voorstellen", ["De Raad vraagt de minister de regeling voor pleegouders te verruimen."])]
    )[0]
    author = author_of("Raad voor Pleegzorg")
    assert prior(s, author) > prior(s)
    letter = _doc(
        [
            (
                "Pleegzorg",
                [
                    "De Raad bezocht twaalf pleegzorgaanbieders en sprak met pleegouders.",
                    "Pleegouders verschillen in de begeleiding die zij van hun aanbieder krijgen.",
                    "Pleegouders in de steden krijgen vaker begeleiding dan in de regio's.",
                    "De Raad vraagt de minister de vergoeding voor pleegouders gelijk te trekken.",
                    "Pleegouders in de regio's noemen de begeleiding vaak te beperkt.",
                ],
            )
        ]
    )
    assert 4 in choose(letter, 2, author=author)
    assert 4 not in choose(letter, 2)  # without knowing its author, a plain statement


def test_a_part_s_key_figure_weighs_more_than_its_details() -> None:
    figure, detail = _doc(
        [
            (
                "Meldingen",
                [
                    "Op 1 maart wachtten 214 meldingen op een onderzoek, tegen 61 een jaar eerder.",
                    "De meldingen komen vooral van scholen, huisartsen en wijkteams in de regio.",
                ],
            )
        ]
    )
    assert prior(figure) > prior(detail)
    share, plain = _doc(
        [
            (
                "School",
                [
                    "Van de leerlingen mist 43 procent regelmatig lessen door zorgtaken.",
                    "Leerlingen missen lessen door de zorg voor een ziek gezinslid thuis.",
                ],
            )
        ]
    )
    assert prior(share) > prior(plain)
    year, _ = _doc(
        [("Tijd", ["In 2024 is de werkwijze van de teams in de regio herzien.", "x y z"])]
    )
    assert prior(year) == 1.0  # a year is no figure


def test_the_default_length_grows_with_the_headed_parts() -> None:
    parts = [
        (
            f"Deel {i}",
            [f"Bevinding {w} over de aanpak in deel {i} van deze brief." for w in ("een", "twee")],
        )
        for i in range(7)
    ]
    assert default_length(_doc(parts)) == 7
    assert default_length(_doc(parts[:3])) == 5  # never below the base length
    one_liners = [
        (f"Deel {i}", [f"Een regel over de aanpak in deel {i} van deze brief."]) for i in range(7)
    ]
    assert default_length(_doc(one_liners)) == 5  # a part of one line has no point of its own


def test_footer_line_and_numbered_footnote_are_not_sentences() -> None:
    text = "\n".join(
        [
            "Stichting Buurtkracht",
            "Aan de gemeenteraad van Oosterveld",
            "Oosterveld, 3 maart 2025",
            "Betreft: Jongerenwerk",
            "Geachte raadsleden,",
            "Het aantal jongeren dat het jongerenwerk bereikt, is in twee jaar gehalveerd.1 Wij",
            "verzoeken u het budget voor het jongerenwerk te herstellen.",
            "1 Gemeente Oosterveld, Monitor jongerenwerk 2024, tabel 3.",
            "Stichting Buurtkracht • Markt 4 • 7701 AB Oosterveld • www.buurtkracht.nl",
            "\fStichting Buurtkracht",
            "Ook vragen wij u de huur van het jongerencentrum niet te verhogen. Zonder centrum",
            "hebben de jongeren in de wijk geen plek om elkaar te ontmoeten.",
            "Met vriendelijke groet,",
            "drs. A.B. Terpstra",
            "directeur",
        ]
    )
    letter = parse_letter(text)
    texts = [s.text for s in letter.sentences]
    assert not any("Monitor jongerenwerk" in t or "www.buurtkracht" in t for t in texts), texts
    assert any(t.startswith("Wij verzoeken u het budget") for t in texts), texts
    assert any(t.startswith("Ook vragen wij u de huur") for t in texts), texts


def test_requests_about_the_document_itself_and_tables_weigh_little() -> None:
    """``Wij vragen uw raad kennis te nemen van deze brief``, ``Ik verzoek uw commissie deze
    brief te betrekken bij het debat``, ``... het rapport aan de Tweede Kamer te sturen``: how to
    handle the document, not what it asks about the matter; a table printed as a run of
    numbers and a sentence that only points at a table say nothing alone."""
    low = [
        "Wij vragen uw raad kennis te nemen van deze brief.",
        "Ik verzoek uw commissie deze brief te betrekken bij het commissiedebat over bibliotheken.",
        "Ik verzoek u het advies met uw reactie binnen zes weken aan de Tweede Kamer te sturen.",
        "Tabel 3 laat zien hoeveel bibliotheken per provincie een vestiging hebben gesloten.",
        "Bibliotheken per provincie 2019 2022 2025 Drenthe 41 38 33 Flevoland 17 15 15 Friesland",
    ]
    matter = "Wij vragen u de bibliotheken in kleine kernen een vaste bijdrage te geven."
    finding = "In 2025 sloten 64 bibliotheekvestigingen, tegen 21 in 2019."
    sentences = _doc([(None, [*low, matter, finding])])
    for s in sentences[: len(low)]:
        assert prior(s) < 1.0, s.text
    assert prior(sentences[len(low)]) > 1.0
    assert len(low) + 1 in choose(sentences, 2)


def test_a_table_does_not_run_into_the_sentence_after_it() -> None:
    """pdftotext prints a table as lines of numbers; the sentence under it starts a sentence of
    its own, so that it can be cited and summarised without the table."""
    letter = parse_letter(
        "\n".join(
            [
                "Stichting Speelruimte",
                "Aan de Minister van Volksgezondheid, Welzijn en Sport",
                "Datum 4 maart 2025",
                "Onderwerp Speeltuinen in kleine kernen",
                "Geachte minister,",
                "Het aantal openbare speeltuinen daalt al jaren.",
                "Tabel 1 Speeltuinen per jaar",
                "2019 2021 2023 2025",
                "Noord 410 388 351 320",
                "Zuid 515 502 470 455",
                "In 2025 had het land nog 775 openbare speeltuinen, een vijfde minder dan in 2019.",
                "Wij vragen u gemeenten te helpen hun speeltuinen te behouden.",
                "Met vriendelijke groet,",
                "drs. M.A. de Ruiter",
                "voorzitter",
            ]
        )
    )
    texts = [s.text for s in letter.sentences]
    assert "In 2025 had het land nog 775 openbare speeltuinen, een vijfde minder dan in 2019." in (
        texts
    )
