"""The parser and the ingest path over generated bad input.

Random bytes, random unicode (lone surrogates too), mutated letters (no periods, no line breaks,
enormous lines, only boilerplate, NUL bytes, duplicated stretches), mixed encodings: every input
is either a letter or refused with a clear :class:`LetterError`; nothing else is raised, a
refused file leaves nothing in the store, an accepted one is stored whole. The parser's time
limit is cooperative and checked between stages and inside the loops that grow with the text.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.core import parse as parse_module
from bot.core.decode import decode_text
from bot.core.models import LetterError, ParsedLetter
from bot.core.parse import MAX_CHARS, parse_letter
from bot.core.text import damage
from bot.services.app import Services
from bot.services.letters import parse_bytes
from tests.chat.conftest import make_settings
from tests.letters import HandmadeLetter

BUNDLED = next((Path(__file__).resolve().parents[2] / "data" / "letters").glob("*.txt"))
HANDMADE = HandmadeLetter().text()
BASES = [HANDMADE, damage(HANDMADE), BUNDLED.read_text(encoding="utf-8")]

#: Inserted by the mutations: layout, control characters, separators, markers of structure.
PIECES = [
    *("\x00", "\f", "\r", "\r\n", "\u2028", "\u200b", "\ufeff", "\ud800", "\x1b", "\x7f"),
    *(".", "...", ". . .", "\n\n\n", "-\n", "•", "1\n", "12\n", "  \t "),
    *("Geachte heer,", "Met vriendelijke groet,", "Pagina 2 van 3", "Postbus 20301"),
    *("Ons kenmerk", "Datum 14 maart 2019", "Bij beantwoording de datum en ons kenmerk"),
    *("www.rijksoverheid.nl", "Onderwerp", "Retouradres Postbus 1 2500 AA Den Haag"),
    *("é", "e\u0301", "ĳ", "ﬁ", "😀", "\u202e", "ONGERUBRICEERD"),
]


def check_letter(letter: ParsedLetter) -> None:
    """What every accepted letter satisfies, whatever came in."""
    assert letter.sentences, "an accepted letter has sentences"
    assert [s.number for s in letter.sentences] == list(range(1, len(letter.sentences) + 1))
    n = len(letter.original)
    for s in letter.sentences:
        assert s.text.strip() and s.text == s.text.strip()
        assert 0 <= s.start < s.end <= n
        assert s.original == letter.original[s.start : s.end]
        assert 0 <= s.section < len(letter.sections)
        assert 1 <= s.page <= letter.pages
        for value in (s.text, s.norm, s.original):
            value.encode("utf-8")  # storable: no lone surrogates
    assert all("\x00" not in s.text for s in letter.sentences)
    (letter.metadata.subject or "").encode("utf-8")
    letter.title.encode("utf-8")


def parse_or_refuse(fn, *args, **kwargs) -> ParsedLetter | None:
    """The letter, or None for a refusal with a clear message; anything else fails the test."""
    try:
        letter = fn(*args, **kwargs)
    except LetterError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message and len(message) <= 300, message
        return None
    check_letter(letter)
    return letter


# --------------------------------------------------------------------------- generators


@st.composite
def mutated_letters(draw: st.DrawFn) -> str:
    """A letter damaged by a few random edits."""
    text = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.integers(0, 9))
        at = draw(st.integers(0, len(text)))
        if op == 0:  # delete a stretch
            text = text[:at] + text[at + draw(st.integers(1, 400)) :]
        elif op == 1:  # insert random characters (any code point)
            noise = draw(st.text(st.characters(codec=None, exclude_categories=()), max_size=30))
            text = text[:at] + noise + text[at:]
        elif op == 2:  # insert a structural piece, possibly many times
            piece = draw(st.sampled_from(PIECES)) * draw(st.integers(1, 40))
            text = text[:at] + piece + text[at:]
        elif op == 3:  # duplicate a stretch
            start = draw(st.integers(0, len(text)))
            text = text[:at] + text[start : start + draw(st.integers(1, 3000))] + text[at:]
        elif op == 4:
            text = text.replace(".", "")  # no periods at all
        elif op == 5:
            text = text.replace("\n", " ")  # one enormous line
        elif op == 6:
            text = text.upper()
        elif op == 7:  # an enormous word
            text = text[:at] + "x" * draw(st.integers(1, 50_000)) + text[at:]
        elif op == 8:
            text = text[: draw(st.integers(0, 200))]  # little left
        else:  # keep only the letterhead lines
            text = "\n".join(line for line in text.splitlines() if len(line) < 30)
    return text


def _encode(text: str, codec: str) -> bytes:
    if codec == "mixed":  # a file glued from a UTF-8 part and a Windows-1252 part
        half = len(text) // 2
        return text[:half].encode("utf-8", "replace") + text[half:].encode("cp1252", "replace")
    return text.encode(codec, "surrogatepass" if codec.startswith("utf") else "replace")


encoded_letters = st.builds(
    _encode,
    mutated_letters(),
    st.sampled_from(
        ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1", "mixed"]
    ),
)
names = st.sampled_from(["brief.txt", "brief.TXT", "brief", "brief.pdf", "brief.docx", ".txt"])

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- properties


@FAST
@given(data=st.binary(max_size=20_000), name=names)
def test_random_bytes_are_read_or_refused(data: bytes, name: str):
    parse_or_refuse(parse_bytes, data, name=name)


@FAST
@given(text=st.text(st.characters(codec=None, exclude_categories=()), max_size=3000))
def test_random_unicode_is_read_or_refused(text: str):
    parse_or_refuse(parse_letter, text)


@FAST
@given(text=mutated_letters())
def test_mutated_letters_are_read_or_refused(text: str):
    parse_or_refuse(parse_letter, text)


@FAST
@given(data=encoded_letters, name=st.sampled_from(["brief.txt", "brief"]))
def test_mixed_and_odd_encodings_are_read_or_refused(data: bytes, name: str):
    letter = parse_or_refuse(parse_bytes, data, name=name)
    if letter is not None:
        assert "\x00" not in letter.original and "\ufeff" not in letter.original[:1]


def test_an_intact_letter_survives_every_encoding():
    """The properties above are not vacuous: the same letter is accepted in each encoding."""
    for codec in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"):
        letter = parse_or_refuse(parse_bytes, HANDMADE.encode(codec), name="brief.txt")
        assert letter is not None and len(letter.sentences) >= 5, codec


# --------------------------------------------------------------------------- named cases


def _refusal(text: str) -> str:
    with pytest.raises(LetterError) as caught:
        parse_letter(text)
    return str(caught.value)


def test_named_bad_inputs_are_refused_with_reasons():
    assert "empty" in _refusal("")
    assert "empty" in _refusal(" \n\t\f ")
    assert "too little text" in _refusal("brief")
    assert "too little text" in _refusal("Geachte")
    assert "too long" in _refusal("de brief " * 600_000)  # 5.4 MB of text
    # only boilerplate: letterhead column, page headers, salutation and closing, no body
    head = HandmadeLetter(page1=[], page2=[], copies=None).text()
    assert "no letter text" in _refusal(head)
    assert "no letter text" in _refusal(damage(head))
    assert "Dutch" in _refusal("The quick brown fox jumps over the lazy dog. " * 20)
    assert "surrogates" in _refusal(HANDMADE.replace("opvang", "op\ud800vang"))
    assert "NUL" in _refusal(HANDMADE.replace("opvang", "op\x00vang"))


def test_nul_bytes_and_binary_are_refused_by_decoding():
    for data in (
        HANDMADE.encode() + b"\x00" * 10,
        b"\x00" * 100,
        HANDMADE.encode().replace(b"e", b"\x00"),
        bytes(range(256)) * 40,
    ):
        with pytest.raises(LetterError) as caught:
            parse_bytes(data, name="brief.txt")
        assert "binary" in str(caught.value) or "encoding" in str(caught.value)


def test_a_letter_without_periods_or_line_breaks_still_parses():
    for text in (HANDMADE.replace(".", ""), HANDMADE.replace("\n", " "), damage(HANDMADE)):
        assert parse_or_refuse(parse_letter, text) is not None


def test_the_largest_allowed_text_is_handled():
    """MAX_CHARS of letter text: read (within the time limit) or refused, never an error."""
    body = "Ik verzoek u de financiering van de opvang voor drie jaar te garanderen. "
    letter = HandmadeLetter()
    letter.page2 = [*letter.page2, *[body] * ((MAX_CHARS - 50_000) // (len(body) + 1))]
    text = letter.text()
    assert len(text) <= MAX_CHARS
    parse_or_refuse(parse_bytes, text.encode(), name="groot.txt")


# --------------------------------------------------------------------------- the time limit


def test_a_passed_deadline_refuses_clearly():
    with pytest.raises(LetterError) as caught:
        parse_letter(HANDMADE, deadline=0.0)  # monotonic time 0 passed long ago
    assert "took too long" in str(caught.value)
    with pytest.raises(LetterError) as caught:
        parse_bytes(HANDMADE.encode(), name="brief.txt", max_seconds=0.0)
    assert "took too long" in str(caught.value)


def _looks(monkeypatch: pytest.MonkeyPatch) -> itertools.count:
    """Give the parser a clock that moves one second each time it is read."""
    looks = itertools.count()
    clock = SimpleNamespace(monotonic=lambda: float(next(looks)))
    monkeypatch.setattr(parse_module, "time", clock)
    return looks


def test_the_deadline_is_checked_inside_the_growing_loops(monkeypatch: pytest.MonkeyPatch):
    """The parse stops at the first check after the deadline, wherever it is; a long letter
    is checked more often than a short one, so the loops that grow with it are checked."""
    looks = _looks(monkeypatch)
    parse_letter(HANDMADE, deadline=10_000.0)
    short = next(looks)
    text = HandmadeLetter(page2=[f"Zin nummer {i} gaat over de opvang." for i in range(400)])
    source = text.text()
    looks = _looks(monkeypatch)
    letter = parse_letter(source, deadline=10_000.0)
    long = next(looks)
    assert len(letter.sentences) >= 400
    assert long >= short + 5, (short, long)
    for stop in (1.0, 5.0, long - 3.0):
        _looks(monkeypatch)
        with pytest.raises(LetterError, match="took too long"):
            parse_letter(source, deadline=stop)


def test_without_a_deadline_the_clock_is_not_needed(monkeypatch: pytest.MonkeyPatch):
    def no_clock() -> float:
        raise AssertionError("parse_letter without a deadline looked at the clock")

    monkeypatch.setattr(parse_module, "time", SimpleNamespace(monotonic=no_clock))
    assert parse_letter(HANDMADE).sentences


# --------------------------------------------------------------------------- the store


class Ingest:
    """One Services on its own loop, for the properties that go through ``add_upload``."""

    def __init__(self, tmp: Path) -> None:
        self.runner = asyncio.Runner()
        self.db = tmp / "bot.sqlite3"
        self.app: Services = self.runner.run(Services.open(make_settings(tmp), seed=False))

    def counts(self) -> tuple[int, ...]:
        with sqlite3.connect(self.db) as conn:
            return tuple(
                conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("letters", "sections", "sentences", "sentences_fts", "repairs")
            )

    def close(self) -> None:
        self.runner.run(self.app.close())
        self.runner.close()


@pytest.fixture(scope="module")
def ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingest]:
    i = Ingest(tmp_path_factory.mktemp("ingest"))
    try:
        yield i
    finally:
        i.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(encoded_letters, st.binary(max_size=3000)),
    name=st.sampled_from(["brief.txt", "brief.pdf", "brief"]),
    guild=st.sampled_from([None, 1, 2]),
)
def test_an_upload_is_stored_whole_or_not_at_all(ingest: Ingest, data: bytes, name, guild):
    """Every letter of an upload is stored whole (a file may hold several letters), or nothing
    is stored at all."""
    before = ingest.counts()
    try:
        report = ingest.runner.run(ingest.app.letters.upload(data, filename=name, guild_id=guild))
    except LetterError as exc:
        event("refused")
        assert str(exc).strip()
        assert ingest.counts() == before, "a refused file left rows behind"
        return
    added = [item.letter for item in report.ingested if item.status == "added"]
    event("stored" if added else "unchanged")
    if len(added) > 1:
        event("several letters")
    after = ingest.counts()
    if not added:
        assert after == before
        return
    sentences = sum(record.sentence_count for record in added)
    assert after[0] == before[0] + len(added)
    assert after[2] - before[2] == sentences
    assert after[3] - before[3] == sentences  # every sentence searchable
    for record in added:
        assert record.guild_id == guild
        stored = ingest.runner.run(ingest.app.store.letters.sentences(record.id))
        assert [s.number for s in stored] == list(range(1, record.sentence_count + 1))
        assert record.id in ingest.app.catalog.by_id


def test_decode_never_returns_control_characters_or_surrogates():
    data = "Geachte heer,\x01\x02 één\udc80 brief".encode("utf-8", "surrogatepass")
    text = decode_text(data.replace(b"\xed\xb2\x80", b"\xff"))
    assert "\x01" not in text and all(not 0xD800 <= ord(c) <= 0xDFFF for c in text)
