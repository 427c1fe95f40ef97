"""``briefbot index status|build``: how far the semantic index (sentence vectors) is.

An ingest makes letters answerable at once (quotes, recommendations, BM25 questions); their
sentence vectors, which let a question find a paraphrase or an English question a Dutch
sentence, are computed after it: by the bot in the background, by ``ingest`` itself for a small
batch, or by ``index build``.

JSON contracts (one object on stdout with ``--json``):

* index status -> {"letters", "sentences", "with_vectors", "pending_letters",
                   "pending_sentences", "model", "complete"}
* index build  -> the same, after the build, plus {"embedded_letters", "embedded_sentences",
                   "seconds", "sentences_per_second"}
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.cli.common import opened_services
from bot.cli.help import common_options, example_epilog, formatter
from bot.cli.output import count, emit_json, err, fail, out
from bot.services.app import Services
from bot.services.vectors import VectorProgress, vector_status
from bot.store import StoreError, backend_of, open_store, sqlite_path

ACTIONS = (
    ("status", "how many sentences still wait for their vectors (semantic search)"),
    ("build", "compute the vectors the sentences wait for, now (the bot does it by itself)"),
)


def _configure(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="index_action", metavar="ACTION", required=True)
    for name, help_text in ACTIONS:
        q = actions.add_parser(
            name,
            prog=f"briefbot index {name}",
            help=help_text,
            description=help_text,
            epilog=example_epilog(f"index {name}"),
            formatter_class=formatter,
        )
        common_options(q, top=False)


async def index(args: argparse.Namespace) -> int:
    return await (status if args.index_action == "status" else build)(args)


def status_line(progress: VectorProgress) -> str:
    """One line for a person: how far the vectors are."""
    if progress.pending_sentences == 0:
        return f"complete: {count(progress.sentences, 'sentence')} with vectors"
    share = progress.done_sentences / progress.sentences if progress.sentences else 1.0
    return (
        f"{progress.pending_sentences:,} of {progress.sentences:,} sentences "
        f"({count(progress.pending_letters, 'letter')}) wait for their vectors "
        f"({share:.0%} done); answered from their words meanwhile"
    )


async def status(args: argparse.Namespace) -> int:
    try:
        if backend_of(args.db) == "sqlite" and not await asyncio.to_thread(
            Path(sqlite_path(args.db)).is_file
        ):
            return fail(args, f"no database at {args.db}; ingest letters first")
        async with open_store(args.db) as store:
            progress = await vector_status(store)
    except StoreError as exc:
        return fail(args, f"the database cannot be read ({exc})")
    if args.json:
        emit_json(progress.as_json())
    else:
        out.print(f"vectors  {status_line(progress)}", markup=False, soft_wrap=True)
        out.print(f"model    {progress.model}", markup=False)
    return 0


async def build(args: argparse.Namespace) -> int:
    async with opened_services(args, seed=False) as services:
        started = time.perf_counter()
        embedded = await fill_vectors(services, quiet=args.json)
        seconds = time.perf_counter() - started
        progress = services.answers.pending()
    sentences = services.answers.embedded_sentences
    if args.json:
        emit_json(
            progress.as_json()
            | {
                "embedded_letters": embedded,
                "embedded_sentences": sentences,
                "seconds": round(seconds, 2),
                "sentences_per_second": round(sentences / seconds, 1) if seconds else 0.0,
            }
        )
    else:
        rate = f" ({sentences / seconds:,.0f} sentences/s)" if sentences and seconds else ""
        out.print(
            f"computed the vectors of {count(embedded, 'letter')}, "
            f"{count(sentences, 'sentence')} in {seconds:.1f} s{rate}",
            markup=False,
        )
        out.print(f"vectors  {status_line(progress)}", markup=False, soft_wrap=True)
    return 0


async def fill_vectors(services: Services, *, quiet: bool) -> int:
    """Compute every pending vector, with a progress bar on stderr unless ``quiet``."""
    start = services.answers.pending()
    workers = os.cpu_count() or 1  # nothing else to do here: every core
    if quiet or start.pending_sentences == 0:
        return await services.answers.backfill(workers=workers)
    with Progress(
        TextColumn("vectors"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sentences"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=start.pending_sentences)
        return await services.answers.backfill(
            workers=workers,
            on_letter=lambda p: bar.update(
                task, completed=max(0, start.pending_sentences - p.pending_sentences)
            ),
        )


COMMANDS = [
    ("index", "the semantic index: status, build", _configure, index),
]
