"""One way to answer an interaction: the first reply, then followups, never a second reply."""

from __future__ import annotations

import contextlib

import discord

NO_MENTIONS = discord.AllowedMentions.none()


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
    await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
    extras["answered"] = True
    try:
        return await interaction.original_response()
    except discord.HTTPException:
        return None


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Acknowledge within Discord's 3 s before any slow work; a no-op if already answered."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        interaction.extras["deferred_ephemeral"] = ephemeral
