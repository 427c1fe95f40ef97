"""Full-text queries on PostgreSQL: the expressions the services write for SQLite's FTS5
(``bot.core.topics.fts_expression``: ``"stem"* AND "stem"*``; users' words; phrases) turned
into a ``tsquery`` over the ``search`` column of ``sentences``.

Only the FTS5 syntax the services use is accepted (words, ``"phrases"``, a trailing ``*`` for
a prefix, ``AND``/``OR``/``NOT``, implicit AND, parentheses); anything else (a column filter,
``^``, a stray operator, an unterminated string) is an ``InvalidQueryError``, as on SQLite.

A whole word matches its Dutch stem (``briefbot_nl``: "kinderen" finds "kind") or the word itself
(``briefbot_simple``); a prefix or a phrase matches the words as written (``briefbot_simple``),
which is what FTS5 does. Both configurations drop accents (``unaccent``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.store.base import InvalidQueryError

_TOKEN = re.compile(r'\s+|"(?:[^"]|"")*"|"|[()*:^+]|[\w\x1a]+|.', re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
_KEYWORDS = ("AND", "OR", "NOT")


@dataclass
class _Builder:
    """SQL of a tsquery expression, with its parameters numbered from ``first``."""

    first: int
    params: list[str] = field(default_factory=list)

    def param(self, value: str) -> str:
        self.params.append(value)
        return f"${self.first + len(self.params) - 1}"


def to_tsquery_sql(expression: str, *, first_param: int = 1) -> tuple[str, list[str]]:
    """``(sql, params)``: a SQL expression of type tsquery for an FTS5 ``expression``, whose
    parameters are ``$first_param``, ``$first_param + 1`` ... Raises InvalidQueryError."""
    tokens = [t for t in _TOKEN.findall(expression) if not t.isspace()]
    builder = _Builder(first_param)
    parser = _Parser(tokens, builder, expression)
    sql = parser.parse()
    return sql, builder.params


class _Parser:
    def __init__(self, tokens: list[str], builder: _Builder, source: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.b = builder
        self.source = source

    def fail(self, why: str) -> InvalidQueryError:
        return InvalidQueryError(f"invalid search {self.source!r}: {why}")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> str:
        if not self.tokens:
            raise self.fail("empty query")
        sql = self.or_expr()
        if self.peek() is not None:
            raise self.fail(f"syntax error near {self.peek()!r}")
        return sql

    def or_expr(self) -> str:
        parts = [self.and_expr()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"

    def and_expr(self) -> str:
        parts = [self.not_expr()]
        while True:
            token = self.peek()
            if token == "AND":
                self.take()
            elif token is None or token in ("OR", "NOT", ")"):
                break
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else "(" + " && ".join(parts) + ")"

    def not_expr(self) -> str:
        sql = self.primary()
        while self.peek() == "NOT":
            self.take()
            sql = f"({sql} && !!{self.primary()})"
        return sql

    def primary(self) -> str:
        token = self.peek()
        if token is None:
            raise self.fail("the query ends too early")
        if token == "(":
            self.take()
            sql = self.or_expr()
            if self.peek() != ")":
                raise self.fail("a parenthesis is not closed")
            self.take()
            return sql
        if token in _KEYWORDS or token in (")", "*"):
            raise self.fail(f"syntax error near {token!r}")
        self.take()
        if token == '"':
            raise self.fail("unterminated string")
        if token.startswith('"'):
            text = token[1:-1].replace('""', '"')
        elif _WORD.fullmatch(token.replace("\x1a", "_")):
            text = token
        else:
            raise self.fail(f"syntax error near {token!r}")
        if self.peek() == ":":
            raise self.fail(f"no such column: {text}")
        prefix = self.peek() == "*"
        if prefix:
            self.take()
        return self.term(text, prefix=prefix)

    def term(self, text: str, *, prefix: bool) -> str:
        words = _WORD.findall(text)
        if not words:
            return "''::tsquery"
        b = self.b
        if len(words) == 1 and not prefix:
            p = b.param(words[0])
            return (
                f"(plainto_tsquery('briefbot_nl', {p}) || plainto_tsquery('briefbot_simple', {p}))"
            )
        if not prefix:
            return f"phraseto_tsquery('briefbot_simple', {b.param(' '.join(words))})"
        last = f"to_tsquery('briefbot_simple', {b.param(words[-1] + ':*')})"
        if len(words) == 1:
            return last
        head = f"phraseto_tsquery('briefbot_simple', {b.param(' '.join(words[:-1]))})"
        return f"tsquery_phrase({head}, {last})"
