"""Test helpers for digest subscriptions, through the store's own protocol."""

from __future__ import annotations

from datetime import datetime

from bot.services.app import Services
from bot.services.clock import Clock
from bot.services.digests import Claims, DigestService
from bot.store import Store
from bot.store.records import Outcome


def digest_service(
    services: Services, *, clock: Clock | None = None, claims: Claims | None = None
) -> DigestService:
    """Another digest service on the same store and letters, as a second process (or a
    restarted one) would build it: its own claims, its own clock."""
    return DigestService(
        services.store.digests,
        services.catalog,
        recommendations=services.recommendations,
        summaries=services.summaries,
        clock=clock,
        claims=claims or services.digests.deliveries.claims,
    )


async def pause(store: Store, subscription_id: int, reason: str, *, now: datetime) -> None:
    """Pause a subscription the way a delivery that failed for good does (a failed outcome
    carrying the reason), without sending anything."""
    sub = await store.digests.get(subscription_id)
    assert sub is not None
    await store.digests.finish_many(
        [
            Outcome(
                subscription_id=sub.id, due_date=sub.next_due_date, status="failed",
                next_due=sub.next_due, next_due_date=sub.next_due_date, error=reason,
                pause_reason=reason,
            )
        ],
        now=now,
    )  # fmt: skip
