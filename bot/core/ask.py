"""Answering questions, the pure parts: routing, fusion, relevance and the composed answer.

- :func:`route` labels a question that asks for a summary, recommendations or a quote (Dutch or
  English) and extracts its topic or quoted text; the caller sends it to that service.
- :func:`fuse` merges the BM25 and the dense ranking (weighted reciprocal rank fusion).
- :func:`relevance` turns a passage's evidence (cosine similarity, share of the question's
  terms it matches) into a calibrated 0-1 score; below :data:`FOUND_AT` nothing is an answer.
- :func:`compose` writes the short answer: the best passages, in reading order, with citations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.text import fold

Route = Literal["summary", "recommendations", "quote"]

MAX_QUESTION_CHARS = 1000


# Words that frame a question rather than say what it is about; dropped before BM25 (the
# embeddings see the whole question). Folded forms.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


QUESTION_FILLER = _words(
    """
    wat welke welk wie wiens waar waarom wanneer hoe hoeveel hoezeer
    zegt zeggen zei gezegd vindt vinden vond schrijft schrijven schreef staat stond stelt
    noemt meldt vermeldt beschrijft brief brieven document documenten stuk
    volgens graag geef vertel uitleg leg uit weet iemand
    what which who whom whose where why when how much many does do did say says said about
    is are was were the a an of to in on for and or it its this that there letter letters
    document documents tell me please explain according
    """
)


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True, slots=True)
class Routing:
    route: Route | None
    arg: str | None = None


_QUOTES = (
    r"\"([^\"]{3,})\"",
    r"“([^”]{3,})”",
    r"„([^”“\"]{3,})[”“\"]",
    r"«([^»]{3,})»",
    r"‘([^’]{3,})’",
    r"‚([^‘’]{3,})[‘’]",
    r"(?<![a-z])'([^']{3,})'(?![a-z])",
)
_QUOTE_CUE = re.compile(
    r"\b(?:citaat|citaten|citeer|citeren|quote|quotes|quoted|letterlijk|verbatim"
    r"|waar\s+staat|waar\s+stond|in\s+welke\s+brief\s+staat|welke\s+brief\s+zegt"
    r"|where\s+does\s+it\s+say|where\s+is\s+it\s+written|which\s+letter\s+says"
    r"|who\s+(?:said|wrote))\b",
    re.IGNORECASE,
)
_QUOTE_THAT = re.compile(
    r"\b(?:waar\s+staat|waar\s+stond|in\s+welke\s+brief\s+staat|welke\s+brief\s+zegt"
    r"|where\s+does\s+it\s+say|which\s+letter\s+says|who\s+(?:said|wrote))"
    r"(?:\s+(?:er|het|de\s+zin|de\s+passage|the\s+sentence))?\s*(?:dat|that|:)?\s*(.+)$",
    re.IGNORECASE,
)
_RECOMMEND = re.compile(
    r"\b(?:aanbeveling\w*|aanbevolen|aanbeveelt|beveelt|bevelen|beveel|adviezen|pleit\w*"
    r"|recommend\w*|advice|advises?|advised)\b"
    r"|\b(?:wat|welke)\s+(?:adviseert|adviseren|raadt|raden)\b",
    re.IGNORECASE,
)
_SUMMARY = re.compile(
    r"\b(?:samenvatting\w*|samenvatten|samengevat|vat\b.{0,120}\bsamen|kort\s+samen"
    r"|summary|summaries|summari[sz]e\w*|sum\s+up|sum\s+.{1,60}\s+up|tl;?\s?dr|gist)\b",
    re.IGNORECASE,
)
_TOPIC_PREP = re.compile(
    r"\b(?:over|inzake|omtrent|betreffende|aangaande|rond|rondom|met\s+betrekking\s+tot"
    r"|m\.b\.t\.|op\s+het\s+gebied\s+van|ten\s+aanzien\s+van|t\.a\.v\.|voor|van|aan|in"
    r"|about|on|regarding|concerning|around|for|of|to|in|from)\s+",
    re.IGNORECASE,
)
# The roles that write or receive policy documents (the genre's, not one sender's): a routed
# question's "topic" that is only such a role names no topic ("wat beveelt de minister aan").
ROLES = _words(
    """
    rapporteur rapporteurs nationaal nationale minister ministers staatssecretaris ministerie
    kabinet regering college raad inspectie inspecteur gemeente gemeenteraad burgemeester
    wethouder wethouders adviescollege commissie vereniging stichting informateur formateur
    kamer voorzitter auteur afzender schrijver ondertekenaar
    national minister ministry cabinet government council inspectorate municipality mayor
    board committee association foundation author sender writer
    """
)
_LEAD = re.compile(
    r"^(?:(?:de|het|een|deze|dit|die|the|a|an|this|that|these|those|zijn|haar|hun|his|her"
    r"|their|mijn|my|brief|brieven|letter|letters|" + "|".join(sorted(ROLES)) + r")\s+)+",
    re.IGNORECASE,
)
_TRAIL = re.compile(
    r"(?:(?:^|\s+)(?:aan|samen|doen|doet|gedaan|geven|geeft|is|zijn|er|please|up|worden|wordt"
    r"|gegeven|staan|staat))+$",
    re.IGNORECASE,
)
# What is left of "vat de brief samen", "summarize it": no topic or letter named.
_NO_TOPIC = _words(
    "me mij ons it this dat het die alles all brief brieven letter letters document documenten "
    "tekst text deze dit"
)
_EDGE_PUNCT = " \t\n?!.,;:\"'“”‘’„«»()[]"


def route(question: str) -> Routing:
    """Which service a question asks for, with its argument (topic, letter or quoted text)."""
    text = " ".join(question.split())[:MAX_QUESTION_CHARS]
    if not text:
        return Routing(None)
    quoted = _quoted(text)
    if quoted and (_QUOTE_CUE.search(text) or len(quoted) >= 0.5 * len(text)):
        return Routing("quote", quoted)
    if _QUOTE_CUE.search(text):
        if quoted:
            return Routing("quote", quoted)
        m = _QUOTE_THAT.search(text)
        if m and _clean(m.group(1)):
            return Routing("quote", _clean(m.group(1)))
        return Routing("quote", _topic_after(text, _QUOTE_CUE))
    if _RECOMMEND.search(text):
        return Routing("recommendations", _topic_after(text, _RECOMMEND))
    if _SUMMARY.search(text):
        return Routing("summary", _summary_arg(text))
    return Routing(None)


def _quoted(text: str) -> str | None:
    found = []
    for pattern in _QUOTES:
        for m in re.finditer(pattern, text):
            inner = m.group(1).strip()
            if any(ch.isalnum() for ch in inner):
                found.append((m.start(), inner))
    if not found:
        return None
    return max(found, key=lambda f: len(f[1]))[1]


def _topic_after(text: str, cue: re.Pattern[str]) -> str | None:
    """The topic a routed question names: the words after a topic preposition that follows
    the cue (``aanbevelingen over X``), else before it (``X-aanbevelingen``), else None."""
    m = cue.search(text)
    rest = text[m.end() :] if m else text
    prep = None
    for p in _TOPIC_PREP.finditer(rest):
        if p.group(0).strip().lower() in ("aan", "to") and not _clean(rest[p.end() :]):
            continue
        prep = p
        # prefer the content prepositions over "van/of/in/aan"
        if p.group(0).strip().lower() not in ("van", "of", "in", "aan", "to", "voor", "for"):
            break
    if prep is not None:
        return _clean(rest[prep.end() :])
    cleaned = _clean(rest)
    if cleaned and len(cleaned.split()) <= 6:
        return cleaned
    return None


def _summary_arg(text: str) -> str | None:
    m = re.search(r"\bvat\b(.{0,120})\bsamen\b", text, re.IGNORECASE)
    if m:
        return _clean(m.group(1))
    m = re.search(r"\bsum\s+(.{1,60})\s+up\b", text, re.IGNORECASE)
    if m:
        return _clean(m.group(1))
    return _topic_after(text, _SUMMARY)


def _clean(fragment: str) -> str | None:
    out = fragment.strip(_EDGE_PUNCT)
    for _ in range(3):
        out = _LEAD.sub("", out).strip(_EDGE_PUNCT)
        prep = re.match(
            r"^(?:over|van|aan|voor|inzake|about|of|on|to|for|regarding)\s+", out, re.IGNORECASE
        )
        if prep:
            out = out[prep.end() :]
        out = _TRAIL.sub("", out).strip(_EDGE_PUNCT)
    if not out or not any(ch.isalnum() for ch in out):
        return None
    if fold(out) in _NO_TOPIC:
        return None
    return out


# --------------------------------------------------------------------------- the letter itself

Field = Literal["signatory", "sender", "recipient", "date", "subject"]

_DOC = (
    r"(?:brief|brieven|document|stuk|notitie|nota|memo|beantwoording|antwoorden|advies"
    r"|rapport|letter|note|report|answers)"
)
_THE = r"(?:de|het|deze|dit|die|the|this|that)"
# Questions about a document itself rather than its content; each needs the document or an
# act only documents have (signing, addressing) in the question, so "wanneer komt de wet" or
# "wat is het onderwerp van het debat" are left to the passages.
_FIELDS: tuple[tuple[Field, re.Pattern[str]], ...] = tuple(
    (field, re.compile(pattern, re.IGNORECASE))
    for field, pattern in (
        (
            "signatory",
            r"\bwie\b.{0,60}\b(?:ondertekend|ondertekende|getekend|tekende|ondertekent)\b"
            r"|\bondertekenaar|\bondertekend\s+door\s+wie\b|\bwie\s+tekent\b"
            r"|\bwho\b.{0,30}\bsign(?:ed|s)\b|\bsignator(?:y|ies)\b|\bsigned\s+by\s+whom\b",
        ),
        (
            "recipient",
            r"\baan\s+wie\b.{0,60}\b(?:gericht|gestuurd|geschreven|verstuurd|verzonden"
            r"|geadresseerd|gezonden)\b|\bgeadresseerde\b|\bontvanger\s+van\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"|\bto\s+whom\b|\baddressed\s+to\b|\baddressee\b"
            r"|\brecipients?\s+of\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"|\bwho\b.{0,40}\b(?:addressed|sent|written)\s+to\b",
        ),
        (
            "sender",
            r"\bafzender\b|\bvan\s+wie\s+(?:is|komt|was|kwam)\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"\b|\bwie\s+(?:heeft|had)\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"\s+(?:geschreven"
            r"|gestuurd|verstuurd|opgesteld)|\bwie\s+(?:schreef|stuurde|verstuurde)\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"|\bwho\s+(?:wrote|sent|writes|authored)\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"|\b(?:sender|author)\s+of\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"|\bwho\s+is\s+(?:the\s+)?(?:sender|author)\b|\bauteur\s+van\s+"
            + _THE,
        ),
        (
            "date",
            r"\bwanneer\s+(?:is|werd|was)\s+" + _THE + r"\s+" + _DOC + r"\b"
            r"|\bdatum\s+van\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"|\bvan\s+wanneer\s+is\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"|\b"
            + _DOC
            + r"\s+(?:is\s+)?gedateerd"
            r"|\bwhen\s+(?:was|is|were)\s+" + _THE + r"\s+" + _DOC + r"\b"
            r"|\bdate\s+of\s+" + _THE + r"\s+" + _DOC + r"|\bwhat\s+date\b"
            r"|\b" + _DOC + r"\s+dated\b",
        ),
        (
            "subject",
            r"\bwaar(?:over)?\s+(?:gaat|ging|gaan|handelt)\s+" + _THE + r"\s+" + _DOC + r"\b"
            r"|\bonderwerp\s+van\s+" + _THE + r"\s+" + _DOC + r"|\bwat\s+is\s+het\s+"
            r"onderwerp\b|\bwhat\s+(?:is|was|are)\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"\s+(?:about|on)\b|\bsubject\s+of\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"|\bwhat\s+(?:does|do|did)\s+"
            + _THE
            + r"\s+"
            + _DOC
            + r"\s+(?:deal\s+with|cover|concern)\b",
        ),
    )
)


def letter_field(question: str) -> Field | None:
    """The metadata a question asks for about a document itself (who signed it, to whom it is
    addressed, who sent it, its date, what it is about), else None."""
    text = " ".join(question.split())[:MAX_QUESTION_CHARS]
    for field, pattern in _FIELDS:
        if pattern.search(text):
            return field
    return None


# What the author asks, advises, wants or expects: the answer is one of the author's requests
# (the recommendation sentences), found by the rest of the question.
_REQUEST = re.compile(
    r"\b(?:vraagt|vragen|vroeg|verzoekt|verzoeken|verzocht|wil|willen|wenst|verwacht\w*"
    r"|adviseert|adviseren|adviseerde|raadt|pleit\w*|roept\w*|beveelt|bevelen|eist|eisen"
    r"|doet\s+een\s+beroep|moet\w*\s+(?:er\s+)?gebeuren|wordt\s+\w+\s+gevraagd|gevraagd"
    r"|asks?|asking|asked|requests?|requested|wants?|wanted|expects?|expected|urges?|urged"
    r"|calls?\s+(?:on|for|upon)|advises?|advised|recommends?|recommended|demands?)\b",
    re.IGNORECASE,
)
_CONCERN = re.compile(
    r"\bzorgen\b|\bzorg\b|\bbezorgd|\bongerust|\bvreest|\bworr(?:y|ies|ied)\b|\bconcern",
    re.IGNORECASE,
)


REQUEST_KINDS = frozenset({"request", "plea", "advice", "requirement"})
CONCERN_KINDS = frozenset({"concern"})
# A passage that is one of the author's requests (concerns) gains this much fused score when the
# question asks what the author asks (worries about): about a rank-1 vote, so the author's
# request among the candidates comes first. Measured on the written sets (bench/ask_quality.py,
# other senders, dev/test/test2/test3 hit@3 of 61/81/99/73): 0.02 36/40/56/45, 0.04
# 36/40/58/45, 0.07 36/40/60/45, 0.12 and 0.2 36/41/61/46.
REQUEST_BONUS = 0.1
# A request of a letter the question named ("wat vraagt de NVVB?") is an answer even when the
# question has no other words to match it by.
NAMED_REQUEST_RELEVANCE = 0.25
# ...and ranks first: the question is about that author's requests (a rank-1 vote).
NAMED_REQUEST_BONUS = 0.1


# How directly each kind answers "what does the author ask": a request or advice to the reader
# first, a general requirement ("er moet ...") last.
KIND_WEIGHT = {"request": 1.0, "advice": 0.8, "plea": 0.8, "requirement": 0.5, "concern": 1.0}


def intent_words(question: str) -> frozenset[str]:
    """The folded words of the question that say it asks for requests or concerns ("vraagt",
    "adviseert", "worries"): the bonus for requests stands for them, the search leaves them."""
    out = set()
    for pattern in (_REQUEST, _CONCERN):
        for m in pattern.finditer(question):
            out.update(fold(m.group(0)).split())
    return frozenset(out)


# A clause that asks for something (not a yes/no question: "Deelt u de zorg dat ...?", "Bent u
# bereid te vragen ...?" are about their own subject, not about what the author asks).
_ASKING_CLAUSE = re.compile(
    r"^(?:(?:en|maar|of|and|but|so)\s+)?(?:wat|welke|welk|waar\w*|waarom|wie|hoe|what|which"
    r"|who|whom|where|why|how)\b",
    re.IGNORECASE,
)
# The reader addressed ("u", "uw"): in a question to the author of answers (a member of
# parliament to a minister) "wat verwacht u van ..." asks for a plan, not for a request.
_ADDRESSEE = re.compile(r"\b(?:u|uw)\b", re.IGNORECASE)


def _asking_clauses(question: str) -> list[str]:
    parts = re.split(r"(?<=[?.!;])\s+|,\s+(?=(?:en|maar|of)?\s*(?:wat|welke|waar|waarom|hoe)\b)",
                     " ".join(question.split()))  # fmt: skip
    return [p for p in parts if _ASKING_CLAUSE.match(p.strip(_EDGE_PUNCT))]


def request_kinds(question: str) -> frozenset[str]:
    """The recommendation kinds a question asks for: what the author asks, advises or wants
    (requests, pleas, advice, requirements) or what worries the author (concerns); empty
    for other questions (a yes/no question, or one put to the reader as "u")."""
    clauses = [c for c in _asking_clauses(question) if not _ADDRESSEE.search(c)]
    if any(_CONCERN.search(c) for c in clauses):
        return CONCERN_KINDS
    if any(_REQUEST.search(c) for c in clauses):
        return REQUEST_KINDS
    return frozenset()


@dataclass(frozen=True, slots=True)
class LetterMeta:
    id: int
    title: str
    sender: str | None
    signatory: str | None
    recipient: str | None
    recipient_role: str | None
    date: str | None
    subject: str | None
    pages: int


def describe(question: str, field: Field, meta: LetterMeta) -> str:
    """One line answering ``field`` of a letter from its metadata, in the question's language,
    with the letter's citation; says so when the letter does not state it."""
    en = language(question) == "en"
    title = f"“{meta.title}”"
    first = f" [{'letter' if en else 'brief'} {meta.id}, p. 1]"
    last = f" [{'letter' if en else 'brief'} {meta.id}, p. {max(meta.pages, 1)}]"
    if field == "signatory" or (field == "sender" and not meta.sender):
        if not meta.signatory:
            return f"{title} {'names no signatory' if en else 'vermeldt geen ondertekenaar'}."
        who = meta.signatory + (f" ({meta.sender})" if meta.sender else "")
        return f"{title} {'was signed by' if en else 'is ondertekend door'} {who}.{last}"
    if field == "sender":
        signed = ""
        if meta.signatory:
            signed = f", {'signed by' if en else 'ondertekend door'} {meta.signatory}"
        return f"{title} {'is from' if en else 'is van'} {meta.sender}{signed}.{first}"
    if field == "recipient":
        if not meta.recipient and not meta.recipient_role:
            return f"{title} {'names no addressee' if en else 'vermeldt geen geadresseerde'}."
        to = meta.recipient or meta.recipient_role or ""
        if meta.recipient_role and meta.recipient and fold(meta.recipient_role) not in fold(to):
            to += f" ({meta.recipient_role})"
        return f"{title} {'is addressed to' if en else 'is gericht aan'} {to}.{first}"
    if field == "date":
        if not meta.date:
            return f"{title} {'states no date' if en else 'vermeldt geen datum'}."
        return f"{title} {'is dated' if en else 'is gedateerd'} {meta.date}.{first}"
    # subject
    about = meta.subject or meta.title
    tail = " Its key passages:" if en else " De kernpassages:"
    return f"{title} {'is about' if en else 'gaat over'}: {about}.{first}{tail}"


def most_recent_note(question: str) -> str:
    if language(question) == "en":
        return "(The most recent letter; name its sender or subject to ask about another.)"
    return "(De meest recente brief; noem de afzender of het onderwerp om een andere te kiezen.)"


def close_topics(topic: str, topics: Sequence[tuple[str, str]], limit: int = 3) -> list[str]:
    """The names of the ``topics`` (``(slug, name)``) closest to ``topic`` by spelling."""
    from rapidfuzz import fuzz, process

    if not topics:
        return []
    names = [name for _, name in topics]
    found = process.extract(fold(topic), [fold(n) for n in names], scorer=fuzz.WRatio,
                            limit=limit, score_cutoff=50)  # fmt: skip
    return [names[i] for _, _, i in found]


def no_such_topic(question: str, topic: str, close: Sequence[str], *, found: bool) -> str:
    """The line saying the letters have no such topic, with close ones; ``found``: passages
    that match the words follow."""
    shown = topic if len(topic) <= 60 else topic[:59] + "…"
    if language(question) == "en":
        hint = f" Close topics: {', '.join(close)}." if close else ""
        tail = " Passages that match the words:" if found else ""
        return f"The letters have no topic “{shown}”.{hint}{tail}"
    hint = f" Onderwerpen die in de buurt komen: {', '.join(close)}." if close else ""
    tail = " Passages die bij de woorden passen:" if found else ""
    return f"De brieven hebben geen onderwerp “{shown}”.{hint}{tail}"


# --------------------------------------------------------------------------- naming a letter


# A word of a sender's, recipient's or signatory's name names those letters only when at least
# this share of the sentences that hold it are theirs ("informateur", "NVVB": yes;
# "slachtoffers" in "Vereniging van Advocaten voor Slachtoffers": no).
NAME_CONCENTRATION = 0.25
# Names that fit more than this share of the letters a scope sees single none out.
NAMED_SHARE = 0.75
# A word as common as this in Dutch (zipf) names no letter by itself: a ministry's portfolio
# ("Onderwijs", "Zorg", "Veiligheid") or a surname that is also a word ("Helder", "Slot") is what a
# question is about far more often than whom it names ("informateur" 2.8, "inspectie" 3.9 and
# acronyms pass; the roles in ROLES are judged by how the letters use them). Measured on the dev
# answer documents: a question about "zorg" was answered from the one document sent by the
# "Ministerie van Langdurige Zorg en Sport" only.
NAME_MAX_ZIPF = 4.0


def names_by_itself(word: str, question: str) -> bool:
    """Can ``word`` (a folded word of ``question``) name a letter's sender, recipient or
    signatory on its own: a role, an acronym as written, or a word rare in Dutch."""
    from bot.core.lexicon import zipf

    if word in ROLES or zipf(word) < NAME_MAX_ZIPF:
        return True
    return bool(re.search(rf"\b{re.escape(word.upper())}\b", question))


def role_heads(words: Sequence[str]) -> list[str]:
    """The roles that the words of a name end in (a Dutch compound's head: "adviesraad" is a
    "raad", "adviescollege" a "college"; a "ministerie" writes as its "minister"), so that
    "volgens de raad" names the Adviesraad's letter as well as the Raad's. Measured with
    NAMED_MAX (bench/ask_quality.py): 188 -> 189 of 319, 176 -> 177 alone."""
    out = []
    for word in words:
        for role in ROLES:
            if len(role) >= 4 and len(word) >= len(role) + 3 and word.endswith(role):
                out.append(role)
        if word == "ministerie":
            out.append("minister")
    return out


def name_terms(text: str) -> list[str]:
    """The words of ``text`` that can name a sender, recipient or signatory: folded, not
    stopwords, at least three letters (or an acronym such as ``VNG``)."""
    out = []
    for word in fold(text).split():
        if len(word) >= 3 and not word.isdigit() and word not in _NAME_STOP:
            out.append(word)
    return out


_NAME_BREAK = _words(
    "van voor en tegen inzake over met op in bij aan de het der den te ter ten t.a.v tav p.a pa"
    " of for and the to on at"
)


def organisation_words(name: str) -> list[str]:
    """The words that name an organisation or a person's office: its acronyms, and the words
    before its first preposition or conjunction ("Nationaal Rapporteur" of "Nationaal
    Rapporteur Mensenhandel en ...", "Vereniging" of "Vereniging van Advocaten voor
    Slachtoffers"), at most two; the rest of a name says what it works on, which questions
    ask about as a subject."""
    acronyms = [fold(w) for w in re.findall(r"\b[A-Z]{2,6}\b", name)]
    head: list[str] = []
    for word in fold(name).split():
        if word in _NAME_BREAK or word.isdigit():
            if head:
                break
            continue
        if len(word) < 3 or word in _NAME_STOP:
            continue
        head.append(word)
        if len(head) == 2:
            break
    return [w for w in dict.fromkeys(acronyms + head) if len(w) >= 3 and w not in _NAME_STOP]


def _name_stop() -> frozenset[str]:
    from bot.core.vocabulary import STOPWORDS

    return (
        frozenset(fold(w) for w in STOPWORDS)
        | QUESTION_FILLER
        | _words(
            "mevrouw meneer heer drs dhr prof ing postbus den haag tav de der van voor ministerie"
        )
    )


_NAME_STOP = _name_stop()


# --------------------------------------------------------------------------- query checks


def problem(question: str) -> str | None:
    """Why a question cannot be searched, for a person; None when it can."""
    text = question.strip()
    if not text:
        return "Stel een vraag (in het Nederlands of Engels)."
    if len(text) > MAX_QUESTION_CHARS:
        return (
            f"De vraag is {len(text)} tekens lang; stel een kortere vraag "
            f"(hoogstens {MAX_QUESTION_CHARS} tekens)."
        )
    words = [w for w in fold(text).split() if len(w) > 1 or w.isdigit()]
    if not words:
        return "De vraag bevat geen woorden om naar te zoeken."
    return None


def search_text(question: str) -> str:
    """The question without its framing words, for BM25 (``wat zegt de brief over X`` -> X)."""
    kept = [w for w in fold(question).split() if w not in QUESTION_FILLER]
    return " ".join(kept)


# --------------------------------------------------------------------------- fusion


@dataclass(slots=True)
class Candidate:
    sentence_id: int
    letter_id: int
    bm25_rank: int | None = None  # 0-based
    bm25: float = 0.0
    coverage: float = 0.0  # share of the question's idf mass matched (0-1)
    dense_rank: int | None = None
    cosine: float | None = None
    fused: float = 0.0
    relevance: float = 0.0
    section_coverage: float = 0.0  # share of the question's idf mass its section holds


RRF_K = 10
W_BM25 = 1.0
W_DENSE = 1.0
# A bare keyword query (a few words, no question words) means those words: BM25 counts double.
# Measured: keyword questions hit@3 0.82 -> 0.91, the others unchanged.
KEYWORD_W_BM25 = 2.0
# The sentence's section (answer block, headed part) ranked among the candidates' sections by
# term coverage: one more vote in the fusion.
# Measured on the dev sets (bench/ask_quality.py): hit@1 0.455 -> 0.500 on the corpus letters,
# 0.613 -> 0.645 on the answer documents, hit@3 unchanged; the sections' mean similarity as a
# fourth vote lowered hit@1 (0.409) and was left out.
W_SECTION = 1.0
KEYWORD_MAX_WORDS = 4


# An English question's own words rarely occur in Dutch letters (names, acronyms and numbers do):
# its BM25 vote counts half, beside the Dutch words it is translated to (TRANSLATE_*).
# Measured on the English questions of bench/ask_quality.py (117, all splits): hit@3
# 41 -> 45 alone, 45 -> 56 with the translations.
EN_W_BM25 = 0.5


def bm25_weight(question: str) -> float:
    """The weight of the BM25 vote in the fusion for this question."""
    if is_keyword_query(question):
        return KEYWORD_W_BM25
    return EN_W_BM25 if language(question) == "en" else W_BM25


def is_keyword_query(question: str) -> bool:
    """A few words without question framing (``daling gemelde slachtoffers``)."""
    words = fold(question).split()
    return 0 < len(words) <= KEYWORD_MAX_WORDS and not any(w in QUESTION_FILLER for w in words)


def fuse(
    bm25: Sequence[tuple[int, int, float, float]],
    dense: Sequence[tuple[int, int, float]],
    *,
    k: int = RRF_K,
    w_bm25: float = W_BM25,
    w_dense: float = W_DENSE,
) -> list[Candidate]:
    """Weighted reciprocal rank fusion. ``bm25``: ``(sentence_id, letter_id, score, coverage)``
    best first; ``dense``: ``(sentence_id, letter_id, cosine)`` best first. Returns every
    candidate, best first (ties: lower sentence id first)."""
    by_id: dict[int, Candidate] = {}
    for rank, (sid, lid, score, coverage) in enumerate(bm25):
        c = by_id.setdefault(sid, Candidate(sid, lid))
        c.bm25_rank, c.bm25, c.coverage = rank, score, coverage
        c.fused += w_bm25 / (k + rank + 1)
    for rank, (sid, lid, cos) in enumerate(dense):
        c = by_id.setdefault(sid, Candidate(sid, lid))
        c.dense_rank, c.cosine = rank, cos
        c.fused += w_dense / (k + rank + 1)
    return sorted(by_id.values(), key=lambda c: (-c.fused, c.sentence_id))


# --------------------------------------------------------------------------- expansion

# A query term is expanded with index terms sharing a compound part (BM25Index.related) whose
# word embedding is close to its own: USE gives coalitieakkoord~regeerakkoord 0.57,
# regeerakkoord~akkoord 0.78, unrelated compounds sharing a part mostly < 0.45.
EXPAND_MAX_DF = 20  # only terms in at most this many sentences are expanded (rare or unknown)
EXPAND_CANDIDATES = 20
EXPAND_MIN = 0.50
EXPAND_FULL = 0.70


def expansion_weight(similarity: float) -> float:
    """The weight (0-1) of a related term in the query, from its word similarity."""
    if similarity < EXPAND_MIN:
        return 0.0
    return min(1.0, (similarity - EXPAND_MIN) / (EXPAND_FULL - EXPAND_MIN))


# An English question is searched in BM25 by Dutch words too: each English content word is
# matched with the words of the sentences the (multilingual) embeddings found first, by word
# embedding (USE: victims~slachtoffers 0.95, housing~huisvesting 0.76, waiting list~wachtlijst
# 0.76; unrelated pairs mostly below 0.55). The best TRANSLATIONS words from the first
# TRANSLATE_FROM dense hits join the query as expansions of the English word, weighted from
# TRANSLATE_MIN (0) to TRANSLATE_FULL (1). Measured as for EN_W_BM25 (k 20 / 40, best 1 / 2 / 3,
# from 0.50 / 0.55): 51-59 of 117, hit@1 28-42; this choice 56, hit@1 42 (before: 41, hit@1 23).
TRANSLATE_FROM = 20
# ...of their words at most this many (the most frequent): each new word is embedded once (then
# cached), so this bounds a question's cost on new vocabulary. Measured (English questions,
# cold word cache, this 2-core machine under load): every word p50 194 / p95 535 ms, 120
# words 66 / 156 ms (warm: 23 / 79 ms); hit@3 61 -> 59 of 117.
TRANSLATE_POOL = 120
TRANSLATIONS = 3
TRANSLATE_MIN = 0.55
TRANSLATE_FULL = 0.70


def translation_weight(similarity: float) -> float:
    """The weight (0-1) of a Dutch word as a translation, from its word similarity."""
    if similarity < TRANSLATE_MIN:
        return 0.0
    return min(1.0, (similarity - TRANSLATE_MIN) / (TRANSLATE_FULL - TRANSLATE_MIN))


# --------------------------------------------------------------------------- relevance

# Calibrated on bench/eval/questions.jsonl (78 answerable, 15 unanswerable questions; see
# bench/ask_quality.py). The cosine is between the question (question + its search text) and a
# sentence vector mixed with its neighbours': a question's best sentence scores 0.24-0.45 at
# the 5th-50th percentile when the letters answer it, and 0.11-0.34 when they do not. A passage
# counts as an answer from cosine 0.275 alone, or from 57.5% of the question's idf mass alone
# (a single shared word, e.g. "burgemeester", covers too little).
COS_LOW = 0.20
COS_HIGH = 0.70
COVERAGE_LOW = 0.50
FOUND_AT = 0.15


def has_evidence(c: Candidate) -> bool:
    """Does a candidate share a term with the question, or its section, or is it at least as
    similar as an unrelated sentence is not? (Passages after the first need no more.)"""
    return (
        c.relevance >= FOUND_AT
        or c.coverage > 0
        or c.section_coverage > 0
        or (c.cosine or 0.0) >= COS_LOW
    )


def relevance(cosine: float | None, coverage: float) -> float:
    """A passage's 0-1 relevance from its cosine similarity and its BM25 term coverage."""
    dense = 0.0
    if cosine is not None:
        dense = min(1.0, max(0.0, (cosine - COS_LOW) / (COS_HIGH - COS_LOW)))
    lexical = min(1.0, max(0.0, (coverage - COVERAGE_LOW) / (1.0 - COVERAGE_LOW)))
    # evidence from both sides counts more than either alone
    return min(1.0, max(dense, lexical) + 0.25 * min(dense, lexical))


# --------------------------------------------------------------------------- absent words

# A Dutch question with a content word that no document holds, nor a close relative of it (a
# word sharing a compound part whose embedding is close: the query expansions), may ask about
# something the documents do not have ("Hoeveel X werden beboet?" where no document speaks of
# fines): its best passages then match the rest of the question and answer something else. When
# such words carry at least ABSENT_SHARE of the question's idf mass, the answer says that no
# letter mentions them, before the passages. An English question's words are absent from Dutch
# documents as a rule, and a role that names a letter's author ("adviesraad") is the author, not a
# subject: neither counts; nor does a number (damaged text lost its digits) or a verb.
# It is a note, not a "nothing found": as a gate (no passages) it told 13 more of the 174
# unanswerable questions of bench/ask_quality.py "nothing found" (0.3 chosen on dev) at a cost of
# 1 right answer there, but on the answer documents scored as bench/kamervragen.py (members'
# questions, written without the answers' words, over a few documents whose vocabulary is small)
# it lost 9 of 62 hits on answers-dev2 (0.849 -> 0.726) and 11 of 32 on answers-dev: a word the
# letters do not use is as often a paraphrase ("virus" for "vogelgriep") as a missing subject.
ABSENT_SHARE = 0.3
# A relative counts as the word when its expansion weight reaches this (bot.core.ask.
# expansion_weight: 1.0 from word similarity 0.70; "coalitieakkoord" ~ "regeerakkoord" 0.35).
ABSENT_RELATIVE = 0.3


def counts_as_absent(word: str, term: str, df: int, relatives: Sequence[float]) -> bool:
    """Is this query word (folded; ``term`` its index term, in ``df`` sentences) one the
    documents do not have: in no sentence, without a close relative, and neither a role, a
    number nor a verb (a verb is how a question is put more often than what it is about:
    "afgeperst" asks about "afpersing")?"""
    if df > 0 or any(ch.isdigit() for ch in word):
        return False
    if word in ROLES or term in ROLES or role_heads([word]):
        return False
    if any(w >= ABSENT_RELATIVE for w in relatives):
        return False
    return not _verb_like(word)


VERB_ZIPF = 3.0


def _verb_like(word: str) -> bool:
    """A conjugated verb, a participle or an infinitive (``spoort``, ``beboet``,
    ``bijhouden``: a common word that is its own lemma and ends in -en; the lemmatizer leaves a
    word it does not know as it is, and a rare one is a plural noun more often,
    "heliumballonnen")."""
    from bot.core.lexicon import lemma, looks_like_verb_form, zipf

    if looks_like_verb_form(word):
        return True
    lem = lemma(word)
    return "_" in lem or (lem == word and word.endswith("en") and zipf(word) >= VERB_ZIPF)


COMPOUND_PART = 3  # letters at least in each part of a split compound
COMPOUND_SEARCHES = 3  # splits whose two parts are both index terms searched at most, longest first


def compound_splits(word: str) -> list[tuple[str, str]]:
    """The ways to read ``word`` as a Dutch compound of two parts, the linking ``s`` or ``e``
    dropped from the first ("rijksorganisaties" -> ("rijk", "organisaties"), among others);
    longest head part first."""
    out = []
    for i in range(len(word) - COMPOUND_PART, COMPOUND_PART - 1, -1):
        head, tail = word[:i], word[i:]
        out.append((head, tail))
        if head.endswith(("s", "e")) and len(head) > COMPOUND_PART:
            out.append((head[:-1], tail))
    return out


def absent_share(terms: Sequence[tuple[float, bool]]) -> float:
    """The share of the question's idf mass (``(idf, absent)`` per query term) that its absent
    words carry."""
    total = sum(idf for idf, _ in terms)
    if total <= 0:
        return 0.0
    return sum(idf for idf, absent in terms if absent) / total


def asks_for_absent(question: str, share: float) -> bool:
    """Does ``question`` ask about something the documents do not hold (see ABSENT_SHARE)?"""
    return share >= ABSENT_SHARE and language(question) != "en"


# --------------------------------------------------------------------------- answer types

# What kind of answer a question wants, from its question word, and how a sentence that gives
# that kind of answer looks. A candidate that looks like the wanted kind gains ANSWER_TYPE_BONUS
# of fused score. Numbers only count where the text kept its digits (damaged text lost them).
_NUMBER_WORDS = (
    r"een|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|vijftien"
    r"|zestien|zeventien|achttien|negentien|twintig|dertig|veertig|vijftig|zestig|zeventig"
    r"|tachtig|negentig|honderd|duizend|miljoen|miljard|procent|helft|derde|kwart|tiental"
    r"|tientallen"
    r"|honderden|duizenden|dozens?|hundreds?|thousands?|million|billion|percent|half|third"
)
_ANSWER_TYPES: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (name, re.compile(question, re.IGNORECASE), re.compile(answer, re.IGNORECASE))
    for name, question, answer in (
        (
            "amount",
            r"\b(?:hoeveel\s+(?:geld|euro)|hoe\s+duur|wat\s+kost|kosten|budget|bedrag"
            r"|how\s+much\s+(?:money|does)|what\s+does\s+.{1,40}\s+cost|costs?)\b",
            r"\b(?:euro|miljoen|miljard|€|eur)\b|€\s*\d",
        ),
        (
            "duration",
            r"\b(?:hoe\s+lang|how\s+long)\b",
            r"\b(?:\d+|" + _NUMBER_WORDS + r")\s+(?:dagen|dag|weken|week|maanden|maand|jaar"
            r"|jaren|uur|days?|weeks?|months?|years?|hours?)\b",
        ),
        (
            "number",
            r"\b(?:hoeveel|hoe\s+groot|hoe\s+vaak|how\s+many|how\s+much|how\s+often"
            r"|what\s+number|welk\s+percentage|aantal)\b",
            r"\d|\b(?:" + _NUMBER_WORDS + r")\b",
        ),
        (
            "time",
            r"\b(?:wanneer|per\s+wanneer|vanaf\s+wanneer|when|by\s+when)\b",
            r"\b(?:(?:19|20)\d\d|januari|februari|maart|april|mei|juni|juli|augustus"
            r"|september|oktober|november|december|voorjaar|najaar|zomer|winter|kwartaal"
            r"|eind|begin|half|komend\w*|volgend\w*|binnenkort|uiterlijk|vanaf|per)\b",
        ),
        (
            "reason",
            r"\b(?:waarom|hoe\s+komt|wat\s+is\s+de\s+oorzaak|oorzaken|oorzaak|why"
            r"|what\s+causes?|reasons?)\b",
            r"\b(?:omdat|doordat|want|vanwege|oorzaak|oorzaken|gevolg|daardoor|hierdoor"
            r"|daarom|komt\s+door|reden|redenen|because|due\s+to|caused|reason)\b",
        ),
    )
)
# A yes/no question (it opens with a verb: "Bent u bereid ...?", "Klopt het dat ...?", "Is
# there ...?"): an answer that opens with yes or no is an answer to it.
_YES_NO_QUESTION = re.compile(
    r"^(?:(?:en|of|maar|and|but)\s+)?(?:bent|is|zijn|klopt|kunt|kan|wilt|wil|heeft|hebt"
    r"|hebben|gaat|gaan|zal|zult|zullen|acht|deelt|erkent|vindt|ziet|weet|was|waren|wordt"
    r"|worden|are|is|does|do|did|will|would|can|could|should|has|have|was|were)\b",
    re.IGNORECASE,
)
_YES_NO_ANSWER = re.compile(
    r"^(?:ja|nee|neen|jazeker|zeker|dat\s+klopt|dat\s+is\s+(?:niet\s+)?(?:juist|correct)"
    r"|klopt|yes|no)\b",
    re.IGNORECASE,
)


def answer_types(question: str) -> tuple[re.Pattern[str], ...]:
    """The patterns a sentence that answers ``question`` matches (by its kind of answer);
    the first matching kind only (a question for an amount is not also for any number)."""
    text = " ".join(question.split())
    out: list[re.Pattern[str]] = []
    for _, asks, looks in _ANSWER_TYPES:
        if asks.search(text):
            out.append(looks)
            break
    # each question sentence of a block may be a yes/no question
    if any(_YES_NO_QUESTION.match(part.strip()) for part in re.split(r"(?<=[?.!])\s+", text)):
        out.append(_YES_NO_ANSWER)
    return tuple(out)


ANSWER_TYPE_BONUS = 0.02


def fits_answer_type(text: str, patterns: Sequence[re.Pattern[str]]) -> bool:
    """Does ``text`` look like an answer of one of these kinds?"""
    stripped = text.strip(_EDGE_PUNCT + "-–•")
    return any(p.search(stripped) if p is not _YES_NO_ANSWER else p.match(stripped)
               for p in patterns)  # fmt: skip


# --------------------------------------------------------------------------- questions in the text

# A sentence that is itself a question (a member's question quoted in the answers to
# parliamentary questions, a letter's rhetorical question) is found because it says what the
# user asks, but it answers nothing: the answer is what follows it. Measured on the written
# sets (bench/ask_quality.py, all splits): 180 of 1656 top-3 passages were questions, none of
# them an answer; none of the 436 labelled answers is a question.
ANSWER_AFTER = 6  # at most this many questions in a row are stepped over to find the answer
_ASKS_FOR_QUESTIONS = re.compile(
    r"\b(?:kamervragen|schriftelijke\s+vragen|(?:welke|wat\s+voor|hoeveel|which|what|how\s+many)"
    r"\s+(?:\w+\s+){0,2}(?:vragen|vraag|questions?))\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """Is this sentence a question (it ends in a question mark)?"""
    return text.rstrip(_EDGE_PUNCT.replace("?", "") + "-–•»”’").endswith("?")


def wants_questions(question: str) -> bool:
    """Does ``question`` ask for the questions themselves ("welke vragen stelde het lid")?"""
    return bool(_ASKS_FOR_QUESTIONS.search(" ".join(question.split())))


# --------------------------------------------------------------------------- passages

# A sentence that opens with a word pointing back ("Dit betreur ik.", "Daarom ...", "Deels is
# dit het gevolg van ...") leans on the one before it; an answer shows that one too.
_BACKREF = re.compile(
    r"^(?:dit|deze|dat|die|daarom|daardoor|daarmee|daarnaast|daarbij|daarvoor|daarin|daaruit"
    r"|hierdoor|hiermee|hierbij|hierin|hiervoor|hierover|hieruit|bovendien|tevens|ook|echter"
    r"|zij|hij|ze|deels|evenmin|eveneens|verder|vervolgens|zo|aldus"
    r"|om\s+die\s+reden|ten\s+slotte|tot\s+slot|this|these|that|those|therefore|however"
    r"|also|moreover|it|they|he|she)\b",
    re.IGNORECASE,
)
# ...and a sentence so opened that follows the answer completes it ("Deels is dit ...").
_FOLLOWS_UP = re.compile(
    r"^(?:dit|dat|deze|daardoor|hierdoor|daarom|deels|om\s+die\s+reden|this|that|therefore)\b",
    re.IGNORECASE,
)
SHORT_ANSWER_WORDS = 6  # "Ja." / "Nee, dat klopt niet.": the next sentence says what


def leans_on_previous(text: str) -> bool:
    """Does this sentence need the one before it to be understood?"""
    return bool(_BACKREF.match(text.strip(_EDGE_PUNCT + "-–•")))


def completed_by_next(text: str, following: str) -> bool:
    """Does the sentence after ``text`` complete it (a list after a colon, a bare yes or no, a
    follow-up that points back at it)?"""
    body = text.rstrip()
    if body.endswith(":"):
        return True
    if len(body.split()) < SHORT_ANSWER_WORDS:
        return True
    return bool(_FOLLOWS_UP.match(following.strip(_EDGE_PUNCT + "-–•")))


# --------------------------------------------------------------------------- composition


@dataclass(frozen=True, slots=True)
class Cited:
    """A passage as the answer shows it."""

    text: str
    letter_id: int
    letter_title: str
    page: int
    sentence: int
    score: float
    before: tuple[tuple[str, int, int], ...] = ()  # (text, page, sentence) shown before it
    after: tuple[tuple[str, int, int], ...] = ()  # ... and after it


def is_english_word(word: str) -> bool:
    """A folded word that reads as English content (common in English, rarer in Dutch, not a
    function word): translated to the letters' Dutch for BM25."""
    from bot.core.lexicon import zipf, zipf_en

    if len(word) < 3 or word.isdigit() or word in QUESTION_FILLER or word in _ENGLISH_STOP:
        return False
    en = zipf_en(word)
    return en >= 2.5 and en > zipf(word) + 0.5


_ENGLISH_STOP = _words(
    "the and for with from that this these those what which who whom whose why how when where "
    "does did done doing has have had having was were been being are is can could should would "
    "will shall may might must not any all some more most many much very also only there their "
    "they them its it's into onto about than then such other what's say says said tell give "
    "please letter letters document documents"
)


def language(question: str) -> Literal["nl", "en"]:
    """``en`` when the question reads as English, else ``nl``."""
    words = fold(question).split()
    en = sum(w in _ENGLISH for w in words)
    nl = sum(w in _DUTCH for w in words)
    return "en" if en > nl else "nl"


_ENGLISH = _words(
    "the what which who why how does do did is are was were about of to and should can could "
    "would will there this that in on for with by from any has have"
)
_DUTCH = _words(
    "de het een wat welke wie waarom hoe is zijn was waren over van en moet moeten kan kunnen "
    "zou zullen er dit dat in op voor met door bij heeft hebben niet geen wordt worden"
)


def compose(
    question: str, passages: Sequence[Cited], *, found: bool, absent: Sequence[str] = ()
) -> str:
    """The short answer: the passages grouped per letter (letters in order of their best
    passage, passages in reading order), each followed by its citation ``[n]`` (n = its place
    in ``passages``) and its page. Says so, in the question's language, when nothing relevant
    was found; ``absent``: the question's words that no letter holds, named first."""
    en = language(question) == "en"
    note = ""
    if absent:
        shown = ", ".join(f"“{w}”" for w in absent[:3])
        note = (
            f"None of the letters mentions {shown}." if en else f"Geen enkele brief noemt {shown}."
        )
    if not found or not passages:
        none = (
            "I found no passage in the letters that answers this question."
            if en
            else "Ik vond in de brieven geen passage die deze vraag beantwoordt."
        )
        return f"{none} {note}" if note else none
    body = _compose_passages(passages, en)
    if note:
        rest = (
            " The passages that match the rest of the question:"
            if en
            else " De passages die bij de rest van de vraag passen:"
        )
        return f"{note}{rest}\n{body}"
    return body


def _compose_passages(passages: Sequence[Cited], en: bool) -> str:
    by_letter: dict[int, list[tuple[int, Cited]]] = {}
    for n, p in enumerate(passages, 1):
        by_letter.setdefault(p.letter_id, []).append((n, p))
    intro = "According to" if en else "Volgens"
    page = "p."
    lines = []
    for items in by_letter.values():
        shown: set[int] = set()
        parts = []
        for n, p in sorted(items, key=lambda item: item[1].sentence):
            for text, pg, number in p.before:
                if number not in shown:
                    shown.add(number)
                    parts.append(f"{text} [{page} {pg}]")
            if p.sentence not in shown:
                shown.add(p.sentence)
                parts.append(f"{p.text} [{n}, {page} {p.page}]")
            for text, pg, number in p.after:
                if number not in shown:
                    shown.add(number)
                    parts.append(f"{text} [{page} {pg}]")
        body = " ".join(parts)
        lines.append(f"{intro} “{items[0][1].letter_title}”: {body}")
    return "\n".join(lines)
