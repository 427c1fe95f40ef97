"""Direct messages: a DM is a question. What to do with one is decided here; the Discord adapter
only shows it.

A greeting or an empty message gets help (the tour's examples); anything else is a question,
answered like ``/ask`` (``samenvatting``, ``aanbevelingen over X``, ``citaat ...`` follow their
route). Each user may ask :data:`RATE` questions per :data:`PER` seconds; past that, one polite
notice, then silence until the window has room again. The reply's language is guessed from the
message. DM text is never logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Literal

from bot.core.text import words
from bot.services.ask import AskService, Reply
from bot.services.scope import GLOBAL
from bot.services.tour import Tour, TourService

log = logging.getLogger(__name__)

RATE = 5  # questions
PER = 60.0  # seconds
MAX_QUESTION = 2000  # characters of a DM read as the question
# A chat answer (``/ask`` and DMs alike): a summary of five sentences, recommendations of at
# most the hundred most recently added letters (a message need not hold ten thousand letters')
CHAT_SUMMARY_LENGTH = 5
CHAT_MAX_LETTERS = 100
_GREETING = re.compile(
    r"^\s*(?:hallo|hoi|hey|hi|hello|goedemorgen|goedemiddag|goedenavond|dag|help|hulp|\?|"
    r"good (?:morning|afternoon|evening)|yo)\b[\s!.?]*$",
    re.IGNORECASE,
)
_ENGLISH = frozenset(
    "the what which who how is are does do about please of and in to for on".split()
)
_DUTCH = frozenset("de het een wat welke wie hoe is zijn over en van in te voor op aan".split())


def guess_lang(text: str) -> str:
    """``en`` when the message reads as English, else ``nl``."""
    ws = words(text)
    en = sum(w in _ENGLISH for w in ws)
    nl = sum(w in _DUTCH for w in ws)
    return "en" if en > nl else "nl"


def is_greeting(text: str) -> bool:
    return not text.strip() or bool(_GREETING.match(text))


class RateLimiter:
    """At most ``rate`` events per ``per`` seconds per key; tells you when to notify once."""

    def __init__(self, rate: int = RATE, per: float = PER) -> None:
        self.rate = rate
        self.per = per
        self.events: dict[int, deque[float]] = defaultdict(deque)
        self.notified: dict[int, float] = {}

    def hit(self, key: int, now: float | None = None) -> tuple[bool, float]:
        """(allowed, seconds until allowed again)."""
        now = time.monotonic() if now is None else now
        q = self.events[key]
        while q and now - q[0] >= self.per:
            q.popleft()
        if len(q) < self.rate:
            q.append(now)
            self.notified.pop(key, None)
            return True, 0.0
        return False, self.per - (now - q[0])

    def should_notify(self, key: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        last = self.notified.get(key)
        if last is not None and now - last < self.per:
            return False
        self.notified[key] = now
        return True


@dataclass(frozen=True, slots=True)
class Turn:
    """What to do with one DM. ``quiet``: nothing (rate limited, told already);
    ``rate_limited``: say so (``wait`` seconds); ``help``: show the tour; ``question``: answer
    ``question`` (with :meth:`ConversationService.answer`). ``lang``: the reply's language."""

    kind: Literal["quiet", "rate_limited", "help", "question"]
    lang: str
    wait: int = 0
    tour: Tour | None = None
    question: str = ""


class ConversationService:
    def __init__(self, answers: AskService, tour: TourService) -> None:
        self.answers = answers
        self.tour = tour
        self.limiter = RateLimiter()

    async def receive(self, user_id: int, text: str) -> Turn:
        """Decide what to do with a DM from ``user_id``."""
        text = (text or "").strip()
        lang = guess_lang(text)
        allowed, wait = self.limiter.hit(user_id)
        if not allowed:
            if self.limiter.should_notify(user_id):
                return Turn("rate_limited", lang, wait=max(1, round(wait)))
            return Turn("quiet", lang)
        if is_greeting(text):
            try:
                tour = await self.tour.tour(GLOBAL, lang)
            except Exception:
                log.exception("DM help examples failed", extra={"user": user_id})
                tour = Tour()
            return Turn("help", lang, tour=tour)
        return Turn("question", lang, question=text[:MAX_QUESTION])

    async def answer(self, turn: Turn) -> Reply:
        """The answer to a DM question: as ``/ask`` answers it, from the letters everyone sees
        (a DM belongs to no server)."""
        return await self.answers.answer(
            turn.question,
            scope=GLOBAL,
            summary_length=CHAT_SUMMARY_LENGTH,
            max_letters=CHAT_MAX_LETTERS,
        )
