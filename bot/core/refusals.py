# ruff: noqa: E501  (the catalogue reads best one message per line)
"""The catalogue of refusals: what each message key of :mod:`bot.core.errors` says, in English
and in Dutch, as one sentence that says what to do next.

The adapters translate at the edge with :func:`say`: the Discord side points at its slash
commands (``{letters}`` -> ``/letters`` or ``/brieven``), the command line at its own
(``briefbot letters``). Values in braces come from the error's parameters. A file's refusal in
English is the reader's own sentence (the error's ``detail``: which page, which limit, what the
file looks like); in Dutch it is the catalogue's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Where = Literal["discord", "cli"]

#: Commands a refusal may point to: name -> (Discord English, Discord Dutch, command line).
POINTERS: dict[str, tuple[str, str, str]] = {
    "letters": ("/letters", "/brieven", "`briefbot letters`"),
    "topics": ("/topics", "/onderwerpen", "`briefbot topics`"),
    "add": ("/letter add", "/brief toevoegen", "`briefbot ingest`"),
    "digest_set": ("/digest set", "/digest instellen", "`briefbot digest add`"),
    "digest_subscribe": ("/digest subscribe", "/digest abonneren", "`briefbot digest add --user`"),
    "help": ("/help", "/help", "`briefbot --help`"),
}

#: key -> (English, Dutch). (For files, English shows the reader's own sentence; the English
#: here says what the Dutch says.)
TEXT: dict[str, tuple[str, str]] = {
    "source.unknown": (
        "No followed source {source}; `briefbot follow list` shows them.",
        "Geen gevolgde bron {source}; `briefbot follow list` toont ze.",
    ),
    "source.bad_since": (
        "'{value}' is not a date; use YYYY-MM-DD, for example 2025-01-01.",
        "'{value}' is geen datum; gebruik JJJJ-MM-DD, bijvoorbeeld 2025-01-01.",
    ),
    "source.future_since": (
        "{value} is in the future; use a date that has passed.",
        "{value} ligt in de toekomst; gebruik een datum die al geweest is.",
    ),
    "source.no_folder": (
        "{path} is not a folder; give the folder to follow.",
        "{path} is geen map; geef de map die gevolgd moet worden.",
    ),
    "source.bad_dossier": (
        "'{value}' is not a dossier number; use its number, e.g. 28638.",
        "'{value}' is geen dossiernummer; gebruik het nummer, bijvoorbeeld 28638.",
    ),
    "source.bad_type": (
        "'{value}' is not a document kind; use one like 'Brief regering'.",
        "'{value}' is geen documentsoort; gebruik er een zoals 'Brief regering'.",
    ),
    "source.bad_subject": (
        "'{value}' is too short or too long to search for; use a word.",
        "'{value}' is te kort of te lang om op te zoeken; gebruik een woord.",
    ),
    "no_letter_about": (
        "No letter is about {topic}; {topics} lists the topics the letters do cover.",
        "Geen brief gaat over {topic}; {topics} toont de onderwerpen die er wel zijn.",
    ),
    "letter_silent": (
        "Letter {letter} says nothing about {topic}; choose another topic or leave the letter out.",
        "Brief {letter} zegt niets over {topic}; kies een ander onderwerp of laat de brief weg.",
    ),
    "no_letters": (
        "There are no letters yet; add one with {add}.",
        "Er zijn nog geen brieven; voeg er een toe met {add}.",
    ),
    "no_letter": (
        "There is no letter {ref} here; {letters} lists the letters.",
        "Brief {ref} ken ik hier niet; {letters} toont de brieven.",
    ),
    "name_letter": (
        "Name a letter by its number or name; {letters} lists them.",
        "Noem een brief bij zijn nummer of naam; {letters} toont ze.",
    ),
    "topic_too_long": (
        "That topic is too long; use a word or two.",
        "Dat onderwerp is te lang; gebruik een woord of twee.",
    ),
    "name_topic": (
        "Name a topic, for example mensenhandel; {topics} lists them.",
        "Noem een onderwerp, bijvoorbeeld mensenhandel; {topics} toont ze.",
    ),
    "no_topic_none": (
        "There is no topic {topic}, and the letters have no topics yet; add a letter with {add}.",
        "Het onderwerp {topic} bestaat niet, en de brieven hebben nog geen onderwerpen; voeg een brief toe met {add}.",
    ),
    "no_topic": (
        "There is no topic {topic}; these come close: {close}.",
        "Het onderwerp {topic} ken ik niet; deze komen in de buurt: {close}.",
    ),
    "no_topic_main": (
        "There is no topic {topic}; the letters are mostly about {close} ({topics} lists all).",
        "Het onderwerp {topic} ken ik niet; de brieven gaan vooral over {close} ({topics} toont "
        "ze allemaal).",
    ),
    "empty_quote": (
        "Type a few words of the sentence you are looking for.",
        "Typ een paar woorden van de zin die je zoekt.",
    ),
    "not_a_reference": (
        "{ref} is not a sentence reference like 12:34; type words of the sentence instead.",
        "{ref} is geen zinsverwijzing zoals 12:34; typ liever woorden uit de zin.",
    ),
    "no_sentence": (
        "There is no sentence {ref}; type words of the sentence instead.",
        "Zin {ref} bestaat niet; typ liever woorden uit de zin.",
    ),
    "still_loading": (
        "The letters are still being loaded after a restart; ask again in about {seconds} s.",
        "De brieven worden na een herstart nog geladen; vraag het over ongeveer {seconds} s opnieuw.",
    ),
    "summary_length": (
        "Choose a length: short (3), default (5), long (10) or 1 to 20 sentences.",
        "Kies een lengte: kort (3), standaard (5), lang (10) of 1 tot 20 zinnen.",
    ),
    "bad_time": (
        "{value} is not a time; use HH:MM, for example 09:00.",
        "{value} is geen tijdstip; gebruik UU:MM, bijvoorbeeld 09:00.",
    ),
    "bad_zone": (
        "{value} is not an IANA time zone; use a name like Europe/Amsterdam.",
        "{value} is geen tijdzone; gebruik een naam als Europe/Amsterdam.",
    ),
    "bad_frequency": (
        "Choose how often: daily, weekdays or weekly.",
        "Kies hoe vaak: dagelijks, werkdagen of wekelijks.",
    ),
    "bad_language": (
        "Choose Dutch (nl) or English (en) as the language.",
        "Kies Nederlands (nl) of Engels (en) als taal.",
    ),
    "needs_channel": (
        "Choose the channel the server's digest goes to.",
        "Kies het kanaal waar het overzicht van de server heen gaat.",
    ),
    "foreign_channel": (
        "That channel is not in this server; pick one of this server's text channels.",
        "Dat kanaal hoort niet bij deze server; kies een tekstkanaal van deze server.",
    ),
    "channel_taken": (
        "Channel {channel} already has a digest of another server; pick another channel.",
        "Kanaal {channel} heeft al een overzicht van een andere server; kies een ander kanaal.",
    ),
    "paused": (
        "Digest {subscription} is paused ({reason}); set it again with {digest_set} or {digest_subscribe} to resume it.",
        "Dit overzicht is gepauzeerd ({reason}); stel het opnieuw in met {digest_set} of {digest_subscribe} om het te hervatten.",
    ),
    "busy_sending": (
        "The bot is sending this digest right now; try again in a minute.",
        "De bot verstuurt dit overzicht op dit moment; probeer het over een minuut opnieuw.",
    ),
    "file_empty": (
        "The file is empty; attach the letter itself.",
        "Het bestand is leeg; voeg de brief zelf toe.",
    ),
    "binary": (
        "This is a binary file, not a text letter; add the letter as .txt or .pdf.",
        "Dit is een binair bestand, geen tekstbrief; voeg de brief toe als .txt of .pdf.",
    ),
    "encoding": (
        "The text's encoding cannot be read; save it as UTF-8 and try again.",
        "De tekenset van de tekst is onleesbaar; sla hem op als UTF-8 en probeer het opnieuw.",
    ),
    "text_too_long": (
        "The text is too long for a letter ({size} characters); add one letter at a time.",
        "De tekst is te lang voor een brief ({size} tekens); voeg één brief tegelijk toe.",
    ),
    "text_too_slow": (
        "The text took too long to read; it is too large or too unusual to be a letter.",
        "Het lezen duurde te lang; de tekst is te groot of te ongewoon voor een brief.",
    ),
    "too_many_sentences": (
        "It has {count} sentences, more than the {limit} a letter added in Discord may have; an operator can add it on the command line.",
        "Hij heeft {count} zinnen, meer dan de {limit} die een brief in Discord mag hebben; een beheerder kan hem via de opdrachtregel toevoegen.",
    ),
    "not_a_letter": (
        "This does not look like a letter (no salutation, closing, subject or letterhead); add a letter.",
        "Dit lijkt geen brief (geen aanhef, afsluiting, onderwerp of briefhoofd); voeg een brief toe.",
    ),
    "too_little_text": (
        "There is too little text for a letter; check that you attached the whole letter.",
        "Er staat te weinig tekst in voor een brief; controleer of je de hele brief hebt toegevoegd.",
    ),
    "not_dutch": (
        "This does not look like Dutch text; briefbot reads Dutch letters.",
        "Dit lijkt geen Nederlandse tekst; briefbot leest Nederlandse brieven.",
    ),
    "pdf_busy": (
        "The PDF reader is busy with other files; try again in a minute.",
        "De PDF-lezer is bezig met andere bestanden; probeer het over een minuut opnieuw.",
    ),
    "pdf_scanned": (
        "This PDF has no text layer (scanned?); run OCR first, or add the text as .txt.",
        "Deze PDF heeft geen tekstlaag (gescand?); laat er eerst OCR op los, of voeg de tekst toe als .txt.",
    ),
    "not_pdf_like": (
        "This file is not a PDF (it looks like {what}); add the letter as .pdf or .txt.",
        "Dit bestand is geen PDF; voeg de brief toe als .pdf of .txt.",
    ),
    "not_pdf": (
        "This file is not a PDF; add the letter as .pdf or .txt.",
        "Dit bestand is geen PDF; voeg de brief toe als .pdf of .txt.",
    ),
    "pdf_incomplete": (
        "This PDF is incomplete (cut off before its end); download or export it again.",
        "Deze PDF is onvolledig (afgebroken voor het einde); download of exporteer hem opnieuw.",
    ),
    "pdf_password": (
        "This PDF is password-protected; remove the password and try again.",
        "Deze PDF is met een wachtwoord beveiligd; haal het wachtwoord eraf en probeer het opnieuw.",
    ),
    "pdf_encrypted": (
        "This PDF is encrypted in a way briefbot cannot read; save an unprotected copy and try again.",
        "Deze PDF is versleuteld op een manier die briefbot niet kan lezen; sla een onbeveiligde kopie op en probeer het opnieuw.",
    ),
    "pdf_no_pages": (
        "This PDF has no pages; add the letter itself.",
        "Deze PDF heeft geen pagina's; voeg de brief zelf toe.",
    ),
    "pdf_damaged": (
        "This PDF is damaged and cannot be read; try another copy.",
        "Deze PDF is beschadigd en onleesbaar; probeer een andere kopie.",
    ),
    "pdf_too_big": (
        "This PDF is too large or too complex to be a letter; add one letter at a time.",
        "Deze PDF is te groot of te ingewikkeld voor een brief; voeg één brief tegelijk toe.",
    ),
    "file_too_big": (
        "The file is too large (the limit is {limit} MB); add one letter at a time.",
        "Het bestand is te groot (de grens is {limit} MB); voeg één brief tegelijk toe.",
    ),
    "unknown_type": (
        "briefbot reads letters as .txt or .pdf, not {ext} files; save the letter as one of those.",
        "briefbot leest brieven als .txt of .pdf, niet als {ext}; sla de brief in een van die vormen op.",
    ),
    "unreadable_file": (
        "The file cannot be read ({why}); check that it exists and may be read.",
        "Het bestand is niet te lezen ({why}); controleer of het bestaat en leesbaar is.",
    ),
    "not_a_file": (
        "That is not a file but {what}; give the path of a .txt or .pdf file.",
        "Dat is geen gewoon bestand maar {what}; geef het pad van een .txt- of .pdf-bestand.",
    ),
    "too_many_letters": (
        "The file holds {count} different letters, more than the {limit} one file may hold; "
        "split it into smaller files.",
        "Het bestand bevat {count} verschillende brieven, meer dan de {limit} die in één bestand "
        "mogen; verdeel het over kleinere bestanden.",
    ),
    "no_letter_readable": (
        "None of the {count} letters in the file can be read; add them one by one to see why.",
        "Geen van de {count} brieven in het bestand is te lezen; voeg ze los toe om te zien "
        "waarom.",
    ),
    "already_stored": (
        "Already stored as letter {ref} (the same letter, from {file}); not stored again.",
        "Staat al opgeslagen als brief {ref} (dezelfde brief, uit {file}); niet opnieuw opgeslagen.",
    ),
    "repeated_letter": (
        "The file holds the letter {count} times over; it is stored once.",
        "Het bestand bevat de brief {count} keer; hij is één keer opgeslagen.",
    ),
    "repeated_part": (
        "The file holds letter {part} of {parts} {count} times over; it is stored once.",
        "Het bestand bevat brief {part} van {parts} {count} keer; die is één keer opgeslagen.",
    ),
    "part_refused": (
        "Letter {part} of {parts} in the file: {reason}.",
        "Brief {part} van {parts} in het bestand: {reason}.",
    ),
    "no_letter_found": (
        "No letter was found in the file; check that it is a Dutch letter (.txt, or .pdf with a text layer).",
        "In het bestand staat geen brief; controleer of het een Nederlandse brief is (.txt, of .pdf met tekstlaag).",
    ),
}


class Refusal(Protocol):
    """What :func:`say` reads of an error (``bot.core.errors.UserError``)."""

    key: str
    detail: str | None
    params: Mapping[str, Any]
    kind: str  # "request", or "letter" for a file that cannot be stored as a letter


@dataclass(frozen=True, slots=True)
class Note:
    """A keyed sentence that is no refusal: a warning about a file that was otherwise handled
    (said like a file's refusal: the reader's own English, the catalogue's Dutch)."""

    key: str
    detail: str
    params: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "letter"


def sentence(text: str) -> str:
    """Capital first letter, full stop at the end."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def clause(text: str) -> str:
    """A sentence to follow a colon: first letter small (unless the first word is an acronym
    like PDF), no full stop."""
    text = text.strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def say(
    error: Refusal,
    lang: str,
    *,
    where: Where = "discord",
    escape: Callable[[str], str] | None = None,
) -> str:
    """The refusal as one sentence in ``lang`` (``nl``, else English) that says what to do next,
    pointing at the slash commands (``discord``) or the command line's commands (``cli``).
    ``escape`` is applied to what the user typed or a file says (markdown in Discord)."""
    if error.kind == "letter" and lang != "nl" and error.detail:
        return sentence(error.detail)
    return render(error.key, error.params, lang, where=where, escape=escape)


def render(
    key: str,
    params: Mapping[str, Any],
    lang: str,
    *,
    where: Where = "cli",
    escape: Callable[[str], str] | None = None,
) -> str:
    """The catalogue's sentence for ``key`` with ``params`` filled in; a parameter that is a
    refusal itself is said as a clause in the same language."""
    values = {}
    for name, value in params.items():
        if hasattr(value, "key") and hasattr(value, "params"):  # a refusal inside this one
            values[name] = clause(say(value, lang, where=where, escape=escape))
        else:
            values[name] = escape(str(value)) if escape is not None else str(value)
    nl = lang == "nl"
    column = 2 if where == "cli" else (1 if nl else 0)
    pointers = {name: choices[column] for name, choices in POINTERS.items()}
    en, dutch = TEXT[key]
    return (dutch if nl else en).format(**pointers, **values)


def english(key: str, params: Mapping[str, Any]) -> str:
    """The English sentence of a key (the command line's), e.g. for ``str()`` of an error."""
    return render(key, params, "en")
