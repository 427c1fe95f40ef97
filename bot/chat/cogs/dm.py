"""Direct messages: a DM is a question, answered with cited passages.

Understands ``samenvatting``, ``aanbevelingen over X`` and ``citaat ...`` style requests (the
ask service routes them), answers greetings and empty messages with help, ignores bots and
itself, and limits each user to a few questions a minute with one polite notice.
DM text is never logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict, deque
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.chat import present
from bot.chat.errors import explain
from bot.chat.i18n import t
from bot.chat.replies import NO_MENTIONS
from bot.core.text import words
from bot.services.scope import GLOBAL
from bot.services.tour import Tour

if TYPE_CHECKING:
    from bot.chat.client import BriefBot

log = logging.getLogger(__name__)

RATE = 5  # questions
PER = 60.0  # seconds
MAX_QUESTION = 2000
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
    ws = words(text)
    en = sum(w in _ENGLISH for w in ws)
    nl = sum(w in _DUTCH for w in ws)
    return "en" if en > nl else "nl"


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


class DirectMessages(commands.Cog):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.limiter = RateLimiter()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is not None:
            return
        if self.bot.user is not None and message.author.id == self.bot.user.id:
            return
        text = (message.content or "").strip()
        lg = guess_lang(text)
        allowed, wait = self.limiter.hit(message.author.id)
        if not allowed:
            if self.limiter.should_notify(message.author.id):
                await self._send(
                    message, content=t("dm.rate_limited", lg, seconds=max(1, round(wait)))
                )
            return
        if not text or _GREETING.match(text):
            try:
                tour = await self.bot.tour.tour(GLOBAL, lg)
            except Exception:
                log.exception("DM help examples failed", extra={"user": message.author.id})
                tour = Tour()
            await self._send(message, embeds=[present.help_embed(tour, lg)])
            return
        try:
            async with message.channel.typing():
                answers = self.bot.get_cog("Answers")
                pages = await answers.answer_pages(GLOBAL, lg, text[:MAX_QUESTION])  # type: ignore[union-attr]
        except (LookupError, ValueError) as exc:  # a refusal: said in the asker's language
            await self._send(message, content=explain(exc, lg))
            return
        except Exception:
            log.exception("DM answer failed", extra={"user": message.author.id})
            await self._send(message, content=t("dm.failed", lg))
            return
        if not pages:
            await self._send(message, content=t("no_answer", lg))
            return
        for page in pages[:3]:
            await self._send(message, embeds=[page])

    async def _send(self, message: discord.Message, **kwargs: object) -> None:
        try:
            await message.channel.send(allowed_mentions=NO_MENTIONS, **kwargs)  # type: ignore[arg-type]
        except discord.HTTPException as exc:
            log.info(
                "could not answer a DM", extra={"user": message.author.id, "status": exc.status}
            )
