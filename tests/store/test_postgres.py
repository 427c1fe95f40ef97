"""What only the PostgreSQL backend has to prove: its migrations, its Dutch full-text search,
digest claims that hold across processes, and ``briefbot migrate`` / ``briefbot copy`` from the
command line (against a real server, see ``tests.pg``)."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import asyncpg
import pytest

from bot.cli import main
from bot.services.digests import CLAIMS
from bot.store import SchemaTooNewError, Store, open_store
from bot.store.base import MigrationError
from bot.store.postgres import LATEST_SCHEMA_VERSION, Migration, apply_migrations, load_migrations
from bot.store.sqlite import LATEST_SCHEMA_VERSION as SQLITE_LATEST
from tests.store.test_contract import scalar
from tests.store.test_digests import NOW, request
from tests.store.test_sqlite import add, make_letter


def cli(capsys, *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1]) if out else {}


# --------------------------------------------------------------------------- migrations


def test_both_backends_count_the_same_schema_changes() -> None:
    assert LATEST_SCHEMA_VERSION == SQLITE_LATEST
    names = [m.name for m in load_migrations()]
    assert names == sorted(names) and all(n[:4].isdigit() for n in names)


async def test_an_empty_database_gets_the_schema_and_its_versions(pg_url: str) -> None:
    async with open_store(pg_url) as store:
        assert store.schema_version == LATEST_SCHEMA_VERSION
        assert await store.integrity_check() == ["ok"]
    versions = await scalar(
        pg_url, "SELECT array_agg(version ORDER BY version) FROM schema_version"
    )
    assert list(versions) == list(range(1, LATEST_SCHEMA_VERSION + 1))
    configs = await scalar(
        pg_url, "SELECT array_agg(cfgname::text ORDER BY cfgname) FROM pg_ts_config"
        " WHERE cfgname LIKE 'briefbot%'",
    )  # fmt: skip
    assert list(configs) == ["briefbot_nl", "briefbot_simple"]


async def test_a_newer_database_is_refused_and_left_alone(pg_url: str) -> None:
    async with open_store(pg_url):
        pass
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(
            "INSERT INTO schema_version (version, name) VALUES ($1, 'future')",
            LATEST_SCHEMA_VERSION + 1,
        )
    finally:
        await conn.close()
    with pytest.raises(SchemaTooNewError, match="upgrade briefbot"):
        await open_store(pg_url)
    assert await scalar(pg_url, "SELECT max(version) FROM schema_version") == (
        LATEST_SCHEMA_VERSION + 1
    )


async def test_a_failing_migration_leaves_the_previous_version(pg_url: str) -> None:
    broken = Migration(
        2, "0002_broken.sql", "CREATE TABLE extra (x int); INSERT INTO nowhere VALUES (1);"
    )
    conn = await asyncpg.connect(pg_url)
    try:
        with pytest.raises(MigrationError, match="0002_broken"):
            await apply_migrations(conn, [*load_migrations()[:1], broken])
        assert await conn.fetchval("SELECT max(version) FROM schema_version") == 1
        assert await conn.fetchval("SELECT to_regclass('extra')") is None
        assert await conn.fetchval("SELECT to_regclass('letters')") is not None
        fixed = Migration(2, "0002_fixed.sql", "CREATE TABLE extra (x int);")
        assert await apply_migrations(conn, [*load_migrations()[:1], fixed]) == 2
    finally:
        await conn.close()


# --------------------------------------------------------------------------- Dutch search


async def test_full_text_search_knows_dutch_stems_and_ignores_accents(pg_url: str) -> None:
    async with open_store(pg_url) as store:
        record, _ = await add(
            store,
            make_letter(
                texts=[
                    "De slachtoffers van mensenhandel worden beter geholpen.",
                    "Een zin over iets anders.",
                    "Eén slachtoffer meldde zich bij de politie.",
                ]
            ),
        )
        ids = {s.number: s.id for s in await store.letters.sentences(record.id)}
        # a whole word finds its inflections (the Dutch stemmer), accents or not
        hits = {i for i, _ in await store.letters.fts_search("slachtoffer", limit=10)}
        assert hits == {ids[1], ids[3]}
        assert {i for i, _ in await store.letters.fts_search("een", limit=10)} >= {ids[3]}
        # prefixes and phrases see the words as written, as FTS5 does
        assert {i for i, _ in await store.letters.fts_search('"mensen"*', limit=10)} == {ids[1]}
        assert await store.letters.fts_search('"slachtoffers van"', limit=10) == [
            (
                ids[1],
                pytest.approx(
                    (await store.letters.fts_search('"slachtoffers van"', limit=1))[0][1]
                ),
            )
        ]
        assert await store.letters.fts_search('"van slachtoffers"', limit=10) == []
        both = await store.letters.fts_search("slachtoffer NOT politie", limit=10)
        assert [i for i, _ in both] == [ids[1]]
        # the stems the topic search writes (bot.core.topics.fts_expression)
        assert {
            i for i, _ in await store.letters.fts_search('"mensenh"* AND "gehol"*', limit=5)
        } == {ids[1]}
        found = await store.letters.sharing_phrases(["slachtoffer meldde"], guild_id=None)
        assert found == {record.id: 1}


# --------------------------------------------------------------------------- digests, two processes


async def test_two_processes_never_claim_the_same_digest(pg_url: str) -> None:
    """Two stores (two pools: two processes as far as PostgreSQL knows) claim the same 120 due
    digests at once, in batches, in different orders: each is claimed exactly once."""
    async with open_store(pg_url) as first:
        subs = [
            await first.digests.upsert(
                kind="channel",
                guild_id=7,
                channel_id=1000 + i,
                user_id=5,
                local_time="09:00",
                timezone="Europe/Amsterdam",
                frequency="daily",
                weekday=4,
                topics=[],
                language="nl",
                skip_empty=False,
                next_due=NOW,
                next_due_date=NOW.date(),
                seen_letter_id=0,
                now=NOW,
            )
            for i in range(120)
        ]
    stores = [await open_store(pg_url), await open_store(pg_url)]
    claimed: dict[int, list[str]] = {s.id: [] for s in subs}

    async def claimer(store: Store, owner: str, seed: int) -> None:
        order = [s.id for s in subs]
        random.Random(seed).shuffle(order)
        for start in range(0, len(order), 15):
            batch = [request(sid) for sid in order[start : start + 15]]
            results = await store.digests.claim_many(batch, owner=owner, now=NOW, policy=CLAIMS)
            for req, (result, _) in zip(batch, results, strict=True):
                if result in ("claimed", "taken-over"):
                    claimed[req.subscription_id].append(owner)
            await asyncio.sleep(0)

    try:
        for round_ in range(3):  # later rounds find everything claimed: busy, never again
            await asyncio.gather(
                claimer(stores[0], "process-a", round_), claimer(stores[1], "process-b", -round_)
            )
    finally:
        for store in stores:
            await store.close()
    assert all(len(owners) == 1 for owners in claimed.values()), claimed
    assert await scalar(pg_url, "SELECT count(*) FROM deliveries WHERE status = 'claimed'") == 120
    assert await scalar(pg_url, "SELECT max(attempts) FROM deliveries") == 1


# --------------------------------------------------------------------------- the command line


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrate_creates_then_finds_the_schema_up_to_date(
    capsys, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    db = str(tmp_path / "m.sqlite3") if backend == "sqlite" else request.getfixturevalue("pg_url")
    assert cli(capsys, "--db", db, "migrate") == (
        0, {"backend": backend, "from_version": 0, "to_version": LATEST_SCHEMA_VERSION}
    )  # fmt: skip
    assert cli(capsys, "--db", db, "migrate") == (
        0,
        {
            "backend": backend,
            "from_version": LATEST_SCHEMA_VERSION,
            "to_version": LATEST_SCHEMA_VERSION,
        },
    )


def test_copy_moves_a_store_to_postgresql_checked(capsys, tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "bundled.sqlite3"
    code, listed = cli(capsys, "--db", str(source), "letters")  # seeds the bundled letter
    assert code == 0 and len(listed["letters"]) == 1
    assert main(["--db", str(source), "digest", "add", "--channel", "123456789012345678",
                 "--guild", "876543210987654321", "--time", "09:00"]) == 0  # fmt: skip
    capsys.readouterr()

    code, report = cli(capsys, "copy", "--from", f"sqlite:{source}", "--to", pg_url)
    assert code == 0, report
    counts = report["counts"]
    assert counts["letters"] == 1 and counts["sentences"] > 40
    assert counts["sentence_vectors"] == counts["sentences"] and counts["subscriptions"] == 1
    assert (
        counts["recommendations"] > 0
        and counts["recommendation_topics"] >= counts["recommendations"]
    )
    for table, n in counts.items():
        assert asyncio.run(scalar(pg_url, f"SELECT count(*) FROM {table}")) == n, table
    # the vocabulary, counted once after the copy, is what its trigger would have kept
    recount = (
        "SELECT count(*) FROM (SELECT t.kind, t.term, count(*) AS df FROM sentences AS s,"
        " briefbot_terms(s.norm) AS t GROUP BY t.kind, t.term) AS want FULL JOIN vocabulary AS v"
        " USING (kind, term) WHERE v.df IS DISTINCT FROM want.df"
    )
    assert asyncio.run(scalar(pg_url, recount)) == 0
    assert asyncio.run(scalar(pg_url, "SELECT count(*) FROM vocabulary")) > 100
    trigger = "SELECT tgenabled::text FROM pg_trigger WHERE tgname = 'sentences_vocabulary_add'"
    assert asyncio.run(scalar(pg_url, trigger)) == "O"  # on again after the copy

    # the same answers from either store
    question = "Wat vraagt de rapporteur aan de informateur?"
    for argv in (["ask", question], ["quote", "aanpak mensenhandel reservebank", "--limit", "3"],
                 ["recommendations", "--topic", "kinderporno"], ["digest", "list"]):  # fmt: skip
        on_sqlite = cli(capsys, "--db", str(source), *argv)
        on_postgres = cli(capsys, "--db", pg_url, *argv)
        assert on_sqlite == on_postgres and on_sqlite[0] == 0, argv
    # the target is no longer empty: refused, unless --force
    code, refused = cli(capsys, "copy", "--from", f"sqlite:{source}", "--to", pg_url)
    assert code == 1 and "not empty" in refused["error"] and "--force" in refused["error"]
    code, again = cli(capsys, "copy", "--from", f"sqlite:{source}", "--to", pg_url, "--force")
    assert code == 0 and again["counts"] == counts

    # and a letter added on PostgreSQL afterwards gets a fresh id, not a copied one
    async def add_one() -> int:
        async with open_store(pg_url) as store:
            record, _ = await add(store, make_letter("na de kopie"), slug="nieuw")
            return record.id

    assert asyncio.run(add_one()) > 1


def test_copy_refuses_what_it_cannot_do_in_one_sentence(
    capsys, tmp_path: Path, pg_url: str
) -> None:
    code, out = cli(capsys, "copy", "--from", f"sqlite:{tmp_path / 'none.sqlite3'}", "--to", pg_url)
    assert code == 1 and "no SQLite database" in out["error"]
    code, out = cli(capsys, "copy", "--from", pg_url, "--to", pg_url)
    assert code == 1 and "--from sqlite:PATH" in out["error"]
    code, out = cli(
        capsys, "copy", "--from", f"sqlite:{tmp_path / 'x'}", "--to", str(tmp_path / "y")
    )
    assert code == 1 and "--to postgresql://" in out["error"]
    for message in (out["error"],):
        assert message.count(". ") == 0 and "\n" not in message
