"""The bot's event loop: uvloop by default where installed, asyncio's on request, a clear error
when uvloop is asked for and missing; only ``briefbot run`` gets it."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.chat.loop import event_loop_factory
from bot.cli import loop_factory
from bot.cli.ops import check, run

uvloop = pytest.importorskip("uvloop")


def test_auto_and_uvloop_make_a_uvloop_loop_that_runs_a_coroutine() -> None:
    for choice in ("auto", "uvloop"):
        factory = event_loop_factory(choice)
        assert factory is not None
        with asyncio.Runner(loop_factory=factory) as runner:
            loop = runner.get_loop()
            assert isinstance(loop, uvloop.Loop)
            assert runner.run(asyncio.sleep(0, result=7)) == 7


def test_asyncio_keeps_the_standard_loop() -> None:
    assert event_loop_factory("asyncio") is None


def test_uvloop_asked_for_but_missing_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import fails as if not installed
    with pytest.raises(ValueError, match="BRIEFBOT_EVENT_LOOP=asyncio"):
        event_loop_factory("uvloop")
    assert event_loop_factory("auto") is None  # auto falls back quietly


def test_only_the_bot_command_gets_its_own_loop() -> None:
    assert loop_factory(run, "auto") is uvloop.new_event_loop
    assert loop_factory(run, "asyncio") is None
    assert loop_factory(check, "auto") is None
