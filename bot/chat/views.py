"""Buttons that answer only the person who asked, and disappear when they time out."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot.chat.i18n import t
from bot.chat.replies import NO_MENTIONS

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 180.0  # seconds of no clicks after which buttons are removed


class OwnedView(discord.ui.View):
    """A view only its owner may use; on timeout its buttons are removed from the message."""

    def __init__(self, owner_id: int, lang: str, *, timeout: float | None = None) -> None:
        super().__init__(timeout=VIEW_TIMEOUT if timeout is None else timeout)
        self.owner_id = owner_id
        self.lang = lang
        self.message: discord.Message | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            t("not_yours", self.lang), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return False

    async def on_timeout(self) -> None:
        self.stop()
        if self.message is None:
            return
        try:
            await self.message.edit(view=None)
        except discord.HTTPException as exc:  # deleted message, expired token: nothing to remove
            log.debug("could not remove buttons on timeout", extra={"error": str(exc)})

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item
    ) -> None:
        log.exception(
            "view callback failed",
            exc_info=error,
            extra={"user": interaction.user.id, "custom_id": getattr(item, "custom_id", None)},
        )
        message = t("error.generic", self.lang)
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                message, ephemeral=True, allowed_mentions=NO_MENTIONS
            )


class Paginator(OwnedView):
    """Previous / Next through a list of embeds."""

    def __init__(self, pages: list[discord.Embed], owner_id: int, lang: str, **kw: float) -> None:
        super().__init__(owner_id, lang, **kw)
        self.pages = pages
        self.index = 0
        self.previous.label = t("prev", lang)
        self.next.label = t("next", lang)
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary, custom_id="page:prev")
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.index = max(0, self.index - 1)
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary, custom_id="page:next")
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.index = min(len(self.pages) - 1, self.index + 1)
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)


class NextMatchView(OwnedView):
    """Shows the next best quote match on request, one at a time."""

    def __init__(
        self,
        render: Callable[[int], Awaitable[discord.Embed]],
        count: int,
        owner_id: int,
        lang: str,
        **kw: float,
    ) -> None:
        super().__init__(owner_id, lang, **kw)
        self.render = render
        self.count = count
        self.index = 0
        self.next_match.label = t("quote.next", lang)
        self.next_match.disabled = count <= 1

    @discord.ui.button(
        label="Next match", style=discord.ButtonStyle.primary, custom_id="quote:next"
    )
    async def next_match(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.index += 1
        button.disabled = self.index >= self.count - 1
        await interaction.response.edit_message(embed=await self.render(self.index), view=self)
