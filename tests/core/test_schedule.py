"""Due times across daylight-saving changes, weekdays and weekly schedules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.core.schedule import Schedule, local_instant, parse_time, parse_zone

AMS = parse_zone("Europe/Amsterdam")


def test_nine_oclock_stays_nine_oclock_across_both_switches():
    s = Schedule(time(9, 0), AMS)
    # winter (UTC+1) and summer (UTC+2)
    assert s.instant_on(date(2026, 3, 28)) == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert s.instant_on(date(2026, 3, 29)) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert s.instant_on(date(2026, 10, 24)) == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)
    assert s.instant_on(date(2026, 10, 25)) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


def test_a_time_that_does_not_exist_is_due_at_the_next_valid_minute():
    # 2026-03-29: clocks jump from 02:00 to 03:00 in Amsterdam
    due = local_instant(date(2026, 3, 29), time(2, 30), AMS)
    assert due.astimezone(AMS).strftime("%H:%M") == "03:00"
    assert due == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_time_that_exists_twice_is_due_once_at_the_first():
    # 2026-10-25: clocks go back from 03:00 to 02:00; 02:30 happens twice
    due = local_instant(date(2026, 10, 25), time(2, 30), AMS)
    assert due == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST (UTC+2)
    s = Schedule(time(2, 30), AMS)
    after_first = datetime(2026, 10, 25, 0, 31, tzinfo=UTC)
    day, _ = s.next_after(after_first)
    assert day == date(2026, 10, 26)  # not the second 02:30 of the same night


def test_next_after_and_latest_before():
    s = Schedule(time(9, 0), AMS)
    now = datetime(2026, 11, 28, 7, 59, tzinfo=UTC)  # 08:59 local
    assert s.next_after(now) == (date(2026, 11, 28), datetime(2026, 11, 28, 8, 0, tzinfo=UTC))
    assert s.latest_at_or_before(now) == (
        date(2026, 11, 27),
        datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
    )
    exactly = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    assert s.next_after(exactly)[0] == date(2026, 11, 29)
    assert s.latest_at_or_before(exactly)[0] == date(2026, 11, 28)


def test_weekdays_and_weekly():
    weekdays = Schedule(time(8, 0), AMS, "weekdays")
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert weekdays.next_after(saturday)[0] == date(2026, 11, 30)  # Monday
    weekly = Schedule(time(8, 0), AMS, "weekly", weekday=2)
    assert weekly.next_after(saturday)[0] == date(2026, 12, 2)  # Wednesday


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        Schedule(time(9, 0), AMS).next_after(datetime(2026, 1, 1, 9, 0))  # noqa: DTZ001


@pytest.mark.parametrize("text", ["9:00", "09:00", "21.30", " 7:05 "])
def test_times_parse(text):
    assert parse_time(text).minute in (0, 30, 5)


@pytest.mark.parametrize("text", ["", "25:00", "9", "nine", "12:60"])
def test_bad_times_are_refused(text):
    with pytest.raises(ValueError, match="HH:MM"):
        parse_time(text)


def test_bad_zone_is_refused():
    with pytest.raises(ValueError, match="IANA"):
        parse_zone("Mars/Olympus")


@pytest.mark.parametrize(
    "name", ["Europe", "../etc/passwd", "", "a.b.c", "</ask:1>" * 4097, "Europe/" + "x/" * 40]
)
def test_odd_zone_names_are_refused_clearly(name: str):
    with pytest.raises(ValueError, match="IANA"):
        parse_zone(name)


def test_every_zone_of_the_database_is_accepted():
    import zoneinfo

    for name in zoneinfo.available_timezones():
        assert parse_zone(name).key == name
