"""``briefbot digest list|preview|send-now``: daily digests for operators.

JSON contracts (one object on stdout with ``--json``):

* digest list            -> {"subscriptions": [{"id", "kind", "target", "channel_id", "user_id",
                             "guild_id", "time", "timezone", "frequency", "weekday", "topics",
                             "language", "skip_empty", "next_due_date", "next_due_local",
                             "next_due_utc", "paused_reason", "last_delivery": {"due_date",
                             "extra", "status", "attempts", "error", "message_id", "at"} | null}]}
* digest preview SUB_ID  -> {"subscription": ID, "due_date": "YYYY-MM-DD", "empty": bool,
                             "language", "topics", "new_letters": [{"letter", "title", "date",
                             "summary": [CITED], "actions": [CITED + "kind"]}],
                             "pick": CITED + "kind" | null}
                             where CITED = {"text", "letter", "page", "sentence"}
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

from bot.cli import _common
from bot.cli.common import opened_app
from bot.cli.output import cite, emit_json, err, out
from bot.core.schedule import parse_zone
from bot.services.app import Briefbot
from bot.services.digests import Cited, DeliveryError, Digest, DigestService
from bot.store.digests import Delivery, Subscription

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

ACTIONS = (
    ("list", "every digest subscription, its schedule and last delivery"),
    ("preview", "what the next digest of a subscription would say (changes nothing)"),
    ("send-now", "send a subscription's digest now through Discord (needs DISCORD_TOKEN)"),
)


def _configure(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="digest_action", metavar="ACTION", required=True)
    for name, help_text in ACTIONS:
        q = actions.add_parser(name, help=help_text, description=help_text)
        _common(q, top=False)
        if name != "list":
            q.add_argument("subscription", type=int, metavar="SUB_ID", help="subscription id")


async def digest(args: argparse.Namespace) -> int:
    if args.digest_action == "list":
        return await list_(args)
    if args.digest_action == "preview":
        return await preview(args)
    return await send_now(args)


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


def digest_json(d: Digest) -> dict[str, Any]:
    return {
        "subscription": d.subscription_id,
        "due_date": d.due_date.isoformat(),
        "empty": d.empty,
        "language": d.language,
        "topics": list(d.topics),
        "new_letters": [
            {
                "letter": _letter(d, n.letter_id),
                "title": n.title,
                "date": n.date,
                "summary": [_cited(d, c) for c in n.summary],
                "actions": [_cited(d, c, kind) for kind, c in n.actions],
            }
            for n in d.new_letters
        ],
        "pick": _cited(d, d.pick[1], d.pick[0]) if d.pick else None,
    }


def _target(sub: Subscription) -> str:
    if sub.kind == "channel":
        return f"channel {sub.channel_id} (server {sub.guild_id})"
    return f"DMs of user {sub.user_id}"


async def _subscription(app: Briefbot, subscription_id: int) -> Subscription:
    sub = await app.store.digests.get(subscription_id)
    if sub is None:
        raise LookupError(f"no digest subscription {subscription_id} (`briefbot digest list`)")
    return sub


# ------------------------------------------------------------------------------------- list


async def list_(args: argparse.Namespace) -> int:
    async with opened_app(args, seed=False) as app:
        subs = await app.store.digests.list()
        last = await app.store.digests.latest_deliveries()
    rows = [subscription_json(s, last.get(s.id)) for s in subs]
    if args.json:
        emit_json({"subscriptions": rows})
        return 0
    if not rows:
        out.print("no digest subscriptions")
        return 0
    for s, r in zip(subs, rows, strict=True):
        when = f"{r['frequency']}{' ' + r['weekday'] if r['weekday'] else ''} {r['time']} "
        when += r["timezone"] + (", skipped when empty" if s.skip_empty else "")
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


def print_digest(d: Digest) -> None:
    if d.new_letters:
        for n in d.new_letters:
            out.print(
                f"\n[bold]New: {escape(n.title)}[/bold] (letter {d.ref(n.letter_id)}, {n.date})"
            )
            if n.actions:
                out.print("  needs attention:")
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
    else:
        out.print("nothing new since the last digest")
    if d.pick:
        kind, c = d.pick
        out.print(
            f"\n[bold]Recommendation of the day[/bold] ([italic]{kind}[/italic]): "
            f"{escape(c.text)} [dim]{escape(cite(d.ref(c.letter_id), c.page, c.sentence))}[/dim]"
        )


async def preview(args: argparse.Namespace) -> int:
    async with opened_app(args, seed=False) as app:
        sub = await _subscription(app, args.subscription)
        d = await DigestService(app).preview(sub)
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

    from bot.chat.cogs.digests import DiscordSender
    from bot.cli.ops import REJECTED_HELP, settings_for, token_for

    settings = settings_for(args)
    token = token_for(settings)
    if token is None:
        return 2
    async with opened_app(args, seed=False) as app:
        sub = await _subscription(app, args.subscription)
        if sub.paused_reason:  # say so before talking to Discord
            raise ValueError(
                f"subscription {sub.id} is paused ({sub.paused_reason}); "
                "set it again with /digest set or /digest subscribe to resume it"
            )
        client = discord.Client(intents=discord.Intents.none())
        try:
            await client.login(token)  # REST only: sending needs no gateway
            result = await DigestService(app).send_now(sub, DiscordSender(client))  # type: ignore[arg-type]
        except discord.LoginFailure:
            err.print(REJECTED_HELP, soft_wrap=True)
            return 2
        except (DeliveryError, aiohttp.ClientError, OSError) as exc:
            message = f"the digest was not sent: {getattr(exc, 'reason', None) or exc}"
            if args.json:
                emit_json({"error": message})
            else:
                err.print(f"[red]error:[/red] {escape(message)}")
            return 1
        finally:
            await client.close()
        after = await _subscription(app, sub.id)
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
    ("digest", "daily digests: list, preview, send-now", _configure, digest),
]
