"""``briefbot ingest``, ``letters`` and ``show``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from bot.cli.common import opened_app
from bot.cli.output import count, emit_json, err, letter_json, out
from bot.services import letters as svc
from bot.services.scope import OPERATOR


def _configure_ingest(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".txt/.pdf files or folders")


async def ingest(args: argparse.Namespace) -> int:
    files, _ = svc.expand_paths(args.paths)
    show_bar = not args.json and len(files) > 3
    async with opened_app(args, seed=False) as app:
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
                report = await app.add_path(
                    args.paths,
                    on_file=lambda f: progress.update(task, advance=1, description=f.name),
                )
        else:
            report = await app.add_path(args.paths)
    if args.json:
        emit_json(
            {
                "ingested": [
                    {"path": i.path, "id": i.letter.id, "status": i.status} for i in report.ingested
                ],
                "errors": [{"path": e.path, "error": e.error} for e in report.errors],
            }
        )
    else:
        for i in report.ingested:
            rec = i.letter
            verb = "[green]added[/green]" if i.status == "added" else "[dim]unchanged[/dim]"
            out.print(
                f"{verb} {escape(i.path)} -> letter {rec.id} ({escape(rec.slug)}): "
                f"{escape(rec.title)!s}; {count(rec.pages, 'page')}, "
                f"{count(rec.sentence_count, 'sentence')}, {count(i.repairs, 'repair')}"
            )
        for e in report.errors:
            err.print(f"[red]refused[/red] {escape(e.path)}: {escape(e.error)}")
        if not report.ingested and not report.errors:
            err.print("nothing to ingest")
    return 1 if report.errors else 0


async def list_letters(args: argparse.Namespace) -> int:
    async with opened_app(args) as app:
        records = app.catalog.in_order(OPERATOR)
    if args.json:
        emit_json({"letters": [letter_json(r) for r in records]})
        return 0
    table = Table(title="Letters", show_lines=False)
    for col in ("id", "date", "subject", "signatory", "pages", "sentences"):
        table.add_column(col)
    for r in records:
        table.add_row(
            str(r.id),
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
    async with opened_app(args) as app:
        view = await svc.letter_view(app.store, await app.resolve_letter(args.letter, OPERATOR))
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
    out.print(f"[bold]{escape(rec.title)}[/bold]  (letter {rec.id}, {escape(rec.slug)})")
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
