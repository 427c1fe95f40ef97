"""Recommendations and topics through a real Services on a temporary SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core.recommend import is_closing_formula
from bot.core.text import fold
from bot.services.app import Services
from bot.services.recommendations import VERSION, TopicNotFound
from bot.services.scope import OPERATOR, Scope
from bot.settings import Settings
from bot.store.records import RecommendationRow, TopicRow
from tests.letters import HandmadeLetter

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"


def online_letter() -> HandmadeLetter:
    """A handmade letter on another subject, with its own recommendations."""
    return HandmadeLetter(
        subject="Beeldmateriaal van seksueel misbruik op internet",
        page1=[
            "Met deze brief informeer ik u over de verspreiding van kinderpornografie via",
            "Nederlandse servers.",
            "Verwijderen van beeldmateriaal",
            "Het aantal meldingen van beeldmateriaal is de afgelopen jaren sterk gestegen. Ik",
            "beveel u aan hostingbedrijven te verplichten kinderpornografisch materiaal binnen",
            "een dag te verwijderen, zodat slachtoffers niet opnieuw",
        ],
        page2=[
            "worden getroffen. Ik pleit daarnaast voor een webcrawler die het openbare internet",
            "doorzoekt naar bekend materiaal.",
            "Hulp aan slachtoffers",
            "Slachtoffers van online misbruik vinden nog te weinig passende therapie. Het is van",
            "groot belang dat therapeuten hiervoor worden opgeleid.",
        ],
    )


async def open_app(tmp_path: Path, letters: Path = BUNDLED) -> Services:
    settings = Settings(BRIEFBOT_DB=str(tmp_path / "b.sqlite3"), BRIEFBOT_LETTERS_DIR=str(letters))
    return await Services.open(settings)


@pytest.fixture
async def app(tmp_path: Path):
    app = await open_app(tmp_path)
    try:
        yield app
    finally:
        await app.close()


async def test_page_break_request_is_found_whole(app: Services) -> None:
    answer = await app.recommendations.recommendations(OPERATOR)
    found = [r for r in answer.recommendations if "beroep op u" in r.text]
    assert len(found) == 1
    rec = found[0]
    assert rec.kind == "request"
    assert "regeerakkoord" in rec.text and "coördinatie" in rec.text
    assert rec.text.rstrip().endswith("het geval is.")
    assert rec.page == 1
    assert {"regeerakkoord", "coordinatie", "mensenhandel"} <= set(rec.topics)
    letter = app.catalog.by_id[rec.letter_id]
    stored = await app.store.letters.sentence(letter.id, rec.sentence)
    assert stored is not None and stored.text == rec.text


async def test_no_boilerplate_and_letter_order(app: Services) -> None:
    answer = await app.recommendations.recommendations(OPERATOR)
    assert len(answer.recommendations) >= 10
    for rec in answer.recommendations:
        assert not is_closing_formula(rec.text)
        assert "veel succes" not in fold(rec.text)
        assert "afschrift" not in fold(rec.text)
        assert rec.kind in {"request", "plea", "advice", "requirement", "concern"}
        assert rec.topics
    numbers = [r.sentence for r in answer.recommendations]
    assert numbers == sorted(numbers)


async def test_grouped_by_topic_each_once(app: Services) -> None:
    answer = await app.recommendations.recommendations(OPERATOR)
    groups = answer.grouped()
    assert len(groups) >= 3
    seen = []
    for topic, recs in groups:
        assert topic.recommendations == len(recs)
        assert topic.name
        for rec in recs:
            assert rec.topics[0] == topic.slug
            seen.append((rec.letter_id, rec.sentence))
    assert sorted(seen) == sorted((r.letter_id, r.sentence) for r in answer.recommendations)


@pytest.mark.parametrize(
    ("query", "slug", "word"),
    [
        ("kinderporno", "kinderpornografie", "kinderpornografie"),
        ("coördinatie", "coordinatie", "co"),
        ("Coordinatie", "coordinatie", "co"),
        ("regeerakkoord", "regeerakkoord", "regeerakkoord"),
        ("coalitieakkoord", "regeerakkoord", "regeerakkoord"),
        ("online misbruik", "online-seksueel-geweld", "online"),
        ("sekswerk", "prostitutie", "prostitu"),
    ],
)
async def test_topic_synonyms_find_the_recommendations(
    app: Services, query: str, slug: str, word: str
) -> None:
    answer = await app.recommendations.recommendations(OPERATOR, topic=query)
    assert answer.topic == slug
    assert answer.recommendations
    assert all(slug in r.topics for r in answer.recommendations)
    assert any(word in fold(r.text) for r in answer.recommendations)
    groups = answer.grouped()
    assert [t.slug for t, _ in groups] == [slug]


@pytest.mark.parametrize("query", ["xyzzy", "quantumfysica", "voetbal"])
async def test_unknown_topic_says_so_with_the_topics_there_are(app: Services, query: str) -> None:
    with pytest.raises(TopicNotFound) as info:
        await app.recommendations.recommendations(OPERATOR, topic=query)
    missing = info.value
    assert isinstance(missing, LookupError)  # adapters that catch LookupError still work
    assert missing.query == query
    assert missing.mentions == 0  # the letters never use the word
    assert missing.suggestions and not missing.close  # nothing close: the main topics
    assert str(missing).startswith(f"no topic {query!r}")


async def test_a_topic_never_jumps_to_a_broad_one(app: Services) -> None:
    # "gedwongen" is in a term of mensenhandel, "abortus" in nothing: no topic, and not
    # every recommendation on mensenhandel.
    with pytest.raises(TopicNotFound) as info:
        await app.recommendations.recommendations(OPERATOR, topic="gedwongen abortus")
    assert info.value.query == "gedwongen abortus"
    assert all(r.slug for r in info.value.suggestions)


@pytest.mark.parametrize("query", ["slachtoffers", "slachtoffer", "Slachtoffers", "victims"])
async def test_singular_plural_and_english_resolve_alike(app: Services, query: str) -> None:
    answer = await app.recommendations.recommendations(OPERATOR, topic=query)
    reference = await app.recommendations.recommendations(OPERATOR, topic="slachtoffers")
    assert answer.topic == reference.topic
    assert [r.sentence for r in answer.recommendations] == [
        r.sentence for r in reference.recommendations
    ]
    assert answer.recommendations
    if answer.matched_by == "words":  # no topic of that name: what mentions the word
        assert all("slachtoffer" in fold(r.text) for r in answer.recommendations)


async def test_words_in_the_text_without_recommendations_say_so(app: Services) -> None:
    # The bundled letter mentions "Deetman" (an inquiry) but recommends nothing about it.
    with pytest.raises(TopicNotFound) as info:
        await app.recommendations.recommendations(OPERATOR, topic="Deetman")
    assert info.value.mentions >= 1
    assert "no recommendation" in str(info.value)


async def test_a_topic_without_recommendations_counts_its_mentions(tmp_path: Path) -> None:
    app = await open_app(tmp_path)
    try:
        topics = await app.recommendations.topics(OPERATOR)
        empty = [t for t in topics if t.recommendations == 0]
        if not empty:
            pytest.skip("every topic of the bundled letters has a recommendation")
        answer = await app.recommendations.recommendations(OPERATOR, topic=empty[0].slug)
        assert answer.recommendations == []
        assert answer.matched_by == "topic"
        assert answer.mentions is not None and answer.mentions >= 1
    finally:
        await app.close()


def advisory_letter() -> HandmadeLetter:
    """A handmade advice of a council that writes about itself in the third person."""
    return HandmadeLetter(
        sender="Raad voor Jeugd en Samenleving",
        signatory="prof. dr. L.M. Verhoeven",
        subject="Advies over het wetsvoorstel pleegzorg",
        salutation="Excellentie,",
        page1=[
            "Bij brief van 3 februari heeft u de Raad voor Jeugd en Samenleving (hierna: de",
            "Raad) om advies gevraagd. De Raad onderschrijft het doel van het wetsvoorstel.",
            "Pleegzorg",
            "Het aantal pleeggezinnen daalt al jaren. De Raad beveelt aan de vergoeding voor",
            "pleegouders te verhogen. De Raad is bezorgd dat",
        ],
        page2=[
            "pleegkinderen anders vaker van gezin wisselen. Hij verzoekt u de gevolgen",
            "binnen een jaar te laten onderzoeken.",
            "In 2019 heeft de Raad al geadviseerd de wachtlijsten aan te pakken.",
        ],
        closing="Hoogachtend,",
        copies=None,
    )


async def test_a_council_in_the_third_person(app: Services) -> None:
    data = advisory_letter().text().encode("utf-8")
    record, _, _ = await app.letters.add_upload(data, filename="raad.txt", guild_id=5)
    answer = await app.recommendations.recommendations(Scope(guild_id=5), letter=record.ref)
    found = {r.kind: r.text for r in answer.recommendations}
    assert "vergoeding" in found.get("advice", "")
    assert "bezorgd" in found.get("concern", "")
    assert "onderzoeken" in found.get("request", "")
    assert not any("2019" in r.text or "onderschrijft" in r.text for r in answer.recommendations)


async def test_words_topic_in_summaries(app: Services) -> None:
    summary = await app.summaries.summarize(scope=OPERATOR, topic="victims", length=3)
    assert summary.sentences and summary.topic
    assert all("slachtoffer" in fold(c.text) for c in summary.sentences)


@pytest.mark.parametrize("query", ["", "   ", "!!!", "🙂", '"', "*", "-"])
async def test_empty_topic_is_a_value_error(app: Services, query: str) -> None:
    with pytest.raises(ValueError):
        await app.recommendations.recommendations(OPERATOR, topic=query)


@pytest.mark.parametrize("query", ["NEAR(", "OR", "x" * 10_000, "mensenhandel OR *"])
async def test_odd_topics_fail_cleanly(app: Services, query: str) -> None:
    try:
        answer = await app.recommendations.recommendations(OPERATOR, topic=query)
    except (LookupError, ValueError):
        return
    assert answer.topic is not None  # it resolved to a real topic: then it must hold


async def test_unknown_letter(app: Services) -> None:
    with pytest.raises(LookupError):
        await app.recommendations.recommendations(OPERATOR, letter="no-such-letter")
    with pytest.raises(ValueError):
        await app.recommendations.recommendations(OPERATOR, letter="  ")


async def test_topics_counts_match_recommendations(app: Services) -> None:
    topics = await app.recommendations.topics(OPERATOR)
    slugs = [t.slug for t in topics]
    assert len(slugs) == len(set(slugs))
    assert {"mensenhandel", "seksueel-geweld-tegen-kinderen", "regeerakkoord"} <= set(slugs)
    counts = [t.recommendations for t in topics]
    assert counts == sorted(counts, reverse=True)
    for t in topics[:5]:
        answer = await app.recommendations.recommendations(OPERATOR, topic=t.slug)
        assert len(answer.recommendations) == t.recommendations


async def test_scope_hides_another_servers_letter(app: Services) -> None:
    data = online_letter().text().encode("utf-8")
    record, created, _ = await app.letters.add_upload(data, filename="online.txt", guild_id=42)
    assert created
    mine, other = Scope(guild_id=42), Scope(guild_id=7)

    answer = await app.recommendations.recommendations(mine, topic="kinderporno")
    letters = {r.letter_id for r in answer.recommendations}
    assert record.id in letters
    texts = [r.text for r in answer.recommendations if r.letter_id == record.id]
    assert any(t.startswith("Ik beveel u aan hostingbedrijven") for t in texts)  # page break

    hidden = await app.recommendations.recommendations(other)
    assert record.id not in {r.letter_id for r in hidden.recommendations}
    with pytest.raises(LookupError):
        await app.recommendations.recommendations(other, letter=record.ref)
    other_topics = {t.slug for t in await app.recommendations.topics(other)}
    mine_topics = {t.slug for t in await app.recommendations.topics(mine)}
    assert "verwijderen-van-beeldmateriaal" not in other_topics  # a heading of that letter
    assert "verwijderen-van-beeldmateriaal" in mine_topics
    assert all(
        s != "verwijderen-van-beeldmateriaal"
        for s, _ in app.recommendations.suggest_topics("verw", other)
    )
    assert ("verwijderen-van-beeldmateriaal", "verwijderen van beeldmateriaal") in (
        app.recommendations.suggest_topics("verw", mine)
    )


async def test_max_letters_keeps_the_most_recent_and_says_how_many(app: Services) -> None:
    data = online_letter().text().encode("utf-8")
    newest, _, _ = await app.letters.add_upload(data, filename="online.txt", guild_id=42)
    scope = Scope(guild_id=42)
    everything = await app.recommendations.recommendations(scope)
    assert everything.letters_total == everything.letters_searched == 2
    assert len({r.letter_id for r in everything.recommendations}) == 2

    capped = await app.recommendations.recommendations(scope, max_letters=1)
    assert (capped.letters_total, capped.letters_searched) == (2, 1)
    assert {r.letter_id for r in capped.recommendations} == {newest.id}

    one = await app.recommendations.recommendations(scope, letter=newest.ref, max_letters=1)
    assert (one.letters_total, one.letters_searched) == (1, 1)


async def test_removing_a_letter_forgets_its_recommendations_and_topics(
    app: Services, tmp_path: Path
) -> None:
    data = online_letter().text().encode("utf-8")
    record, _, _ = await app.letters.add_upload(data, filename="online.txt", guild_id=42)
    assert await app.letters.remove(record.id, guild_id=42)
    answer = await app.recommendations.recommendations(OPERATOR)
    assert record.id not in {r.letter_id for r in answer.recommendations}
    assert "verwijderen-van-beeldmateriaal" not in {
        t.slug for t in await app.recommendations.topics(OPERATOR)
    }
    with sqlite3.connect(tmp_path / "b.sqlite3") as conn:
        rows = conn.execute(
            "SELECT count(*) FROM topics WHERE slug = 'verwijderen-van-beeldmateriaal'"
        ).fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM topics WHERE id NOT IN (SELECT topic_id FROM letter_topics)"
        ).fetchone()[0]
    assert rows == 0 and orphans == 0


async def test_derived_version_is_recorded_and_stale_data_is_recomputed(tmp_path: Path) -> None:
    app = await open_app(tmp_path)
    await app.close()
    db = tmp_path / "b.sqlite3"
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "SELECT version FROM derived WHERE kind = 'recommendations'"
        ).fetchall() == [(VERSION,)]
        before = conn.execute("SELECT count(*) FROM recommendations").fetchone()[0]
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM recommendations")
        conn.execute("DELETE FROM letter_topics")
        conn.execute("UPDATE derived SET version = 'old' WHERE kind = 'recommendations'")
    assert before >= 10
    app = await open_app(tmp_path)
    try:
        answer = await app.recommendations.recommendations(OPERATOR)
        assert len(answer.recommendations) == before
        assert await app.recommendations.topics(OPERATOR)
    finally:
        await app.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "SELECT version FROM derived WHERE kind = 'recommendations'"
        ).fetchall() == [(VERSION,)]


async def test_suggest_topics_from_memory(app: Services) -> None:
    everything = app.recommendations.suggest_topics("", OPERATOR)
    assert 0 < len(everything) <= 25
    assert all(isinstance(s, str) and isinstance(n, str) for s, n in everything)
    kin = app.recommendations.suggest_topics("kind", OPERATOR)
    assert kin and all("kind" in fold(n) or "kind" in s for s, n in kin)
    assert app.recommendations.suggest_topics("kinderporno", OPERATOR)[0][0] == "kinderpornografie"
    assert app.recommendations.suggest_topics("coörd", OPERATOR)[0][0] == "coordinatie"
    assert len(app.recommendations.suggest_topics("", OPERATOR, limit=3)) == 3
    for odd in ["zzzz", "NEAR(", "x" * 10_000]:
        assert app.recommendations.suggest_topics(odd, OPERATOR) == []
    for odd in ["🙂", '"', "\x00", "   "]:  # nothing to match on: the usual list
        assert app.recommendations.suggest_topics(odd, OPERATOR) == everything
    assert app.recommendations.suggest_topics("kind", OPERATOR, limit=-5) == []


async def test_a_large_new_scope_gets_its_topics_off_the_event_loop(
    app: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import threading

    from bot.services import recommendations as module

    monkeypatch.setattr(module, "INLINE_TOPIC_LETTERS", 0)  # as if the scope had 10,000 letters
    computed_in: list[str] = []
    compute = app.recommendations._visible_topics

    def spy(letter_ids):
        computed_in.append(threading.current_thread().name)
        return compute(letter_ids)

    monkeypatch.setattr(app.recommendations, "_visible_topics", spy)
    assert app.recommendations.suggest_topics("kind", Scope(guild_id=99)) == []  # not yet
    for _ in range(100):
        await asyncio.sleep(0.01)
        if app.recommendations.suggest_topics("kind", Scope(guild_id=99)):
            break
    assert app.recommendations.suggest_topics("kind", Scope(guild_id=99))
    assert computed_in and threading.main_thread().name not in computed_in


async def test_a_letter_analysed_by_another_process_is_read_not_analysed_again(
    app: Services,
) -> None:
    """A letter another process stored and analysed reaches this one through the change feed
    (``on_letter_added``): its topics and counts come from the store, as that process found
    them, instead of the analysis being done again in every process."""
    (letter,) = await app.store.letters.list(guild_id=None)
    # what "the other process" found (unlike what this analyser finds in the letter)
    assert await app.store.recommendations.replace(
        letter.id,
        topics=[TopicRow("een-ander-thema", "Een ander thema", 9.0)],
        recommendations=[RecommendationRow(1, "request", None, ("een-ander-thema",))],
        version=VERSION,
    )
    await app.recommendations.on_letter_added(letter)
    topics = {t.slug: t.recommendations for t in await app.recommendations.topics(OPERATOR)}
    assert topics == {"een-ander-thema": 1}
    assert app.recommendations.letter_topic_weights(letter.id) == {"een-ander-thema": 9.0}
    # stored by an older analyser: analysed again here
    await app.store.recommendations.replace(letter.id, topics=[], recommendations=[], version="0")
    await app.recommendations.on_letter_added(letter)
    assert "een-ander-thema" not in {t.slug for t in await app.recommendations.topics(OPERATOR)}
    assert (await app.store.recommendations.versions(letter.id)) == {letter.id: VERSION}
