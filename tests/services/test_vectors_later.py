"""Answerable before vectors (issue 14): an ingest stores and indexes a letter for quotes,
recommendations and BM25 questions at once; its sentence vectors follow in the background
(the vector job of the services' scheduler), and questions use them as they come."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.vectors import model_version
from bot.services.app import Services
from bot.services.scope import OPERATOR
from bot.services.vectors import vector_status
from bot.settings import Settings
from tests.letters import HandmadeLetter

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"


def settings_for(tmp_path: Path) -> Settings:
    return Settings(BRIEFBOT_DB=str(tmp_path / "b.sqlite3"), BRIEFBOT_LETTERS_DIR=str(BUNDLED))


def write_letter(tmp_path: Path) -> Path:
    path = tmp_path / "opvang.txt"
    path.write_text(HandmadeLetter().text(), encoding="utf-8")
    return path


class NoSender:
    async def send(self, sub, digest) -> int:  # pragma: no cover - no digests here
        raise AssertionError("no digest is due")

    async def find_sent(self, sub, digest) -> int | None:  # pragma: no cover
        return None

    async def notify_paused(self, sub, reason: str) -> None:  # pragma: no cover
        return None

    async def check_membership(self, sub) -> None:  # pragma: no cover
        return None


async def test_a_letter_is_answerable_before_its_vectors_and_they_follow(tmp_path: Path) -> None:
    app = await Services.open(settings_for(tmp_path))
    try:
        await app.warm()  # the indexes are built, as in the bot
        report = await app.letters.add_path([write_letter(tmp_path)], vectors="later")
        (item,) = report.ingested
        letter = item.letter
        assert item.status == "added"
        # nothing embedded yet, and that is said
        assert await app.store.vectors.count(letter.id) == 0
        assert report.vectors_pending == letter.sentence_count > 0
        progress = app.answers.pending()
        assert progress.pending_letters == 1
        assert progress.pending_sentences == letter.sentence_count
        stored = await vector_status(app.store)
        assert stored == progress  # the store says the same as memory
        # answerable: quote lookup, recommendations, a question by its words
        (match, *_) = await app.quotes.find("financiering van deze plaatsen", scope=OPERATOR)
        assert match.letter_id == letter.id and match.score >= 80
        recs = await app.store.recommendations.list([letter.id])
        assert recs  # "Ik verzoek u ... te garanderen"
        answer = await app.answers.ask("toezicht naleving kwaliteitseisen", scope=OPERATOR)
        assert answer.found and answer.passages[0].letter_id == letter.id
        dense = await app.answers.rank("toezicht op de kwaliteitseisen", mode="dense")
        assert all(c.letter_id != letter.id for c in dense)  # no vectors yet
        # the catch-up: stored, counted, and taken into the built dense index
        assert await app.answers.backfill() == 1
        assert await app.store.vectors.count(letter.id) == letter.sentence_count
        assert (await app.store.vectors.versions())[letter.id] == model_version()
        assert app.answers.pending().pending_sentences == 0
        dense = await app.answers.rank("toezicht op de kwaliteitseisen", mode="dense")
        assert dense and dense[0].letter_id == letter.id
        assert await app.answers.backfill() == 0  # nothing left
    finally:
        await app.close()


def second_letter(tmp_path: Path) -> Path:
    path = tmp_path / "tweede.txt"
    path.write_text(
        HandmadeLetter(
            subject="Wachtlijsten in de jeugdzorg",
            page1=[
                "Met deze brief deel ik u mee hoe lang jongeren op jeugdzorg wachten.",
                "Wachtlijsten",
                "In elf regio's wachten jongeren langer dan twaalf weken op hulp.",
            ],
            page2=[
                "Ik verzoek u de gemeenten te vragen elk kwartaal te rapporteren.",
                "De gemeenten moeten de wachttijden openbaar maken.",
            ],
        ).text(),
        encoding="utf-8",
    )
    return path


async def wait_for(check, seconds: float = 60) -> bool:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_the_vector_job_catches_up_in_the_bot(tmp_path: Path) -> None:
    """The scheduler's vector job fills in what waits at start and what arrives later."""
    app = await Services.open(settings_for(tmp_path))
    try:
        assert "vectors" in app.scheduler.jobs
        (first,) = (await app.letters.add_path([write_letter(tmp_path)], vectors="later")).ingested
        await app.warm(vectors=False)  # as the bot does: the indexes only
        assert app.answers.pending().pending_letters == 1
        app.start(sender=NoSender())

        async def first_done() -> bool:
            return await app.store.vectors.count(first.letter.id) == first.letter.sentence_count

        assert await wait_for(first_done)
        # a letter that arrives while the bot runs wakes the job
        report = await app.letters.add_path([second_letter(tmp_path)], vectors="later")
        (item,) = report.ingested
        assert item.status == "added" and report.vectors_pending == item.letter.sentence_count

        async def second_done() -> bool:
            return await app.store.vectors.count(item.letter.id) == item.letter.sentence_count

        assert await wait_for(second_done)
        assert await wait_for(lambda: _true(app.answers.pending().pending_sentences == 0))
        dense = await app.answers.rank("wachtlijsten jeugdzorg regio's", mode="dense")
        assert dense and dense[0].letter_id == item.letter.id  # in the built dense index
    finally:
        await app.close()


async def _true(value: bool) -> bool:
    return value


async def test_a_letter_removed_before_its_vectors_is_not_embedded(tmp_path: Path) -> None:
    app = await Services.open(settings_for(tmp_path))
    try:
        report = await app.letters.add_path([write_letter(tmp_path)], vectors="later")
        (item,) = report.ingested
        assert await app.letters.remove(item.letter.id, guild_id=None)
        assert app.answers.pending().pending_letters == 0
        assert await app.answers.backfill() == 0
        assert await app.store.vectors.count(item.letter.id) == 0
    finally:
        await app.close()


async def test_the_catch_up_encodes_letters_together_and_stores_each_its_own(
    tmp_path: Path,
) -> None:
    # the catch-up encodes the waiting letters in batches across letters
    # (bot.services.vectors.ENCODE_AHEAD); each letter must get exactly its own sentences'
    # vectors, in order
    import numpy as np

    from bot.core.vectors import from_blobs

    topics = ["de opvang van kinderen", "het toezicht op gemeenten", "de huisvesting van gezinnen"]
    paths = []
    for i, topic in enumerate(topics):
        lines = [
            f"Over {topic} meldt regio {i * 10 + k} dat overleg {k + 2} keer per jaar plaatsvindt."
            for k in range(12 + 5 * i)
        ]
        letter = HandmadeLetter(subject=f"Rapportage over {topic}", reference=f"R-{i}", page1=lines)
        path = tmp_path / f"brief-{i}.txt"
        path.write_text(letter.text(), encoding="utf-8")
        paths.append(path)
    app = await Services.open(settings_for(tmp_path))
    try:
        report = await app.letters.add_path(paths, vectors="later")
        added = [i.letter for i in report.ingested if i.status == "added"]
        assert len(added) == 3
        assert await app.answers.backfill(workers=2) == 3
        for letter in added:
            records = await app.store.letters.sentences(letter.id)
            stored = from_blobs([v.vector for v in await app.store.vectors.for_letter(letter.id)])
            alone = app.answers.encoder.encode([r.text for r in records])
            assert stored.shape == alone.shape
            assert np.allclose(stored, alone, atol=2e-3)  # float16 as stored
    finally:
        await app.close()
