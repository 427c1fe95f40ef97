"""Sharding: one briefbot process serves the shards it is given (``--shards 0-1
--shard-count 4``) or, with no shard settings, as many as Discord recommends. A real
``BriefbotClient`` against the test server, which shards like Discord."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import pytest

from bot.chat.client import BriefbotClient, IdentifyGate
from bot.cli import ops
from bot.services.app import Services
from bot.services.digests import DeliveryError
from bot.settings import Settings, ShardPlan, get_settings
from tests.discord_server import DiscordTestServer, running_bot

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "letters"
FRAGMENT = "beroep op u dit onderwerp in het regeer akord te laten terugkomen"


def settings(tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "BRIEFBOT_DB": tmp_path / "bot.sqlite3",
        "BRIEFBOT_LETTERS_DIR": BUNDLED,
        "DISCORD_TOKEN": "test-token",
    }
    values.update(extra)
    return Settings(**values)


async def quote_in(server: DiscordTestServer, channel, user) -> str:
    rec = await server.slash("quote", {"text": FRAGMENT}, user=user, channel=channel)
    await server.wait_for_response(rec, timeout=15)
    if rec.response_type == 5:
        await server.wait_for_followups(rec, 1, timeout=30)
    msg = rec.followups[0] if rec.followups else rec.message
    assert msg is not None
    return msg.embeds[0]["description"] if msg.embeds else msg.content


async def test_a_process_serves_only_its_shards(tmp_path):
    async with DiscordTestServer(max_concurrency=16) as server:
        guilds = [server.add_guild(f"g{i}", shard=(i, 4)) for i in range(4)]
        channels = [server.add_channel(g, "brieven") for g in guilds]
        user = server.add_user("lid")
        for g in guilds:
            server.add_member(g, user)
        conf = settings(tmp_path, BRIEFBOT_SHARDS="0-1", BRIEFBOT_SHARD_COUNT="4")
        services = await Services.open(conf)
        try:
            bot = BriefbotClient(conf, services, guild_ready_timeout=0.01)
            async with running_bot(server, bot):
                # Discord's rule: IDENTIFY per shard, each with its own guilds
                assert sorted(tuple(i["shard"]) for i in server.identifies) == [(0, 4), (1, 4)]
                assert {g.id for g in bot.guilds} == {guilds[0].id, guilds[1].id}
                assert bot.holds_guild(guilds[1].id) and not bot.holds_guild(guilds[2].id)
                # a guild of each shard this process holds is answered
                for i in (0, 1):
                    text = await quote_in(server, channels[i], user)
                    assert "het kabinet de coördinatie" in text
                # a guild of shard 2 is another process's: nothing here receives it
                with pytest.raises(RuntimeError, match="shard is not connected"):
                    await server.slash("quote", {"text": FRAGMENT}, user=user, channel=channels[2])
                # direct messages arrive on shard 0, which this process holds
                assert server.session_for(None) is server.shard_sessions[(0, 4)]
        finally:
            await services.close()


async def test_automatic_mode_opens_the_shards_discord_recommends(tmp_path):
    async with DiscordTestServer(recommended_shards=3, max_concurrency=4) as server:
        guilds = [server.add_guild(f"g{i}", shard=(i, 3)) for i in range(3)]
        channel = server.add_channel(guilds[2], "brieven")
        user = server.add_user("lid")
        server.add_member(guilds[2], user)
        conf = settings(tmp_path)
        assert conf.shard_plan == ShardPlan(None, None)
        services = await Services.open(conf)
        try:
            bot = BriefbotClient(conf, services, guild_ready_timeout=0.01)
            started = time.monotonic()
            async with running_bot(server, bot):
                assert server.requests_for("GET /gateway/bot")  # discord.py asked
                assert bot.shard_count == 3
                assert sorted(tuple(i["shard"]) for i in server.identifies) == [
                    (0, 3),
                    (1, 3),
                    (2, 3),
                ]
                # max_concurrency 4: no shard waited 5 s for another
                assert time.monotonic() - started < 5
                assert {g.id for g in bot.guilds} == {g.id for g in guilds}
                assert "het kabinet de coördinatie" in await quote_in(server, channel, user)
        finally:
            await services.close()


async def test_identifies_of_one_bucket_are_five_seconds_apart():
    gate = IdentifyGate(interval=0.3)
    gate.max_concurrency = 2
    loop = asyncio.get_running_loop()
    times: dict[int, float] = {}

    async def identify(shard: int) -> None:
        await gate.wait(shard)
        times[shard] = loop.time()

    for shard in range(4):  # buckets: 0, 1, 0, 1
        await identify(shard)
    assert times[1] - times[0] < 0.2  # another bucket: at once
    assert times[2] - times[0] >= 0.29  # the same bucket: an interval later
    assert times[3] - times[1] >= 0.29
    # another process, whose first shard is 3 (bucket 1, second slot): it waits for its slot
    other = IdentifyGate(interval=0.3)
    other.max_concurrency = 2
    started = loop.time()
    await other.wait(3, first=True)
    assert loop.time() - started >= 0.29
    started = loop.time()
    fresh = IdentifyGate(interval=0.3)
    fresh.max_concurrency = 2
    await fresh.wait(1, first=True)  # the first slot: at once
    assert loop.time() - started < 0.2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--shards", "0-1"], "needs the bot's total number of shards"),
        (["--shards", "4", "--shard-count", "4"], "shard 4 does not exist"),
        (["--shards", "a-b", "--shard-count", "4"], "is not a list of shards"),
        (["--shard-count", "0"], "is not a number of shards"),
    ],
)
async def test_bad_shard_options_are_one_line_and_exit_2(
    tmp_path, monkeypatch, capsys, argv, message
):
    monkeypatch.setenv("DISCORD_TOKEN", "test-token")
    monkeypatch.setenv("BRIEFBOT_LETTERS_DIR", str(BUNDLED))
    get_settings.cache_clear()
    parser = argparse.ArgumentParser()
    ops._configure_run(parser)
    args = parser.parse_args(argv)
    args.db, args.json = str(tmp_path / "x.sqlite3"), False
    try:
        code = await ops.run(args)
    finally:
        get_settings.cache_clear()
    assert code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert message in line
    assert not (tmp_path / "x.sqlite3").exists()  # refused before anything was opened


def test_shard_settings_from_the_environment_are_checked_together(tmp_path):
    with pytest.raises(ValueError, match="--shard-count"):
        settings(tmp_path, BRIEFBOT_SHARDS="1")
    plan = settings(tmp_path, BRIEFBOT_SHARDS="0,2-3", BRIEFBOT_SHARD_COUNT="8").shard_plan
    assert plan == ShardPlan((0, 2, 3), 8)
    assert plan.describe() == "shards 0,2-3 of 8"


async def test_a_personal_digest_of_a_server_on_another_shard_is_sent_over_rest(tmp_path):
    """Any process sends any digest (REST needs no gateway): a personal digest set up in a
    server this process does not serve checks the membership with Discord, and is sent; a
    user who left that server pauses it, as on one process."""
    async with DiscordTestServer(max_concurrency=16) as server:
        here = server.add_guild("hier", shard=(0, 2))
        there = server.add_guild("daar", shard=(1, 2))
        server.add_channel(here, "brieven")
        reader, leaver = server.add_user("lezer"), server.add_user("weg")
        server.add_member(there, reader)
        conf = settings(tmp_path, BRIEFBOT_SHARDS="0", BRIEFBOT_SHARD_COUNT="2")
        services = await Services.open(conf)
        try:
            bot = BriefbotClient(conf, services, guild_ready_timeout=0.01)
            async with running_bot(server, bot):
                assert bot.get_guild(there.id) is None  # another process's shard
                sub = await services.digests.subscribe(
                    kind="user", user_id=reader.id, guild_id=there.id, language="en"
                )
                result = await services.digests.send_now(sub, bot.sender)
                (dm,) = server.messages(reader, from_bot=True)
                assert dm.id == result.message_id
                assert server.requests_for("GET /guilds/{guild_id}/members/{member_id}")
                gone = await services.digests.subscribe(
                    kind="user", user_id=leaver.id, guild_id=there.id, language="en"
                )
                with pytest.raises(DeliveryError) as failed:
                    await services.digests.send_now(gone, bot.sender)
                assert failed.value.permanent and "member" in failed.value.reason
        finally:
            await services.close()
