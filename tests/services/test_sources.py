"""Following the Tweede Kamer: polls against a local fake of its OData API (real SQLite, real
services, real HTTP on loopback): paging, filters, changes, deletions, faults, politeness,
exactly once."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.app import Services
from bot.services.scope import GLOBAL, Scope
from bot.services.sources import SourceService
from bot.services.sources.http import PoliteClient
from bot.services.sources.service import MAX_ATTEMPTS
from bot.settings import Settings
from tests.fake_tweedekamer import DOCX, FakeDocument, FakeTweedeKamer
from tests.source_docs import blank_pdf, corpus_pdfs, letter_pdf

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
TODAY = datetime.now(UTC).date()


def recent(days_ago: int) -> date:
    return TODAY - timedelta(days=days_ago)


def brief(i: int, *, days_ago: int = 3, dossier: int = 28638, **kw) -> FakeDocument:
    values = {
        "soort": "Brief regering",
        "onderwerp": f"Voortgang aanpak mensenhandel {i}",
        "datum": recent(days_ago),
        "content": letter_pdf(i),
        "dossiers": [(dossier, None)],
    }
    values.update(kw)
    return FakeDocument(**values)


def client(**kw) -> PoliteClient:
    values = {"interval": 0.0, "timeout": 2.0, "attempts": 3, "backoff": 0.01, "max_wait": 3.0}
    values.update(kw)
    return PoliteClient(**values)


@asynccontextmanager
async def opened(tmp_path: Path, tk: FakeTweedeKamer, **client_kw) -> AsyncIterator[tuple]:
    settings = Settings(
        BRIEFBOT_DB=tmp_path / "b.sqlite3",
        BRIEFBOT_LETTERS_DIR=BUNDLED,
        BRIEFBOT_TWEEDEKAMER_URL=tk.base_url,
    )
    app = await Services.open(settings, seed=False, http=client(**client_kw))
    try:
        yield app, app.sources
    finally:
        await app.close()


@pytest.fixture
async def tk() -> AsyncIterator[FakeTweedeKamer]:
    async with FakeTweedeKamer() as server:
        yield server


async def follow_dossier(service: SourceService, **kw):
    values = {"types": ["Brief regering"], "dossiers": ["28638"], "since": None}
    values.update(kw)
    source, created = await service.follow_tweedekamer(**values)
    assert created
    return source


# --------------------------------------------------------------------------- the first poll


async def test_first_poll_brings_the_matching_letters_with_their_origin(tmp_path, tk):
    wanted = [tk.add(brief(i, days_ago=5 - i)) for i in range(3)]
    tk.add(brief(10, dossier=31015))  # another dossier
    tk.add(brief(11, soort="Motie"))  # another kind
    word = tk.add(brief(12, content=b"PK\x03\x04 a docx", content_type=DOCX))
    tk.add(brief(13, days_ago=400))  # before --since
    async with opened(tmp_path, tk) as (app, service):
        source = await follow_dossier(service)
        report = await service.poll()
        assert tk.bad_filters == []  # every $filter briefbot sent is valid OData
        assert report.errors == []
        assert [a.url for a in report.added] == [
            f"{tk.base_url}Document({d.id})/resource" for d in wanted
        ]  # oldest change first
        (skip,) = report.skipped
        assert skip.ref == word.id and "Word file" in skip.reason
        assert len(tk.resource_requests()) == 3  # the Word file was never downloaded
        letters = app.catalog.in_order(GLOBAL)
        assert len(letters) == 3
        for rec, doc in zip(letters, wanted, strict=True):
            assert rec.guild_id is None  # visible in every server
            assert rec.source_id == source.id and rec.source_ref == doc.id
            assert rec.source_url == f"{tk.base_url}Document({doc.id})/resource"
            assert rec.source_name == "Tweede Kamer" and rec.published == doc.datum.isoformat()
            assert not rec.backfill
            assert app.catalog.allows(Scope(guild_id=123), rec.id)
        # answers come from the new letters at once
        answer = await app.recommendations.recommendations(GLOBAL, topic=None, letter=None)
        assert {r.letter_id for r in answer.recommendations} == {r.id for r in letters}


async def test_a_second_poll_reads_one_page_and_stores_nothing(tmp_path, tk):
    for i in range(3):
        tk.add(brief(i))
    async with opened(tmp_path, tk) as (app, service):
        await follow_dossier(service)
        await service.poll()
        before = len(tk.requests)
        report = await service.poll()
        assert report.added == [] and report.skipped == [] and report.errors == []
        new = tk.requests[before:]
        assert len(new) == 2 and not any(r.path.endswith("/resource") for r in new)
        assert "GewijzigdOp+ge" in new[-1].path or "GewijzigdOp%20ge" in new[-1].path
        assert len(app.catalog.by_id) == 3


async def test_paging_follows_next_link_to_the_last_page(tmp_path):
    async with FakeTweedeKamer(page_size=2) as tk, opened(tmp_path, tk) as (_app, service):
        docs = [tk.add(brief(i)) for i in range(5)]
        await follow_dossier(service)
        report = await service.poll()
        assert len(report.added) == 5
        assert len(tk.listing_requests()) == 3  # pages of 2, 2 and 1
        assert {a.letter.source_ref for a in report.added} == {d.id for d in docs}


async def test_since_and_backfill(tmp_path, tk):
    old = tk.add(brief(0, days_ago=200))
    new = tk.add(brief(1, days_ago=2))
    tk.add(brief(2, days_ago=500))
    async with opened(tmp_path, tk) as (_app, service):
        since = (TODAY - timedelta(days=365)).isoformat()
        await follow_dossier(service, since=since)
        report = await service.poll()
        by_ref = {a.letter.source_ref: a.letter for a in report.added}
        assert set(by_ref) == {old.id, new.id}
        assert by_ref[old.id].backfill and not by_ref[new.id].backfill


# --------------------------------------------------------------------------- changes


async def test_a_changed_document_replaces_its_letter_and_keeps_its_number(tmp_path, tk):
    doc = tk.add(brief(0))
    async with opened(tmp_path, tk) as (app, service):
        await follow_dossier(service)
        (first,) = (await service.poll()).added
        tk.change(doc.id, content=letter_pdf(0, version=2))
        report = await service.poll()
        (second,) = report.added
        assert second.updated and second.letter.number == first.letter.number
        assert second.letter.content_hash != first.letter.content_hash
        (only,) = app.catalog.in_order(GLOBAL)
        assert only.content_hash == second.letter.content_hash
        sentences = await app.store.letters.sentences(only.id)
        assert any("versie 2" in s.text for s in sentences)
        assert await app.store.letters.count() == 1


async def test_a_touched_document_whose_file_did_not_change_is_not_downloaded(tmp_path, tk):
    doc = tk.add(brief(0))
    async with opened(tmp_path, tk) as (_app, service):
        await follow_dossier(service)
        await service.poll()
        tk.change(doc.id)  # GewijzigdOp moves (a data fix), the file is the same
        report = await service.poll()
        assert report.added == [] and report.skipped == []
        assert len(tk.resource_requests()) == 1


async def test_a_deleted_document_leaves_the_answers(tmp_path, tk):
    keep, gone = tk.add(brief(0)), tk.add(brief(1))
    async with opened(tmp_path, tk) as (app, service):
        await follow_dossier(service)
        await service.poll()
        assert len(app.catalog.by_id) == 2
        tk.delete(gone.id)
        report = await service.poll()
        (skip,) = report.skipped
        assert skip.ref == gone.id and "deleted at the source" in skip.reason
        (rec,) = app.catalog.in_order(GLOBAL)
        assert rec.source_ref == keep.id
        again = await service.poll()  # said once
        assert again.skipped == [] and again.added == []


async def test_a_letter_stored_by_a_killed_poll_leaves_when_its_document_is_deleted(tmp_path, tk):
    # a poll killed after it stored a letter but before it recorded the document: the
    # document's record is missing, the letter (carrying the document's reference) is there
    keep, gone = tk.add(brief(0)), tk.add(brief(1))
    async with opened(tmp_path, tk) as (app, service):
        await follow_dossier(service)
        await service.poll()
        assert len(app.catalog.by_id) == 2
    with sqlite3.connect(tmp_path / "b.sqlite3") as conn:
        conn.execute("DELETE FROM source_documents WHERE ref = ?", (gone.id,))
    conn.close()
    tk.delete(gone.id)
    async with opened(tmp_path, tk) as (app, service):
        report = await service.poll()
        assert [s.ref for s in report.skipped] == [gone.id]
        assert [r.source_ref for r in app.catalog.in_order(GLOBAL)] == [keep.id]


# --------------------------------------------------------------------------- faults


async def test_429_with_retry_after_is_waited_for(tmp_path, tk):
    tk.add(brief(0))
    tk.fail("429", route="/Document?", retry_after="1")
    async with opened(tmp_path, tk) as (_app, service):
        await follow_dossier(service)
        report = await service.poll()
        assert report.errors == [] and len(report.added) == 1
        first, second = tk.listing_requests()[:2]
        assert second.at - first.at >= 0.95  # Retry-After: 1 honoured


async def test_500s_are_retried_with_backoff(tmp_path, tk):
    tk.add(brief(0))
    tk.fail("500", route="/Document?", times=2)
    async with opened(tmp_path, tk) as (_app, service):
        await follow_dossier(service)
        report = await service.poll()
        assert report.errors == [] and len(report.added) == 1
        assert len(tk.listing_requests()) == 3


async def test_an_outage_keeps_the_cursor_and_the_next_poll_catches_up_in_order(tmp_path, tk):
    async with opened(tmp_path, tk) as (app, service):
        source = await follow_dossier(service)
        first = tk.add(brief(0, days_ago=6))
        await service.poll()
        tk.fail("500", route="/Document?", times=100)  # down for days
        during = [tk.add(brief(i, days_ago=5 - i)) for i in range(1, 5)]
        for _ in range(2):
            report = await service.poll()
            assert report.added == [] and len(report.errors) == 1
            assert "500" in report.errors[0].error
        after = await app.store.sources.get(source.id)
        assert after.failures == 2 and after.last_error
        assert after.next_poll_at > datetime.now(UTC) + timedelta(minutes=20)  # backoff
        tk.faults.clear()  # back up
        report = await service.poll()
        assert report.errors == []
        assert [a.letter.source_ref for a in report.added] == [d.id for d in during]
        assert {r.source_ref for r in app.catalog.in_order(GLOBAL)} == {first.id} | {
            d.id for d in during
        }
        healed = await app.store.sources.get(source.id)
        assert healed.failures == 0 and healed.last_error is None


async def test_a_timeout_is_a_clear_error_not_a_hang(tmp_path):
    async with FakeTweedeKamer(timeout_seconds=2.0) as tk:
        tk.add(brief(0))
        tk.fail("timeout", route="/Document?", times=5)
        async with opened(tmp_path, tk, timeout=0.3, attempts=2) as (app, service):
            await follow_dossier(service)
            started = asyncio.get_running_loop().time()
            report = await service.poll()
            assert asyncio.get_running_loop().time() - started < 2.0
            (failure,) = report.errors
            assert "did not answer within 0.3 s" in failure.error
            assert app.catalog.by_id == {}


async def test_malformed_json_is_retried_then_reported(tmp_path, tk):
    tk.add(brief(0))
    tk.fail("malformed", route="/Document?", times=1)
    async with opened(tmp_path, tk) as (_app, service):
        await follow_dossier(service)
        assert len((await service.poll()).added) == 1  # retried once, then fine
        tk.add(brief(1))
        tk.fail("malformed", route="/Document?", times=10)
        report = await service.poll()
        (failure,) = report.errors
        assert "not valid JSON" in failure.error and report.added == []


async def test_files_briefbot_cannot_read_are_skipped_with_a_reason(tmp_path, tk):
    html = tk.add(brief(0, serve_as="html"))
    big = tk.add(brief(1, declared_length=50 * 1024 * 1024))  # said so in the metadata
    streamed = tk.add(brief(2, serve_as="big"))  # 50 MB with a Content-Length
    chunked = tk.add(brief(3, serve_as="big-chunked"))  # 50 MB without one
    scan = tk.add(brief(4, content=blank_pdf()))
    good = tk.add(brief(5))
    async with opened(tmp_path, tk) as (_app, service):
        await follow_dossier(service)
        report = await service.poll()
        reasons = {s.ref: s.reason for s in report.skipped}
        assert "HTML page" in reasons[html.id]
        assert "50.0 MB" in reasons[big.id] and "20 MB" in reasons[big.id]
        assert "50.0 MB" in reasons[streamed.id]
        assert "larger than 20 MB" in reasons[chunked.id]
        assert "no text layer" in reasons[scan.id]
        assert [a.letter.source_ref for a in report.added] == [good.id]
        assert report.errors == []
        assert not any(big.id in r.path for r in tk.resource_requests())
        # skipped documents are not fetched again until they change
        before = len(tk.resource_requests())
        assert (await service.poll()).skipped == []
        assert len(tk.resource_requests()) == before


async def test_a_file_that_fails_stops_the_poll_there_and_is_given_up_in_the_end(tmp_path, tk):
    a, b, c = tk.add(brief(0, days_ago=3)), tk.add(brief(1, days_ago=2)), tk.add(brief(2))
    async with opened(tmp_path, tk, attempts=1) as (_app, service):
        await follow_dossier(service)
        tk.fail("500", route=f"Document({b.id})/resource", times=100)
        report = await service.poll()
        assert [x.letter.source_ref for x in report.added] == [a.id]
        (failure,) = report.errors
        assert "500" in failure.error
        for _ in range(MAX_ATTEMPTS - 2):  # still failing: c waits its turn
            report = await service.poll()
            assert report.added == [] and report.errors
        report = await service.poll()  # the last try: given up, and the source moves on
        assert [x.letter.source_ref for x in report.added] == [c.id]
        (skip,) = report.skipped
        assert skip.ref == b.id and f"given up after {MAX_ATTEMPTS} polls" in skip.reason
        tk.faults.clear()
        tk.change(b.id, content=letter_pdf(1, version=2))  # a new version is tried again
        report = await service.poll()
        assert [x.letter.source_ref for x in report.added] == [b.id]


# --------------------------------------------------------------------------- politeness


async def test_requests_name_briefbot_and_go_at_most_one_a_second_per_host(tmp_path, tk):
    for i in range(3):
        tk.add(brief(i))
    async with opened(tmp_path, tk, interval=1.0) as (_app, service):
        await follow_dossier(service)
        await service.poll()
    starts = [r.at for r in tk.requests]
    assert len(starts) == 4  # one listing, three files
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.99
    assert all(r.user_agent.startswith("briefbot/") for r in tk.requests)


def test_the_user_agent_names_the_operator_when_set():
    assert PoliteClient(contact="ops@example.org").user_agent.endswith(
        "; contact: ops@example.org)"
    )


# --------------------------------------------------------------------------- exactly once


async def test_two_processes_on_one_database_never_store_a_document_twice(tmp_path, tk):
    docs = [tk.add(brief(i)) for i in range(4)]
    async with opened(tmp_path, tk) as (_app1, one), opened(tmp_path, tk) as (_app2, two):
        await follow_dossier(one)
        r1, r2 = await asyncio.gather(one.poll(), two.poll())
        busy = [e for e in r1.errors + r2.errors]
        assert len(busy) == 1 and "another briefbot process" in busy[0].error
        assert len(r1.added) + len(r2.added) == 4
        again = await two.poll()
        assert again.added == [] and again.errors == []
    async with opened(tmp_path, tk) as (app, _):
        refs = [r.source_ref for r in app.catalog.in_order(GLOBAL)]
        assert sorted(refs) == sorted(d.id for d in docs)


async def test_the_same_document_followed_twice_is_one_letter(tmp_path, tk):
    doc = tk.add(brief(0, onderwerp="Aanpak mensenhandel"))
    async with opened(tmp_path, tk) as (app, service):
        await follow_dossier(service)
        await service.follow_tweedekamer(subjects=["mensenhandel"], since=None)
        report = await service.poll()
        assert len(report.added) == 1
        assert len(app.catalog.by_id) == 1
        assert report.skipped and "already stored as letter" in report.skipped[0].reason
        assert report.skipped[0].ref == doc.id


# --------------------------------------------------------------------------- real letters


async def test_real_letters_of_the_rapporteur_as_the_fake_serves_them(tmp_path, tk):
    letters = corpus_pdfs()[:4]
    if not letters:
        pytest.skip("needs ../shared/corpus/letters (the development corpus)")
    for i, c in enumerate(letters):
        tk.add(
            FakeDocument(
                soort="Brief regering", onderwerp=c.title, datum=recent(10 - i),
                content=c.pdf.read_bytes(), dossiers=[(28638, None)],
            )
        )  # fmt: skip
    async with opened(tmp_path, tk) as (_app, service):
        await follow_dossier(service)
        report = await service.poll()
        assert report.errors == [] and len(report.added) == len(letters)
        for a in report.added:
            assert a.letter.sentence_count > 10 and a.letter.source_url


# --------------------------------------------------------------------------- follow, list


async def test_follow_validates_and_is_idempotent(tmp_path, tk):
    async with opened(tmp_path, tk) as (_app, service):
        with pytest.raises(ValueError, match="not a dossier number"):
            await service.follow_tweedekamer(dossiers=["28x638"])
        with pytest.raises(ValueError, match="is not a date"):
            await service.follow_tweedekamer(dossiers=["28638"], since="vorig jaar")
        with pytest.raises(ValueError, match="in the future"):
            await service.follow_tweedekamer(dossiers=["28638"], since="2999-01-01")
        a, created = await service.follow_tweedekamer(types=["Brief regering"], dossiers=["28638"])
        b, again = await service.follow_tweedekamer(dossiers=[" 28638"], types=["Brief regering"])
        assert created and not again and a.id == b.id
        assert a.name == "Tweede Kamer: Brief regering · dossier 28638"
        (view,) = await service.sources()
        assert view.source.id == a.id and view.stats.letters == 0
        removed = await service.unfollow(a.id)
        assert removed.id == a.id and await service.sources() == []
        with pytest.raises(LookupError):
            await service.unfollow(a.id)


async def test_the_bot_takes_in_what_another_process_polled(tmp_path, tk):
    """``briefbot follow poll`` while the bot runs: the bot indexes what it stored, and
    forgets what it removed, at its change job's next round."""
    keep, gone = tk.add(brief(0)), tk.add(brief(1))
    async with opened(tmp_path, tk) as (bot, _), opened(tmp_path, tk) as (_, cli_side):
        await follow_dossier(cli_side)
        await cli_side.poll()
        assert bot.catalog.by_id == {}
        assert await bot.change_job.catch_up() >= 2  # the two letters (and the new source)
        assert {r.source_ref for r in bot.catalog.in_order(GLOBAL)} == {keep.id, gone.id}
        answer = await bot.recommendations.recommendations(GLOBAL, topic=None, letter=None)
        assert len({r.letter_id for r in answer.recommendations}) == 2
        tk.delete(gone.id)
        await cli_side.poll()
        assert await bot.change_job.catch_up() == 1
        assert [r.source_ref for r in bot.catalog.in_order(GLOBAL)] == [keep.id]
        assert await bot.change_job.catch_up() == 0


async def test_a_backfill_reports_its_progress(tmp_path, tk):
    for i in range(4):
        tk.add(brief(i, days_ago=40 + 30 * i))
    seen: list[tuple[int, int]] = []
    async with opened(tmp_path, tk) as (_app, service):
        since = (TODAY - timedelta(days=365)).isoformat()
        source = await follow_dossier(service, since=since)
        report = await service.poll(on_progress=lambda s, done, total: seen.append((done, total)))
        assert len(report.added) == 4 and all(a.letter.backfill for a in report.added)
        assert source.id == 1
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # it only moves forward
