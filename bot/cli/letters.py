"""``briefbot ingest``, ``letters`` and ``show``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from bot.cli.common import opened_services
from bot.cli.index import fill_vectors
from bot.cli.output import count, emit_json, err, letter_json, out
from bot.services import letters as svc
from bot.services.scope import GLOBAL


def _configure_ingest(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".txt/.pdf files or folders")
    p.add_argument(
        "--replace",
        action="store_true",
        help="store a letter that is already stored in another form (its PDF and its text) in "
        "place of the stored copy, keeping its number",
    )
    p.add_argument(
        "--wait-vectors",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compute the sentence vectors (semantic search) before returning; default: only "
        f"when at most {AUTO_WAIT_SENTENCES:,} sentences wait (the letters are answerable "
        "either way; the bot or `briefbot index build` computes the rest)",
    )


#: Lines of "skipped" files shown before the rest are counted (all are in --json).
SHOWN_SKIPPED = 20
#: ``ingest`` without --[no-]wait-vectors computes the vectors before it returns when at most
#: this many sentences wait (about ten seconds): a few letters get semantic search at once, as
#: they always did; an archive returns as soon as it is answerable, and the vectors follow in
#: the bot's background job or ``briefbot index build``.
AUTO_WAIT_SENTENCES = 10_000


def _shown(text: str) -> str:
    """Text from outside (file names, titles) for the terminal: escaped, then markup-safe."""
    return escape(svc.display_name(text))


def _item_json(i: svc.Ingested) -> dict[str, object]:
    item: dict[str, object] = {"path": i.path, "id": i.letter.number, "status": i.status}
    if i.part is not None:  # a file that holds several letters
        item["part"], item["parts"] = i.part, i.parts
    if i.replaced is not None:
        item["replaced"] = i.replaced.number
    return item


async def ingest(args: argparse.Namespace) -> int:
    files = svc.expand_paths(args.paths).files
    show_bar = not args.json and len(files) > 3
    replace = getattr(args, "replace", False)
    wait = getattr(args, "wait_vectors", None)
    async with opened_services(args, seed=False) as services:
        if show_bar:
            with Progress(
                TextColumn("ingesting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=err,
                transient=True,
            ) as progress:
                task = progress.add_task("", total=len(files))
                report = await services.letters.add_path(
                    args.paths,
                    replace=replace,
                    on_file=lambda f: progress.update(task, advance=1, description=_shown(f.name)),
                    vectors="later",
                )
        else:
            report = await services.letters.add_path(args.paths, replace=replace, vectors="later")
        pending = report.vectors_pending
        waited = bool(pending and (wait or (wait is None and pending <= AUTO_WAIT_SENTENCES)))
        if waited:
            if not args.json:
                _print_report(report, vectors=False)  # answerable now: say so before the wait
            try:
                report.vectors_filled = await fill_vectors(services, quiet=args.json)
            except Exception as exc:  # the letters are stored; the bot or index build fills in
                report.warnings.append(
                    svc.Warned("(vectors)", f"the vectors could not be computed ({exc})")
                )
                if not args.json:
                    err.print(f"[yellow]warning[/yellow] (vectors): {escape(str(exc))}")
            report.vectors_pending = services.answers.pending().pending_sentences
        await services.refresh_saved_indexes(report)  # the bot's next start loads, not builds
        if waited and not args.json:
            _print_vectors(report)
            return 1 if report.errors else 0
    if args.json:
        out_json: dict[str, object] = {
            "ingested": [_item_json(i) for i in report.ingested],
            "errors": [{"path": e.path, "error": e.error} for e in report.errors],
        }
        if report.warnings:
            out_json["warnings"] = [{"path": w.path, "warning": w.warning} for w in report.warnings]
        if report.vectors_pending:  # sentences still waiting for their vectors
            out_json["vectors_pending"] = report.vectors_pending
        emit_json(out_json)
    else:
        _print_report(report)
    return 1 if report.errors else 0


def _print_vectors(report: svc.IngestReport) -> None:
    if report.vectors_filled:
        err.print(f"computed the vectors of {count(report.vectors_filled, 'letter')}", emoji=False)
    if report.vectors_pending:
        err.print(
            f"{report.vectors_pending:,} sentences wait for their vectors (semantic search); "
            "they are answered from their words meanwhile. The bot computes them in the "
            "background, or run `briefbot index build` (`briefbot index status` shows how far).",
            emoji=False,
            soft_wrap=True,
        )


def _print_report(report: svc.IngestReport, *, vectors: bool = True) -> None:
    for i in report.ingested:
        rec = i.letter
        verb = "[green]added[/green]" if i.status == "added" else "[dim]unchanged[/dim]"
        where = f" (letter {i.part} of {i.parts} in the file)" if i.part is not None else ""
        instead = (
            f", in place of the copy from {_shown(Path(i.replaced.source_path).name)}"
            if i.replaced is not None
            else ""
        )
        out.print(
            f"{verb} {escape(i.path)}{where} -> letter {rec.ref} ({_shown(rec.slug)}{instead}): "
            f"{_shown(rec.title)}; {count(rec.pages, 'page')}, "
            f"{count(rec.sentence_count, 'sentence')}, {count(i.repairs, 'repair')}",
            emoji=False,
        )
    skipped = 0
    for w in report.warnings:
        if w.warning.startswith("skipped"):
            skipped += 1
            if skipped > SHOWN_SKIPPED:
                continue
        err.print(f"[yellow]warning[/yellow] {escape(w.path)}: {escape(w.warning)}", emoji=False)
    if skipped > SHOWN_SKIPPED:
        more = skipped - SHOWN_SKIPPED
        err.print(f"[yellow]warning[/yellow] and {more} more files skipped (see --json)")
    for e in report.errors:
        err.print(f"[red]refused[/red] {escape(e.path)}: {escape(e.error)}", emoji=False)
    if vectors:
        _print_vectors(report)
    if not report.ingested and not report.errors and not report.warnings:
        err.print("nothing to ingest")


async def list_letters(args: argparse.Namespace) -> int:
    async with opened_services(args) as services:
        records = services.catalog.in_order(GLOBAL)
    if args.json:
        emit_json({"letters": [letter_json(r) for r in records]})
        return 0
    table = Table(title="Letters", show_lines=False)
    for col in ("id", "date", "subject", "signatory", "pages", "sentences"):
        table.add_column(col)
    for r in records:
        table.add_row(
            r.ref,
            r.date or "",
            escape(r.title),
            escape(r.signatory or ""),
            str(r.pages),
            str(r.sentence_count),
        )
    out.print(table)
    return 0


def _configure_show(p: argparse.ArgumentParser) -> None:
    p.add_argument("letter", metavar="LETTER", help="letter id or slug")


async def show(args: argparse.Namespace) -> int:
    async with opened_services(args) as services:
        view = await services.letters.view(services.catalog.resolve(args.letter, GLOBAL))
    by_section: dict[int, list] = {}
    for s in view.sentences:
        by_section.setdefault(s.section_id, []).append(s)
    if args.json:
        emit_json(
            {
                "letter": letter_json(view.letter),
                "sections": [
                    {
                        "heading": sec.heading,
                        "sentences": [
                            {
                                "sentence": s.number,
                                "page": s.page,
                                "text": s.text,
                                "original": s.original,
                            }
                            for s in by_section.get(sec.id, [])
                        ],
                    }
                    for sec in view.sections
                ],
                "repairs": [
                    {"sentence": r.sentence_number, "from": r.from_text, "to": r.to_text}
                    for r in view.repairs
                ],
            }
        )
        return 0
    rec = view.letter
    out.print(f"[bold]{escape(rec.title)}[/bold]  (letter {rec.ref}, {escape(rec.slug)})")
    for label, value in (
        ("sender", rec.sender),
        ("signatory", rec.signatory),
        ("recipient", rec.recipient),
        ("date", rec.date),
        ("subject", rec.subject),
        ("reference", rec.reference),
        ("contact", rec.contact),
        ("salutation", rec.salutation),
        ("closing", rec.closing),
        ("copies", rec.copies),
    ):
        if value:
            out.print(f"  {label:<10} {escape(value)}")
    out.print(f"  {'pages':<10} {rec.pages}    sentences {rec.sentence_count}")
    for sec in view.sections:
        out.print()
        out.print(f"[bold underline]{escape(sec.heading or '(opening)')}[/bold underline]")
        for s in by_section.get(sec.id, []):
            out.print(f"  [dim]{s.number:>3} p.{s.page}[/dim]  {escape(s.text)}")
    if view.repairs:
        out.print()
        out.print("[bold]Repairs[/bold]")
        for r in view.repairs:
            out.print(f"  s.{r.sentence_number}: {escape(r.from_text)!r} -> {escape(r.to_text)!r}")
    return 0


COMMANDS = [
    ("ingest", "store .txt/.pdf letters (files or folders)", _configure_ingest, ingest),
    ("letters", "list the stored letters", lambda p: None, list_letters),
    ("show", "print one letter: metadata, sections, sentences, repairs", _configure_show, show),
]
