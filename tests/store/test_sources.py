"""The followed-sources repository's contract, on every backend: a source is followed once,
one poller at a time holds its lease, the cursor only moves forward, one letter per document."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import InvalidLetterError, Store, open_store
from bot.store.records import LetterOrigin
from tests.store.test_sqlite import make_letter

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CONFIG = {"query": "Kamerbrief", "organisatie": "Ministerie van Justitie en Veiligheid"}


async def follow(store: Store, config=CONFIG):
    return await store.sources.add(
        kind="tweedekamer", config=dict(config), name="Tweede Kamer", since="2026-01-01", now=NOW
    )


async def test_a_source_is_followed_once_and_removed(store: Store) -> None:
    source, created = await follow(store)
    again, created_again = await follow(store, dict(reversed(list(CONFIG.items()))))
    assert created and not created_again and again == source
    assert (source.kind, source.config, source.since, source.cursor) == (
        "tweedekamer", CONFIG, "2026-01-01", None
    )  # fmt: skip
    assert source.created_at == source.next_poll_at == NOW
    other, _ = await store.sources.add(
        kind="folder", config={"path": "/srv/brieven"}, name="map", since="2026-01-01", now=NOW
    )
    assert [s.id for s in await store.sources.list()] == [source.id, other.id]
    assert await store.sources.get(source.id) == source
    assert [s.id for s in await store.sources.due(NOW)] == [source.id, other.id]
    assert await store.sources.due(NOW - timedelta(seconds=1)) == []
    assert await store.sources.earliest_poll() == NOW
    assert await store.sources.remove(other.id) and not await store.sources.remove(other.id)


async def test_one_poller_at_a_time(store: Store, location: str) -> None:
    source, _ = await follow(store)
    until = NOW + timedelta(minutes=5)
    # two processes ask at once: exactly one gets the lease
    second = await open_store(location)
    try:
        got = await asyncio.gather(
            store.sources.lease(source.id, owner="a", now=NOW, until=until),
            second.sources.lease(source.id, owner="b", now=NOW, until=until),
        )
    finally:
        await second.close()
    winners = [g for g in got if g is not None]
    assert len(winners) == 1
    holder = winners[0].lease_owner
    other = "b" if holder == "a" else "a"
    assert winners[0].lease_until == until and winners[0].last_poll_at == NOW
    assert await store.sources.lease(source.id, owner=other, now=NOW, until=until) is None
    assert await store.sources.lease(source.id, owner=holder, now=NOW, until=until) is not None
    assert await store.sources.renew(source.id, owner=holder, until=until + timedelta(minutes=1))
    assert not await store.sources.renew(source.id, owner=other, until=until)
    # a lease that ran out (its process died) is taken over
    later = until + timedelta(minutes=2)
    taken = await store.sources.lease(source.id, owner=other, now=later, until=later)
    assert taken is not None and taken.lease_owner == other
    await store.sources.release(
        source.id, owner=other, now=later, next_poll_at=later + timedelta(hours=1), error="HTTP 503"
    )
    failed = await store.sources.get(source.id)
    assert (failed.lease_owner, failed.failures, failed.last_error) == (None, 1, "HTTP 503")
    await store.sources.release(source.id, owner=other, now=later,
                                next_poll_at=later + timedelta(hours=2), error=None)  # fmt: skip
    ok = await store.sources.get(source.id)
    assert (ok.failures, ok.last_error, ok.last_ok_at) == (0, None, later)
    await store.sources.poll_soon(source.id, at=later)
    await store.sources.poll_soon(source.id, at=later + timedelta(days=1))  # never pushed back
    assert (await store.sources.get(source.id)).next_poll_at == later


async def test_documents_and_the_cursor_move_together(store: Store) -> None:
    source, _ = await follow(store)
    t1, t2 = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    await store.sources.record(source.id, ref="doc-b", version="v1", status="skipped", now=NOW,
                               reason="not a letter", cursor=t2)  # fmt: skip
    await store.sources.record(
        source.id,
        ref="doc-a",
        version="v1",
        status="added",
        now=NOW,
        content_hash="h",
        title="Brief",
        url="https://x",
        cursor=t1,
    )
    assert (await store.sources.get(source.id)).cursor == t2  # never back
    await store.sources.move_cursor(source.id, t1)
    assert (await store.sources.get(source.id)).cursor == t2
    await store.sources.record(source.id, ref="doc-b", version="v2", status="failed", now=t1,
                               reason="broken PDF", attempts=2)  # fmt: skip
    docs = await store.sources.documents(source.id)
    assert [(d.ref, d.version, d.status) for d in docs] == [
        ("doc-a", "v1", "added"), ("doc-b", "v2", "failed")
    ]  # fmt: skip
    assert docs[1].attempts == 2 and docs[1].updated_at == t1
    assert await store.sources.document(source.id, "doc-a") == docs[0]
    assert await store.sources.document(source.id, "nope") is None

    origin = LetterOrigin(source_id=source.id, source_ref="doc-a", url="https://x",
                          name="Tweede Kamer", published="2026-11-30", backfill=True)  # fmt: skip
    record, created = await store.letters.add(
        make_letter("bron"), slug_hint="bron", source_path="tk:doc-a", content_hash="bron",
        guild_id=None, parser_version="t", origin=origin,
    )  # fmt: skip
    assert created and (record.source_id, record.source_ref, record.source_url) == (
        source.id, "doc-a", "https://x"
    )  # fmt: skip
    assert (record.source_name, record.published, record.backfill) == (
        "Tweede Kamer", "2026-11-30", True
    )  # fmt: skip
    second_origin = LetterOrigin(source_id=source.id, source_ref="doc-a#2", url=None,
                                 name="Tweede Kamer", published=None, backfill=False)  # fmt: skip
    second, _ = await store.letters.add(
        make_letter("tweede"), slug_hint="bron", source_path="tk:doc-a", content_hash="tweede",
        guild_id=None, parser_version="t", origin=second_origin,
    )  # fmt: skip
    with pytest.raises(InvalidLetterError):  # one letter per source document
        await store.letters.add(
            make_letter("derde"), slug_hint="bron", source_path="tk:doc-a", content_hash="derde",
            guild_id=None, parser_version="t", origin=origin,
        )  # fmt: skip
    assert await store.sources.letters_of(source.id, "doc-a") == [record.id, second.id]
    assert await store.sources.letter_ids() == [record.id, second.id]
    stats = await store.sources.stats()
    assert (stats[source.id].letters, stats[source.id].skipped, stats[source.id].documents) == (
        2, 1, 2
    )  # fmt: skip
    # unfollowing keeps the letters, without their source
    assert await store.sources.remove(source.id)
    kept = await store.letters.get(record.id)
    assert kept is not None and kept.source_id is None and kept.source_url == "https://x"
