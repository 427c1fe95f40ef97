"""What ``briefbot --help`` and ``briefbot COMMAND --help`` show: one screen each, with an
example that works on the bundled letter (the tests run every example through the parser)."""

from __future__ import annotations

import argparse

DESCRIPTION = "Dutch policy letters at work: search, summaries, recommendations, digests, Discord."

#: One example per command (and per ``digest`` action), as typed in a shell.
EXAMPLES: dict[str, str] = {
    "ingest": "briefbot ingest brieven/ nieuwe-brief.pdf",
    "letters": "briefbot letters --json",
    "show": "briefbot show 1",
    "summary": "briefbot summary --letter 1 --length 3",
    "recommendations": "briefbot recommendations --topic kinderporno",
    "quote": 'briefbot quote "aanpak mensenhandel reservebank" --limit 3',
    "ask": 'briefbot ask "Wat vraagt de rapporteur aan de informateur?"',
    "topics": "briefbot topics --letter 1",
    "run": "briefbot run",
    "sync": "BRIEFBOT_DEV_GUILD=123456789012345678 briefbot sync",
    "check": "briefbot check --json",
    "backup": "briefbot backup backups/briefbot-2026-12-01.sqlite3",
    "restore": "briefbot restore backups/briefbot-2026-12-01.sqlite3",
    "migrate": "BRIEFBOT_DB=postgresql://briefbot@localhost/briefbot briefbot migrate --json",
    "copy": "briefbot copy --from sqlite:data/briefbot.sqlite3 "
    "--to postgresql://briefbot@localhost/briefbot",
    "digest": "briefbot digest list",
    "digest list": "briefbot digest list --json",
    "digest add": "briefbot digest add --channel 123456789012345678 --guild 876543210987654321 "
    "--time 09:00",
    "digest remove": "briefbot digest remove 3",
    "digest preview": "briefbot digest preview 3",
    "digest send-now": "briefbot digest send-now 3",
    "follow": "briefbot follow list",
    "follow add": "briefbot follow add tweedekamer --type 'Brief regering' --dossier 28638",
    "follow add tweedekamer": "briefbot follow add tweedekamer --type 'Brief regering' "
    "--dossier 28638 --since 2025-01-01",
    "follow add folder": "briefbot follow add folder /srv/scraper/brieven",
    "follow list": "briefbot follow list --json",
    "follow remove": "briefbot follow remove 2",
    "follow poll": "briefbot follow poll --json",
    "index": "briefbot index status",
    "index status": "briefbot index status --json",
    "index build": "briefbot index build",
}

COMMANDS_TEXT = """\
read and search:
  letters                 list the stored letters
  show LETTER             one letter: metadata, sections, numbered sentences, repairs
  summary                 the key sentences of a letter, a section or a topic
  recommendations         what the letters ask for, grouped per topic
  topics                  the topics, with their number of recommendations
  quote TEXT              the exact sentence a half-remembered fragment comes from
  ask TEXT                an answer to a question in Dutch or English, with cited passages
add letters:
  ingest PATH...          store .txt/.pdf letters (files, or folders searched recursively)
  follow ACTION           followed sources (Tweede Kamer, a folder): add, list, remove, poll
Discord:
  run                     start the bot (needs DISCORD_TOKEN; see .env.example)
  sync                    push the slash commands to Discord now
  digest ACTION           daily digests: list, add, remove, preview, send-now
operate:
  check                   database integrity, counts, whether the token is set
  index ACTION            the semantic index: status (sentences waiting for vectors), build
  backup PATH             an online copy of the database (safe while the bot runs)
  restore PATH            replace the database with a checked backup
  migrate                 create or upgrade the schema (SQLite or PostgreSQL)
  copy --from --to        copy a SQLite store into PostgreSQL, checked
"""

TOP_EPILOG = (
    COMMANDS_TEXT
    + """
examples:
  briefbot quote "de aanpak van mensenhandel hoort niet op de reservebank"
  briefbot ask "Wat vraagt de rapporteur aan de informateur?"
  briefbot COMMAND --help        options and an example for one command

Every command takes --db (default data/briefbot.sqlite3) and --json (one JSON object on stdout).
Exit codes: 0 ok, 1 error, 2 usage or setup problem, 3 Discord cannot be reached."""
)


class UsageError(Exception):
    """A command line that does not parse; said in one line by :func:`bot.cli.main`."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that points at ``--help`` (and, with
    ``--json``, a JSON object), not a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}; see `{self.prog} --help`")


def example_epilog(name: str) -> str | None:
    example = EXAMPLES.get(name)
    return f"example:\n  {example}" if example else None


def formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=26, width=100)


def common_options(p: argparse.ArgumentParser, *, top: bool) -> None:
    """``--db`` and ``--json``, on the top parser and on every sub-command."""
    # Sub-commands must not overwrite what was given before the command name.
    db_default = None if top else argparse.SUPPRESS
    json_default = False if top else argparse.SUPPRESS
    p.add_argument(
        "--db",
        default=db_default,
        metavar="PATH",
        help="the SQLite file, or a postgresql:// URL (env BRIEFBOT_DB)",
    )
    p.add_argument(
        "--json", action="store_true", default=json_default, help="print one JSON object"
    )
