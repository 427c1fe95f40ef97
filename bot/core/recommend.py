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
from dataclasses import dataclass
from typing import Literal

from bot.core.text import fold

RECOMMEND_VERSION = "1"

Kind = Literal["request", "plea", "advice", "requirement", "concern"]
KINDS: tuple[Kind, ...] = ("request", "advice", "plea", "concern", "requirement")

_W = r"(?:\w+ )"  # one word and its space, for "up to n words" gaps: _W{0,n}?


@dataclass(frozen=True, slots=True)
class Cue:
    kind: Kind
    cue: str  # the phrase that marks it, as found in the folded sentence


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


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
    r"\bstel (?:ik )?vast\b|\bconstateer\w*\b"
)

# --------------------------------------------------------------------------- the rules, by kind

_REQUEST = _rx(
    r"\bik (?:\w+ ){0,3}?verzoek\b",
    r"\bverzoek ik\b",
    r"\b(?:ik|wil ik|zou ik) (?:\w+ ){0,5}?verzoeken\b",
    r"\b(?:ik doe|doe ik) (?:\w+ ){0,5}?beroep op\b",
    r"\b(?:ik )?roep (?:ik )?(?:u|uw|de|het|alle|hen|jullie|iedereen|partijen)\b"
    r"(?: \w+){0,10}? op\b",
    r"\bik roep\b",
    r"\b(?:ik vraag|vraag ik) (?!me af\b|mij af\b)(?:\w+ ){0,3}?"
    r"(?:u|uw|de|het|hierbij|daarom|nogmaals|graag|alle|aandacht|om)\b",
    r"\b(?:ik|wil ik|zou ik) (?:\w+ ){0,4}?(?:aandacht )?(?:\w+ )?vragen\b",
    r"\baandacht (?:te )?vragen voor\b",
    r"\b(?:geef ik|ik geef) (?:u )?(?:\w+ ){0,3}?in overweging\b",
    r"\bik hoop (?:\w+ ){0,2}?dat (?!bovenstaande)(?:u|uw|de|het|deze|dit|dat|er|alle|jullie)\b",
    r"\bhoop (?:ik )?op (?:\w+ ){0,2}?steun\b",
    r"\bspreek (?:ik )?(?:\w+ ){0,2}?de hoop uit\b",
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
)

# Hedged advice: weaker than an explicit "ik pleit", so tried after the pleas.
_ADVICE_HEDGED = _rx(
    r"\bwenselijk\b",
    r"\braadzaam\b",
    r"(?<!on)\bgewenst\b",
    r"\bzou(?:den)? (?:\w+ ){0,12}?moeten\b",
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
)

_CONCERN = _rx(
    r"\bzorgelijk(?:e|er)?\b|\bzorgwekkend\b|\bverontrustend\b|\balarmerend\b",
    r"\b(?:maak|maken) (?:ik )?(?:mij|me|wij|ons) (?:\w+ ){0,3}?zorgen\b",
    r"\bbaart (?:\w+ ){0,3}?zorg(?:en)?\b",
    r"\b(?:aanleiding tot|bestaat er|uit mijn|mijn|hun|onze) (?:\w+ )?zorg(?:en)?\b"
    r"(?! voor| aan| te| op| bij| die| in de| van)",
    r"\bzorg(?:en)? over\b",
    r"\bzorgpunt(?:en)?\b|\b(?:\w+ )?aandachtspunt(?:en)? (?:is|zijn|blijft|blijven) dat\b",
    r"\bbezorgd(?:heid)?\b",
    r"\bbetreur\w*\b|\bspijtig\b|\bjammer\b",
    r"\b(?:ik vrees|vrees ik|ben (?:ik )?bang dat)\b",
    r"\bbezwa(?:ar|ren)\b(?! tegen maken)",
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
)

_REQUIREMENT = _rx(
    r"\b(?:is|zijn|acht|vind|vindt) (?:\w+ ){0,12}?van (?:\w+ )?belang\b",
    r"\bvan (?:\w+ )?belang (?:is|zijn|blijft|blijven)\b",
    r"\bvan (?:groot|cruciaal|evident|essentieel|wezenlijk|bijzonder|het grootste|eminent)"
    r" belang\b",
    r"\bbelangrijk (?:dat|om)\b",
    r"\bnoodzakelijk\w*\b|\bnoodzaak\b|\bonontbeerlijk\b|\bessentieel\b|\bcruciaal\b|\bonmisbaar\b",
    r"(?<!zo )(?<!indien )(?<!waar )(?<!de )(?<!het )(?<!als )\bnodig\b"
    r"(?! heeft| hebben| had| hadden)",
    r"\b(?:hoort|horen|behoort|behoren) (?:\w+ ){0,8}?thuis\b|\bthuishoort\b|\bthuishoren\b",
    r"\b(?:hoort|horen) (?:niet |ook |wel )?(?:in|op|bij)\b",
    r"\bhoren (?:\w+ ){0,3}?(?:duidelijke|goede|heldere)\b",
    r"\bverdien(?:t|en) (?!geld)(?:\w+ ){0,6}?(?:aandacht|verduidelijking|heroverweging|prioriteit"
    r"|beantwoording|de voorkeur|navolging|steun|bescherming|hulp|\w+ing)\b",
    r"\b(?:vergt|vergen|vereist|vereisen)\b",
    r"\b(?:mag|mogen) (?:\w+ ){0,3}?niet\b",
    r"\b(?:vraagt|vragen) (?!u\b)(?:\w+ ){0,4}?om (?!advies)",
    r"\bprioriteit (?:\w+ ){0,2}?(?:hebben|krijgen|geven|houden)\b",
    r"\b(?:kan|kunnen) (?:\w+ ){0,2}?niet zonder\b",
    r"\b(?:past|paste) het (?:\w+ ){0,2}?dat\b|\bhet past (?:\w+ ){0,2}?dat\b",
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
# Doubt is a concern even when it names a desirable thing: "ik vraag me af of dit wenselijk is".
_DOUBT = re.compile(r"\b(?:vraag|vroeg) (?:ik )?(?:me|mij) (?:\w+ ){0,2}?af\b|\bik betwijfel\b")
# A normative word inside the name of a programme or campaign is a name, not a statement.
_NAMED = re.compile(r"\b(?:programma|actieplan|campagne|project)(?: \w+){1,2}$")
# "welk probleem deze maatregel zou moeten oplossen": an indirect question, not advice.
_INDIRECT = re.compile(r"\b(?:of|welk|welke|wat|hoe|wie|waarom|hetgeen|wanneer)\b(?: \w+){0,8}$")


def is_closing_formula(text: str) -> bool:
    """A closing formula, offer, thanks or copy notice (never a recommendation)."""
    return bool(_CLOSING.search(fold(text)))


def _modal_requirement(f: str) -> str | None:
    """The first modal used normatively in the folded sentence ``f``, else None."""
    if _REPORTED.search(f):
        # "volgens ... moet": reported; but a later "ik ... moet" is still the author's.
        return None
    for m in _MODAL.finditer(f):
        modal = m["m"]
        before = f[: m.start()].split()
        after = f[m.end() :].split()
        if (before and before[-1] in _RELATIVE) or _RELATIVE_FAR & set(before[-5:]):
            continue  # "die moeten leiden tot", "waarin die aanpak plaats moet vinden": describes
        if before and before[-1] == "te":
            continue  # "zonder ... te moeten": an infinitive
        if before and before[-1] in {"of", "hoe", "wie", "welke", "wanneer"}:
            continue  # indirect question
        if modal in {"dient", "dienen"} and after[:1] and after[0] in {"als", "ter", "tot"}:
            continue  # "dienen als pilots": serve as
        if modal in {"dient", "dienen", "behoort", "behoren"} and "te" not in after[:24]:
            continue  # "dient" without "te" is "serves"; "behoort tot" is "belongs to"
        window = before[-6:]
        if "of" in window and any(w in before[-12:] for w in ("vraag", "bezien", "nagaan")):
            continue
        return m.group(0)
    return None


def classify(text: str) -> Cue | None:
    """The kind and cue of a recommendation-like sentence, or None.

    Works on any form of the sentence: clean, damaged (lowercase, no punctuation) or folded.
    """
    f = fold(text)
    if len(f.split()) < _MIN_WORDS:
        return None
    if _CLOSING.search(f):
        return None
    question = text.rstrip().endswith("?")
    doubt = _DOUBT.search(f)
    if doubt:
        return Cue("concern", doubt.group(0))
    for kind, pattern in _ORDERED:
        if question and kind == "requirement":
            continue
        m = pattern.search(f)
        while m and _NAMED.search(f[: m.start()].rstrip()):
            m = pattern.search(f, m.end())
        if m:
            if kind == "advice" and _PAST_OR_COUNTERFACTUAL.search(m.group(0)):
                continue
            if (
                kind == "advice"
                and "moeten" in m.group(0)
                and (_REPORTED.search(f) or _INDIRECT.search(f[: m.start()].rstrip()))
            ):
                continue
            return Cue(kind, _trim(m.group(0)))
    if question:
        return None
    if _PAST_OR_COUNTERFACTUAL.search(f) and not _MODAL.search(_PAST_OR_COUNTERFACTUAL.sub(" ", f)):
        return None
    modal = _modal_requirement(_PAST_OR_COUNTERFACTUAL.sub(" ", f))
    if modal:
        return Cue("requirement", modal)
    return None


def _trim(cue: str, limit: int = 60) -> str:
    cue = cue.strip()
    if len(cue) <= limit:
        return cue
    words = cue.split()
    return " ".join([*words[:4], "…", *words[-3:]])
