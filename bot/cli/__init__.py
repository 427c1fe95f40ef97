"""The ``briefbot`` command line. Thin: it parses arguments, calls a service, prints.

Every command accepts ``--db PATH`` (or env ``BRIEFBOT_DB``) and ``--json``. With ``--json`` a
command prints exactly one JSON object on stdout; progress and notices go to stderr. The
command line speaks English (answers to a question follow the question's language).

Exit codes: 0 done, 1 an error (a bad file, an unknown letter, ...), 2 a usage or setup problem
(a bad option, a missing or rejected token, a bad setting), 3 Discord cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import ValidationError

from bot import __version__
from bot.cli import letters as letters_cmds
from bot.cli.help import (
    DESCRIPTION,
    TOP_EPILOG,
    Parser,
    UsageError,
    common_options,
    example_epilog,
    formatter,
)
from bot.cli.output import fail
from bot.settings import describe, get_settings
from bot.store import StoreError


def add_command(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    help_text: str,
    *,
    example: str | None = None,
) -> argparse.ArgumentParser:
    """A sub-command parser with the common options and its example."""
    p = sub.add_parser(
        name.rsplit(" ", 1)[-1],
        prog=f"briefbot {name}",
        help=help_text,
        description=help_text,
        epilog=example_epilog(example or name),
        formatter_class=formatter,
    )
    common_options(p, top=False)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="briefbot",
        description=DESCRIPTION,
        epilog=TOP_EPILOG,
        formatter_class=formatter,
        usage="briefbot [--db PATH] [--json] COMMAND [options]",
    )
    parser.add_argument("--version", action="version", version=f"briefbot {__version__}")
    common_options(parser, top=True)
    # the commands are listed, grouped, in the epilog (``bot.cli.help.COMMANDS_TEXT``)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS)
    for module in _command_modules():
        for name, help_text, configure, handler in module.COMMANDS:
            p = add_command(sub, name, help_text)
            configure(p)
            p.set_defaults(handler=handler)
    return parser


def _command_modules() -> list:  # type: ignore[type-arg]
    from bot.cli import answers as answer_cmds
    from bot.cli import digests as digest_cmds
    from bot.cli import follow as follow_cmds
    from bot.cli import index as index_cmds
    from bot.cli import ops as ops_cmds
    from bot.cli import store as store_cmds

    return [
        letters_cmds, answer_cmds, ops_cmds, store_cmds, digest_cmds, follow_cmds, index_cmds,
    ]  # fmt: skip


def explain(exc: BaseException) -> str:
    """A refusal as one English clause saying what to do next, pointing at the command line's
    own commands (a refusal of the command line itself is said as written)."""
    from bot.core.errors import UserError
    from bot.core.refusals import clause, say

    if isinstance(exc, UserError):
        return clause(say(exc, "en", where="cli"))
    return clause(str(exc.args[0]) if exc.args else str(exc))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return fail(argparse.Namespace(json="--json" in argv), str(exc), code=2)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        settings = get_settings()
    except ValidationError as exc:
        return fail(args, describe(exc), code=2)
    # ``--db``/``--json`` may come before or after the command name.
    args.db = args.db or settings.database
    try:
        return asyncio.run(args.handler(args))
    except KeyboardInterrupt:
        return fail(args, "interrupted", code=130)
    except (LookupError, ValueError, StoreError) as exc:  # a store that cannot be opened too
        return fail(args, explain(exc))


if __name__ == "__main__":
    sys.exit(main())
