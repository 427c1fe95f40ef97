"""Structured log lines (``key=value``), with secrets redacted before anything is written.

Every record passes :class:`Redactor`, which replaces the bot token (and anything that looks
like a Discord token) with ``[redacted]``, whatever logger it came from: discord.py's own
loggers included. DM text is never passed to the logger by briefbot's code.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

# A Discord bot token: three base64url parts separated by dots (id.timestamp.hmac).
_TOKEN_SHAPE = re.compile(r"[A-Za-z\d_-]{23,28}\.[A-Za-z\d_-]{6,7}\.[A-Za-z\d_-]{27,}")
_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class Redactor(logging.Filter):
    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s]

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return _TOKEN_SHAPE.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        for key, value in list(vars(record).items()):
            if key not in _RESERVED and isinstance(value, str):
                setattr(record, key, self.scrub(value))
        return True


class KeyValueFormatter(logging.Formatter):
    """``ts=2026-11-28T05:31:57.123Z level=INFO logger=bot.chat msg="..." command=quote ...``"""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        parts = [
            f"ts={ts}Z",
            f"level={record.levelname}",
            f"logger={record.name}",
            f"msg={_quote(record.getMessage())}",
        ]
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                parts.append(f"{key}={_quote(str(value))}")
        line = " ".join(parts)
        if record.exc_text or record.exc_info:
            exc = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
            line += " exc=" + _quote(exc)
        return line


def _quote(value: str) -> str:
    if value and not any(ch in value for ch in ' "=\n\t'):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (it may be replaced after start-up)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def setup_logging(level: str = "INFO", secrets: list[str] | None = None) -> Redactor:
    """Route every logger (briefbot's and discord.py's) through one redacting handler."""
    # A failing handler must not print the record (and so a secret) in its own traceback.
    logging.raiseExceptions = False
    handler = _StderrHandler()
    redactor = Redactor(secrets)
    handler.addFilter(redactor)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # At DEBUG these two log whole gateway events and HTTP bodies: DM text and answers. Never.
    floor = max(logging.getLevelName(level), logging.INFO)
    for name in ("discord.gateway", "discord.http"):
        logging.getLogger(name).setLevel(floor)
    # discord.client's only INFO line is "logging in using static token": noise before the one
    # line that says whether the start worked (its warnings and errors still show).
    logging.getLogger("discord.client").setLevel(
        logging.DEBUG if logging.getLevelName(level) == logging.DEBUG else logging.WARNING
    )
    return redactor
