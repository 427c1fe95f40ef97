"""Letter metadata, cut from the original text at the places the frame and layout found."""

from __future__ import annotations

import re

from bot.core.boilerplate import Layout
from bot.core.frame import Frame, Span
from bot.core.layout import Projection
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
