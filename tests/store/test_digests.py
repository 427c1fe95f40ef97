"""The digest repository's contract: claims applied as the policy decides, in one transaction,
with missed occurrences logged; outcomes recorded. Written against the ``Store`` protocol (a
second backend runs the same tests: ``store`` is each backend in turn, see conftest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.services.digests import CLAIMS, STALE_CLAIM
from bot.store import Store
from bot.store.records import ClaimDecision, ClaimRequest, Delivery, Outcome

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
DAY = date(2026, 11, 27)


async def subscribe(store: Store, channel: int = 1):
    return await store.digests.upsert(
        kind="channel", guild_id=7, channel_id=channel, user_id=5, local_time="09:00",
        timezone="Europe/Amsterdam", frequency="daily", weekday=4, topics=["mensenhandel"],
        language="nl", skip_empty=False, next_due=NOW, next_due_date=DAY, seen_letter_id=0,
        now=NOW,
    )  # fmt: skip


def request(sub_id: int, *, missed=(), day: date = DAY) -> ClaimRequest:
    due_at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8)
    return ClaimRequest(
        subscription_id=sub_id, due_date=day, due_at=due_at, retry_at=NOW + STALE_CLAIM,
        missed=tuple(missed), following_at=due_at + timedelta(days=1),
        following_date=day + timedelta(days=1),
    )  # fmt: skip


async def claim(store: Store, req: ClaimRequest, *, now=NOW, owner="me"):
    ((result, delivery),) = await store.digests.claim_many(
        [req], owner=owner, now=now, policy=CLAIMS
    )
    return result, delivery


async def test_a_new_occurrence_is_claimed_and_its_subscription_parked(store):
    sub = await subscribe(store)
    result, delivery = await claim(store, request(sub.id))
    assert result == "claimed"
    assert delivery.status == "claimed" and delivery.claimed_by == "me" and delivery.attempts == 1
    parked = await store.digests.get(sub.id)
    assert parked.next_due == NOW + STALE_CLAIM  # no wake-up picks it twice
    assert await store.digests.due(NOW + STALE_CLAIM - timedelta(seconds=1)) == []


async def test_a_fresh_claim_is_busy_a_stale_one_is_taken_over(store):
    sub = await subscribe(store)
    await claim(store, request(sub.id), owner="first")
    result, found = await claim(store, request(sub.id), now=NOW + STALE_CLAIM / 2)
    assert result == "busy" and found.claimed_by == "first"
    # looked at again when the claim would go stale: no sooner, no later
    assert (await store.digests.get(sub.id)).next_due == NOW + STALE_CLAIM + timedelta(seconds=1)
    later = NOW + STALE_CLAIM + timedelta(seconds=1)
    result, taken = await claim(store, request(sub.id), now=later, owner="second")
    assert result == "taken-over"
    assert taken.claimed_by == "second" and taken.attempts == 2 and taken.claimed_at == later


async def test_a_renewed_claim_stays_busy_and_only_its_owner_renews_it(store):
    first, second = await subscribe(store, 1), await subscribe(store, 2)
    await claim(store, request(first.id), owner="alive")
    await claim(store, request(second.id), owner="dead")
    keys = [(first.id, DAY.isoformat()), (second.id, DAY.isoformat())]
    renewed_at = NOW + STALE_CLAIM * 3 / 4
    assert await store.digests.renew_claims(keys, owner="alive", now=renewed_at) == 1
    later = NOW + STALE_CLAIM + timedelta(seconds=5)
    result, found = await claim(store, request(first.id), now=later, owner="other")
    assert result == "busy" and found.claimed_by == "alive" and found.claimed_at == renewed_at
    result, taken = await claim(store, request(second.id), now=later, owner="other")
    assert result == "taken-over" and taken.claimed_by == "other"
    # the dead owner's renewal comes too late: the entry is no longer its claim
    assert await store.digests.renew_claims(keys[1:], owner="dead", now=later) == 0
    assert await store.digests.renew_claims([], owner="alive", now=later) == 0


async def test_a_failed_attempt_is_retried_a_sent_one_is_done_and_moves_on(store):
    sub = await subscribe(store)
    await claim(store, request(sub.id))
    failed = Outcome(
        subscription_id=sub.id, due_date=DAY, status="failed", error="Discord error 500",
        next_due=NOW + timedelta(minutes=1), next_due_date=DAY,
    )  # fmt: skip
    await store.digests.finish_many([failed], now=NOW)
    result, retry = await claim(store, request(sub.id))
    assert result == "retry" and retry.attempts == 2 and retry.error == "Discord error 500"
    req = request(sub.id)
    sent = Outcome(
        subscription_id=sub.id, due_date=DAY, status="sent", message_id=99,
        next_due=req.following_at, next_due_date=req.following_date, seen_letter_id=3,
        pick_key="1:4",
    )  # fmt: skip
    await store.digests.finish_many([sent], now=NOW)
    assert (await store.digests.get(sub.id)).seen_letter_id == 3
    assert await store.digests.rotation_seen(sub.id) == {"1:4"}
    # a second process that planned the same occurrence finds it done, and moves on too
    await store.digests.reschedule(sub.id, next_due=NOW, next_due_date=DAY, now=NOW)
    result, done = await claim(store, req)
    assert result == "done" and done.status == "sent" and done.message_id == 99
    moved = await store.digests.get(sub.id)
    assert (moved.next_due, moved.next_due_date) == (req.following_at, req.following_date)
    assert moved.introduced


async def test_missed_occurrences_are_logged_and_an_unfinished_one_superseded(store):
    sub = await subscribe(store)
    before = DAY - timedelta(days=2)
    await claim(store, request(sub.id, day=before))  # a process died while sending this one
    missed = [
        (DAY - timedelta(days=2), NOW - timedelta(days=2)),
        (DAY - timedelta(days=1), NOW - timedelta(days=1)),
    ]
    result, _ = await claim(store, request(sub.id, missed=missed))
    assert result == "claimed"
    log = await store.digests.latest_deliveries()
    assert log[sub.id].due_date == DAY and log[sub.id].status == "claimed"
    # both earlier occurrences are settled as missed: claiming one again finds it done
    for day, _ in missed:
        result, found = await claim(store, request(sub.id, day=day))
        assert result == "done" and found.status == "missed"
    result, found = await claim(store, request(sub.id, day=before))
    assert found.error == "unfinished attempt, superseded by a later digest"
    stats = await store.stats()
    assert stats.subscriptions_active == 1 and stats.last_digest is None


async def test_the_store_writes_what_the_policy_decides(store):
    """The store applies decisions; it takes none of its own."""

    class Never:
        def claim(self, request, logged, *, now):
            return ClaimDecision("busy")

        def missed(self, logged):
            return None

    class Record:
        def __init__(self) -> None:
            self.seen: list[Delivery | None] = []

        def claim(self, request, logged, *, now):
            self.seen.append(logged)
            return ClaimDecision("claimed", write="insert", park=False)

        def missed(self, logged):
            return "insert"

    sub = await subscribe(store)
    ((result, _),) = await store.digests.claim_many(
        [request(sub.id)], owner="me", now=NOW, policy=Never()
    )
    assert result == "busy" and await store.digests.latest_deliveries() == {}
    policy = Record()
    missed = [(DAY - timedelta(days=1), NOW - timedelta(days=1))]
    ((result, delivery),) = await store.digests.claim_many(
        [request(sub.id, missed=missed)], owner="me", now=NOW, policy=policy
    )
    assert result == "claimed" and policy.seen == [None]
    assert (await store.digests.get(sub.id)).next_due == NOW  # not parked: the policy said so
    assert delivery.attempts == 1


def test_the_claim_rules_are_pure_functions_of_the_log():
    req = request(1)

    def logged(status, *, claimed_at=NOW, attempts=1):
        return Delivery(
            subscription_id=1, due_date=DAY, due_at=NOW, status=status, claimed_by="x",
            claimed_at=claimed_at, attempts=attempts, message_id=None, error=None,
            updated_at=NOW,
        )  # fmt: skip

    assert CLAIMS.claim(req, None, now=NOW) == ClaimDecision("claimed", write="insert", park=True)
    for status in ("sent", "skipped", "missed"):
        assert CLAIMS.claim(req, logged(status), now=NOW) == ClaimDecision("done", move_on=True)
    fresh = NOW + STALE_CLAIM - timedelta(seconds=1)
    assert CLAIMS.claim(req, logged("claimed"), now=fresh).result == "busy"
    stale = NOW + STALE_CLAIM
    assert CLAIMS.claim(req, logged("claimed"), now=stale) == ClaimDecision(
        "taken-over", write="take-over", park=True
    )
    assert CLAIMS.claim(req, logged("failed"), now=NOW).result == "retry"
    assert CLAIMS.missed(None) == "insert"
    assert CLAIMS.missed(logged("claimed")) == CLAIMS.missed(logged("failed")) == "supersede"
    assert CLAIMS.missed(logged("sent")) is None
