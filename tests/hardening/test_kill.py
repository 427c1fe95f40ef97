"""SIGKILL at random moments while real processes ingest letters, poll followed sources and
send digests.

Each kill hits a forked child of ``tests/hardening/killer.py serve`` (a real process with its
own SQLite connection; for digests it posts over HTTP to the Discord test server running in
this test). After every kill the database must open, pass ``PRAGMA integrity_check``, hold
every letter whole or not at all, and no digest may have gone out twice; after a clean run
every letter is there once and every due digest was sent exactly once, complete.

``BRIEFBOT_KILLS=200 pytest tests/hardening/test_kill.py`` runs more kills; ``python
bench/kill_campaign.py`` prints the table for hundreds.
"""

from __future__ import annotations

import os

import pytest

from tests.hardening.killer import (
    CampaignResult,
    digest_campaign,
    ingest_campaign,
    poll_campaign,
    vector_campaign,
)

KILLS = int(os.environ.get("BRIEFBOT_KILLS", "10"))
SEED = int(os.environ.get("BRIEFBOT_KILL_SEED", "0")) or None

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def explain(result: CampaignResult) -> str:
    return "\n".join([str(result), *result.child_errors, *result.problems[:20]])


async def test_sigkill_during_ingest_leaves_whole_letters_or_none(tmp_path):
    result = await ingest_campaign(tmp_path, KILLS, seed=SEED or 1, batch_size=4, extra=12)
    assert result.kills >= KILLS, explain(result)
    assert result.integrity_failures == 0, explain(result)
    assert result.partial_letters == 0, explain(result)
    assert result.clean, explain(result)


async def test_sigkill_while_computing_vectors_then_the_next_ingest_fills_them_in(tmp_path):
    """Killed in the vector phase: a question asked then computes no vectors, and the next
    ingest (no warm-up) leaves every letter once, with all its vectors."""
    result = await vector_campaign(tmp_path, KILLS, seed=SEED or 3, batch_size=3, extra=12)
    assert result.kills >= KILLS, explain(result)
    assert result.integrity_failures == 0 and result.partial_letters == 0, explain(result)
    assert result.clean, explain(result)


async def test_sigkill_during_digest_sending_never_loses_or_doubles(tmp_path):
    result = await digest_campaign(tmp_path, KILLS, seed=SEED or 2, channels=12, users=3)
    assert result.kills >= KILLS, explain(result)
    assert result.integrity_failures == 0, explain(result)
    assert result.lost_digests == 0 and result.doubled_digests == 0, explain(result)
    assert result.clean, explain(result)


async def test_sigkill_during_a_poll_then_polling_again_stores_every_document_once(tmp_path):
    """A followed source's poll killed at random moments (downloading, reading, storing,
    indexing): the next poll goes on, and in the end every live document is one letter, at its
    latest version, and no deleted one is left."""
    result = await poll_campaign(tmp_path, KILLS, seed=SEED or 4)
    assert result.kills >= KILLS, explain(result)
    assert result.integrity_failures == 0 and result.partial_letters == 0, explain(result)
    assert result.doubled_digests == 0, explain(result)  # documents stored twice
    assert result.lost_digests == 0, explain(result)  # documents missing or stale
    assert result.clean, explain(result)
