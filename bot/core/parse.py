"""Parse a Dutch policy letter (clean, damaged or PDF-extracted text) into a ParsedLetter.

Pipeline, all pure functions:

1. project the text to its damaged form (:mod:`bot.core.layout`), so that one set of layout
   rules serves every input;
2. find the letterhead column, page headers and return address (:mod:`bot.core.boilerplate`),
   and the frame: subject, salutation, body, closing, signature (:mod:`bot.core.frame`);
3. cut the body out of the original text, skipping layout blocks, stray page numbers and
   footnotes, joining what a page break split, and undoing end-of-line hyphenation;
4. find section headings, split sentences (:mod:`bot.core.segment`), repair accent gaps
   (:mod:`bot.core.repair`) and fold each sentence for matching (:func:`bot.core.text.fold`).
"""

from __future__ import annotations

import re
import statistics
import time
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from bot.core.boilerplate import Layout, find_layout, running_lines
from bot.core.frame import Frame, LineBreaks, Span, find_frame, org_phrases
from bot.core.genre import (
    QA_LINE,
    AnswersHeader,
    body_start_of_answers,
    classify,
    find_answers_header,
)
from bot.core.headings import split_inline_headings
from bot.core.layout import Pages, Projection, pages_from_form_feeds, pages_from_headers, project
from bot.core.lexicon import zipf
from bot.core.metadata import (
    NoteHead,
    answers_metadata,
    damaged_note_head,
    extract_metadata,
    note_head,
    note_metadata,
)
from bot.core.models import LetterError, ParsedLetter, Repair, Section, Sentence, SourceKind
from bot.core.repair import repair_text
from bot.core.segment import split_sentences
from bot.core.signature import Signature, read_signature
from bot.core.text import fold, looks_damaged
from bot.core.vocabulary import FINITE_VERBS, FUNCTION_WORDS, MONTH_RE

PARSER_VERSION = "5"  # 2: genres, annexes, signature blocks, running headers; 3: more templates;
# 4: signature organisation lines, wrapped functions, portfolios, departments, t.a.v. lines;
# 5: any ``Met <adjective> groet``, running-header and stacked letterheads, ministry lines,
# municipal side-column labels, running headers of more than three lines
MAX_CHARS = 2_000_000  # about 600 pages of text; more is not a letter
#: The time the ingest path gives one letter (PDF reading included). Every stage is linear in
#: the length of the text; the largest text allowed (MAX_CHARS) of the most costly shape
#: measured (bench/fuzz.py) parses in about 5 s on one core, a real letter in well under 1 s.
PARSE_SECONDS = 30.0

_FOOTNOTE_REF = re.compile(
    r"(?<=[A-Za-zà-ÿ][a-zà-ÿ]{2})\d{1,2}(?=[\s,.;:)]|$)"
    r"|(?<=[a-zà-ÿ'’»”][.,;:)?!])\d{1,2}(?=\s|$)"
)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_BULLET = re.compile(r"^\s*(?:[•·▪◦●■□➢►\-–—*]|\(?[a-z0-9]{1,2}[.)])\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?)\]’”])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[‘“])\s+")
_SPACES = re.compile(r"\s+")
_MARKING = re.compile(r"ongerubricee|\bpag\w* \d+ van \d+", re.IGNORECASE)
_ENGLISH_COMMON = frozenset(
    "the of and to is that for on with as are this be was were it by from have has not".split()
)
_DUTCH_COMMON = frozenset(
    """
    de het een en van in is dat op te voor met zijn niet aan er ook als door bij om of
    worden wordt deze die dit naar over kan tot uit nog meer hun u ik heeft hebben zal moet
    dan maar
    """.split()
)


@dataclass(slots=True)
class _Line:
    start: int  # original offsets of the kept part of a printed line
    end: int
    heading: bool = False
    bullet: bool = False
    label: str | None = None  # a heading's text when it is not the line as printed


class _Deadline:
    """A cooperative time limit: ``check()`` raises LetterError once ``at`` (a
    ``time.monotonic()`` instant; None: no limit) has passed. Called between the stages of
    the parser and every so many rounds of the loops whose length grows with the text."""

    __slots__ = ("at",)

    def __init__(self, at: float | None) -> None:
        self.at = at

    def check(self) -> None:
        if self.at is not None and time.monotonic() >= self.at:
            raise LetterError(
                "text_too_slow",
                "the text took too long to read; it is too large or too unusual to be a letter",
            )


@dataclass(slots=True)
class _Body:
    text: str = ""
    to_orig: array = field(default_factory=lambda: array("l"))
    breaks: list[int] = field(default_factory=list)
    headings: dict[int, str] = field(default_factory=dict)  # body offset -> heading text
    heading_ends: dict[int, int] = field(default_factory=dict)  # body offset -> its end


def parse_letter(
    original: str, *, source_kind: SourceKind = "txt", deadline: float | None = None
) -> ParsedLetter:
    """Parse one letter. Raises :class:`LetterError` when the text is not a letter, and when
    ``deadline`` (a ``time.monotonic()`` instant) passes before the parse is done."""
    clock = _Deadline(deadline)
    clock.check()
    if len(original) > MAX_CHARS:
        size = f"{len(original):,}"
        raise LetterError(
            "text_too_long", f"the text is too long for a letter ({size} characters)", size=size
        )
    if not original.strip():
        raise LetterError("file_empty", "the file is empty")
    if _UNSTORABLE.search(original):  # binary, or not valid UTF-8: nothing a letter holds
        raise LetterError(
            "binary",
            "the text holds NUL characters or unpaired surrogates, so it is not a text letter",
        )
    damaged = looks_damaged(original)
    proj = project(original)
    _check_dutch(proj.text)
    clock.check()

    breaks = None if damaged else LineBreaks(original, proj.to_orig)
    running = [] if damaged else _to_projection(proj, running_lines(original))
    layout = find_layout(proj.text, running=running)
    clock.check()
    frame = find_frame(proj.text, layout, breaks)
    sig = _signature_of(proj, original, layout, frame, damaged)
    phrases = org_phrases(sig.phrases(proj.text))
    clock.check()
    if phrases:
        layout = find_layout(proj.text, phrases, running)
        clock.check()
        frame = find_frame(proj.text, layout, breaks)
        sig = _signature_of(proj, original, layout, frame, damaged)
    clock.check()
    answers = find_answers_header(proj.text)
    qa_lines = 0 if damaged else _count_qa_lines(original)
    genre = classify(proj.text, layout, frame, answers=answers, qa_headings=qa_lines)
    # a letter frame: letters, and answers sent with a cover letter (the answers follow it:
    # after its salutation, or, in a cover letter without one, after its signature)
    header_first = answers is not None and (
        frame.salutation is None or answers.start < frame.salutation.start
    )
    if header_first and _signed_before(frame, answers):
        header_first = False
    framed = genre == "letter" or (
        genre == "answers"
        and not header_first
        and bool(frame.salutation or frame.closing or frame.signature)
    )
    if genre == "answers" and not framed:
        frame.body = Span(body_start_of_answers(proj.text, answers), len(proj.text))
    elif not framed:
        frame.body = Span(0 if frame.subject is None else frame.body.start, len(proj.text))
    if not framed:
        frame.annex = None
    clock.check()

    removed = sorted(
        _widen(original, proj.orig_start(b.start), proj.orig_end(b.end)) for b in layout.blocks
    )
    pages = pages_from_form_feeds(original) or pages_from_headers(
        [proj.orig_start(p) for p in _real_page_headers(proj, layout.page_headers)]
        + [proj.orig_start(p) for p in _pages_after_footers(proj, layout.page_footers)],
        original,
    )
    assert frame.body is not None
    region = (
        _skip_punctuation(original, proj.orig_end(frame.body.start)),
        proj.orig_end(frame.body.end),
    )
    if frame.body.start >= len(proj.text):
        region = (len(original), len(original))
    head: NoteHead | None = None
    if genre in ("note", "report") and not damaged:
        head = note_head(original, region[0])
        region = (head.end, region[1])
    elif genre in ("note", "report"):
        at, sender, title, month = damaged_note_head(proj.text)
        head = NoteHead(end=region[0], title=title, sender=sender, date=month)
        if at:
            head.end = _skip_punctuation(original, proj.orig_end(at))
            region = (max(region[0], head.end), region[1])
    annex: tuple[_Line | None, tuple[int, int]] | None = None
    if frame.annex is not None:
        annex = _annex_parts(original, proj.orig_start(frame.annex), damaged)
    clock.check()
    if not damaged:
        for reg in (region, *([annex[1]] if annex else [])):
            removed = _merge_spans(removed + _footnotes_and_numbers(original, reg, removed, clock))
            removed = _merge_spans(removed + _page_foot_lines(original, reg))
    lines = _kept_lines(original, region, removed)
    if annex is not None:
        if annex[0] is not None:
            lines.append(annex[0])
        lines.extend(_kept_lines(original, annex[1], removed))
    clock.check()
    if damaged:
        _drop_citation_tails(original, lines, clock)
    else:
        _mark_headings(original, lines, first_may_head=not framed)
    clock.check()
    body = _build_body(original, lines, damaged=damaged, clock=clock)

    clock.check()
    if damaged and genre == "answers":
        _mark_qa_words(body)
    spans = split_sentences(body.text, damaged=damaged, breaks=body.breaks)
    clock.check()
    if framed:
        metadata = extract_metadata(original, proj, layout, frame, sig, breaks, damaged=damaged)
    elif genre == "answers":
        metadata = answers_metadata(original, proj, answers, damaged=damaged)
    else:
        metadata = note_metadata(original, proj, frame, head, damaged=damaged)
    letter = ParsedLetter(
        original=original,
        source_kind=source_kind,
        damaged=damaged,
        pages=pages.count,
        metadata=metadata,
        genre=genre,
    )
    _assemble(letter, body, spans, pages, damaged, clock)
    if not letter.sentences:
        if framed:
            raise LetterError("not_a_letter", "no letter text found after removing the letterhead")
        raise LetterError(
            "not_a_letter", "no text found after removing the page headers and footers"
        )
    if not framed and len({s.norm for s in letter.sentences}) < _MIN_DISTINCT_SENTENCES:
        raise LetterError(
            "too_little_text",
            "too little text to be a policy document: a letter needs a salutation or closing, "
            "any other document at least three different sentences",
        )
    return letter


def _signed_before(frame: Frame, answers: AnswersHeader | None) -> bool:
    """A cover letter with its subject line and signature before the answers' header (the
    ministry's letter that sends the answers), whether or not it has a salutation."""
    return (
        answers is not None
        and frame.subject is not None
        and frame.signature is not None
        and frame.subject.start < frame.signature.start <= answers.start
    )


def _to_projection(proj: Projection, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Original spans as projection spans (the projection's map is increasing)."""
    return [(bisect_left(proj.to_orig, a), bisect_left(proj.to_orig, b)) for a, b in spans if b > a]


def _signature_of(
    proj: Projection, original: str, layout: Layout, frame: Frame, damaged: bool
) -> Signature:
    if frame.signature is None:
        return Signature()
    return read_signature(
        proj.text,
        frame.signature.start,
        frame.signature.end,
        layout,
        None if damaged else original,
        None if damaged else proj.to_orig,
    )


_ANNEX_LINE = re.compile(
    r"(?P<label>bijlagen?(?:\s+(?:\d{1,2}|[IVX]{1,4}|[A-Z]))?)\s*[:.\-–]?\s*(?P<title>[^\n]*)",
    re.IGNORECASE,
)


def _annex_parts(original: str, start: int, damaged: bool) -> tuple[_Line | None, tuple[int, int]]:
    """The heading of an annex (``Bijlage: title``, or ``Bijlage 2`` with the title on the
    next line, and a byline such as ``Org, februari 2024`` under it) and where its text
    begins. Answers sent with a cover letter start with their title (``Antwoorden van ...
    op vragen van ...``, the heading) or with ``Vraag 1`` (no heading of their own)."""
    nl = original.find("\n", start)
    line_end = len(original) if nl < 0 else nl
    if damaged:
        words = original[start : min(len(original), start + 40)].split(" ")
        end = start + len(words[0])
        if len(words) > 2 and re.fullmatch(r"[ivx]{1,4}|[a-h]", words[1]):
            end += 1 + len(words[1])  # ``bijlage ii``: the numeral the damage kept
        return _Line(start, end, heading=True), (end, len(original))
    first = original[start:line_end].strip()
    if QA_LINE.fullmatch(first):
        return None, (start, len(original))
    if not first.lower().startswith("bijlage"):
        # a title over up to four lines, up to the first ``Vraag`` line
        title = [first]
        pos = line_end + 1
        while pos < len(original) and len(title) < 4:
            nl = original.find("\n", pos)
            end = len(original) if nl < 0 else nl
            line = original[pos:end].strip(" \t\f")
            if QA_LINE.fullmatch(line):
                break
            if line:
                title.append(line)
            pos = end + 1
        text = _SPACES.sub(" ", " ".join(title))
        return _Line(start, line_end, heading=True, label=text), (
            min(pos, len(original)),
            len(original),
        )
    m = _ANNEX_LINE.match(original, start, line_end)
    label = m.group("label").strip() if m else original[start:line_end].strip()
    title = m.group("title").strip() if m else ""
    pos = line_end + 1
    taken = 0
    while pos < len(original) and taken < 2:
        nl = original.find("\n", pos)
        end = len(original) if nl < 0 else nl
        line = original[pos:end].strip(" \t\f")
        if not line:
            pos = end + 1
            continue
        short = len(line.split()) <= 14 and line[-1] not in ".:;?!"
        if short and title and line[0].islower() and taken == 0 and title.count(" ") < 40:
            title = f"{title} {line}"  # the title goes on over a line break
            pos = end + 1
            continue
        if not (short and line[0].isupper()):
            break
        if not title:
            title = line
        elif _MONTH_OR_YEAR.search(line) is None:
            break  # a byline under the title carries a date; anything else is text
        taken += 1
        pos = end + 1
    text = f"{label}: {title}" if title else label
    return _Line(start, line_end, heading=True, label=_SPACES.sub(" ", text)), (
        min(pos, len(original)),
        len(original),
    )


_MONTH_OR_YEAR = re.compile(r"\b(?:19|20)\d\d\b|\b" + MONTH_RE + r"\b", re.IGNORECASE)


#: A document that is not a letter is stored only when it says a little more than a line.
_MIN_DISTINCT_SENTENCES = 3


def _count_qa_lines(original: str) -> int:
    """Lines of clean text that are nothing but ``Vraag N`` / ``Antwoord N``."""
    count = 0
    for m in _QA_CANDIDATE.finditer(original):
        if QA_LINE.fullmatch(m.group(1).strip()) and not m.group(1).strip().lower().startswith(
            "mededeling"
        ):
            count += 1
            if count >= 4:
                break
    return count


_QA_CANDIDATE = re.compile(r"^[ \t]*((?:vra|antw|mede)[^\n]{0,40})$", re.MULTILINE | re.IGNORECASE)


def _skip_punctuation(original: str, pos: int) -> int:
    """The body begins at its first word: skip the comma after a salutation and the like."""
    while pos < len(original) and not (original[pos].isalnum() or original[pos] in "‘“'\"(["):
        pos += 1
    return pos


def _check_dutch(projected: str) -> None:
    words = projected.split()
    if len(words) < 8:
        raise LetterError("too_little_text", "too little text to be a letter")
    sample = words[:3000]
    share = sum(1 for w in sample if w in _DUTCH_COMMON) / len(sample)
    english = sum(1 for w in sample if w in _ENGLISH_COMMON) / len(sample)
    if share < 0.12 or english > share:
        raise LetterError(
            "not_dutch", "this does not look like Dutch text, so not a letter briefbot can read"
        )


def _real_page_headers(proj: Projection, headers: list[int]) -> list[int]:
    """Drop a header printed twice on one page: a page holds real text before the next one."""
    out: list[int] = []
    for h in sorted(headers):
        if out and sum(ch.isalpha() for ch in proj.text[out[-1] : h]) < 150:
            continue
        out.append(h)
    return out


def _pages_after_footers(proj: Projection, footers: list[int]) -> list[int]:
    """A page footer ends its page: the next begins after it, when real text follows."""
    out = []
    for end in footers:
        nxt = proj.text.find(" ", end)
        if nxt >= 0 and sum(ch.isalpha() for ch in proj.text[nxt : nxt + 400]) >= 150:
            out.append(nxt + 1)
    return out


def _widen(original: str, start: int, end: int) -> tuple[int, int]:
    """Grow a block over neighbouring lines that hold no letters (page numbers, reference
    numbers, the year of a date)."""
    n = len(original)
    # backwards over whitespace and letterless lines
    s = start
    while True:
        i = s
        while i > 0 and original[i - 1] in " \t\f":
            i -= 1
        if i > 0 and original[i - 1] == "\n":
            line_start = original.rfind("\n", 0, i - 1) + 1
            if not any(ch.isalpha() for ch in original[line_start : i - 1]):
                s = line_start
                if line_start == 0:
                    break
                continue
        break
    # forwards: the rest of this line when it has no letters, then letterless lines
    e = end
    nl = original.find("\n", e)
    line_end = n if nl < 0 else nl
    if not any(ch.isalpha() for ch in original[e:line_end]) and "\n" in original[e : line_end + 1]:
        e = line_end
        while e < n:
            nxt = original.find("\n", e + 1)
            nxt_end = n if nxt < 0 else nxt
            if any(ch.isalpha() for ch in original[e + 1 : nxt_end]):
                break
            e = nxt_end
    return s, e


#: A letterhead's footer line: the organisation, its address, phone and site between
#: separators (``Stichting X • Postbus 12 • 3502 HC Utrecht • www.x.nl``).
_SEPARATORS = re.compile(r"\s[•|·▪]\s")
_CONTACT_ITEM = re.compile(
    r"\b\d{4} ?[A-Z]{2}\b|\bwww\.|https?://|@|\bpostbus\b|\bkvk\b|\b0\d{2,3}[- ]?\d{3}",
    re.IGNORECASE,
)
#: A footnote printed on one line with its number: ``2 Memorie van toelichting, par. 2.3.``
_NOTE_START = re.compile(r"[ \t]*(\d{1,2})[ \t]+[A-Z«“\"'(]")
_PAGE_MARK = re.compile(
    r"[ \t]*(?:\d{1,3}(?:[ \t]*/[ \t]*\d{1,3})?|pagina \d+(?: van \d+)?)[ \t]*", re.IGNORECASE
)


def _page_foot_lines(original: str, region: tuple[int, int]) -> list[tuple[int, int]]:
    """Clean text only: the letterhead's footer lines (separated contact items), and the
    footnotes at the foot of a page printed with their number on the note's first line, when
    the text above refers to that number (``... in beeld.1``)."""
    a, b = region
    out: list[tuple[int, int]] = []
    lines: list[tuple[int, int]] = []
    pos = a
    while pos < b:
        nl = original.find("\n", pos, b)
        end = b if nl < 0 else nl
        lines.append((pos, end))
        pos = end + 1
    footer = [
        len(_SEPARATORS.findall(original[s:e])) >= 2 and bool(_CONTACT_ITEM.search(original[s:e]))
        for s, e in lines
    ]
    out.extend(span for span, f in zip(lines, footer, strict=True) if f)
    # the last line of each page: before a form feed, and the end of the region
    page_ends = [k for k, (s, e) in enumerate(lines) if "\f" in original[e : e + 2]]
    page_ends.append(len(lines) - 1)
    for last in page_ends:
        k = last
        while k >= 0 and (
            footer[k]
            or _PAGE_MARK.fullmatch(original[slice(*lines[k])].strip("\f"))
            or not original[slice(*lines[k])].strip()
        ):
            k -= 1
        block: list[int] = []
        pending: list[int] = []
        while k >= 0 and len(block) + len(pending) < 8:
            text = original[slice(*lines[k])].lstrip("\f")
            m = _NOTE_START.match(text)
            if m is None:
                pending.append(k)  # a note's continuation line, if a numbered line comes
                if len(pending) > 2:
                    break
                k -= 1
                continue
            before = original[max(0, lines[k][0] - 20000) : lines[k][0]]
            if not re.search(r"[a-zà-ÿ.,;:)»”]" + m.group(1) + r"(?=[\s.,;:])", before):
                break  # nothing above refers to this number: text, not a note
            block.extend([*pending, k])
            pending = []
            k -= 1
        out.extend(lines[j] for j in block)
    return out


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


_NUMBER_LINE = re.compile(r"^[ \t\f]*(\d{1,2})[ \t]*$", re.MULTILINE)
_NOTE_LINE = re.compile(r"^[ \t]*(\d{1,2})[ \t]+\S", re.MULTILINE)


def _footnotes_and_numbers(
    original: str,
    region: tuple[int, int],
    removed: list[tuple[int, int]],
    clock: _Deadline | None = None,
) -> list[tuple[int, int]]:
    """Clean text only: footnotes (a number line, then the note, up to the letterhead or the
    end of the page) and stray page numbers."""
    out: list[tuple[int, int]] = []
    starts = sorted(s for s, _ in removed)
    a, b = region
    feeds = [m.start() for m in re.finditer("\f", original)]
    numbers = list(_NUMBER_LINE.finditer(original, a, b))
    # From the last to the first: a footnote runs to the end of its page (or the letterhead),
    # at most 8 lines, or, in a run of notes at the foot of a page, up to the next note.
    following: int | None = None
    for k, m in enumerate(reversed(numbers)):
        if clock is not None and k % 256 == 255:
            clock.check()
        line_end = m.end()
        out.append((m.start(), line_end))
        if "\f" in m.group() or m.start() == 0:
            following = None
            continue  # a page number at the top of a page, not a footnote's
        nxt = _next_stop(original, line_end, starts, feeds)
        in_run = following is not None and following <= nxt
        near = _few_lines(original, line_end, nxt, 8) or (
            in_run and _few_lines(original, line_end, following, 3)
        )
        if near and any(ch.isalpha() for ch in original[line_end:nxt]):
            out.append((line_end, nxt))
            following = m.start()
        else:
            following = None
    return out


def _few_lines(text: str, start: int, end: int, most: int) -> bool:
    """``text[start:end].count("\\n") <= most``, looking no further than needed."""
    pos = start
    for _ in range(most + 1):
        pos = text.find("\n", pos, end)
        if pos < 0:
            return True
        pos += 1
    return False


def _next_stop(original: str, pos: int, starts: list[int], feeds: list[int]) -> int:
    """The next form feed or layout block at or after ``pos``, else the end of the text."""
    k = bisect_left(feeds, pos)
    stop = feeds[k] if k < len(feeds) else len(original)
    k = bisect_left(starts, pos)
    if k < len(starts):
        stop = min(stop, starts[k])
    return stop


def _kept_lines(
    original: str, region: tuple[int, int], removed: list[tuple[int, int]]
) -> list[_Line]:
    """The printed lines of the body region with removed spans cut out."""
    a, b = region
    pieces: list[tuple[int, int]] = []
    pos = a
    for s, e in removed:
        if e <= pos or s >= b:
            continue
        if s > pos:
            pieces.append((pos, s))
        pos = max(pos, e)
    if pos < b:
        pieces.append((pos, b))
    lines: list[_Line] = []
    for s, e in pieces:
        i = s
        while i < e:
            j = original.find("\n", i, e)
            j = e if j < 0 else j
            seg_s, seg_e = i, j
            while seg_s < seg_e and original[seg_s] in " \t\f\r":
                seg_s += 1
            while seg_e > seg_s and original[seg_e - 1] in " \t\f\r":
                seg_e -= 1
            if seg_e > seg_s:
                lines.append(_Line(seg_s, seg_e))
            i = j + 1
    return lines


_CITATION = re.compile(
    r"\b(?:kamerstukken|handelingen|https?|www\.|stb\.|stcrt\.|trb\.|ibid|idem|pp\."
    r"|zie (?:ook )?(?:tabel|pagina|p\.|blz\.|noot|bijlage|hoofdstuk|paragraaf|kamerstukken)"
    r"|den haag[a-z ]{0,40}\.|[a-z]+ \.$)"
)


def _drop_citation_tails(original: str, lines: list[_Line], clock: _Deadline | None = None) -> None:
    """Damaged text only: footnotes lose their numbers and stay in the running text, just
    before the letterhead or the next page. Cut a tail of reference-like sentences (and a
    reference that interrupts a sentence) off each piece that a layout block ends."""
    for k, ln in enumerate(lines[:-1]):
        if clock is not None and k % 64 == 63:
            clock.check()
        window_start = max(ln.start, ln.end - 600)
        window = original[window_start : ln.end]
        spans = split_sentences(window, damaged=True)
        if not spans:
            continue
        cut = None
        anchored = False
        for a, b in reversed(spans):
            sent = window[a:b]
            words = sent.split()
            has_anchor = _CITATION.search(sent) is not None
            verbless = not any(w.strip(".") in FINITE_VERBS for w in words)
            if has_anchor and (verbless or len(words) <= 12):
                cut, anchored = a, True
                continue
            if cut is not None and verbless and len(words) <= 14:
                cut = a
                continue
            if has_anchor or " zie " in sent:
                m = re.search(r"\b(?:kamerstukken|handelingen|https?|www\.)", sent) or re.search(
                    r"\bzie (?=[^.]*\b(?:blz|pp?|pagina|rapport\w*|tabel|hoofdstuk|bijlage)\b)",
                    sent,
                )
                if m and m.start() > 0:
                    cut, anchored = a + m.start(), True
            break
        if cut is not None and anchored:
            new_end = window_start + cut
            while new_end > ln.start and original[new_end - 1] == " ":
                new_end -= 1
            ln.end = max(ln.start, new_end)


def _mark_headings(original: str, lines: list[_Line], *, first_may_head: bool = False) -> None:
    """A heading: a short line after a finished sentence, before a capitalised line, without
    final punctuation and not ending in a function word; and every line that is nothing but
    ``Vraag N`` / ``Antwoord N`` (answers to parliamentary questions)."""
    for ln in lines:
        short = ln.end - ln.start <= 50 and original[ln.start] in "VAM"
        if short and QA_LINE.fullmatch(original, ln.start, ln.end):
            ln.heading = True
    if len(lines) < 3:
        return
    lengths = [ln.end - ln.start for ln in lines]
    typical = statistics.median(lengths)
    for k, ln in enumerate(lines):
        start = ln.start
        text = original[start : ln.end]
        if _BULLET.match(text) and k > 0 and not _open_bracket(original, lines[k - 1]):
            ln.bullet = True  # not a dash that goes on with ``(Financiën`` / ``– Fiscaliteit)``
        if (k == 0 and not first_may_head) or k == len(lines) - 1 or ln.heading:
            continue
        # the first line of a document that is not a letter may head its first section
        prev = original[lines[k - 1].start : lines[k - 1].end].rstrip() if k else "."
        if k and lines[k - 1].heading:
            prev = "."  # under a heading (an annex's) may come a heading of its own
        nxt = original[lines[k + 1].start : lines[k + 1].end].lstrip()
        words = text.split()
        if not (1 <= len(words) <= 10 and len(text) <= max(20, 0.75 * typical)):
            continue
        if text[-1] in ".,;:!?" or not (text[0].isupper() or text[0].isdigit()):
            continue
        if not prev or prev.rstrip("\"'’”»)")[-1:] not in (".", "!", "?", ":"):
            continue
        if not nxt or not (nxt[0].isupper() or nxt[0].isdigit() or nxt[0] in "‘“'\"(•-–"):
            continue
        last = words[-1].lower().strip("()")
        if last in FUNCTION_WORDS:
            continue
        letters = sum(ch.isalpha() for ch in text)
        if letters < 0.6 * len(text.replace(" ", "")) or _MARKING.search(text):
            continue
        ln.heading = True


def _open_bracket(original: str, line: _Line) -> bool:
    text = original[line.start : line.end]
    return text.count("(") > text.count(")")


def _build_body(
    original: str, lines: list[_Line], *, damaged: bool, clock: _Deadline | None = None
) -> _Body:
    out: list[str] = []
    omap = array("l")
    body = _Body()

    def emit(s: str, at: int) -> None:
        for k, ch in enumerate(s):
            out.append(ch)
            omap.append(at + k)

    def space(at: int) -> None:
        if out and out[-1] != " ":
            out.append(" ")
            omap.append(at)

    for k, ln in enumerate(lines):
        if clock is not None and k % 256 == 255:
            clock.check()
        start = ln.start
        text = original[start : ln.end]
        if ln.heading:
            space(ln.start)
            body.breaks.append(len(out))
            at = len(out)
            body.headings[at] = ln.label or _SPACES.sub(" ", text).strip()
            emit(text, ln.start)
            body.heading_ends[at] = len(out)
            body.breaks.append(len(out))
            continue
        if ln.bullet:
            space(ln.start)
            body.breaks.append(len(out))
            m = _BULLET.match(text)
            if m and not re.match(r"\(?[a-z0-9]", text.strip()):
                start = ln.start + m.end()
                text = original[start : ln.end]
        # end-of-line hyphenation: ``duide-`` + ``lijke`` (the part before the hyphen is no
        # word of its own, or the two make one); ``concept-`` + ``wetsvoorstel`` stays
        if out and out[-1] == "-" and not damaged and k > 0 and text[:1].islower():
            prev_word = _word_before(out)
            next_word = re.match(r"[a-zà-ÿ]+", text)
            joined = prev_word + (next_word.group() if next_word else "")
            if prev_word and next_word and (zipf(joined) > 0 or zipf(prev_word) == 0):
                out.pop()
                omap.pop()
            emit(text, start)
            continue
        after_table = k > 0 and text[:1].isupper() and _table_row(original, lines[k - 1])
        if not damaged and after_table and not _table_row(original, ln):
            body.breaks.append(len(out))  # a table's last row ends its "sentence"
        space(start)
        emit(text, start)
    body.text = "".join(out)
    body.to_orig = omap
    return body


_NUMBER = re.compile(r"[\d.,%€-]*\d[\d.,%€-]*")


def _table_row(original: str, line: _Line) -> bool:
    """A printed line that is a row of a table: it ends in a number, and numbers are at least
    half of its words (``Koninklijke Marine 1.035 1.120 1.290``, ``2015 2018 2021``)."""
    words = original[line.start : line.end].split()
    numbers = sum(bool(_NUMBER.fullmatch(w)) for w in words)
    return numbers >= 2 and bool(_NUMBER.fullmatch(words[-1])) and 2 * numbers >= len(words)


# Damaged answers: ``Vraag 3`` and ``Antwoord 3`` lost their digits and line breaks and run
# into the text: ``... de nos antwoord ja. vraag wat is er ...``. The word is a heading unless
# the words around it make it a noun of a sentence (``het antwoord op``, ``de vraag of``).
_QA_DAMAGED = re.compile(
    r"(?<![a-z.])(?:vraag|vragen|antwoord|antwoorden|mededeling)"
    r"(?: (?:en|tot en met|op vraag|op de vragen|op vragen))*(?= [a-z])"
)
_NOT_BEFORE_QA = frozenset(
    """
    de het een deze dit die dat uw mijn ons onze zijn haar hun jullie op zie in van bij naar
    met ter welke elke iedere elk ieder dezelfde hetzelfde geen per voor tot om aan over als
    ander andere vorige volgende eerdere eerste tweede derde laatste schriftelijke gestelde
    bovenstaande voorgaande genoemde betreffende open gesloten nadere kamer
    """.split()
)
_NOT_AFTER_QA = frozenset(
    "of om naar over van is was die dat wordt werd zijn heeft hebben kan moet zal".split()
)
# ``vooruitlopend op de wet vraag ik exploitanten ...``: the verb (an answer may open with
# ``ik``, a question hardly ever)
_NOT_AFTER_VRAAG = frozenset("ik wij we ook nu dan daarom hierbij".split())


def _mark_qa_words(body: _Body) -> None:
    """Damaged answers: make ``vraag`` / ``antwoord`` at the start of a question or answer a
    heading of its own (see :data:`_QA_DAMAGED`)."""
    text = body.text
    for m in _QA_DAMAGED.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()].split()
        prev = before[-1] if before else ""
        after = text[m.end() : m.end() + 40].split()
        nxt = after[0] if after else ""
        if prev and not prev.endswith(".") and prev in _NOT_BEFORE_QA:
            continue
        if nxt in _NOT_AFTER_QA or not nxt or (m.group() == "vraag" and nxt in _NOT_AFTER_VRAAG):
            continue
        body.breaks.extend((m.start(), m.end()))
        body.headings[m.start()] = m.group()
        body.heading_ends[m.start()] = m.end()


def _word_before(out: list[str]) -> str:
    i = len(out) - 1  # the hyphen
    j = i
    while j > 0 and out[j - 1].isalpha():
        j -= 1
    return "".join(out[j:i]).lower()


_LONE_PERIODS = re.compile(r"(?<=\s)\.(?:\s\.)*(?=\s)")


def _clean_sentence(text: str, damaged: bool) -> str:
    # damaged: what is left of ``6.5.1`` once digits are gone; clean: footnote numbers
    text = _LONE_PERIODS.sub(" ", text) if damaged else _FOOTNOTE_REF.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN.sub(r"\1", text)
    return text


def _assemble(
    letter: ParsedLetter,
    body: _Body,
    spans: list[tuple[int, int]],
    pages: Pages,
    damaged: bool,
    clock: _Deadline | None = None,
) -> None:
    heading_at = body.headings
    heading_starts = sorted(heading_at)
    units: list[tuple[str, int, int]] = []  # ("h"|"s", start, end)
    emitted: set[int] = set()
    for s, e in spans:
        # headings are disjoint stretches of the body: only the last one to start at or
        # before ``s`` can hold it
        k = bisect_right(heading_starts, s) - 1
        h = heading_starts[k] if k >= 0 else -1
        if k >= 0 and s < body.heading_ends[h]:
            if h not in emitted:
                emitted.add(h)
                units.append(("h", h, e))
            continue  # the rest of a heading a period split: the heading's text says it
        units.append(("s", s, e))
    if damaged:
        units = split_inline_headings(body.text, units, letter.metadata.subject)

    section = -1
    number = 0
    for k, (kind, s, e) in enumerate(units):
        if clock is not None and k % 64 == 63:
            clock.check()
        if kind == "h":
            label = heading_at.get(s)
            text = label if label is not None else body.text[s:e]
            letter.sections.append(Section(heading=_clean_sentence(text, damaged)))
            section = len(letter.sections) - 1
            continue
        if section < 0:
            letter.sections.append(Section(heading=None))
            section = 0
        raw = _clean_sentence(body.text[s:e], damaged)
        if not raw:
            continue
        number += 1
        repaired, fixes = repair_text(raw, damaged=damaged)
        o_start = body.to_orig[s]
        o_end = body.to_orig[e - 1] + 1
        letter.sentences.append(
            Sentence(
                number=number,
                section=section,
                page=pages.page_of(o_start),
                start=o_start,
                end=o_end,
                text=repaired,
                original=letter.original[o_start:o_end],
                norm=fold(repaired),
            )
        )
        letter.repairs.extend(Repair(number, f.from_text, f.to_text) for f in fixes)
    # drop sections that ended up empty (a heading right before another heading); an annex's
    # heading stays, above the headings of its parts
    used = {s.section for s in letter.sentences}
    last = max(used, default=-1)
    used |= {
        i
        for i, sec in enumerate(letter.sections)
        if i < last and (sec.heading or "").lower().startswith(("bijlage", "antwoorden", "vragen"))
    }
    if len(used) != len(letter.sections):
        remap: dict[int, int] = {}
        kept: list[Section] = []
        for i, sec in enumerate(letter.sections):
            if i in used:
                remap[i] = len(kept)
                kept.append(sec)
        letter.sections = kept
        for sent in letter.sentences:
            sent.section = remap[sent.section]


def frame_of(original: str) -> Frame:
    """The frame of a letter, for diagnostics and tests."""
    proj = project(original)
    return find_frame(proj.text, find_layout(proj.text))
