"""``briefbot digest list|add|remove|preview|send-now``: daily digests for operators.

JSON contracts (one object on stdout with ``--json``):

* digest list            -> {"subscriptions": [{"id", "kind", "target", "channel_id", "user_id",
                             "guild_id", "time", "timezone", "frequency", "weekday", "topics",
                             "language", "skip_empty", "next_due_date", "next_due_local",
                             "next_due_utc", "paused_reason", "last_delivery": {"due_date",
                             "extra", "status", "attempts", "error", "message_id", "at"} | null}]}
* digest add ...         -> {"subscription": {as in digest list}, "replaced": bool}
* digest remove SUB_ID   -> {"removed": ID}
* digest preview SUB_ID  -> {"subscription": ID, "due_date": "YYYY-MM-DD", "empty": bool,
                             "language", "topics", "new_letters": [LETTER],
                             "introduction": [LETTER], "pick": CITED + "kind" | null}
                             where LETTER = {"letter", "title", "date", "summary": [CITED],
                             "actions": [CITED + "kind"]} and
                             CITED = {"text", "letter", "page", "sentence"};
                             "introduction" holds the newest letters in a subscription's first
                             digest (when nothing is new), [] otherwise
* digest send-now SUB_ID -> {"subscription": ID, "due_date", "counted_as": "scheduled"|"extra",
                             "extra": N, "recovered": bool, "message_id", "kind", "target",
                             "next_due_utc"}

``preview`` changes nothing in the database. ``send-now`` posts through Discord's REST API (no
gateway; needs DISCORD_TOKEN) with the same sender the bot uses, and logs the delivery: if the
subscription runs today and today's digest has not gone out, it IS today's digest (the scheduler
will not send it again; the schedule moves on to the next occurrence); otherwise it is an extra
that leaves the schedule alone (see :meth:`bot.services.digests.DigestService.send_now`).
"""

from __future__ import annotations

import argparse
from datetime import UTC
from typing import Any

from rich.markup import escape

from bot.cli.common import opened_services
from bot.cli.help import common_options, example_epilog, formatter
from bot.cli.output import cite, emit_json, fail, out
from bot.core.casing import sentence_case
from bot.core.schedule import FREQUENCIES, parse_zone
from bot.services.app import Services
from bot.services.digests import Cited, DeliveryError, Digest, NewLetter
from bot.store.records import Delivery, Subscription

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

ACTIONS = (
    ("list", "every digest subscription, its schedule and last delivery"),
    ("add", "create (or replace) a digest for a channel or a user's DMs, without Discord"),
    ("remove", "stop a digest subscription and forget it"),
    ("preview", "what the next digest of a subscription would say (changes nothing)"),
    ("send-now", "send a subscription's digest now through Discord (needs DISCORD_TOKEN)"),
)


def _snowflake(value: str) -> int:
    """A Discord id: digits (Developer Mode -> right click -> Copy ID)."""
    if not value.strip().isdigit() or not 0 < int(value) < 2**64:
        raise argparse.ArgumentTypeError(f"{value!r} is not a Discord id (digits, Copy ID)")
    return int(value)


def _configure_add(q: argparse.ArgumentParser) -> None:
    where = q.add_mutually_exclusive_group(required=True)
    where.add_argument("--channel", type=_snowflake, metavar="ID", help="a channel's digest")
    where.add_argument("--user", type=_snowflake, metavar="ID", help="a user's digest by DM")
    q.add_argument(
        "--guild",
        type=_snowflake,
        metavar="ID",
        help="the server whose letters it carries (needed with --channel; optional with --user)",
    )
    q.add_argument("--time", default="09:00", help="local time HH:MM (default 09:00)")
    q.add_argument("--timezone", default="Europe/Amsterdam", help="IANA zone (default %(default)s)")
    q.add_argument("--topics", default="", help="only these topics, comma separated")
    q.add_argument("--language", choices=("nl", "en"), default="nl", help="default nl")
    q.add_argument("--frequency", choices=FREQUENCIES, default="daily", help="default daily")
    q.add_argument("--skip-empty", action="store_true", help="skip days with nothing new")
    q.add_argument(
        "--new-only",
        action="store_true",
        help="new letters only: no introduction or recommendation of the day, nothing sent "
        "on days without new letters",
    )
    q.add_argument(
        "--owner",
        type=_snowflake,
        metavar="ID",
        help="the user told by DM if a channel digest is paused (default: nobody)",
    )


def _configure(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="digest_action", metavar="ACTION", required=True)
    for name, help_text in ACTIONS:
        q = actions.add_parser(
            name,
            prog=f"briefbot digest {name}",
            help=help_text,
            description=help_text,
            epilog=example_epilog(f"digest {name}"),
            formatter_class=formatter,
        )
        common_options(q, top=False)
        if name == "add":
            _configure_add(q)
        elif name != "list":
            q.add_argument("subscription", type=int, metavar="SUB_ID", help="subscription id")


async def digest(args: argparse.Namespace) -> int:
    handlers = {
        "list": list_,
        "add": add,
        "remove": remove,
        "preview": preview,
        "send-now": send_now,
    }
    return await handlers[args.digest_action](args)


# ---------------------------------------------------------------------------------- helpers


def _local(sub: Subscription) -> str | None:
    try:
        return sub.next_due.astimezone(parse_zone(sub.timezone)).isoformat()
    except ValueError:  # a zone this system no longer knows
        return None


def delivery_json(d: Delivery | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "due_date": d.due_date.isoformat(),
        "extra": d.extra,
        "status": d.status,
        "attempts": d.attempts,
        "error": d.error,
        "message_id": d.message_id,
        "at": d.updated_at.isoformat(),
    }


def subscription_json(sub: Subscription, last: Delivery | None) -> dict[str, Any]:
    return {
        "id": sub.id,
        "kind": sub.kind,
        "target": sub.channel_id if sub.kind == "channel" else sub.user_id,
        "channel_id": sub.channel_id,
        "user_id": sub.user_id,
        "guild_id": sub.guild_id,
        "time": sub.local_time,
        "timezone": sub.timezone,
        "frequency": sub.frequency,
        "weekday": WEEKDAYS[sub.weekday] if sub.frequency == "weekly" else None,
        "topics": list(sub.topics),
        "language": sub.language,
        "skip_empty": sub.skip_empty,
        "next_due_date": sub.next_due_date.isoformat(),
        "next_due_local": _local(sub),
        "next_due_utc": sub.next_due.astimezone(UTC).isoformat(),
        "paused_reason": sub.paused_reason,
        "last_delivery": delivery_json(last),
    }


def _cited(d: Digest, c: Cited, kind: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": kind} if kind is not None else {}
    item.update({"text": c.text, "letter": _letter(d, c.letter_id), "page": c.page,
                 "sentence": c.sentence})  # fmt: skip
    return item


def _letter(d: Digest, letter_id: int) -> int | str:
    """A cited letter's number: an integer for a letter visible everywhere, ``s3`` for a
    server's own (only a server digest shows those)."""
    ref = d.ref(letter_id)
    return int(ref) if ref.isdigit() else ref


def _letter_json(d: Digest, n: NewLetter) -> dict[str, Any]:
    return {
        "letter": _letter(d, n.letter_id),
        "title": n.title,
        "date": n.date,
        "summary": [_cited(d, c) for c in n.summary],
        "actions": [_cited(d, c, kind) for kind, c in n.actions],
    }


def digest_json(d: Digest) -> dict[str, Any]:
    return {
        "subscription": d.subscription_id,
        "due_date": d.due_date.isoformat(),
        "empty": d.empty,
        "language": d.language,
        "topics": list(d.topics),
        "new_letters": [_letter_json(d, n) for n in d.new_letters],
        "introduction": [_letter_json(d, n) for n in d.introduction],
        "pick": _cited(d, d.pick[1], d.pick[0]) if d.pick else None,
    }


def _target(sub: Subscription) -> str:
    if sub.kind == "channel":
        return f"channel {sub.channel_id} (server {sub.guild_id})"
    return f"DMs of user {sub.user_id}"


async def _subscription(services: Services, subscription_id: int) -> Subscription:
    sub = await services.digests.get(subscription_id)
    if sub is None:
        raise LookupError(f"no digest subscription {subscription_id} (`briefbot digest list`)")
    return sub


# ------------------------------------------------------------------------------------- list


async def list_(args: argparse.Namespace) -> int:
    async with opened_services(args, seed=False) as services:
        overview = await services.digests.overview()
    subs = [s for s, _ in overview]
    rows = [subscription_json(s, last) for s, last in overview]
    if args.json:
        emit_json({"subscriptions": rows})
        return 0
    if not rows:
        out.print("no digest subscriptions")
        return 0
    for s, r in zip(subs, rows, strict=True):
        when = f"{r['frequency']}{' ' + r['weekday'] if r['weekday'] else ''} {r['time']} "
        when += r["timezone"] + (", skipped when empty" if s.skip_empty else "")
        when += ", new letters only" if s.new_only else ""
        local = (r["next_due_local"] or "?")[:16].replace("T", " ")
        utc = r["next_due_utc"][11:16]
        if s.paused_reason:
            state = f"[red]paused: {escape(s.paused_reason)}[/red]"
        elif r["last_delivery"]:
            d = r["last_delivery"]
            extra = f" (extra {d['extra']})" if d["extra"] else ""
            state = f"last {d['due_date']}{extra}: {d['status']}"
            state += f" ({escape(d['error'])})" if d["error"] else ""
        else:
            state = "never delivered"
        out.print(
            f"[bold]#{s.id}[/bold] {escape(_target(s))}; {escape(when)}; "
            f"topics {escape(', '.join(s.topics) or 'all')}; {s.language}; "
            f"next {local} local ({utc} UTC); {state}",
            soft_wrap=True,
        )
    return 0


# ---------------------------------------------------------------------------------- preview


def _print_letter(d: Digest, n: NewLetter, heading: str, actions_label: str) -> None:
    date = f", {n.date}" if n.date else ""
    which = d.ref(n.letter_id)
    out.print(f"\n[bold]{heading}{escape(sentence_case(n.title))}[/bold] (letter {which}{date})")
    if n.actions:
        out.print(f"  {actions_label}:")
    for kind, c in n.actions:
        out.print(
            f"  - [italic]{kind}[/italic]: {escape(c.text)} "
            f"[dim]{escape(cite(d.ref(c.letter_id), c.page, c.sentence))}[/dim]"
        )
    if n.summary:
        out.print("  in short:")
    for c in n.summary:
        where = cite(d.ref(c.letter_id), c.page, c.sentence)
        out.print(f"  - {escape(c.text)} [dim]{escape(where)}[/dim]")


def print_digest(d: Digest) -> None:
    for n in d.new_letters:
        _print_letter(d, n, "New: ", "needs attention")
    if d.introduction:
        out.print("the first digest: what the newest letters ask for")
    for n in d.introduction:
        _print_letter(d, n, "", "what it asks")
    if d.empty:
        out.print(
            "the first digest, and there are no letters yet"
            if d.first
            else ("nothing new since the last digest")
        )
    if d.pick:
        kind, c = d.pick
        out.print(
            f"\n[bold]Recommendation of the day[/bold] ([italic]{kind}[/italic]): "
            f"{escape(c.text)} [dim]{escape(cite(d.ref(c.letter_id), c.page, c.sentence))}[/dim]"
        )


async def add(args: argparse.Namespace) -> int:
    """Create or replace a digest (as /digest set or /digest subscribe would)."""
    if args.channel is not None and args.guild is None:
        raise ValueError(
            "a channel digest needs --guild ID, the server the channel is in (its letters are "
            "the ones the digest carries)"
        )
    kind = "channel" if args.channel is not None else "user"
    async with opened_services(args) as services:
        sub = await services.digests.subscribe(
            kind=kind,
            user_id=args.user if kind == "user" else (args.owner or 0),
            guild_id=args.guild,
            channel_id=args.channel,
            time_text=args.time,
            timezone=args.timezone,
            topics=[t.strip() for t in args.topics.split(",") if t.strip()],
            language=args.language,
            frequency=args.frequency,
            skip_empty=args.skip_empty,
            new_only=args.new_only,
        )
    replaced = sub.created_at != sub.updated_at
    if args.json:
        emit_json({"subscription": subscription_json(sub, None), "replaced": replaced})
        return 0
    topics = ", ".join(sub.topics) or "all topics"
    out.print(
        f"{'replaced' if replaced else 'added'} digest {sub.id}: {escape(_target(sub))}, "
        f"{sub.frequency} at {sub.local_time} {sub.timezone}, {escape(topics)}, in "
        f"{sub.language}; next {(_local(sub) or sub.next_due.isoformat())[:16].replace('T', ' ')}. "
        f"See it now: briefbot digest preview {sub.id}",
        soft_wrap=True,
    )
    return 0


async def remove(args: argparse.Namespace) -> int:
    async with opened_services(args, seed=False) as services:
        sub = await _subscription(services, args.subscription)
        await services.digests.off(sub.id)
    if args.json:
        emit_json({"removed": sub.id})
    else:
        out.print(f"removed digest {sub.id} ({escape(_target(sub))})")
    return 0


async def preview(args: argparse.Namespace) -> int:
    async with opened_services(args, seed=False) as services:
        sub = await _subscription(services, args.subscription)
        d = await services.digests.preview(sub)
    if args.json:
        emit_json(digest_json(d))
        return 0
    out.print(
        f"[bold]digest {sub.id}[/bold] for {escape(_target(sub))}, due {d.due_date.isoformat()} "
        f"at {sub.local_time} {sub.timezone}, in {sub.language}"
        + (f", topics {escape(', '.join(sub.topics))}" if sub.topics else "")
        + (" (skipped when empty)" if sub.skip_empty and d.empty else "")
    )
    print_digest(d)
    return 0


# --------------------------------------------------------------------------------- send-now


async def send_now(args: argparse.Namespace) -> int:
    import aiohttp
    import discord

    from bot.chat.entry import send_digest_now
    from bot.cli.ops import discord_failure, settings_for, token_for

    settings = settings_for(args)
    token = token_for(settings)
    if token is None:
        return 2
    async with opened_services(args, seed=False) as services:
        sub = await _subscription(services, args.subscription)
        if sub.paused_reason:  # say so before talking to Discord
            raise ValueError(
                f"subscription {sub.id} is paused ({sub.paused_reason}); "
                "set it again with /digest set or /digest subscribe to resume it"
            )
        try:
            result = await send_digest_now(services, sub, token)
        except (
            discord.LoginFailure,
            discord.DiscordServerError,
            aiohttp.ClientError,
            OSError,
        ) as exc:
            failure = discord_failure(exc)  # no token, no network: one line, exit 2 or 3
            if failure is None:
                raise
            return fail(args, f"the digest was not sent: {failure[0]}", code=failure[1])
        except DeliveryError as exc:
            return fail(args, f"the digest was not sent: {exc.reason}")
        after = await _subscription(services, sub.id)
    d = result.digest
    data = {
        "subscription": sub.id,
        "due_date": d.due_date.isoformat(),
        "counted_as": "extra" if result.extra else "scheduled",
        "extra": result.extra,
        "recovered": result.recovered,
        "message_id": result.message_id,
        "kind": sub.kind,
        "target": sub.channel_id if sub.kind == "channel" else sub.user_id,
        "next_due_utc": after.next_due.astimezone(UTC).isoformat(),
    }
    if args.json:
        emit_json(data)
        return 0
    how = (
        f"an extra digest (number {result.extra} that day); the schedule is unchanged"
        if result.extra
        else "that day's digest; the scheduler will not send it again"
    )
    out.print(
        f"sent digest {sub.id} for {d.due_date.isoformat()} to {escape(_target(sub))} "
        f"(message {result.message_id}) as {how}. Next: {_local(after) or after.next_due}"
    )
    if result.recovered:
        out.print("(that day's digest had already reached Discord; it is now logged as sent)")
    return 0


COMMANDS = [
    ("digest", "daily digests: list, add, remove, preview, send-now", _configure, digest),
]
