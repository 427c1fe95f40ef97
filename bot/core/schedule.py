"""When a digest is due: local wall-clock times in an IANA zone, turned into aware UTC instants.

Rules, across daylight-saving changes:

* 09:00 Europe/Amsterdam stays 09:00 local on both sides of a switch (its UTC instant moves).
* A time that does not exist on the switch day (02:30 on the spring-forward night) is due at the
  next valid minute (03:00).
* A time that exists twice (02:30 on the fall-back night) is due once, at the first of the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import Refused

Frequency = Literal["daily", "weekdays", "weekly"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekdays", "weekly")
_HHMM = re.compile(r"^\s*([01]?\d|2[0-3])[:.hu]([0-5]\d)\s*$")


def parse_time(text: str) -> time:
    """``09:00``, ``9:05``, ``21.30`` -> time; ValueError with a human message otherwise."""
    m = _HHMM.match(text or "")
    if not m:
        raise Refused("bad_time", value=_shown(text))
    return time(int(m.group(1)), int(m.group(2)))


#: What an IANA zone name can look like ("Europe/Amsterdam", "America/Argentina/Buenos_Aires",
#: "Etc/GMT+2"); checked before ZoneInfo sees it, since ZoneInfo turns the name into a module
#: path of the tzdata package (a long name with dots ends in a RecursionError there).
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,3}")


def parse_zone(name: str) -> ZoneInfo:
    cleaned = (name or "").strip() if isinstance(name, str) else ""
    if len(cleaned) > 64 or not _ZONE_NAME.fullmatch(cleaned):
        raise Refused("bad_zone", value=_shown(name))
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # OSError: a name that is a folder of the zone database ("Europe") or too long a path
        raise Refused("bad_zone", value=_shown(name)) from exc


def _shown(text: str | None, limit: int = 40) -> str:
    """What the user typed, for an error message: quoted, and cut when it is long."""
    text = text or ""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@dataclass(frozen=True, slots=True)
class Schedule:
    at: time
    zone: ZoneInfo
    frequency: Frequency = "daily"
    weekday: int = 0  # Monday = 0; only for weekly

    def runs_on(self, day: date) -> bool:
        if self.frequency == "daily":
            return True
        if self.frequency == "weekdays":
            return day.weekday() < 5
        return day.weekday() == self.weekday

    def instant_on(self, day: date) -> datetime:
        """The aware UTC instant of this schedule on local ``day`` (DST rules above)."""
        return local_instant(day, self.at, self.zone)

    def next_after(self, moment: datetime) -> tuple[date, datetime]:
        """The first occurrence strictly after ``moment``: (local due date, UTC instant)."""
        _require_aware(moment)
        day = moment.astimezone(self.zone).date() - timedelta(days=1)
        for _ in range(16):
            if self.runs_on(day):
                due = self.instant_on(day)
                if due > moment:
                    return day, due
            day += timedelta(days=1)
        raise AssertionError("a schedule runs at least once a week")  # pragma: no cover

    def latest_at_or_before(self, moment: datetime) -> tuple[date, datetime] | None:
        """The last occurrence at or before ``moment`` (within a week), if any."""
        _require_aware(moment)
        day = moment.astimezone(self.zone).date() + timedelta(days=1)
        for _ in range(16):
            if self.runs_on(day):
                due = self.instant_on(day)
                if due <= moment:
                    return day, due
            day -= timedelta(days=1)
        return None


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    naive = datetime.combine(day, at)
    candidate = naive.replace(tzinfo=zone, fold=0)
    as_utc = candidate.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) == naive:
        return as_utc
    # The wall-clock time does not exist (spring forward): the next valid minute.
    probe = naive
    for _ in range(24 * 60):
        probe += timedelta(minutes=1)
        c = probe.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if c.astimezone(zone).replace(tzinfo=None) == probe:
            return c
    raise AssertionError("no valid minute within a day")  # pragma: no cover


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: briefbot uses aware UTC datetimes only")
