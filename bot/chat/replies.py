"""One way to answer an interaction: the first reply, then followups, never a second reply."""

from __future__ import annotations

import contextlib

import aiohttp
import discord

NO_MENTIONS = discord.AllowedMentions.none()

# The request may have reached Discord although no answer came back (a dropped connection, a
# timeout): re-sending an interaction response would fail ("already acknowledged") or repeat it.
AMBIGUOUS = (aiohttp.ClientError, TimeoutError)


async def _landed(interaction: discord.Interaction) -> discord.Message | None:
    """The interaction's original response if Discord has one, else None."""
    try:
        return await interaction.original_response()
    except discord.NotFound:
        return None


def _mark_responded(
    interaction: discord.Interaction, kind: discord.InteractionResponseType
) -> None:
    """Tell discord.py that the response went out after all, so that what follows is sent as a
    followup (``InteractionResponse`` keeps this in a private attribute; no public setter)."""
    interaction.response._response_type = kind  # type: ignore[attr-defined]


async def respond(
    interaction: discord.Interaction,
    *,
    content: str | None = None,
    embeds: list[discord.Embed] | None = None,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> discord.Message | None:
    """Send the answer: as the interaction response when none was sent yet, else as a
    followup (after ``defer`` or an earlier reply). Mentions never ping.

    An ephemeral answer after a public ``defer`` would replace the public "thinking" message
    and so be public; the placeholder is deleted first, so errors stay private."""
    kwargs: dict = {"content": content, "embeds": embeds or [], "allowed_mentions": NO_MENTIONS}
    if view is not None:
        kwargs["view"] = view
    extras = interaction.extras
    if interaction.response.is_done():
        if ephemeral and extras.get("deferred_ephemeral") is False and not extras.get("answered"):
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        message = await interaction.followup.send(ephemeral=ephemeral, wait=True, **kwargs)
        extras["answered"] = True
        return message
    try:
        await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
    except AMBIGUOUS:
        landed = await _landed(interaction)
        if landed is None:
            raise
        _mark_responded(interaction, discord.InteractionResponseType.channel_message)
        extras["answered"] = True
        return landed
    extras["answered"] = True
    try:
        return await interaction.original_response()
    except discord.HTTPException:
        return None


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Acknowledge within Discord's 3 s before any slow work; a no-op if already answered."""
    if interaction.response.is_done():
        return
    try:
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    except AMBIGUOUS:
        if await _landed(interaction) is None:  # it never arrived: once more
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        else:
            _mark_responded(interaction, discord.InteractionResponseType.deferred_channel_message)
    interaction.extras["deferred_ephemeral"] = ephemeral
