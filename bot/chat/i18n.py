"""Dutch and English for everything the bot says and for the slash-command schema.

Command names, descriptions and option names are English at base with Dutch localizations
(Discord shows users the one for their client language). Messages follow the user's locale:
Dutch for ``nl``, English otherwise. Letter text is never translated.
"""

from __future__ import annotations

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


def t_choice(value: str, lang: str) -> str:
    """A choice's label (``daily`` -> ``dagelijks``) in ``lang``."""
    en, nl = COMMAND_TEXT[f"choice.{value}"]
    return nl if lang == "nl" else en


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


# --------------------------------------------------------------------------- digests paused
#
# Why Discord made a digest stop (bot.chat.digests.sender): stored with the subscription in
# English (``briefbot digest list`` shows it), said to a Dutch reader in Dutch.

#: key -> (English, as stored; Dutch).
PAUSE_REASONS: dict[str, tuple[str, str]] = {
    "channel_deleted": ("the channel was deleted", "het kanaal is verwijderd"),
    "user_unknown": ("the user is unknown", "de gebruiker is onbekend"),
    "no_access": ("the bot has no access to the channel", "de bot kan niet bij het kanaal"),
    "no_permission": ("the bot lacks permission to post there", "de bot mag daar niet posten"),
    "dms_closed": (
        "the user does not accept direct messages",
        "de gebruiker ontvangt geen privéberichten",
    ),
    "gone": ("the channel or user is gone", "het kanaal of de gebruiker bestaat niet meer"),
    "forbidden": ("the bot is not allowed to post there", "de bot mag daar niet posten"),
    "not_messageable": (
        "the channel cannot hold messages",
        "in dat kanaal kunnen geen berichten staan",
    ),
    "not_a_member": (
        "the user is no longer a member of the server this digest was set up in",
        "de gebruiker is geen lid meer van de server waar dit overzicht is ingesteld",
    ),
    "not_in_server": (
        "briefbot is no longer in the server this digest was set up in",
        "briefbot zit niet meer in de server waar dit overzicht is ingesteld",
    ),
}
_PAUSE_KEYS = {en: key for key, (en, _) in PAUSE_REASONS.items()}


def pause_text(key: str) -> str:
    """The reason of ``key`` as it is stored (English)."""
    return PAUSE_REASONS[key][0]


def pause_reason(reason: str, lang: str) -> str:
    """Why a digest is paused, in ``lang`` (the stored reason is the English of a key)."""
    if lang != "nl":
        return reason
    key = _PAUSE_KEYS.get(reason)
    return PAUSE_REASONS[key][1] if key else "Discord weigerde het bericht"
