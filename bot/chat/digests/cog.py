"""``/digest set|subscribe|status|preview|off``. The digest service decides (which digest a
user may see, stop or preview, what is valid); this cog translates options and renders."""

from __future__ import annotations

import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.common import ClientBase, choice, cooldown, lang, scope_of
from bot.chat.digests.render import render, when
from bot.chat.embeds import CHOICES_MAX, embed
from bot.chat.errors import UserFacingError
from bot.chat.i18n import cmd, pause_reason, t, t_choice
from bot.chat.replies import defer, respond
from bot.chat.views import OwnedView
from bot.core.schedule import parse_zone
from bot.services.digests import DeliveryError
from bot.store.records import Subscription

log = logging.getLogger(__name__)


#: The options /digest set and /digest subscribe share (set adds ``channel``).
_DIGEST_OPTIONS = (
    "time", "timezone", "topics", "language", "frequency", "skip_empty", "new_only",
)  # fmt: skip
_LANGUAGE_CHOICES = [
    app_commands.Choice(name=cmd("choice.nl"), value="nl"),
    app_commands.Choice(name=cmd("choice.en"), value="en"),
]
_FREQUENCY_CHOICES = [
    app_commands.Choice(name=cmd("choice.daily"), value="daily"),
    app_commands.Choice(name=cmd("choice.weekdays"), value="weekdays"),
    app_commands.Choice(name=cmd("choice.weekly"), value="weekly"),
]


class ServerChannel(app_commands.Transformer):
    """A text channel option as Discord resolved it, not looked up in the bot's cache: a
    channel of another server reaches the command (which refuses it with a clear message)
    instead of failing in discord.py's conversion."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(
        self, interaction: discord.Interaction, value: app_commands.AppCommandChannel
    ) -> app_commands.AppCommandChannel:
        return value


Channel = app_commands.Transform[app_commands.AppCommandChannel, ServerChannel]


def _server_of(interaction: discord.Interaction, channel_id: int) -> int:
    """The server a channel belongs to, from the bot's own cache (the guilds intent keeps it):
    discord.py labels a resolved channel option with the server the command ran in, whatever
    server the channel is really in. 0 when the bot does not know the channel."""
    guild = interaction.guild
    if guild is not None and guild.get_channel_or_thread(channel_id) is not None:
        return guild.id
    found = interaction.client.get_channel(channel_id)
    owner = getattr(found, "guild", None)
    return owner.id if owner is not None else 0


def _target(sub: Subscription, lg: str) -> str:
    return f"<#{sub.channel_id}>" if sub.kind == "channel" else t("digest.your_dms", lg)


def _manager(interaction: discord.Interaction) -> bool:
    perms = interaction.permissions
    return interaction.guild_id is not None and (perms.manage_guild or perms.administrator)


class StopChoice(OwnedView):
    """``/digest off`` when several digests could be meant: one button each."""

    def __init__(
        self, cog: Digests, subs: list[Subscription], interaction: discord.Interaction
    ) -> None:
        lg = lang(interaction)
        super().__init__(interaction.user.id, lg)
        self.cog = cog
        self.guild_id = interaction.guild_id
        self.manager = _manager(interaction)
        for sub in subs[:25]:  # a message holds 25 buttons; more: name the channel
            button: discord.ui.Button[StopChoice] = discord.ui.Button(
                label=self._label(sub, lg),
                style=discord.ButtonStyle.danger,
                custom_id=f"digest:off:{sub.id}",
            )
            button.callback = self._stopper(sub.id)  # type: ignore[method-assign]
            self.add_item(button)

    def _label(self, sub: Subscription, lg: str) -> str:
        if sub.kind == "user":
            return t("digest.your_dms", lg)
        channel = self.cog.bot.get_channel(sub.channel_id or 0)
        name = getattr(channel, "name", None)
        return f"#{name}"[:80] if name else f"#{sub.channel_id}"

    def _stopper(self, subscription_id: int):  # type: ignore[no-untyped-def]
        async def stop(interaction: discord.Interaction) -> None:
            sub = await self.cog.service.stop(
                user_id=interaction.user.id,
                guild_id=self.guild_id,
                manager=self.manager,
                subscription_id=subscription_id,
            )
            if sub is None:
                text = t("digest.gone", self.lang)
            else:
                text = t("digest.off_done", self.lang, target=_target(sub, self.lang))
            self.stop()
            await interaction.response.edit_message(content=text, view=None)

        return stop


def _option_names(*options: str) -> dict[str, app_commands.locale_str]:
    return {o: cmd(f"opt.{o}") for o in options}


def _option_descriptions(*options: str) -> dict[str, app_commands.locale_str]:
    return {o: cmd(f"opt.{o}.desc") for o in options}


class Digests(commands.Cog):
    digest = app_commands.Group(name=cmd("digest"), description=cmd("digest.desc"))

    def __init__(self, bot: ClientBase) -> None:
        self.bot = bot
        self.service = bot.services.digests

    # ------------------------------------------------------------------ commands

    async def _save(
        self,
        interaction: discord.Interaction,
        *,
        kind: Literal["channel", "user"],
        channel: app_commands.AppCommandChannel | None,
        time: str,
        timezone: str,
        topics: str | None,
        language: str | None,
        frequency: str,
        skip_empty: bool,
        new_only: bool = False,
    ) -> None:
        lg = lang(interaction)
        await defer(interaction, ephemeral=True)
        sub = await self.service.subscribe(
            kind=kind,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=channel.id if channel else None,
            channel_guild_id=_server_of(interaction, channel.id) if channel else None,
            time_text=time,
            timezone=timezone,
            topics=[p.strip() for p in (topics or "").split(",") if p.strip()],
            language=language or lg,
            frequency=frequency,
            skip_empty=skip_empty,
            new_only=new_only,
        )
        await respond(interaction, content=self._saved_text(sub, lg), ephemeral=True)

    def _saved_text(self, sub: Subscription, lg: str) -> str:
        zone = parse_zone(sub.timezone)
        return t(
            "digest.saved",
            lg,
            target=_target(sub, lg),
            frequency=t_choice(sub.frequency, lg),
            time=sub.local_time,
            zone=sub.timezone,
            next=sub.next_due.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        )

    @digest.command(name=cmd("digest-set"), description=cmd("digest-set.desc"))
    @app_commands.guild_only()
    @app_commands.rename(**_option_names("channel", *_DIGEST_OPTIONS))
    @app_commands.describe(**_option_descriptions("channel", *_DIGEST_OPTIONS))
    @app_commands.choices(language=_LANGUAGE_CHOICES, frequency=_FREQUENCY_CHOICES)
    @cooldown
    async def set_(
        self,
        interaction: discord.Interaction,
        channel: Channel,
        time: str,
        timezone: str = "Europe/Amsterdam",
        topics: str | None = None,
        language: str | None = None,
        frequency: str = "daily",
        skip_empty: bool = False,
        new_only: bool = False,
    ) -> None:
        perms = interaction.permissions
        if not (perms.manage_guild or perms.administrator):
            raise app_commands.MissingPermissions(["manage_guild"])
        await self._save(
            interaction, kind="channel", channel=channel, time=time, timezone=timezone,
            topics=topics, language=language, frequency=frequency, skip_empty=skip_empty,
            new_only=new_only,
        )  # fmt: skip

    @digest.command(name=cmd("digest-subscribe"), description=cmd("digest-subscribe.desc"))
    @app_commands.rename(**_option_names(*_DIGEST_OPTIONS))
    @app_commands.describe(**_option_descriptions(*_DIGEST_OPTIONS))
    @app_commands.choices(language=_LANGUAGE_CHOICES, frequency=_FREQUENCY_CHOICES)
    @cooldown
    async def subscribe(
        self,
        interaction: discord.Interaction,
        time: str,
        timezone: str = "Europe/Amsterdam",
        topics: str | None = None,
        language: str | None = None,
        frequency: str = "daily",
        skip_empty: bool = False,
        new_only: bool = False,
    ) -> None:
        await self._save(
            interaction, kind="user", channel=None, time=time, timezone=timezone,
            topics=topics, language=language, frequency=frequency, skip_empty=skip_empty,
            new_only=new_only,
        )  # fmt: skip

    @digest.command(name=cmd("digest-status"), description=cmd("digest-status.desc"))
    @cooldown
    async def status(self, interaction: discord.Interaction) -> None:
        lg = lang(interaction)
        await defer(interaction, ephemeral=True)
        subs = await self.service.visible_to(
            user_id=interaction.user.id, guild_id=interaction.guild_id
        )
        if not subs:
            await respond(interaction, content=t("digest.none", lg), ephemeral=True)
            return
        lines = []
        for s in subs:
            zone = parse_zone(s.timezone)
            state = (
                t("digest.paused", lg, reason=pause_reason(s.paused_reason, lg))
                if s.paused_reason
                else t(
                    "digest.next", lg, when=s.next_due.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                )
            )
            lines.append(
                t(
                    "digest.status_line",
                    lg,
                    target=_target(s, lg),
                    frequency=t_choice(s.frequency, lg),
                    time=s.local_time,
                    zone=s.timezone,
                    topics=", ".join(s.topics) or t("digest.all_topics", lg),
                    language=s.language,
                    state=state,
                )
                + (f" ({t('digest.new_only', lg)})" if s.new_only else "")
            )
        await respond(
            interaction,
            embeds=[embed("/digest status", lg, description="\n".join(lines))],
            ephemeral=True,
        )

    @digest.command(name=cmd("digest-preview"), description=cmd("digest-preview.desc"))
    @app_commands.rename(channel=cmd("opt.channel"))
    @app_commands.describe(channel=cmd("opt.channel.desc"))
    @cooldown
    async def preview(
        self, interaction: discord.Interaction, channel: Channel | None = None
    ) -> None:
        lg = lang(interaction)
        await defer(interaction, ephemeral=True)
        try:
            digest = await self.service.preview_here(
                user_id=interaction.user.id,
                guild_id=interaction.guild_id,
                channel_id=channel.id if channel else None,
                language=lg,
                sender=self.bot.sender,
            )
        except DeliveryError as exc:  # a personal digest of a server the user has left
            reason = pause_reason(exc.reason, lg)
            raise UserFacingError(t("digest.paused", lg, reason=reason)) from exc
        if digest is None:
            raise UserFacingError(t("digest.none", lg))
        for embeds in render(digest, when=when(digest)):
            await respond(interaction, embeds=embeds, ephemeral=True)

    @digest.command(name=cmd("digest-off"), description=cmd("digest-off.desc"))
    @app_commands.rename(channel=cmd("opt.channel"))
    @app_commands.describe(channel=cmd("opt.channel.desc"))
    @cooldown
    async def off(self, interaction: discord.Interaction, channel: Channel | None = None) -> None:
        lg = lang(interaction)
        if channel is not None and not _manager(interaction):
            raise app_commands.MissingPermissions(["manage_guild"])
        await defer(interaction, ephemeral=True)
        subs = await self.service.stoppable(
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            manager=_manager(interaction),
            channel_id=channel.id if channel else None,
        )
        if not subs:
            raise UserFacingError(t("digest.none_to_stop", lg))
        if len(subs) > 1:  # the user's own and the server's, say: ask which
            view = StopChoice(self, subs, interaction)
            view.message = await respond(
                interaction, content=t("digest.which", lg), view=view, ephemeral=True
            )
            return
        (sub,) = subs
        await self.service.off(sub.id)
        await respond(
            interaction, content=t("digest.off_done", lg, target=_target(sub, lg)), ephemeral=True
        )

    @set_.autocomplete("topics")
    @subscribe.autocomplete("topics")
    async def _topics_ac(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            head, _, last = current.rpartition(",")
            prefix = (head + ", ") if head else ""
            out = []
            for slug, name in self.bot.services.recommendations.suggest_topics(
                last.strip(), scope_of(interaction)
            ):
                out.append(choice(prefix + name, prefix + slug))
            return out[:CHOICES_MAX]
        except Exception:
            log.exception("topic autocomplete failed")
            return []
