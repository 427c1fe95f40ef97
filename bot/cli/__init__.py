"""The ``briefbot`` command line. Thin: it parses arguments, calls a service, prints.

Every command accepts ``--db PATH`` (or env ``BRIEFBOT_DB``) and ``--json``. With ``--json`` a
command prints exactly one JSON object on stdout; progress and notices go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot import __version__
from bot.cli import letters as letters_cmds
from bot.cli.output import emit_json, err
from bot.settings import get_settings


def _common(p: argparse.ArgumentParser, *, top: bool) -> None:
    # Sub-commands must not overwrite what was given before the command name.
    db_default = None if top else argparse.SUPPRESS
    json_default = False if top else argparse.SUPPRESS
    p.add_argument("--db", type=Path, default=db_default, help="SQLite file (env BRIEFBOT_DB)")
    p.add_argument(
        "--json", action="store_true", default=json_default, help="print one JSON object"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefbot",
        description="Dutch policy letters at work: ingest, search, summarise, and a Discord bot.",
    )
    parser.add_argument("--version", action="version", version=f"briefbot {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        for name, help_text, configure, handler in module.COMMANDS:
            p = sub.add_parser(name, help=help_text, description=help_text)
            _common(p, top=False)
            configure(p)
            p.set_defaults(handler=handler)
    return parser


def _command_modules() -> list:  # type: ignore[type-arg]
    from bot.cli import answers as answer_cmds
    from bot.cli import digests as digest_cmds
    from bot.cli import ops as ops_cmds

    return [letters_cmds, answer_cmds, ops_cmds, digest_cmds]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    # ``--db``/``--json`` may come before or after the command name.
    args.db = args.db or get_settings().db_path
    try:
        return asyncio.run(args.handler(args))
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except (LookupError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        if args.json:
            emit_json({"error": str(message)})
        else:
            err.print(f"[red]error:[/red] {message}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
