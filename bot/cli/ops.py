"""Operator commands: ``run``, ``sync``, ``check``, ``backup``, ``restore``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

from bot.cli.output import count, emit_json, err, fail, out
from bot.services.vectors import vector_status
from bot.settings import Settings, get_settings
from bot.store import StoreError, backend_of, describe, open_store, sqlite_path
from bot.store.records import StoreStats

TOKEN_HELP = (
    "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications "
    "(your app -> Bot -> Reset Token) and put the token in .env as DISCORD_TOKEN=... "
    "(see .env.example and the README)."
)
REJECTED_HELP = (
    "Discord rejected the token in DISCORD_TOKEN. Reset it in the Developer Portal "
    "(your app -> Bot -> Reset Token) and update .env."
)
INTENTS_HELP = (
    "Discord refused the requested intents; briefbot needs none of the privileged ones, so "
    "check the bot's settings in the Developer Portal (see the README)."
)
UNREACHABLE_HELP = (
    "Cannot reach Discord ({reason}). Check this machine's network connection (and any proxy "
    "or firewall), then start briefbot again; once connected, it reconnects by itself."
)
OUTAGE_HELP = (
    "Discord answered with an error ({reason}); it is probably having an outage. Try again in "
    "a few minutes (https://discordstatus.com)."
)

CLOSED_HELP = (
    "Discord closed the connection (code {code}: {reason}) and will not take it back; start "
    "briefbot again, and if it keeps happening check the bot's settings in the Developer Portal."
)

EXIT_SETUP = 2  # a missing or rejected token, refused intents, a bad setting
EXIT_UNREACHABLE = 3  # Discord cannot be reached (network) or is down


def settings_for(args: argparse.Namespace) -> Settings:
    return get_settings().model_copy(update={"database": args.db})


def token_for(settings: Settings) -> str | None:
    """The bot token, with logging set up to redact it; None (after saying what to do) when
    none is set."""
    from bot.logs import setup_logging

    if settings.discord_token is None:
        _say(TOKEN_HELP)
        return None
    token = settings.discord_token.get_secret_value()
    setup_logging(settings.log_level, secrets=[token])
    return token


def discord_failure(exc: BaseException) -> tuple[str, int] | None:
    """What to tell the operator when logging in to Discord failed, and the exit code; None
    for an exception that is not about reaching Discord (a bug: let it show)."""
    import aiohttp
    import discord

    if isinstance(exc, discord.LoginFailure):
        return REJECTED_HELP, EXIT_SETUP
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return INTENTS_HELP, EXIT_SETUP
    if isinstance(exc, discord.ConnectionClosed):  # a close code discord.py does not retry
        if exc.code == 4004:  # authentication failed: the token was reset meanwhile
            return REJECTED_HELP, EXIT_SETUP
        return CLOSED_HELP.format(code=exc.code, reason=exc.reason or "no reason"), EXIT_UNREACHABLE
    if isinstance(exc, discord.DiscordServerError | discord.GatewayNotFound):
        reason = f"HTTP {exc.status}" if isinstance(exc, discord.HTTPException) else "no gateway"
        return OUTAGE_HELP.format(reason=reason), EXIT_UNREACHABLE
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        reason = f"the name {exc.host} does not resolve"
    elif isinstance(exc, aiohttp.ClientConnectorError):
        why = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
        reason = f"{exc.host}:{exc.port}: {why.lower()}"
    elif isinstance(exc, TimeoutError):
        reason = "the connection timed out"
    elif isinstance(exc, aiohttp.ClientError | OSError):
        reason = str(exc) or type(exc).__name__
    else:
        return None
    return UNREACHABLE_HELP.format(reason=reason), EXIT_UNREACHABLE


def _say(help_text: str) -> None:
    err.print(help_text, soft_wrap=True, markup=False)


def _configure_run(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--shards",
        metavar="IDS",
        help="the gateway shards this process serves, like 0-1 or 0,2 (other processes serve "
        "the rest, on the same database; env BRIEFBOT_SHARDS)",
    )
    p.add_argument(
        "--shard-count",
        metavar="N",
        help="how many shards the bot has in all, the same in every process, or auto (the "
        "default: one process serves as many as Discord recommends; env BRIEFBOT_SHARD_COUNT)",
    )


def _with_shards(settings: Settings, args: argparse.Namespace) -> Settings:
    """The settings with ``--shards``/``--shard-count`` (which override the environment)."""
    from bot.settings import ShardPlan

    shards = getattr(args, "shards", None) or settings.shards
    count = getattr(args, "shard_count", None) or settings.shard_count
    ShardPlan.of(shards, count)  # ValueError: one line saying what to write instead
    return settings.model_copy(update={"shards": shards, "shard_count": count})


async def run(args: argparse.Namespace) -> int:
    """Start the bot. Logging in is tried once: a token Discord rejects, or a network that
    cannot reach Discord, ends the start with one line saying what to do (exit 2 or 3). Once
    the bot is connected, discord.py reconnects to the gateway by itself, with exponential
    backoff, for as long as it takes."""
    from bot.chat.entry import bot_client
    from bot.services.app import Services

    try:
        settings = _with_shards(settings_for(args), args)
    except ValueError as exc:
        return fail(args, str(exc), code=EXIT_SETUP)
    token = token_for(settings)
    if token is None:
        return EXIT_SETUP
    services = await Services.open(settings)
    try:
        return await _serve(bot_client(settings, services), token)
    finally:
        await services.close()


async def _serve(bot: Any, token: str) -> int:
    """Run ``bot`` until SIGINT/SIGTERM or a failure to reach Discord; the exit code."""
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
            assert exc is not None
            failure = discord_failure(exc)
            if failure is None:
                raise exc
            _say(failure[0])
            return failure[1]
        return 0
    finally:
        stopper.cancel()
        await bot.close()
        if not runner.done():
            runner.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await runner


async def sync(args: argparse.Namespace) -> int:
    from bot.chat.entry import sync_now
    from bot.services.app import Services

    settings = settings_for(args)
    token = token_for(settings)
    if token is None:
        return EXIT_SETUP
    services = await Services.open(settings)
    try:
        synced = await sync_now(settings, services, token)
    except Exception as exc:
        failure = discord_failure(exc)
        if failure is None:
            raise
        _say(failure[0])
        return failure[1]
    finally:
        await services.close()
    target = f"guild {settings.dev_guild}" if settings.dev_guild else "all servers"
    if args.json:
        emit_json({"synced": synced, "target": target})
    else:
        where = f"server {settings.dev_guild}" if settings.dev_guild else "all servers"
        out.print(f"synced {count(synced or 0, 'command')} to {where}")
    return 0


def _configure_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no output; only the exit code")


def _activity(stats: StoreStats) -> dict[str, Any]:
    """Counts beyond the letters: sentences, digest subscriptions, the last digest sent."""
    last = stats.last_digest
    return {
        "sentences": stats.sentences,
        "subscriptions": {
            "active": stats.subscriptions_active,
            "paused": stats.subscriptions_paused,
        },
        "last_digest": None
        if last is None
        else {
            "subscription": last.subscription_id,
            "due_date": last.key,
            "sent_at": last.updated_at.isoformat(),
        },
    }


async def check(args: argparse.Namespace) -> int:
    """JSON keys (stable): database, integrity, schema_version, letters, sentences,
    subscriptions {active, paused}, last_digest {subscription, due_date, sent_at} or null,
    vectors (``briefbot index status --json``'s object), token_set, ok; and error when the
    database cannot be checked."""
    settings = settings_for(args)
    report: dict[str, object] = {"database": describe(args.db)}  # no password
    ok = True
    try:
        if backend_of(args.db) == "sqlite" and not await asyncio.to_thread(
            Path(sqlite_path(args.db)).is_file
        ):
            raise StoreError(f"no database at {args.db}")
        async with open_store(args.db) as store:
            integrity = await store.integrity_check()
            report["integrity"] = integrity
            report["schema_version"] = store.schema_version
            report["letters"] = await store.letters.count()
            ok = integrity == ["ok"]
            report.update(_activity(await store.stats()))
            report["vectors"] = (await vector_status(store)).as_json()
    except (StoreError, OSError) as exc:
        report["error"] = str(exc)
        ok = False
    report["token_set"] = settings.discord_token is not None
    report["ok"] = ok
    if args.quiet:
        return 0 if ok else 1
    if args.json:
        emit_json(report)
    else:
        for label, value in _check_lines(report):
            out.print(f"{label:<13} {value}", markup=False, soft_wrap=True)
    return 0 if ok else 1


def _check_lines(report: dict[str, Any]) -> list[tuple[str, str]]:
    """``briefbot check`` for a person: one line per fact, no Python reprs."""
    lines = [("database", str(report["database"]))]
    if "error" in report:
        lines.append(("error", str(report["error"])))
    if "integrity" in report:
        problems = [p for p in report["integrity"] if p != "ok"]
        lines.append(("integrity", "ok" if not problems else "; ".join(problems[:5])))
    if "schema_version" in report:
        lines.append(("schema", f"version {report['schema_version']}"))
    if "letters" in report:
        text = count(report["letters"], "letter")
        if "sentences" in report:
            text += f", {count(report['sentences'], 'sentence')}"
        lines.append(("letters", text))
    if "vectors" in report:
        from bot.cli.index import status_line
        from bot.services.vectors import VectorProgress

        v = report["vectors"]
        progress = VectorProgress(
            v["letters"], v["sentences"], v["pending_letters"], v["pending_sentences"], v["model"]
        )
        lines.append(("vectors", status_line(progress)))
    if "subscriptions" in report:
        subs = report["subscriptions"]
        lines.append(("digests", f"{subs['active']} active, {subs['paused']} paused"))
        last = report.get("last_digest")
        lines.append(
            (
                "last digest",
                f"subscription {last['subscription']} for {last['due_date']}, "
                f"sent {str(last['sent_at'])[:16].replace('T', ' ')} UTC"
                if last
                else "none sent yet",
            )
        )
    lines.append(("token", "set" if report["token_set"] else "not set (DISCORD_TOKEN)"))
    lines.append(("status", "ok" if report["ok"] else "NOT OK"))
    return lines


def _configure_backup(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path, metavar="PATH", help="file to write the backup to")
    p.add_argument("--force", action="store_true", help="overwrite PATH if it exists")


async def backup(args: argparse.Namespace) -> int:
    """An online copy of the database (SQLite's backup API): safe while the bot runs."""
    from bot.store.sqlite.backup import BackupError, backup_database

    try:
        info = await asyncio.to_thread(
            backup_database, _sqlite_file(args), args.path, overwrite=args.force
        )
    except BackupError as exc:
        return _refused(args, str(exc))
    report = {
        "backup": str(info.path),
        "bytes": info.bytes,
        "schema_version": info.schema_version,
        "letters": info.letters,
        "integrity": info.integrity,
    }
    if args.json:
        emit_json(report)
    else:
        out.print(
            f"backed up {args.db} to {info.path}: {count(info.letters, 'letter')}, "
            f"{info.bytes / 1024 / 1024:.1f} MB, schema {info.schema_version}, integrity ok"
        )
    return 0


def _configure_restore(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path, metavar="PATH", help="a backup made by `briefbot backup`")


async def restore(args: argparse.Namespace) -> int:
    """Replace the database with a validated backup; the replaced one is kept in ``replaced/``
    next to it (said in the output).
    Refused while the bot has the database open."""
    from bot.store.sqlite.backup import BackupError, restore_database

    try:
        result = await asyncio.to_thread(restore_database, args.path, _sqlite_file(args))
    except BackupError as exc:
        return _refused(args, str(exc))
    report = {
        "restored": str(result.target),
        "from": str(result.source),
        "replaced": str(result.replaced) if result.replaced else None,
        "schema_version": result.info.schema_version,
        "letters": result.info.letters,
    }
    if args.json:
        emit_json(report)
    else:
        kept = f"; the previous database is kept as {result.replaced}" if result.replaced else ""
        letters = count(result.info.letters, "letter")
        out.print(
            f"restored {result.target} from {result.source}: {letters}, "
            f"schema {result.info.schema_version}{kept}"
        )
    return 0


def _sqlite_file(args: argparse.Namespace) -> Path:
    """The database file ``backup`` and ``restore`` work on (they copy SQLite files)."""
    from bot.store.sqlite.backup import BackupError

    if backend_of(args.db) != "sqlite":
        raise BackupError(
            "backup and restore copy a SQLite file; back up a PostgreSQL database with pg_dump"
        )
    return Path(sqlite_path(args.db))


def _refused(args: argparse.Namespace, message: str) -> int:
    return fail(args, message)


COMMANDS = [
    ("run", "start the Discord bot (needs DISCORD_TOKEN)", _configure_run, run),
    ("sync", "sync the slash commands with Discord now", lambda p: None, sync),
    ("check", "database integrity, schema version, counts, token set", _configure_check, check),
    ("backup", "copy the database to PATH (safe while the bot runs)", _configure_backup, backup),
    ("restore", "replace the database with a checked backup", _configure_restore, restore),
]
