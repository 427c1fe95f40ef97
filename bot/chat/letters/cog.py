"""``/letters``, ``/help``, ``/letter add`` and ``/letter remove``."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.common import ClientBase, cooldown, lang, letter_choices, scope_of
from bot.chat.embeds import clip, title_of
from bot.chat.errors import UserFacingError, escape, explain
from bot.chat.i18n import cmd, n, t
from bot.chat.letters.render import help_embed, letter_pages
from bot.chat.replies import defer, respond
from bot.chat.views import Paginator
from bot.core.models import LetterError
from bot.core.refusals import clause, say
from bot.services.letters import Warned, display_name

log = logging.getLogger(__name__)


def _require_manage_guild(interaction: discord.Interaction) -> None:
    """Checked when the command runs, whatever ``default_permissions`` a server overrode."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    perms = interaction.permissions
    if not (perms.manage_guild or perms.administrator):
        raise app_commands.MissingPermissions(["manage_guild"])


def _warning(warned: Warned, lg: str) -> str:
    """A warning about an upload, in ``lg``."""
    return say(warned.note, lg) if warned.note is not None else warned.warning


def _refused(name: str, reason: str, lg: str) -> UserFacingError:
    return UserFacingError(t("letter.refused", lg, name=escape(name), reason=clause(reason)))


class Letters(commands.Cog):
    letter = app_commands.Group(
        name=cmd("letter"),
        description=cmd("letter.desc"),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: ClientBase) -> None:
        self.bot = bot
        self.services = bot.services

    @app_commands.command(name=cmd("letters"), description=cmd("letters.desc"))
    @app_commands.rename(public=cmd("opt.public"))
    @app_commands.describe(public=cmd("opt.public.desc"))
    @cooldown
    async def letters(self, interaction: discord.Interaction, public: bool = True) -> None:
        lg = lang(interaction)
        records = self.services.catalog.in_order(scope_of(interaction))
        if not records:
            await respond(interaction, content=t("no_letters", lg), ephemeral=True)
            return
        # Formatting thousands of letters waits for a worker thread: answer Discord first.
        await defer(interaction, ephemeral=not public)
        pages = await asyncio.to_thread(letter_pages, records, lg)
        view = Paginator(pages, interaction.user.id, lg) if len(pages) > 1 else None
        msg = await respond(interaction, embeds=[pages[0]], view=view, ephemeral=not public)
        if view:
            view.message = msg

    @app_commands.command(name=cmd("help"), description=cmd("help.desc"))
    async def help(self, interaction: discord.Interaction) -> None:
        lg = lang(interaction)
        scope = scope_of(interaction)
        tour = self.services.tour.cached(scope, lg)
        if tour is None:  # a server's own letters: the examples are checked on first use
            await defer(interaction, ephemeral=True)
            tour = await self.services.tour.tour(scope, lg)
        await respond(interaction, embeds=[help_embed(tour, lg)], ephemeral=True)

    @letter.command(name=cmd("letter-add"), description=cmd("letter-add.desc"))
    @app_commands.rename(file=cmd("opt.file"))
    @app_commands.describe(file=cmd("opt.file.desc"))
    @cooldown
    async def add(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        _require_manage_guild(interaction)
        lg = lang(interaction)
        limit = self.bot.settings.max_upload_bytes
        if file.size > limit:  # refused before anything is downloaded
            raise UserFacingError(
                t(
                    "letter.too_big",
                    lg,
                    size=f"{file.size / 1024 / 1024:.1f}",
                    limit=limit // 1024 // 1024,
                )
            )
        await defer(interaction)
        try:
            data = await file.read()
        except discord.HTTPException as exc:  # expired or removed from Discord's CDN
            raise _refused(file.filename, t("letter.download_failed", lg), lg) from exc
        if len(data) > limit:
            raise UserFacingError(
                t(
                    "letter.too_big",
                    lg,
                    size=f"{len(data) / 1024 / 1024:.1f}",
                    limit=limit // 1024 // 1024,
                )
            )
        name = display_name(file.filename)  # not UTF-8, control or bidi characters escaped
        try:
            report = await self.services.letters.upload(
                data, filename=file.filename, guild_id=interaction.guild_id
            )
        except LetterError as exc:
            reason = explain(exc, lg)
            raise _refused(name, reason, lg) from exc
        lines = []
        for item in report.ingested:  # a file may hold several letters: each is reported
            record = item.letter
            log.info(
                "letter uploaded",
                extra={"guild": interaction.guild_id, "letter": record.id, "new": item.status},
            )
            if item.status != "added":
                lines.append(t("letter.unchanged", lg, id=record.ref))
                continue
            lines.append(
                t(
                    "letter.added",
                    lg,
                    title=escape(title_of(record)),
                    id=record.ref,
                    pages=n(record.pages, "page", lg),
                    sentences=n(record.sentence_count, "sentence", lg),
                    repairs=n(item.repairs, "repair", lg),
                )
            )
        lines += [f"⚠ {escape(_warning(w, lg))}" for w in report.warnings]
        for e in report.errors:  # a letter of the file that could not be read
            reason = explain(e.problem or ValueError(e.error), lg)
            lines.append(t("letter.refused", lg, name=escape(name), reason=clause(reason)))
        await respond(interaction, content=clip("\n".join(lines), 2000))

    @letter.command(name=cmd("letter-remove"), description=cmd("letter-remove.desc"))
    @app_commands.rename(letter=cmd("opt.letter"))
    @app_commands.describe(letter=cmd("opt.letter.desc"))
    @cooldown
    async def remove(self, interaction: discord.Interaction, letter: str) -> None:
        _require_manage_guild(interaction)
        lg = lang(interaction)
        await defer(interaction, ephemeral=True)
        record = self.services.catalog.find(letter, scope_of(interaction))
        if record is None or record.guild_id != interaction.guild_id:
            raise UserFacingError(t("letter.not_removable", lg, ref=letter[:50]))
        await self.services.letters.remove(record.id, guild_id=interaction.guild_id)
        log.info("letter removed", extra={"guild": interaction.guild_id, "letter": record.id})
        await respond(
            interaction,
            content=t(
                "letter.removed",
                lg,
                id=record.ref,
                title=escape(title_of(record)),
            ),
            ephemeral=True,
        )

    @remove.autocomplete("letter")
    async def _remove_letter_ac(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        scope = scope_of(interaction)
        own = [
            c
            for c in letter_choices(self.services.catalog, interaction, current)
            if (rec := self.services.catalog.find(c.value, scope))
            and rec.guild_id == interaction.guild_id
        ]
        return own
