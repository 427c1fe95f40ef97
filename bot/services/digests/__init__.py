"""Daily digests, in one place.

- :mod:`.model`: a digest, the :class:`Sender` port the adapter implements, delivery errors;
- :mod:`.content`: what a digest says (new letters, the recommendation of the day, a first
  digest's introduction);
- :mod:`.claims`: exactly once (which occurrence is due, the claim rules the store runs);
- :mod:`.delivery`: claim -> build -> check -> send -> finish, for the scheduler and
  ``send-now`` alike;
- :mod:`.scheduler`: the periodic job; :mod:`.service`: :class:`DigestService`.
"""

from __future__ import annotations

from bot.services.digests.claims import CLAIMS, MAX_ATTEMPTS, STALE_CLAIM, Claims, Occurrence
from bot.services.digests.content import DEFAULT_ZONE, MAX_NEW_LETTERS, DigestContent
from bot.services.digests.delivery import BATCH, CONCURRENCY, DM_CONCURRENCY, Deliveries
from bot.services.digests.model import DeliveryError, Digest, NewLetter, Sender, SendNowResult
from bot.services.digests.scheduler import LOG_RETENTION, DigestJob
from bot.services.digests.service import DigestService
from bot.services.summary import Cited

__all__ = [
    "BATCH",
    "CLAIMS",
    "CONCURRENCY",
    "DEFAULT_ZONE",
    "DM_CONCURRENCY",
    "LOG_RETENTION",
    "MAX_ATTEMPTS",
    "MAX_NEW_LETTERS",
    "STALE_CLAIM",
    "Cited",
    "Claims",
    "Deliveries",
    "DeliveryError",
    "Digest",
    "DigestContent",
    "DigestJob",
    "DigestService",
    "NewLetter",
    "Occurrence",
    "SendNowResult",
    "Sender",
]
