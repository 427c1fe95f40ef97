"""Direct messages, decided by the conversation service: help for a greeting, the language of
the message, a few questions a minute with one notice, and questions answered like /ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.app import Services
from bot.services.conversation import RATE, RateLimiter, guess_lang, is_greeting
from bot.settings import Settings

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"


@pytest.fixture
async def app(tmp_path: Path):
    settings = Settings(BRIEFBOT_DB=str(tmp_path / "c.sqlite3"), BRIEFBOT_LETTERS_DIR=str(BUNDLED))
    services = await Services.open(settings)
    try:
        yield services
    finally:
        await services.close()


def test_greetings_and_language() -> None:
    assert is_greeting("") and is_greeting("  Hallo! ") and is_greeting("good morning")
    assert not is_greeting("hallo, wat vraagt de rapporteur?")
    assert guess_lang("What does the letter ask for?") == "en"
    assert guess_lang("Wat vraagt de brief?") == "nl" and guess_lang("") == "nl"


def test_the_rate_limit_tells_once_per_window() -> None:
    limiter = RateLimiter(rate=2, per=60)
    assert limiter.hit(1, now=0)[0] and limiter.hit(1, now=1)[0]
    allowed, wait = limiter.hit(1, now=2)
    assert not allowed and wait == pytest.approx(58)
    assert limiter.should_notify(1, now=2) and not limiter.should_notify(1, now=3)
    assert limiter.hit(2, now=2)[0]  # per user
    assert limiter.hit(1, now=61)[0]  # the window moved on


async def test_a_dm_is_help_a_question_or_too_many(app: Services) -> None:
    turn = await app.conversations.receive(5, "hoi")
    assert turn.kind == "help" and turn.lang == "nl" and turn.tour is not None
    turn = await app.conversations.receive(5, "Who signed the letter?")
    assert turn.kind == "question" and turn.lang == "en"
    reply = await app.conversations.answer(turn)
    assert reply.found and "dettmeijer" in reply.answer.text.lower()
    kinds = [(await app.conversations.receive(5, "vraag")).kind for _ in range(RATE)]
    assert kinds[: RATE - 2] == ["question"] * (RATE - 2)
    assert kinds[RATE - 2 :] == ["rate_limited", "quiet"]  # told once, then silence
    other = await app.conversations.receive(6, "samenvatting")
    assert other.kind == "question"
    reply = await app.conversations.answer(other)
    assert reply.kind == "summary" and len(reply.summary.sentences) == 5  # as /ask says it
