"""Run a real discord.py bot against a :class:`DiscordTestServer`.

``running_bot(server, bot)`` patches discord.py's two process-wide endpoints
(``discord.http.Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY``; also
``discord.asset.Asset.BASE`` so avatar downloads hit the server), starts
``bot.start(token)`` as a task, waits until the server sent READY and the bot's
``wait_until_ready()`` returned, and on exit checks that the runner task did not die,
cancels ``tasks.loop`` loops, closes the bot, restores the globals and asserts that the
bot called no route the server lacks (``server.unhandled == []``).
"""

# Timeouts as parameters are the point of these helpers.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import discord
import discord.asset
import discord.gateway
import discord.http
import yarl
from discord.ext import tasks

from tests.discord_server.server import DiscordTestServer

_active_patches: list[DiscordTestServer] = []


class BotCrashedError(AssertionError):
    """The task running ``bot.start()`` ended while the test was running."""


class UnhandledRoutesError(AssertionError):
    """The bot called REST routes the test server does not implement."""


@contextlib.contextmanager
def patch_discord(server: DiscordTestServer) -> Iterator[None]:
    """Point discord.py at ``server`` for the duration of the block (not re-entrant)."""
    if _active_patches:
        raise RuntimeError("discord.py is already patched for another test server")
    saved = (
        discord.http.Route.BASE,
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        discord.asset.Asset.BASE,
    )
    discord.http.Route.BASE = server.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
    discord.asset.Asset.BASE = server.base_url
    _active_patches.append(server)
    try:
        yield
    finally:
        _active_patches.remove(server)
        (
            discord.http.Route.BASE,
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            discord.asset.Asset.BASE,
        ) = saved


@dataclass
class BotRunner:
    """Handle on a bot started by :func:`running_bot`."""

    bot: discord.Client
    task: asyncio.Task[None]
    server: DiscordTestServer
    loops: list[tasks.Loop[Any]] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return not self.task.done()

    def crash(self) -> BaseException | None:
        """The exception that ended the runner task, if it ended with one."""
        if not self.task.done() or self.task.cancelled():
            return None
        return self.task.exception()

    def assert_alive(self) -> None:
        """Raise :class:`BotCrashedError` if the runner task has ended."""
        if self.task.done():
            exc = self.crash()
            raise BotCrashedError(f"the bot's runner task ended: {exc!r}") from exc


def find_loops(bot: discord.Client, extra: Iterable[tasks.Loop[Any]] = ()) -> list[tasks.Loop[Any]]:
    """``tasks.Loop`` objects bound to the bot and its cogs (plus ``extra``)."""
    found: list[tasks.Loop[Any]] = list(extra)
    owners: list[Any] = [bot]
    cogs = getattr(bot, "cogs", None)
    if isinstance(cogs, dict):
        owners.extend(cogs.values())
    for owner in owners:
        for name, value in inspect.getmembers_static(type(owner)):
            if isinstance(value, tasks.Loop):
                loop = getattr(owner, name)
                if loop not in found:
                    found.append(loop)
        for value in vars(owner).values():
            if isinstance(value, tasks.Loop) and value not in found:
                found.append(value)
    return found


async def _wait_ready(runner: BotRunner, timeout: float) -> None:
    server = runner.server
    start_count = server.ready_count
    ready = asyncio.ensure_future(server.wait_for_ready(start_count + 1, timeout=timeout))
    try:
        await asyncio.wait({ready, runner.task}, return_when=asyncio.FIRST_COMPLETED)
        runner.assert_alive()
        await ready  # raises TimeoutError if READY never went out
    finally:
        if not ready.done():
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await ready
    # P13: wait_until_ready() only works after login(); READY implies login happened.
    waiter = asyncio.ensure_future(runner.bot.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {waiter, runner.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        runner.assert_alive()
        if waiter not in done:
            raise TimeoutError(
                f"bot.wait_until_ready() did not return within {timeout}s "
                "(guild_ready_timeout=0.01 set on the bot?)"
            )
    finally:
        if not waiter.done():
            waiter.cancel()


@contextlib.asynccontextmanager
async def running_bot(
    server: DiscordTestServer,
    bot: discord.Client,
    token: str = "test-token",
    *,
    ready_timeout: float = 10.0,
    close_timeout: float = 10.0,
    loops: Iterable[tasks.Loop[Any]] = (),
    check_unhandled: bool = True,
) -> AsyncIterator[BotRunner]:
    """Start ``bot`` against ``server`` and yield a :class:`BotRunner` once it is ready.

    On exit (also on errors): remember whether the runner task already died, cancel the
    bot's ``tasks.loop`` loops (found on the bot and its cogs, plus ``loops``), ``await
    bot.close()``, wait for the task, restore discord.py's globals; then raise
    :class:`BotCrashedError` if the task had died, or :class:`UnhandledRoutesError` if
    ``server.unhandled`` is not empty (unless ``check_unhandled=False``), or an
    ``AssertionError`` if the test server itself raised (``server.internal_errors``).
    """
    with patch_discord(server):
        task = asyncio.create_task(bot.start(token), name=f"bot-runner-{id(bot):x}")
        runner = BotRunner(bot=bot, task=task, server=server)
        body_failed = False
        try:
            await _wait_ready(runner, ready_timeout)
            yield runner
        except BaseException:
            body_failed = True
            raise
        finally:
            crashed_early = task.done()
            crash = runner.crash() if crashed_early else None
            runner.loops = find_loops(bot, loops)
            for loop in runner.loops:
                loop.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(bot.close(), close_timeout)
            if not task.done():
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), close_timeout)
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            elif not task.cancelled():
                task.exception()  # mark retrieved
            if crashed_early and not body_failed:
                raise BotCrashedError(
                    f"the bot's runner task died during the test: {crash!r}"
                ) from crash
            if crashed_early and body_failed:
                # Keep the test's own exception but make the crash visible in the report.
                exc = sys.exc_info()[1]
                if exc is not None:
                    exc.add_note(f"[discord_server] the bot's runner task had died: {crash!r}")
    if server.internal_errors:
        raise AssertionError(
            f"the discord test server itself failed: {server.internal_errors!r}"
        ) from server.internal_errors[0]
    if check_unhandled and server.unhandled:
        lines = "\n".join(f"  {r.method} {r.path}" for r in server.unhandled)
        raise UnhandledRoutesError(f"the bot called routes the test server lacks:\n{lines}")
