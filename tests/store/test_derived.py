"""The repositories of derived data (topics, recommendations, vectors), on every backend."""

from __future__ import annotations

import asyncio

from bot.store import Store
from bot.store.records import RecommendationRow, StoredVector, TopicRow
from tests.store.test_sqlite import add, make_letter


async def test_recommendations_replace_list_and_count(store: Store) -> None:
    first, _ = await add(store, make_letter("a", sentences=4))
    second, _ = await add(store, make_letter("b", sentences=3), slug="b")
    topics = [TopicRow("mensenhandel", "Mensenhandel", 2.0), TopicRow("zorg", "Zorg", 1.0)]
    recs = [
        RecommendationRow(3, "plea", "pleit ik voor", ("zorg", "mensenhandel")),
        RecommendationRow(1, "request", None, ("mensenhandel", "nieuw-thema", "mensenhandel")),
    ]
    assert await store.recommendations.replace(first.id, topics=topics, recommendations=recs,
                                               version="r1")  # fmt: skip
    assert await store.recommendations.replace(
        second.id, topics=topics[:1], recommendations=[RecommendationRow(2, "advice", None,
                                                                         ("mensenhandel",))],
        version="r1",
    )  # fmt: skip
    listed = await store.recommendations.list([second.id, first.id])
    assert [(r.letter_id, r.sentence_number, r.position) for r in listed] == [
        (first.id, 3, 0), (first.id, 1, 1), (second.id, 2, 0)
    ]  # fmt: skip
    top = listed[0]
    assert (top.kind, top.cue, top.page, top.section_heading) == ("plea", "pleit ik voor", 2,
                                                                  "Kop 1")  # fmt: skip
    assert top.text == "Zin 3 over a."
    assert top.topics == ("zorg", "mensenhandel")  # the order given: the first is primary
    assert listed[1].topics == ("mensenhandel", "nieuw-thema")  # a topic once
    on_zorg = await store.recommendations.list([first.id, second.id], topic="zorg")
    assert [r.sentence_number for r in on_zorg] == [3]
    assert await store.recommendations.list([]) == []
    assert await store.recommendations.versions() == {first.id: "r1", second.id: "r1"}
    counts = {(c.letter_id, c.slug): c.recommendations for c in
              await store.recommendations.topic_counts()}  # fmt: skip
    assert counts == {(first.id, "zorg"): 1, (first.id, "mensenhandel"): 2,
                      (first.id, "nieuw-thema"): 1, (second.id, "mensenhandel"): 1}  # fmt: skip
    weights = [(t.letter_id, t.slug, t.weight) for t in await store.recommendations.letter_topics()]
    assert weights[:2] == [(first.id, "mensenhandel", 2.0), (first.id, "zorg", 1.0)]
    # one letter's, for a process that hears of a letter another one analysed
    assert await store.recommendations.versions(second.id) == {second.id: "r1"}
    assert [(t.slug, t.weight) for t in await store.recommendations.letter_topics(second.id)] == [
        ("mensenhandel", 2.0)
    ]
    counted = await store.recommendations.topic_counts(first.id)
    assert {c.slug: c.recommendations for c in counted} == {
        "zorg": 1, "mensenhandel": 2, "nieuw-thema": 1
    }  # fmt: skip

    # replaced, not added to; a letter that is gone is refused; orphan topics go
    assert await store.recommendations.replace(first.id, topics=[], recommendations=[],
                                               version="r2")  # fmt: skip
    assert [r.letter_id for r in await store.recommendations.list([first.id, second.id])] == [
        second.id
    ]
    assert not await store.recommendations.replace(99_999, topics=topics, recommendations=[],
                                                   version="r2")  # fmt: skip
    assert await store.letters.delete(second.id, guild_id=None)
    assert await store.recommendations.delete_orphan_topics() >= 1
    assert await store.recommendations.letter_topics() == []


async def test_the_same_letter_replaced_at_once_by_many_writers(store: Store) -> None:
    """Every process that hears of a new letter analyses it; their writes of the same rows
    must follow one another (PostgreSQL: several pooled connections at once), not collide."""
    letter, _ = await add(store, make_letter("a", sentences=4))
    recs = [RecommendationRow(n, "request", None, ("zorg",)) for n in (1, 2, 3)]
    topics = [TopicRow("zorg", "Zorg", 1.0)]
    done = await asyncio.gather(
        *(
            store.recommendations.replace(
                letter.id, topics=topics, recommendations=recs, version=f"r{i}"
            )
            for i in range(6)
        )
    )
    assert done == [True] * 6
    listed = await store.recommendations.list([letter.id])
    assert [r.sentence_number for r in listed] == [1, 2, 3]
    rows = await store.letters.sentences(letter.id)
    stored = await asyncio.gather(
        *(
            store.vectors.replace(letter.id, [(r.id, bytes([i]) * 8) for r in rows], version="m")
            for i in range(6)
        )
    )
    assert stored == [True] * 6 and await store.vectors.count(letter.id) == len(rows)


async def test_vectors_replace_stream_and_delete(store: Store) -> None:
    first, _ = await add(store, make_letter("a", sentences=3))
    second, _ = await add(store, make_letter("b", sentences=2), slug="b")
    a = await store.letters.sentences(first.id)
    b = await store.letters.sentences(second.id)
    blobs = {s.id: bytes([s.id % 256]) * 8 for s in a + b}
    assert await store.vectors.replace(first.id, [(s.id, blobs[s.id]) for s in reversed(a)],
                                       version="m1")  # fmt: skip
    assert await store.vectors.replace(second.id, [(s.id, blobs[s.id]) for s in b], version="m2")
    # a sentence of another letter, or a letter that is gone: nothing written
    assert not await store.vectors.replace(first.id, [(b[0].id, b"x")], version="m9")
    assert not await store.vectors.replace(99_999, [], version="m9")
    assert await store.vectors.versions() == {first.id: "m1", second.id: "m2"}
    assert await store.vectors.for_letter(first.id) == [
        StoredVector(s.id, first.id, blobs[s.id]) for s in a
    ]
    batches = [batch async for batch in store.vectors.iter_all(batch=2)]
    assert [len(x) for x in batches] == [2, 2, 1]
    assert [v.sentence_id for x in batches for v in x] == sorted(blobs)
    assert (await store.vectors.count(), await store.vectors.count(second.id)) == (5, 2)
    await store.vectors.delete(first.id)
    assert await store.vectors.count() == 2 and await store.vectors.versions() == {second.id: "m2"}
    assert await store.letters.delete(second.id, guild_id=None)
    assert await store.vectors.count() == 0


async def test_meta_items_by_prefix(store: Store) -> None:
    for key in ("left:2", "left:10", "leftover", "sync:hash"):
        await store.meta.set(key, key.upper())
    assert await store.meta.items("left:") == [("left:10", "LEFT:10"), ("left:2", "LEFT:2")]
    assert await store.meta.delete("left:2") and not await store.meta.delete("left:2")
    assert await store.meta.items("nothing") == []
