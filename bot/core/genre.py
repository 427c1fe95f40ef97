"""What kind of policy document a text is, and what a non-letter states about itself.

Genres (properties of Dutch official documents, not of any sender):

* ``letter``: a salutation or a closing formula, or a letterhead with a subject line. Letters
  get the full frame (:mod:`bot.core.frame`): salutation, closing, signature, recipient.
* ``answers``: written questions of members of parliament with the government's answers
  (*Aanhangsel van de Handelingen*, or the same text sent as a document of its own). The
  header ``Vragen van het lid X (party) aan de Minister van Y over Z (ingezonden <date>)`` and
  ``Antwoord van Minister W (<ministry>) (ontvangen <date>)`` gives subject, recipient,
  signatory, sender and date; ``Vraag N`` / ``Antwoord N`` lines are section headings.
* ``note`` and ``report``: anything else in Dutch prose: a memo or note (short, or saying it
  is one: ``notitie``, ``memo``, ``nota``) or a report (long, or saying it is one). They get the
  metadata they state: a title, labelled fields (``Datum:``, ``Onderwerp:``, ``Van:``) and the
  first date of their head.

Every rule runs on the damaged-form projection (see :mod:`bot.core.layout`), so the genre of a
letter is the same in its clean, damaged and PDF forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.boilerplate import Layout
from bot.core.frame import QA_LINE, Frame, Span
from bot.core.models import Genre
from bot.core.vocabulary import MONTH_RE

GENRES: tuple[Genre, ...] = ("letter", "answers", "note", "report")
__all__ = ["GENRES", "QA_LINE", "AnswersHeader", "classify", "find_answers_header"]

#: The same in the projection (digits gone): ``vraag``, ``antwoord en``, ``antwoord op vraag``.
QA_WORD = re.compile(r"\b(?:vraag|vragen|antwoord|antwoorden)\b")

# The header of answers to written questions, on the projection.
_ASKED = re.compile(
    r"\bvragen van (?:het lid|de leden) (?P<who>[a-z. ]{2,300}?) aan (?P<to>(?:de|het) "
    r"[a-z. ]{2,300}?) over (?P<about>[a-z. ]{2,800}?) ingezonden(?: " + MONTH_RE + r")?"
)
_ANSWERED = re.compile(
    r"\b(?:antwoord|mededeling) van (?P<by>[a-z. ]{2,400}?) ontvangen(?: ontvangen)?"
    r"(?: " + MONTH_RE + r")?(?: \.)?"
)
_SEE_ALSO = re.compile(r"\s?zie ook aanhangsel handelingen vergaderjaar(?: nr\.)?(?: \.)?")
_NOTE_WORD = re.compile(r"^(?:notitie|memo|memorandum|nota|informatienotitie|beslisnota)\b")
_REPORT_WORD = re.compile(
    r"^(?:\S+ ){0,10}(?:[a-z]*(?:rapport|rapportage|verslag)|evaluatie|monitor|jaarbericht|"
    r"verkenning|quickscan)\b"
)
_LETTER_BLOCKS = frozenset({"column", "return-address", "page-header"})
#: Words of prose: a report is long.
REPORT_WORDS = 2500


@dataclass(slots=True)
class AnswersHeader:
    """Projection spans of what the header of an answers document states."""

    asked_by: Span | None = None  # the members who asked
    asked_to: Span | None = None  # the minister(s) asked
    about: Span | None = None  # what the questions are about
    asked_on: int | None = None  # projection offset of ``ingezonden``
    answered_by: Span | None = None  # ``Minister X (ministry)``
    answered_on: int | None = None  # projection offset of ``ontvangen``
    start: int = 0  # where the header begins
    end: int = 0  # where the header ends: the first question or answer begins after it


def find_answers_header(text: str, limit: int | None = None) -> AnswersHeader | None:
    """The ``Vragen van ... / Antwoord van ...`` header near the top of a projection."""
    head_end = min(len(text), limit if limit is not None else 3000)
    head = text[:head_end]
    if "vragen van" not in head and "antwoord van" not in head and "mededeling van" not in head:
        return None  # the common case, decided without the patterns below
    asked = _ASKED.search(text, 0, head_end)
    answered = _ANSWERED.search(text, asked.end() if asked else 0, head_end)
    if asked is None and answered is None:
        return None
    h = AnswersHeader(start=(asked or answered).start())  # type: ignore[union-attr]
    if asked:
        h.asked_by = Span(asked.start("who"), asked.end("who"))
        h.asked_to = Span(asked.start("to"), asked.end("to"))
        h.about = Span(asked.start("about"), asked.end("about"))
        h.asked_on = asked.end("about")
        h.end = asked.end()
    if answered:
        h.answered_by = Span(answered.start("by"), answered.end("by"))
        h.answered_on = answered.start() + answered.group().find("ontvangen")
        h.end = answered.end()
        see = _SEE_ALSO.match(text, h.end)
        if see:
            h.end = see.end()
    return h


def classify(
    text: str,
    layout: Layout,
    frame: Frame,
    *,
    answers: AnswersHeader | None,
    qa_headings: int,
) -> Genre:
    """The genre of a projection, given its layout, letter frame, answers header and the
    number of question/answer heading lines found in it."""
    if answers is not None and (frame.salutation is None or answers.start < frame.salutation.start):
        return "answers"
    if qa_headings >= 2:
        return "answers"  # Vraag/Antwoord lines, with or without a cover letter
    if frame.salutation or frame.closing:
        return "letter"
    head = text[:200]
    if _NOTE_WORD.search(head):
        return "note"
    letterhead = any(b.kind in _LETTER_BLOCKS for b in layout.blocks)
    if frame.subject and letterhead:
        return "letter"
    if _REPORT_WORD.search(head) or text.count(" ") >= REPORT_WORDS:
        return "report"
    return "note"


def body_start_of_answers(text: str, header: AnswersHeader | None) -> int:
    """Where the text of an answers document begins in its projection: at its header (who
    asked whom about what, who answered when), which is kept as the opening text."""
    return header.start if header is not None else 0


def is_letter_frame(frame: Frame) -> bool:
    return bool(frame.salutation or frame.closing)
