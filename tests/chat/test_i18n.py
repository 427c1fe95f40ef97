"""Every refusal a user can meet is said in their language, as one sentence that says what to do
next: services and the text work raise errors that carry a message key (``bot.core.errors``);
every key has English and Dutch in the catalogue (``bot.core.refusals``), and every place that
raises one uses a known key with the values its sentences need (read from the source, as
gettext extracts message ids). No English sentence is matched anywhere."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from bot.chat import i18n
from bot.chat.digests.sender import NOT_A_MEMBER, NOT_IN_SERVER, PERMANENT
from bot.chat.errors import explain
from bot.chat.i18n import MESSAGES, pause_reason
from bot.core.errors import NotFound, Refused, UserError
from bot.core.models import LetterError
from bot.core.refusals import POINTERS, TEXT, clause, say
from bot.core.topics import TopicNotFound, TopicRef

REPO = Path(__file__).resolve().parents[2]
#: Where refusals are raised: the services and the text work they call.
SOURCES = sorted(
    [*(REPO / "bot" / "services").rglob("*.py"), *(REPO / "bot" / "core").glob("*.py")]
)
KEYED = {"UserError", "Refused", "NotFound", "LetterError", "Note"}
#: Plain ValueErrors no user can cause (programming errors, internal checks).
INTERNAL = {
    "ManualClock needs an aware datetime",
    "naive datetime: briefbot uses aware UTC datetimes only",
    "naive datetime: briefbot stores aware UTC datetimes only",
    "one section id per sentence is needed",
    "add_letter takes the sentences of exactly one letter",
    "one vector per sentence id is needed",
    "batch must be at least 1",
    "unknown summary method ",  # the summary method is the code's choice, never a user's
    "expected a ",  # a vector of the wrong size (bot.core.vectors)
    "stored vector ",  # a damaged stored vector: the letter is found by BM25 only
}


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def keyed_calls() -> list[tuple[str, ast.Call]]:
    """``(where, call)`` for every construction of a keyed error in the sources."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node) in KEYED:
                found.append((f"{path.relative_to(REPO)}:{node.lineno}", node))
    return found


CALLS = keyed_calls()


def test_the_extraction_finds_the_refusals():
    assert len(CALLS) > 50
    keys = {c.args[0].value for _, c in CALLS if c.args and isinstance(c.args[0], ast.Constant)}
    assert {"no_letter", "empty_quote", "bad_time", "binary", "pdf_busy"} <= keys


@pytest.mark.parametrize(("where", "call"), CALLS, ids=[w for w, _ in CALLS])
def test_every_raise_site_uses_a_known_key_with_its_values(where, call):
    assert call.args, f"{where}: a refusal needs a message key"
    first = call.args[0]
    if isinstance(first, ast.Starred) or not isinstance(first, ast.Constant):
        return  # the key comes from a table (checked below) or from the error it re-raises
    key = first.value
    assert key in TEXT, f"{where}: add {key!r} (English and Dutch) to bot/core/refusals.py"
    if any(k.arg is None for k in call.keywords):
        return  # **params: passed on from a child process (checked there)
    given = {k.arg for k in call.keywords}
    if _name(call) == "Note":  # Note(key, detail, {values})
        values = call.args[2] if len(call.args) > 2 else None
        if not isinstance(values, ast.Dict):
            return  # built just above the call
        given = {k.value for k in values.keys if isinstance(k, ast.Constant)}
    en, nl = TEXT[key]
    needed = (fields(en) | fields(nl)) - set(POINTERS)
    assert needed <= given, f"{where}: {key!r} needs {needed - given}"
    if _name(call) in {"LetterError", "Note"}:  # also said in the reader's words
        assert len(call.args) >= 2, f"{where}: a LetterError carries the reader's sentence"


def test_no_refusal_is_an_english_sentence_without_a_key():
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            if _name(node.exc) in {"ValueError", "LookupError"} and node.exc.args:
                message = node.exc.args[0]
                text = message.value if isinstance(message, ast.Constant) else None
                if isinstance(message, ast.JoinedStr):
                    text = "".join(v.value for v in message.values if isinstance(v, ast.Constant))
                assert text is not None and any(text.startswith(i[:20]) for i in INTERNAL), (
                    f"{path.relative_to(REPO)}:{node.lineno}: raise a keyed error "
                    "(bot.core.errors) for a refusal a user can meet"
                )


def test_pdf_errors_and_topic_refusals_have_known_keys():
    from bot.core import pdf

    assert all(key in TEXT for key, _ in pdf._PDFIUM_ERRORS.values())
    close = TopicNotFound("voetbal", [TopicRef("mensenhandel", "mensenhandel")])
    main = TopicNotFound("voetbal", [TopicRef("mensenhandel", "mensenhandel")], close=False)
    none = TopicNotFound("voetbal", [])
    assert (close.key, main.key, none.key) == ("no_topic", "no_topic_main", "no_topic_none")
    assert str(close).startswith("no topic 'voetbal'")  # the reader's English, as before
    assert "ken ik niet" in say(close, "nl") and "mensenhandel" in say(close, "nl")


def sample(key: str) -> dict[str, str]:
    en, nl = TEXT[key]
    return {f: "x" for f in (fields(en) | fields(nl)) - set(POINTERS)}


@pytest.mark.parametrize("key", sorted(TEXT))
def test_every_key_is_one_sentence_in_english_and_dutch(key):
    en, nl = TEXT[key]
    assert en and nl and en.endswith(".") and nl.endswith("."), key
    assert fields(nl) <= fields(en) | set(POINTERS), key  # Dutch may leave out a detail
    error = Refused(key, **sample(key))
    for lang in ("en", "nl"):
        for where in ("discord", "cli"):
            text = say(error, lang, where=where)
            assert text.endswith(".") and ". " not in text.replace("e.g. ", ""), text
            assert "{" not in text  # every value filled in
    assert say(error, "nl") != say(error, "en")


def test_a_files_refusal_is_the_readers_sentence_in_english_and_the_catalogue_in_dutch():
    error = LetterError("pdf_too_big", "Page 3 of this PDF holds 900,000 characters of text.")
    assert say(error, "en") == "Page 3 of this PDF holds 900,000 characters of text."
    assert say(error, "nl") == TEXT["pdf_too_big"][1]
    part = LetterError(
        "part_refused", "letter 2 of 3 in the file: x", part=2, parts=3, reason=error
    )
    assert say(part, "nl").startswith("Brief 2 van 3 in het bestand: deze PDF is te groot")


def test_the_command_line_points_at_its_own_commands():
    missing = NotFound("no_letter", ref="'99'")
    assert "/letters" in say(missing, "en") and "/brieven" in say(missing, "nl")
    assert "`briefbot letters`" in say(missing, "en", where="cli")
    assert str(missing) == "There is no letter '99' here; `briefbot letters` lists the letters."
    assert isinstance(missing, LookupError) and isinstance(Refused("bad_language"), ValueError)
    assert isinstance(LetterError("file_empty", "the file is empty"), UserError)
    assert clause("This PDF is damaged.") == "this PDF is damaged"
    assert clause("PDF files only.") == "PDF files only"


def test_what_a_user_typed_is_escaped_in_discord():
    error = NotFound("no_letter", ref="'**@everyone**'")
    assert "\\*\\*" in explain(error, "en") and "@\u200beveryone" in explain(error, "nl")


def test_a_refusal_without_a_key_is_never_english_in_dutch():
    assert explain(ValueError("something nobody wrote down"), "en") == (
        "Something nobody wrote down."
    )
    dutch = explain(ValueError("something nobody wrote down"), "nl")
    assert "something" not in dutch and dutch.endswith(".")


def test_every_pause_reason_has_a_dutch_reason():
    reasons = [*PERMANENT.values(), NOT_A_MEMBER, NOT_IN_SERVER]
    for reason in reasons:
        assert pause_reason(reason, "nl") in {nl for _, nl in i18n.PAUSE_REASONS.values()}
        assert pause_reason(reason, "en") == reason


def test_every_message_has_both_languages_and_the_same_fields():
    for key, (en, nl) in MESSAGES.items():
        assert en and nl, key
        assert fields(en) == fields(nl), key


def test_counts_agree_with_their_number():
    from bot.chat.i18n import n
    from bot.cli.output import count

    assert n(1, "page", "en") == "1 page" and n(2, "page", "en") == "2 pages"
    assert n(1, "page", "nl") == "1 pagina" and n(3, "page", "nl") == "3 pagina's"
    assert n(1, "sentence", "nl") == "1 zin" and n(0, "sentence", "nl") == "0 zinnen"
    assert count(1, "letter") == "1 letter" and count(2, "letter") == "2 letters"
    assert count(1, "repair") == "1 repair" and count(0, "repair") == "0 repairs"
