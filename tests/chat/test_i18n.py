"""Every refusal a user can meet is said in their language, as one sentence that says what to do
next: the messages the services raise are read from the source (as gettext extracts message
ids) and each must be recognised by the catalogue in ``bot/chat/i18n.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.chat import i18n
from bot.chat.digests.sender import NOT_A_MEMBER, NOT_IN_SERVER, PERMANENT
from bot.chat.i18n import MESSAGES, REFUSAL_TEXT, REFUSALS, clause, pause_reason, recognise, refusal

REPO = Path(__file__).resolve().parents[2]
RAISED = {"LookupError", "ValueError", "LetterError"}
#: Where user-facing refusals come from: the services and the text work they call.
SOURCES = [
    *sorted((REPO / "bot" / "services").rglob("*.py")),
    *(REPO / "bot" / "core" / f"{name}.py" for name in ("decode", "parse", "pdf", "schedule")),
    REPO / "bot" / "core" / "summarize.py",
]
#: Messages no user can cause (programming errors, internal checks).
INTERNAL = {
    "ManualClock needs an aware datetime",
    "naive datetime: briefbot uses aware UTC datetimes only",
    "unknown summary method 'x'; choose one of x",
}


def _sample(node: ast.expr) -> str | None:
    """The message with each formatted value replaced by a stand-in (``'x'`` for ``!r``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                assert isinstance(value, ast.FormattedValue)
                parts.append("'x'" if value.conversion == ord("r") else "x")
        return "".join(parts)
    return None


def raised_messages() -> list[tuple[str, str]]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in RAISED and node.exc.args:
                message = _sample(node.exc.args[0])
                if message is not None and message not in INTERNAL:
                    found.append((f"{path.relative_to(REPO)}:{node.lineno}", message))
    return found


def pdf_reader_messages() -> list[tuple[str, str]]:
    from bot.core import pdf

    return [("bot/core/pdf.py:_PDFIUM_ERRORS", m) for m in pdf._PDFIUM_ERRORS.values()]


MESSAGES_RAISED = raised_messages() + pdf_reader_messages()


def test_the_extraction_finds_the_refusals():
    assert len(MESSAGES_RAISED) > 40
    texts = {m for _, m in MESSAGES_RAISED}
    assert (
        "no letter 'x'" in texts and "give a few words of the sentence you are looking for" in texts
    )


@pytest.mark.parametrize(("where", "message"), MESSAGES_RAISED, ids=lambda v: str(v)[:60])
def test_every_refusal_is_recognised_and_said_in_dutch(where, message):
    found = recognise(message)
    assert found is not None, f"{where}: add a Dutch sentence for {message!r} to bot/chat/i18n.py"
    dutch = refusal(message, "nl")
    english = refusal(message, "en")
    assert dutch != english
    assert refusal(message, "nl", kind="letter") == dutch or recognise(message) is None
    for text in (dutch, english):
        assert text.endswith(".") and ". " not in text.replace("e.g. ", "")  # one sentence
        assert "{" not in text  # every value filled in


def test_catalogue_is_consistent():
    keys = {key for key, _ in REFUSALS}
    assert keys == set(REFUSAL_TEXT)
    for key, (en, nl) in REFUSAL_TEXT.items():
        assert en.endswith(".") and nl.endswith("."), key


def test_unknown_refusals_are_never_english_in_dutch():
    assert refusal("something nobody wrote down", "en") == "Something nobody wrote down."
    dutch = refusal("something nobody wrote down", "nl")
    assert "something" not in dutch and dutch.endswith(".")
    assert "Nederlandse brief" in refusal("a new reason", "nl", kind="letter")


def test_the_command_line_points_at_its_own_commands():
    message = "no letter '99'"
    assert "/letters" in refusal(message, "en")
    assert "/brieven" in refusal(message, "nl")
    assert "`briefbot letters`" in refusal(message, "en", where="cli")
    assert clause("This PDF is damaged.") == "this PDF is damaged"
    assert clause("PDF files only.") == "PDF files only"


def test_every_pause_reason_has_a_dutch_reason():
    reasons = [*PERMANENT.values(), NOT_A_MEMBER, NOT_IN_SERVER]
    for reason in reasons:
        assert pause_reason(reason, "nl") in i18n.PAUSE_REASONS_NL.values()
        assert pause_reason(reason, "en") == reason


def test_every_message_has_both_languages_and_the_same_fields():
    import string

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for key, (en, nl) in MESSAGES.items():
        assert en and nl, key
        assert fields(en) == fields(nl), key
    for key, (en, nl) in REFUSAL_TEXT.items():  # Dutch may leave out an English detail
        assert fields(nl) <= fields(en), key


def test_counts_agree_with_their_number():
    from bot.chat.i18n import n
    from bot.cli.output import count

    assert n(1, "page", "en") == "1 page" and n(2, "page", "en") == "2 pages"
    assert n(1, "page", "nl") == "1 pagina" and n(3, "page", "nl") == "3 pagina's"
    assert n(1, "sentence", "nl") == "1 zin" and n(0, "sentence", "nl") == "0 zinnen"
    assert count(1, "letter") == "1 letter" and count(2, "letter") == "2 letters"
    assert count(1, "repair") == "1 repair" and count(0, "repair") == "0 repairs"
