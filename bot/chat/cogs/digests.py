"""``/digest set|subscribe|status|preview|off`` and the task that delivers digests on time."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.common import cooldown, lang, scope_of
from bot.chat.digest_render import render
from bot.chat.embeds import embed
from bot.chat.errors import UserFacingError
from bot.chat.i18n import cmd, pause_reason, t
from bot.chat.replies import NO_MENTIONS, defer, respond
from bot.chat.views import OwnedView
from bot.core.schedule import parse_zone
from bot.services.digests import DeliveryError, Digest, DigestScheduler, DigestService
from bot.store.digests import Subscription

if TYPE_CHECKING:
    from bot.chat.client import BriefBot

log = logging.getLogger(__name__)

# How far back a restarted sender looks for a digest it may have posted before it died.
HISTORY_LIMIT = 200
PARTIAL_MAX = 1000  # digests whose later part failed, remembered for their retry

# Discord error codes that will not go away by retrying: pause the subscription.
NOT_A_MEMBER = "the user is no longer a member of the server this digest was set up in"
NOT_IN_SERVER = "briefbot is no longer in the server this digest was set up in"
PERMANENT = {
    10003: "the channel was deleted",
    10013: "the user is unknown",
    50001: "the bot has no access to the channel",
    50013: "the bot lacks permission to post there",
    50007: "the user does not accept direct messages",
}


def _when(sub: Subscription, digest: Digest) -> str:
    return _when_date(digest)


def _when_date(digest: Digest) -> str:
    return (
        digest.due_date.strftime("%d-%m-%Y")
        if digest.language == "nl"
        else digest.due_date.isoformat()
    )


class DiscordSender:
    """Posts digests through discord.py (which retries 429s and 5xx itself)."""

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self._partial: dict[str, list[discord.Message]] = {}

    async def _destination(self, sub: Subscription) -> discord.abc.Messageable:
        try:
            if sub.kind == "channel":
                assert sub.channel_id is not None
                channel = self.bot.get_channel(sub.channel_id) or await self.bot.fetch_channel(
                    sub.channel_id
                )
                if not isinstance(channel, discord.abc.Messageable):
                    raise DeliveryError("the channel cannot hold messages", permanent=True)
                return channel
            if sub.guild_id is not None:
                await self.check_membership(sub)
            user = self.bot.get_user(sub.user_id)
            if user is not None and user.dm_channel is not None:
                return user.dm_channel
            return await self.bot.create_dm(discord.Object(id=sub.user_id))
        except discord.HTTPException as exc:
            raise _classify(exc) from exc

    async def check_membership(self, sub: Subscription) -> None:
        """A personal digest set up in a server carries that server's own letters: only while
        the user is still a member (asked over REST; the member list needs a privileged
        intent) and briefbot is still in that server."""
        assert sub.guild_id is not None and sub.user_id is not None
        guild = self.bot.get_guild(sub.guild_id)
        if guild is None:
            raise DeliveryError(NOT_IN_SERVER, permanent=True)
        try:
            await guild.fetch_member(sub.user_id)
        except discord.NotFound as exc:
            raise DeliveryError(NOT_A_MEMBER, permanent=True, code=exc.code) from exc

    async def send(self, sub: Subscription, digest: Digest) -> int:
        destination = await self._destination(sub)
        messages = render(digest, when=_when(sub, digest))
        # Parts this process already posted of a digest whose later part failed: a retry
        # posts only the rest.
        posted = self._partial.pop(digest.marker, [])
        try:
            try:
                return await self._post(destination, digest.marker, messages, posted)
            except (aiohttp.ClientError, TimeoutError):
                # The answer was lost, not necessarily the message: look before posting again.
                self._partial.pop(digest.marker, None)
                posted = await self._posted(destination, digest)
                return await self._post(destination, digest.marker, messages, posted)
        except discord.HTTPException as exc:
            raise _classify(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"network: {exc}", permanent=False) from exc

    async def _post(
        self,
        destination: discord.abc.Messageable,
        marker: str,
        messages: list[list[discord.Embed]],
        posted: list[discord.Message],
    ) -> int:
        """Post the parts of a digest that ``posted`` (its messages already in the channel,
        oldest first) lacks; return the id of its first message.

        Parts go out in order, so ``posted`` holds parts 1..k of n (the footer says "k/n"; a
        digest of one message has no number). The digest was built again since, so only the
        parts after k are posted, and of those no embed that is already there (the parts may
        be split a little differently now, e.g. with a "late" line in the heading)."""
        start = 0
        if posted:
            numbers = [_part_of(m, marker) for m in posted]
            done_upto = max(k for k, _ in numbers)
            if done_upto >= max(n for _, n in numbers):
                return posted[0].id  # complete
            start = done_upto
        have = _contents(posted)
        first = posted[0].id if posted else None
        done = list(posted)
        try:
            for embeds in messages[start:]:
                todo = [e for e in embeds if _content(e) not in have]
                if not todo:
                    continue
                message = await destination.send(embeds=todo, allowed_mentions=NO_MENTIONS)
                done.append(message)
                first = first or message.id
        except BaseException:
            if done:
                if len(self._partial) >= PARTIAL_MAX:
                    self._partial.pop(next(iter(self._partial)))
                self._partial[marker] = done
            raise
        assert first is not None
        return first

    async def _posted(
        self, destination: discord.abc.Messageable, digest: Digest
    ) -> list[discord.Message]:
        """This digest's messages in the channel, oldest first. Raises a temporary
        DeliveryError when Discord cannot be asked: never guess "not sent"."""
        found: list[discord.Message] = []
        try:
            async for message in destination.history(limit=HISTORY_LIMIT):  # type: ignore[attr-defined]
                if self.bot.user and message.author.id != self.bot.user.id:
                    continue
                if any(_has_marker(e, digest.marker) for e in message.embeds):
                    found.append(message)
        except discord.HTTPException as exc:
            raise _classify(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"network: {exc}", permanent=False) from exc
        found.reverse()
        return found

    async def find_sent(self, sub: Subscription, digest: Digest) -> int | None:
        """After a crash: the id of the digest's first message if it was posted, posting the
        parts still missing first (a crash between the parts of a long digest). None when
        nothing was posted, or the target is gone for good (the send that follows pauses);
        a temporary failure to look raises DeliveryError, so nothing is sent twice."""
        try:
            destination = await self._destination(sub)
            posted = await self._posted(destination, digest)
        except DeliveryError as exc:
            if exc.permanent:
                return None
            raise
        if not posted:
            return None
        messages = render(digest, when=_when(sub, digest))
        try:
            return await self._post(destination, digest.marker, messages, posted)
        except discord.HTTPException as exc:
            raise _classify(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"network: {exc}", permanent=False) from exc

    async def notify_paused(self, sub: Subscription, reason: str) -> None:
        if not sub.user_id:  # set up on the command line: `briefbot digest list` shows it
            return
        target = (
            f"<#{sub.channel_id}>" if sub.kind == "channel" else t("digest.your_dms", sub.language)
        )
        user = self.bot.get_user(sub.user_id) or await self.bot.fetch_user(sub.user_id)
        await user.send(
            t(
                "digest.paused_notice",
                sub.language,
                target=target,
                reason=pause_reason(reason, sub.language),
            ),
            allowed_mentions=NO_MENTIONS,
        )


def _content(e: discord.Embed) -> tuple[str, str]:
    return (e.title or "", e.description or "")


def _contents(messages: list[discord.Message]) -> set[tuple[str, str]]:
    return {_content(e) for m in messages for e in m.embeds}


def _has_marker(e: discord.Embed, marker: str) -> bool:
    text = e.footer.text or ""
    return text.endswith(marker) or f"{marker} · " in text


def _part_of(message: discord.Message, marker: str) -> tuple[int, int]:
    """(k, n) from a footer "... digest 5/2026-11-27 · k/n"; (1, 1) without a number."""
    for e in message.embeds:
        text = e.footer.text or ""
        _, found, rest = text.partition(f"{marker} · ")
        if found:
            k, _, n = rest.partition("/")
            if k.isdigit() and n.isdigit():
                return int(k), int(n)
    return 1, 1


def _classify(exc: discord.HTTPException) -> DeliveryError:
    code = getattr(exc, "code", 0) or 0
    if code in PERMANENT:
        return DeliveryError(PERMANENT[code], permanent=True, code=code)
    if isinstance(exc, discord.NotFound):
        return DeliveryError("the channel or user is gone", permanent=True, code=code)
    if isinstance(exc, discord.Forbidden):
        return DeliveryError("the bot is not allowed to post there", permanent=True, code=code)
    return DeliveryError(f"Discord error {exc.status} {code}", permanent=False, code=code)


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
            allowed = await self.cog.service.stoppable(
                user_id=interaction.user.id, guild_id=self.guild_id, manager=self.manager
            )
            sub = next((s for s in allowed if s.id == subscription_id), None)
            if sub is None or not await self.cog.service.off(sub.id):
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

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.service = DigestService(bot.core, clock=bot.clock)
        self.sender = DiscordSender(bot)
        self.scheduler = DigestScheduler(self.service, self.sender)
        self._task = None

    async def cog_load(self) -> None:
        self._task = self.bot.spawn(self._run_when_ready(), name="digest-scheduler")

    async def _run_when_ready(self) -> None:
        # not while the client is only logged in over REST (``briefbot sync``)
        await self.bot.wait_until_ready()
        await self.scheduler.run()

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()

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
        sub = await self.service.preview_for(
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=channel.id if channel else None,
        )
        if sub is None and channel is not None:
            raise UserFacingError(t("digest.none", lg))
        if sub is None:  # nothing set yet: show what a digest here would look like
            digest = await self.service.sample(guild_id=interaction.guild_id, language=lg)
            when = _when_date(digest)
        else:
            if sub.kind == "user" and sub.guild_id not in (None, interaction.guild_id):
                try:  # a personal digest from a server the user may have left
                    await self.sender.check_membership(sub)
                except DeliveryError as exc:
                    reason = pause_reason(exc.reason, lg)
                    raise UserFacingError(t("digest.paused", lg, reason=reason)) from exc
            digest = await self.service.preview(sub)
            when = _when(sub, digest)
        for embeds in render(digest, when=when):
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
            for slug, name in self.bot.core.recommendations.suggest_topics(
                last.strip(), scope_of(interaction)
            ):
                out.append(
                    app_commands.Choice(name=(prefix + name)[:100], value=(prefix + slug)[:100])
                )
            return out[:25]
        except Exception:
            log.exception("topic autocomplete failed")
            return []


def t_choice(value: str, lg: str) -> str:
    from bot.chat.i18n import COMMAND_TEXT

    en, nl = COMMAND_TEXT[f"choice.{value}"]
    return nl if lg == "nl" else en
