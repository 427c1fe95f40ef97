"""``briefbot follow add|list|remove|poll``: the sources an operator follows.

JSON contracts (one object on stdout with ``--json``):

* follow add tweedekamer|folder ... -> {"source": SOURCE, "created": bool}
* follow list                       -> {"sources": [SOURCE]}
* follow remove ID                  -> {"removed": ID}
* follow poll [ID...]               -> {"added": [{"source", "id", "title", "url"}],
                                        "skipped": [{"source", "ref", "reason"}],
                                        "errors": [{"source", "error"}]}

where SOURCE = {"id", "kind": "tweedekamer"|"folder", "name", "types", "dossiers", "subjects",
"path", "since", "letters", "skipped", "last_poll", "last_ok", "next_poll", "error"} (``types``,
``dossiers``, ``subjects`` are lists for a Tweede Kamer source and null for a folder, ``path``
the reverse; times are aware UTC ISO-8601 or null). In ``poll``: ``source`` is the source's id,
``id`` the letter's number, ``url`` the address of the original (null for a folder's file),
``ref`` the source's id of a document (a Tweede Kamer ``Id``, a file's path in the folder).
``poll`` exits 1 when a source could not be polled (an outage: it is tried again later).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.common import opened_services
from bot.cli.help import common_options, example_epilog, formatter
from bot.cli.output import count, emit_json, err, out
from bot.services.sources import PollReport, SourceView
from bot.store.records import Source

ACTIONS = (
    ("add", "follow a source: the Tweede Kamer's documents, or a folder"),
    ("list", "the followed sources, what they brought and when they are polled"),
    ("remove", "stop following a source (its letters stay)"),
    ("poll", "poll the followed sources now and say what was added, skipped or failed"),
)


def _configure(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="follow_action", metavar="ACTION", required=True)
    for name, help_text in ACTIONS:
        q = actions.add_parser(
            name,
            prog=f"briefbot follow {name}",
            help=help_text,
            description=help_text,
            epilog=example_epilog(f"follow {name}"),
            formatter_class=formatter,
        )
        common_options(q, top=False)
        if name == "add":
            _configure_add(q)
        elif name == "remove":
            q.add_argument("source", type=int, metavar="ID", help="the source's id (follow list)")
        elif name == "poll":
            q.add_argument("sources", type=int, nargs="*", metavar="ID", help="only these sources")


def _configure_add(q: argparse.ArgumentParser) -> None:
    kinds = q.add_subparsers(dest="follow_kind", metavar="KIND", required=True)
    t = kinds.add_parser(
        "tweedekamer",
        prog="briefbot follow add tweedekamer",
        help="documents of the Tweede Kamer (open data), by kind, dossier and subject",
        description="Follow the Tweede Kamer's documents whose kind, dossier and subject match "
        "(each option may be given more than once: any of them; left out: no condition).",
        epilog=example_epilog("follow add tweedekamer"),
        formatter_class=formatter,
    )
    common_options(t, top=False)
    t.add_argument(
        "--type", action="append", default=[], metavar="KIND",
        help="a document kind (Soort), e.g. 'Brief regering', 'Brief commissie'",
    )  # fmt: skip
    t.add_argument(
        "--dossier", action="append", default=[], metavar="NUMBER",
        help="a Kamerstukdossier, e.g. 28638 (mensenhandel)",
    )  # fmt: skip
    t.add_argument(
        "--subject", action="append", default=[], metavar="WORD",
        help="a word in the subject or title, e.g. mensenhandel",
    )  # fmt: skip
    t.add_argument(
        "--since", metavar="YYYY-MM-DD",
        help="documents dated from this day on (default: the last 30 days); the first poll "
        "brings them in without flooding digests",
    )  # fmt: skip
    f = kinds.add_parser(
        "folder",
        prog="briefbot follow add folder",
        help="a folder whose new or changed .pdf/.txt files are picked up",
        description="Follow a folder (and its subfolders): new and changed .pdf and .txt files "
        "are read once they are complete, removed ones leave briefbot's answers.",
        epilog=example_epilog("follow add folder"),
        formatter_class=formatter,
    )
    common_options(f, top=False)
    f.add_argument("path", type=Path, metavar="PATH", help="the folder")


async def follow(args: argparse.Namespace) -> int:
    handlers = {"add": add, "list": list_, "remove": remove, "poll": poll}
    return await handlers[args.follow_action](args)


# ---------------------------------------------------------------------------------- helpers


def _when(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def source_json(view: SourceView) -> dict[str, Any]:
    s = view.source
    tk = s.kind == "tweedekamer"
    return {
        "id": s.id,
        "kind": s.kind,
        "name": s.name,
        "types": list(s.config.get("types", [])) if tk else None,
        "dossiers": list(s.config.get("dossiers", [])) if tk else None,
        "subjects": list(s.config.get("subjects", [])) if tk else None,
        "path": None if tk else s.config.get("path"),
        "since": s.since,
        "letters": view.stats.letters,
        "skipped": view.stats.skipped,
        "last_poll": _when(s.last_poll_at),
        "last_ok": _when(s.last_ok_at),
        "next_poll": _when(s.next_poll_at),
        "error": s.last_error,
    }


def report_json(report: PollReport) -> dict[str, Any]:
    return {
        "added": [
            {"source": a.source, "id": a.letter.number, "title": a.title, "url": a.url}
            for a in report.added
        ],
        "skipped": [{"source": s.source, "ref": s.ref, "reason": s.reason} for s in report.skipped],
        "errors": [{"source": e.source, "error": e.error} for e in report.errors],
    }


# ---------------------------------------------------------------------------------- actions


async def add(args: argparse.Namespace) -> int:
    async with opened_services(args, seed=False) as services:
        service = services.sources
        if args.follow_kind == "folder":
            source, created = await service.follow_folder(args.path)
        else:
            source, created = await service.follow_tweedekamer(
                types=args.type, dossiers=args.dossier, subjects=args.subject,
                since=args.since,
            )  # fmt: skip
        view = next(v for v in await service.sources() if v.source.id == source.id)
    if args.json:
        emit_json({"source": source_json(view), "created": created})
        return 0
    verb = "following" if created else "already following"
    out.print(
        f"{verb} source {source.id}: {escape(source.name)}"
        + (f", documents from {source.since} on" if source.kind == "tweedekamer" else ""),
        soft_wrap=True,
    )
    if created:
        out.print(
            f"The bot polls it every {service.poll_every.seconds // 60 or 1} minutes while it "
            f"runs; to bring its letters in now: briefbot follow poll {source.id}",
            soft_wrap=True,
        )
    return 0


async def list_(args: argparse.Namespace) -> int:
    async with opened_services(args, seed=False) as services:
        views = await services.sources.sources()
    if args.json:
        emit_json({"sources": [source_json(v) for v in views]})
        return 0
    if not views:
        out.print("no sources followed; add one with `briefbot follow add tweedekamer ...` or "
                  "`briefbot follow add folder PATH`")  # fmt: skip
        return 0
    for v in views:
        s = v.source
        where = s.config.get("path") if s.kind == "folder" else f"documents from {s.since} on"
        if s.last_error:
            state = f"[red]last poll failed ({s.failures}x): {escape(s.last_error)}[/red]"
        elif s.last_ok_at:
            state = f"polled {s.last_ok_at.isoformat(timespec='minutes')}"
        else:
            state = "not polled yet"
        out.print(
            f"[bold]#{s.id}[/bold] {escape(s.name)} ({escape(str(where))}): "
            f"{count(v.stats.letters, 'letter')}, {v.stats.skipped} skipped; {state}; "
            f"next poll {s.next_poll_at.isoformat(timespec='minutes')}",
            soft_wrap=True,
        )
    return 0


async def remove(args: argparse.Namespace) -> int:
    async with opened_services(args, seed=False) as services:
        source = await services.sources.unfollow(args.source)
    if args.json:
        emit_json({"removed": source.id})
    else:
        out.print(
            f"no longer following source {source.id} ({escape(source.name)}); the letters it "
            "brought stay"
        )
    return 0


async def poll(args: argparse.Namespace) -> int:
    async with opened_services(args, seed=False) as services:
        service = services.sources
        if args.json:
            report = await service.poll(args.sources)
        else:
            with _bar() as progress:
                tasks: dict[int, Any] = {}

                def advance(source: Source, done: int, total: int) -> None:
                    if total <= 3 and source.id not in tasks:
                        return
                    if source.id not in tasks:
                        tasks[source.id] = progress.add_task(escape(source.name[:50]), total=total)
                    progress.update(tasks[source.id], completed=done, total=total)

                report = await service.poll(args.sources, on_progress=advance)
    if args.json:
        emit_json(report_json(report))
    else:
        _print_report(report)
    return 1 if report.errors else 0


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _print_report(report: PollReport) -> None:
    for a in report.added:
        verb = "[green]updated[/green]" if a.updated else "[green]added[/green]"
        out.print(
            f"{verb} letter {a.letter.ref} from source {a.source}: {escape(a.title)}"
            + (f" <{escape(a.url)}>" if a.url else ""),
            soft_wrap=True,
            emoji=False,
        )
    for s in report.skipped:
        err.print(
            f"[yellow]skipped[/yellow] source {s.source}, {escape(s.ref)}: {escape(s.reason)}",
            soft_wrap=True,
            emoji=False,
        )
    for e in report.errors:
        err.print(
            f"[red]failed[/red] source {e.source}: {escape(e.error)} (tried again at the next "
            "poll)",
            soft_wrap=True,
            emoji=False,
        )
    if not (report.added or report.skipped or report.errors):
        out.print("nothing new")
    err.print(
        f"[dim]{count(report.requests, 'request')} in {report.seconds:.1f} s[/dim]", emoji=False
    )


COMMANDS = [
    ("follow", "followed sources: add, list, remove, poll", _configure, follow),
]
