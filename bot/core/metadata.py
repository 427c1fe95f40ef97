"""Letter metadata, cut from the original text at the places the frame and layout found."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.boilerplate import Layout
from bot.core.frame import Frame, Span
from bot.core.genre import AnswersHeader
from bot.core.layout import Projection
from bot.core.lexicon import is_rare_word
from bot.core.models import LetterMetadata
from bot.core.vocabulary import MONTH_RE, MONTHS, ROLE_WORDS

_DATE = re.compile(
    r"\bdatum\b[\s:]*(?P<day>\d{1,2}\s+)?(?P<month>" + MONTH_RE + r")(?P<year>\s+\d{4})?",
    re.IGNORECASE,
)
_DATE_BARE = re.compile(
    r"\b(?P<day>\d{1,2})\s+(?P<month>" + MONTH_RE + r")\s+(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_REFERENCE = re.compile(
    r"\bons kenmerk\b[\s:]*(?P<ref>[A-Za-z]*\d[\w/.\-]*(?: \d+)*)", re.IGNORECASE
)
_COPIES = re.compile(
    r"\b(?:(?:een )?(?:afschrift|kopie)(?:en)? (?:van deze brief )?(?:\w+ ){0,5}?(?:aan|naar)"
    r"|deze brief is (?:ook |tevens )?(?:verzonden|gestuurd) (?:aan|naar))\s+(?P<who>[^.]{3,200})",
)
_RECIPIENT_ROLES = re.compile(
    r"\b(?:informateur|formateur|minister(?:-president)?|staatssecretaris|voorzitter|"
    r"(?:vaste )?commissie|kamerleden|burgemeester|directeur|ministerie)\b"
)
_SPACES = re.compile(r"\s+")


def _clean(s: str) -> str:
    s = _SPACES.sub(" ", s).strip(" ,;:\n")
    return s


def _orig(proj: Projection, original: str, span: Span | None) -> str | None:
    if span is None or span.end <= span.start:
        return None
    text = _clean(original[proj.orig_start(span.start) : proj.orig_end(span.end)])
    return text or None


_CLOSERS = {"(": ")", "«": "»", "“": "”", "‘": "’", "[": "]"}


def _orig_whole(proj: Projection, original: str, span: Span | None) -> str | None:
    """Like :func:`_orig`, with what the projection dropped at the end taken back: the digits
    of ``(D66)`` and the closing ``)`` or ``»`` of an opened bracket or quote."""
    if span is None or span.end <= span.start:
        return None
    start, end = proj.orig_start(span.start), proj.orig_end(span.end)
    while end < len(original) and original[end].isdigit():
        end += 1
    text = original[start:end]
    for _ in range(4):
        opened = [c for o, c in _CLOSERS.items() if text.count(o) > text.count(c)]
        if end < len(original) and original[end] in opened:
            end += 1
            text = original[start:end]
            continue
        break
    return _clean(text) or None


def extract_metadata(
    original: str, proj: Projection, layout: Layout, frame: Frame, *, damaged: bool
) -> LetterMetadata:
    meta = LetterMetadata()
    header_end = proj.orig_start(frame.body.start) if frame.body else len(original)
    meta.subject = _orig(proj, original, frame.subject)
    meta.salutation = _orig(proj, original, frame.salutation)
    meta.closing = _orig(proj, original, frame.closing)
    meta.signatory = _orig(proj, original, frame.signatory)
    meta.sender = _orig(proj, original, frame.sender)
    if meta.subject and not damaged:
        meta.subject = meta.subject.rstrip(".")
    meta.date = _date(original, header_end)
    meta.reference = _reference(original)
    meta.contact = _contact(original, proj, layout)
    meta.copies = _copies(original, proj)
    if frame.recipient:
        rec = _orig(proj, original, frame.recipient)
        if rec:
            lines = [
                _clean(line)
                for line in original[
                    proj.orig_start(frame.recipient.start) : proj.orig_end(frame.recipient.end)
                ].splitlines()
            ]
            lines = [line for line in lines if line]
            meta.recipient = ", ".join(lines) if len(lines) > 1 else rec
            role = _RECIPIENT_ROLES.search(proj.text, frame.recipient.start, frame.recipient.end)
            if role:
                role_text = _orig(proj, original, Span(role.start(), role.end()))
                if not damaged:
                    # the whole printed line that holds the role
                    for line in lines:
                        if role_text and role_text.lower() in line.lower():
                            role_text = line
                            break
                meta.recipient_role = role_text
    return meta


def _date(original: str, header_end: int) -> str | None:
    end = header_end if header_end > 0 else len(original)
    m = _DATE.search(original, 0, end) or _DATE.search(original)
    if m is None:
        m = _DATE_BARE.search(original, 0, end)
    if m is None:
        return None
    month = m.group("month").lower()
    day = (m.group("day") or "").strip()
    year = (m.group("year") or "").strip()
    if day and year:
        d = int(day)
        if 1 <= d <= 31:
            return f"{int(year):04d}-{MONTHS[month]:02d}-{d:02d}"
    return " ".join(p for p in (day, month, year) if p)


def _reference(original: str) -> str | None:
    m = _REFERENCE.search(original)
    return m.group("ref").strip() if m else None


def _contact(original: str, proj: Projection, layout: Layout) -> str | None:
    text = proj.text
    for block in layout.blocks:
        i = text.find("contactpersoon", block.start, block.end)
        if i < 0:
            continue
        toks = list(re.finditer(r"\S+", text[i + len("contactpersoon") : block.end]))
        name = []
        for t in toks[:6]:
            w = t.group().rstrip(".")
            phone_label = w in {"t", "m", "f"} and not t.group().endswith(".")
            address = "." in t.group()[1:-1] and w.endswith((".nl", ".com", ".org", ".eu"))
            if w in ROLE_WORDS or phone_label or address or w in {"ons", "uw", "bij", "wilt"}:
                break
            name.append(t)
        if not name:
            continue
        base = i + len("contactpersoon")
        span = Span(base + name[0].start(), base + name[-1].end())
        return _orig(proj, original, span)
    return None


def _copies(original: str, proj: Projection) -> str | None:
    m = _COPIES.search(proj.text)
    if not m:
        return None
    who = Span(m.start("who"), m.end("who"))
    # stop at the letterhead or the end of the clause
    stop = re.search(
        r"\b(?:bij beantwoording|ons kenmerk|met vriendelijke|hoogachtend)\b", who.text(proj.text)
    )
    if stop:
        who = Span(who.start, who.start + stop.start())
    return _orig(proj, original, who)


# --------------------------------------------------------------------------- other genres

_DATE_ANY = re.compile(
    r"\b(?P<day>\d{1,2})\s+(?P<month>" + MONTH_RE + r")\s+(?P<year>(?:19|20)\d\d)\b"
    r"|\b(?P<month2>" + MONTH_RE + r")(?P<year2>\s+(?:19|20)\d\d)?\b",
    re.IGNORECASE,
)
#: The identifier the parliamentary papers print in their footer: ``ah-tk-20232024-1786``,
#: ``kst-31839-612``, ``blg-1234``.
_PUBLICATION_ID = re.compile(r"\b(?:ah|h)-(?:tk|ek)-\d{8}-\d+\b|\b(?:kst|blg)-[0-9A-Za-z-]*\d\b")


def _full_date(original: str, start: int, end: int) -> str | None:
    """The first date in ``original[start:end]``: ISO when complete, else the part given."""
    m = _DATE_ANY.search(original, start, end)
    if m is None:
        return None
    if m.group("month"):
        d, month, year = int(m.group("day")), m.group("month").lower(), int(m.group("year"))
        if 1 <= d <= 31:
            return f"{year:04d}-{MONTHS[month]:02d}-{d:02d}"
        return f"{month} {year}"
    month = m.group("month2").lower()
    year = (m.group("year2") or "").strip()
    return f"{month} {year}".strip()


def answers_metadata(
    original: str, proj: Projection, header: AnswersHeader | None, *, damaged: bool
) -> LetterMetadata:
    """What the header of answers to parliamentary questions states (see
    :class:`bot.core.genre.AnswersHeader`): the subject (what was asked about), who asked (the
    recipient of the answers), who answered (signatory and ministry) and when."""
    meta = LetterMetadata()
    ref = _PUBLICATION_ID.search(original)
    meta.reference = ref.group() if ref else None
    if header is None:
        meta.date = _full_date(original, 0, min(len(original), 1500))
        return meta
    meta.subject = _orig_whole(proj, original, header.about)
    if meta.subject and not damaged:
        meta.subject = meta.subject.rstrip(".")
    if header.asked_by is not None:
        # ``het lid X (party)`` / ``de leden X (party) en Y (party)``, as printed
        start = proj.text.rfind(" van ", 0, header.asked_by.start) + len(" van ")
        meta.recipient = _orig_whole(proj, original, Span(start, header.asked_by.end))
    if header.answered_by is not None:
        by = _orig_whole(proj, original, header.answered_by) or ""
        if not damaged:
            name, _, rest = by.partition("(")
            meta.signatory = name.strip(" ,") or None
            org = rest.split(")")[0].strip() if rest else ""
            meta.sender = org or None
        else:
            meta.signatory, meta.sender = _split_damaged_by(by)
    for at in (header.answered_on, header.asked_on):
        if at is None:
            continue
        start = proj.orig_start(at)
        date = _full_date(original, start, min(len(original), start + 60))
        if date:
            meta.date = date
            break
    return meta


_NAME_PARTICLES = frozenset({"van", "de", "der", "den", "ter", "ten", "het", "in", "t"})


def _split_damaged_by(by: str) -> tuple[str | None, str | None]:
    """``minister oudshoorn infrastructuur en waterstaat``: the role and the name (rare words
    and name particles) are the signatory, the rest names the ministry."""
    words = by.split()
    if not words:
        return None, None
    if words[0] not in ROLE_WORDS:
        return by, None
    k = 1
    while k < len(words) and k <= 4 and words[k] in _NAME_PARTICLES:
        k += 1
    if k > 1 and k < len(words):
        k += 1  # ``van rij``: after the particles comes the name, whatever word it is
    while k < len(words) and k <= 5 and is_rare_word(words[k], 3.6):
        if k + 1 < len(words) and len(words[k + 1]) == 1:
            break  # ``financi n``: a word with an accent gap, not a name
        k += 1
    rest = " ".join(words[k:]).split(" mede namens ")[0].strip()
    return " ".join(words[:k]), rest or None


@dataclass(slots=True)
class NoteHead:
    """The head of a note or report in clean text: its title lines and labelled fields."""

    end: int  # original offset where the body begins
    title: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


_LABEL = re.compile(
    r"(?P<label>datum|onderwerp|betreft|kenmerk|ons kenmerk|referentie|aan|van|afzender|cc|"
    r"kopie(?: aan)?|auteurs?|opgesteld door|status|versie|bijlagen?|classificatie|"
    r"telefoon|e-mail|plaats)\s*(?::\s*|\s+(?=\S))(?P<value>.*)",
    re.IGNORECASE,
)
_BARE_LABELS = frozenset({"datum", "onderwerp", "betreft", "kenmerk", "ons kenmerk", "referentie"})
_GENRE_LINE = re.compile(
    r"(?:notitie|memo|memorandum|nota|informatienotitie|beslisnota|rapport|verslag|"
    r"eindrapport|advies|notulen)\s*:?",
    re.IGNORECASE,
)
_MAX_TITLE_LINES = 3
_SENTENCE_INSIDE = re.compile(r"[a-zà-ÿ)][.!?]\s+[A-Z]")


def note_head(original: str, start: int) -> NoteHead:
    """Title lines and ``Label: value`` lines at the top of a clean note or report, up to its
    first line of prose."""
    head = NoteHead(end=start)
    title: list[str] = []
    pos = start
    n = len(original)
    for _ in range(40):
        if pos >= n:
            break
        nl = original.find("\n", pos)
        line_end = n if nl < 0 else nl
        line = original[pos:line_end].strip(" \t\f\r")
        nxt = line_end + 1
        if not line:
            pos = nxt
            if title or head.labels:
                head.end = nxt
            if head.labels:
                break
            continue
        m = _LABEL.fullmatch(line)
        label = m.group("label").lower() if m else ""
        if m and (":" in line[: m.end("label") + 2] or label in _BARE_LABELS) and m.group("value"):
            head.labels.setdefault(label.removeprefix("ons "), m.group("value").strip())
            head.end = pos = nxt
            continue
        if head.labels:
            break  # the title comes before the labelled fields; after them the text begins
        words = line.split()
        prose = (
            line[-1] in ".!?;,"
            or len(words) > 16
            or len(line) > 120
            or _SENTENCE_INSIDE.search(line) is not None
        )
        if prose or len(title) >= _MAX_TITLE_LINES or not (line[0].isupper() or line[0].isdigit()):
            break
        if not _GENRE_LINE.fullmatch(line):
            title.append(line)
        head.end = pos = nxt
    if title:
        head.title = _clean(" ".join(title))
    if not head.labels and not title:
        head.end = start
    return head


def note_metadata(
    original: str, proj: Projection, frame: Frame, head: NoteHead | None, *, damaged: bool
) -> LetterMetadata:
    """What a note or report states about itself: subject (labelled, else its title), date,
    author, addressee and reference where labelled."""
    meta = LetterMetadata()
    labels = head.labels if head else {}
    meta.subject = (
        labels.get("onderwerp")
        or labels.get("betreft")
        or _orig(proj, original, frame.subject)
        or (head.title if head else None)
    )
    if meta.subject and not damaged:
        meta.subject = meta.subject.rstrip(".")
    head_end = head.end if head and head.end > 0 else min(len(original), 1500)
    if "datum" in labels:
        meta.date = _full_date(labels["datum"], 0, len(labels["datum"]))
    if meta.date is None:
        meta.date = _date(original, head_end) if head_end else None
    meta.sender = (
        labels.get("van")
        or labels.get("afzender")
        or labels.get("auteur")
        or (labels.get("auteurs") or labels.get("opgesteld door"))
    )
    meta.recipient = labels.get("aan")
    meta.reference = labels.get("kenmerk") or labels.get("referentie") or _reference(original)
    ref = _PUBLICATION_ID.search(original)
    if meta.reference is None and ref:
        meta.reference = ref.group()
    meta.copies = labels.get("cc") or labels.get("kopie") or labels.get("kopie aan")
    return meta
