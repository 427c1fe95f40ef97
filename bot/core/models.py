"""Plain data produced by the parser and consumed by the store and services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.core.errors import Refused

SourceKind = Literal["txt", "pdf"]
#: ``letter``: salutation, closing and signature; ``answers``: answers to parliamentary
#: questions (``Vraag N`` / ``Antwoord N`` sections); ``note`` and ``report``: other documents.
Genre = Literal["letter", "answers", "note", "report"]


@dataclass(slots=True)
class LetterMetadata:
    """What a letter states about itself. A field the letter does not state is ``None``."""

    sender: str | None = None
    signatory: str | None = None
    signatory_role: str | None = None  # the function printed with the name (not stored yet)
    recipient: str | None = None
    recipient_role: str | None = None
    date: str | None = None  # ISO YYYY-MM-DD when complete, otherwise the known part ("april")
    subject: str | None = None
    reference: str | None = None
    contact: str | None = None
    salutation: str | None = None
    closing: str | None = None
    copies: str | None = None


@dataclass(slots=True)
class Repair:
    """One repaired word: ``from_text`` as found in the source, ``to_text`` as stored."""

    sentence: int  # 1-based sentence number in the letter
    from_text: str
    to_text: str


@dataclass(slots=True)
class Sentence:
    number: int  # 1-based, in letter order; stable for a given text
    section: int  # 0-based index into ParsedLetter.sections
    page: int  # 1-based page on which the sentence starts
    start: int  # character offset into ParsedLetter.original
    end: int  # exclusive end offset
    text: str  # cleaned and repaired: what a user should see
    original: str  # original[start:end], boilerplate that interrupted it included
    norm: str  # folded form for matching (see bot.core.text.fold)


@dataclass(slots=True)
class Section:
    heading: str | None  # None for the opening part of the body


@dataclass(slots=True)
class ParsedLetter:
    """A parsed policy document. Letters are the first-class genre; answers to parliamentary
    questions, notes and reports are parsed into the same sentences and sections, with the
    metadata they state."""

    original: str
    source_kind: SourceKind
    damaged: bool  # lowercased, punctuation and accents stripped
    pages: int
    metadata: LetterMetadata
    sections: list[Section] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    genre: Genre = "letter"

    @property
    def title(self) -> str:
        """A human title: the subject when stated, else the opening words of the body."""
        if self.metadata.subject:
            return self.metadata.subject
        if self.sentences:
            words = self.sentences[0].text.split()
            return " ".join(words[:10]) + (" …" if len(words) > 10 else "")
        return "(untitled letter)" if self.genre == "letter" else "(untitled document)"


class LetterError(Refused):
    """A file that cannot be stored as a letter: a message key (``bot.core.refusals``) and the
    reader's own English sentence saying why (``str()``)::

        raise LetterError("file_empty", "the file is empty")
    """

    kind = "letter"
