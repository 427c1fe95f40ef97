"""``briefbot --help`` fits on one screen; every command's ``--help`` has an example, and every
example parses; a usage error is one line."""

from __future__ import annotations

import argparse
import shlex

import pytest

from bot.cli import build_parser, main
from bot.cli.help import EXAMPLES


def commands() -> list[str]:
    """Every command name, and every ``digest`` action as ``digest ACTION``."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    names = []
    for name, p in sub.choices.items():
        names.append(name)
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                names += [f"{name} {inner}" for inner in action.choices]
    return names


def help_of(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_top_level_help_is_one_screen_and_lists_every_command(capsys):
    text = help_of(capsys)
    assert len(text.splitlines()) <= 40
    assert max(len(line) for line in text.splitlines()) <= 100
    for name in commands():
        assert f"  {name.split()[0]}" in text, name
    assert "examples:" in text and 'briefbot ask "' in text


@pytest.mark.parametrize("name", commands())
def test_every_command_has_a_help_with_an_example_that_parses(capsys, name):
    text = help_of(capsys, *name.split())
    assert f"usage: briefbot {name}" in text
    assert "example:" in text
    example = EXAMPLES[name]
    assert f"example:\n  {example}" in text
    argv = shlex.split(example)
    while "=" in argv[0]:  # VAR=value before the command
        argv.pop(0)
    assert argv[0] == "briefbot"
    args = build_parser().parse_args(argv[1:])  # raises (a usage error) if it does not parse
    assert args.handler is not None


def test_no_command_shows_the_help_and_exit_2(capsys):
    assert main([]) == 2
    assert "read and search:" in capsys.readouterr().out


def test_an_unknown_command_is_one_line_pointing_at_help(capsys):
    assert main(["sumary"]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert "invalid choice: 'sumary'" in line and "briefbot --help" in line
