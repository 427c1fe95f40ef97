"""``/summary``, ``/recommendations``, ``/quote``, ``/ask`` and ``/topics``: each calls one service
method and renders what it returns (:mod:`bot.chat.answers.render`)."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.answers import render
from bot.chat.common import ClientBase, choice, cooldown, lang, letter_choices, scope_of
from bot.chat.embeds import CHOICES_MAX
from bot.chat.i18n import cmd, t
from bot.chat.replies import defer, respond
from bot.chat.views import NextMatchView, Paginator
from bot.services.conversation import CHAT_MAX_LETTERS, CHAT_SUMMARY_LENGTH

log = logging.getLogger(__name__)


async def send_pages(
    interaction: discord.Interaction, pages: list[discord.Embed], *, public: bool
) -> None:
    view = Paginator(pages, interaction.user.id, lang(interaction)) if len(pages) > 1 else None
    message = await respond(interaction, embeds=[pages[0]], view=view, ephemeral=not public)
    if view is not None:
        view.message = message


class Answers(commands.Cog):
    def __init__(self, bot: ClientBase) -> None:
        self.bot = bot
        self.services = bot.services

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
        summary = await self.services.summaries.summarize(
            scope=scope_of(interaction), letter=letter, topic=topic, length=length
        )
        pages = render.summary_pages(self.services.catalog, summary, lang(interaction))
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
        answer = await self.services.recommendations.recommendations(
            scope_of(interaction), topic=topic, letter=letter, max_letters=CHAT_MAX_LETTERS
        )
        if not answer.recommendations:
            await respond(interaction, content=t("no_recommendations", lg), ephemeral=True)
            return
        # hundreds of cited sentences to escape and page: not on the event loop
        pages = await asyncio.to_thread(
            render.recommendation_pages, self.services.catalog, answer, lg
        )
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
        matches = await self.services.quotes.find(
            text, scope=scope_of(interaction), letter=letter, limit=5
        )
        if not matches:
            await respond(interaction, content=t("no_match", lg), ephemeral=True)
            return

        async def page(i: int) -> discord.Embed:
            return render.quote_embed(self.services.catalog, matches[i], lg)

        view = (
            NextMatchView(page, len(matches), interaction.user.id, lg) if len(matches) > 1 else None
        )
        message = await respond(
            interaction, embeds=[await page(0)], view=view, ephemeral=not public
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
        reply = await self.services.answers.answer(
            question,
            scope=scope_of(interaction),
            summary_length=CHAT_SUMMARY_LENGTH,
            max_letters=CHAT_MAX_LETTERS,
        )
        pages = await asyncio.to_thread(render.reply_pages, self.services.catalog, reply, lg)
        if pages is None:
            await respond(interaction, content=t("no_answer", lg), ephemeral=True)
            return
        await send_pages(interaction, pages, public=public)

    @app_commands.command(name=cmd("topics"), description=cmd("topics.desc"))
    @app_commands.rename(letter=cmd("opt.letter"), public=cmd("opt.public"))
    @app_commands.describe(letter=cmd("opt.letter.desc"), public=cmd("opt.public.desc"))
    @cooldown
    async def topics(
        self, interaction: discord.Interaction, letter: str | None = None, public: bool = True
    ) -> None:
        lg = lang(interaction)
        await defer(interaction, ephemeral=not public)
        topics = await self.services.recommendations.topics(scope_of(interaction), letter=letter)
        if not topics:
            await respond(interaction, content=t("no_topics", lg), ephemeral=True)
            return
        await send_pages(interaction, render.topic_pages(topics, lg), public=public)

    # ------------------------------------------------------------------ autocomplete

    @summary.autocomplete("letter")
    @recommendations.autocomplete("letter")
    @quote.autocomplete("letter")
    @topics.autocomplete("letter")
    async def _letter_ac(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return letter_choices(self.services.catalog, interaction, current)

    @summary.autocomplete("topic")
    @recommendations.autocomplete("topic")
    async def _topic_ac(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            return [
                choice(name, slug)
                for slug, name in self.services.recommendations.suggest_topics(
                    current, scope_of(interaction)
                )
            ][:CHOICES_MAX]
        except Exception:
            log.exception("topic autocomplete failed")
            return []

    @quote.autocomplete("text")
    async def _text_ac(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            return [
                choice(render.choice_name(s), s.value)
                for s in self.services.quotes.suggest(current, scope_of(interaction))
            ][:CHOICES_MAX]
        except Exception:
            log.exception("quote autocomplete failed")
            return []
