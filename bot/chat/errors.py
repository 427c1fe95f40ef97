"""The one place where slash-command errors end: a short localized message for the user, the
traceback with command and ids for the log."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.chat.embeds import error_embed
from bot.chat.i18n import lang_of, refusal, t
from bot.chat.replies import respond
from bot.core.models import LetterError
from bot.store import StoreBusy, StoreFull

log = logging.getLogger("bot.chat.errors")


class UserFacingError(app_commands.AppCommandError):
    """An error whose message is meant for the user as it is (already localized)."""


def message_for(error: app_commands.AppCommandError, lang: str) -> tuple[str, bool]:
    """The user's message and whether the error is unexpected (to be logged with traceback)."""
    original = getattr(error, "original", error)
    if isinstance(error, app_commands.CommandOnCooldown):
        return t("error.cooldown", lang, seconds=max(1, round(error.retry_after))), False
    if isinstance(error, app_commands.MissingPermissions):
        return t("error.permission", lang), False
    if isinstance(error, app_commands.NoPrivateMessage):
        return t("error.guild_only", lang), False
    if isinstance(error, UserFacingError):
        return str(error), False
    if isinstance(error, app_commands.TransformerError) and error.type in (
        discord.AppCommandOptionType.channel,
    ):
        return t("error.not_this_server", lang), False
    if isinstance(original, LookupError | ValueError):
        kind = "letter" if isinstance(original, LetterError) else "request"
        return refusal(_text(original), lang, kind=kind, escape=escape), False
    if isinstance(original, StoreFull):
        return t("error.full", lang), True
    if isinstance(original, StoreBusy):
        return t("error.busy", lang), True
    if isinstance(error, app_commands.CheckFailure):
        return t("error.permission", lang), False
    return t("error.generic", lang), True


def _text(exc: BaseException) -> str:
    return str(exc.args[0]) if exc.args else str(exc)


def escape(text: str) -> str:
    """What a user typed, or a letter says, shown in a message: no markdown, no pings."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def explain(exc: BaseException, lang: str) -> str:
    """A service's refusal as one sentence in ``lang`` (for DMs and other plain replies)."""
    kind = "letter" if isinstance(exc, LetterError) else "request"
    return refusal(_text(exc), lang, kind=kind, escape=escape)


async def on_app_command_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    lang = lang_of(interaction.locale)
    message, unexpected = message_for(error, lang)
    command = interaction.command.qualified_name if interaction.command else None
    extra = {
        "command": command,
        "user": interaction.user.id if interaction.user else None,
        "guild": interaction.guild_id,
        "channel": interaction.channel_id,
        "interaction": interaction.id,
    }
    if unexpected:
        log.error("command failed", exc_info=getattr(error, "original", error), extra=extra)
    else:
        log.info("command refused", extra={**extra, "reason": type(error).__name__})
    try:
        await respond(interaction, embeds=[error_embed(message)], ephemeral=True)
    except discord.HTTPException as exc:  # the interaction expired or the channel is gone
        log.warning("could not report an error to the user", extra={**extra, "error": str(exc)})
