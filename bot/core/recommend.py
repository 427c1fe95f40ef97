"""Find the author's recommendations, requests, pleas, requirements and concerns in a sentence.

Pure and rule based: the rules are the performative phrases of Dutch policy letters ("ik pleit
voor", "beveel ik aan", "ik verzoek u", "het verdient aanbeveling", "ik maak mij zorgen") and the
normative modals and adjectives of Dutch ("moet", "dient ... te", "is nodig", "noodzakelijk",
"van groot belang"), with the exclusions that keep facts, history, other people's requests and
closing formulas out. They run on the folded form of a sentence (:func:`bot.core.text.fold`:
lowercase, no accents, no punctuation), so clean and damaged letters are read alike.

Kinds, from the strongest to the weakest:

``request``
    the author asks the addressee for something: ``ik verzoek u``, ``ik doe een beroep op u``,
    ``ik roep u op``, ``ik vraag (uw aandacht voor)``, ``ik hoop dat u``;
``advice``
    the author recommends: ``ik beveel aan``, ``ik adviseer``, ``ik raad u aan``, ``ik stel voor``,
    ``het verdient aanbeveling``, ``wenselijk``, ``zou ... moeten``, ``ik heb ... aanbevolen``;
``plea``
    the author argues for something: ``ik pleit (ervoor)``, ``ik sta op het standpunt``,
    ``ik blijf het belang benadrukken``, endorsing a named recommendation;
``concern``
    the author worries or objects: ``ik maak mij zorgen``, ``zorgelijk``, ``ik betreur``,
    ``onwenselijk``, ``bezwaren``, ``het risico bestaat``, ``schiet tekort``, ``ontbreekt``;
``requirement``
    a normative statement without a performative verb: ``moet``, ``dient ... te``, ``is nodig``,
    ``noodzakelijk``, ``van (groot) belang``, ``hoort ... thuis``, ``verdient aandacht``.

A sentence gets the first kind in that order whose rules match.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from bot.core.text import fold, prefiltered
from bot.core.vocabulary import FINITE_VERBS, INSTITUTION_NOUNS, MONTH_RE

RECOMMEND_VERSION = "5"

Kind = Literal["request", "plea", "advice", "requirement", "concern"]
KINDS: tuple[Kind, ...] = ("request", "advice", "plea", "concern", "requirement")

_W = r"(?:\w+ )"  # one word and its space, for "up to n words" gaps: _W{0,n}?


@dataclass(frozen=True, slots=True)
class Cue:
    kind: Kind
    cue: str  # the phrase that marks it, as found in the folded sentence


def _rx(*patterns: str) -> re.Pattern[str]:
    # prefiltered: the same matches, several times faster on these long alternations
    return prefiltered("|".join(f"(?:{p})" for p in patterns))  # type: ignore[return-value]


#: Put before ``vragen``, ``verzoek``, ``voorstel``: not after a determiner, where the word is a
#: noun (``de antwoorden op de vragen``, ``wij bespreken dit verzoek``, ``ons verzoek``).
_NOT_NOUN = "".join(
    f"(?<!\\b{d} )" for d in "de het een dit dat deze die uw mijn mij zijn haar hun".split()
)


# --------------------------------------------------------------------------- the author

# Words after which a name of the author is its object or owner, not its subject:
# "heeft u de Raad gevraagd", "het onderzoek van de Raad", "namens het college".
_PREPOSITIONS = frozenset(
    """
    van aan door bij met voor namens tot naar over tegen op om uit zonder tussen volgens dan
    als via binnen onder na tijdens jegens
    """.split()
)
_OBJECT_BEFORE = frozenset({"u", "hem", "haar", "hen", "jullie", "mij", "me", "hierna", "noemen"})
_DETERMINERS = frozenset({"de", "het", "dit", "deze", "onze", "ons"})
# A short name ("de raad") followed by these names another body ("de Raad van State").
_OTHER_BODY = frozenset({"van", "voor", "der", "tegen", "inzake"})
_NAME_STOP = frozenset({"van", "voor", "tegen", "inzake", "der", "op", "ter", "in"})
_PLURALS = {
    "raad": "raden",
    "centrum": "centra",
    "kenniscentrum": "kenniscentra",
    "gemeente": "gemeenten",
}
# Verbs an author uses of itself in the third person ("de Raad adviseert", "adviseert de Raad").
_AUTHOR_VERBS = frozenset(
    """
    adviseert adviseren beveelt bevelen verzoekt verzoeken vraagt vragen pleit pleiten
    constateert constateren onderschrijft onderschrijven acht achten meent menen vindt vinden
    concludeert concluderen stelt stellen wijst wijzen is zijn heeft hebben maakt maken vreest
    vrezen betreurt betreuren steunt steunen roept roepen dringt dringen benadrukt benadrukken
    verwacht verwachten ziet zien signaleert signaleren waarschuwt waarschuwen
    """.split()
)
_FIRST_PERSON = re.compile(r"\b(?:ik|mijn)\b")
#: The country a national body's name ends with, which it leaves out when it names itself.
_NATIONAL = frozenset({"nederland", "nl", "nederlands"})


@dataclass(frozen=True, slots=True)
class Author:
    """How a document names its author besides ``ik`` and ``wij`` (folded words).

    ``names`` are full names and abbreviations, read with or without a determiner
    (``raad voor jeugd en rechtsbescherming``, ``nvvb``); ``nouns`` are the institution nouns
    that name the author after a determiner (``de raad``, ``het college``, ``de inspecties``).
    Both come from the document: its sender, the abbreviations and ``hierna:`` names its text
    defines, and the body that speaks of itself in the third person. Never from a list of
    senders.
    """

    names: tuple[str, ...] = ()
    nouns: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.nouns)


FIRST_PERSON_ONLY = Author()


def _noun_forms(noun: str) -> set[str]:
    out = {noun}
    if noun in _PLURALS:
        out.add(_PLURALS[noun])
    for plural in (noun + "s", noun + "en", noun + "n"):
        if plural in INSTITUTION_NOUNS:
            out.add(plural)
    return out


def _heads(name: str) -> tuple[set[str], set[str]]:
    """Institution nouns and head words of one folded organisation name: ``raad voor jeugd en
    rechtsbescherming`` -> ({raad, raden}, {}); ``adviescollege toetsing regeldruk`` ->
    ({college, colleges}, {adviescollege})."""
    nouns: set[str] = set()
    heads: set[str] = set()
    words = name.split()
    for i, w in enumerate(words):
        if w in _NAME_STOP and i:
            break
        if w in INSTITUTION_NOUNS:
            nouns |= _noun_forms(w)
            continue
        for noun in INSTITUTION_NOUNS:
            if len(noun) >= 4 and w.endswith(noun) and len(w) - len(noun) >= 3:
                nouns |= _noun_forms(noun)
                heads |= _office_forms(w)
    return nouns, heads


def _office_forms(word: str) -> set[str]:
    """An office held by one person is named by its holder's gender: ``kinderombudsman`` /
    ``kinderombudsvrouw``."""
    if word.endswith("man"):
        return {word, word[:-3] + "vrouw"}
    if word.endswith("vrouw"):
        return {word, word[:-5] + "man"}
    return {word}


_ACRONYM = re.compile(r"\(([A-Z][A-Za-z&]{1,9})\)")
_HIERNA = re.compile(r"\bhierna(?: te noemen| genoemd)? (?:(de|het) )?(\w+)")


def author_of(
    sender: str | None, texts: Sequence[str] = (), *, signatory_role: str | None = None
) -> Author:
    """The author of a document as it names itself, from its ``sender`` (the organisation the
    parser found) and its sentences ``texts``; :data:`FIRST_PERSON_ONLY` when nothing says."""
    names: set[str] = set()
    nouns: set[str] = set()
    folded_texts = [fold(t) for t in texts]
    tokens: set[str] = set()
    for f in folded_texts:
        tokens.update(f.split())
    sender_words: set[str] = set()
    for raw in re.split(r"[,;/\n]| & ", sender or ""):
        name = fold(_ACRONYM.sub(" ", raw))
        if len(name) < 3:
            continue
        names.add(name)
        words = name.split()
        if len(words) >= 3 and words[-1] in _NATIONAL:
            # ``Stichting X Nederland`` writes of itself as ``Stichting X``
            names.add(" ".join(words[:-1]))
        sender_words.update(w for w in name.split() if len(w) > 3 and w not in _NAME_STOP)
        n, heads = _heads(name)
        nouns |= n
        names |= heads
        for m in _ACRONYM.finditer(raw):
            names.add(fold(m.group(1)))
        capitals = [w[0] for w in re.findall(r"\b[A-Z][\w-]*", raw)]
        # damaged text has no capitals: the initials of the name's content words
        content = [w[0] for w in name.split() if w not in _NAME_STOP and w not in {"en", "de"}]
        for initials in ("".join(capitals).lower(), "".join(content)):
            if len(initials) >= 3 and initials in tokens:
                names.add(initials)
    role = fold(signatory_role or "")
    if "gemeente" in nouns or "burgemeester" in role or "wethouder" in role:
        # a municipality writes as its executive: "het college (van burgemeester en wethouders)"
        nouns |= _noun_forms("college")
        names.add("college van burgemeester en wethouders")
        names.add("burgemeester en wethouders")
    if "provincie" in nouns or fold(sender or "").startswith("gedeputeerde staten"):
        # a province writes as its executive: "Gedeputeerde Staten verzoeken", "ons college"
        nouns |= _noun_forms("college")
        names.add("gedeputeerde staten")
    if "ministerie" in nouns or role.startswith(("minister", "staatssecretaris")):
        nouns.add("kabinet")  # a minister writes for the cabinet

    # Names the text itself gives its author: "(hierna: de Raad)", "(NVVB)" after the name.
    for raw, f in zip(texts, folded_texts, strict=False):
        for m in _HIERNA.finditer(f):
            before = set(f[: m.start()].split()[-10:])
            if sender_words and not (before & sender_words):
                continue
            word = m.group(2)
            if word in INSTITUTION_NOUNS and m.group(1):
                nouns |= _noun_forms(word)
            elif not m.group(1) and len(word) >= 2:
                names.add(word)
        for m in _ACRONYM.finditer(raw):
            before = set(fold(raw[: m.start()]).split()[-8:])
            if sender_words and len(before & sender_words) >= min(2, len(sender_words)):
                names.add(fold(m.group(1)))

    if not nouns:
        # no institution in the sender (none found, or a name without one): the text decides
        nouns = _third_person_voice(folded_texts)
    return Author(
        tuple(sorted(names, key=lambda n: (-len(n), n))),
        tuple(sorted(nouns, key=lambda n: (-len(n), n))),
    )


def _third_person_voice(folded_texts: Sequence[str]) -> set[str]:
    """The institution noun of a document that never writes "ik" but has "de Raad" or "de
    branchevereniging" advise, ask and conclude at least twice: it speaks of itself (often
    beside "wij")."""
    if any(_FIRST_PERSON.search(f) for f in folded_texts):
        return set()
    counts: Counter[str] = Counter()
    for f in folded_texts:
        toks = f.split()
        for i, w in enumerate(toks):
            if w not in INSTITUTION_NOUNS or i == 0 or toks[i - 1] not in {"de", "het"}:
                continue
            after = toks[i + 1] if i + 1 < len(toks) else ""
            before = toks[i - 2] if i >= 2 else ""
            if after in _AUTHOR_VERBS or before in _AUTHOR_VERBS:
                counts[w] += 1
    if not counts:
        return set()
    noun, n = counts.most_common(1)[0]
    plural_voice = any(re.search(r"\b(?:wij|we|onze)\b", f) for f in folded_texts)
    return _noun_forms(noun) if n >= 2 or plural_voice else set()


_IRREGULAR = {
    "is": "ben",
    "zijn": "ben",
    "bent": "ben",
    "heeft": "heb",
    "hebben": "heb",
    "hebt": "heb",
    "zullen": "zal",
    "kunnen": "kan",
    "willen": "wil",
    "wilt": "wil",
    "zouden": "zou",
    "mogen": "mag",
    "wordt": "word",
    "worden": "word",
    "gaat": "ga",
    "gaan": "ga",
    "staat": "sta",
    "staan": "sta",
    "doet": "doe",
    "doen": "doe",
    "ziet": "zie",
    "zien": "zie",
    "slaat": "sla",
    "slaan": "sla",
    "moeten": "moet",
    "komen": "kom",
    "waren": "was",
    "hadden": "had",
}
_VOWELS = frozenset("aeiouy")


def first_singular(word: str) -> str:
    """The first person singular of a present-tense verb form: ``adviseert``/``adviseren`` ->
    ``adviseer``, ``vragen`` -> ``vraag``, ``pleit`` -> ``pleit``; other words unchanged."""
    w = word
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) >= 5 and w.endswith("en") and w[-3] not in _VOWELS:
        s = w[:-2]
        if len(s) >= 2 and s[-1] == s[-2] and s[-1] not in _VOWELS:
            s = s[:-1]  # stellen -> stel
        elif len(s) >= 3 and s[-2] in "aeou" and s[-3] not in _VOWELS and s[-1] not in _VOWELS:
            s = s[:-1] + s[-2] + s[-1]  # vragen -> vraag, adviseren -> adviseer
        if s.endswith("z"):
            s = s[:-1] + "s"
        elif s.endswith("v"):
            s = s[:-1] + "f"
        return s
    if len(w) >= 4 and w.endswith("t") and w[-2] not in _VOWELS and not w.endswith("cht"):
        return w[:-1]  # adviseert -> adviseer, vraagt -> vraag, raadt -> raad
    return w


def _author_at(toks: Sequence[str], i: int, author: Author) -> int:
    """How many tokens from ``i`` name the author (a determiner included), or 0."""
    det = 1 if toks[i] in _DETERMINERS else 0
    for name in author.names:
        parts = name.split()
        n = len(parts)
        if toks[i + det : i + det + n] == parts:
            return det + n
    if det and i + 1 < len(toks) and toks[i + 1] in author.nouns:
        nxt = toks[i + 2] if i + 2 < len(toks) else ""
        if nxt not in _OTHER_BODY:
            return 2
    return 0


def to_first_person(f: str, author: Author = FIRST_PERSON_ONLY, *, pronoun: bool = False) -> str:
    """The folded sentence ``f`` with its author as ``ik``: ``wij adviseren u`` -> ``ik adviseer
    u``, ``daarnaast adviseert de raad`` -> ``daarnaast adviseer ik``, ``het onderzoek van de
    raad`` -> ``het onderzoek van mij``. With ``pronoun``, a ``hij``/``zij`` that opens the
    sentence is the author too (the sentence before named it)."""
    return _to_first_person(f, author, pronoun)[0]


def _to_first_person(f: str, author: Author, pronoun: bool) -> tuple[str, bool]:
    toks = f.split()
    out: list[str] = []
    subjects: list[int] = []
    third = False
    i = 0
    while i < len(toks):
        n = _author_at(toks, i, author) if author else 0
        w = toks[i]
        if not n and pronoun and i < 4 and w in {"hij", "zij", "ze"} and not third:
            n = 1
        if n:
            prev = out[-1] if out else ""
            if prev in _PREPOSITIONS or prev in _OBJECT_BEFORE:
                out.append("mij")
            else:
                out.append("ik")
                subjects.append(len(out) - 1)
            third = True
            i += n
            continue
        if w in {"wij", "we"}:
            out.append("ik")
            subjects.append(len(out) - 1)
        elif w == "ons":
            out.append("mij")
        elif w == "onze":
            out.append("mijn")
        else:
            out.append(w)
        i += 1
    for p in subjects:
        for q in (p - 1, p + 1):
            if 0 <= q < len(out) and out[q] not in {"ik", "mij"}:
                out[q] = first_singular(out[q])
    if third:
        out = ["mij" if w == "zich" else w for w in out]
    return " ".join(out), third


# --------------------------------------------------------------------------- not recommendations

# Closing formulas, offers and thanks: never a recommendation, whatever else they contain.
_CLOSING = _rx(
    r"\b(?:graag|gaarne|altijd|gaarne|zeer|vanzelfsprekend) (?:\w+ ){0,4}?bereid\b",
    r"\bbereid (?:\w+ ){0,6}?(?:toelichting|toe te lichten|te informeren|nader)",
    r"\b(?:toelichting|informeren) (?:\w+ ){0,8}?bereid\b",
    r"\bdaar (?:\w+ ){0,3}?toe bereid\b",
    r"\bkijk (?:ik )?(?:\w+ ){0,2}?uit naar (?:uw|jullie|een) (?:reactie|antwoord)",
    r"\bverneem (?:ik )?(?:\w+ ){0,2}?graag (?:uw|jullie)",
    r"\bwens (?:ik )?u (?:\w+ ){0,3}?(?:succes|sterkte|wijsheid)",
    r"\bafschrift van (?:deze|dit|mijn) (?:brief|advies)",
    r"\b(?:zend|zond|stuur|stuurde) ik (?:\w+ ){0,4}?(?:afschrift|kopie)",
    r"\bik dank u\b|\bdank ik u\b|\bmijn dank gaat\b",
    r"\bmet (?:vriendelijke|hartelijke|collegiale) groet",
    r"\bhoogachtend\b",
    r"\bdesgewenst\b",
    r"\bzal (?:\w+ ){0,4}?adviseren\b",
    r"\blicht (?:ik )?(?:\w+ ){0,4}?graag (?:\w+ ){0,8}?toe\b",
)

# Words after which a modal belongs to a relative or indirect clause that describes, not asks:
# "maatregelen die moeten leiden tot", "de vraag of zij ... moeten worden beschouwd".
_RELATIVE = frozenset({"die", "welke", "waarin", "waarop", "waarmee", "waardoor", "wat"})
_RELATIVE_FAR = frozenset({"welke", "waarin", "waarop", "waarmee", "waardoor"})
_MODAL = re.compile(r"\b(?P<m>moet|moeten|dient|dienen|behoort|behoren)\b")
_PAST_OR_COUNTERFACTUAL = re.compile(
    r"\b(?:moest|moesten|diende|dienden|hadden moeten|had moeten|had \w+ moeten"
    r"|hadden \w+ moeten)\b"
)
# A modal reported from someone else: "volgens de nota moet", "artikel 7 bepaalt ... moet".
_REPORTED = re.compile(
    r"\bvolgens (?!mij\b|mijn\b)|\bbepaalt\b|\bbepalen\b|\bschrijft (?:\w+ )?voor\b|"
    r"\bschrijven (?:\w+ )?voor\b|\bstelt u\b|\bschrijft u\b|\bmeent u\b|\bvindt u\b|"
    r"\bvinden (?:de|zij|ze)\b|\bwordt gesteld\b|\bstaat vermeld\b|\bwordt voorgesteld\b|"
    r"\bstel (?:ik )?vast\b|\bconstateer\w*\b|\blaten weten dat\b|\bmet ingang van\b|"
    r"\b(?:geregeld|regelt|regelen) (?:\w+ ){0,3}?dat\b|"
    r"\b(?:is|zijn|werd|werden) (?:\w+ ){0,3}?(?:afgesproken|overeengekomen|vastgelegd|bepaald|"
    r"besloten|toegezegd|opgenomen) dat\b"
)

# --------------------------------------------------------------------------- the rules, by kind

_REQUEST = _rx(
    rf"\bik (?:\w+ ){{0,3}}?{_NOT_NOUN}verzoek\b",
    r"\bverzoek ik\b",
    r"\b(?:ik|wil ik|zou ik) (?:\w+ ){0,5}?verzoeken\b",
    r"\b(?:ik doe|doe ik) (?:\w+ ){0,5}?beroep op (?:u|jullie)\b",
    r"\broep (?:ik )?(?:\w+ ){0,2}?(?:u|uw)\b(?: \w+){0,10}? op\b",
    r"\b(?:ik vraag|vraag ik) (?!me af\b|mij af\b)(?:\w+ ){0,3}?"
    r"(?:u|uw|de|het|hierbij|daarom|nogmaals|graag|alle|aandacht|om)\b",
    rf"\b(?:ik|wil ik|zou ik) (?:\w+ ){{0,4}}?(?:aandacht )?(?:\w+ )?{_NOT_NOUN}vragen\b",
    r"\baandacht (?:te )?vragen voor\b",
    r"\b(?:geef ik|ik geef) (?:u )?(?:\w+ ){0,3}?in overweging\b",
    r"\bik hoop (?:\w+ ){0,2}?dat (?!bovenstaande)(?:u|uw|de|het|deze|dit|dat|er|alle|jullie)\b",
    r"\bhoop (?:ik )?op (?:\w+ ){0,2}?steun\b",
    r"\bspreek (?:ik )?(?:\w+ ){0,2}?de hoop uit\b",
    # the passive: "verzocht wordt", "u wordt verzocht", "wordt u gevraagd"
    r"^(?:\w+ ){0,3}?(?:verzocht|gevraagd) (?:wordt|worden)\b",
    r"\b(?:u wordt|wordt u) (?:\w+ ){0,3}?(?:verzocht|gevraagd)\b",
)

_ADVICE = _rx(
    r"\bik beveel\b|\bik beval\b|\bbeval ik\b",
    r"\bbeveel (?:ik )?(?:\w+ ){0,12}?aan\b(?=.*\bik\b)|\bbeveel ik\b",
    r"\b(?:ik|heb ik) (?:\w+ ){0,12}?aanbevolen\b",
    r"\b(?:ik|heb ik) (?:\w+ ){0,8}?aanbeveling(?:en)? (?:\w+ ){0,2}?(?:deed|gedaan|doe)"
    r" (?:om|dat|tot|te)\b",
    r"\baanbeveling (?:\w+ ){0,3}?kracht bij (?:te )?zetten\b",
    r"\bik adviseer\b|\badviseer ik\b",
    r"\b(?:ik|wil ik|zou ik) (?:\w+ ){0,4}?adviseren\b",
    r"\b(?:ik|heb ik) (?:\w+ ){0,6}?geadviseerd\b",
    r"\b(?:ik raad|raad ik) (?:\w+ ){0,8}?(?:aan|af)\b",
    r"\b(?:ik stel|stel ik) (?:u )?(?:\w+ ){0,2}?voor\b",
    r"\bverdient (?:het )?(?:\w+ ){0,2}?aanbeveling\b",
    r"\baan te bevelen\b",
    r"\b(?:ik zou|zou ik) (?:\w+ ){0,3}?graag (?:\w+ ){0,2}?zien\b",
    r"\b(?:zie ik|ik zie) (?:\w+ ){0,6}?graag\b",
    r"\bkan (?:ik )?(?:mij|me) (?:\w+ ){0,3}?voorstellen dat\b",
    r"\b(?:ik meen|meen ik) (?:\w+ ){0,3}?dat (?:\w+ ){0,20}?(?:kan|kunnen|moet|moeten|zou)\b",
    # the passive: "geadviseerd wordt", "er wordt aanbevolen", "voorgesteld wordt"
    r"^(?:\w+ ){0,3}?(?:geadviseerd|aanbevolen|aangeraden|voorgesteld) (?:wordt|worden)\b",
    r"\b(?:wordt|worden) (?:\w+ ){0,3}?(?:geadviseerd|aanbevolen|aangeraden)\b",
)

# Hedged advice: weaker than an explicit "ik pleit", so tried after the pleas.
_ADVICE_HEDGED = _rx(
    r"\bwenselijk\b",
    r"\braadzaam\b",
    r"(?<!on)\bgewenst\b",
    r"\bzou(?:den)? (?:\w+ ){0,12}?moeten\b",
    r"\bzou(?:den)? (?:\w+ ){0,8}?niet (?:\w+ ){0,8}?mogen\b",
    r"\bhet zou (?:\w+ ){0,3}?(?:waardevol|goed|verstandig|nuttig|zinvol) zijn\b",
)

_PLEA = _rx(
    r"\bpleit (?:ik|er)\b",
    r"\bik pleit\b",
    r"\b(?:ik|wil ik|zou ik) (?:\w+ ){0,7}?pleiten\b",
    r"\bop het standpunt (?:\w+ ){0,2}?dat\b",
    r"\b(?:ik blijf|blijf ik|ik benadruk|benadruk ik) (?:\w+ ){0,6}?(?:benadrukken|belang)\b",
    r"\b(?:ik onderschrijf|onderschrijf ik|ik ondersteun|ondersteun ik|ik steun|steun ik)\b"
    r" (?:\w+ ){0,8}?(?:aanbeveling|aanbevelingen|advies|adviezen|pleidooi)\b",
    r"\bwil ik u (?:\w+ ){0,4}?wijzen op\b|\bik wil u (?:\w+ ){0,4}?wijzen op\b",
    # an appeal to others than the addressee ("ik roep inleners op"): to the addressee it is
    # a request (above)
    r"\broep (?:ik )?(?:\w+ ){0,12}?op\b|\bik roep\b",
    # likewise an appeal made to others ("ik doe een beroep op werkgevers")
    r"\b(?:ik doe|doe ik) (?:\w+ ){0,5}?beroep op\b",
)

_CONCERN = _rx(
    r"\bzorgelijk(?:e|er)?\b|\bzorgwekkend\b|\bverontrustend\b|\balarmerend\b",
    r"\bben (?:ik )?(?:er )?(?:\w+ )?niet gerust op\b|\bongerust\b",
    r"\b(?:maak|maken) (?:ik )?(?:mij|me|wij|ons) (?:\w+ ){0,3}?zorgen\b",
    r"\bbaart (?:\w+ ){0,3}?zorg(?:en)?\b",
    r"\b(?:zie|kijk) (?:ik )?(?:\w+ ){0,3}?met (?:grote |enige |toenemende )?zorg\b",
    r"\b(?:aanleiding tot|bestaat er|uit mijn|mijn|hun|onze) (?:\w+ )?zorg(?:en)?\b"
    r"(?! voor| aan| te| op| bij| die| in de| van)",
    # not a noun among others' matters: "door complexe scheidingen en zorgen over uitbuiting"
    r"(?<!\ben )(?<!\bdoor )(?<!\bvan )(?<!\bmet )(?<!\bhun )(?<!\bhaar )\bzorg(?:en)? over\b",
    r"\bzorgpunt(?:en)?\b|\b(?:\w+ )?aandachtspunt(?:en)? (?:is|zijn|blijft|blijven) dat\b",
    r"\bbezorgd(?:heid)?\b",
    r"\bbetreur\w*\b|\bspijtig\b|\bjammer\b",
    r"\b(?:ik vrees|vrees ik|ben (?:ik )?bang dat)\b",
    r"\b(?:ik waarschuw|waarschuw ik)\b",
    # an objection the author holds, not one filed by others or ruled on ("bezwaren zijn
    # ingediend", "bezwaar aantekenen"), nor its absence ("geen bezwaar")
    r"(?<!\bgeen )\bbezwa(?:ar|ren)\b(?! tegen maken)(?! (?:\w+ ){0,2}?(?:ingediend|indienen|"
    r"aangetekend|aantekenen|ingesteld|gegrond|ongegrond|gemaakt))",
    r"\bonwenselijk\w*\b|\bongewenst\b|\bonaanvaardbaar\b|\bonacceptabel\b",
    r"\b(?:bestaat|ontstaat|is) (?:er )?(?:\w+ ){0,3}?risico\b|\brisico bestaat\b",
    r"\bin gevaar\b|\bonder druk\b",
    r"\bschiet (?:\w+ ){0,4}?tekort\b|\btekort schiet\b|\btekortschiet\b",
    r"\been (?:groot )?gemis\b|\bik mis\b|\bcontraproductief\b",
    r"\bontbreekt\b",
    r"\b(?:nog|vooralsnog|altijd) (?:\w+ ){0,2}?(?:onduidelijk|onbekend)\b",
    r"\bniet duidelijk\b",
    r"\bte (?:minimaal|weinig|beperkt|vaak|traag|gering)\b",
    r"\b(?:vraag|vroeg) (?:ik )?(?:me|mij) af\b",
    r"\b(?:niet|onvoldoende) (?:\w+ ){0,2}?(?:gewaarborgd|geborgd)\b",
    # what falls short or harms, said by the author (general evaluative Dutch)
    r"\b(?:zal|zullen|kan|kunnen|zou|zouden|dreigt|dreigen) (?:\w+ ){0,14}?(?:bemoeilijken|"
    r"belemmeren|ondermijnen|verzwakken|schaden|frustreren|verslechteren|doorkruisen|"
    r"compliceren|uithollen)\b",
    r"\bdreig(?:t|en) (?:\w+ ){0,6}?te (?:verdwijnen|verliezen|ontstaan|worden|raken|vallen)\b",
    r"\bnodeloos\b|\bin de kinderschoenen\b",
    r"\bnog (?:altijd |steeds )?(?:geen|niet) (?:\w+ ){0,2}?(?:vanzelfsprekend\w*|gewaarborgd|"
    r"geregeld|geborgd|op orde|voldoende|beschikbaar)\b",
    r"\bniet (?:goed |voldoende )?(?:aansluit|aansluiten)\b|"
    r"\b(?:sluit|sluiten) (?:\w+ ){0,6}?niet (?:goed |voldoende )?aan\b",
    r"\b(?:is|zijn|wordt|worden|blijft|blijven) (?:\w+ ){0,3}?onvoldoende\b",
    r"\bonvoldoende (?:\w+ ){0,2}?(?:gewaarborgd|geborgd|geregeld|beschikbaar|bekend|zicht|"
    r"aandacht|capaciteit|middelen)\b",
    r"\bproblematisch\b|\bkwalijk\b|\bteleurstellend\b|\bonrustbarend\b",
    r"\bonuitvoerbaar\b|\bonwerkbaar\b|\bonevenredig\b|\bdisproportioneel\b",
    r"\bgaa?t (?:\w+ ){0,4}?voorbij aan\b|\bvoorbijgaa?t aan\b",
    r"\b(?:geen|onvoldoende|nauwelijks|weinig) (?:\w+ )?(?:zicht|inzicht) (?:op|in)\b",
    r"\b(?:blijft|blijven) (?:\w+ ){0,3}?achter\b|\bachterblijv\w*\b",
)

_REQUIREMENT = _rx(
    r"\b(?:is|zijn|acht|vind|vindt) (?:\w+ ){0,12}?van (?:\w+ )?belang\b",
    r"\bvan (?:\w+ )?belang (?:is|zijn|blijft|blijven)\b",
    r"\bvan (?:groot|cruciaal|evident|essentieel|wezenlijk|bijzonder|het grootste|eminent)"
    r" belang\b",
    r"\bbelangrijk (?:dat|om)\b",
    r"\bnoodzakelijk\w*\b|\bnoodzaak\b|\bonontbeerlijk\b|\bessentieel\b|\bcruciaal\b|\bonmisbaar\b",
    r"(?<!zo )(?<!indien )(?<!waar )(?<!de )(?<!het )(?<!als )(?<!dan )\bnodig\b"
    r"(?! heeft| hebben| had| hadden)",
    r"\b(?:hoort|horen|behoort|behoren) (?:\w+ ){0,8}?thuis\b|\bthuishoort\b|\bthuishoren\b",
    r"\b(?:hoort|horen) (?:niet |ook |wel )?(?:in|op|bij)\b",
    r"\bhoren (?:\w+ ){0,3}?(?:duidelijke|goede|heldere)\b",
    r"\bverdien(?:t|en) (?!geld)(?:\w+ ){0,6}?(?:aandacht|verduidelijking|heroverweging|prioriteit"
    r"|beantwoording|de voorkeur|navolging|steun|bescherming|hulp|\w+ing)\b",
    r"\b(?:vereist|vereisen)\b|\b(?:vergt|vergen) (?!veel\b|tijd\b|weinig\b)",
    r"\b(?:mag|mogen) (?:\w+ ){0,3}?niet\b",
    r"\b(?:vraagt|vragen) (?!u\b)(?:\w+ ){0,4}?om (?!advies)",
    r"\bprioriteit (?:\w+ ){0,2}?(?:hebben|krijgen|geven|houden)\b",
    r"\b(?:kan|kunnen) (?:\w+ ){0,2}?niet zonder\b",
    r"\b(?:past|paste) het (?:\w+ ){0,2}?dat\b|\bhet past (?:\w+ ){0,2}?dat\b",
    r"\b(?:ik verwacht|verwacht ik) (?:\w+ ){0,3}?van (?:\w+ ){1,6}?dat\b",
    # "van de organisaties verwacht de inspectie dat ...": the expectation's subject after it
    r"^(?:\w+ ){0,3}?van (?:\w+ ){1,12}?verwacht ik (?:\w+ ){0,2}?dat\b",
    # "wij gaan ervan uit dat u ...", "ik reken erop dat u ...": what the author counts on
    r"\b(?:ik ga|ga ik) (?:\w+ ){0,2}?ervan uit dat (?:u|uw|de|het|zij|jullie)\b",
    r"\b(?:ik reken|reken ik) (?:\w+ ){0,2}?erop dat\b",
    r"\b(?:is|bestaat) (?:er )?(?:\w+ ){0,2}?behoefte aan\b|\bbehoefte (?:is|bestaat) aan\b",
    # "daarnaast verwacht de inspectie dat ...": an expectation of what others do (a forecast
    # is told apart below, see _FORECAST)
    r"\b(?:ik verwacht|verwacht ik) (?:daarnaast |ook |voorts |bovendien |verder )?dat\b",
    # "van X mag worden verwacht dat ...": what X may be expected to do is what X should do
    r"\b(?:mag|mogen) (?:\w+ ){0,3}?(?:worden|word) verwacht dat\b"
    r"|\b(?:mag|mogen) (?:\w+ ){0,3}?verwacht (?:worden|word) dat\b",
)

_ORDERED: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("request", _REQUEST),
    ("advice", _ADVICE),
    ("plea", _PLEA),
    ("advice", _ADVICE_HEDGED),
    ("concern", _CONCERN),
    ("requirement", _REQUIREMENT),
)

_MIN_WORDS = 3
_SUBORDINATORS = frozenset(
    """
    die welke waarin waarbij waarop waarmee waardoor omdat doordat zodat terwijl aangezien
    nadat voordat
    """.split()
)
# Others' views, reported: "hulpverleners melden dat ...", "zij vinden ...", "medewerkers gaven
# aan dat ...". The author's own verbs were read as "ik ..." already, so these forms are others'.
_REPORTED_CLAUSE = re.compile(
    r"^(?:\w+ ){0,5}?(?<!ik )(?:vinden|vindt|zeggen|zegt|zeiden|melden|meldt|meldden|"
    r"(?:geven|geeft|gaven|gaf) (?:\w+ ){0,3}?aan|vertellen|vertelt|vertelden|merken|merkt|"
    r"verklaren|verklaart|ervaren|ervaart|ervoeren|noemen|noemt|menen|meent|stellen dat|"
    r"stelt dat|schrijven dat|schrijft dat|wijzen erop|wijst erop|voelen zich|voelt zich)\b"
    # the past: what another body said then ("de Onderwijsraad wees er in 2021 al op dat ...")
    r"|(?<!\bik )\b(?:wees|wezen) (?:\w+ ){0,4}?op dat\b"
    r"|(?<!\bik )\b(?:stelde|stelden|schreef|schreven|concludeerde|concludeerden|oordeelde|"
    r"oordeelden) (?:\w+ ){0,4}?dat\b"
)
# The author's own request or advice of an earlier date, told in the past tense ("in 2022 vroeg
# de vereniging uw ambtsvoorganger al om ..."): what was asked then, not what is asked now.
_OWN_PAST = re.compile(
    r"\b(?:vroeg|verzocht|adviseerde|pleitte|drong) ik\b|\bik (?:vroeg|verzocht|adviseerde|"
    r"pleitte|drong)\b"
)
# Endorsing the aim of a proposal ("de Raad onderschrijft het doel van het wetsvoorstel: ...")
# restates the proposal; it asks nothing.
_ENDORSES_AIM = re.compile(
    r"^(?:\w+ ){0,3}?ik (?:\w+ ){0,2}?(?:onderschrijf|steun|deel) (?:\w+ ){0,3}?"
    r"(?:doel|doelen|doelstelling|doelstellingen|uitgangspunt|uitgangspunten|strekking|"
    r"intentie|ambitie)\b"
)
# Doubt is a concern even when it names a desirable thing: "ik vraag me af of dit wenselijk is".
_DOUBT = re.compile(r"\b(?:vraag|vroeg) (?:ik )?(?:me|mij) (?:\w+ ){0,2}?af\b|\bik betwijfel\b")
# A normative word inside the name of a programme or campaign is a name, not a statement.
_NAMED = re.compile(r"\b(?:programma|actieplan|campagne|project)(?: \w+){1,2}$")
# "welk probleem deze maatregel zou moeten oplossen": an indirect question, not advice.
_INDIRECT = re.compile(r"\b(?:of|welk|welke|wat|hoe|wie|waarom|hetgeen|wanneer)\b(?: \w+){0,8}$")


# A question: "Bent u bekend met ...", "Deelt u de mening dat ... moet", "Hoeveel meldingen ...",
# also without its question mark (damaged text), optionally after "vraag 3" / "vraag".
_INTERROGATIVE = re.compile(
    r"^(?:vraag (?:\w+ )?)?(?:bent|kunt|wilt|zult|zou|heeft|hebt|deelt|kent|erkent|herkent|"
    r"onderschrijft|vindt|acht|weet|gaat|overweegt|steunt|klopt) (?:u|het|er)\b"
)
# ... or opening with a question word: a question when it ends with "?", or with no full stop
# at all (the damage turned the "?" into a space).
_WH = re.compile(
    r"^(?:vraag (?:\w+ )?)?(?:hoeveel|waarom|hoe|welke|welk|wanneer|wie|in hoeverre|"
    r"op welke|wat(?! (?:\w+ ){0,3}?betreft\b))\b"
)
# A performative in the past: "heb(ben) ... geadviseerd / aanbevolen / bepleit / verzocht".
_PAST_PERFORMATIVE = re.compile(
    r"\b(?:geadviseerd|aanbevolen|bepleit|gepleit|verzocht|gevraagd|aangeraden)\b"
)
# ... dated, so it tells what happened then: a year (or the gap a deleted year leaves in
# damaged text: "in zijn advies van heeft"), a month, "destijds".
_HISTORY = re.compile(
    r"\b(?:19|20)\d\d\b|\b(?:in|van|sinds) (?:heb|heeft|hebben|ben|is|werd|over|al)\b|"
    r"\b(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
    r"december|vorig jaar|vorige maand)\b"
)
_PASSIVE = re.compile(r"\b(?:wordt|worden)\b")
# A passive performative whose agent or source is named is someone else's: "in het
# wetsvoorstel wordt aanbevolen", "door de gemeenten wordt gevraagd".
_PASSIVE_ELSEWHERE = re.compile(
    r"\bdoor (?:de|het|een|deze|die|alle) \w+|\b(?:in|volgens|uit) (?:het|de|dit|deze|die|een|"
    r"zijn|haar|hun) (?:\w+ ){0,2}?(?:rapport|advies|adviezen|brief|motie|wetsvoorstel|"
    r"voorstel|nota|evaluatie|onderzoek|rapportage|richtlijn|verdrag|memorie|toelichting|"
    r"conclusie|artikel|besluit|regeling|plan|programma|actieplan|literatuur|monitor|"
    r"reactie|consultatie)\w*\b"
)


def is_closing_formula(text: str) -> bool:
    """A closing formula, offer, thanks or copy notice (never a recommendation)."""
    return bool(_CLOSING.search(fold(text)))


def _modal_requirement(f: str) -> str | None:
    """The first modal used normatively in the folded sentence ``f``, else None."""
    if _REPORTED.search(f):
        # "volgens ... moet": reported; but a later "ik ... moet" is still the author's.
        return None
    subclause = False
    for m in _MODAL.finditer(f):
        modal = m["m"]
        before = f[: m.start()].split()
        after = f[m.end() :].split()
        if (before and before[-1] in _RELATIVE) or _RELATIVE_FAR & set(before[-8:]):
            continue  # "die moeten leiden tot", "waarin die aanpak plaats moet vinden": describes
        if before and before[-1] == "te":
            continue  # "zonder ... te moeten": an infinitive
        if before and before[-1] in {"of", "hoe", "wie", "welke", "wanneer"}:
            continue  # indirect question
        if modal in {"dient", "dienen"} and after[:1] and after[0] in {"als", "ter", "tot"}:
            continue  # "dienen als pilots": serve as
        if modal in {"dient", "dienen", "behoort", "behoren"} and "te" not in after[:24]:
            continue  # "dient" without "te" is "serves"; "behoort tot" is "belongs to"
        final = _verb_final_subclause(before, after)
        if final or (subclause and _clause_tail(after) <= 3 and "en" in before[-8:]):
            subclause = True
            continue  # "een wet die ... moet opleveren", "omdat de aanvraag ... moet worden"
        window = before[-6:]
        if "of" in window and any(w in before[-12:] for w in ("vraag", "bezien", "nagaan")):
            continue
        return m.group(0)
    return None


def _clause_tail(after: list[str]) -> int:
    """How many words follow a modal before its clause ends (``en``, ``of``, the end)."""
    n = 0
    for w in after:
        if w in {"en", "of", "maar", "zodat", "waardoor"}:
            break
        n += 1
    return n


def _verb_final_subclause(before: list[str], after: list[str]) -> bool:
    """The modal closes a relative or adverbial clause: a relative pronoun or a causal
    conjunction in the twelve words before it, no finite verb between, and at most three words
    after it before the clause ends."""
    if _clause_tail(after) > 3:
        return False
    for w in reversed(before[-12:]):
        if w in _SUBORDINATORS:
            return True
        if w in FINITE_VERBS or w == "ik":
            return False
    return False


def classify(text: str, author: Author = FIRST_PERSON_ONLY, *, pronoun: bool = False) -> Cue | None:
    """The kind and cue of a recommendation-like sentence, or None.

    ``author`` says how the document names its author besides ``ik`` and ``wij`` (see
    :func:`author_of`); with ``pronoun``, an opening ``hij``/``zij`` is the author (the sentence
    before named it). Works on any form of the sentence: clean, damaged (lowercase, no
    punctuation) or folded.
    """
    return _classify(text, author, pronoun)[0]


def classify_all(
    texts: Iterable[str],
    author: Author = FIRST_PERSON_ONLY,
    headings: Iterable[str | None] | None = None,
) -> list[Cue | None]:
    """:func:`classify` for the sentences of one document, in order.

    A sentence that opens with ``hij`` or ``zij`` after one in which the author spoke of itself
    in the third person ("De Raad is bezorgd ... Hij verzoekt u ...") is the author's too. With
    ``headings`` (each sentence's section heading), the sentences under a question heading
    (``Vraag 3``, ``Vragen``: the questions of a member of parliament in an answers document)
    are never the author's recommendations.
    """
    texts = list(texts)
    heads = list(headings) if headings is not None else [None] * len(texts)
    out: list[Cue | None] = []
    named = False
    for text, heading in zip(texts, heads, strict=False):
        if heading and is_question_heading(heading):
            out.append(None)
            named = False
            continue
        cue, named = _classify(text, author, named and bool(author))
        out.append(cue)
    return out


_QUESTION_HEADING = re.compile(r"^(?:vraag|vragen)\b(?!.*\bantwoord)")


def is_question_heading(heading: str) -> bool:
    """``Vraag 1``, ``Vraag 3, 4 en 5``, ``Vragen``: a heading over questions, not answers."""
    return bool(_QUESTION_HEADING.search(fold(heading)))


def _classify(text: str, author: Author, pronoun: bool) -> tuple[Cue | None, bool]:
    raw = fold(text)
    if len(raw.split()) < _MIN_WORDS:
        return None, False
    f, third = _to_first_person(raw, author, pronoun)
    return _classify_first_person(text, f), third


# Someone else's worry: "had de jeugdzorgaanbieder zorgen over ..." (the author's own became
# "ik heb zorgen").
_OTHERS_CONCERN = re.compile(r"\b(?:had|hadden|heeft|hebben) (?!ik\b)(?:\w+ ){0,4}?zorgen\b")
# An announcement of what the author will ask: "... laten wij u weten wat wij van u vragen".
_ANNOUNCED = re.compile(
    r"\b(?:wat|waarom|hoe|welke|waarover|waarvoor) ik (?:\w+ ){0,4}?(?:vraag|vragen|verzoek|"
    r"verzoeken|adviseer|adviseren|voorstel|beveel (?:\w+ )?aan)\b"
)
# A modal with an adverb of frequency describes what happens: "moeten kinderen soms twee uur
# reizen", "moet de politie vaak lang wachten"; so does one said of most or some places ("in de
# meeste gemeenten moet een sekswerker een vergunning hebben").
_MODAL_DESCRIBES = re.compile(
    r"\b(?:moet|moeten|mag|mogen) (?:\w+ ){0,4}?(?:soms|vaak|regelmatig|dikwijls|telkens|"
    r"geregeld|steeds vaker|meestal|nu eenmaal)\b"
    r"|^(?:\w+ ){0,2}?in (?:de meeste|veel|sommige|enkele|bijna alle) \w+ (?:moet|moeten)\b"
)
# A rule in force or a legal deadline, not the author's demand: a modal dated by when it applies
# ("sinds 1 januari 2024 moet ...", "moeten vanaf 1 augustus 2025 ...", "moet uiterlijk in juli
# 2026 zijn omgezet") or bound to a purpose ("om een toelating te krijgen, moet ...").
_IN_FORCE = re.compile(
    r"\b(?:sinds|vanaf|per|uiterlijk(?: in| op| per)?) (?:\d{1,2} )?(?:"
    + MONTH_RE
    + r")(?: (?:19|20)\d\d)?\b"
    r"|\b(?:sinds|vanaf|uiterlijk in) (?:19|20)\d\d\b"
    r"|^om (?:\w+ ){1,6}?te \w+ (?:moet|moeten)\b"
)
# "wij vragen uw aandacht voor drie punten": the letter announcing its own points, not a request.
_ANNOUNCES_POINTS = re.compile(
    r"\baandacht (?:\w+ ){0,2}?voor (?:de volgende |een aantal |enkele |twee |drie |vier |vijf )"
    r"(?:\w+ )?(?:punten|zaken|onderwerpen|knelpunten|kwesties)\s*$"
)
# Words that open a clause which names a need without stating it: "wat daarvoor nodig is",
# "waarom dat noodzakelijk is", "als die noodzakelijk is", "terwijl ... nodig is".
_NEED_IN_CLAUSE = frozenset(
    "wat waarom welke welk hoeveel als indien wanneer of terwijl tenzij voorzover".split()
)
_NEED = re.compile(r"\b(?:nodig|noodzakelijk\w*)\b")


def _stated_need(f: str, m: re.Match[str]) -> bool:
    """The requirement cue ``m`` states what is needed: not negated (``acht ik niet nodig``) and
    not inside a clause that only names a need (``waarom dat noodzakelijk is``)."""
    if not _NEED.fullmatch(m.group(0).strip()):
        return True
    before = f[: m.start()].split()
    if before and before[-1] in {"niet", "geen", "nauwelijks"}:
        return False
    if "geen" in before[-4:] and not FINITE_VERBS & set(before[before.index("geen", -4) :]):
        return False  # "er is geen extra geld nodig": no need
    after = f[m.end() :].split()
    if after[:1] and after[0] in _FINITE_BE and _NEED_IN_CLAUSE & set(before[-12:]):
        return False  # "terwijl voor een ... ongeveer zes nodig is": verb-final, a subclause
    return not _NEED_IN_CLAUSE & set(before[-6:])


_FINITE_BE = frozenset({"is", "zijn", "was", "waren", "blijft", "blijven", "wordt", "worden"})


# "vragen" as a noun: questions received, asked or counted ("krijgen wij steeds vaker vragen").
_QUESTIONS_NOUN = re.compile(
    r"\b(?:krijg|krijgen|kreeg|kregen|ontvang|ontvangen|ontving|ontvingen|beantwoord|"
    r"beantwoorden|beantwoordde|veel|vaker|meer|minder|enkele|diverse|talloze|nieuwe)"
    r"(?: \w+){0,4}? vragen$"
)
# "ik adviseer de gemeenten in de regio over gezondheid": the author's task, not an advice
# (no advice is given: no "te"-infinitive, "dat" or "om" follows).
_ADVISES_ON = re.compile(r"^(?:ik adviseer|adviseer ik)$")
_ADVICE_CONTENT = re.compile(r"\b(?:te|dat|om|aan|af|niet|geen)\b")
# An evaluative word inside an indirect question ("wist niet welke meldingen zorgelijk waren").
_EVALUATIVE = re.compile(r"^(?:zorgelijk\w*|zorgwekkend|verontrustend|alarmerend)$")
_INDIRECT_OPEN = re.compile(r"\w \b(?:welke|welk|of|hoe|wat)\b(?: \w+){1,8}$")


# What a forecast says: "ik verwacht dat het aantal meldingen stijgt", "... zal toenemen".
_FORECAST = re.compile(
    r"\b(?:zal|zullen|zou|zouden|gaat|gaan|komende|toekomst|straks|binnenkort|stijg\w*|"
    r"daal\w*|groei\w*|toeneem\w*|toenemen|neemt|nemen|afneem\w*|afnemen|oploop\w*|"
    r"oplopen|loopt|lopen|verdubbel\w*|halver\w*|meer|minder)\b"
)


def _not_the_cue(kind: str, f: str, m: re.Match[str]) -> bool:
    """The match ``m`` of ``kind`` is a word used otherwise: ``vragen`` as questions received,
    ``adviseert ... over`` as a task, an evaluative word inside an indirect question."""
    cue = m.group(0).strip()
    if kind == "request" and cue.endswith("vragen"):
        return bool(_QUESTIONS_NOUN.search(f[: m.end()]))
    if kind == "advice" and _ADVISES_ON.match(cue):
        rest = f[m.end() :]
        return " over " in f" {rest} " and not _ADVICE_CONTENT.search(rest)
    if (
        kind == "requirement"
        and cue.startswith(("ik verwacht", "verwacht ik"))
        and " van " not in cue
    ):
        return bool(_FORECAST.search(f, m.end()))
    if kind == "concern" and _EVALUATIVE.match(cue):
        # verb-final (``... zorgelijk waren``), not a main clause (``zorgwekkend is dat``)
        after = f[m.end() :].split()
        final = after[:1] and after[0] in _FINITE_BE and after[1:2] not in (["dat"], ["het"])
        return bool(final) and bool(_INDIRECT_OPEN.search(f[: m.start()].rstrip()))
    return False


def _classify_first_person(text: str, f: str) -> Cue | None:
    if _CLOSING.search(f):
        return None
    f = _ANNOUNCED.sub(" ", f)
    end = text.rstrip()[-1:]
    question = end == "?"
    if _INTERROGATIVE.search(f) or ((question or end != ".") and _WH.search(f)):
        return None  # a question (of a member of parliament, in an answers document)
    if _OWN_PAST.search(f) and _HISTORY.search(f):
        return None
    doubt = _DOUBT.search(f)
    if doubt:
        return Cue("concern", doubt.group(0))
    if _ENDORSES_AIM.search(f):
        return None
    reported = bool(_REPORTED_CLAUSE.search(f))
    for kind, pattern in _ORDERED:
        if reported and kind in ("concern", "requirement"):
            continue
        if question and kind == "requirement":
            continue
        m = pattern.search(f)
        while m and (
            _NAMED.search(f[: m.start()].rstrip())
            or (kind == "requirement" and not _stated_need(f, m))
            or _not_the_cue(kind, f, m)
        ):
            m = pattern.search(f, m.end())
        if m:
            cue = m.group(0)
            if kind == "concern" and "zorg" in cue and _OTHERS_CONCERN.search(f):
                continue
            if kind == "request" and _ANNOUNCES_POINTS.search(f):
                continue
            if kind == "requirement" and (_MODAL_DESCRIBES.search(f) or f.startswith("wie ")):
                continue
            if kind == "advice" and _PAST_OR_COUNTERFACTUAL.search(cue):
                continue
            if (
                kind == "advice"
                and "moeten" in cue
                and (_REPORTED.search(f) or _INDIRECT.search(f[: m.start()].rstrip()))
            ):
                continue
            past = _PAST_PERFORMATIVE.search(cue) and not _PASSIVE.search(cue)
            if past and _HISTORY.search(f):
                continue  # "in 2021 heeft de Raad al geadviseerd ...": what was, not what is
            passive = kind in ("advice", "request") and _PASSIVE.search(cue)
            if passive and _PASSIVE_ELSEWHERE.search(f):
                continue  # "in het wetsvoorstel wordt aanbevolen": someone else's
            return Cue(kind, _trim(cue))
    if question:
        return None
    if _PAST_OR_COUNTERFACTUAL.search(f) and not _MODAL.search(_PAST_OR_COUNTERFACTUAL.sub(" ", f)):
        return None
    if reported:
        return None
    modal = _modal_requirement(_PAST_OR_COUNTERFACTUAL.sub(" ", f))
    if modal and (_MODAL_DESCRIBES.search(f) or f.startswith("wie ") or _IN_FORCE.search(f)):
        return None  # what happens, a rule for whoever does something, a rule in force
    if modal:
        return Cue("requirement", modal)
    return None


def _trim(cue: str, limit: int = 60) -> str:
    cue = cue.strip()
    if len(cue) <= limit:
        return cue
    words = cue.split()
    return " ".join([*words[:4], "…", *words[-3:]])


# --------------------------------------------------------------------------- ranking
#
# How strongly a recommendation asks for something, wherever briefbot picks the ones to show
# first (a digest's "needs attention", the recommendation of the day, the /help examples): the
# author's own requests and advice first, worries last. A sentence that leans on the one before
# it ("dit", "daarbij") or is a fragment reads badly on its own, so it comes after one that
# stands alone.

RANK_WEIGHT = {"request": 5.0, "advice": 4.0, "plea": 4.0, "requirement": 3.0, "concern": 1.0}
_LEANS_BACK = frozenset(
    "dit dat deze die daarbij daarom daarnaast daardoor daarmee hierbij hiervoor hierin hiermee "
    "zo ook bovendien tevens verder".split()
)
RANK_MIN_WORDS = 8
RANK_MAX_WORDS = 60


class Citable(Protocol):
    """A cited sentence: its text and where it is."""

    @property
    def text(self) -> str: ...

    @property
    def letter_id(self) -> int: ...

    @property
    def sentence(self) -> int: ...


C = TypeVar("C", bound=Citable)


def strength(kind: str, text: str) -> float:
    """How well a recommendation serves as "what needs attention" on its own (higher first)."""
    words = text.split()
    score = RANK_WEIGHT.get(kind, 2.0)
    if words and words[0].lower().strip(".,;:()") in _LEANS_BACK:
        score -= 1.5
    if len(words) < RANK_MIN_WORDS:
        score -= 2.0
    elif len(words) > RANK_MAX_WORDS:
        score -= 1.0
    return score


def best_first(items: Sequence[tuple[str, C]]) -> list[tuple[str, C]]:
    """``(kind, recommendation)`` pairs, strongest first; among equals the newest letter (the
    highest id), then letter order."""
    return sorted(
        items, key=lambda kc: (-strength(kc[0], kc[1].text), -kc[1].letter_id, kc[1].sentence)
    )
