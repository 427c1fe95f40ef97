"""Two adjustments to discord.py's HTTP client for bots that post a lot at once (digests).

Both wrap private parts of ``discord.http.HTTPClient`` (discord.py 2.x) and do nothing if a
future version lacks them. Measured in ``bench/digest_speed.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

log = logging.getLogger(__name__)


def amortize_bucket_sweep(http: Any) -> None:
    """discord.py 2.x sweeps ALL its rate-limit buckets for inactive ones each time it creates
    a bucket once it holds 256 or more (``HTTPClient._try_clear_expired_ratelimits``): a bot
    posting to 10,000 channels in a minute pays 10,000 x 10,000 checks. This sweeps only when
    the number of buckets doubled since the last sweep (amortised O(1)); the same buckets
    are dropped, a little later."""
    sweep = http._try_clear_expired_ratelimits
    threshold = 256

    def amortized() -> None:
        nonlocal threshold
        if len(http._buckets) < threshold:
            return
        sweep()
        threshold = max(256, 2 * len(http._buckets))

    http._try_clear_expired_ratelimits = amortized


def pace_requests(http: Any, per_second: int) -> None:
    """A proactive global limit: at most ``per_second`` REST requests start in any second
    (interaction callbacks and webhooks, exempt on Discord, pass). discord.py only reacts to a
    global 429 after the fact, and Discord bans an IP for a while after 10,000 invalid
    requests (429s included) in 10 minutes."""
    request = http.request
    started: deque[float] = deque()
    lock = asyncio.Lock()

    async def paced(route: Any, **kwargs: Any) -> Any:
        if not route.path.startswith(("/interactions", "/webhooks")):
            async with lock:
                loop = asyncio.get_running_loop()
                while True:
                    now = loop.time()
                    while started and started[0] <= now - 1.0:
                        started.popleft()
                    if len(started) < per_second:
                        break
                    await asyncio.sleep(started[0] + 1.0 - now)
                started.append(now)
        return await request(route, **kwargs)

    http.request = paced


def tune_http(http: Any, *, max_requests_per_second: int) -> None:
    """Apply both (pacing only when a limit is set)."""
    if not all(hasattr(http, a) for a in ("_try_clear_expired_ratelimits", "_buckets", "request")):
        log.warning("discord.py's HTTP client changed; not tuning it")
        return
    amortize_bucket_sweep(http)
    if max_requests_per_second > 0:
        pace_requests(http, max_requests_per_second)
