"""Dutch and English for everything the bot says and for the slash-command schema.

Command names, descriptions and option names are English at base with Dutch localizations
(Discord shows users the one for their client language). Messages follow the user's locale:
Dutch for ``nl``, English otherwise. Letter text is never translated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

import discord
from discord import app_commands

# key -> (English, Dutch). Keys double as the ``locale_str`` message for command texts.
COMMAND_TEXT: dict[str, tuple[str, str]] = {
    # commands
    "summary": ("summary", "samenvatting"),
    "summary.desc": (
        "Summarise a letter, a section or a topic",
        "Vat een brief, deel of onderwerp samen",
    ),
    "recommendations": ("recommendations", "aanbevelingen"),
    "recommendations.desc": (
        "The recommendations of the letters, grouped per topic",
        "De aanbevelingen uit de brieven, per onderwerp",
    ),
    "quote": ("quote", "citaat"),
    "quote.desc": (
        "Find the exact sentence from a half-remembered fragment",
        "Vind de precieze zin bij een half onthouden fragment",
    ),
    "ask": ("ask", "vraag"),
    "ask.desc": ("Ask a question about the letters", "Stel een vraag over de brieven"),
    "letters": ("letters", "brieven"),
    "letters.desc": ("List the letters briefbot knows", "Toon de brieven die briefbot kent"),
    "topics": ("topics", "onderwerpen"),
    "topics.desc": (
        "List the topics with their recommendations",
        "Toon de onderwerpen met aanbevelingen",
    ),
    "help": ("help", "help"),
    "help.desc": ("How to use briefbot", "Zo gebruik je briefbot"),
    "letter": ("letter", "brief"),
    "letter.desc": ("Manage this server's letters", "Beheer de brieven van deze server"),
    "letter-add": ("add", "toevoegen"),
    "letter-add.desc": (
        "Add a letter (.txt or .pdf) for this server",
        "Voeg een brief (.txt of .pdf) toe voor deze server",
    ),
    "letter-remove": ("remove", "verwijderen"),
    "letter-remove.desc": (
        "Remove one of this server's letters",
        "Verwijder een brief van deze server",
    ),
    "forget-me": ("forget-me", "vergeet-mij"),
    "forget-me.desc": (
        "Delete everything briefbot stores about you (your digests)",
        "Wis alles wat briefbot over jou bewaart (je overzichten)",
    ),
    "sync": ("sync", "sync"),
    "sync.desc": (
        "Owner only: sync the slash commands",
        "Alleen eigenaar: synchroniseer de commando's",
    ),
    "digest": ("digest", "digest"),
    "digest.desc": ("Daily digests of the letters", "Dagelijkse overzichten van de brieven"),
    "digest-set": ("set", "instellen"),
    "digest-set.desc": (
        "Set this server's digest for a channel (Manage Server)",
        "Stel het overzicht van deze server in voor een kanaal (Server beheren)",
    ),
    "digest-subscribe": ("subscribe", "abonneren"),
    "digest-subscribe.desc": (
        "Get a personal digest by DM",
        "Ontvang een persoonlijk overzicht per DM",
    ),
    "digest-status": ("status", "status"),
    "digest-status.desc": (
        "Your and this server's digests",
        "Jouw overzicht en dat van deze server",
    ),
    "digest-preview": ("preview", "voorbeeld"),
    "digest-preview.desc": (
        "Show the next digest now, without sending it",
        "Toon het volgende overzicht nu, zonder het te versturen",
    ),
    "digest-off": ("off", "uit"),
    "digest-off.desc": ("Stop a digest", "Stop een overzicht"),
    "opt.channel": ("channel", "kanaal"),
    "opt.channel.desc": ("The channel", "Het kanaal"),
    "opt.time": ("time", "tijd"),
    "opt.time.desc": ("Time of day, HH:MM", "Tijdstip, UU:MM"),
    "opt.timezone": ("timezone", "tijdzone"),
    "opt.timezone.desc": (
        "IANA time zone (default Europe/Amsterdam)",
        "IANA-tijdzone (standaard Europe/Amsterdam)",
    ),
    "opt.topics": ("topics", "onderwerpen"),
    "opt.topics.desc": (
        "Only these topics, comma separated",
        "Alleen deze onderwerpen, met komma's",
    ),
    "opt.language": ("language", "taal"),
    "opt.language.desc": ("Language of the digest", "Taal van het overzicht"),
    "opt.frequency": ("frequency", "frequentie"),
    "opt.frequency.desc": ("How often", "Hoe vaak"),
    "opt.skip_empty": ("skip_empty", "sla_leeg_over"),
    "opt.skip_empty.desc": (
        "Skip days with nothing new",
        "Sla dagen zonder iets nieuws over",
    ),
    "opt.new_only": ("new_only", "alleen_nieuw"),
    "opt.new_only.desc": (
        "New letters only: no recommendation of the day, nothing on days without news",
        "Alleen nieuwe brieven: geen aanbeveling van de dag, niets op dagen zonder nieuws",
    ),
    "sources": ("sources", "bronnen"),
    "sources.desc": (
        "The sources briefbot follows for new letters",
        "De bronnen die briefbot volgt voor nieuwe brieven",
    ),
    "choice.daily": ("daily", "dagelijks"),
    "choice.weekdays": ("weekdays", "werkdagen"),
    "choice.weekly": ("weekly", "wekelijks"),
    "choice.nl": ("Dutch", "Nederlands"),
    "choice.en": ("English", "Engels"),
    # options
    "opt.letter": ("letter", "brief"),
    "opt.letter.desc": ("Letter (id or title)", "Brief (nummer of titel)"),
    "opt.topic": ("topic", "onderwerp"),
    "opt.topic.desc": (
        "Topic, e.g. coördinatie or kinderporno",
        "Onderwerp, bijv. coördinatie of kinderporno",
    ),
    "opt.length": ("length", "lengte"),
    "opt.length.desc": ("How many sentences", "Hoeveel zinnen"),
    "opt.text": ("text", "tekst"),
    "opt.text.desc": ("The fragment you remember", "Het fragment dat je nog weet"),
    "opt.question": ("question", "vraag"),
    "opt.question.desc": (
        "Your question, in Dutch or English",
        "Je vraag, in het Nederlands of Engels",
    ),
    "opt.public": ("public", "openbaar"),
    "opt.public.desc": (
        "Show the answer to everyone in the channel (default: yes)",
        "Toon het antwoord aan iedereen in het kanaal (standaard: ja)",
    ),
    "opt.file": ("file", "bestand"),
    "opt.file.desc": ("The letter as .txt or .pdf", "De brief als .txt of .pdf"),
    "choice.short": ("short (3)", "kort (3)"),
    "choice.default": ("default (5)", "standaard (5)"),
    "choice.long": ("long (10)", "lang (10)"),
}

# The kinds of recommendation, as users read them.
KIND_NAMES: dict[str, dict[str, str]] = {
    "nl": {
        "request": "verzoek",
        "plea": "pleidooi",
        "advice": "advies",
        "requirement": "vereiste",
        "concern": "zorg",
    },
    "en": {
        "request": "request",
        "plea": "plea",
        "advice": "advice",
        "requirement": "requirement",
        "concern": "concern",
    },
}

MESSAGES: dict[str, tuple[str, str]] = {
    "error.generic": (
        "Something went wrong on my side; it has been logged. Please try again.",
        "Er ging iets mis aan mijn kant; dat is gelogd. Probeer het nog eens.",
    ),
    "error.cooldown": (
        "Slow down a little: try again in {seconds} s.",
        "Rustig aan: probeer het over {seconds} s opnieuw.",
    ),
    "error.permission": (
        "Only members with **Manage Server** can do that; ask one of them.",
        "Alleen leden met **Server beheren** kunnen dat; vraag het een van hen.",
    ),
    "error.guild_only": (
        "That only works in a server; run it in one of the server's channels.",
        "Dat werkt alleen in een server; gebruik het in een kanaal van de server.",
    ),
    "error.not_owner": (
        "Only the bot's owner can do that.",
        "Alleen de eigenaar van de bot kan dat.",
    ),
    "error.busy": (
        "The database is busy; please try again in a moment.",
        "De database is bezig; probeer het zo nog eens.",
    ),
    "error.full": (
        "The bot's storage is full, so nothing was saved; this was logged for the operator. Please try again later.",
        "De opslag van de bot is vol, dus er is niets opgeslagen; dat is gelogd voor de beheerder. Probeer het later nog eens.",
    ),
    "error.not_this_server": (
        "That channel is not in this server; pick one of this server's text channels.",
        "Dat kanaal hoort niet bij deze server; kies een tekstkanaal van deze server.",
    ),
    "no_letters": ("No letters yet.", "Nog geen brieven."),
    "no_match": (
        "No sentence matches that fragment well enough. Try other words you remember.",
        "Geen zin lijkt genoeg op dat fragment. Probeer andere woorden die je nog weet.",
    ),
    "no_recommendations": ("No recommendations found.", "Geen aanbevelingen gevonden."),
    "no_answer": (
        "I found nothing in the letters that answers this.",
        "Ik vond niets in de brieven dat hierop antwoord geeft.",
    ),
    "no_topics": ("No topics yet.", "Nog geen onderwerpen."),
    "empty_query": ("Type a few words to search for.", "Typ een paar woorden om naar te zoeken."),
    "letters.title": ("Letters", "Brieven"),
    "topics.title": ("Topics", "Onderwerpen"),
    "summary.title": ("Summary: {title}", "Samenvatting: {title}"),
    "recommendations.title": ("Recommendations", "Aanbevelingen"),
    "recommendations.topic_title": ("Recommendations: {topic}", "Aanbevelingen: {topic}"),
    "recommendations.capped": (
        "*From the {shown} most recently added of {total} letters; choose a `letter` for the others.*",
        "*Uit de {shown} laatst toegevoegde van {total} brieven; kies een `brief` voor de andere.*",
    ),
    "quote.title": ("Best match ({score}/100)", "Beste treffer ({score}/100)"),
    "quote.next": ("Next match", "Volgende treffer"),
    "quote.none_left": ("No more matches.", "Geen treffers meer."),
    "quote.before": ("Before", "Ervoor"),
    "quote.after": ("After", "Erna"),
    "ask.title": ("Answer", "Antwoord"),
    "ask.sources": ("Sources", "Bronnen"),
    "page": ("Page {page} of {pages}", "Pagina {page} van {pages}"),
    "prev": ("Previous", "Vorige"),
    "next": ("Next", "Volgende"),
    "not_yours": (
        "These buttons belong to the person who asked; run the command yourself.",
        "Deze knoppen zijn van wie de vraag stelde; gebruik het commando zelf.",
    ),
    "letter.added": (
        "Added **{title}** as letter {id}: {pages}, {sentences}, {repairs}.",
        "**{title}** toegevoegd als brief {id}: {pages}, {sentences}, {repairs}.",
    ),
    "letter.unchanged": (
        "That letter is already here as letter {id}.",
        "Die brief staat er al, als brief {id}.",
    ),
    "letter.refused": (
        "I could not read **{name}**: {reason}.",
        "Ik kon **{name}** niet lezen: {reason}.",
    ),
    "letter.download_failed": (
        "the file could not be downloaded from Discord; attach it again",
        "het bestand kon niet van Discord worden gedownload; voeg het opnieuw toe",
    ),
    "letters.from_to": ("From {sender} to {recipient}", "Van {sender} aan {recipient}"),
    "letters.from": ("From {sender}", "Van {sender}"),
    "letters.to": ("To {recipient}", "Aan {recipient}"),
    "letter.too_big": (
        "That file is {size} MB; the limit is {limit} MB.",
        "Dat bestand is {size} MB; de grens is {limit} MB.",
    ),
    "letter.removed": ("Removed letter {id} ({title}).", "Brief {id} ({title}) verwijderd."),
    "letter.not_removable": (
        "Letter {ref} is not one of this server's letters.",
        "Brief {ref} is geen brief van deze server.",
    ),
    "sync.done": ("Synced {count}.", "{count} gesynchroniseerd."),
    "dm.rate_limited": (
        "You are sending questions faster than I can answer them; I will read again in {seconds} s.",
        "Je stuurt sneller vragen dan ik kan beantwoorden; over {seconds} s lees ik weer mee.",
    ),
    "help.title": (
        "briefbot: Dutch policy letters at work",
        "briefbot: beleidsbrieven aan het werk",
    ),
    "help.tour": ("Try these first", "Probeer eerst dit"),
    "help.try_quote": (
        "**/quote** `text: {fragment}`: the exact sentence a half-remembered fragment comes from (typos are fine).",
        "**/citaat** `tekst: {fragment}`: de precieze zin bij een half onthouden fragment (typfouten mogen).",
    ),
    "help.try_quote_plain": (
        "**/quote** `text: a few words you remember`: the exact sentence they come from (typos are fine).",
        "**/citaat** `tekst: een paar woorden die je nog weet`: de precieze zin waar ze uit komen (typfouten mogen).",
    ),
    "help.try_topic": (
        "**/recommendations** `topic: {topic}`: what the letters ask for on that topic.",
        "**/aanbevelingen** `onderwerp: {topic}`: wat de brieven over dat onderwerp vragen.",
    ),
    "help.try_topic_plain": (
        "**/recommendations**: what the letters ask for, per topic (**/topics** lists them).",
        "**/aanbevelingen**: wat de brieven vragen, per onderwerp (**/onderwerpen** toont ze).",
    ),
    "help.try_ask": (
        "**/ask** `question: {question}`: an answer with cited passages; or send me the question in a DM.",
        "**/vraag** `vraag: {question}`: een antwoord met geciteerde passages; of stuur me de vraag in een DM.",
    ),
    "help.try_ask_plain": (
        "**/ask** `question: ...`: an answer with cited passages; or send me the question in a DM.",
        "**/vraag** `vraag: ...`: een antwoord met geciteerde passages; of stuur me de vraag in een DM.",
    ),
    "help.no_letters": (
        "There are no letters yet: a server manager can add one with **/letter add**.",
        "Er zijn nog geen brieven: iemand met Server beheren kan er een toevoegen met **/brief toevoegen**.",
    ),
    "help.all": ("Everything else", "Al het andere"),
    "help.body": (
        "**/summary** `[letter] [topic] [length]`: the key sentences, with page and sentence.\n"
        "**/letters**, **/topics**: what I know.\n"
        "**/letter add** / **/letter remove**: manage this server's letters (Manage Server).\n"
        "**/digest**: a daily digest in a channel or your DMs.\n"
        "You can also DM me a question, or `samenvatting`, `aanbevelingen over X`, `citaat ...`.",
        "**/samenvatting** `[brief] [onderwerp] [lengte]`: de kernzinnen, met pagina en zin.\n"
        "**/brieven**, **/onderwerpen**: wat ik ken.\n"
        "**/brief toevoegen** / **/brief verwijderen**: beheer de brieven van deze server (Server beheren).\n"
        "**/digest**: een dagelijks overzicht in een kanaal of je DM.\n"
        "Je kunt me ook een vraag sturen in een DM, of `samenvatting`, `aanbevelingen over X`, `citaat ...`.",
    ),
    "digest.title": ("Digest of {date}", "Overzicht van {date}"),
    "digest.late": (
        "(sent late: the bot was offline at {time})",
        "(te laat verstuurd: de bot was offline om {time})",
    ),
    "digest.new_letter": ("New letter: {title}", "Nieuwe brief: {title}"),
    "digest.actions": ("Needs attention", "Vraagt aandacht"),
    "digest.summary": ("In short", "In het kort"),
    "digest.nothing_new": (
        "Nothing new since the last digest.",
        "Niets nieuws sinds het vorige overzicht.",
    ),
    "digest.welcome": (
        "Your first digest: what the newest letters ask for. From now on each digest brings what is new.",
        "Je eerste overzicht: wat de nieuwste brieven vragen. Vanaf nu brengt elk overzicht wat er nieuw is.",
    ),
    "digest.welcome_empty": (
        "Your first digest: there are no letters yet. New letters will show up here.",
        "Je eerste overzicht: er zijn nog geen brieven. Nieuwe brieven verschijnen hier.",
    ),
    "digest.sample": (
        "An example: no digest is set here yet. This is what the first one would say; set one with /digest set (a channel, Manage Server) or /digest subscribe (your DMs).",
        "Een voorbeeld: hier is nog geen overzicht ingesteld. Zo zou het eerste eruitzien; stel er een in met /digest instellen (een kanaal, Server beheren) of /digest abonneren (je DM).",
    ),
    "digest.sample_footer": ("briefbot · example digest", "briefbot · voorbeeldoverzicht"),
    "digest.letter": ("{title}", "{title}"),
    "digest.asks": ("What it asks", "Wat de brief vraagt"),
    "digest.pick": ("Recommendation of the day", "Aanbeveling van de dag"),
    "digest.more": (
        "Ask for more with /summary letter:{letter}",
        "Meer met /samenvatting brief:{letter}",
    ),
    "digest.saved": (
        "Digest set: {target}, {frequency} at {time} ({zone}); next on {next}.",
        "Overzicht ingesteld: {target}, {frequency} om {time} ({zone}); volgende op {next}.",
    ),
    "digest.none": (
        "No digest is set here; set one with /digest set (a channel) or /digest subscribe (your DMs).",
        "Hier is geen overzicht ingesteld; stel er een in met /digest instellen (een kanaal) of /digest abonneren (je DM).",
    ),
    "digest.none_to_stop": (
        "You have no digest to stop here; /digest status shows the digests.",
        "Je hebt hier geen overzicht om te stoppen; /digest status toont de overzichten.",
    ),
    "digest.off_done": ("Digest stopped: {target}.", "Overzicht gestopt: {target}."),
    "digest.which": (
        "Which digest should stop?",
        "Welk overzicht moet stoppen?",
    ),
    "digest.gone": (
        "That digest no longer exists; /digest status shows the digests.",
        "Dat overzicht bestaat niet meer; /digest status toont de overzichten.",
    ),
    "digest.status_line": (
        "**{target}**: {frequency} at {time} ({zone}), topics: {topics}, language {language}; {state}",
        "**{target}**: {frequency} om {time} ({zone}), onderwerpen: {topics}, taal {language}; {state}",
    ),
    "digest.next": ("next {when}", "volgende {when}"),
    "digest.paused": ("paused: {reason}", "gepauzeerd: {reason}"),
    "digest.paused_notice": (
        "Your briefbot digest for {target} was paused: {reason}. Set it again with /digest set.",
        "Je briefbot-overzicht voor {target} is gepauzeerd: {reason}. Stel het opnieuw in met /digest instellen.",
    ),
    "digest.your_dms": ("your DMs", "je DM"),
    "digest.all_topics": ("all", "alle"),
    "digest.new_only": ("new letters only", "alleen nieuwe brieven"),
    "forget.done": (
        "Done: {subscriptions} deleted. briefbot keeps no record of your questions.",
        "Gedaan: {subscriptions} gewist. briefbot bewaart je vragen niet.",
    ),
    "dm.failed": (
        "Something went wrong while answering; it has been logged. Please ask again in a moment.",
        "Er ging iets mis bij het antwoorden; dat is gelogd. Vraag het zo nog eens.",
    ),
    "footer": ("briefbot · {source}", "briefbot · {source}"),
    "cite": (
        "letter {letter}, p. {page}, s. {sentence}",
        "brief {letter}, p. {page}, zin {sentence}",
    ),
    "more_in_file": (
        "(the full answer did not fit; {count} more)",
        "(het volledige antwoord paste niet; nog {count})",
    ),
}

#: Counted words: word -> ((English one, many), (Dutch one, many)).
PLURALS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "page": (("page", "pages"), ("pagina", "pagina's")),
    "sentence": (("sentence", "sentences"), ("zin", "zinnen")),
    "repair": (("repair", "repairs"), ("reparatie", "reparaties")),
    "letter": (("letter", "letters"), ("brief", "brieven")),
    "command": (("command", "commands"), ("commando", "commando's")),
    "item": (("item", "items"), ("item", "items")),
    "subscription": (
        ("digest subscription", "digest subscriptions"),
        ("abonnement op een overzicht", "abonnementen op overzichten"),
    ),
}


def n(count: int, word: str, lang: str) -> str:
    """``1 page``, ``2 pages``, ``1 pagina``, ``2 pagina's``."""
    en, nl = PLURALS[word]
    one, many = nl if lang == "nl" else en
    return f"{count} {one if count == 1 else many}"


def lang_of(locale: discord.Locale | str | None) -> str:
    """``nl`` for Dutch clients, ``en`` for everyone else."""
    value = locale.value if isinstance(locale, discord.Locale) else (locale or "")
    return "nl" if value.lower().startswith("nl") else "en"


def t(key: str, lang: str, /, **values: object) -> str:
    en, nl = MESSAGES[key]
    text = nl if lang == "nl" else en
    return text.format(**values) if values else text


def cmd(key: str) -> app_commands.locale_str:
    """A command text in English, carrying its key for the Dutch translation."""
    return app_commands.locale_str(COMMAND_TEXT[key][0], key=key)


class Translator(app_commands.Translator):
    """Gives Discord the Dutch names and descriptions of commands, options and choices."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale is not discord.Locale.dutch:
            return None
        key = string.extras.get("key")
        entry = COMMAND_TEXT.get(key) if key else None
        return entry[1] if entry else None


# --------------------------------------------------------------------------- refusals
#
# The services refuse bad requests with a LookupError, ValueError or LetterError whose message
# is an English sentence (the command line shows it as it is). That English text is the message
# id, as in gettext: each entry below recognises one message (named groups carry what varies)
# and gives its key; REFUSAL_TEXT holds the sentence in English and Dutch, saying what to do
# next. A message no entry recognises is said in English as the service wrote it, and in Dutch
# as a general sentence (never English in a Dutch reply); tests/chat/test_i18n.py checks that
# every message the services can raise is recognised.

Where = Literal["discord", "cli"]

#: Commands a refusal may point to, per place and language: {letters} -> "/letters" ...
_POINTERS: dict[str, tuple[str, str, str]] = {
    # name: (Discord English, Discord Dutch, command line)
    "letters": ("/letters", "/brieven", "`briefbot letters`"),
    "topics": ("/topics", "/onderwerpen", "`briefbot topics`"),
    "add": ("/letter add", "/brief toevoegen", "`briefbot ingest`"),
    "digest_set": ("/digest set", "/digest instellen", "`briefbot digest add`"),
    "digest_subscribe": ("/digest subscribe", "/digest abonneren", "`briefbot digest add --user`"),
    "help": ("/help", "/help", "`briefbot --help`"),
}

#: (key, pattern) in the order they are tried; the pattern must match the whole message.
REFUSALS: tuple[tuple[str, str], ...] = (
    # letters and topics
    ("no_letter_about", r"no letter is about (?P<topic>.+)"),
    ("letter_silent", r"letter (?P<letter>.+) says nothing about (?P<topic>.+)"),
    ("no_letters", r"there are no letters yet.*"),
    ("no_letter", r"no letter (?P<ref>['\"].*['\"])"),
    ("name_letter", r"name a letter by its id or slug.*"),
    ("topic_too_long", r"that topic is too long.*"),
    ("name_topic", r"name a topic.*"),
    ("no_topic_none", r"no topic (?P<topic>.+?); topics that come close: none yet"),
    (
        "no_topic",
        r"no topic (?P<topic>.+?)(?:; the letters mention it in \S+ sentences? but make no "
        r"recommendation about it)?; topics that come close: (?P<close>.+)",
    ),
    (
        "no_topic_main",
        r"no topic (?P<topic>.+?)(?:; the letters mention it in \S+ sentences? but make no "
        r"recommendation about it)?; the letters' main topics: (?P<close>.+)",
    ),
    ("no_topic_none", r"no topic (?P<topic>.+?)(?:; the letters mention it in .*)?"),
    # quotes
    ("empty_quote", r"give a few words of the sentence.*"),
    ("not_a_reference", r"(?P<ref>.+) is not a sentence reference like '12:34'"),
    ("no_sentence", r"no sentence (?P<ref>['\"].*['\"])"),
    # summaries
    (
        "summary_length",
        r"(?:length must be a number.*|unknown summary length.*|a summary has 1 to 20 sentences)",
    ),
    # digests
    ("bad_time", r"(?P<value>.+) is not a time; .*"),
    ("bad_zone", r"(?P<value>.+) is not an IANA time zone.*"),
    ("bad_frequency", r"frequency must be one of .*"),
    ("bad_language", r"language must be nl or en"),
    ("needs_channel", r"a server digest needs a channel.*"),
    ("foreign_channel", r"that channel belongs to another server.*"),
    ("channel_taken", r"channel (?P<channel>.+) already has a digest of another server.*"),
    ("paused", r"subscription \S+ is paused \((?P<reason>.+)\); .*"),
    ("busy_sending", r"the bot is sending today's digest .*"),
    # files (uploads and ingest)
    ("file_empty", r"(?i:the file is empty\.?)"),
    ("binary", r"this is a binary file.*|the text holds NUL characters.*"),
    ("encoding", r"unreadable encoding.*"),
    ("text_too_long", r"the text is too long for a letter \((?P<size>.+) characters\)"),
    ("text_too_slow", r"the text took too long to read.*"),
    (
        "too_many_sentences",
        r"it has (?P<count>.+) sentences; a letter added in Discord may have at most "
        r"(?P<limit>\S+) .*",
    ),
    (
        "not_a_letter",
        r"this does not look like a letter.*|no letter text found.*"
        r"|no text found after removing the page headers.*",
    ),
    ("too_little_text", r"too little text to be a (?:letter|policy document).*"),
    ("not_dutch", r"this does not look like Dutch text.*"),
    ("pdf_busy", r"The PDF reader is busy.*"),
    ("pdf_scanned", r"This PDF has no text layer.*"),
    ("not_pdf_like", r"This file is not a PDF: it looks like (?P<what>.+?)\.?"),
    ("not_pdf", r"This file is not a PDF.*"),
    ("pdf_incomplete", r"This PDF is incomplete.*"),
    ("pdf_password", r"This PDF is password-protected.*"),
    ("pdf_encrypted", r"This PDF is encrypted.*"),
    ("pdf_no_pages", r"This PDF has no pages.*"),
    (
        "pdf_damaged",
        r"This PDF is damaged.*|This PDF cannot be read.*|Page \S+ of this PDF is damaged.*"
        r"|This PDF crashed the PDF reader.*",
    ),
    (
        "pdf_too_big",
        r"This PDF has \S+ pages, more than.*|Page \S+ of this PDF (?:holds|is made of).*"
        r"|This PDF holds more than.*|Reading this PDF (?:took longer|needs more).*",
    ),
    ("file_too_big", r"the file is larger than (?P<limit>\S+) MB.*"),
    ("file_too_big", r"the file is (?P<size>\S+) MB; the limit is (?P<limit>\S+) MB.*"),
    ("unknown_type", r"unknown file type (?P<ext>.+?): briefbot reads .*"),
    ("unreadable_file", r"cannot read the file: (?P<why>.+)"),
    ("not_a_file", r"this is (?P<what>.+), not a file; .*"),
    (
        "too_many_letters",
        r"the file holds (?P<count>\S+) different letters, more than the (?P<limit>\S+) .*",
    ),
    ("no_letter_readable", r"none of the (?P<count>\S+) letters in the file could be read: .*"),
)

_COMPILED = tuple((key, re.compile(pattern, re.DOTALL)) for key, pattern in REFUSALS)

#: key -> (English, Dutch). Values in braces come from the message or from _POINTERS. (For
#: files, English shows the reader's own sentence; the English here says what the Dutch says.)
REFUSAL_TEXT: dict[str, tuple[str, str]] = {
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
    "summary_length": (
        "Choose a length: short (3), default (5), long (10) or 1 to 20 sentences.",
        "Kies een lengte: kort (3), standaard (5), lang (10) of 1 tot 20 zinnen.",
    ),
    "bad_time": (
        "{value} is not a time; use HH:MM, for example 09:00.",
        "{value} is geen tijdstip; gebruik UU:MM, bijvoorbeeld 09:00.",
    ),
    "bad_zone": (
        "{value} is not a time zone; use a name like Europe/Amsterdam.",
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
        "This digest is paused ({reason}); set it again with {digest_set} or {digest_subscribe} to resume it.",
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
}

#: Said in Dutch when a service message is not recognised (English is then said as written).
_UNKNOWN_NL = {
    "letter": "Ik kon dit bestand niet als brief lezen; controleer of het een Nederlandse brief is (.txt, of .pdf met tekstlaag).",
    "request": "Dat kan ik zo niet doen; controleer wat je invulde, of kijk in /help hoe het werkt.",
}

#: Why a digest was paused (bot.chat.cogs.digests.PERMANENT and its other reasons), in Dutch.
PAUSE_REASONS_NL: dict[str, str] = {
    "the channel was deleted": "het kanaal is verwijderd",
    "the user is unknown": "de gebruiker is onbekend",
    "the bot has no access to the channel": "de bot kan niet bij het kanaal",
    "the bot lacks permission to post there": "de bot mag daar niet posten",
    "the user does not accept direct messages": "de gebruiker ontvangt geen privéberichten",
    "the channel or user is gone": "het kanaal of de gebruiker bestaat niet meer",
    "the bot is not allowed to post there": "de bot mag daar niet posten",
    "the channel cannot hold messages": "in dat kanaal kunnen geen berichten staan",
    "the user is no longer a member of the server this digest was set up in": (
        "de gebruiker is geen lid meer van de server waar dit overzicht is ingesteld"
    ),
    "briefbot is no longer in the server this digest was set up in": (
        "briefbot zit niet meer in de server waar dit overzicht is ingesteld"
    ),
}


def pause_reason(reason: str, lang: str) -> str:
    """Why a digest is paused, in ``lang`` (reasons are stored in English)."""
    if lang != "nl":
        return reason
    return PAUSE_REASONS_NL.get(reason, "Discord weigerde het bericht")


def recognise(message: str) -> tuple[str, dict[str, str]] | None:
    """The refusal key of a service message and the values it carries; None if unknown."""
    text = message.strip()
    for key, pattern in _COMPILED:
        m = pattern.fullmatch(text)
        if m:
            return key, {k: v for k, v in m.groupdict().items() if v is not None}
    return None


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


def refusal(
    message: str,
    lang: str,
    *,
    where: Where = "discord",
    kind: Literal["request", "letter"] = "request",
    escape: Callable[[str], str] | None = None,
) -> str:
    """A service's refusal (its English message) as one sentence in ``lang`` that says what to
    do next, pointing at the slash commands (``discord``) or the CLI's commands (``cli``).
    ``escape`` is applied to what the user typed or a letter says (markdown in Discord)."""
    found = recognise(message)
    nl = lang == "nl"
    if found is None or (kind == "letter" and not nl):
        # in English a file's refusal is the reader's own sentence: it names the detail
        # (what the file looks like, which limit) and what to do
        return _UNKNOWN_NL[kind] if nl else sentence(message)
    key, values = found
    if escape is not None:
        values = {k: escape(v) for k, v in values.items()}
    if key == "paused":
        values["reason"] = pause_reason(found[1]["reason"], lang)
    column = 2 if where == "cli" else (1 if nl else 0)
    pointers = {name: choices[column] for name, choices in _POINTERS.items()}
    en, dutch = REFUSAL_TEXT[key]
    return (dutch if nl else en).format(**pointers, **values)
