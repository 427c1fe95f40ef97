"""Find the letterhead side column, running page headers and return addresses.

Runs on the damaged-form projection (see :mod:`bot.core.layout`), so one set of rules serves
clean, damaged and PDF-extracted text. The rules describe the Dutch government letter layout
(Rijkshuisstijl): a side column with visiting address, postbus, website, contact person,
phone and e-mail, ``ons kenmerk`` and the standard lines ``bij beantwoording de datum en ons
kenmerk vermelden`` and ``wilt u slechts één zaak in uw brief behandelen``; continuation pages
headed by ``pagina N van M``, ``datum`` and ``ons kenmerk``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from bot.core.lexicon import is_rare_word
from bot.core.vocabulary import FUNCTION_WORDS, MONTH_RE, MONTHS, ORG_WORDS, STOPWORDS

CITY = r"(?:(?:den|de|het|s|ter|ten|sint|st\.?) )?[a-z]+(?: aan den [a-z]+)?"

# Items of the side column. ``consumes`` items take the free words that follow them (a name,
# a function) up to the next item.
_ITEMS: list[tuple[str, re.Pattern[str], bool]] = [
    (
        "beantwoording",
        re.compile(
            r"bij beantwoording(?: de)?(?: datum)?(?: en)?(?: ons)?(?: kenmerk)?(?: vermelden)?\.?"
        ),
        True,
    ),
    (
        "wiltu",
        re.compile(
            r"wilt u slechts(?: n| een)?(?: zaak)?(?: in uw)?(?: brief)?(?: behandelen)?\.?"
        ),
        True,
    ),
    ("postbus", re.compile(r"postbus(?: [a-z]{1,2}\b)?(?: (?P<city>" + CITY + "))?"), True),
    (
        "www",
        re.compile(
            r"(?:https? )?www\.[a-z0-9]*(?:[. ][a-z0-9]+){0,4}?\. ?"
            r"(?:nl|com|org|eu|net|be|info|int)\b"
            r"|(?:https? )?www\.[a-z0-9.]+"
        ),
        True,
    ),
    ("contact", re.compile(r"contactpersoon|inlichtingen bij|behandeld door"), True),
    (
        "kenmerk",
        re.compile(
            r"(?:ons|uw) kenmerk|onze referentie|uw referentie"
            r"|(?:zaak|dossier|registratie|document)nummer"
        ),
        True,
    ),
    # who holds the matter in a municipality's or province's letterhead: a name follows
    ("holder", re.compile(r"portefeuillehouder"), True),
    (
        "email",
        re.compile(
            r"[a-z0-9][a-z0-9.]*(?: [a-z0-9]+){1,3}?(?:\.[a-z0-9]+)*\.(?:nl|com|org|eu|net|be)\b"
        ),
        False,
    ),
    ("phone", re.compile(r"[tmf]|tel\.?|telefoon|fax|mobiel"), False),
    ("datum", re.compile(r"datum(?: " + MONTH_RE + ")?"), False),
    ("copies", re.compile(r"(?:kopie|afschrift)(?:en)? aan"), False),
    (
        "bijlage",
        re.compile(r"bijlagen?(?: [a-z]\b)?(?: geen\b)?|uw brief(?: van)?(?: " + MONTH_RE + ")?"),
        False,
    ),
    ("marking", re.compile(r"ongerubricee\w*"), False),
]
_STRONG = re.compile(
    r"\b(?:bij beantwoording|wilt u slechts|postbus|www\.|contactpersoon|ons kenmerk|uw kenmerk"
    r"|(?:zaak|dossier|registratie|document)nummer)"
)
#: ``datum <month>`` printed right above a column's first strong item belongs to the column.
_DATE_ITEM = re.compile(r"\bdatum(?: " + MONTH_RE + r")?$")
_CONSUMERS = {"contact", "copies", "holder"}
# Labels of the letter's head: a contact person's name never runs into them.
_NEVER_CONSUMED = frozenset(
    {"onderwerp", "betreft", "geachte", "excellentie", "aan", "hoogachtend", "datum"}
)
_MAX_CONSUMED = 12
_PAGE = re.compile(r"\bpagina van\b")
# The parliamentary papers (Kamerstukken, Handelingen and their Aanhangsel) print a masthead on
# their first page and a footer on every page: ``ah-tk-20232024-1786``, ``kst-31839-612``,
# ``ISSN 0921 - 7398``, ``’s-Gravenhage 2024``, ``Tweede Kamer, vergaderjaar 2023–2024,
# Aanhangsel 1`` or ``..., 31 839, nr. 612``. What is left of them in the projection:
_MASTHEAD = re.compile(
    r"\b(?:tweede|eerste) kamer der staten generaal vergaderjaar"
    r"(?: aanhangsel van de handelingen)?"
    r"(?: vragen gesteld door de leden der kamer met de daarop door de regering gegeven"
    r" antwoorden)?"
)
# Found from its fixed middle (a pattern that may begin with optional words would be tried at
# every position of the text), then grown to the left over what precedes it.
_FOOTER_CORE = re.compile(
    r"\b(?:tweede|eerste) kamer vergaderjaar(?: (?:[ivxl]{1,6} |[a-z] )?(?:aanhangsel|nr\.))"
)


def _footer_cores(text: str) -> list[re.Match[str]]:
    out = []
    at = text.find(" kamer vergaderjaar")
    while at >= 0:
        m = _FOOTER_CORE.match(text, max(0, at - 6))  # ``tweede`` and ``eerste``: 6 letters
        if m is not None:
            out.append(m)
        at = text.find(" kamer vergaderjaar", at + 1)
    return out


_FOOTER_LEFT = re.compile(
    r"(?:(?:ah tk|kst|blg|h tk|h ek|kst ek)(?: [ivxl]{1,6})? )?(?:issn )?(?:s gravenhage )?$"
)
_RETURN = re.compile(r"\bretouradres postbus(?: [a-z]{1,2}\b)? " + CITY)
_TOKEN = re.compile(r"\S+")


@dataclass(slots=True)
class Block:
    """A stretch of the projection that is layout, not letter body."""

    kind: str  # "column", "page-header", "return-address", "masthead" or "page-footer"
    start: int  # projection offsets
    end: int
    fields: dict[str, str] = field(default_factory=dict)


def _match_item(text: str, pos: int) -> tuple[str, re.Match[str]] | None:
    for name, pattern, _strong in _ITEMS:
        m = pattern.match(text, pos)
        if m and (m.end() == len(text) or text[m.end()] == " "):
            return name, m
    return None


def _next_token(text: str, pos: int) -> re.Match[str] | None:
    return _TOKEN.match(text, pos) if pos < len(text) else None


def _grow_column(text: str, start: int) -> tuple[int, dict[str, str], set[str]]:
    """Extend a side-column block rightwards from ``start``; returns end, fields, item kinds."""
    pos = start
    end = start
    kinds: set[str] = set()
    fields: dict[str, str] = {}
    consuming: str | None = None
    consumed: list[str] = []

    def flush() -> None:
        nonlocal consuming, consumed
        if consuming and consumed:
            fields.setdefault(consuming, " ".join(consumed))
        consuming, consumed = None, []

    while pos < len(text):
        found = _match_item(text, pos)
        if found:
            name, m = found
            # A contact block may list several people, each with phone and e-mail.
            keep_contact = consuming in {"contact", "contact-more"} and name in {"phone", "email"}
            flush()
            if keep_contact:
                consuming = "contact-more"
            kinds.add(name)
            if name == "postbus" and m.group("city"):
                fields.setdefault("city", m.group("city"))
            if name == "kenmerk":
                ref = _next_token(text, m.end() + 1)
                if ref and _is_reference_rest(ref.group()):
                    end = ref.end()
                    pos = end + 1
                    continue
            if name in _CONSUMERS:
                consuming = name
            end = m.end()
            pos = end + 1
            continue
        tok = _next_token(text, pos)
        if tok is None:
            break
        if (
            consuming
            and len(consumed) < _MAX_CONSUMED
            and _may_consume(tok.group())
            and tok.group() not in _NEVER_CONSUMED
        ):
            consumed.append(tok.group())
            end = tok.end()
            pos = end + 1
            continue
        break
    flush()
    return end, fields, kinds


def _is_reference_rest(tok: str) -> bool:
    """What damage leaves of a reference such as ``4471-B`` or ``BNRM/2012``: a short token
    of letters that is not a common word (``b``, ``ma``, ``bnrm``)."""
    if tok in STOPWORDS or tok.endswith("."):
        return False
    return len(tok) <= 2 or (len(tok) <= 6 and is_rare_word(tok))


is_reference_rest = _is_reference_rest


def _may_consume(tok: str) -> bool:
    """A name or function word in the column; a period only after an initial or a title."""
    if not tok.endswith("."):
        return True
    return len(tok) <= 4 or "." in tok[:-1]


def _tokens_before(text: str, start: int, count: int) -> list[re.Match[str]]:
    """The last ``count`` tokens of ``text[:start]`` (fewer when there are fewer), found in a
    window that grows as needed, so that a call costs the same early or late in a long text."""
    if count <= 0:
        return []
    width = 32 * (count + 1)
    while True:
        lo = max(0, start - width)
        toks = list(_TOKEN.finditer(text, lo, start))
        if lo == 0:
            return toks[-count:]
        if len(toks) > count:  # the first token may be cut by the window: never among the last
            return toks[-count:]
        width *= 4


def _word_before(text: str, start: int) -> str:
    """``text[:start].rstrip().rsplit(" ", 1)[-1]`` without copying the whole prefix."""
    width = 256
    while True:
        lo = max(0, start - width)
        chunk = text[lo:start].rstrip()
        if lo == 0 or " " in chunk:
            return chunk.rsplit(" ", 1)[-1]
        width *= 4


def _extend_address_left(text: str, start: int, city: str | None) -> int:
    """Take in the visiting address that precedes the postbus: ``turfmarkt dp den haag``."""
    city_toks = city.split() if city else None
    toks = _tokens_before(text, start, len(city_toks or ()) + 12)
    if len(toks) < 3:
        return start
    i = len(toks)
    n = len(city_toks or ())
    same_city = bool(city_toks) and [t.group() for t in toks[i - n : i]] == city_toks
    if same_city:
        i -= n
    else:  # no city, or the visiting address is in another city than the postbus
        i -= 2 if i >= 2 and toks[i - 2].group() in {"den", "de", "het", "s"} else 1
    if i < 2 or not re.fullmatch(r"[a-z]{2}", toks[i - 1].group()):
        return start
    if not same_city and (
        toks[i - 1].group() in STOPWORDS or not is_rare_word(toks[i - 2].group().rstrip("."))
    ):
        return start  # ``justitie en veiligheid``: words, not a street, postcode and city
    i -= 1  # postcode letters
    # The street: one rare word, or two when both are rare (``lange voorhout`` stays partly).
    j = i - 1
    if toks[j].group().endswith(".") or toks[j].group() in FUNCTION_WORDS:
        return toks[i].start()
    first = j
    while first - 1 >= 0 and i - first < 3 and is_rare_word(toks[first - 1].group()):
        if toks[first - 1].group().endswith("."):
            break
        first -= 1
    return toks[first].start()


def _absorb_phrase_left(text: str, start: int, phrases: list[list[str]]) -> int:
    """Take in an organisation name printed just above the column (``bureau nationaal ...``)."""
    toks = _tokens_before(text, start, max((len(p) for p in phrases), default=0) + 4)
    if not toks:
        return start
    words = [t.group() for t in toks]
    i = len(words)
    # an acronym in brackets, e.g. (BNRM), survives as a lone rare token
    acronym = i >= 3 and len(words[i - 1]) <= 5 and is_rare_word(words[i - 1])
    i_acr = i - 1 if acronym else i
    best = len(words)
    for phrase in phrases:
        for cut in (i_acr, i):
            k = _suffix_match(words[:cut], phrase)
            if k >= 2:
                s = cut - k
                if s > 0 and words[s - 1] == "bureau":
                    s -= 1
                best = min(best, s)
    return toks[best].start() if best < len(words) else start


_CLOSING_WORDS = frozenset({"groet", "groeten", "hoogachtend", "hoogachting"})
_HEAD_TOKENS = 14


def _column_head(text: str, start: int) -> int | None:
    """The organisation and department lines printed above the visiting address in the side
    column (``Inspectie X``, ``Directoraat-Generaal Y / Directie Z``). Taken only when they
    follow a finished sentence or the closing formula, at most three words of a heading
    before them, so that a sentence the column interrupts keeps its words."""
    toks = _tokens_before(text, start, _HEAD_TOKENS + 4)
    words = [t.group() for t in toks]
    # back to the last sentence end or closing formula
    k = len(words)
    while k > 0 and not (words[k - 1].endswith(".") or words[k - 1] in _CLOSING_WORDS):
        k -= 1
    if k == 0 and len(words) >= _HEAD_TOKENS + 4:
        return None
    stretch = words[k:]
    if not stretch or len(stretch) > _HEAD_TOKENS:
        return None
    for i, w in enumerate(stretch[:4]):
        if w in ORG_WORDS and (i == 0 or w not in _HEAD_SKIP):
            if any(x in FUNCTION_WORDS or x in STOPWORDS for x in stretch[:i]):
                return None
            if len(stretch) - i > 12 or any(x in _NOT_IN_HEAD for x in stretch[i:]):
                return None  # the letter's own head (return address, addressee), not a column
            return toks[k + i].start()
    return None


_NOT_IN_HEAD = frozenset(
    {"retouradres", "aan", "postbus", "datum", "onderwerp", "betreft", "geachte", "kenmerk"}
)


_HEAD_SKIP = frozenset({"landelijk", "landelijke", "nederlandse", "nederlands"})


def _suffix_match(words: list[str], phrase: list[str]) -> int:
    """Length of the longest tail of ``words`` that is a contiguous part of ``phrase``
    starting at the phrase's beginning (organisation names are printed from their start)."""
    best = 0
    for k in range(min(len(words), len(phrase)), 1, -1):
        if words[len(words) - k :] == phrase[:k]:
            best = k
            break
    return best


def _absorb_phrase_right(text: str, end: int, phrases: list[list[str]]) -> int:
    toks = list(itertools.islice(_TOKEN.finditer(text, end), 40))
    words = [t.group() for t in toks]
    i = 1 if words and words[0] == "bureau" else 0
    best = 0
    for phrase in phrases:
        k = 0
        while i + k < len(words) and k < len(phrase) and words[i + k] == phrase[k]:
            k += 1
        if k >= 2:
            n = i + k
            if n < len(words) and len(words[n]) <= 5 and is_rare_word(words[n]):
                n += 1  # acronym
            best = max(best, n)
    return toks[best - 1].end() if best else end


_HEADER_ITEM = re.compile(
    r"(?:datum(?: " + MONTH_RE + r")?|ons kenmerk|uw kenmerk|ongerubricee\w*)(?= |$)"
)
_NOT_HEADER_BEFORE = {"op", "zie", "de", "deze", "die", "van", "in", "naar", "per", "en", "tot"}
_NOT_HEADER_AFTER = {"het", "de", "dit", "deze", "een", "dat", "die"}


def _page_header(
    text: str, m: re.Match[str], phrases: list[list[str]], *, strict: bool = True
) -> tuple[int, int] | None:
    start, end = m.start(), m.end()
    prev = _word_before(text, start) if start else ""
    nxt_tok = _next_token(text, end + 1)
    nxt = nxt_tok.group() if nxt_tok else ""
    items = 0
    pos = end
    while True:
        pos2 = _absorb_phrase_right(text, pos, phrases)
        if pos2 != pos:
            pos = pos2
            items += 1
            continue
        hm = _HEADER_ITEM.match(text, pos + 1) if pos + 1 < len(text) else None
        if hm:
            pos = hm.end()
            items += 1
            if hm.group().endswith("kenmerk"):
                ref = _next_token(text, pos + 1)
                if ref and _is_reference_rest(ref.group()):
                    pos = ref.end()
            continue
        break
    left = _header_items_left(text, start)
    items += left < start
    if items == 0 and (prev in _NOT_HEADER_BEFORE or (strict and nxt in _NOT_HEADER_AFTER)):
        return None
    return left, pos


def _header_items_left(text: str, start: int) -> int:
    """A running header printed before ``pagina N van M``: ``Kenmerk IGW-2024-0391 / Datum
    23 april 2024 / Pagina 2 van 2`` (what damage leaves: ``kenmerk igw datum april``). The
    labels and their values right before ``start``, back to where they begin."""
    pos = start
    while pos > 0:
        toks = _tokens_before(text, pos, 3)
        words = [t.group() for t in toks]
        k = len(words)
        if k >= 2 and (
            (words[-1] in MONTHS and words[-2] == "datum")
            or (words[-2] == "kenmerk" and _is_reference_rest(words[-1]))
        ):
            k -= 2
        elif k and words[-1] in {"datum", "kenmerk"}:
            k -= 1
        else:
            break
        if k and words[k] == "kenmerk" and words[k - 1] in {"ons", "uw"}:
            k -= 1
        pos = toks[k].start()
    return pos


@dataclass(slots=True)
class Layout:
    blocks: list[Block]  # sorted, non-overlapping
    page_headers: list[int]  # projection offsets where a running page header begins
    return_address: tuple[int, int] | None = None  # the ``retouradres`` line above the address
    page_footers: list[int] = field(default_factory=list)  # projection ends of page footers


def running_lines(original: str) -> list[tuple[int, int]]:
    """Clean text with form feeds: the lines a running header or footer prints at the top or
    bottom of several pages (``LKVI | Beleidsnotitie VOG | 2``, ``Raadsinformatiebrief
    Z/24/188 pagina 1 van 2``), the same but for their numbers. Returns original spans."""
    feeds = [m.start() for m in re.finditer("\f", original)]
    if not feeds:
        return []
    bounds = [0, *(f + 1 for f in feeds), len(original) + 1]
    near: dict[str, set[int]] = {}  # digits as ``#``: the lines within three of an edge
    exact: dict[str, set[int]] = {}  # as printed: the lines further in
    real_pages = 0
    pages: list[list[list[tuple[int, int, str]]]] = []
    for number in range(len(bounds) - 1):
        a, b = bounds[number], bounds[number + 1] - 1
        tops, bottoms = _edge_lines(original, a, b, _EDGE_REACH)
        real_pages += bool(tops or bottoms)
        sides: list[list[tuple[int, int, str]]] = []
        for lines in (tops, bottoms[::-1]):  # each from its edge inwards
            side = []
            for k, (start, end) in enumerate(lines):
                line = original[start:end].strip()
                side.append((start, end, line))
                if len(line.split()) > 15 or not any(ch.isalpha() for ch in line):
                    continue
                if k < 3:
                    near.setdefault(_DIGITS.sub("#", line.lower()), set()).add(number)
                exact.setdefault(line, set()).add(number)
            sides.append(side)
        pages.append(sides)
    need = max(2, real_pages // 2)
    out: list[tuple[int, int]] = []
    for sides in pages:
        # the three lines at each edge, their numbers aside (``Pagina 2 van 3``); further in,
        # a line printed the same on several pages, while every line between it and the edge is
        # running too (``Pagina 2 van 3`` / body / ``Datum`` / date / ``Ons kenmerk`` / number),
        # so that a numbered heading (``Vraag 7``) at the top of a page is never taken
        for side in sides:
            for k, (start, end, line) in enumerate(side):
                if k < 3:
                    running = len(near.get(_DIGITS.sub("#", line.lower()), ())) >= need
                else:
                    running = len(exact.get(line, ())) >= need
                if not running:
                    if k >= 2:
                        break
                    continue
                out.append((start, end))
    return sorted(dict.fromkeys(out))


#: How many lines from each edge of a page :func:`running_lines` looks at.
_EDGE_REACH = 8


_DIGITS = re.compile(r"\d+")


def _edge_lines(
    text: str, a: int, b: int, count: int = 3
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The first and the last ``count`` non-empty lines of ``text[a:b]`` (each in page order;
    on a short page the two may share lines), without splitting it."""
    first: list[tuple[int, int]] = []
    pos = a
    while pos < b and len(first) < count:
        nl = text.find("\n", pos, b)
        end = b if nl < 0 else nl
        if text[pos:end].strip():
            first.append((pos, end))
        pos = end + 1
    last: list[tuple[int, int]] = []
    end = b
    while end > a and len(last) < count:
        nl = text.rfind("\n", a, end)
        start = a if nl < 0 else nl + 1
        if text[start:end].strip():
            last.append((start, end))  # a short page: the same lines may be in both
        end = start - 1
    return first, last[::-1]


def find_layout(
    text: str,
    org_phrases: list[list[str]] | None = None,
    running: list[tuple[int, int]] | None = None,
) -> Layout:
    """All layout blocks in a projection, and where running page headers begin. ``running``:
    projection spans of running header and footer lines found by :func:`running_lines`."""
    phrases = org_phrases or []
    headers: list[int] = []
    blocks: list[Block] = [Block("running", a, b) for a, b in running or () if b > a]
    covered_until = -1
    for m in _STRONG.finditer(text):
        if m.start() < covered_until:
            continue
        end, fields, kinds = _grow_column(text, m.start())
        strong = kinds & {
            "beantwoording",
            "wiltu",
            "postbus",
            "www",
            "contact",
            "kenmerk",
            "holder",
        }
        # the column goes on after a word it could not place (the path of a web address,
        # ``rijksoverheid.nl/jenv``): items right after a column belong to it
        goes_on = (
            covered_until >= 0
            and bool(strong)
            and len(kinds) >= 2
            and text.count(" ", covered_until, m.start()) <= 2
        )
        if not (len(strong) >= 2 or kinds & {"beantwoording", "wiltu"} or goes_on):
            continue
        if goes_on:
            blocks[-1].end = end
            covered_until = end
            continue
        start = m.start()
        if "postbus" in kinds and text.startswith("postbus", start):
            start = _extend_address_left(text, start, fields.get("city"))
        before = _tokens_before(text, start, 2)
        if before and not blocks_cover(blocks, before[0].start()):
            for k in (0, 1):
                if k < len(before) and _DATE_ITEM.fullmatch(text, before[k].start(), start - 1):
                    start = before[k].start()  # ``Datum 11 maart 2025`` above ``Zaaknummer``
                    break
        start = _absorb_phrase_left(text, start, phrases)
        head = _column_head(text, start)
        if head is not None:
            fields["head"] = text[head:start].strip()
            start = head
        blocks.append(Block("column", start, end, fields))
        covered_until = end
    ret = _RETURN.search(text)
    if ret:
        blocks.append(Block("return-address", ret.start(), ret.end()))
    rejected = []
    for m in _PAGE.finditer(text):
        span = _page_header(text, m, phrases)
        if span:
            blocks.append(Block("page-header", *span))
            headers.append(span[0])
        else:
            rejected.append(m)
    _running_prefix(text, blocks)
    if headers:
        # the letter has running page headers: ``pagina van`` followed by ``de`` is one of
        # them too (``... via Pagina 3 van 4 de weg ...``), unless a word before makes it a
        # reference (``zie pagina 3 van het rapport``)
        for m in rejected:
            span = _page_header(text, m, phrases, strict=False)
            if span:
                blocks.append(Block("page-header", *span))
                headers.append(span[0])
    footers: list[int] = []
    m = _MASTHEAD.search(text, 0, 400)
    if m:
        blocks.append(Block("masthead", m.start(), m.end()))
    for m in _footer_cores(text):
        left = _FOOTER_LEFT.search(text, max(0, m.start() - 40), m.start())
        start = left.start() if left and left.group() else m.start()
        blocks.append(Block("page-footer", start, m.end()))
        footers.append(m.end())
    return Layout(_merge(blocks), headers, (ret.start(), ret.end()) if ret else None, footers)


def blocks_cover(blocks: list[Block], pos: int) -> bool:
    """True when a block already found holds projection position ``pos``."""
    return any(b.start <= pos < b.end for b in blocks)


def _running_prefix(text: str, blocks: list[Block]) -> None:
    """A running header printed before ``pagina N van M`` on every page (``Raadsinformatiebrief
    Z/24/188 pagina 1 van 2``): the same words before every page header belong to it."""
    pages = [b for b in blocks if b.kind == "page-header"]
    if len(pages) < 2:
        return
    befores = [[t.group() for t in _tokens_before(text, b.start, 4)] for b in pages]
    k = 0
    while k < 4 and all(len(x) > k for x in befores):
        word = befores[0][-1 - k]
        if any(x[-1 - k] != word for x in befores) or word.endswith(".") or word in FUNCTION_WORDS:
            break
        k += 1
    if k == 0:
        return
    for b in pages:
        b.start = _tokens_before(text, b.start, k)[0].start()


def _merge(blocks: list[Block]) -> list[Block]:
    blocks.sort(key=lambda b: (b.start, -b.end))
    merged: list[Block] = []
    for b in blocks:
        if merged and b.start <= merged[-1].end + 1:
            last = merged[-1]
            last.end = max(last.end, b.end)
            for k, v in b.fields.items():
                last.fields.setdefault(k, v)
            if last.kind != b.kind and "column" in (last.kind, b.kind):
                last.kind = "column"
            continue
        merged.append(b)
    return merged
