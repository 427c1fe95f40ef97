"""Two ``briefbot run`` processes (real subprocesses, ``--shards 0-0 --shard-count 2`` and
``1-1``) against the project's Discord test server and one store (a SQLite WAL file; a real
PostgreSQL): a letter an operator adds is answered in both processes' servers, and digests due
are sent exactly once across both, also when the process sending them is SIGKILLed mid-delivery
(the other takes its claims over)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.app import Services
from bot.services.clock import ManualClock
from bot.settings import Settings
from bot.store import open_store
from tests.discord_server import DiscordTestServer, Fault
from tests.hardening.killer import posted_digests
from tests.letters import HandmadeLetter
from tests.multi.processes import BUNDLED, bots, cli

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FRAGMENT = "verzoek u de financiering van deze plaatsen voor tenminste drie jaar te garanderen"
BUNDLED_FRAGMENT = "beroep op u dit onderwerp in het regeer akord te laten terugkomen"
STALE = 5  # seconds before a silent process's claim is taken over (BRIEFBOT_CLAIM_STALE_SECONDS)


def settings(location: str) -> Settings:
    return Settings(BRIEFBOT_DB=location, BRIEFBOT_LETTERS_DIR=BUNDLED, DISCORD_TOKEN="test-token")


async def quote(server: DiscordTestServer, channel, user, text: str = FRAGMENT) -> str:
    rec = await server.slash("quote", {"text": text}, user=user, channel=channel)
    await server.wait_for_response(rec, timeout=20)
    if rec.response_type == 5:
        await server.wait_for_followups(rec, 1, timeout=30)
    msg = rec.followups[0] if rec.followups else rec.message
    assert msg is not None
    return " ".join([msg.content or "", *(e.get("description") or "" for e in msg.embeds)])


async def answered_within(server, channel, users, within: float) -> float:
    """Ask /quote until the new letter's sentence comes back; how long that took. (Each try
    by another member: a member may ask 4 times in 10 s.)"""
    started = time.monotonic()
    for user in users:
        if "financiering van deze plaatsen" in await quote(server, channel, user):
            return time.monotonic() - started
        assert time.monotonic() - started < within, "the letter never became answerable"
        await asyncio.sleep(1.0)
    raise AssertionError("the letter never became answerable")


async def test_two_processes_share_letters_and_send_each_digest_once(location, tmp_path):
    async with DiscordTestServer() as server:
        guilds = [server.add_guild(f"shard-{i}", shard=(i, 2)) for i in range(2)]
        rooms = [server.add_channel(g, "brieven") for g in guilds]
        members = [server.add_user(f"lid-{i}") for i in range(60)]
        for g in guilds:
            for m in members:
                server.add_member(g, m)
        member = members[0]
        digest_channels = [server.add_channel(g, f"digest-{j}") for g in guilds for j in range(6)]
        readers = [server.add_user(f"lezer-{i}") for i in range(2)]
        # the store exists before the bots start (seeded once)
        await (await Services.open(settings(location))).close()

        stale = {"BRIEFBOT_CLAIM_STALE_SECONDS": str(STALE)}
        async with bots(server, location, tmp_path, **stale) as (p0, p1):
            assert server.shard_sessions.keys() == {(0, 2), (1, 2)}
            # both load their indexes in the background after connecting ("still loading"
            # meanwhile, which takes longer on a busy machine), then answer from them
            for i, room in enumerate(rooms):
                deadline = time.monotonic() + 120
                for user in members[-1 - i :: -2]:
                    answer = await quote(server, room, user, BUNDLED_FRAGMENT)
                    if "het kabinet de" in answer or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(2.0)
                assert "het kabinet de" in answer
            # ---- a letter an operator adds (a third process) is answered by both processes
            letter = tmp_path / "brief.txt"
            letter.write_text(HandmadeLetter().text(), encoding="utf-8")
            code, out = await cli(location, "ingest", str(letter))
            assert code == 0, out
            for room in rooms:  # room 0 is served by p0 only, room 1 by p1 only
                try:
                    await answered_within(server, room, members, 60)
                except AssertionError as exc:
                    exc.add_note(
                        f"shard 0:\n{p0.output()[-2000:]}\nshard 1:\n{p1.output()[-2000:]}"
                    )
                    raise

            # ---- digests due now, set by another process: both bots wake and race for them
            server.add_fault(
                Fault.slow("POST /channels/{channel_id}/messages", delay=2.0, times=None)
            )
            now = datetime.now(UTC)
            at = (now - timedelta(minutes=10)).astimezone(AMSTERDAM).strftime("%H:%M")
            setup = await Services.open(settings(location), clock=ManualClock(now - timedelta(1)))
            try:
                for ch in digest_channels:
                    gid = ch.guild_id
                    await setup.digests.subscribe(
                        kind="channel", user_id=member.id, guild_id=gid, channel_id=ch.id,
                        time_text=at, timezone="Europe/Amsterdam", language="en",
                    )  # fmt: skip
                for reader in readers:
                    await setup.digests.subscribe(
                        kind="user", user_id=reader.id, guild_id=None, time_text=at,
                        timezone="Europe/Amsterdam", language="en",
                    )  # fmt: skip
                subs = {s.id for s in await setup.digests.repo.list()}
            finally:
                await setup.close()
            assert len(subs) == len(digest_channels) + len(readers)

            # ---- SIGKILL the process that claimed them, while its posts are in flight
            async with open_store(location) as store:
                claims: dict[int, str] = {}
                deadline = time.monotonic() + 30
                while not claims:
                    assert time.monotonic() < deadline, "no process claimed the digests"
                    claims = {
                        i: d.claimed_by or ""
                        for i, d in (await store.digests.latest_deliveries()).items()
                        if d.status == "claimed"
                    }
                    await asyncio.sleep(0.05)
                owners = sorted(set(claims.values()), key=list(claims.values()).count)
                victim = p0 if f":{p0.pid}:" in owners[-1] else p1
                survivor = p1 if victim is p0 else p0
                assert f":{victim.pid}:" in owners[-1]
                victim.kill()
                victims_claims = {i for i, o in claims.items() if f":{victim.pid}:" in o}
                assert victims_claims

                # ---- the survivor takes them over: every digest sent, once
                deadline = time.monotonic() + 90
                while True:
                    latest = await store.digests.latest_deliveries()
                    if all(latest.get(i) and latest[i].status == "sent" for i in subs):
                        break
                    assert time.monotonic() < deadline, (
                        f"not every digest was sent: {latest}\n{survivor.output()[-3000:]}"
                    )
                    await asyncio.sleep(0.2)
                taken = {i for i in victims_claims if f":{survivor.pid}:" in latest[i].claimed_by}
            await server.settle(2.5, timeout=30)  # posts the victim left in flight land too
            posted = posted_digests(server, [*digest_channels, *readers])
            assert {sid for sid, _ in posted} == subs  # none missing
            doubled = {k: p for k, p in posted.items() if p.heads != 1}
            assert not doubled, doubled  # none twice
            # every claim of the victim was taken over (sent again, or found in the channel)
            assert taken == victims_claims
            assert survivor.proc.returncode is None  # still serving
        assert victim.proc.returncode == -9
