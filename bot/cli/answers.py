"""``briefbot summary``, ``recommendations``, ``quote``, ``ask``, ``topics``.

JSON contracts (one object on stdout with ``--json``):

* summary         -> {"letter": ID, "sentences": [{"text", "letter", "page", "sentence"}]}
* recommendations -> {"topic": T|null, "recommendations": [{"text", "kind", "topics", "letter",
                      "page", "sentence"}]}
* quote           -> {"matches": [{"text", "score", "letter", "page", "sentence", "before",
                      "after"}]}
* ask             -> {"answer": str, "passages": [{"text", "score", "letter", "page", "sentence"}]}
* topics          -> {"topics": [{"slug", "name", "recommendations"}]}
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.markup import escape

from bot.cli.common import opened_services
from bot.cli.output import cite, emit_json, err, out
from bot.core import ask as ask_core
from bot.services.ask import Reply
from bot.services.catalog import Catalog
from bot.services.scope import GLOBAL


def _length(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def _configure_summary(p: argparse.ArgumentParser) -> None:
    p.add_argument("--letter", help="letter id or slug (default: the most recent letter)")
    p.add_argument("--topic", help="summarise one topic or section")
    p.add_argument(
        "--length", type=_length, default=5, help="3 (short), 5 (default), 10 (long), or 1-20"
    )


async def summary(args: argparse.Namespace) -> int:
    async with opened_services(args) as services:
        result = await services.summaries.summarize(
            scope=GLOBAL, letter=args.letter, topic=args.topic, length=args.length
        )
    if args.json:
        emit_json(
            {
                "letter": result.letter.number,
                "sentences": [
                    {
                        "text": s.text,
                        "letter": services.catalog.number(s.letter_id),
                        "page": s.page,
                        "sentence": s.sentence,
                    }
                    for s in result.sentences
                ],
            }
        )
        return 0
    out.print(f"[bold]{escape(result.letter.title)}[/bold] (letter {result.letter.ref})")
    for s in result.sentences:
        where = cite(services.catalog.ref(s.letter_id), s.page, s.sentence)
        out.print(f"- {escape(s.text)} [dim]{escape(where)}[/dim]")
    return 0


def _configure_recommendations(p: argparse.ArgumentParser) -> None:
    p.add_argument("--topic", help="a topic, e.g. coördinatie or kinderporno")
    p.add_argument("--letter", help="letter id or slug")


async def recommendations(args: argparse.Namespace) -> int:
    async with opened_services(args) as services:
        answer = await services.recommendations.recommendations(
            GLOBAL, topic=args.topic, letter=args.letter
        )
    if args.json:
        emit_json(
            {
                "topic": answer.topic,
                "recommendations": [
                    {
                        "text": r.text,
                        "kind": r.kind,
                        "topics": list(r.topics),
                        "letter": services.catalog.number(r.letter_id),
                        "page": r.page,
                        "sentence": r.sentence,
                    }
                    for r in answer.recommendations
                ],
            }
        )
        return 0
    if not answer.recommendations:
        out.print("no recommendations found")
    for group, recs in answer.grouped():
        out.print(f"\n[bold]{escape(group.name)}[/bold] ({group.recommendations})")
        for r in recs:
            out.print(
                f"- [italic]{r.kind}[/italic]: {escape(r.text)} "
                f"[dim]{escape(cite(services.catalog.ref(r.letter_id), r.page, r.sentence))}[/dim]"
            )
    return 0


MAX_LIMIT = 50


def _limit(value: str) -> int:
    """``--limit``: a whole number from 1 to MAX_LIMIT (0 is an error, not silently 1)."""
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(
            f"--limit must be a whole number from 1 to {MAX_LIMIT}, not {value!r}"
        )
    return int(value)


def _configure_quote(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", metavar="TEXT", help="the fragment you remember")
    p.add_argument("--letter", help="letter id or slug")
    p.add_argument(
        "--limit", type=_limit, default=5, metavar="N", help="how many matches, 1-50 (default 5)"
    )


async def quote(args: argparse.Namespace) -> int:
    async with opened_services(args) as services:
        matches = await services.quotes.find(
            args.text, scope=GLOBAL, letter=args.letter, limit=args.limit
        )
    if args.json:
        emit_json(
            {
                "matches": [
                    {
                        "text": m.text,
                        "score": m.score,
                        "letter": services.catalog.number(m.letter_id),
                        "page": m.page,
                        "sentence": m.sentence,
                        "before": m.before,
                        "after": m.after,
                    }
                    for m in matches
                ]
            }
        )
        return 0
    if not matches:
        out.print("no match: no sentence is close enough to that fragment; try other words")
    for m in matches:
        a, b = m.span
        shown = f"{escape(m.text[:a])}[bold]{escape(m.text[a:b])}[/bold]{escape(m.text[b:])}"
        where = cite(services.catalog.ref(m.letter_id), m.page, m.sentence)
        out.print(f"{m.score:>3}  {shown} [dim]{escape(where)}[/dim]")
    return 0


def _configure_ask(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", metavar="TEXT", help="a question in Dutch or English")


def question_problem(text: str) -> str | None:
    """Why ``text`` cannot be asked, in the CLI's language (the ask service says it in Dutch);
    None when it can. Empty input is an error here, as in ``quote``."""
    if ask_core.problem(text) is None:
        return None
    if not text.strip():
        return 'type a question, for example: briefbot ask "Wat vraagt de rapporteur?"'
    if len(text.strip()) > ask_core.MAX_QUESTION_CHARS:
        return (
            f"the question is {len(text.strip()):,} characters long; ask a shorter one "
            f"(at most {ask_core.MAX_QUESTION_CHARS:,})"
        )
    return "the question has no words to search for; ask it in Dutch or English"


def _cited(
    catalog: Catalog, text: str, score: float, letter_id: int, page: int, sentence: int
) -> dict[str, Any]:
    return {
        "text": text,
        "score": score,
        "letter": catalog.number(letter_id),
        "page": page,
        "sentence": sentence,
    }


def reply_json(catalog: Catalog, reply: Reply) -> tuple[str, list[dict[str, Any]]]:
    """The answer and its cited passages, as ``ask --json`` prints them, whichever way the
    question was answered (a summary, recommendations, a quote, passages)."""
    if reply.kind == "summary" and reply.summary is not None:
        sentences = reply.summary.sentences
        passages = [
            _cited(catalog, s.text, 1.0, s.letter_id, s.page, s.sentence) for s in sentences
        ]
        return " ".join(s.text for s in sentences), passages
    if reply.kind == "recommendations" and reply.recommendations is not None:
        recs = reply.recommendations.recommendations
        passages = [_cited(catalog, r.text, 1.0, r.letter_id, r.page, r.sentence) for r in recs]
        return "\n".join(p["text"] for p in passages) or reply.answer.text, passages
    if reply.kind == "quote":
        passages = [
            _cited(catalog, m.text, m.score / 100, m.letter_id, m.page, m.sentence)
            for m in reply.quotes
        ]
        return passages[0]["text"], passages
    passages = [
        {
            **_cited(catalog, p.text, round(p.score, 4), p.letter_id, p.page, p.sentence),
            "context": [
                {"text": c.text, "page": c.page, "sentence": c.sentence} for c in p.context
            ],
        }
        for p in reply.answer.passages
    ]
    return reply.answer.text, passages


async def ask(args: argparse.Namespace) -> int:
    why = question_problem(args.text)
    if why is not None:
        raise ValueError(why)
    async with opened_services(args) as services:
        reply = await services.answers.answer(args.text, scope=GLOBAL)
        text, passages = reply_json(services.catalog, reply)
    if args.json:
        emit_json({"answer": text, "passages": passages})
        return 0
    if not reply.found:
        out.print(
            "no passage in the letters answers this question; try other words, or "
            "`briefbot quote` for a sentence you remember"
        )
        return 0
    # The answer cites its passages as [n, p. X]: n is the n-th passage listed below.
    out.print(escape(text))
    if passages:
        out.print()
    for n, p in enumerate(passages, 1):
        where = escape(cite(p["letter"], p["page"], p["sentence"]))
        out.print(f"[bold]\\[{n}][/bold] {escape(p['text'])} [dim]{where}[/dim]")
    return 0


def _configure_topics(p: argparse.ArgumentParser) -> None:
    p.add_argument("--letter", help="letter id or slug")


async def topics(args: argparse.Namespace) -> int:
    async with opened_services(args) as services:
        found = await services.recommendations.topics(GLOBAL, letter=args.letter)
    if args.json:
        emit_json(
            {
                "topics": [
                    {"slug": t.slug, "name": t.name, "recommendations": t.recommendations}
                    for t in found
                ]
            }
        )
        return 0
    if not found:
        err.print("no topics yet")
    for t in found:
        out.print(f"{t.recommendations:>4}  {escape(t.name)} [dim]({t.slug})[/dim]")
    return 0


COMMANDS = [
    ("summary", "the key sentences of a letter, section or topic", _configure_summary, summary),
    ("recommendations", "recommendations per topic", _configure_recommendations, recommendations),
    ("quote", "find the exact sentence from a fragment", _configure_quote, quote),
    ("ask", "answer a question with cited passages", _configure_ask, ask),
    ("topics", "topics with their number of recommendations", _configure_topics, topics),
]
