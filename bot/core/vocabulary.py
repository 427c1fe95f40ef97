"""Closed word classes of Dutch official letters, shared by the detectors.

These are properties of the genre (Dutch government letter layout, Dutch grammar), not of any
particular letter: month names, titles, closing formulas, the words of a letterhead.
"""

from __future__ import annotations

MONTHS = {
    "januari": 1,
    "februari": 2,
    "maart": 3,
    "april": 4,
    "mei": 5,
    "juni": 6,
    "juli": 7,
    "augustus": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}
MONTH_RE = "(?:" + "|".join(MONTHS) + ")"

# Forms of address and titles in salutations and address blocks.
TITLES = frozenset(
    """
    mevrouw mevr mw heer hr dhr de meneer dames heren en voorzitter kamerleden leden lid
    minister ministers staatssecretaris staatssecretarissen informateur informateurs
    excellentie burgemeester wethouder wethouders commissaris directeur drs dr mr ir ing
    prof bc collega collegas beste zeer geachte hooggeachte
    """.split()
)

# Words that open a Dutch main clause after a heading; used to find inline headings in damaged
# text, where a heading runs into the first sentence of its section without punctuation.
SENTENCE_OPENERS = frozenset(
    """
    de het een in ik dit deze dat er ook zo om met voor op bij als naast daarnaast daarbij
    verder tot nu sinds hoewel omdat wanneer indien tevens bovendien echter ieder iedere elk
    elke alle uit door na over graag onder volgens gezien vanwege mede hierbij hiermee
    hierin hiervoor daarom dus tenslotte vervolgens allereerst ten eerste tweede derde wij
    we u mijn onze uw inmiddels recent onlangs eerder zoals juist vooral met helaas gelukkig
    kortom samenvattend bijvoorbeeld momenteel thans al aan vanuit binnen buiten tijdens
    teneinde zij hij het
    """.split()
)

# Function words: a heading, a name or a salutation never ends on one of these.
FUNCTION_WORDS = frozenset(
    """
    de het een en of van in op te voor met aan bij door als dat die dit deze om tot uit naar
    over onder tegen zonder is zijn was waren wordt worden heeft hebben kan kunnen moet
    moeten zal zullen wil willen niet ook nog wel maar dan want dus er hier daar zo ik u we
    wij zij hij
    """.split()
)

CLOSING_RE = (
    r"(?:met (?:zeer )?(?:vriendelijke|hartelijke|collegiale|beleefde|vriendelijk)e? groet(?:en)?"
    r"|met (?:de meeste )?hoogachting|hoogachtend|met groet(?:en)?)"
)

SALUTATION_RE = r"(?:(?:zeer |hoog)?geachte|excellenties?|beste|lieve|dames en heren)"

# Words that begin a role or organisation line in a signature or contact block.
ROLE_WORDS = frozenset(
    """
    nationaal nationale rapporteur minister staatssecretaris directeur voorzitter hoofd
    secretaris bureau ministerie raad commissie college inspectie beleidsmedewerker
    onderzoeker senior adviseur woordvoerder coordinator namens plaatsvervangend algemeen
    griffier juridisch medewerker projectleider teamleider manager programmamanager
    burgemeester wethouder inspecteur bestuurder directeur-bestuurder president
    vicepresident vice-voorzitter ondervoorzitter penningmeester commissaris ombudsman
    kinderombudsman korpschef procureur-generaal secretaris-generaal directeur-generaal
    inspecteur-generaal gedeputeerde politiechef hoofdofficier officier commandant procureur
    rector hoogleraar lector ombudsvrouw
    """.split()
)

# Words that begin the name of an organisation (``Stichting Vrij Werk``, ``de Raad voor ...``,
# ``Het college van burgemeester en wethouders``): the sender of a letter, not a person.
ORG_WORDS = frozenset(
    """
    stichting vereniging branchevereniging brancheorganisatie beroepsvereniging federatie
    raad adviesraad adviescollege college inspectie ministerie gemeente provincie waterschap
    kenniscentrum expertisecentrum bureau platform centrum commissie fonds autoriteit dienst
    agentschap bond vakbond coalitie netwerk genootschap orde instituut academie unie koepel
    landelijk landelijke nederlandse nederlands coöperatie cooperatie directoraat-generaal
    directoraat directie afdeling politie universiteit hogeschool ggd onderzoeksgroep lectoraat
    """.split()
)

# Ministers "voor" a policy area (without a ministry of their own) and the ministry that hosts
# them, for the cabinets since 2010: the sender of a letter such a minister signs. Keys are
# folded (see bot.core.text.fold).
HOSTED_MINISTERS = {
    "rechtsbescherming": "Justitie en Veiligheid",
    "migratie": "Justitie en Veiligheid",
    "immigratie integratie en asiel": "Binnenlandse Zaken en Koninkrijksrelaties",
    "wonen en rijksdienst": "Binnenlandse Zaken en Koninkrijksrelaties",
    "volkshuisvesting en ruimtelijke ordening": "Binnenlandse Zaken en Koninkrijksrelaties",
    "primair en voortgezet onderwijs": "Onderwijs, Cultuur en Wetenschap",
    "basis en voortgezet onderwijs en media": "Onderwijs, Cultuur en Wetenschap",
    "medische zorg": "Volksgezondheid, Welzijn en Sport",
    "medische zorg en sport": "Volksgezondheid, Welzijn en Sport",
    "langdurige zorg jeugd en sport": "Volksgezondheid, Welzijn en Sport",
    "buitenlandse handel en ontwikkelingssamenwerking": "Buitenlandse Zaken",
    "klimaat en energie": "Economische Zaken en Klimaat",
    "natuur en stikstof": "Landbouw, Natuur en Voedselkwaliteit",
    "armoedebeleid participatie en pensioenen": "Sociale Zaken en Werkgelegenheid",
    "europese zaken": "Buitenlandse Zaken",
}

# Common finite verbs (and modal and auxiliary forms) of the genre: a phrase with one of these
# is a clause, not a heading; a sentence without any is likely a reference or a title.
FINITE_VERBS = frozenset(
    """
    is zijn was waren wordt worden werd werden heeft hebben had hadden kan kunnen moet moeten
    zal zullen wil willen blijkt blijken gaat gaan geldt gelden komt komen staat staan ligt
    liggen lijkt lijken vindt vinden doet doen maakt maken geeft geven ben heb hoop verzoek
    vraag pleit beveel acht constateer vind zou zouden mag mogen
    """.split()
)

# Nouns that head the name of a Dutch public body or organisation ("Raad voor ...",
# "Adviescollege ...", "Inspectie ...", "Stichting ..."), singular and plural. An author that
# writes in the third person refers to itself by its name or by this noun ("de Raad", "het
# college", "de inspecties"); a long name ending in one of these (``adviescollege``,
# ``arbeidsinspectie``) is read the same way.
INSTITUTION_NOUNS = frozenset(
    """
    raad raden college colleges commissie commissies inspectie inspecties vereniging
    verenigingen stichting stichtingen bond bonden federatie federaties platform centrum
    autoriteit autoriteiten ombudsman ombudsvrouw gemeente gemeenten provincie provincies
    ministerie ministeries kabinet rapporteur bureau directie koepel koepels netwerk alliantie
    coalitie organisatie organisaties instituut academie bestuur toezichthouder
    toezichthouders kenniscentrum kenniscentra branchevereniging dienst politie
    """.split()
)

# Abbreviations after which a period does not end a sentence.
ABBREVIATIONS = frozenset(
    """
    drs dr mr ir ing prof mw mevr dhr hr bijv bv vgl jl jo ca resp incl excl nr nrs art artt
    blz p pp enz etc st sr sv stb stcrt jr sen vs zgn
    """.split()
)


def _stopwords() -> frozenset[str]:
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords("nl"))


# Dutch stopwords (stopwords-iso, MIT). Negations are in it: callers that rank answers keep them.
STOPWORDS: frozenset[str] = _stopwords()
NEGATIONS = frozenset({"geen", "niet", "zonder", "nooit", "niets", "niemand", "nergens"})
