"""Routing, fusion, relevance and answer composition (bot.core.ask)."""

from __future__ import annotations

import pytest

from bot.core import ask as core


@pytest.mark.parametrize(
    ("question", "arg"),
    [
        ("Geef een samenvatting van de brief over de Jeugdwet", "Jeugdwet"),
        ("Vat de brief aan Schippers samen", "Schippers"),
        ("Kun je de brief samenvatten?", None),
        ("Summarize the letter about youth care", "youth care"),
        ("Give me a summary", None),
        ("Summarize the letter", None),
        ("Geef een samenvatting van de brief", None),
        ("Can you sum up the letter on child protection?", "child protection"),
    ],
)
def test_summary_route(question: str, arg: str | None) -> None:
    assert core.route(question) == core.Routing("summary", arg)


@pytest.mark.parametrize(
    ("question", "arg"),
    [
        ("Welke aanbevelingen doet de rapporteur over mensenhandel?", "mensenhandel"),
        ("Wat beveelt de rapporteur aan over jeugdzorg?", "jeugdzorg"),
        ("Wat beveelt de rapporteur aan?", None),
        ("aanbevelingen kinderpornografie", "kinderpornografie"),
        ("What does the rapporteur recommend about child pornography?", "child pornography"),
        ("Which recommendations are there on human trafficking?", "human trafficking"),
        ("Wat adviseert de rapporteur over de meldcode?", "meldcode"),
    ],
)
def test_recommendations_route(question: str, arg: str | None) -> None:
    assert core.route(question) == core.Routing("recommendations", arg)


@pytest.mark.parametrize(
    ("question", "arg"),
    [
        ("Waar staat 'de aanpak hoort niet op de reservebank'?",
         "de aanpak hoort niet op de reservebank"),
        ("In welke brief staat “geen recht meer op vergoeding”?", "geen recht meer op vergoeding"),
        ("Where does it say that victims are found only when someone looks?",
         "victims are found only when someone looks"),
        ("Geef een citaat over preventie", "preventie"),
        ('"ieder kind heeft recht op bescherming"', "ieder kind heeft recht op bescherming"),
        ("Find the quote „prioriteit en capaciteit”", "prioriteit en capaciteit"),
    ],
)  # fmt: skip
def test_quote_route(question: str, arg: str) -> None:
    assert core.route(question) == core.Routing("quote", arg)


@pytest.mark.parametrize(
    "question",
    [
        "Wat zegt de rapporteur over het regeerakkoord?",
        "Why has the number of reported victims dropped?",
        "Hoeveel kinderen kregen behandeling in de GGZ?",
        "",
        "   ",
        "?!",
        '"',
        "NEAR(",
        "x" * 10_000,
    ],
)
def test_plain_questions_are_not_routed(question: str) -> None:
    assert core.route(question).route is None


def test_problem_explains_bad_questions() -> None:
    assert core.problem("") and core.problem("   \n")
    assert "1000" in (core.problem("woord " * 2000) or "")
    for wordless in ("?!?!", "😀😀😀", '"', "*", "-", "…"):
        assert core.problem(wordless), wordless
    assert core.problem("Wat staat er over het regeerakkoord?") is None
    assert core.problem("NEAR( OR") is None  # words: searched, and simply not found


def test_search_text_drops_question_framing() -> None:
    # who is asked about is left in: the service drops it when it names a letter
    assert core.search_text("Wat zegt de rapporteur over het regeerakkoord?") == (
        "de rapporteur over het regeerakkoord"
    )
    assert "coalition" in core.search_text("What does the letter say about the coalition?")
    assert "what" not in core.search_text("What does the letter say about the coalition?")


def test_fuse_rewards_agreement() -> None:
    bm25 = [(1, 10, 9.0, 1.0), (2, 10, 5.0, 0.5), (3, 10, 1.0, 0.2)]
    dense = [(3, 10, 0.6), (2, 10, 0.5), (4, 11, 0.4)]
    fused = core.fuse(bm25, dense)
    assert {c.sentence_id for c in fused[:2]} == {2, 3}  # found by both
    c2 = next(c for c in fused if c.sentence_id == 2)
    assert c2.bm25_rank == 1 and c2.dense_rank == 1 and c2.cosine == 0.5 and c2.coverage == 0.5
    assert {c.sentence_id for c in fused} == {1, 2, 3, 4}
    assert core.fuse([], []) == []


def test_keyword_queries() -> None:
    assert core.is_keyword_query("daling gemelde slachtoffers")
    assert core.is_keyword_query("webcrawler")
    assert not core.is_keyword_query("Waarom daalt het aantal slachtoffers?")
    assert not core.is_keyword_query("een twee drie vier vijf")
    assert not core.is_keyword_query("?!")


def test_relevance_is_calibrated() -> None:
    assert core.relevance(None, 0.0) == 0.0
    assert core.relevance(0.1, 0.0) == 0.0
    assert core.relevance(0.7, 0.0) == 1.0
    assert core.relevance(None, 1.0) == 1.0
    low = core.relevance(core.COS_LOW + 0.01, 0.0)
    assert 0 < low < core.FOUND_AT
    both = core.relevance(0.35, 0.6)
    assert both > max(core.relevance(0.35, 0.0), core.relevance(None, 0.6))
    assert 0.0 <= core.relevance(2.0, 2.0) <= 1.0


def test_expansion_weight() -> None:
    assert core.expansion_weight(0.3) == 0.0
    assert 0 < core.expansion_weight(0.57) < 1
    assert core.expansion_weight(0.95) == 1.0


def cited(n: int, letter: int, sentence: int) -> core.Cited:
    return core.Cited(f"Zin {n}.", letter, f"Brief {letter}", 2, sentence, 0.5)


def test_compose_groups_by_letter_in_reading_order() -> None:
    text = core.compose(
        "Wat zegt de brief?", [cited(1, 7, 30), cited(2, 8, 4), cited(3, 7, 12)], found=True
    )
    lines = text.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Volgens “Brief 7”: Zin 3. [3, p. 2] Zin 1. [1, p. 2]")
    assert lines[1] == "Volgens “Brief 8”: Zin 2. [2, p. 2]"


def test_compose_says_when_nothing_was_found() -> None:
    assert "geen passage" in core.compose("Wat is het recept voor appeltaart?", [], found=False)
    assert "no passage" in core.compose("What is the capital of Australia?", [], found=False)
    english = core.compose("What does the letter say?", [cited(1, 7, 3)], found=True)
    assert english.startswith("According to “Brief 7”")


def test_language() -> None:
    assert core.language("What does the letter say about victims?") == "en"
    assert core.language("Wat zegt de brief over slachtoffers?") == "nl"
    assert core.language("") == "nl"


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("Wie heeft de brief ondertekend?", "signatory"),
        ("Who signed the letter?", "signatory"),
        ("Wie is de ondertekenaar?", "signatory"),
        ("Aan wie is de brief gericht?", "recipient"),
        ("Who is the letter addressed to?", "recipient"),
        ("Van wie is deze brief?", "sender"),
        ("Who wrote the letter?", "sender"),
        ("Wanneer is de brief verstuurd?", "date"),
        ("When was the letter sent?", "date"),
        ("Waar gaat de brief over?", "subject"),
        ("Waar gaat het advies van het college over?", "subject"),
        ("What is this document about?", "subject"),
        ("Wat vraagt de rapporteur aan de informateur?", None),
        ("Wanneer komen de inspecties terug?", None),
        ("Wat betekent het ondertekenen van het verdrag voor gemeenten?", None),
        ("Waar gaat het geld naartoe?", None),
        ("When will the law take effect?", None),
    ],
)
def test_letter_field(question: str, field: str | None) -> None:
    assert core.letter_field(question) == field


def test_request_kinds_and_intent_words() -> None:
    assert core.request_kinds("Wat vraagt de NVVB aan de minister?") == core.REQUEST_KINDS
    assert core.request_kinds("What does the council advise?") == core.REQUEST_KINDS
    assert core.request_kinds("Waar maakt de staatssecretaris zich zorgen over?") == (
        core.CONCERN_KINDS
    )
    assert core.request_kinds("Hoeveel jongeren zijn dakloos?") == frozenset()
    assert core.intent_words("Wat vraagt de NVVB aan de minister?") == {"vraagt"}


@pytest.mark.parametrize(
    "question",
    [
        # yes/no questions are about their own subject, not about what the author asks
        "Deelt u de zorg dat de wachtlijsten verder oplopen?",
        "Bent u bereid gemeenten te vragen hun beleid aan te passen?",
        "Klopt het dat de inspectie extra toezicht wil?",
        # put to the reader ("u"): a member of parliament asks the minister for a plan
        "Wat verwacht u van de gemeenten?",
        "Welke zorgen heeft u over de uitvoering?",
    ],
)
def test_request_kinds_not_for_yes_no_or_addressed_questions(question: str) -> None:
    assert core.request_kinds(question) == frozenset()


def test_request_kinds_from_an_asking_clause_after_context() -> None:
    question = "De brief noemt drie knelpunten. Wat vraagt de NVVB aan de minister?"
    assert core.request_kinds(question) == core.REQUEST_KINDS
    assert core.request_kinds("Ik lees de brief, en wat wil de raad?") == core.REQUEST_KINDS


@pytest.mark.parametrize(
    ("word", "question", "names"),
    [
        ("informateur", "Wat vraagt de rapporteur aan de informateur?", True),
        ("inspectie", "Wat stelt de inspectie vast?", True),
        ("minister", "Wat vraagt de minister?", True),  # a role: judged by the letters' use
        ("nvvb", "Wat wil de NVVB?", True),
        ("zorg", "Deelt u de zorg over de wachtlijsten?", False),  # "Ministerie van ... Zorg"
        ("onderwijs", "Hoeveel kinderen krijgen geen onderwijs?", False),
        ("helder", "Is de regel helder genoeg?", False),  # a surname that is a common word
        ("vws", "Wat schrijft VWS over de wachtlijsten?", True),
    ],
)
def test_names_by_itself(word: str, question: str, names: bool) -> None:
    assert core.names_by_itself(word, question) is names


@pytest.mark.parametrize(
    ("question", "fits", "misses"),
    [
        ("Hoeveel geld is er beschikbaar?", "Er is 400 miljoen euro extra.", "Er is geld nodig."),
        ("Hoe lang moeten kinderen wachten?", "Zij wachten ruim veertien weken.", "Zij wachten."),
        ("Hoeveel huishoudens hebben schulden?", "Het gaat om 640.000 huishoudens.",
         "Het gaat om veel huishoudens."),
        ("Wanneer verschijnt de evaluatie?", "De evaluatie verschijnt eind 2025.",
         "De evaluatie verschijnt."),
        ("Waarom wordt niet gevaccineerd?", "Dat komt doordat handelspartners weigeren.",
         "Handelspartners weigeren."),
        ("Bent u bereid dit te doen?", "Nee, dat is niet nodig.", "Dat is niet nodig."),
    ],
)  # fmt: skip
def test_answer_types(question: str, fits: str, misses: str) -> None:
    types = core.answer_types(question)
    assert types
    assert core.fits_answer_type(fits, types)
    assert not core.fits_answer_type(misses, types)
    assert core.answer_types("Wat zegt de brief over preventie?") == ()


def test_organisation_words_name_the_office_not_the_domain() -> None:
    assert core.organisation_words(
        "Nationaal Rapporteur Mensenhandel en Seksueel Geweld tegen Kinderen"
    ) == ["nationaal", "rapporteur"]
    assert core.organisation_words("Vereniging van Advocaten voor Slachtoffers") == ["vereniging"]
    assert "nvvb" in core.organisation_words("Nederlandse Vereniging voor Burgerzaken (NVVB)")
    # "ministerie" names no one ministry; what follows does
    assert core.organisation_words("Ministerie van Binnenlandse Zaken") == ["binnenlandse", "zaken"]


def test_context_rules() -> None:
    assert core.leans_on_previous("Deels is dit het gevolg van de reorganisatie.")
    assert core.leans_on_previous("Dit betreur ik.")
    assert not core.leans_on_previous("De afgelopen jaren daalde het aantal meldingen.")
    assert core.completed_by_next("Ik vraag u drie dingen:", "Ten eerste meer geld.")
    assert core.completed_by_next("Nee.", "Een norm maakt zorgverleners niet beschikbaar.")
    fell = "Het aantal meldingen daalde de afgelopen jaren sterk."
    assert core.completed_by_next(fell, "Dit komt door de politie.")
    assert not core.completed_by_next(fell, "Preventie helpt.")


def test_compose_shows_context_in_letter_order() -> None:
    passage = core.Cited("Dit betreur ik.", 7, "Brief 7", 2, 12, 0.5,
                         before=(("De meldingen dalen.", 2, 11),))  # fmt: skip
    text = core.compose("Wat betreurt de rapporteur?", [passage], found=True)
    assert "De meldingen dalen. [p. 2] Dit betreur ik. [1, p. 2]" in text


def test_describe_metadata_and_missing_fields() -> None:
    meta = core.LetterMeta(3, "Advies X", "Adviescollege Y", "mr. A. Bakker", "de minister",
                           None, "2023-05-01", "Advies X", 4)  # fmt: skip
    assert core.describe("Who signed the letter?", "signatory", meta) == (
        "“Advies X” was signed by mr. A. Bakker (Adviescollege Y). [letter 3, p. 4]"
    )
    assert "is gedateerd 2023-05-01" in core.describe("Wanneer?", "date", meta)
    empty = core.LetterMeta(3, "Nota", None, None, None, None, None, None, 1)
    assert "vermeldt geen ondertekenaar" in core.describe("Wie tekende?", "signatory", empty)
    assert "vermeldt geen geadresseerde" in core.describe("Aan wie?", "recipient", empty)


def test_no_such_topic_names_close_ones() -> None:
    close = core.close_topics("preventi", [("preventie", "preventie"), ("zorg", "jeugdzorg")])
    assert close[0] == "preventie"
    line = core.no_such_topic("aanbevelingen over voetbal", "voetbal", ["sport"], found=False)
    assert "geen onderwerp “voetbal”" in line and "sport" in line and "Passages" not in line
    assert "no topic" in core.no_such_topic("recommendations on football", "football", [],
                                            found=True)  # fmt: skip


def test_english_content_words_are_told_from_dutch_and_function_words() -> None:
    for word in ("victims", "housing", "trafficking", "police"):
        assert core.is_english_word(word), word
    for word in ("slachtoffers", "huisvesting", "the", "what", "does", "letter", "is", "2023"):
        assert not core.is_english_word(word), word


def test_translation_weight_rises_from_the_minimum_to_full() -> None:
    assert core.translation_weight(core.TRANSLATE_MIN - 0.01) == 0.0
    assert 0.0 < core.translation_weight((core.TRANSLATE_MIN + core.TRANSLATE_FULL) / 2) < 1.0
    assert core.translation_weight(core.TRANSLATE_FULL + 0.2) == 1.0


def test_bm25_counts_less_for_english_questions_and_more_for_keywords() -> None:
    assert core.bm25_weight("Why did the number of reported victims fall?") == core.EN_W_BM25
    assert core.bm25_weight("Waarom daalt het aantal gemelde slachtoffers?") == core.W_BM25
    assert core.bm25_weight("daling gemelde slachtoffers") == core.KEYWORD_W_BM25
    assert core.EN_W_BM25 < core.W_BM25 < core.KEYWORD_W_BM25


def test_a_compound_name_is_also_named_by_its_head_role() -> None:
    assert core.role_heads(["adviesraad", "funderend"]) == ["raad"]
    assert core.role_heads(["adviescollege"]) == ["college"]
    assert core.role_heads(["ministerie"]) == ["minister"]
    assert core.role_heads(["raad", "stichting", "rapporteur", "kinderen"]) == []


# --------------------------------------------------------------------------- questions in the text


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Klopt het dat de wachttijd is opgelopen?", True),
        ("Wat betekent dit voor de gemeenten? ", True),
        ("Is dat zo?»", True),
        ("Ja.", False),
        ("Het aantal klachten steeg tot 412.", False),
        ("Zie de vraag: wie betaalt?  Daarover later.", False),
    ],
)
def test_a_sentence_that_asks_is_a_question(text: str, question: bool) -> None:
    assert core.is_question(text) is question


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("Welke vragen stelde het Kamerlid over de wachtlijsten?", True),
        ("Which questions did the member ask?", True),
        ("Wat staat er in de Kamervragen over drones?", True),
        ("Wat vraagt de minister aan de gemeenten?", False),
        ("Hoeveel klachten kwamen er binnen?", False),
    ],
)
def test_a_question_for_the_questions_themselves(question: str, wanted: bool) -> None:
    assert core.wants_questions(question) is wanted


# --------------------------------------------------------------------------- absent words


def test_a_word_no_document_holds_counts_as_absent() -> None:
    assert core.counts_as_absent("heliumballonnen", "heliumballon", 0, [])
    assert not core.counts_as_absent("klachten", "klacht", 12, [])  # in the documents
    assert not core.counts_as_absent("heliumballonnen", "heliumballon", 0, [0.8])  # a relative
    assert core.counts_as_absent("heliumballonnen", "heliumballon", 0, [0.1])  # too far off
    assert not core.counts_as_absent("beboet", "beboet", 0, [])  # a verb: how it is asked
    assert not core.counts_as_absent("bijhouden", "bijhoud", 0, [])  # an infinitive
    assert not core.counts_as_absent("adviesraad", "adviesraad", 0, [])  # a role: the author
    assert not core.counts_as_absent("2031", "2031", 0, [])  # a number (damaged text has none)


def test_absent_words_must_carry_a_share_of_the_question() -> None:
    # (idf, absent) per query term
    assert core.absent_share([(6.0, True), (2.0, False), (4.0, False)]) == pytest.approx(0.5)
    assert core.absent_share([]) == 0.0
    share = core.absent_share([(6.0, True), (2.0, False)])
    assert core.asks_for_absent("Hoeveel heliumballonnen werden er verkocht?", share)
    assert not core.asks_for_absent("Hoeveel heliumballonnen werden er verkocht?", 0.1)
    # an English question's words are absent from Dutch documents as a rule
    assert not core.asks_for_absent("How many helium balloons were sold?", share)


def test_a_compound_is_split_into_its_parts() -> None:
    splits = core.compound_splits("rijksorganisaties")
    assert ("rijk", "organisaties") in splits and ("rijks", "organisaties") in splits
    assert all(len(a) >= core.COMPOUND_PART and len(b) >= core.COMPOUND_PART for a, b in splits)
    assert core.compound_splits("kat") == []


def test_the_answer_names_the_words_no_letter_holds() -> None:
    text = core.compose("Hoeveel heliumballonnen?", [], found=False, absent=("heliumballonnen",))
    assert "geen passage" in text and "“heliumballonnen”" in text
    english = core.compose("How many helium balloons?", [], found=False, absent=("helium",))
    assert english.startswith("I found no passage") and "“helium”" in english
    assert "noemt" not in core.compose("Hoeveel?", [], found=False)
    cited = core.Cited("Er werden 412 klachten gemeld.", 1, "Brief", 2, 7, 0.6)
    found = core.compose("Hoeveel heliumballonnen?", [cited], found=True, absent=("helium",))
    first, rest = found.split("\n", 1)
    assert first.startswith("Geen enkele brief noemt “helium”") and "412 klachten" in rest
    assert core.compose("Hoeveel?", [cited], found=True).startswith("Volgens “Brief”")
