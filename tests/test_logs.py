"""Log lines are key=value and never hold the token, whoever logs it."""

from __future__ import annotations

import logging

import pytest

from bot.logs import setup_logging

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.fixture
def logged(capsys):
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    setup_logging("INFO", secrets=["my-secret-token"])
    yield capsys
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_tokens_are_redacted_everywhere(logged):
    logging.getLogger("discord.http").info("sending Authorization: Bot %s", TOKEN)
    logging.getLogger("bot.chat").warning(
        "token my-secret-token", extra={"header": "my-secret-token"}
    )
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        logging.getLogger("bot").exception("boom")
    err = logged.readouterr().err
    assert "my-secret-token" not in err and TOKEN not in err
    assert err.count("[redacted]") >= 4


def test_lines_are_key_value(logged):
    logging.getLogger("bot.chat.errors").info(
        "command refused", extra={"command": "quote", "user": 42}
    )
    line = logged.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("ts=") and " level=INFO " in line
    assert 'msg="command refused"' in line and "command=quote" in line and "user=42" in line
