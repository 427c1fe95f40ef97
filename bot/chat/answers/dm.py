"""Direct messages: a DM is a question. The conversation service decides what to do with it
(help, a notice that the user asks too fast, silence, or an answer); this cog shows it. Ignores
bots and itself; DM text is never logged.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.ext import commands

from bot.chat.answers.render import reply_pages
from bot.chat.common import ClientBase
from bot.chat.errors import explain
from bot.chat.i18n import t
from bot.chat.letters.render import help_embed
from bot.chat.replies import NO_MENTIONS

log = logging.getLogger(__name__)

MAX_PAGES = 3  # a long answer in a DM: its first pages


class DirectMessages(commands.Cog):
    def __init__(self, bot: ClientBase) -> None:
        self.bot = bot
        self.services = bot.services

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is not None:
            return
        if self.bot.user is not None and message.author.id == self.bot.user.id:
            return
        turn = await self.services.conversations.receive(message.author.id, message.content)
        lg = turn.lang
        if turn.kind == "quiet":
            return
        if turn.kind == "rate_limited":
            await self._send(message, content=t("dm.rate_limited", lg, seconds=turn.wait))
            return
        if turn.kind == "help":
            assert turn.tour is not None
            await self._send(message, embeds=[help_embed(turn.tour, lg)])
            return
        try:
            async with message.channel.typing():
                reply = await self.services.conversations.answer(turn)
                pages = await asyncio.to_thread(reply_pages, self.services.catalog, reply, lg)
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
        for page in pages[:MAX_PAGES]:
            await self._send(message, embeds=[page])

    async def _send(self, message: discord.Message, **kwargs: object) -> None:
        try:
            await message.channel.send(allowed_mentions=NO_MENTIONS, **kwargs)  # type: ignore[arg-type]
        except discord.HTTPException as exc:
            log.info(
                "could not answer a DM", extra={"user": message.author.id, "status": exc.status}
            )
