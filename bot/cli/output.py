"""How the CLI prints: exactly one JSON object with ``--json``, readable text otherwise."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from bot.store import LetterRecord

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


def emit_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def letter_json(rec: LetterRecord) -> dict[str, Any]:
    """The letter object of the JSON contract (``letters``, ``show``)."""
    return {
        "id": rec.number,  # the letter's number (the CLI sees the global scope: plain numbers)
        "subject": rec.subject,
        "sender": rec.sender,
        "signatory": rec.signatory,
        "recipient": rec.recipient,
        "date": rec.date,
        "reference": rec.reference,
        "contact": rec.contact,
        "pages": rec.pages,
        "sentences": rec.sentence_count,
    }


def cite(letter: int | str, page: int, sentence: int) -> str:
    return f"(letter {letter}, p. {page}, s. {sentence})"


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 letter``, ``2 letters``, ``0 pages``; ``plural`` for words that do not add an s."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def fail(args: object, message: str, *, code: int = 1) -> int:
    """Report an error as one line (``{"error": ...}`` with ``--json``); return the exit code."""
    from rich.markup import escape

    if getattr(args, "json", False):
        emit_json({"error": message})
    else:
        err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    return code
