"""``/summary``, ``/recommendations``, ``/quote``, ``/ask`` and ``/topics``."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat import present
from bot.chat.common import choice, cooldown, lang, letter_choices, scope_of
from bot.chat.i18n import cmd, t
from bot.chat.replies import defer, respond
from bot.chat.views import NextMatchView, Paginator

if TYPE_CHECKING:
    from bot.chat.client import BriefBot
    from bot.services.scope import Scope

log = logging.getLogger(__name__)

CHAT_MAX_LETTERS = 100  # recommendations across letters: the most recent hundred


async def send_pages(
    interaction: discord.Interaction, pages: list[discord.Embed], *, public: bool
) -> None:
    view = Paginator(pages, interaction.user.id, lang(interaction)) if len(pages) > 1 else None
    message = await respond(interaction, embeds=[pages[0]], view=view, ephemeral=not public)
    if view is not None:
        view.message = message


class Answers(commands.Cog):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    # ------------------------------------------------------------------ shared with /ask, DMs

    async def summary_pages(
        self, scope: Scope, lg: str, *, letter: str | None, topic: str | None, length: int = 5
    ) -> list[discord.Embed]:
        summary = await self.bot.core.summaries.summarize(
            scope=scope, letter=letter, topic=topic, length=length
        )
        return present.summary_pages(self.bot.core, summary, lg)

    async def recommendation_pages(
        self, scope: Scope, lg: str, *, topic: str | None, letter: str | None
    ) -> list[discord.Embed] | None:
        answer = await self.bot.core.recommendations.recommendations(
            scope, topic=topic, letter=letter, max_letters=CHAT_MAX_LETTERS
        )
        if not answer.recommendations:
            return None
        # hundreds of cited sentences to escape and page: not on the event loop
        return await asyncio.to_thread(present.recommendation_pages, self.bot.core, answer, lg)

    # ------------------------------------------------------------------ commands

    @app_commands.command(name=cmd("summary"), description=cmd("summary.desc"))
    @app_commands.rename(
        letter=cmd("opt.letter"),
        topic=cmd("opt.topic"),
        length=cmd("opt.length"),
        public=cmd("opt.public"),
    )
    @app_commands.describe(
        letter=cmd("opt.letter.desc"), topic=cmd("opt.topic.desc"),
        length=cmd("opt.length.desc"), public=cmd("opt.public.desc"),
    )  # fmt: skip
    @app_commands.choices(
        length=[
            app_commands.Choice(name=cmd("choice.short"), value=3),
            app_commands.Choice(name=cmd("choice.default"), value=5),
            app_commands.Choice(name=cmd("choice.long"), value=10),
        ]
    )
    @cooldown
    async def summary(
        self,
        interaction: discord.Interaction,
        letter: str | None = None,
        topic: str | None = None,
        length: int = 5,
        public: bool = True,
    ) -> None:
        await defer(interaction, ephemeral=not public)
        pages = await self.summary_pages(
            scope_of(interaction), lang(interaction), letter=letter, topic=topic, length=length
        )
        await send_pages(interaction, pages, public=public)

    @app_commands.command(name=cmd("recommendations"), description=cmd("recommendations.desc"))
    @app_commands.rename(topic=cmd("opt.topic"), letter=cmd("opt.letter"), public=cmd("opt.public"))
    @app_commands.describe(
        topic=cmd("opt.topic.desc"), letter=cmd("opt.letter.desc"), public=cmd("opt.public.desc")
    )
    @cooldown
    async def recommendations(
        self,
        interaction: discord.Interaction,
        topic: str | None = None,
        letter: str | None = None,
        public: bool = True,
    ) -> None:
        lg = lang(interaction)
        await defer(interaction, ephemeral=not public)
        pages = await self.recommendation_pages(
            scope_of(interaction), lg, topic=topic, letter=letter
        )
        if pages is None:
            await respond(interaction, content=t("no_recommendations", lg), ephemeral=True)
            return
        await send_pages(interaction, pages, public=public)

    @app_commands.command(name=cmd("quote"), description=cmd("quote.desc"))
    @app_commands.rename(text=cmd("opt.text"), letter=cmd("opt.letter"), public=cmd("opt.public"))
    @app_commands.describe(
        text=cmd("opt.text.desc"), letter=cmd("opt.letter.desc"), public=cmd("opt.public.desc")
    )
    @cooldown
    async def quote(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, 1000],
        letter: str | None = None,
        public: bool = True,
    ) -> None:
        await defer(interaction, ephemeral=not public)
        await self.send_quote(interaction, text, letter=letter, public=public)

    async def send_quote(
        self, interaction: discord.Interaction, text: str, *, letter: str | None, public: bool
    ) -> None:
        lg = lang(interaction)
        matches = await self.bot.core.quotes.find(
            text, scope=scope_of(interaction), letter=letter, limit=5
        )
        if not matches:
            await respond(interaction, content=t("no_match", lg), ephemeral=True)
            return

        async def render(i: int) -> discord.Embed:
            return present.quote_embed(self.bot.core, matches[i], lg)

        view = (
            NextMatchView(render, len(matches), interaction.user.id, lg)
            if len(matches) > 1
            else None
        )
        message = await respond(
            interaction, embeds=[await render(0)], view=view, ephemeral=not public
        )
        if view is not None:
            view.message = message

    @app_commands.command(name=cmd("ask"), description=cmd("ask.desc"))
    @app_commands.rename(question=cmd("opt.question"), public=cmd("opt.public"))
    @app_commands.describe(question=cmd("opt.question.desc"), public=cmd("opt.public.desc"))
    @cooldown
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 1000],
        public: bool = True,
    ) -> None:
        lg = lang(interaction)
        await defer(interaction, ephemeral=not public)
        pages = await self.answer_pages(scope_of(interaction), lg, question)
        if pages is None:
            await respond(interaction, content=t("no_answer", lg), ephemeral=True)
            return
        await send_pages(interaction, pages, public=public)

    async def answer_pages(
        self, scope: Scope, lg: str, question: str
    ) -> list[discord.Embed] | None:
        """The answer to a question, following its route (summary, recommendations, quote)."""
        answer = await self.bot.core.answers.ask(question, scope=scope)
        if answer.route == "summary":
            return await self.summary_pages(scope, lg, letter=None, topic=answer.route_arg)
        if answer.route == "recommendations":
            try:
                return await self.recommendation_pages(
                    scope, lg, topic=answer.route_arg, letter=None
                )
            except LookupError:
                return await self.recommendation_pages(scope, lg, topic=None, letter=None)
        if answer.route == "quote" and answer.route_arg:
            matches = await self.bot.core.quotes.find(answer.route_arg, scope=scope, limit=1)
            if matches:
                return [present.quote_embed(self.bot.core, matches[0], lg)]
            return None
        if not answer.found:
            return None
        return present.answer_pages(self.bot.core, answer, lg)

    @app_commands.command(name=cmd("topics"), description=cmd("topics.desc"))
    @app_commands.rename(letter=cmd("opt.letter"), public=cmd("opt.public"))
    @app_commands.describe(letter=cmd("opt.letter.desc"), public=cmd("opt.public.desc"))
    @cooldown
    async def topics(
        self, interaction: discord.Interaction, letter: str | None = None, public: bool = True
    ) -> None:
        lg = lang(interaction)
        await defer(interaction, ephemeral=not public)
        topics = await self.bot.core.recommendations.topics(scope_of(interaction), letter=letter)
        if not topics:
            await respond(interaction, content=t("no_topics", lg), ephemeral=True)
            return
        await send_pages(interaction, present.topic_pages(topics, lg), public=public)

    # ------------------------------------------------------------------ autocomplete

    @summary.autocomplete("letter")
    @recommendations.autocomplete("letter")
    @quote.autocomplete("letter")
    @topics.autocomplete("letter")
    async def _letter_ac(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return letter_choices(self.bot, interaction, current)

    @summary.autocomplete("topic")
    @recommendations.autocomplete("topic")
    async def _topic_ac(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            return [
                choice(name, slug)
                for slug, name in self.bot.core.recommendations.suggest_topics(
                    current, scope_of(interaction)
                )
            ][:25]
        except Exception:
            log.exception("topic autocomplete failed")
            return []

    @quote.autocomplete("text")
    async def _text_ac(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            return [
                choice(name, value)
                for name, value in self.bot.core.quotes.suggest(current, scope_of(interaction))
            ][:25]
        except Exception:
            log.exception("quote autocomplete failed")
            return []
