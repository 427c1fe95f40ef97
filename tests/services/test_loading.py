"""Start-up never hangs a request (issue 14): while an index is still being built, a request
that may not wait (the bot's) is told "still loading, about N s" in the user's language, the
build goes on, and the same request is answered once it is ready."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.core.errors import Refused
from bot.core.refusals import say
from bot.services.app import Services
from bot.services.lazy import LazyIndex
from bot.services.scope import OPERATOR
from bot.settings import Settings

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"


@pytest.fixture
async def app(tmp_path: Path):
    settings = Settings(BRIEFBOT_DB=str(tmp_path / "b.sqlite3"), BRIEFBOT_LETTERS_DIR=str(BUNDLED))
    app = await Services.open(settings)
    try:
        yield app
    finally:
        await app.close()


async def test_a_request_during_the_build_hears_still_loading_then_is_answered(app):
    app.quotes.ready_wait = 0.0  # the bot's budget, shrunk to nothing: the build is not done
    app.answers.ready_wait = 0.0
    with pytest.raises(Refused) as quote_refusal:
        await app.quotes.find("aanpak van mensenhandel", scope=OPERATOR)
    assert quote_refusal.value.key == "still_loading"
    seconds = quote_refusal.value.params["seconds"]
    assert isinstance(seconds, int) and seconds >= 1
    assert "about" in say(quote_refusal.value, "en", where="discord")
    assert "ongeveer" in say(quote_refusal.value, "nl", where="discord")
    with pytest.raises(Refused) as ask_refusal:
        await app.answers.ask("Wat vraagt de rapporteur?", scope=OPERATOR)
    assert ask_refusal.value.key == "still_loading"
    # the refusal did not stop the build: it finishes, and the same requests are answered
    await app.quotes.warm()
    await app.answers.warm()
    assert await app.quotes.find("aanpak van mensenhandel", scope=OPERATOR)
    assert (await app.answers.ask("Wat vraagt de rapporteur?", scope=OPERATOR)).found


async def test_the_command_line_waits_for_the_index(app):
    assert app.quotes.ready_wait is None  # until the bot starts serving
    assert await app.quotes.find("aanpak van mensenhandel", scope=OPERATOR)


async def test_services_start_sets_the_budget(app):
    class NoSender:
        async def send(self, sub, digest) -> int:  # pragma: no cover
            raise AssertionError

        async def find_sent(self, sub, digest) -> None:  # pragma: no cover
            return None

        async def notify_paused(self, sub, reason: str) -> None:  # pragma: no cover
            return None

        async def check_membership(self, sub) -> None:  # pragma: no cover
            return None

    app.start(sender=NoSender())
    assert app.quotes.ready_wait and app.answers.ready_wait
    assert app.quotes.ready_wait < 3  # Discord's limit for a first response


async def test_lazy_index_estimates_and_survives_an_impatient_caller():
    release = asyncio.Event()

    async def build() -> str:
        lazy.advance(0.5)
        await release.wait()
        return "index"

    lazy: LazyIndex[str] = LazyIndex(build)
    with pytest.raises(Refused) as refusal:
        await lazy.get(wait=0.05)
    assert lazy.building and 0 < lazy.progress < 1
    assert 1 <= refusal.value.params["seconds"] <= 10
    waiter = asyncio.create_task(lazy.get())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    release.set()
    assert await waiter == "index" and lazy.value == "index" and lazy.eta() == 0
    assert await lazy.get(wait=0) == "index"
