"""Summaries through a real Services on a temporary SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.summarize import is_boilerplate
from bot.core.text import fold
from bot.services.app import Services
from bot.services.scope import OPERATOR, Scope
from bot.settings import Settings
from tests.letters import HandmadeLetter

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"


def opvang_letter(date: str = "14 maart 2019") -> HandmadeLetter:
    return HandmadeLetter(date=date)  # on the care of unaccompanied children


@pytest.fixture
async def app(tmp_path: Path):
    settings = Settings(BRIEFBOT_DB=str(tmp_path / "b.sqlite3"), BRIEFBOT_LETTERS_DIR=str(BUNDLED))
    app = await Services.open(settings)
    try:
        yield app
    finally:
        await app.close()


@pytest.mark.parametrize(
    ("length", "n"), [(3, 3), (5, 5), (10, 10), ("short", 3), ("default", 5), ("long", 10)]
)
async def test_length_is_honoured(app: Services, length: int | str, n: int) -> None:
    summary = await app.summaries.summarize(scope=OPERATOR, length=length)
    assert len(summary.sentences) == n


async def test_sentences_are_cited_in_letter_order_without_boilerplate(app: Services) -> None:
    summary = await app.summaries.summarize(scope=OPERATOR, length=10)
    letter = summary.letter
    numbers = [c.sentence for c in summary.sentences]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    stored = {s.number: s for s in await app.store.letters.sentences(letter.id)}
    for c in summary.sentences:
        assert c.letter_id == letter.id
        assert 1 <= c.page <= letter.pages
        assert c.text == stored[c.sentence].text  # whole sentences, as in the letter
        assert c.section_heading == stored[c.sentence].section_heading
        assert not is_boilerplate(c.text)
        assert "veel succes" not in fold(c.text)
        assert "afschrift" not in fold(c.text)


async def test_default_holds_the_central_request(app: Services) -> None:
    summary = await app.summaries.summarize(scope=OPERATOR)
    assert any("beroep op u" in c.text for c in summary.sentences)


async def test_topic_that_names_a_section(app: Services) -> None:
    summary = await app.summaries.summarize(
        scope=OPERATOR, topic="Seksueel geweld tegen kinderen", length=3
    )
    assert summary.section == "seksueel geweld tegen kinderen"
    assert len(summary.sentences) == 3
    assert all(c.section_heading == summary.section for c in summary.sentences)


async def test_topic_summary_is_about_the_topic(app: Services) -> None:
    summary = await app.summaries.summarize(scope=OPERATOR, topic="regie", length=5)
    assert summary.topic == "coordinatie"
    assert summary.sentences
    for c in summary.sentences:
        assert any(w in fold(c.text) for w in ("coordin", "samenhang", "regie"))


async def test_topic_across_letters_picks_the_letter_about_it(app: Services) -> None:
    data = opvang_letter().text().encode("utf-8")
    record, _, _ = await app.letters.add_upload(data, filename="opvang.txt", guild_id=None)
    summary = await app.summaries.summarize(scope=OPERATOR, topic="opvang", length=3)
    assert summary.letter.id == record.id
    summary = await app.summaries.summarize(scope=OPERATOR, topic="regeerakkoord", length=3)
    assert summary.letter.id != record.id


async def test_most_recent_letter_is_the_default(app: Services) -> None:
    data = opvang_letter("14 maart 2019").text().encode("utf-8")
    record, _, _ = await app.letters.add_upload(data, filename="opvang.txt", guild_id=42)
    assert (await app.summaries.summarize(scope=Scope(guild_id=42))).letter.id == record.id
    # another server does not see it, and gets the bundled letter
    other = await app.summaries.summarize(scope=Scope(guild_id=7))
    assert other.letter.id != record.id
    with pytest.raises(LookupError):
        await app.summaries.summarize(scope=Scope(guild_id=7), letter=record.ref)


async def test_a_named_letter(app: Services) -> None:
    letter = next(iter(app.catalog.by_id.values()))
    by_slug = await app.summaries.summarize(scope=OPERATOR, letter=letter.slug, length=3)
    by_id = await app.summaries.summarize(scope=OPERATOR, letter=letter.ref, length=3)
    assert by_slug.letter.id == by_id.letter.id == letter.id
    assert [c.sentence for c in by_slug.sentences] == [c.sentence for c in by_id.sentences]


async def test_service_object(app: Services) -> None:
    summary = await app.summaries.summarize(scope=OPERATOR, length="short")
    assert len(summary.sentences) == 3


@pytest.mark.parametrize("length", [0, 21, "lots", "", "x" * 10_000])
async def test_bad_length(app: Services, length: object) -> None:
    with pytest.raises(ValueError):
        await app.summaries.summarize(scope=OPERATOR, length=length)  # type: ignore[arg-type]


@pytest.mark.parametrize("topic", ["", "  ", "!!!", "🙂"])
async def test_empty_topic(app: Services, topic: str) -> None:
    with pytest.raises(ValueError):
        await app.summaries.summarize(scope=OPERATOR, topic=topic)


@pytest.mark.parametrize("topic", ["xyzzy", "NEAR(", "x" * 10_000])
async def test_unknown_topic(app: Services, topic: str) -> None:
    with pytest.raises((LookupError, ValueError)):
        await app.summaries.summarize(scope=OPERATOR, topic=topic)


@pytest.mark.parametrize("letter", ["no-such-letter", "999999", '"', "x" * 10_000])
async def test_unknown_letter(app: Services, letter: str) -> None:
    with pytest.raises(LookupError):
        await app.summaries.summarize(scope=OPERATOR, letter=letter)


async def test_no_letters(tmp_path: Path) -> None:
    empty = tmp_path / "none"
    empty.mkdir()
    settings = Settings(BRIEFBOT_DB=str(tmp_path / "e.sqlite3"), BRIEFBOT_LETTERS_DIR=str(empty))
    app = await Services.open(settings)
    try:
        with pytest.raises(LookupError):
            await app.summaries.summarize(scope=OPERATOR)
        assert await app.recommendations.topics(OPERATOR) == []
        assert app.recommendations.suggest_topics("kin", OPERATOR) == []
    finally:
        await app.close()
