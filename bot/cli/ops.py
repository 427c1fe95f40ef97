"""Operator commands: ``run``, ``sync``, ``check``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bot.cli.output import emit_json, err, out
from bot.settings import Settings, get_settings
from bot.store import StoreError, open_store

TOKEN_HELP = (
    "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications "
    "(your app -> Bot -> Reset Token) and put the token in .env as DISCORD_TOKEN=... "
    "(see .env.example and the README)."
)
REJECTED_HELP = (
    "Discord rejected the token in DISCORD_TOKEN. Reset it in the Developer Portal "
    "(your app -> Bot -> Reset Token) and update .env."
)


def settings_for(args: argparse.Namespace) -> Settings:
    return get_settings().model_copy(update={"db_path": args.db})


async def run(args: argparse.Namespace) -> int:
    import discord

    from bot.chat.client import BriefBot
    from bot.logs import setup_logging

    settings = settings_for(args)
    if settings.discord_token is None:
        err.print(TOKEN_HELP, soft_wrap=True)
        return 2
    token = settings.discord_token.get_secret_value()
    setup_logging(settings.log_level, secrets=[token])
    bot = BriefBot(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(bot.start(token), name="discord")
    stopper = asyncio.create_task(stop.wait(), name="signals")
    try:
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done and runner.exception() is not None:
            exc = runner.exception()
            if isinstance(exc, discord.LoginFailure):
                err.print(REJECTED_HELP, soft_wrap=True)
                return 2
            if isinstance(exc, discord.PrivilegedIntentsRequired):
                err.print("Discord refused the requested intents; see the README.", soft_wrap=True)
                return 2
            raise exc
        return 0
    finally:
        stopper.cancel()
        await bot.close()
        if not runner.done():
            runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner


async def sync(args: argparse.Namespace) -> int:
    import discord

    from bot.chat.client import BriefBot
    from bot.chat.sync import sync_commands
    from bot.logs import setup_logging

    settings = settings_for(args)
    if settings.discord_token is None:
        err.print(TOKEN_HELP, soft_wrap=True)
        return 2
    token = settings.discord_token.get_secret_value()
    setup_logging(settings.log_level, secrets=[token])
    bot = BriefBot(settings, sync=False)
    try:
        await bot.login(token)  # HTTP only; runs setup_hook, which registers the commands
        count = await sync_commands(
            bot.tree,
            bot.core.store,
            application_id=bot.application_id,
            dev_guild=settings.dev_guild,
            force=True,
        )
    except discord.LoginFailure:
        err.print(REJECTED_HELP, soft_wrap=True)
        return 2
    finally:
        await bot.close()
    target = f"guild {settings.dev_guild}" if settings.dev_guild else "all servers"
    if args.json:
        emit_json({"synced": count, "target": target})
    else:
        out.print(f"synced {count} commands to {target}")
    return 0


def _configure_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no output; only the exit code")


async def check(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    report: dict[str, object] = {"database": str(args.db)}
    ok = True
    try:
        async with open_store(args.db) as store:
            integrity = await store.integrity_check()
            report["integrity"] = integrity
            report["schema_version"] = store.schema_version
            report["letters"] = await store.letters.count()
            ok = integrity == ["ok"]
    except (StoreError, OSError) as exc:
        report["error"] = str(exc)
        ok = False
    except Exception as exc:  # a corrupt file raises sqlite3.DatabaseError
        report["error"] = f"{type(exc).__name__}: {exc}"
        ok = False
    report["token_set"] = settings.discord_token is not None
    report["ok"] = ok
    if args.quiet:
        return 0 if ok else 1
    if args.json:
        emit_json(report)
    else:
        for key, value in report.items():
            out.print(f"{key:<15} {value}")
    return 0 if ok else 1


COMMANDS = [
    ("run", "start the Discord bot (needs DISCORD_TOKEN)", lambda p: None, run),
    ("sync", "sync the slash commands with Discord now", lambda p: None, sync),
    ("check", "database integrity, schema version, counts, token set", _configure_check, check),
]
