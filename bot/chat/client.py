"""The Discord client: the adapter between Discord and the services.

:class:`BriefbotClient` receives the services (``bot.services.app.Services``, built once by
the caller), loads one cog per feature, syncs the commands when they changed, and once
connected starts the services' periodic jobs with its :class:`DiscordSender`. It keeps its own
background tasks referenced and logs their failures.

Sharding: the client is discord.py's ``AutoShardedBot``. With no shard settings it asks Discord
how many shards to open (``GET /gateway/bot``) and serves them all; with ``BRIEFBOT_SHARDS`` and
``BRIEFBOT_SHARD_COUNT`` (``briefbot run --shards 0-1 --shard-count 4``) it serves those shards
only, and other processes serve the rest, all on one store. IDENTIFYs are paced the way Discord
asks: at most ``max_concurrency`` shards (from ``GET /gateway/bot``) start per 5 seconds."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
from collections.abc import Coroutine
from typing import Any

import discord
from discord.ext import commands
from discord.voice_client import VoiceClient

from bot.chat.admin import Admin
from bot.chat.answers.cog import Answers
from bot.chat.answers.dm import DirectMessages
from bot.chat.common import ClientBase
from bot.chat.digests.cog import Digests
from bot.chat.digests.sender import DiscordSender
from bot.chat.errors import on_app_command_error
from bot.chat.http_tuning import tune_http
from bot.chat.i18n import Translator
from bot.chat.letters.cog import Letters
from bot.chat.privacy import Privacy
from bot.chat.replies import NO_MENTIONS
from bot.chat.sources.cog import Sources
from bot.chat.sync import sync_commands
from bot.services.app import Services
from bot.settings import Settings

log = logging.getLogger(__name__)

# briefbot has no voice: no warning at every start that the voice libraries are missing.
VoiceClient.warn_nacl = False
VoiceClient.warn_dave = False


def intents() -> discord.Intents:
    """Guilds and direct messages; no privileged intents (DM text arrives without them)."""
    value = discord.Intents.none()
    value.guilds = True
    value.dm_messages = True
    return value


IDENTIFY_INTERVAL = 5.0  # Discord: per rate-limit bucket, one IDENTIFY per 5 seconds


class IdentifyGate:
    """Paces IDENTIFYs like Discord asks: shard ``i`` is in bucket ``i % max_concurrency``,
    and each bucket starts one session per :data:`IDENTIFY_INTERVAL` seconds (a large bot's
    ``max_concurrency`` of 16 starts 16 shards at once; discord.py's default waits 5 s before
    every shard but the first).

    Across processes started together (``compose.yaml``) nothing is shared, so a process's
    first shard waits for its slot: shard ``i`` identifies ``i // max_concurrency`` intervals
    after the start, which keeps the shards of one bucket apart whichever process holds them."""

    def __init__(self, interval: float = IDENTIFY_INTERVAL) -> None:
        self.interval = interval
        self.max_concurrency: int | None = None
        self._last: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, shard_id: int, *, first: bool = False) -> None:
        """Return when ``shard_id`` may IDENTIFY; ``first``: this process's first one."""
        assert self.max_concurrency is not None
        async with self._lock:
            loop = asyncio.get_running_loop()
            bucket = shard_id % self.max_concurrency
            last = self._last.get(bucket)
            if last is not None:
                await asyncio.sleep(max(0.0, last + self.interval - loop.time()))
            elif first:
                await asyncio.sleep((shard_id // self.max_concurrency) * self.interval)
            self._last[bucket] = loop.time()


CPU_WORKERS = 1
SWITCH_INTERVAL = 0.001


def tune_for_latency(loop: asyncio.AbstractEventLoop) -> None:
    """Keep the event loop responsive while a worker thread does CPU-heavy work.

    Searches, summaries and parsing run in a thread (``asyncio.to_thread``), but Python runs one
    thread at a time, and the loop thread waits its turn behind every busy worker. Measured in
    ``bench/discord_load.py`` at a million sentences: one worker answers as fast as two (31
    interactions/s either way: the heavy parts hold the interpreter) and halves the loop's lag
    (p99 31 ms against 56 ms); a 1 ms switch interval (default 5 ms) hands the loop the
    interpreter sooner.
    """
    loop.set_default_executor(
        concurrent.futures.ThreadPoolExecutor(CPU_WORKERS, thread_name_prefix="briefbot-work")
    )
    sys.setswitchinterval(SWITCH_INTERVAL)


class BriefbotClient(ClientBase):
    def __init__(
        self,
        settings: Settings,
        services: Services,
        *,
        sync: bool = True,
        **kw: Any,
    ) -> None:
        kw.setdefault("intents", intents())
        plan = settings.shard_plan
        if "shard_count" not in kw and plan.count is not None:
            kw["shard_count"] = plan.count
            kw["shard_ids"] = list(plan.ids) if plan.ids is not None else None
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            allowed_mentions=NO_MENTIONS,
            **kw,
        )
        self.settings = settings
        self.services = services
        self.sender = DiscordSender(self)
        self._sync_on_start = sync
        self._tasks: set[asyncio.Task[Any]] = set()
        self._identify = IdentifyGate()

    def holds_guild(self, guild_id: int) -> bool:
        """Whether this process serves the shard of ``guild_id`` (and so has it cached)."""
        count = self.shard_count or 1
        ids = self.shard_ids
        return ids is None or (guild_id >> 22) % count in ids

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if self._identify.max_concurrency is None:
            try:
                _, _, limit = await self.http.get_bot_gateway()
                self._identify.max_concurrency = max(1, int(limit["max_concurrency"]))
            except Exception:  # Discord's answer is advice: pace as a small bot
                log.info("could not ask Discord how fast shards may start; one per 5 s")
                self._identify.max_concurrency = 1
        await self._identify.wait(shard_id or 0, first=initial)

    async def setup_hook(self) -> None:
        tune_for_latency(asyncio.get_running_loop())
        tune_http(self.http, max_requests_per_second=self.settings.max_requests_per_second)
        await self.tree.set_translator(Translator())
        self.tree.on_error = on_app_command_error
        for cog in (
            Letters(self),
            Answers(self),
            DirectMessages(self),
            Admin(self),
            Privacy(self),
            Digests(self),
            Sources(self),
        ):
            await self.add_cog(cog)
        if self._sync_on_start:
            await sync_commands(
                self.tree,
                self.services.store,
                application_id=self.application_id,
                dev_guild=self.settings.dev_guild,
            )
        self.spawn(self._warm(), name="warm-indexes")
        self.spawn(self._start_jobs(), name="start-jobs")

    async def _warm(self) -> None:
        await self.services.warm(vectors=False)  # the vector job does those
        await self.services.tour.warm()  # /help answers at once with its examples

    async def _start_jobs(self) -> None:
        # not while the client is only logged in over REST (``briefbot sync``)
        await self.wait_until_ready()
        self.services.start(sender=self.sender)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Start a background task that is kept referenced and whose failure is logged."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("background task failed", exc_info=exc, extra={"task": task.get_name()})

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.services.stop()  # the periodic jobs send through this client
        for name in list(self.cogs):
            await self.remove_cog(name)
        await super().close()

    async def on_ready(self) -> None:
        log.info(
            "connected",
            extra={
                "user": str(self.user),
                "guilds": len(self.guilds),
                "shards": sorted(self.shards),
                "shard_count": self.shard_count,
            },
        )
