"""End to end: the bot follows the Tweede Kamer (a local fake of its OData API), polls it while
it runs, and the next digest carries what arrived, linked to the original; backfill does not
flood digests; ``new_only`` digests; ``/sources`` and ``/letters`` say where letters come from.
Real discord.py over loopback to the project's Discord test server, a controlled clock."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.clock import ManualClock
from tests.chat.conftest import Env, answer_of, make_settings, start_env, text_of
from tests.chat.test_digests import marker_messages
from tests.fake_tweedekamer import FakeDocument, FakeTweedeKamer
from tests.source_docs import letter_pdf

# Friday 27 November 2026, 07:00 UTC = 08:00 in Amsterdam
START = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
DAY = START.date()


def brief(i: int, *, days_ago: int = 1) -> FakeDocument:
    return FakeDocument(
        soort="Brief regering", onderwerp=f"Aanpak mensenhandel, voortgang {i}",
        datum=DAY - timedelta(days=days_ago), content=letter_pdf(i), dossiers=[(28638, None)],
    )  # fmt: skip


@pytest.fixture
async def world(tmp_path):
    clock = ManualClock(START)
    async with FakeTweedeKamer() as tk:
        settings = make_settings(tmp_path, BRIEFBOT_TWEEDEKAMER_URL=tk.base_url)
        async for env in start_env(tmp_path, settings=settings, clock=clock):
            env.clock = clock  # type: ignore[attr-defined]
            env.tk = tk  # type: ignore[attr-defined]
            yield env


async def polled(env: Env, advance: timedelta | None = None) -> None:
    """Let the scheduler's source job finish a round (after moving the clock, if asked)."""
    scheduler = env.services.scheduler
    before = scheduler.rounds("sources")
    if advance is not None:
        await env.clock.advance(advance)
    else:
        scheduler.wake("sources")
    for _ in range(600):
        if scheduler.rounds("sources") > before and scheduler.idle("sources").is_set():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the source job did not finish a round")


async def digest_at(env: Env, delta: timedelta) -> None:
    await env.clock.advance(delta)
    await asyncio.sleep(0)
    await env.server.settle(0.1, timeout=20)
    await asyncio.wait_for(env.services.scheduler.idle("digests").wait(), 20)


async def set_digest(env: Env, **options) -> None:
    rec = await env.run("digest set", {"channel": env.channel, "time": "09:00"} | options,
                        user=env.admin)  # fmt: skip
    assert "Digest set" in text_of(answer_of(rec))


def url_of(env: Env, doc: FakeDocument) -> str:
    return f"{env.tk.base_url}Document({doc.id})/resource"


async def test_a_new_document_reaches_the_next_digest_with_a_link_to_its_source(world):
    env = world
    first = env.tk.add(brief(0))
    await set_digest(env, language="en")
    source, _ = await env.services.sources.follow_tweedekamer(
        types=["Brief regering"], dossiers=["28638"]
    )
    await polled(env)
    assert {r.source_ref for r in env.services.catalog.by_id.values()} >= {first.id}
    await digest_at(env, timedelta(hours=1))  # 09:00
    msg = marker_messages(env, env.channel)[-1]
    new = [e for e in msg.embeds if (e.get("title") or "").startswith("New letter")]
    assert len(new) == 1 and new[0]["url"] == url_of(env, first)
    assert "%28" + first.id + "%29/resource#page=" in new[0]["description"]  # cited, linked

    # the next day a new document is published; the bot finds it on its own
    later = env.tk.add(brief(1, days_ago=0))
    await polled(env, timedelta(minutes=20))
    assert any(r.source_ref == later.id for r in env.services.catalog.by_id.values())
    await digest_at(env, timedelta(days=1) - timedelta(minutes=20))
    msg = marker_messages(env, env.channel)[-1]
    titles = [e.get("title") or "" for e in msg.embeds]
    assert any("voortgang" in t.lower() or "Voortgang" in t for t in titles)
    new = [e for e in msg.embeds if (e.get("title") or "").startswith("New letter")]
    assert [e["url"] for e in new] == [url_of(env, later)]
    assert msg.pinged == []
    # and the bot is polite: its user agent, one listing or file a second at most
    assert all(r.user_agent.startswith("briefbot/") for r in env.tk.requests)
    starts = [r.at for r in env.tk.requests]
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.99
    assert source.id == 1


async def test_a_year_of_backfill_does_not_flood_the_digest(world):
    env = world
    await set_digest(env, language="en")
    old = [env.tk.add(brief(i, days_ago=30 + 20 * i)) for i in range(6)]
    fresh = env.tk.add(brief(9, days_ago=1))
    since = (DAY - timedelta(days=365)).isoformat()
    await env.services.sources.follow_tweedekamer(dossiers=["28638"], since=since)
    await polled(env)
    refs = {r.source_ref for r in env.services.catalog.by_id.values()}
    assert refs >= {d.id for d in old} | {fresh.id}  # the whole year is in the library
    await digest_at(env, timedelta(hours=1))
    msg = marker_messages(env, env.channel)[-1]
    new = [e for e in msg.embeds if (e.get("title") or "").startswith("New letter")]
    assert [e["url"] for e in new] == [url_of(env, fresh)]  # only what is news
    await digest_at(env, timedelta(days=1))
    msg = marker_messages(env, env.channel)[-1]
    assert not [e for e in msg.embeds if (e.get("title") or "").startswith("New letter")]


async def test_a_new_letters_only_digest_is_silent_without_news(world):
    env = world
    rec = await env.run(
        "digest subscribe", {"time": "09:00", "new_only": True, "language": "en"},
        user=env.member, channel=None,
    )  # fmt: skip
    assert answer_of(rec) is not None
    await digest_at(env, timedelta(hours=1))
    assert marker_messages(env, env.member) == []  # nothing new: nothing sent, no pick
    doc = env.tk.add(brief(3, days_ago=0))
    await env.services.sources.follow_tweedekamer(dossiers=["28638"])
    await polled(env)
    await digest_at(env, timedelta(days=1))
    (msg,) = marker_messages(env, env.member)
    titles = [e.get("title") or "" for e in msg.embeds]
    assert "Recommendation of the day" not in titles
    assert [e.get("url") for e in msg.embeds if e.get("url")] == [url_of(env, doc)]
    status = await env.run("digest status", user=env.member, channel=None)
    assert "new letters only" in text_of(answer_of(status))


async def test_sources_and_letters_show_where_letters_come_from(world):
    env = world
    rec = await env.run("sources", user=env.member)
    assert "follows no sources yet" in text_of(answer_of(rec))
    doc = env.tk.add(brief(4))
    await env.services.sources.follow_tweedekamer(types=["Brief regering"],
                                                      dossiers=["28638"])  # fmt: skip
    await polled(env)
    rec = await env.run("sources", user=env.member, locale="nl")
    text = text_of(answer_of(rec))
    assert "Tweede Kamer: Brief regering · dossier 28638" in text and "1 brief" in text
    assert "Alleen de beheerder van de bot voegt bronnen toe" in text
    rec = await env.run("letters", user=env.member)
    text = text_of(answer_of(rec))
    assert "from Tweede Kamer" in text and "%28" + doc.id + "%29/resource" in text
    # another server sees the followed letters too
    rec = await env.run("letters", user=env.outsider, channel=env.other_channel)
    assert "from Tweede Kamer" in text_of(answer_of(rec))


async def test_an_outage_of_the_source_never_stops_the_bot(world):
    env = world
    env.tk.fail("500", route="/Document?", times=1000)
    env.services.sources.client.backoff = 0.05  # five tries, without the real waits
    await env.services.sources.follow_tweedekamer(dossiers=["28638"])
    await polled(env)
    (view,) = await env.services.sources.sources()
    assert view.source.last_error and view.source.failures == 1
    rec = await env.run("sources", user=env.member)
    assert "cannot be reached at the moment" in text_of(answer_of(rec))
    rec = await env.run("quote", {"text": "aanpak mensenhandel reservebank"}, user=env.member)
    assert answer_of(rec) is not None  # the bot answers as ever
