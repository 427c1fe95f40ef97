"""The one place where slash-command errors end: a short localized message for the user, the
traceback with command and ids for the log."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.chat.embeds import error_embed, esc
from bot.chat.i18n import lang_of, t
from bot.chat.replies import respond
from bot.core.errors import UserError
from bot.core.refusals import say, sentence
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
        return explain(original, lang), False
    if isinstance(original, StoreFull):
        return t("error.full", lang), True
    if isinstance(original, StoreBusy):
        return t("error.busy", lang), True
    if isinstance(error, app_commands.CheckFailure):
        return t("error.permission", lang), False
    return t("error.generic", lang), True


#: Said in Dutch for a refusal that carries no message key (not one of briefbot's own).
_UNKNOWN_NL = "Dat kan ik zo niet doen; controleer wat je invulde, of kijk in /help hoe het werkt."

escape = esc  # what a user typed, or a letter says, in a message: no markdown, no pings


def explain(exc: BaseException, lang: str) -> str:
    """A refusal as one sentence in ``lang`` that says what to do next (slash commands, uploads
    and DMs alike): from its message key; one that has none (not raised by briefbot) is said
    as written in English and as a general sentence in Dutch (never English to a Dutch
    reader)."""
    if isinstance(exc, UserError):
        return say(exc, lang, where="discord", escape=esc)
    if lang == "nl":
        return _UNKNOWN_NL
    return sentence(str(exc.args[0]) if exc.args else str(exc))


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
