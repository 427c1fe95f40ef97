"""Letter metadata, cut from the original text at the places the frame and layout found."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.boilerplate import Layout, is_reference_rest
from bot.core.frame import Frame, LineBreaks, Span
from bot.core.genre import AnswersHeader
from bot.core.layout import Projection
from bot.core.lexicon import is_rare_word
from bot.core.models import LetterMetadata
from bot.core.signature import Signature
from bot.core.text import damage, fold
from bot.core.vocabulary import (
    FUNCTION_WORDS,
    HOSTED_MINISTERS,
    MONTH_RE,
    MONTHS,
    ORG_WORDS,
    ROLE_WORDS,
)

_DATE = re.compile(
    r"\bdatum\b[\s:]*(?P<day>\d{1,2}\s+)?(?P<month>" + MONTH_RE + r")(?P<year>\s+\d{4})?",
    re.IGNORECASE,
)
_DATE_BARE = re.compile(
    r"\b(?P<day>\d{1,2})\s+(?P<month>" + MONTH_RE + r")\s+(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
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


def _orig_raw(proj: Projection, original: str, span: Span) -> str:
    """The original text of ``span``, line breaks kept."""
    return original[proj.orig_start(span.start) : proj.orig_end(span.end)]


def _orig_words(proj: Projection, original: str, span: Span | None) -> str | None:
    """Like :func:`_orig`, widened to whole printed words: the projection drops accented
    letters, so ``Çelik`` projects to ``elik``."""
    if span is None or span.end <= span.start:
        return None
    start, end = proj.orig_start(span.start), proj.orig_end(span.end)
    while start > 0 and original[start - 1].isalpha():
        start -= 1
    while end < len(original) and original[end].isalpha():
        end += 1
    return _clean(original[start:end]) or None


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
    original: str,
    proj: Projection,
    layout: Layout,
    frame: Frame,
    sig: Signature,
    breaks: LineBreaks | None,
    *,
    damaged: bool,
) -> LetterMetadata:
    meta = LetterMetadata()
    header_end = proj.orig_start(frame.body.start) if frame.body else len(original)
    meta.subject = _orig(proj, original, frame.subject)
    meta.salutation = _orig(proj, original, frame.salutation)
    meta.closing = _orig(proj, original, frame.closing)
    if meta.subject and not damaged:
        meta.subject = meta.subject.rstrip(".")
    signer = sig.primary(proj.text)
    if signer is not None:
        meta.signatory = _orig_words(proj, original, signer.name)
        meta.signatory_role = _role_text(_orig_words(proj, original, signer.role))
    meta.sender = _sender(original, proj, layout, frame, sig, meta.signatory_role, damaged)
    meta.date = _date(original, header_end)
    if meta.date is None and damaged:
        meta.date = _damaged_month(proj, frame)
    meta.reference = _reference(original, proj, damaged)
    meta.contact = _contact(original, proj, layout)
    meta.copies = _copies(original, proj)
    if frame.recipient:
        rec = _orig(proj, original, frame.recipient)
        if rec:
            raw = original[
                proj.orig_start(frame.recipient.start) : proj.orig_end(frame.recipient.end)
            ]
            meta.recipient = _join_address_lines(raw) if not damaged else _without_person(rec)
            lines = [_clean(line) for line in raw.splitlines() if _clean(line)]
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


_ADDRESS_LINE = re.compile(
    r"^(?:postbus\b|p/a\b|\d{4}\s?[a-z]{2}\b|[a-z][\w.'’-]*(?:\s[\w.'’-]+){0,3}\s\d+[a-z]?"
    r"(?:[-–]\d+)?$)",
    re.IGNORECASE,
)


def _names_organisation(name: str) -> bool:
    """``Ministerie van X``, ``Gemeente Y``: an organisation, not a function or its members."""
    words = damage(name).split()
    return bool(words) and words[0] in ORG_WORDS and words[0] not in {"college", "colleges"}


_FOR_ATTENTION = re.compile(r"(?:t\.?\s?a\.?\s?v\.?|ter attentie van|attn\.?)\s", re.IGNORECASE)
_DATED_START = re.compile(
    r"(?:[A-Z][\w'’.-]*(?: [\w'’.-]+){0,3},\s*)?\d{1,2}\s+" + MONTH_RE + r"\b", re.IGNORECASE
)
_CONTINUES = frozenset({"van", "der", "den", "voor", "en", "te", "in", "op", "tot", "ter", "de"})


def _join_address_lines(raw: str) -> str | None:
    """The printed lines of an address block as one name: street, postbus and postcode lines
    left out, a line that begins in lowercase joined to the one before (``de Voorzitter van
    de Tweede Kamer`` / ``der Staten-Generaal``), others separated by commas."""
    out = ""
    postal = False
    for printed in raw.splitlines():
        line = _clean(printed)
        if out and _DATED_START.match(line):
            break  # ``Lingestad, 16 september 2025``: the address block is over
        if out and _FOR_ATTENTION.match(line) and not _names_organisation(out):
            # ``de colleges van ...`` / ``t.a.v. de portefeuillehouders``: who handles it for
            # the addressee already named; under an organisation (``Ministerie van X`` /
            # ``t.a.v. de minister voor Y``) it names the addressee and stays
            continue
        if not line or _ADDRESS_LINE.match(line):
            postal = postal or bool(out)
            continue
        if out and _PERSON_LINE.match(line):
            continue  # ``mevrouw drs. C.M. Oudejans`` under the function addressed
        if out and _MINISTRY_LINE.match(line) and _ADDRESSED_OFFICE.match(out):
            # ``de Minister van X`` / ``Ministerie van Y``: the ministry under the office
            # addressed is where it sits (its address), not a second addressee
            postal = postal or bool(out)
            continue
        first = line.split(" ", 1)[0]
        if out and postal:
            out += " en " + (line[0].lower() + line[1:] if first in ("De", "Het") else line)
        elif out and (first in _CONTINUES or out.rsplit(" ", 1)[-1] in _CONTINUES):
            out += " " + line
        elif out:
            out += ", " + line
        else:
            out = line
        postal = False
    return out or None


_MINISTRY_LINE = re.compile(r"ministerie\s+van\s+\S", re.IGNORECASE)
_ADDRESSED_OFFICE = re.compile(
    r"(?:aan\s+)?(?:de\s+)?(?:minister(?:-president)?|staatssecretaris)\s+(?:van|voor)\s",
    re.IGNORECASE,
)

_PERSON_TAIL = re.compile(
    r"\s(?:t\.a\.v\.|ter attentie van|mevrouw|mevr\.|mw\.|de heer|dhr\.)\s.*$"
    r"|\s(?:(?:mr|drs|dr|prof|ir|ing)\. ?)*(?:[a-z]\.){1,5} (?:(?:van|de|der|den) )*[a-z]+$"
)


def _without_person(rec: str) -> str:
    """Damaged text: the addressed function without the person named after it."""
    person = _PERSON_TAIL.search(rec)
    rec = rec[: person.start()].rstrip() if person and person.start() > 0 else rec
    seat = rec.find(" ministerie van ")
    if seat > 0 and _ADDRESSED_OFFICE.match(rec):
        rec = rec[:seat]  # the ministry the office addressed sits in: its address
    return rec


#: A line that names a person under the body or function addressed: ``mevrouw drs. C.M.
#: Oudejans``, ``t.a.v. de griffier, mevrouw mr. A.S. Kuiper``, ``de heer J. de Vries``.
_PERSON_LINE = re.compile(
    r"(?i:t\.?\s?a\.?\s?v\.?\s.*?)?(?:(?i:mevrouw|mevr\.|mw\.|de heer|dhr\.|heer)\s|"
    r"(?:(?i:mr|drs|dr|prof|ir|ing)\.\s?)*(?:[A-Z]\.\s?){1,5}(?:(?:van|de|der|den|ten|ter)\s)*"
    r"[A-Z][a-z])"
)


def _role_text(role: str | None) -> str | None:
    """``De Staatssecretaris van Justitie en Veiligheid,`` -> ``Staatssecretaris van ...``."""
    if not role:
        return None
    role = role.strip(" ,;:")
    for article in ("De ", "de ", "Het ", "het "):
        if role.startswith(article):
            role = role[len(article) :]
            break
    return role or None


_MINISTER = re.compile(
    r"^(?:de )?(?:minister|staatssecretaris)(?:-president)?\s+(?P<prep>van|voor)\s+(?P<dept>.+)$",
    re.IGNORECASE,
)


def ministry_of(role: str | None) -> str | None:
    """``Staatssecretaris van Justitie en Veiligheid`` -> ``Ministerie van Justitie en
    Veiligheid``; a minister ``voor`` a policy area belongs to the ministry that hosts it."""
    if not role:
        return None
    m = _MINISTER.match(role.strip(" ,"))
    if not m:
        return None
    dept = _clean(m.group("dept")).rstrip(",")
    host = HOSTED_MINISTERS.get(fold(dept))
    if host:
        return f"Ministerie van {host}"
    if fold(dept) not in _MINISTRY_KEYS:
        # a portfolio, not a ministry (``Staatssecretaris van Jeugd, Preventie en Sport``,
        # ``Minister voor Buitenlandse Handel en Ontwikkelingshulp``): the ministry that holds
        # the policy areas it names
        votes = [_PORTFOLIO[w] for w in fold(dept).split() if w in _PORTFOLIO]
        if votes:
            return f"Ministerie van {max(set(votes), key=votes.count)}"
    if m.group("prep").lower() == "van":
        return f"Ministerie van {dept}"
    return None


#: The ministries of the Dutch government (names in use since 2010).
MINISTRIES = (
    "Algemene Zaken",
    "Asiel en Migratie",
    "Binnenlandse Zaken en Koninkrijksrelaties",
    "Buitenlandse Zaken",
    "Defensie",
    "Economische Zaken",
    "Economische Zaken en Klimaat",
    "Economische Zaken, Landbouw en Innovatie",
    "Financiën",
    "Infrastructuur en Milieu",
    "Infrastructuur en Waterstaat",
    "Justitie en Veiligheid",
    "Veiligheid en Justitie",
    "Klimaat en Groene Groei",
    "Landbouw, Natuur en Voedselkwaliteit",
    "Landbouw, Visserij, Voedselzekerheid en Natuur",
    "Onderwijs, Cultuur en Wetenschap",
    "Sociale Zaken en Werkgelegenheid",
    "Volksgezondheid, Welzijn en Sport",
    "Volkshuisvesting en Ruimtelijke Ordening",
)
_MINISTRY_KEYS = frozenset(fold(m) for m in MINISTRIES)
_BZK = "Binnenlandse Zaken en Koninkrijksrelaties"
_VWS = "Volksgezondheid, Welzijn en Sport"
_OCW = "Onderwijs, Cultuur en Wetenschap"
_SZW = "Sociale Zaken en Werkgelegenheid"
#: The policy areas a minister or state secretary without a ministry of their own holds, and
#: the ministry that hosts them (how portfolios are divided, not any one letter's words).
_PORTFOLIO = {
    **dict.fromkeys(["jeugd", "preventie", "sport", "zorg", "medische", "langdurige"], _VWS),
    **dict.fromkeys(
        ["handel", "ontwikkelingshulp", "ontwikkelingssamenwerking", "europese"],
        "Buitenlandse Zaken",
    ),
    **dict.fromkeys(["onderwijs", "media", "emancipatie", "cultuur"], _OCW),
    **dict.fromkeys(["wonen", "rijksdienst", "koninkrijksrelaties", "digitalisering"], _BZK),
    **dict.fromkeys(["armoedebeleid", "participatie", "pensioenen", "integratie"], _SZW),
    **dict.fromkeys(["rechtsbescherming", "gevangeniswezen"], "Justitie en Veiligheid"),
    **dict.fromkeys(["fiscaliteit", "belastingdienst", "toeslagen", "douane"], "Financiën"),
}


def _sender(
    original: str,
    proj: Projection,
    layout: Layout,
    frame: Frame,
    sig: Signature,
    role: str | None,
    damaged: bool,
) -> str | None:
    """The organisation a letter is from, most explicit statement first: ``namens X`` or an
    organisation line in the signature; the ministry of a signing minister; the
    organisation printed at the top of the letterhead or at the head of its side column; a
    function that names an institution (``Nationaal Rapporteur ...``)."""
    if sig.org is not None:
        org = _orig_words(proj, original, sig.org)
        if org:
            return _org_text(org)
    roles = [role, *(_role_text(_orig_words(proj, original, p)) for p in sig.principals)]
    ministry = next((m for m in map(ministry_of, roles) if m), None)
    if ministry:
        return damage(ministry) if damaged else ministry
    for found in (
        _letterhead_org(original, proj, layout, frame),
        _column_org(proj, original, layout),
    ):
        if found:
            return _as_signed(found, proj.text, frame) if damaged else found
    if role and len(role.split()) >= 3 and not _MINISTER.match(role):
        return role
    if role and fold(role).split()[-1].endswith(("ombudsman", "ombudsvrouw", "rapporteur")):
        return role[0].upper() + role[1:]  # an office that is an institution of its own
    return None


def _as_signed(org: str, text: str, frame: Frame) -> str:
    """Damaged text (no line breaks): the letterhead's words may run on into a department
    (``ggd x gezondheid en milieu``). When the signature names the organisation again, its name
    is the longest opening of those words that the signature repeats."""
    if frame.signature is None:
        return org
    signed = " " + text[frame.signature.start : frame.signature.end] + " "
    words = org.split()
    if f" {' '.join(words)} " in signed:
        return org
    for k in range(len(words) - 1, 1, -1):
        if f" {' '.join(words[:k])} " in signed:
            return " ".join(words[:k])
    return org


def _org_text(org: str) -> str:
    """An organisation as a name: without its article, with a capital (``Het college van
    burgemeester en wethouders van X,`` -> ``College van burgemeester en wethouders van X``)."""
    org = org.strip(" ,;:")
    for article in ("de ", "het ", "De ", "Het "):
        if org.startswith(article):
            org = org[len(article) :]
            break
    if org[:1].islower() and any(ch.isupper() for ch in org):
        org = org[0].upper() + org[1:]
    return org


_DOC_TYPES = re.compile(
    r"\s*\b(?:raadsinformatiebrief|informatiebrief|beleidsnotitie|notitie|memo|brief|"
    r"advies|nieuwsbrief)\b\s*$",
    re.IGNORECASE,
)
_HEAD_STOP = re.compile(
    r"\b(?:retouradres|bezoekadres|postadres|correspondentieadres|postbus|aan|datum|onderwerp|"
    r"betreft|kenmerk|ons kenmerk|uw kenmerk|"
    r"geachte|excellentie|www\.\S+|[tf]|tel\.?|telefoon|e ?mail|pagina)\b"
)
_STREET_AND_CITY = re.compile(r"\b[a-z]+ [a-z]{2} (?:(?:den|de|het|s|ter|ten) )?[a-z]+\b")


def _letterhead_org(original: str, proj: Projection, layout: Layout, frame: Frame) -> str | None:
    """The organisation printed above the address block: the words before the first
    letterhead item (address, postbus, phone, ``Aan``, a label or the salutation)."""
    text = proj.text
    limit = min(len(text), 400)
    first_block = next((b.start for b in layout.blocks), limit)
    lead = layout.blocks[0] if layout.blocks and first_block < 3 else None
    if lead is not None and lead.kind == "running":
        # the organisation's name at the top, printed again on every page (a running line)
        found = _head_org(original, proj, lead.start, lead.end)
        if found:
            return found
    if lead is not None and lead.kind in {"page-header"}:
        start = layout.blocks[0].end + 1
        first_block = next((b.start for b in layout.blocks[1:]), limit)
    else:
        start = 0
    stop = min(limit, first_block)
    if layout.return_address is not None:
        stop = min(stop, layout.return_address[0])
    if frame.recipient is not None:
        stop = min(stop, frame.recipient.start)
    return _head_org(original, proj, start, stop)


def _head_org(original: str, proj: Projection, start: int, stop: int) -> str | None:
    """The organisation named in the projection's ``[start, stop)`` at the head of a letter."""
    text = proj.text
    m = _HEAD_STOP.search(text, start, stop)
    if m:
        stop = m.start()
    street = _STREET_AND_CITY.search(text, start, stop)
    if street and is_rare_word(street.group().split()[0], 3.5):
        stop = street.start()
    words = text[start:stop].split()
    if words and words[0] in words[2:]:
        # two bodies one above the other, the first printed again (``Inspectie X`` /
        # ``Ministerie van Y`` / ``Inspectie X``): the first one, up to where its first word
        # comes back or another body begins
        end = next(k for k in range(2, len(words)) if words[k] == words[0] or words[k] in _NEW_BODY)
        stop = start + len(" ".join(words[:end]))
        words = words[:end]
    if not (1 <= len(words) <= 12):
        return None
    half = len(words) // 2
    if len(words) % 2 == 0 and words[:half] == words[half:]:
        stop = start + len(" ".join(words[:half]))  # printed twice: logo and address line
    words = text[start:stop].split()
    while len(words) > 2 and words[-1].endswith(("staf", "afdeling", "directie")):
        words.pop()  # damaged text: a one-word department at the end (``eenheidsstaf``)
        stop = start + len(" ".join(words))
    raw = original[proj.orig_start(start) : proj.orig_end(stop)]
    lines = [line for line in raw.splitlines() if line.strip()]
    while len(lines) > 1 and _is_department(lines[-1]):
        # ``Politie / Eenheid X / Eenheidsstaf``: the department under the organisation
        stop = start + len(damage(" ".join(lines[:-1])).rstrip())
        lines.pop()
    org = _orig(proj, original, Span(start, stop))
    if not org:
        return None
    org = _DOC_TYPES.sub("", org).strip(" ,")
    if len(org.split()) < 2 and not any(w in ORG_WORDS for w in damage(org).split()):
        return None
    if org.isupper():
        org = org.title()
    return org or None


def _column_org(proj: Projection, original: str, layout: Layout) -> str | None:
    """The organisation at the head of the letterhead's side column (``Inspectie X`` above
    the visiting address); a department (``Directoraat-Generaal``, ``Directie``) is not one."""
    for block in layout.blocks:
        head = block.fields.get("head")
        if not head:
            continue
        words = head.split()
        if words[0] in _DEPARTMENTS:
            continue
        # two bodies side by side or one above the other (``Inspectie X`` / ``Ministerie van
        # Y``): the first one, up to where its first word comes back or another body begins
        end = next(
            (
                k
                for k in range(1, len(words))
                if words[k] == words[0] or (k >= 2 and words[k] in _NEW_BODY)
            ),
            len(words),
        )
        start = block.start
        skip = 1 if words[0] == "bureau" and end > 2 else 0  # the office of an institution
        if skip:
            start += len(words[0]) + 1
        while end - skip > 2 and words[end - 1].endswith(("staf", "afdeling", "directie")):
            end -= 1  # damaged text: a one-word department at the end (``eenheidsstaf``)
        span = Span(start, start + len(" ".join(words[skip:end])))
        lines = [ln for ln in _orig_raw(proj, original, span).splitlines() if ln.strip()]
        while len(lines) > 1 and _is_department(lines[-1]):
            lines.pop()  # ``Politie / Eenheid X / Eenheidsstaf``: a department under it
            span = Span(start, start + len(damage(" ".join(lines)).rstrip()))
        org = _orig(proj, original, span)
        if org:
            return org
    return None


def _is_department(line: str) -> bool:
    """A printed line that names a department of an organisation (``Directie Jeugd``,
    ``Eenheidsstaf``, ``Afdeling Beleid``), not the organisation."""
    words = damage(line).split()
    if not words:
        return False
    first = words[0]
    return (
        first in _DEPARTMENTS
        or first.endswith(("staf", "afdeling", "directie"))
        or (first in {"sector", "team", "cluster", "unit", "stafafdeling"})
    )


_NEW_BODY = frozenset(
    {"ministerie", "gemeente", "provincie", "stichting", "vereniging", "inspectie"}
)
_DEPARTMENTS = frozenset({"directoraat", "directoraat-generaal", "directie", "afdeling", "dienst"})


def _damaged_month(proj: Projection, frame: Frame) -> str | None:
    """Damaged text keeps only the month of a date: the first month in the letter's head,
    outside its subject line."""
    end = frame.body.start if frame.body else min(len(proj.text), 600)
    for m in re.finditer(r"\b" + MONTH_RE + r"\b", proj.text[:end]):
        if frame.subject and frame.subject.start <= m.start() < frame.subject.end:
            continue
        return m.group()
    return None


_DATE_NUMERIC = re.compile(
    r"\bdatum\b[\s:]*(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)


def _date(original: str, header_end: int) -> str | None:
    end = header_end if header_end > 0 else len(original)
    m = _DATE.search(original, 0, end) or _DATE.search(original)
    if m is None:
        m = _DATE_BARE.search(original, 0, end)
    if m is None:
        numeric = _DATE_NUMERIC.search(original, 0, end)  # ``Datum: 12-03-2024``
        if numeric:
            d, mo, y = (int(numeric.group(g)) for g in ("day", "month", "year"))
            if 1 <= d <= 31 and 1 <= mo <= 12:
                return f"{y:04d}-{mo:02d}-{d:02d}"
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


_REFERENCE_LABEL = re.compile(
    r"(?:ons kenmerk|onze referentie|kenmerk|zaaknummer|referentie|ons nummer|nummer)\b"
    r"[ \t]*:?[ \t]*\n?[ \t]*(?P<ref>[^\n]{1,60})",
    re.IGNORECASE,
)
_REFERENCE_DAMAGED_LABEL = re.compile(
    r"(?<!uw )(?<!het )(?<!een )\b(?:ons kenmerk|onze referentie|kenmerk|zaaknummer|referentie|"
    r"ons nummer|nummer)\b"
)
_REFERENCE_DAMAGED = re.compile(
    r"\b(?<!uw )(?<!met )(?:ons kenmerk|onze referentie|kenmerk|zaaknummer)\b (?P<ref>\S+)"
)


def _reference(original: str, proj: Projection, damaged: bool) -> str | None:
    """``Ons kenmerk``, ``Kenmerk``, ``Zaaknummer`` (never the addressee's ``Uw kenmerk``):
    the code printed after the label or on the line under it."""
    if damaged:
        for m in _REFERENCE_DAMAGED.finditer(proj.text):
            if is_reference_rest(m.group("ref")):
                return m.group("ref")
        return None
    table = _reference_from_table(original)
    if table:
        return table
    for label in _REFERENCE_DAMAGED_LABEL.finditer(proj.text):
        at = proj.orig_start(label.start())
        m = _REFERENCE_LABEL.match(original, at)
        if m is None:
            continue
        line_start = original.rfind("\n", 0, at) + 1
        before = original[line_start:at].split()
        if label.group() in {"nummer", "referentie"} and before:
            continue  # ``het nummer 112``: only a label that opens its line
        if before and fold(before[-1]) in FUNCTION_WORDS:
            continue  # ``(ingezonden ..., met kenmerk 2024Z08815)``: in a sentence
        value = m.group("ref").strip()
        toks = value.split()
        if not toks or not any(ch.isdigit() for ch in value):
            continue
        if len(toks) <= 3 and all(
            any(c.isdigit() for c in t) or t.isupper() or "/" in t for t in toks
        ):
            return value
        return next(t for t in toks if any(c.isdigit() for c in t)).strip(".,;")
    return None


_TABLE_LABELS = ("uw brief van", "ons kenmerk", "uw kenmerk", "kenmerk", "datum")
_TABLE_LABEL = re.compile(r"\b(?:" + "|".join(_TABLE_LABELS) + r")\b", re.IGNORECASE)
_TABLE_DATE = re.compile(r"\d{1,2}\s+" + MONTH_RE + r"\s+(?:19|20)\d\d\b", re.IGNORECASE)


def _reference_from_table(original: str) -> str | None:
    """``Datum Ons kenmerk Uw brief van`` / ``17 juni 2025 Z2025-04417 3 april 2025``: a row
    of labels with their values on the line under it, as ``pdftotext -raw`` prints the
    letterhead's columns side by side. The value under ``Ons kenmerk`` (or ``Kenmerk``)."""
    head = original[:3000]
    lines = head.splitlines()
    for i, line in enumerate(lines[:-1]):
        labels = [m.group().lower() for m in _TABLE_LABEL.finditer(line)]
        if len(labels) < 2 or _TABLE_LABEL.sub("", line).strip():
            continue  # not a row of labels only
        if "ons kenmerk" not in labels and "kenmerk" not in labels:
            continue
        rest = lines[i + 1].strip()
        for label in labels:
            if label in ("datum", "uw brief van"):
                m = _TABLE_DATE.match(rest)
                if m is None:
                    break
                rest = rest[m.end() :].strip()
                continue
            value, _, rest = rest.partition(" ")
            if not any(ch.isdigit() for ch in value):
                break
            if label in ("ons kenmerk", "kenmerk"):
                return value.strip(".,;")
    return None


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
_DAMAGED_ID = re.compile(r"\bah tk\b")
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
    :class:`bot.core.genre.AnswersHeader`): the subject (what was asked about), who answered
    (name, function and ministry) and when. The answers have no addressee of their own (the
    members who asked are named in the header, which is kept as text)."""
    meta = LetterMetadata()
    ref = _PUBLICATION_ID.search(original) if not damaged else _DAMAGED_ID.search(proj.text)
    meta.reference = ref.group() if ref else None
    if header is None:
        meta.date = _full_date(original, 0, min(len(original), 1500))
        return meta
    meta.subject = _orig_whole(proj, original, header.about)
    if meta.subject and not damaged:
        meta.subject = meta.subject.rstrip(".")
    if header.answered_by is not None:
        by = _orig_whole(proj, original, header.answered_by) or ""
        if not damaged:
            who, _, rest = by.partition("(")
            dept = rest.split(")")[0].split(" – ")[0].split(" - ")[0].strip() if rest else ""
        else:
            who, dept = _split_damaged_by(by)
            who, dept = who or "", dept or ""
        title, _, name = who.strip(" ,").partition(" ")
        if title.lower() in {"minister", "staatssecretaris", "minister-president"} and name:
            meta.signatory = name.strip()
            if dept:
                meta.signatory_role = f"{title} van {dept}"
                meta.sender = ministry_of(meta.signatory_role)
                if meta.sender and damaged:
                    meta.sender = damage(meta.sender)
        else:
            meta.signatory = who.strip(" ,") or None
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
    sender: str | None = None  # the organisation printed above the genre line
    date: str | None = None  # from a dated line under the title
    reference: str | None = None  # a code printed under the date
    byline: str | None = None  # an organisation printed with the date


_LABEL = re.compile(
    r"(?P<label>datum|onderwerp|betreft|kenmerk|ons kenmerk|referentie|aan|van|afzender|cc|"
    r"kopie(?: aan)?|auteurs?|opgesteld door|status|versie|bijlagen?|classificatie|"
    r"telefoon|e-mail|plaats)\s*(?::\s*|\s+(?=\S))(?P<value>.*)",
    re.IGNORECASE,
)
_BARE_LABELS = frozenset({"datum", "onderwerp", "betreft", "kenmerk", "ons kenmerk", "referentie"})
_GENRE_LINE = re.compile(
    r"(?:(?:korte|beknopte|eerste|tweede|openbare|interne) )?"
    r"(?:\w*notitie|memo|memorandum|\w*nota|\w*rapport|\w*rapportage|\w*verslag|advies|notulen|"
    r"raadsinformatiebrief|raadsvoorstel|factsheet|position paper)\s*:?",
    re.IGNORECASE,
)
_MAX_TITLE_LINES = 3
_SENTENCE_INSIDE = re.compile(r"[a-zà-ÿ)][.!?]\s+[A-Z]")


def note_head(original: str, start: int) -> NoteHead:
    """The head of a clean note or report, up to its first line of prose: the organisation
    printed above the genre line (``Beleidsnotitie``), the title lines (a title that ends in
    ``:`` goes on in lowercase), ``Label: value`` lines, a dated line (``Utrecht, 3 oktober
    2024``) and a reference under it."""
    head = NoteHead(end=start)
    title: list[str] = []
    before_genre: list[str] = []
    bodies: list[str] = []  # the organisation's lines at the very top (institution, unit)
    subtitle: str | None = None
    dated = False
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
        if _DATED_LINE.fullmatch(line):
            head.date = _full_date(line, 0, len(line))
            dated = True
            place = line.split(",", 1)[0] if "," in line else ""
            if place and (
                len(place.split()) >= 3 or any(w in ORG_WORDS for w in damage(place).split())
            ):
                head.byline = place  # ``Stichting Vrij Werk, februari 2024``: the author
            head.end = pos = nxt
            continue
        if dated:
            if head.reference is None and _REFERENCE_LINE.fullmatch(line):
                head.reference = line
                head.end = pos = nxt
                continue
            break  # after the date the text begins (a heading such as ``Samenvatting``)
        if _GENRE_LINE.fullmatch(line):
            if title and not before_genre and not bodies:
                before_genre, title = title, []
            head.end = pos = nxt
            continue
        if not title and not before_genre and len(bodies) < 4 and _names_body([line]):
            # ``Rijksuniversiteit X`` / ``Faculteit Y`` / ``Onderzoeksgroep Z`` above the title
            bodies.append(line)
            head.end = pos = nxt
            continue
        if title and _AUTHORS_LINE.match(line):
            head.end = pos = nxt  # ``A. Verbeek, S. Oukili en prof. dr. M.J. Hoogendam``
            continue
        words = line.split()
        prose = (
            line[-1] in ".!?;,"
            or len(words) > 16
            or len(line) > 120
            or _SENTENCE_INSIDE.search(line) is not None
        )
        if prose:
            break
        continues = bool(title) and (title[-1].endswith(":") or line[0].islower())
        if title and not continues and not before_genre and _names_body(title):
            # ``Kenniscentrum X`` above the title, without a genre line between: the author
            before_genre, title = title, []
            continues = False
        elif title and not continues and subtitle is None and _dated_soon(original, nxt):
            subtitle = line  # ``Aard, omvang en aanpak`` under the title, above its date
            head.end = pos = nxt
            continue
        full = len(title) >= _MAX_TITLE_LINES
        if not continues and (full or not (line[0].isupper() or line[0].isdigit())):
            break
        title.append(line)
        head.end = pos = nxt
    if title:
        head.title = _clean(" ".join(title))
    if before_genre:
        head.sender = _clean(" ".join(before_genre))
    elif bodies:
        head.sender = _body_of(bodies)
    elif head.byline:
        head.sender = head.byline
    if not head.labels and not title and not dated:
        head.end = start
    return head


def _names_body(lines: list[str]) -> bool:
    """One printed line that names an organisation (``Kenniscentrum Jeugd en Veiligheid``,
    ``Rijksuniversiteit Lingeland``, ``Faculteit der Rechtsgeleerdheid``): its first word heads
    the names of bodies (or ends in one), and it says nothing more."""
    if len(lines) != 1:
        return False
    words = damage(lines[0]).split()
    if not (2 <= len(words) <= 8) or lines[0].endswith(":"):
        return False
    first = words[0]
    return (
        first in ORG_WORDS
        or first in _UNITS
        or any(first.endswith(w) and len(first) > len(w) + 2 for w in ORG_WORDS if len(w) >= 6)
    )


#: Units of an institution printed between its name and the unit that writes.
_UNITS = frozenset({"faculteit", "afdeling", "directie", "sector", "departement", "divisie"})
#: A byline of persons: initials (after titles) and names, joined by commas and ``en``.
_PERSON = (
    r"(?:(?:prof|dr|mr|drs|ir|ing)\.\s?)*(?:[A-Z]\.){1,4}\s?"
    r"(?:(?:de|van|der|den|ter|ten|el|le|la) )*[A-Z][\w'’-]+"
)
_AUTHORS_LINE = re.compile(_PERSON + r"(?:(?:,| en) " + _PERSON + r")+")


def _body_of(lines: list[str]) -> str:
    """The organisation a stack of letterhead lines names: one line is itself; a unit under
    its institution (``Rijksuniversiteit X`` / ``Faculteit Y`` / ``Onderzoeksgroep Z``) is the
    unit that writes, with its institution (``Onderzoeksgroep Z, Rijksuniversiteit X``); the
    units between them are left out."""
    kept = [ln for ln in lines if damage(ln).split()[0] not in _UNITS] or lines
    if len(kept) == 1:
        return _clean(kept[0])
    return f"{_clean(kept[-1])}, {_clean(kept[0])}"


def _dated_soon(original: str, pos: int) -> bool:
    """The next non-empty line from ``pos`` is a dated line (``Utrecht, 10 februari 2025``)."""
    for _ in range(3):
        if pos >= len(original):
            return False
        nl = original.find("\n", pos)
        end = len(original) if nl < 0 else nl
        line = original[pos:end].strip(" \t\f\r")
        if line:
            return _DATED_LINE.fullmatch(line) is not None
        pos = end + 1
    return False


_DATED_LINE = re.compile(
    r"(?:[A-Z][\w’'.-]*(?: [\w’'.-]+){0,5},\s*)?(?:\d{1,2}\s+)?" + MONTH_RE + r"\s+(?:19|20)\d\d",
    re.IGNORECASE,
)
_REFERENCE_LINE = re.compile(r"(?=[^\n]*\d)(?=[^\n]*[A-Za-z])\S+(?: \S+){0,2}")


def damaged_note_head(text: str) -> tuple[int, str | None, str | None, str | None]:
    """Damaged notes have lost their lines: when a genre word (``beleidsnotitie``) opens the
    text, the words before it name the organisation and the words after it, up to a month,
    the title. Returns where the text begins, the organisation, the title and the month."""
    toks = list(re.finditer(r"\S+", text[:600]))[:40]
    words = [t.group() for t in toks]
    g = next((k for k, w in enumerate(words[:10]) if _GENRE_LINE.fullmatch(w)), None)
    if g is None:
        # no genre word: a month in the head, before any sentence has ended, dates it
        for w in words[:30]:
            if w in MONTHS:
                return 0, None, None, w
            if w.endswith("."):
                break
        return 0, None, None, None
    month = next((k for k in range(g + 1, min(len(words), g + 30)) if words[k] in MONTHS), None)
    sender = text[toks[0].start() : toks[g - 1].end()] if g > 0 else None
    if month is None or month == g + 1:
        return toks[g].end(), sender, None, None
    title = text[toks[g + 1].start() : toks[month - 1].end()]
    return toks[month].end(), sender, title, words[month]


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
    if meta.date is None and head is not None:
        meta.date = head.date
    if meta.date is None:
        meta.date = _date(original, head_end) if head_end else None
    meta.sender = (
        labels.get("van")
        or labels.get("afzender")
        or labels.get("auteur")
        or labels.get("auteurs")
        or labels.get("opgesteld door")
        or (head.sender if head else None)
    )
    meta.recipient = labels.get("aan")
    meta.reference = (
        labels.get("kenmerk")
        or labels.get("referentie")
        or (head.reference if head else None)
        or _reference(original, proj, damaged)
    )
    ref = _PUBLICATION_ID.search(original)
    if meta.reference is None and ref:
        meta.reference = ref.group()
    meta.copies = labels.get("cc") or labels.get("kopie") or labels.get("kopie aan")
    return meta
