"""The signature block of a Dutch letter: who signed, in what function, on behalf of whom.

The shapes it reads are those of the genre, not of one sender:

* ``Met vriendelijke groet,`` / ``Hoogachtend,`` followed by a name and the function under it
  (``Ingrid Hoogeboom`` / ``directeur-bestuurder``; ``Corinne Dettmeijer-Vermeulen`` /
  ``Nationaal Rapporteur ...``);
* ``namens de Raad ...,`` or an organisation line (``Stichting Vrij Werk``) before the name;
* a function above the name without closing formula, as ministers and colleges sign
  (``De Staatssecretaris van Justitie en Veiligheid,`` / ``w.g.`` / ``M.L. van Dongen``;
  ``Het college van burgemeester en wethouders van X,`` / ``de secretaris,`` / name /
  ``de burgemeester,`` / name);
* two names on one printed line with their functions side by side, as ``pdftotext -raw``
  prints signatures next to each other (``mr. dr. H.E. Lindeboom drs. P.C. Baarsma`` /
  ``Inspecteur-generaal A Inspecteur-generaal B``).

It runs on the damaged-form projection (see :mod:`bot.core.layout`). Clean text adds what the
damage removes: line breaks and capitals, which make the boundaries between organisation,
function and name certain; damaged text falls back on titles, initials and the function words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.boilerplate import Layout
from bot.core.frame import Span
from bot.core.lexicon import is_rare_word
from bot.core.text import strip_accents
from bot.core.vocabulary import FUNCTION_WORDS, MONTHS, ORG_WORDS, ROLE_WORDS

_TOKEN = re.compile(r"\S+")
PERSON_TITLES = frozenset(
    "mr dr drs prof ir ing mw mevr mevrouw dhr de heer bc ds ba ma msc llm phd".split()
)
_TITLES_ONLY = frozenset("mr dr drs prof ir ing mw mevr dhr bc ds".split())
_PARTICLES = frozenset("van de der den ten ter el la le op in t d du da".split())
_INITIALS = re.compile(r"(?:[a-z]\.){1,5}|[a-z]\.[a-z]\.?")
_STOP_WORDS = frozenset(
    {"bijlage", "bijlagen", "bijlagen:", "cc", "kopie", "afschrift", "zie", "pagina", "datum"}
    # what follows a signature on the page: a footnote's source, the letterhead's address
    | {"kamerstuk", "kamerstukken", "bezoekadres", "postadres", "retouradres", "postbus"}
)
_OPENERS = frozenset({"de", "het"})
#: Words of a running sentence that no name holds (the particles ``van``, ``de``, ``in``,
#: ``op``, ``ter`` do): where a damaged name runs into the text after the signature.
_CLAUSE_WORDS = FUNCTION_WORDS - _PARTICLES - {"het", "te", "ten", "ter", "tot"}
_DEBRIS = frozenset({"datum", "ons", "uw", "kenmerk", "pagina", "van", "ongerubriceerd"})
#: Functions whose holder co-signs after the one who speaks for the body (a municipality's
#: secretary next to the mayor): the other signer is the signatory.
_SECONDARY_ROLES = ("secretaris", "griffier")
#: Functions that head compounds naming the same function in one body
#: (``gemeentesecretaris``, ``concerndirecteur``, ``programmacoördinator``).
_ROLE_HEADS = (
    "secretaris",
    "directeur",
    "voorzitter",
    "coordinator",
    "adviseur",
    "medewerker",
    "manager",
    "inspecteur",
    "bestuurder",
    "griffier",
    "leider",
    "chef",
    "officier",
    "ombudsman",
    "ombudsvrouw",
)
_MAX_TOKENS = 60
#: The governing bodies of an organisation, which sign for it (``namens het bestuur van X``).
_GOVERNING = frozenset({"bestuur", "directie", "hoofdbestuur"})


@dataclass(slots=True)
class Signer:
    name: Span
    role: Span | None = None


@dataclass(slots=True)
class Signature:
    org: Span | None = None  # ``namens X`` / an organisation line / ``Het college van ...``
    signers: list[Signer] = field(default_factory=list)
    principals: list[Span] = field(default_factory=list)  # signed ``namens deze`` for them
    end: int = 0  # projection offset just past the last token read

    def phrases(self, text: str) -> list[str]:
        """The organisation and the functions, as projection text: they recur in the
        letterhead and running headers (``bureau nationaal rapporteur``)."""
        out = [self.org.text(text)] if self.org else []
        out.extend(s.role.text(text) for s in self.signers if s.role)
        return out

    def primary(self, text: str) -> Signer | None:
        """The signer who speaks for the sender: the first one, unless that one is a
        co-signing secretary and another signed too."""
        if not self.signers:
            return None
        for s in self.signers:
            role = s.role.text(text).split() if s.role else []
            words = [w for w in role if w not in _OPENERS]
            if not (words and words[-1].endswith(_SECONDARY_ROLES)):
                return s
        return self.signers[0]


@dataclass(slots=True)
class _Tok:
    word: str
    start: int
    end: int
    line_start: bool = False  # clean text: the original starts a new line here
    cap: bool | None = None  # clean text: the original word starts with a capital
    comma: bool = False  # clean text: a comma follows it in the original
    digits: bool = False  # clean text: the original word holds a digit (a reference, a date)
    gap: bool = False  # a layout block (side column, page header) was skipped before it


def _tokens(
    text: str,
    start: int,
    limit: int,
    layout: Layout,
    original: str | None,
    to_orig: Sequence[int] | None,
) -> list[_Tok]:
    blocks = [(b.start, b.end) for b in layout.blocks if b.end > start and b.start < limit]
    out: list[_Tok] = []
    prev_end = start
    skipped = False
    for m in _TOKEN.finditer(text, start, limit):
        if any(a <= m.start() < b for a, b in blocks):
            skipped = True
            continue
        if out and not skipped and _accent_gap(text, out[-1], m, original, to_orig):
            # ``coördinator``: the projection split the word at its accented letter
            last = out[-1]
            last.end = m.end()
            if original is not None and to_orig is not None:
                o_start = to_orig[last.start]
                o_end = to_orig[m.end() - 1] + 1
                last.word = strip_accents(original[o_start:o_end].lower())
                last.comma = original[o_end : o_end + 1] == ","
            else:
                last.word = _role_with_gap(last.word, m.group()) or last.word + m.group()
            prev_end = m.end()
            continue
        tok = _Tok(m.group(), m.start(), m.end(), gap=skipped)
        if original is not None and to_orig is not None:
            o_start = to_orig[m.start()]
            o_prev = to_orig[prev_end - 1] + 1 if prev_end > 0 else 0
            tok.line_start = skipped or not out or "\n" in original[o_prev:o_start]
            word_start = o_start
            while word_start > 0 and original[word_start - 1].isalpha():
                word_start -= 1  # ``Çelik``: the projection dropped the accented capital
            tok.cap = original[word_start].isupper()
            o_end = to_orig[m.end() - 1] + 1
            tok.comma = original[o_end : o_end + 1] == ","
            word_end = o_end
            while word_end < len(original) and not original[word_end].isspace():
                word_end += 1
            tok.digits = any(ch.isdigit() for ch in original[o_start:word_end])
        elif skipped:
            tok.line_start = True
        skipped = False
        out.append(tok)
        prev_end = m.end()
        if len(out) >= _MAX_TOKENS:
            break
    return out


def _accent_gap(
    text: str,
    last: _Tok,
    m: re.Match[str],
    original: str | None,
    to_orig: Sequence[int] | None,
) -> bool:
    """The projection token ``m`` goes on the word of ``last``: in clean text nothing but
    letters stand between them in the original (an accented letter); in damaged text the two
    are a function with the gap an accented letter left (``co rdinator``)."""
    if last.end + 1 != m.start():
        return False
    if original is not None and to_orig is not None:
        middle = original[to_orig[last.end - 1] + 1 : to_orig[m.start()]]
        return bool(middle) and middle.isalpha()
    return _role_with_gap(last.word, m.group()) is not None


def _role_with_gap(a: str, b: str) -> str | None:
    """Damaged text: the function word that ``a`` + one lost letter + ``b`` spell, if any."""
    if len(a) > 4 or len(b) < 4:
        return None
    for role in ROLE_WORDS:
        if len(role) == len(a) + len(b) + 1 and role.startswith(a) and role.endswith(b):
            return role
    return None


def _bare(word: str) -> str:
    return word.rstrip(".,:;")


def _is_title(word: str) -> bool:
    return _bare(word) in _TITLES_ONLY and (word.endswith(".") or len(word) > 1)


def _is_initials(word: str) -> bool:
    return _INITIALS.fullmatch(word) is not None


def _is_role(word: str) -> bool:
    w = _bare(word)
    if w in ROLE_WORDS:
        return w not in ORG_WORDS and w != "namens"
    return any(w.endswith(head) and len(w) >= len(head) + 4 for head in _ROLE_HEADS)


def _is_org(word: str) -> bool:
    return _bare(word) in ORG_WORDS


def _opens_function(toks: list[_Tok], i: int) -> bool:
    """``de minister``, ``het college``, ``directeur``: a function or body begins at ``i``."""
    w = toks[i].word
    if _is_role(w) or _is_org(w):
        return True
    return (
        w in _OPENERS
        and i + 1 < len(toks)
        and (_is_role(toks[i + 1].word) or _is_org(toks[i + 1].word))
    )


def _name_word(tok: _Tok) -> bool:
    w = tok.word
    if _is_title(w) or _is_initials(w):
        return True
    if _bare(w) in _PARTICLES:
        return True
    if _is_role(w) or _is_org(w) or _bare(w) in _STOP_WORDS:
        return False
    if tok.cap is False or tok.digits:
        return False  # clean text: a lowercase word or a number is no part of a name
    return not w.endswith(".") or len(w) <= 3


def read_signature(
    text: str,
    start: int,
    limit: int,
    layout: Layout,
    original: str | None = None,
    to_orig: Sequence[int] | None = None,
) -> Signature:
    """Read the signature block in ``text[start:limit]`` (a projection). ``original`` and
    ``to_orig`` (clean text only) give line breaks, capitals and commas."""
    toks = _tokens(text, start, limit, layout, original, to_orig)
    clean = original is not None
    sig = Signature()
    i = 0
    pending: list[Span] = []  # functions printed above names not read yet, in order
    while i < len(toks):
        t = toks[i]
        w = _bare(t.word)
        nothing_yet = not sig.signers and sig.org is None and not pending
        if nothing_yet and (
            w in _DEBRIS or w in MONTHS or (len(w) <= 2 and not t.word.endswith("."))
        ):
            i += 1  # a page header or scanning debris between the closing and the name
            continue
        if w in _STOP_WORDS or t.word.startswith(("http", "www.")):
            break
        if t.gap and sig.signers and all(s.role for s in sig.signers) and not pending:
            break  # past the letterhead column: the next page's header, an annex
        if t.word in {"w.g.", "w.g", "wg"}:
            i += 1
            continue
        if w == "mede" and i + 1 < len(toks) and _bare(toks[i + 1].word) == "namens":
            # ``De Minister van X, / mede namens de Minister van Y,``: Y co-signs in name
            j = _phrase_end(toks, i + 2, clean)
            if j > i + 2:
                sig.principals.append(Span(toks[i + 2].start, toks[j - 1].end))
            i = max(j, i + 2)
            continue
        if w == "namens":
            j = _phrase_end(toks, i + 1, clean)
            k = i + 1
            if k < len(toks) and _bare(toks[k].word) in {"deze", "dezen"}:
                # ``De Minister van X, / namens deze, / de directeur-generaal Y,``: the
                # function above is the one on whose behalf the official signs
                sig.principals.extend(pending)
                pending.clear()
                i = k + 1
                continue
            while k < j and toks[k].word in _OPENERS:
                k += 1
            if j - k >= 4 and _bare(toks[k].word) in _GOVERNING and toks[k + 1].word == "van":
                # ``namens het bestuur van Stichting X``: the body of the sender that signs
                k += 2
                while k < j and toks[k].word in _OPENERS:
                    k += 1
            if not clean and j - k >= 2:
                j = _recurring_end(text, toks, k, j)
            # ``namens het bestuur``: a body of the sender, not its name
            if j - k >= 2 and sig.org is None:
                sig.org = Span(toks[k].start, toks[j - 1].end)
            i = max(j, i + 1)
            continue
        if _opens_function(toks, i) or _is_college(toks, i):
            j = _phrase_end(toks, i + 1, clean)
            first = toks[i + 1].word if w in _OPENERS and i + 1 < len(toks) else t.word
            is_org = (_is_org(first) and not _is_role(first)) or _is_college(toks, i)
            if is_org and not clean:
                j = _recurring_end(text, toks, i + 1 if w in _OPENERS else i, j)
            cut = None if is_org else _role_org_cut(toks, i, j)
            if cut is not None:
                # ``directeur Stichting X``: the function and the body on one printed line
                if sig.org is None:
                    end = j if clean else _recurring_end(text, toks, cut, j)
                    sig.org = Span(toks[cut].start, toks[end - 1].end)
                span = Span(t.start, toks[cut - 1].end)
            else:
                span = Span(t.start, toks[j - 1].end)
            last = sig.signers[-1] if sig.signers else None
            if is_org and (sig.signers or not pending):
                # ``Stichting X`` above the name, ``Inspectie X`` under it, ``burgemeester en
                # wethouders van X``: the sender
                if sig.org is None:
                    sig.org = Span(toks[i + 1].start if w in _OPENERS else t.start, span.end)
            elif last is not None and last.role is None and not _ends_with_comma(toks, j, clean):
                _assign_roles(text, sig, span, toks, i, j)
            else:
                pending.append(span)
            i = j
            continue
        if _name_word(t):
            j = _name_end(toks, i, clean)
            if j == i:
                break
            k = _org_above_name(text, toks, i, clean) if sig.org is None else 0
            if k and not sig.signers:
                # ``Met vriendelijke groet, / Stichting X / drs. A. Name``: words without
                # titles or initials that the letterhead printed too, right above a name
                sig.org = Span(toks[i].start, toks[k - 1].end)
                i = k
                continue
            for a, b in _split_names(toks, i, j):
                role = pending.pop(0) if pending else None
                sig.signers.append(Signer(Span(toks[a].start, toks[b - 1].end), role))
            i = j
            continue
        if sig.signers or sig.org or pending:
            break
        i += 1  # debris before the signature (a stray word a page break left)
        if i > 6:
            break
    sig.end = toks[i - 1].end if 0 < i <= len(toks) else start
    return sig


def _org_above_name(text: str, toks: list[_Tok], i: int, clean: bool) -> int:
    """Where the organisation that signs ends when ``toks[i:]`` opens with it, else 0: words
    without titles or initials (a line of its own in clean text) right before a title,
    initials or ``w.g.`` (a name for certain), which were printed before the signature too
    (the letterhead, the body), whatever words name the organisation."""
    if clean:
        k = i + 1
        while k < len(toks) and not toks[k].line_start:
            k += 1  # the whole printed line (``Koninklijke Vereniging van X``)
    else:
        k = next(
            (
                m
                for m in range(i, min(len(toks), i + 9))
                if _is_title(toks[m].word) or _is_initials(toks[m].word)
            ),
            0,
        )
    if k - i < 2 or k >= len(toks):
        return 0
    if any(_is_title(t.word) or _is_initials(t.word) for t in toks[i:k]):
        return 0
    nxt = toks[k].word
    if not (_is_title(nxt) or _is_initials(nxt) or nxt in {"w.g.", "w.g", "wg"}):
        return 0
    phrase = text[toks[i].start : toks[k - 1].end]
    return k if text.find(phrase) < toks[i].start else 0


def _role_org_cut(toks: list[_Tok], i: int, j: int) -> int | None:
    """Where an organisation begins right after a function word in the phrase ``toks[i:j]``
    (``directeur Stichting Expertisecentrum X``, ``voorzitter vereniging van ...``), else
    None. A function tied to its domain by a preposition (``Minister van X``) is not cut."""
    for k in range(i + 1, j):
        prev, w = toks[k - 1].word, toks[k].word
        if _is_role(prev) and _is_org(w) and not _is_role(w) and _bare(prev) == prev:
            return k
    return None


def _recurring_end(text: str, toks: list[_Tok], k: int, j: int) -> int:
    """Damaged text: the name of an organisation starting at ``toks[k]`` and cut at ``j`` goes
    on over the next words as long as the longer name also stands elsewhere in the letter
    (its letterhead, its own text): ``landelijk platform`` + ``sekswerk``, not + the name of
    the person who signs."""
    while j < len(toks) and j - k < 14:
        w = toks[j].word
        if _is_title(w) or _is_initials(w) or toks[j].gap or _bare(w) in _STOP_WORDS:
            break
        phrase = text[toks[k].start : toks[j].end]
        before = text.find(phrase)
        if before >= toks[k].start and text.find(phrase, toks[j].end) < 0:
            break
        j += 1
    return j


def _is_college(toks: list[_Tok], i: int) -> bool:
    """``burgemeester en wethouders (van X)``, ``Gedeputeerde Staten (van X)``: the college of a
    municipality or a province, signing as a body."""
    words = [_bare(t.word) for t in toks[i : i + 3]]
    return words == ["burgemeester", "en", "wethouders"] or words[:2] == ["gedeputeerde", "staten"]


def _ends_with_comma(toks: list[_Tok], j: int, clean: bool) -> bool:
    return clean and j > 0 and toks[j - 1].comma


def _phrase_end(toks: list[_Tok], i: int, clean: bool) -> int:
    """End of a function or organisation phrase that started just before ``i``."""
    hard = None if clean else _hard_boundary(toks, i)
    j = i
    while j < len(toks) and j - i < 14:
        t = toks[j]
        w = t.word
        if clean and j > i and t.line_start and toks[j - 1].comma and _list_goes_on(toks, j):
            j += 1
            continue
        if clean and j > 0 and toks[j - 1].comma and (t.line_start or _opens_function(toks, j)):
            break  # ``De Minister van X, Y en Z,`` ends at the comma that ends its line
        if clean and t.line_start and t.cap and toks[j - 1].word not in FUNCTION_WORDS:
            # a new line with a capital: a name or a new function, unless the line before
            # ends in ``en``/``van`` (``Nationaal Rapporteur Mensenhandel en`` / ``Seksueel ...``)
            break
        if _is_title(w) or _is_initials(w) or w in {"w.g.", "w.g", "wg"} or _bare(w) == "namens":
            break
        if w == "mede" and j + 1 < len(toks) and _bare(toks[j + 1].word) == "namens":
            break
        if _bare(w) in _STOP_WORDS or w.startswith(("http", "www.")) or t.digits:
            break  # a footnote, a link, a reference: the signature is over
        if w in _OPENERS and j + 1 < len(toks) and _is_role(toks[j + 1].word):
            break  # ``... van zuidwaarde de secretaris``
        if not clean and hard is None and j > i and _looks_like_name_start(toks, j):
            break
        if (
            not clean
            and j > i
            and _is_role(w)
            and j + 1 < len(toks)
            and (_is_title(toks[j + 1].word) or _is_initials(toks[j + 1].word))
        ):
            break  # ``gedeputeerde staten van x voorzitter mr. a. name``: a function over a name
        j += 1
    return max(j, i)


def _list_goes_on(toks: list[_Tok], j: int) -> bool:
    """Clean text: the printed line at ``toks[j]`` goes on with the list of the function above
    (``de staatssecretaris van Jeugd,`` / ``Preventie en Sport,``): a short line of
    capitalised words with ``en`` that ends in a comma, without title, initials or function."""
    k = j
    while k < len(toks) and (k == j or not toks[k].line_start):
        k += 1
    line = toks[j:k]
    if not (2 <= len(line) <= 5) or not line[-1].comma or not toks[j].cap:
        return False
    if not any(_bare(t.word) == "en" for t in line):
        return False
    return not any(
        _is_title(t.word)
        or _is_initials(t.word)
        or _is_role(t.word)
        or _is_org(t.word)
        or _bare(t.word) in {"namens", "mede"}
        for t in line
    )


def _hard_boundary(toks: list[_Tok], i: int) -> int | None:
    """Damaged text: the next title, initials or ``w.g.`` within reach, where a name begins
    for certain; then the words before it all belong to the function or organisation."""
    for k in range(i, min(len(toks), i + 12)):
        w = toks[k].word
        if _is_title(w) or _is_initials(w) or w in {"w.g.", "w.g", "wg"}:
            return k
    return None


def _looks_like_name_start(toks: list[_Tok], j: int) -> bool:
    """Damaged text: a rare word after a content word begins a name (``stichting vrij werk
    samira el khatib``); a rare word after ``van``, ``en``, ``voor`` belongs to the phrase
    (``raad voor jeugd en rechtsbescherming``)."""
    prev = toks[j - 1].word
    w = toks[j].word
    if prev in FUNCTION_WORDS or _bare(prev) in _PARTICLES:
        return False
    return is_rare_word(w, 3.5) and not _is_role(w) and not _is_org(w)


def _name_end(toks: list[_Tok], i: int, clean: bool) -> int:
    j = i
    seen_word = False
    while j < len(toks) and j - i < 10:
        t = toks[j]
        if j > i and clean and t.line_start:
            break
        if j > i and _opens_function(toks, j) and _bare(t.word) not in _PARTICLES:
            break
        if j > i and t.word in _OPENERS and j + 1 < len(toks) and _opens_function(toks, j + 1):
            break
        if not _name_word(t):
            break
        if not clean and _bare(t.word) in _CLAUSE_WORDS:
            break  # damaged text: ``... bij een ...`` is a sentence (a footnote), not a name
        if not (_is_title(t.word) or _is_initials(t.word) or _bare(t.word) in _PARTICLES):
            seen_word = True
        j += 1
        if clean and t.comma:
            break
    if not seen_word:
        return i
    # a name does not end on a particle
    while j > i + 1 and _bare(toks[j - 1].word) in _PARTICLES:
        j -= 1
    return j


def _split_names(toks: list[_Tok], i: int, j: int) -> list[tuple[int, int]]:
    """``mr. dr. H.E. Lindeboom drs. P.C. Baarsma``: a title or initials after a surname
    begin a second name."""
    out = []
    a = i
    seen_word = False
    for k in range(i, j):
        w = toks[k].word
        starts_name = _is_title(w) or _is_initials(w)
        if starts_name and seen_word and k > a:
            out.append((a, k))
            a = k
            seen_word = False
        if not (starts_name or _bare(w) in _PARTICLES):
            seen_word = True
    out.append((a, j))
    return out


def _assign_roles(text: str, sig: Signature, span: Span, toks: list[_Tok], i: int, j: int) -> None:
    """A function line after the name(s). When the line before held two names, the line holds
    their two functions side by side: split it where its first word comes back."""
    unassigned = [s for s in sig.signers if s.role is None]
    if len(unassigned) >= 2:
        first = toks[i].word
        for k in range(i + 1, j):
            if toks[k].word == first:
                unassigned[-2].role = Span(toks[i].start, toks[k - 1].end)
                unassigned[-1].role = Span(toks[k].start, toks[j - 1].end)
                return
        # ``voorzitter directeur``: two functions side by side, the second where a function
        # word begins that does not go on the one before (``van``, ``en`` tie words together)
        for k in range(i + 1, j):
            prev = _bare(toks[k - 1].word)
            if _is_role(toks[k].word) and prev not in FUNCTION_WORDS and prev not in _OPENERS:
                unassigned[-2].role = Span(toks[i].start, toks[k - 1].end)
                unassigned[-1].role = Span(toks[k].start, toks[j - 1].end)
                return
    unassigned[-1].role = span
