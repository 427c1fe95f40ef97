"""The frame of a letter: where the salutation, body, closing and signature are.

Works on the damaged-form projection (see :mod:`bot.core.layout`), so it finds the same frame in
clean, damaged and PDF-extracted text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.boilerplate import Layout
from bot.core.lexicon import is_rare_word
from bot.core.vocabulary import (
    CLOSING_RE,
    FUNCTION_WORDS,
    SALUTATION_RE,
    TITLES,
)

_TOKEN = re.compile(r"\S+")
_SUBJECT = re.compile(r"\b(?:onderwerp|betreft)\b")
_SALUTATION = re.compile(r"\b" + SALUTATION_RE + r"\b")
_CLOSING = re.compile(r"\b" + CLOSING_RE + r"\b")
#: Any ``Met <adjective> groet(en)`` closing (``met sportieve groet``, ``met warme groeten``,
#: ``met vriendelijke en collegiale groet``): an inflected adjective, not a determiner, before
#: ``groet``. Taken as the closing only where it opens a printed line (clean text) or, in
#: damaged text, where a name follows it within a few words.
_ANY_GREETING = re.compile(
    r"\bmet (?:zeer )?(?!(?:de|deze|die|een|onze|mijne|zijn|haar|hun|uw|elke|iedere)\b)"
    r"[a-z]{3,}e (?:en (?:zeer )?[a-z]{3,}e )?groet(?:en)?\b"
)
_POSTBUS_TAIL = re.compile(r"\s?postbus(?: [a-z]{1,2})? (?:(?:den|de|het|s|ter|ten) )?[a-z]+$")
# the postcode's letters are not a word that joins a name (``Voedselzekerheid en Natuur``)
_STREET_TAIL = re.compile(
    r"\s?(?P<street>[a-z]+) (?!en |in |op |te |of )[a-z]{2} (?:(?:den|de|het|s|ter|ten) )?[a-z]+$"
)


class LineBreaks:
    """Where clean text starts a new line, seen from the projection."""

    def __init__(self, original: str, to_orig: Sequence[int]) -> None:
        self.original = original
        self.to_orig = to_orig

    def line_starts_at(self, pos: int) -> bool:
        """True when the original starts a new line (or the text) at projection ``pos``."""
        if pos <= 0:
            return True
        if pos >= len(self.to_orig):
            return False
        o = self.to_orig[pos]
        line_start = self.original.rfind("\n", 0, o) + 1
        return not self.original[line_start:o].strip(" \t\f>")

    def line_at(self, pos: int) -> str:
        """The original line that holds projection position ``pos``, stripped."""
        o = self.to_orig[pos]
        start = self.original.rfind("\n", 0, o) + 1
        end = self.original.find("\n", o)
        return self.original[start : len(self.original) if end < 0 else end].strip(" \t\f")

    def capital_line_between(self, a: int, b: int) -> bool:
        """True when, between projection positions ``a`` (exclusive end of a token) and ``b``
        (start of the next), the original breaks the line and the next line opens with a
        capital letter or a digit."""
        if b >= len(self.to_orig) or a <= 0:
            return False
        gap = self.original[self.to_orig[a - 1] + 1 : self.to_orig[b] + 1]
        if "\n" not in gap:
            return False
        first = gap.rsplit("\n", 1)[1].lstrip()[:1]
        return first.isupper() or first.isdigit()


@dataclass(slots=True)
class Span:
    start: int
    end: int

    def text(self, s: str) -> str:
        return s[self.start : self.end]


@dataclass(slots=True)
class Frame:
    """Projection spans of the parts of a letter; any part may be missing."""

    subject: Span | None = None
    salutation: Span | None = None
    closing: Span | None = None
    recipient: Span | None = None
    body: Span | None = None
    #: where the signature block may be read: after the closing, or from the function line
    #: a letter without closing formula is signed under (``De Minister van ...,``)
    signature: Span | None = None
    annex: int | None = None  # projection offset of the ``Bijlage`` heading after the letter


def _block_at_or_after(layout: Layout, pos: int) -> int | None:
    for b in layout.blocks:
        if b.end > pos:
            return max(b.start, pos)
    return None


def _inside_block(layout: Layout, pos: int) -> bool:
    return any(b.start <= pos < b.end for b in layout.blocks)


def find_frame(text: str, layout: Layout, breaks: LineBreaks | None = None) -> Frame:
    """``breaks`` (clean text only) tells where the original text started a new line."""
    frame = Frame()
    n = len(text)
    head_limit = max(600, n // 3)

    subj = next(
        (
            m
            for m in _SUBJECT.finditer(text, 0, head_limit)
            if not _inside_block(layout, m.start()) and _is_label(text, m, breaks)
        ),
        None,
    )
    sal_from = subj.end() if subj else 0
    sal = None
    for m in _SALUTATION.finditer(text, sal_from, min(n, sal_from + head_limit)):
        if _inside_block(layout, m.start()):
            continue
        if _word_before(text, m.start()) in _NOT_BEFORE_SALUTATION:
            continue  # ``met de beste bedoelingen``, ``het beste``, ``een lieve``
        sal = m
        break

    recipient_words: set[str] = set()
    ret_end = layout.return_address[1] if layout.return_address else None
    head_end = sal.start() if sal else (subj.start() if subj else head_limit)
    rec_start = _addressee_start(text, layout, breaks, head_end)
    if rec_start is None:
        rec_start = ret_end
    if rec_start is None and breaks is not None:
        frame.recipient = _address_block(text, layout, breaks, subj.start() if subj else head_end)
        if frame.recipient is not None:
            recipient_words = set(frame.recipient.text(text).split())
    if rec_start is not None:
        label_start = _first_label(text, rec_start, head_limit)
        if label_start is not None and label_start > rec_start:
            rec = _recipient_span(text, rec_start, label_start, layout)
            if rec:
                frame.recipient = rec
                recipient_words = set(rec.text(text).split())

    if subj:
        end = _subject_end(text, subj.end(), sal.start() if sal else None, layout, breaks)
        if end > subj.end() + 1:
            frame.subject = Span(subj.end() + 1, end)

    body_start = 0
    if sal:
        sal_end = _salutation_end(text, sal, recipient_words)
        if breaks is not None:
            sal_end = max(sal_end, _salutation_line_end(text, sal.start(), breaks))
        frame.salutation = Span(sal.start(), sal_end)
        body_start = sal_end
    elif frame.subject:
        body_start = frame.subject.end
    elif ret_end is not None:
        body_start = ret_end

    closing = None
    for m in _CLOSING.finditer(text, body_start):
        if not _inside_block(layout, m.start()):
            closing = m
            break
    for m in _ANY_GREETING.finditer(text, body_start, closing.start() if closing else n):
        if not _inside_block(layout, m.start()) and _greeting_closes(text, m, breaks):
            closing = m
            break
    body_end = n
    if closing:
        frame.closing = Span(closing.start(), closing.end())
        body_end = closing.start()
        annex = _annex_start(text, closing.end(), layout, breaks)
        frame.signature = Span(closing.end(), annex if annex is not None else n)
        frame.annex = annex
    elif sal or frame.subject or ret_end is not None:
        opener = _signed_under_function(text, body_start, layout, breaks)
        if opener is not None:
            body_end = opener
            annex = _annex_start(text, opener, layout, breaks)
            if annex is None and breaks is None:
                annex = _damaged_annex(text, opener, layout)
            frame.signature = Span(opener, annex if annex is not None else n)
            frame.annex = annex
    frame.body = Span(body_start, body_end)
    return frame


def _greeting_closes(text: str, m: re.Match[str], breaks: LineBreaks | None) -> bool:
    """A ``Met <adjective> groet`` match closes the letter: it opens a printed line (clean
    text), or is the last sentence-like stretch before the signature (damaged text: no full
    stop between it and the next words)."""
    if breaks is not None:
        return breaks.line_starts_at(m.start())
    rest = text[m.end() : m.end() + 60].split()
    return bool(rest) and not rest[0].endswith(".")


def _is_label(text: str, m: re.Match[str], breaks: LineBreaks | None) -> bool:
    """``Betreft``/``Onderwerp`` as the label of a subject line, not the verb or noun in a
    sentence (``wat betreft``, ``het betreft``, ``het onderwerp van``)."""
    before = _word_before(text, m.start())
    if before in _NOT_BEFORE_LABEL:
        return False
    if breaks is not None and m.start() > 0:
        return breaks.line_starts_at(m.start())
    return True


_NOT_BEFORE_LABEL = frozenset(
    """
    wat het dit dat er die de een ons uw dan zover en ook betreffende zelf waar
    """.split()
)
_ADDRESSEE = re.compile(
    r"\baan(?= (?:de|het|mevrouw|mw|dhr|heer|college|leden|gemeente|raad|voorzitter|minister|"
    r"staatssecretaris|burgemeester)\b)"
)


def _addressee_start(
    text: str, layout: Layout, breaks: LineBreaks | None, limit: int
) -> int | None:
    """``Aan de Minister ...`` / ``Aan: de gemeenteraad ...``: the address block of a letter
    without (or before) the return address line. Clean text: ``Aan`` opens a line."""
    for m in _ADDRESSEE.finditer(text, 0, limit):
        if _inside_block(layout, m.start()):
            continue
        if breaks is not None and m.start() > 0 and not breaks.line_starts_at(m.start()):
            continue
        if breaks is None and m.start() > 0 and text[m.start() - 2 : m.start()] != ". ":
            # damaged text: the address block follows the letterhead, never a sentence
            before = _word_before(text, m.start())
            if before in FUNCTION_WORDS:
                continue
        return m.end() + 1
    return None


_POSTCODE_LINE = re.compile(r"^(?:postbus\b.*|\d{4}\s?[A-Z]{2}\b.*)$", re.IGNORECASE)
_NOT_ADDRESSEE = re.compile(
    r"www\.|@|\d{3}[ -]?\d{3}|^(?:t|tel|telefoon|f|fax)[.:]?\s*[+(\d]", re.IGNORECASE
)


def _address_block(text: str, layout: Layout, breaks: LineBreaks, limit: int) -> Span | None:
    """Clean text without ``Aan`` or return address: the addressee is the lines above the
    postbus and postcode that end the head's last address block (``Ministerie van X`` / ``t.a.v.
    de minister`` / ``Postbus 20350`` / ``2500 EJ Den Haag``), before the date and subject."""
    original = breaks.original
    end = breaks.to_orig[limit] if limit < len(breaks.to_orig) else len(original)
    lines = []
    pos = 0
    while pos < end:
        nl = original.find("\n", pos, end)
        stop = end if nl < 0 else nl
        if original[pos:stop].strip():
            lines.append((pos, stop, original[pos:stop].strip(" \t\f>")))
        pos = stop + 1
    k = len(lines)
    while k > 0:
        line = lines[k - 1][2]
        if len(line.split()) <= 8 and (_DATED.search(line) or _HEAD_LABEL.match(line)):
            k -= 1  # ``Utrecht, 3 mei 2024``, ``Datum ...``, ``Kenmerk: VAS 25-004``
        elif k >= 2 and _LABEL_ROW.fullmatch(lines[k - 2][2]):
            k -= 2  # ``Contactpersoon Uw kenmerk`` / its values: a row of labels, side by side
        else:
            break
    postal = k
    while k > 0 and _POSTCODE_LINE.match(lines[k - 1][2]):
        k -= 1
    if k in (postal, 0):
        return None  # no postbus or postcode right above: not an address block
    first = k
    while first > 0 and k - first < 4:
        line = lines[first - 1][2]
        if _POSTCODE_LINE.match(line) or _NOT_ADDRESSEE.search(line) or re.search(r"\d", line):
            break
        first -= 1
    if first in (k, 0):
        return None  # nothing between the sender's address and the addressee's: no block
    first = _earlier_addressee(lines, first)
    a = bisect_left(breaks.to_orig, lines[first][0])
    b = bisect_left(breaks.to_orig, lines[k - 1][1])
    if any(_inside_block(layout, x) for x in (a, max(a, b - 1))):
        return None
    return Span(a, b) if b > a else None


#: A printed row of letterhead labels only (``Datum Ons kenmerk Uw brief van``), whose values
#: stand on the line under it.
_LABEL_ROW = re.compile(
    r"(?:\s*\b(?:datum|ons kenmerk|uw kenmerk|kenmerk|uw brief van|contactpersoon|"
    r"doorkiesnummer|telefoon|bijlagen?|bijlage\(n\)|onderwerp)\b){2,}\s*",
    re.IGNORECASE,
)
_DATED = re.compile(r"\b(?:datum|19\d\d|20\d\d)\b", re.IGNORECASE)
_HEAD_LABEL = re.compile(
    r"(?:ons |uw )?(?:kenmerk|referentie|zaaknummer|nummer|bijlagen?)\b", re.IGNORECASE
)
_ADDRESSEE_LINE = re.compile(
    r"(?:aan\s+)?(?:de|het)\s+(?:minister|staatssecretaris|voorzitter|leden|college|"
    r"burgemeester|directeur|raad|commissie|vaste commissie|informateur)\b",
    re.IGNORECASE,
)


def _earlier_addressee(lines: list[tuple[int, int, str]], first: int) -> int:
    """A letter to two addressees prints two address blocks, one under the other (``De
    Staatssecretaris van X`` / ``Postbus`` / postcode, then ``De Minister van Y`` / ...): the
    first line of the earlier block when it names a function, else ``first``."""
    j = first
    while j > 0 and _POSTCODE_LINE.match(lines[j - 1][2]):
        j -= 1
    if j == first:
        return first
    top = j
    while top > 0 and j - top < 3:
        line = lines[top - 1][2]
        if _POSTCODE_LINE.match(line) or _NOT_ADDRESSEE.search(line) or re.search(r"\d", line):
            break
        top -= 1
    if top in (j, 0) or not _ADDRESSEE_LINE.match(lines[top][2]):
        return first
    return top


#: What a letter without closing formula is signed under: ``De Minister van ...,``,
#: ``Het college van burgemeester en wethouders van ...,``, ``namens de Raad ...,``.
_SIGNED_UNDER = re.compile(
    r"\b(?:(?:de|het) (?:minister(?: president)?|staatssecretaris|college|burgemeester|"
    r"dagelijks bestuur|bestuur|raad|voorzitter|directeur|inspecteur|secretaris)"
    r"|burgemeester en wethouders|gedeputeerde staten|namens)\b"
)
_SIGNATURE_TAIL_TOKENS = 45


def _signed_under_function(
    text: str, start: int, layout: Layout, breaks: LineBreaks | None
) -> int | None:
    """The start of the signature of a letter that has no closing formula: a function line
    after the last finished sentence, with nothing but names and functions after it."""
    n = len(text)
    # the letter ends before an annex (or answers sent with it), else at the end of the text
    annex = _annex_start(text, start, layout, breaks)
    ends = [annex if annex is not None else n, n]
    if breaks is None:  # damaged: the answers or annex a cover letter sends may follow it
        ends[1:1] = [m.start() for m in _DAMAGED_ANNEX.finditer(text, start)][:3]
    for end in dict.fromkeys(ends):
        window = max(start, end - 1500)
        for m in _SIGNED_UNDER.finditer(text, window, end):
            if _inside_block(layout, m.start()):
                continue
            prev = text[max(0, m.start() - 2) : m.start()]
            if m.start() > 0 and prev != ". " and not _after_block(layout, m.start()):
                continue
            if breaks is not None and not breaks.line_starts_at(m.start()):
                continue
            if _reads_like_signature(text, m.start(), end, layout):
                return m.start()
            if breaks is None and _initials_follow(text, m.end(), layout):
                return m.start()  # damaged: ``de minister van x m.l. naam`` and text after it
    return None


def _initials_follow(text: str, start: int, layout: Layout) -> bool:
    """Damaged text: initials or ``w.g.`` within a few words, before any sentence ends."""
    for k, t in enumerate(_TOKEN.finditer(text, start)):
        if k >= 10:
            return False
        if _inside_block(layout, t.start()):
            continue
        w = t.group()
        if re.fullmatch(r"(?:[a-z]\.){1,5}|w\.g\.?", w):
            return True
        if w.endswith(".") and len(w) > 4:
            return False
    return False


_DAMAGED_ANNEX = re.compile(r"\b(?:antwoorden? (?:van|op)|vragen van|bijlagen?)\b")


def _damaged_annex(text: str, opener: int, layout: Layout) -> int | None:
    """Damaged text: what follows a signature under a function (answers, an annex) begins at
    ``antwoorden van``, ``vragen van`` or ``bijlage`` soon after it."""
    for m in _DAMAGED_ANNEX.finditer(text, opener, min(len(text), opener + 400)):
        if not _inside_block(layout, m.start()):
            return m.start()
    return None


def _after_block(layout: Layout, pos: int) -> bool:
    return any(b.end + 1 >= pos > b.end - 1 for b in layout.blocks)


_INITIALS_OR_TITLE = re.compile(r"(?:[a-z]\.){1,5}|(?:mr|dr|drs|prof|ir|ing|w\.g)\.?")


def _reads_like_signature(text: str, start: int, end: int, layout: Layout) -> bool:
    """Names and functions only: few words, and no period but those of initials, titles,
    ``w.g.`` and abbreviations."""
    toks = [t for t in _TOKEN.finditer(text, start, end) if not _inside_block(layout, t.start())]
    if not toks or len(toks) > _SIGNATURE_TAIL_TOKENS:
        return False
    for t in toks:
        w = t.group()
        if w.endswith(".") and not _INITIALS_OR_TITLE.fullmatch(w) and len(w) > 4:
            return False
    return True


_BIJLAGE = re.compile(r"\bbijlagen?\b")
_ANNEX_MIN_WORDS = 25


def _annex_start(text: str, start: int, layout: Layout, breaks: LineBreaks | None) -> int | None:
    """An annex after the letter: a ``Bijlage`` heading (clean text: at the start of a line)
    followed by text of its own, before the next ``Bijlage`` line. An enclosure note
    (``Bijlage: rapport X``) with nothing after it is not one."""
    found = [
        m.start()
        for m in _BIJLAGE.finditer(text, start)
        if not _inside_block(layout, m.start())
        and (breaks is None or breaks.line_starts_at(m.start()))
        and _word_before_outside(text, m.start(), layout)
        not in _NOT_BEFORE_LABEL | {"in", "als", "zie", "van"}
    ]
    best = None
    for k, pos in enumerate(found):
        stop = found[k + 1] if k + 1 < len(found) else len(text)
        if _words_outside(text, pos, stop, layout) >= _ANNEX_MIN_WORDS and "." in text[pos:stop]:
            best = pos
            break
    if breaks is not None:
        qa = _answers_block_start(text, start, best if best is not None else len(text), breaks)
        if qa is not None and _words_outside(text, qa, len(text), layout) >= _ANNEX_MIN_WORDS:
            best = qa
    return best


def _word_before_outside(text: str, pos: int, layout: Layout) -> str:
    """The word before ``pos`` that is no part of a layout block (a running page header's
    ``pagina 2 van 2`` right above an annex's heading is not the word before it)."""
    while pos > 0:
        block = next((b for b in layout.blocks if b.start <= pos - 2 < b.end), None)
        if block is None:
            return _word_before(text, pos)
        pos = block.start
    return ""


def _words_outside(text: str, start: int, stop: int, layout: Layout) -> int:
    return text.count(" ", start, stop) - sum(
        text.count(" ", max(start, b.start), min(stop, b.end))
        for b in layout.blocks
        if b.end > start and b.start < stop
    )


#: A line that heads one question or answer: ``Vraag 1``, ``Antwoord 3, 4 en 5``,
#: ``Antwoord op vraag 2``, ``Vragen 7 t/m 9``, ``Mededeling``. Matched against a whole line of
#: clean text (original case and digits).
QA_LINE = re.compile(
    r"(?:(?:vra(?:ag|gen)|antwoord(?:en)?(?: op (?:de )?vra(?:ag|gen))?)"
    r"(?:\s+\d{1,3}[a-z]?(?:(?:\s*(?:,|en|t/m|tot en met|-|–)\s*|\s+)\d{1,3}[a-z]?)*)?"
    r"|mededeling)\s*[:.]?",
    re.IGNORECASE,
)
_QA_TITLE = re.compile(r"\b(?:antwoorden? (?:van|op)|vragen van|vraag|antwoord)\b")


def _answers_block_start(text: str, start: int, stop: int, breaks: LineBreaks) -> int | None:
    """Clean text: where answers to parliamentary questions sent with a cover letter begin,
    their title (``Antwoorden van de minister ... op vragen van het lid ...``) or their first
    ``Vraag 1`` line, when ``Vraag``/``Antwoord`` lines follow."""
    title = None
    for m in _QA_TITLE.finditer(text, start, stop):
        if not breaks.line_starts_at(m.start()):
            continue
        line = breaks.line_at(m.start())
        if QA_LINE.fullmatch(line):
            return title if title is not None else m.start()
        if m.group().startswith(("antwoorden", "vragen van")) and title is None:
            title = m.start()
    return None


_NOT_BEFORE_SALUTATION = frozenset(
    """
    de het een hun zijn haar onze ons mijn uw jullie wat op naar om zo te al dit die deze
    niet geen meest zeer
    """.split()
)


def _word_before(text: str, pos: int) -> str:
    chunk = text[max(0, pos - 30) : pos].rstrip()
    return chunk.rsplit(" ", 1)[-1] if chunk else ""


_LABELS = re.compile(
    r"\b(?:datum|onderwerp|betreft|uw kenmerk|ons kenmerk|kenmerk|uw brief|zaaknummer|"
    r"nummer|referentie|portefeuillehouder|geachte|excellentie)\b"
)


def _first_label(text: str, start: int, limit: int) -> int | None:
    m = _LABELS.search(text, start, limit)
    return m.start() if m else None


def _recipient_span(text: str, start: int, end: int, layout: Layout) -> Span | None:
    nxt = _block_at_or_after(layout, start)
    if nxt is not None and nxt < end:
        end = nxt
    postbus = re.compile(r"\bpostbus\b").search(text, start, end)
    if postbus:
        end = postbus.start()
    chunk = text[start:end].rstrip()
    while True:
        tail = _POSTBUS_TAIL.search(chunk)
        if tail is None:
            tail = _STREET_TAIL.search(chunk)
            if tail is not None and not is_rare_word(tail.group("street"), 3.5):
                tail = None
        if tail is None:
            break
        chunk = chunk[: tail.start()].rstrip()
    chunk = chunk.strip()
    if not chunk:
        return None
    s = text.index(chunk, start)
    return Span(s, s + len(chunk))


def _subject_end(
    text: str, start: int, salutation: int | None, layout: Layout, breaks: LineBreaks | None
) -> int:
    limit = len(text) if salutation is None else salutation
    nxt = _block_at_or_after(layout, start + 1)
    if nxt is not None:
        limit = min(limit, nxt)
    label = re.compile(r"\b(?:uw kenmerk|ons kenmerk|uw brief|bijlagen?|datum)\b").search(
        text, start, limit
    )
    if label:
        limit = label.start()
    toks = list(_TOKEN.finditer(text, start, limit))[:30]
    end = start
    for i, t in enumerate(toks):
        if salutation is None and breaks is None and i and t.group() in _OPENS_BODY:
            break  # damaged, no salutation: ``... escortsites hierbij bied ik u ...``
        end = t.end()
        if t.group().endswith(".") and len(t.group()) > 3:
            break
        # clean text: the subject line ends where a new line starts with a capital
        if (
            breaks is not None
            and i + 1 < len(toks)
            and breaks.capital_line_between(t.end(), toks[i + 1].start())
        ):
            break
    return end


#: Words that open the first sentence of a letter and stand in no subject line.
_OPENS_BODY = frozenset({"hierbij", "hiermee", "bijgaand", "ik", "wij", "graag", "naar"})


def _salutation_line_end(text: str, start: int, breaks: LineBreaks) -> int:
    """Clean text: a salutation printed on a line of its own that ends in a comma
    (``Geachte leden van de raad,``) ends with its line; else ``start``."""
    original = breaks.original
    o = breaks.to_orig[start]
    nl = original.find("\n", o)
    line_end = len(original) if nl < 0 else nl
    line = original[o:line_end].rstrip(" \t\f\r")
    if not line.endswith(",") or len(line.split()) > 10 or "." in line[:-1].replace(". ", ""):
        return start
    return bisect_left(breaks.to_orig, o + len(line) - 1)


def _salutation_end(text: str, m: re.Match[str], recipient_words: set[str]) -> int:
    toks = list(_TOKEN.finditer(text, m.end(), min(len(text), m.end() + 200)))
    taken = []
    for t in toks[:12]:
        w = t.group().rstrip(".")
        if w in TITLES or t.group() in recipient_words or w in recipient_words:
            taken.append(t)
            continue
        break
    while taken and taken[-1].group() in FUNCTION_WORDS and taken[-1].group() not in TITLES:
        taken.pop()
    while taken and taken[-1].group() in {"de", "en"}:
        taken.pop()
    return taken[-1].end() if taken else m.end()


def org_phrases(words_of: list[str]) -> list[list[str]]:
    """Word sequences of the sender's name, to recognise it in letterheads and page headers."""
    out = []
    for phrase in words_of:
        words = [w.rstrip(".") for w in phrase.split()]
        if len(words) >= 2:
            out.append(words)
    return out
