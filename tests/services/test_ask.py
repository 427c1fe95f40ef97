"""Questions through a real Services on a temporary SQLite file (bot.services.ask)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core import ask as core
from bot.core.text import fold
from bot.core.vectors import SentenceEncoder, model_version
from bot.services.app import Services
from bot.services.ask import Answer
from bot.services.scope import OPERATOR, Scope
from bot.settings import Settings
from tests.letters import HandmadeLetter

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
OWN_GUILD = 111
OTHER_GUILD = 222


def settings_for(tmp_path: Path) -> Settings:
    return Settings(BRIEFBOT_DB=str(tmp_path / "b.sqlite3"), BRIEFBOT_LETTERS_DIR=str(BUNDLED))


@pytest.fixture
async def app(tmp_path: Path):
    app = await Services.open(settings_for(tmp_path))
    try:
        yield app
    finally:
        await app.close()


def texts(answer: Answer, n: int = 3) -> list[str]:
    return [fold(p.text) for p in answer.passages[:n]]


async def test_paraphrase_finds_the_regeerakkoord_passage(app: Services) -> None:
    answer = await app.answers.ask("Wat staat er over het coalitieakkoord?", scope=OPERATOR)
    assert answer.found and answer.route is None
    assert any("regeerakkoord" in t for t in texts(answer))
    assert "regeerakkoord" in fold(answer.text)
    assert all(0.0 <= p.score <= 1.0 for p in answer.passages)
    first = answer.passages[0]
    record = await app.store.letters.sentence(first.letter_id, first.sentence)
    assert record is not None and record.text == first.text and record.page == first.page
    assert "[1, p." in answer.text


async def test_english_question_finds_the_dutch_passage(app: Services) -> None:
    answer = await app.answers.ask("Why did the number of reported victims fall?", scope=OPERATOR)
    assert answer.found
    assert any("daling" in t for t in texts(answer))
    assert answer.text.startswith("According to")


@pytest.mark.parametrize(
    "question",
    [
        "Wat is het recept voor appeltaart?",
        "What is the capital of Australia?",
        "asdfgh qwerty zxcvb",
        "NEAR( OR -",
    ],
)
async def test_nonsense_is_not_answered(app: Services, question: str) -> None:
    answer = await app.answers.ask(question, scope=OPERATOR)
    assert not answer.found
    assert answer.passages == []
    assert "geen passage" in answer.text or "no passage" in answer.text


@pytest.mark.parametrize(
    ("question", "route", "arg"),
    [
        ("Geef een samenvatting van de brief over mensenhandel", "summary", "mensenhandel"),
        ("Summarize the letter", "summary", None),
        ("Welke aanbevelingen doet de rapporteur over mensenhandel?", "recommendations",
         "mensenhandel"),
        ("What does the rapporteur recommend about prevention?", "recommendations",
         "prevention"),
        ("Waar staat 'de aanpak van mensenhandel hoort niet op de reservebank'?", "quote",
         "de aanpak van mensenhandel hoort niet op de reservebank"),
        ('Where does it say "actief naar hen gezocht"?', "quote", "actief naar hen gezocht"),
    ],
)  # fmt: skip
async def test_routing_labels_the_question(
    app: Services, question: str, route: str, arg: str | None
) -> None:
    answer = await app.answers.ask(question, scope=OPERATOR)
    assert (answer.route, answer.route_arg) == (route, arg)


async def test_quoted_text_also_finds_its_sentence(app: Services) -> None:
    answer = await app.answers.ask(
        "Waar staat 'de aanpak van mensenhandel hoort niet op de reservebank'?", scope=OPERATOR
    )
    assert answer.found and "reservebank" in texts(answer, 1)[0]


@pytest.mark.parametrize(
    "question",
    ["", "   \n\t", "x" * 10_000, "?!?!", "😀😀😀", '"', "*", "NEAR(", "OR", "-", "é"],
)
async def test_bad_input_gives_an_empty_answer(app: Services, question: str) -> None:
    answer = await app.answers.ask(question, scope=OPERATOR)
    assert not answer.found and answer.passages == [] and answer.text


async def test_unknown_letter_is_a_lookup_error(app: Services) -> None:
    with pytest.raises(LookupError):
        await app.answers.ask("regeerakkoord", scope=OPERATOR, letter="no-such-letter")
    letter = next(iter(app.catalog.by_id.values()))
    answer = await app.answers.ask("regeerakkoord", scope=OPERATOR, letter=letter.slug)
    assert answer.found and {p.letter_id for p in answer.passages} == {letter.id}


async def test_embeddings_are_stored_at_ingest_and_reused(tmp_path: Path) -> None:
    app = await Services.open(settings_for(tmp_path))
    try:
        (letter,) = app.catalog.by_id.values()
        assert await app.store.vectors.count(letter.id) == letter.sentence_count > 0
        assert (await app.store.vectors.versions())[letter.id] == model_version()
        before = await app.store.vectors.for_letter(letter.id)
    finally:
        await app.close()
    app = await Services.open(settings_for(tmp_path))
    try:
        fresh = SentenceEncoder()
        app.answers.encoder = fresh
        await app.warm()
        # the index was built from stored vectors: nothing embedded (the model is loaded at
        # start, so that the first question does not wait for it)
        assert app.answers.embedded_sentences == 0
        assert await app.store.vectors.for_letter(letter.id) == before
        answer = await app.answers.ask("coalitieakkoord", scope=OPERATOR)
        assert answer.found and fresh.loaded and app.answers.embedded_sentences == 0
    finally:
        await app.close()


async def test_missing_vectors_are_filled_in_the_background_never_by_a_question(
    tmp_path: Path,
) -> None:
    """Vectors an ingest left missing (a kill while it embedded) or of another model version:
    a question meanwhile is answered from BM25 and does none of that embedding; the bot's
    background warm-up (and the next ingest: tests/services/test_letters.py) fills them in."""
    app = await Services.open(settings_for(tmp_path))
    await app.close()
    with sqlite3.connect(tmp_path / "b.sqlite3") as conn:
        conn.execute("DELETE FROM sentence_vectors")
        conn.execute("UPDATE derived SET version = 'old-model' WHERE kind = 'vectors'")
    app = await Services.open(settings_for(tmp_path))
    try:
        (letter,) = app.catalog.by_id.values()
        assert await app.store.vectors.count() == 0  # load() stays cheap
        question = "prioriteit en capaciteit voor de aanpak van mensenhandel"
        answer = await app.answers.ask(question, scope=OPERATOR)
        assert answer.found  # from BM25
        assert await app.store.vectors.count() == 0  # the question embedded no letter
        await app.warm()  # what the bot runs in the background after start
        assert await app.store.vectors.count(letter.id) == letter.sentence_count
        assert (await app.store.vectors.versions())[letter.id] == model_version()
        # the built index took them in: semantic search finds the letter now
        ranked = await app.answers.rank(question, mode="dense")
        assert ranked and ranked[0].letter_id == letter.id
    finally:
        await app.close()


async def test_scope_hides_other_guilds_letters(app: Services) -> None:
    await app.warm()  # the guild letter is then added to built indexes
    data = HandmadeLetter().text().encode()
    record, created, _ = await app.letters.add_upload(
        data, filename="opvang.txt", guild_id=OWN_GUILD
    )
    assert created
    assert await app.store.vectors.count(record.id) == record.sentence_count
    question = "What about supervision of the quality requirements?"
    own = await app.answers.ask(question, scope=Scope(guild_id=OWN_GUILD))
    assert own.found and own.passages[0].letter_id == record.id
    assert "kwaliteitseisen" in texts(own, 1)[0]
    operator = await app.answers.ask(question, scope=OPERATOR)
    assert operator.passages[0].letter_id == record.id
    for scope in (Scope(guild_id=OTHER_GUILD), Scope()):
        other = await app.answers.ask(question, scope=scope)
        assert all(p.letter_id != record.id for p in other.passages)
        assert "kwaliteitseisen" not in fold(other.text)
    with pytest.raises(LookupError):
        await app.answers.ask(question, scope=Scope(guild_id=OTHER_GUILD), letter=record.ref)


async def test_removed_letter_is_forgotten(app: Services) -> None:
    data = HandmadeLetter().text().encode()
    record, _, _ = await app.letters.add_upload(data, filename="opvang.txt", guild_id=OWN_GUILD)
    question = "What about supervision of the quality requirements?"
    assert (await app.answers.ask(question, scope=OPERATOR)).passages[0].letter_id == record.id
    assert await app.letters.remove(record.id, guild_id=OWN_GUILD)
    answer = await app.answers.ask(question, scope=OPERATOR)
    assert all(p.letter_id != record.id for p in answer.passages)
    assert await app.store.vectors.count(record.id) == 0


async def test_vector_repository_refuses_foreign_sentences(app: Services) -> None:
    (letter,) = app.catalog.by_id.values()
    before = await app.store.vectors.for_letter(letter.id)
    blob = before[0].vector
    assert not await app.store.vectors.replace(letter.id, [(10**9, blob)], version="x")
    assert not await app.store.vectors.replace(10**9, [], version="x")
    assert await app.store.vectors.for_letter(letter.id) == before
    assert [v.sentence_id for v in before] == sorted(v.sentence_id for v in before)
    batches = [rows async for rows in app.store.vectors.iter_all(batch=7)]
    assert sum(len(b) for b in batches) == len(before) and max(len(b) for b in batches) == 7
    await app.store.vectors.delete(letter.id)
    assert await app.store.vectors.count() == 0
    assert letter.id not in await app.store.vectors.versions()


# ---------------------------------------------------------------------- issue 10: first questions


async def requests_of(app: Services, letter_id: int) -> set[int]:
    recs = await app.recommendations.recommendations(OPERATOR, letter=str(letter_id))
    return {r.sentence for r in recs.recommendations if r.kind in core.REQUEST_KINDS}


@pytest.mark.parametrize(
    "question",
    [
        "Wat vraagt de rapporteur aan de informateur?",
        "What does the rapporteur ask the informateur?",
    ],
)
async def test_what_the_author_asks_the_recipient_is_answered_with_a_request(
    app: Services, question: str
) -> None:
    (letter,) = app.catalog.by_id.values()
    answer = await app.answers.ask(question, scope=OPERATOR)
    assert answer.found and answer.route is None
    assert answer.letters == (letter.id,)  # the recipient named the letter
    asks = await requests_of(app, letter.id)
    top = [p.sentence for p in answer.passages[:3]]
    assert sum(s in asks for s in top) >= 2
    # the central request (the subject into the coalition agreement) is among them
    assert any("beroep op u" in t for t in texts(answer))


async def test_what_the_letter_is_about_comes_from_its_subject(app: Services) -> None:
    (letter,) = app.catalog.by_id.values()
    for question in ("Waar gaat de brief over?", "What is the letter about?"):
        answer = await app.answers.ask(question, scope=OPERATOR)
        assert answer.found and answer.field == "subject"
        assert letter.subject and letter.subject in answer.text
        assert "1, p. 1]" in answer.text
        assert answer.passages and {p.letter_id for p in answer.passages} == {letter.id}
        asks = await requests_of(app, letter.id)
        assert any(p.sentence in asks for p in answer.passages)
    assert (await app.answers.ask("What is the letter about?", scope=OPERATOR)).text.count(
        "is about"
    ) == 1


@pytest.mark.parametrize(
    ("question", "field", "says"),
    [
        ("Who signed the letter?", "signatory", "was signed by"),
        ("Wie heeft de brief ondertekend?", "signatory", "is ondertekend door"),
        ("Aan wie is de brief gericht?", "recipient", "is gericht aan"),
        ("To whom is the letter addressed?", "recipient", "is addressed to"),
        ("Wanneer is de brief verstuurd?", "date", "is gedateerd"),
        ("Van wie is de brief?", "sender", "is van"),
    ],
)
async def test_questions_about_the_letter_itself_come_from_its_metadata(
    app: Services, question: str, field: str, says: str
) -> None:
    (letter,) = app.catalog.by_id.values()
    answer = await app.answers.ask(question, scope=OPERATOR)
    assert answer.found and answer.field == field and answer.letters == (letter.id,)
    value = {"signatory": letter.signatory, "recipient": letter.recipient,
             "date": letter.date, "sender": letter.sender}[field]  # fmt: skip
    assert value and value in answer.text and says in answer.text
    assert f"{letter.id}, p. " in answer.text  # cited


async def test_a_named_sender_answers_from_its_own_letter(app: Services) -> None:
    await app.warm()
    other = HandmadeLetter()  # the Inspectie's letter: supervision, shelter for children
    record, _, _ = await app.letters.add_upload(
        other.text().encode(), filename="opvang.txt", guild_id=None
    )
    assert record.sender and "Inspectie" in record.sender
    answer = await app.answers.ask("Wat vraagt de inspectie aan de minister?", scope=OPERATOR)
    assert answer.found and answer.letters == (record.id,)
    assert {p.letter_id for p in answer.passages} == {record.id}
    asks = await requests_of(app, record.id)
    assert answer.passages[0].sentence in asks
    who = await app.answers.ask("Wie heeft de brief van de inspectie ondertekend?", scope=OPERATOR)
    assert who.field == "signatory" and who.letters == (record.id,)
    assert record.signatory and record.signatory in who.text
    # a scope that cannot see a letter never gets it named
    hidden, _, _ = await app.letters.add_upload(
        HandmadeLetter(sender="Stichting Kinderstem Noord", signatory="Mira Okafor")
        .text()
        .encode(),
        filename="kinderstem.txt",
        guild_id=OWN_GUILD,
    )
    seen = await app.answers.ask("Wat vraagt Kinderstem aan de minister?", scope=Scope())
    assert hidden.id not in seen.letters and all(p.letter_id != hidden.id for p in seen.passages)


async def test_an_unknown_topic_is_said_and_answered_from_passages(app: Services) -> None:
    answer = await app.answers.ask("aanbevelingen over voetbal", scope=OPERATOR)
    assert answer.route is None  # not every recommendation
    assert "geen onderwerp" in answer.text and "voetbal" in answer.text
    assert "Onderwerpen die in de buurt komen" in answer.text
    english = await app.answers.ask("recommendations about football and the police", scope=OPERATOR)
    assert english.route is None and "no topic" in english.text
    assert english.found and any("politie" in t for t in texts(english))
    known = await app.answers.ask("aanbevelingen over kinderporno", scope=OPERATOR)
    assert known.route == "recommendations" and known.route_arg == "kinderporno"


async def test_passages_carry_the_sentences_that_complete_them(app: Services) -> None:
    seen_context = 0
    for question in (
        "Waarom daalde het aantal gemelde slachtoffers?",
        "Wat betreurt de rapporteur?",
        "Why has the number of reported trafficking victims dropped?",
        "Wat moet er gebeuren met kinderpornografie op Nederlandse servers?",
    ):
        answer = await app.answers.ask(question, scope=OPERATOR)
        for p in answer.passages:
            record = await app.store.letters.sentence(p.letter_id, p.sentence)
            assert record is not None
            numbers = [c.sentence for c in p.context]
            assert numbers == sorted(numbers) and p.sentence not in numbers
            assert all(abs(n - p.sentence) == 1 for n in numbers)
            before = await app.store.letters.sentence(p.letter_id, p.sentence - 1)
            if core.leans_on_previous(p.text) and before and before.section_id == record.section_id:
                assert p.sentence - 1 in numbers
                assert before.text in answer.text or p not in answer.passages[:3]
            seen_context += bool(p.context)
    assert seen_context  # the letter has sentences that lean on the one before


# --------------------------------------------------------------------------- one reply


async def test_answer_follows_the_route_the_question_asks_for(app: Services) -> None:
    """``answer`` returns one Reply the adapters render: a summary, the recommendations on a
    topic, the sentence a quoted fragment comes from, else the passages."""
    reply = await app.answers.answer("vat de brief samen", scope=OPERATOR)
    assert reply.kind == "summary" and reply.found and reply.summary is not None
    assert len(reply.summary.sentences) >= 3
    reply = await app.answers.answer("aanbevelingen over mensenhandel", scope=OPERATOR)
    assert reply.kind == "recommendations" and reply.found
    assert reply.recommendations is not None and reply.recommendations.topic == "mensenhandel"
    assert all("mensenhandel" in r.topics for r in reply.recommendations.recommendations)
    reply = await app.answers.answer(
        'waar staat "de aanpak van mensenhandel hoort niet op de reservebank"', scope=OPERATOR
    )
    assert reply.kind == "quote" and "reservebank" in reply.quotes[0].text
    reply = await app.answers.answer("Who signed the letter?", scope=OPERATOR)
    assert reply.kind == "answer" and reply.found and reply.answer.field == "signatory"
    assert reply.answer.passages == [] and "dettmeijer" in reply.answer.text.lower()
    reply = await app.answers.answer("xqzv plumbo wrrtk", scope=OPERATOR)
    assert reply.kind == "answer" and not reply.found


async def test_an_unknown_topic_is_said_never_answered_with_every_recommendation(
    app: Services,
) -> None:
    reply = await app.answers.answer("aanbevelingen over voetbal", scope=OPERATOR)
    assert reply.kind == "answer" and reply.recommendations is None
    assert reply.found and reply.answer.unknown_topic == "voetbal"
    assert "geen onderwerp “voetbal”" in reply.answer.text
    every = await app.recommendations.recommendations(OPERATOR)
    shown = {(p.letter_id, p.sentence) for p in reply.answer.passages}
    assert not {(r.letter_id, r.sentence) for r in every.recommendations} <= shown
    # a topic the letters have is answered with its recommendations only
    reply = await app.answers.answer("aanbevelingen over kinderporno", scope=OPERATOR)
    assert reply.kind == "recommendations" and reply.recommendations is not None
    assert len(reply.recommendations.recommendations) < len(every.recommendations)


async def test_an_english_question_is_searched_by_the_dutch_words_it_means(app: Services) -> None:
    """BM25 matches a Dutch sentence for an English question through the Dutch words that the
    word embeddings pair with its words ("victims" ~ "slachtoffers")."""
    candidates = await app.answers.rank("How many victims of trafficking were reported?")
    lexical = [c for c in candidates if c.bm25_rank is not None and c.coverage > 0]
    assert lexical
    records = await app.store.letters.sentences_by_ids([c.sentence_id for c in lexical[:5]])
    assert any("slachtoffer" in fold(r.text) for r in records)
    dutch_only = await app.answers.rank("How many victims of trafficking were reported?",
                                        mode="bm25")  # fmt: skip
    assert not any(c.coverage > 0.5 for c in dutch_only)  # its own words alone barely match


async def test_a_role_that_fits_many_letters_does_not_narrow_the_search(app: Services) -> None:
    """ "de minister" is the addressee of six letters here: restricting the answer to those
    would lose the one letter that says what is asked of housing corporations."""
    await app.warm()
    named = []
    for i, name in enumerate(("Noord", "Zuid", "Oost", "West", "Midden", "Kust")):
        record, _, _ = await app.letters.add_upload(
            HandmadeLetter(
                sender=f"Stichting Jeugdopvang {name}",
                reference=f"R-{i}",
                page2=[*HandmadeLetter().page2, "Wij vragen de minister om een reactie."],
            )
            .text()
            .encode(),
            filename=f"opvang-{i}.txt",
            guild_id=None,
        )
        named.append(record.id)
    housing, _, _ = await app.letters.add_upload(
        HandmadeLetter(
            sender="Gemeente Leerdingen",
            recipient_lines=["De gemeenteraad van Leerdingen"],
            salutation="Geachte leden van de raad,",
            page1=[
                "Met deze brief informeren wij u over de huisvesting van dakloze jongeren.",
                "Woningen",
                "Van woningcorporaties vragen wij om jongeren die uit de opvang komen",
                "voorrang te geven bij de toewijzing van een sociale huurwoning, zodat",
            ],
        )
        .text()
        .encode(),
        filename="huisvesting.txt",
        guild_id=None,
    )
    assert app.catalog.view(OPERATOR).ids and len(app.catalog.view(OPERATOR).ids) == 8
    answer = await app.answers.ask("Wat wil de minister van woningcorporaties?", scope=OPERATOR)
    assert answer.found and not answer.letters
    assert any(
        p.letter_id == housing.id and "woningcorporaties" in fold(p.text)
        for p in answer.passages[:3]
    )


# Invented answers to parliamentary questions (Aanhangsel style): the questions are kept in
# the document, so a question put to briefbot finds its own wording first.
DRONES = """Vragen van het lid Hoekstra (GL) aan de staatssecretaris van Infrastructuur over
geluidsoverlast van bezorgdrones (ingezonden 3 februari 2025).
Antwoord van staatssecretaris Verbeek (Infrastructuur) (ontvangen 20 februari 2025).
Vraag 1
Hoeveel klachten over geluidsoverlast van bezorgdrones kwamen er in 2024 binnen?
Antwoord 1
In 2024 ontving de inspectie 412 meldingen over bezorgdrones, bijna twee keer zoveel als in
het jaar daarvoor. De meeste meldingen gingen over vluchten in de avond.
Vraag 2
Bent u bereid regels te stellen voor vliegroutes van drones boven woonwijken?
Antwoord 2
Ja. Ik werk aan een regeling die vluchten boven woonwijken alleen toestaat op een vaste
hoogte en buiten de nachtelijke uren. Die regeling treedt naar verwachting in 2026 in werking.
Vraag 3
Wie houdt toezicht op de naleving van deze regels?
Antwoord 3
De Inspectie Leefomgeving en Transport houdt toezicht en kan bij overtredingen een boete
opleggen aan de exploitant van de drone.
"""


async def test_a_question_in_the_text_gives_way_to_its_answer(app: Services) -> None:
    await app.warm()
    record, _, _ = await app.letters.add_upload(
        DRONES.encode(), filename="drones.txt", guild_id=None
    )
    for question, words in (
        ("Hoeveel klachten over geluidsoverlast van bezorgdrones kwamen er in 2024 binnen?", "412"),
        ("Bent u bereid regels te stellen voor vliegroutes van drones boven woonwijken?", "ja"),
        ("Wie houdt toezicht op de naleving van de regels voor drones?", "inspectie leefomgeving"),
    ):
        answer = await app.answers.ask(question, scope=OPERATOR)
        assert answer.found, question
        top = answer.passages[0]
        assert top.letter_id == record.id and not core.is_question(top.text), question
        shown = fold(" ".join([top.text, *(c.text for c in top.context)]))
        assert words in shown, (question, shown)
        assert not any(core.is_question(p.text) for p in answer.passages)
    # asked for the questions themselves, the questions are answers
    asked = await app.answers.ask("Welke vragen stelde het lid over bezorgdrones?", scope=OPERATOR)
    assert asked.found and any(core.is_question(p.text) for p in asked.passages)


async def test_a_question_about_what_no_letter_mentions_says_so(app: Services) -> None:
    await app.warm()
    await app.letters.add_upload(DRONES.encode(), filename="drones.txt", guild_id=None)
    known = await app.answers.ask("Hoeveel klachten kwamen er over bezorgdrones?", scope=OPERATOR)
    assert known.found and "noemt" not in known.text
    # the same question about something no document speaks of: the answer says so first
    absent = await app.answers.ask(
        "Hoeveel klachten kwamen er over heliumballonnen?", scope=OPERATOR
    )
    assert absent.text.startswith("Geen enkele brief noemt “heliumballonnen”")
    # a verb the documents do not use is how the question is put, not what it is about
    verb = await app.answers.ask(
        "Hoeveel meldingen over bezorgdrones werden ingediend?", scope=OPERATOR
    )
    assert verb.found and "noemt" not in verb.text
    # a compound whose parts one sentence holds is spoken of ("vluchten ... in de avond")
    apart = await app.answers.ask(
        "Hoeveel avondvluchten van drones gaven meldingen?", scope=OPERATOR
    )
    assert apart.found and "noemt" not in apart.text
    # a letter the asker cannot see does not tell whether a word is mentioned
    await app.letters.add_upload(
        HandmadeLetter(
            sender="Stichting Luchtruim Vrij",
            page2=[*HandmadeLetter().page2, "Er kwamen 80 klachten over heliumballonnen binnen."],
        )
        .text()
        .encode(),
        filename="ballonnen.txt",
        guild_id=OWN_GUILD,
    )
    question = "Hoeveel klachten kwamen er over heliumballonnen?"
    outside = await app.answers.ask(question, scope=Scope())
    assert outside.text.startswith("Geen enkele brief noemt “heliumballonnen”")
    inside = await app.answers.ask(question, scope=OPERATOR)
    assert inside.found and "noemt" not in inside.text
