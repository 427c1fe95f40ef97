"""Posting digests through discord.py: the :class:`~bot.services.digests.Sender` of the
Discord side. It only translates: Discord's answers become sent message ids or
:class:`~bot.services.digests.DeliveryError` (permanent ones pause the digest); what to do about
them is the digest service's to decide."""

from __future__ import annotations

import aiohttp
import discord

from bot.chat.digests.render import render, when
from bot.chat.i18n import pause_reason, pause_text, t
from bot.chat.replies import NO_MENTIONS
from bot.services.digests import DeliveryError, Digest
from bot.store.records import Subscription

# How far back a restarted sender looks for a digest it may have posted before it died.
HISTORY_LIMIT = 200
PARTIAL_MAX = 1000  # digests whose later part failed, remembered for their retry

# Discord error codes that will not go away by retrying: pause the subscription.
NOT_A_MEMBER = pause_text("not_a_member")
NOT_IN_SERVER = pause_text("not_in_server")
UNKNOWN_GUILD = 10004
PERMANENT = {
    10003: pause_text("channel_deleted"),
    10013: pause_text("user_unknown"),
    50001: pause_text("no_access"),
    50013: pause_text("no_permission"),
    50007: pause_text("dms_closed"),
}


def _serves(bot: discord.Client, guild_id: int) -> bool:
    """Whether ``bot`` is connected to the gateway shard of ``guild_id`` (so a guild missing
    from its cache is one the bot left). Any process sends any digest (over REST); a guild on
    another process's shard is not in this one's cache."""
    if not bot.is_ready():
        return False
    count = bot.shard_count or 1
    ids = getattr(bot, "shard_ids", None)
    if ids is None and bot.shard_id is not None:
        ids = [bot.shard_id]
    return ids is None or (guild_id >> 22) % count in ids


class DiscordSender:
    """Posts digests through discord.py (which retries 429s and 5xx itself)."""

    def __init__(self, bot: discord.Client) -> None:
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
                    raise DeliveryError(pause_text("not_messageable"), permanent=True)
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
        try:
            if guild is not None:
                await guild.fetch_member(sub.user_id)
            elif _serves(self.bot, sub.guild_id):  # connected to its shard: not there any more
                raise DeliveryError(NOT_IN_SERVER, permanent=True)
            else:  # another process's shard (or REST only): Discord knows
                await self.bot.http.get_member(sub.guild_id, sub.user_id)
        except discord.NotFound as exc:
            reason = NOT_IN_SERVER if exc.code == UNKNOWN_GUILD else NOT_A_MEMBER
            raise DeliveryError(reason, permanent=True, code=exc.code) from exc

    async def send(self, sub: Subscription, digest: Digest) -> int:
        destination = await self._destination(sub)
        messages = render(digest, when=when(digest))
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
        messages = render(digest, when=when(digest))
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
        return DeliveryError(pause_text("gone"), permanent=True, code=code)
    if isinstance(exc, discord.Forbidden):
        return DeliveryError(pause_text("forbidden"), permanent=True, code=code)
    return DeliveryError(f"Discord error {exc.status} {code}", permanent=False, code=code)
