"""A polite HTTP client for followed sources: a few lines of aiohttp around the rules.

Why aiohttp and no client library: discord.py already brings aiohttp, and what a source needs
beyond a GET is policy, which no library below gives as a whole: a user agent that names
briefbot (and its operator), at most one request a second per host (across every source of the
process), retries with backoff on 429 and 5xx that honour ``Retry-After``, timeouts, a maximum
size read as a stream (a 50 MB file costs 20 MB of reading, not 50 MB of memory), and only the
content types briefbot reads. The Tweede Kamer's own Python client (``tkapi``, on PyPI) is
synchronous (``requests``, so a thread per call from the bot's event loop), keeps its base
address in a class attribute (one per process: tests could not point it at a fake), adds
``Verwijderd eq false`` to every query (a follower would never see a deletion) and has no
rate limit, backoff or size cap; ``pyodata`` and ``python-odata`` are synchronous too. Retry
helpers (``tenacity``, ``stamina``) and rate limiters (``aiolimiter``) would each replace ten
of the lines below and still need the rest.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot import __version__

log = logging.getLogger(__name__)

#: Statuses that may go away by waiting: rate limited, or the server in trouble.
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
#: What briefbot reads (anything else, an HTML error page say, is refused before reading).
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
TEXT_TYPES = frozenset({"text/plain"})
READABLE_TYPES = PDF_TYPES | TEXT_TYPES


def user_agent(contact: str | None = None) -> str:
    """``briefbot/0.1.0 (Discord bot for Dutch policy letters; contact: ...)``: who is
    asking, and whom the source can write to."""
    who = "Discord bot for Dutch policy letters"
    if contact:
        who += f"; contact: {contact}"
    return f"briefbot/{__version__} ({who})"


class FetchError(Exception):
    """A request that failed. ``transient``: waiting may help (an outage, a timeout, 429/5xx
    after every retry); otherwise the answer itself is wrong (404, an HTML page instead of a
    PDF, too large, malformed)."""

    def __init__(self, message: str, *, transient: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.status = status


@dataclass(frozen=True, slots=True)
class Fetched:
    data: bytes
    content_type: str  # without parameters, lowercase
    url: str


def media_type(header: str | None) -> str:
    """``application/pdf`` from ``application/pdf; charset=binary``."""
    return (header or "").split(";", 1)[0].strip().lower()


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HostPacer:
    """At most one request per ``interval`` seconds to each host, for every caller in this
    process (each waits its turn; the first request to a host goes at once)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    async def wait(self, host: str) -> None:
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            last = self._last.get(host)
            if last is not None:
                delay = last + self.interval - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            self._last[host] = time.monotonic()


class PoliteClient:
    """GETs for followed sources. One per process (the pacing is per host across sources)."""

    def __init__(
        self,
        *,
        contact: str | None = None,
        interval: float = 1.0,
        timeout: float = 60.0,
        max_bytes: int = 20 * 1024 * 1024,
        attempts: int = 5,
        backoff: float = 2.0,
        max_wait: float = 300.0,
    ) -> None:
        self.user_agent = user_agent(contact)
        self.pacer = HostPacer(interval)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.attempts = attempts
        self.backoff = backoff
        self.max_wait = max_wait  # the longest one wait (Retry-After included) may be
        self.requests = 0  # sent, retries included (for reports and benchmarks)
        self._session: aiohttp.ClientSession | None = None

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": self.user_agent},
                timeout=aiohttp.ClientTimeout(
                    total=self.timeout, sock_connect=min(30.0, self.timeout)
                ),
                raise_for_status=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> PoliteClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ requests

    async def get_json(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        """The JSON at ``url``. A page that is not JSON is retried like an outage (a proxy's
        error page, a cut-off answer), then refused."""

        async def read(response: aiohttp.ClientResponse) -> Any:
            body = await self._read_capped(response, self.max_bytes)
            try:
                return json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise FetchError(
                    f"the answer is not valid JSON ({exc.__class__.__name__}); the source may "
                    "be in trouble",
                    transient=True,
                    status=response.status,
                ) from exc

        return await self._with_retries(url, params, read)

    async def get_file(self, url: str, *, expected_length: int | None = None) -> Fetched:
        """A PDF or text file at ``url``, at most ``max_bytes``; anything else is refused
        before its body is read."""
        if expected_length is not None and expected_length > self.max_bytes:
            raise FetchError(self._too_big(expected_length), transient=False)

        async def read(response: aiohttp.ClientResponse) -> Fetched:
            kind = media_type(response.headers.get("Content-Type"))
            if kind not in READABLE_TYPES:
                what = "an HTML page" if kind in ("text/html", "application/xhtml+xml") else (
                    repr(kind) if kind else "a file without a content type")  # fmt: skip
                raise FetchError(
                    f"the address gave {what}, not a PDF or text file", transient=False,
                    status=response.status,
                )  # fmt: skip
            length = response.content_length
            if length is not None and length > self.max_bytes:
                raise FetchError(self._too_big(length), transient=False, status=response.status)
            data = await self._read_capped(response, self.max_bytes)
            return Fetched(data, kind, str(response.url))

        return await self._with_retries(url, None, read)

    def _too_big(self, size: int) -> str:
        return (
            f"the file is {size / 1024 / 1024:.1f} MB; briefbot reads files up to "
            f"{self.max_bytes // 1024 // 1024} MB"
        )

    async def _read_capped(self, response: aiohttp.ClientResponse, limit: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.content.iter_chunked(1 << 16):
            total += len(chunk)
            if total > limit:
                raise FetchError(
                    f"the file is larger than {limit // 1024 // 1024} MB; briefbot reads files "
                    f"up to {limit // 1024 // 1024} MB",
                    transient=False,
                    status=response.status,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    async def _with_retries(self, url: str, params: Mapping[str, str] | None, read: Any) -> Any:
        host = urlsplit(url).netloc
        last: FetchError | None = None
        for attempt in range(1, self.attempts + 1):
            await self.pacer.wait(host)
            self.requests += 1
            wait: float | None = None
            try:
                session = await self._client()
                async with session.get(url, params=params, allow_redirects=True) as response:
                    if response.status == 200:
                        return await read(response)
                    answered = f"the source answered {response.status} {response.reason or ''}"
                    if response.status not in RETRY_STATUS:
                        raise FetchError(answered.strip(), transient=False, status=response.status)
                    wait = retry_after(response.headers.get("Retry-After"))
                    last = FetchError(answered.strip(), transient=True, status=response.status)
            except FetchError as exc:
                if not exc.transient:
                    raise
                last = exc
            except TimeoutError:
                last = FetchError(
                    f"the source did not answer within {self.timeout:g} s", transient=True
                )
            except aiohttp.ClientError as exc:
                last = FetchError(f"cannot reach the source ({exc})", transient=True)
            if attempt == self.attempts:
                break
            if wait is None:
                wait = self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 4)
            if wait > self.max_wait:  # a Retry-After of hours: give up now, poll again later
                assert last is not None
                raise FetchError(
                    f"{last} and asks to wait {wait:.0f} s; briefbot tries again at the next poll",
                    transient=True,
                    status=last.status,
                )
            log.info(
                "source request will be retried",
                extra={
                    "host": host,
                    "attempt": attempt,
                    "wait": round(wait, 1),
                    "reason": str(last),
                },
            )
            await asyncio.sleep(wait)
        assert last is not None
        raise FetchError(f"{last} (after {self.attempts} tries)", transient=True,
                         status=last.status)  # fmt: skip
