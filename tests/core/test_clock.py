"""Business clock: working intervals, holidays, pauses and daylight saving. Pure tests, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicecycle.core.clock import (
    SEARCH_LIMIT,
    Calendar,
    Pause,
    business_seconds,
    calendar_from_rows,
    due_at,
    warning_at,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600
OFFICE = [(9 * 60, 18 * 60)]  # 09:00-18:00


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, tz: ZoneInfo = LONDON
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


def office(**kwargs: object) -> Calendar:
    """09:00-18:00 Monday to Friday in London, English bank holidays unless told otherwise."""
    options: dict[str, object] = {"holiday_country": "GB", "holiday_subdivision": "ENG", **kwargs}
    return Calendar(time_zone="Europe/London", intervals={d: OFFICE for d in range(5)}, **options)  # type: ignore[arg-type]


def every_day(time_zone: str, intervals: list[tuple[int, int]]) -> Calendar:
    return Calendar(time_zone=time_zone, intervals={d: intervals for d in range(7)})


# Issue #4 acceptance. 2025-04-04 is a Friday, 2025-05-05 the Early May bank holiday (a Monday),
# 2025-04-18/21 Good Friday and Easter Monday.


def test_friday_evening_case_is_due_monday_morning() -> None:
    received = at(2025, 4, 4, 17, 50)
    due = due_at(office(), received, HOUR)
    assert due == at(2025, 4, 7, 9, 50)
    assert due is not None and due.tzinfo is UTC
    assert business_seconds(office(), received, at(2025, 4, 7, 9, 50)) == HOUR


def test_public_holiday_monday_moves_the_deadline_to_tuesday() -> None:
    assert holidays.country_holidays("GB", subdiv="ENG", years=2025).get(date(2025, 5, 5))
    assert due_at(office(), at(2025, 5, 2, 17, 50), HOUR) == at(2025, 5, 6, 9, 50)


def test_easter_removes_good_friday_and_easter_monday() -> None:
    assert due_at(office(), at(2025, 4, 17, 17, 50), HOUR) == at(2025, 4, 22, 9, 50)


def test_own_closed_date_moves_the_deadline() -> None:
    calendar = office(closed_dates=frozenset({date(2025, 4, 7)}))
    assert due_at(calendar, at(2025, 4, 4, 17, 50), HOUR) == at(2025, 4, 8, 9, 50)


def test_worked_public_holiday_is_a_working_day() -> None:
    calendar = office(worked_dates=frozenset({date(2025, 5, 5)}))
    assert due_at(calendar, at(2025, 5, 2, 17, 50), HOUR) == at(2025, 5, 5, 9, 50)


def test_without_a_holiday_country_the_bank_holiday_is_worked() -> None:
    assert due_at(office(holiday_country=""), at(2025, 5, 2, 17, 50), HOUR) == at(2025, 5, 5, 9, 50)


def test_pause_stops_the_clock() -> None:
    pauses = [Pause(at(2025, 4, 7, 9), at(2025, 4, 7, 9, 30))]
    assert due_at(office(), at(2025, 4, 4, 17, 50), HOUR, pauses) == at(2025, 4, 7, 10, 20)


def test_open_pause_makes_the_deadline_unknown_and_resume_recomputes_it() -> None:
    received = at(2025, 4, 4, 17, 50)
    paused = [Pause(at(2025, 4, 7, 9, 30), None)]
    assert due_at(office(), received, HOUR, paused) is None
    assert warning_at(office(), received, HOUR, paused) is None
    # an open pause swallows any later pause, whatever order the pauses come in
    mixed = [Pause(at(2025, 4, 8, 10), at(2025, 4, 8, 11)), Pause(at(2025, 4, 7, 9, 30), None)]
    assert due_at(office(), received, HOUR, mixed) is None
    resumed = [Pause(at(2025, 4, 7, 9, 30), at(2025, 4, 7, 11))]
    # 10 min on Friday, 30 min before the pause, the last 20 min after it
    assert due_at(office(), received, HOUR, resumed) == at(2025, 4, 7, 11, 20)


def test_deadline_reached_before_an_open_pause_stays_known() -> None:
    received = at(2025, 4, 4, 17, 50)
    paused = [Pause(at(2025, 4, 7, 10), None)]
    assert due_at(office(), received, HOUR, paused) == at(2025, 4, 7, 9, 50)
    # with a 75 min target the warning (60 min, Monday 09:50) is known, the deadline (10:05) is not
    assert warning_at(office(), received, 75 * 60, paused) == at(2025, 4, 7, 9, 50)
    assert due_at(office(), received, 75 * 60, paused) is None


def test_open_pause_from_receipt_is_paused_but_a_zero_target_is_due_at_receipt() -> None:
    received = at(2025, 4, 7, 10)
    paused = [(received, None)]
    assert due_at(office(), received, HOUR, paused) is None
    assert due_at(office(), received, 0, paused) == received
    assert business_seconds(office(), received, at(2025, 4, 30), paused) == 0


def test_overlapping_pauses_count_once() -> None:
    pauses = [
        Pause(at(2025, 4, 7, 9), at(2025, 4, 7, 9, 30)),
        Pause(at(2025, 4, 7, 9, 15), at(2025, 4, 7, 9, 45)),
        Pause(at(2025, 4, 7, 9, 20), at(2025, 4, 7, 9, 25)),
    ]
    received = at(2025, 4, 4, 17, 50)
    assert due_at(office(), received, HOUR, pauses) == at(2025, 4, 7, 10, 35)
    assert business_seconds(office(), received, at(2025, 4, 7, 10), pauses) == 25 * 60


def test_pause_outside_working_hours_changes_nothing() -> None:
    pauses = [Pause(at(2025, 4, 5, 10), at(2025, 4, 6, 20)), Pause(at(2025, 4, 4, 18), at(2025, 4, 7, 9))]
    assert due_at(office(), at(2025, 4, 4, 17, 50), HOUR, pauses) == at(2025, 4, 7, 9, 50)


def test_pauses_before_receipt_are_ignored() -> None:
    pauses = [Pause(at(2025, 4, 4, 9), at(2025, 4, 4, 17, 55))]
    # only 17:55-18:00 of the pause lies after receipt
    assert due_at(office(), at(2025, 4, 4, 17, 50), HOUR, pauses) == at(2025, 4, 7, 9, 55)


def test_warning_is_at_eighty_percent() -> None:
    received = at(2025, 4, 4, 17, 50)
    assert warning_at(office(), received, HOUR) == at(2025, 4, 7, 9, 38)
    assert warning_at(office(), received, 10 * HOUR) == due_at(office(), received, 8 * HOUR)


# Shapes of the working week


def test_due_exactly_at_closing_time_not_next_opening() -> None:
    assert due_at(office(), at(2025, 4, 7, 9), 9 * HOUR) == at(2025, 4, 7, 18)
    assert due_at(office(), at(2025, 4, 7, 17), HOUR) == at(2025, 4, 7, 18)
    assert due_at(office(), at(2025, 4, 7, 17), HOUR + 1) == at(2025, 4, 8, 9, 0, 1)


def test_zero_target_is_due_at_receipt_even_outside_hours() -> None:
    received = datetime(2025, 4, 5, 23, 30, 15, 123456, tzinfo=NEW_YORK)  # a Saturday
    assert due_at(office(), received, 0) == received
    assert due_at(office(), received, 0) == received.astimezone(UTC)


def test_received_outside_hours_counts_from_next_opening() -> None:
    assert due_at(office(), at(2025, 4, 5, 12), HOUR) == at(2025, 4, 7, 10)  # Saturday
    assert due_at(office(), at(2025, 4, 8, 7), HOUR) == at(2025, 4, 8, 10)  # Tuesday before opening
    assert due_at(office(), at(2025, 4, 8, 19), HOUR) == at(2025, 4, 9, 10)  # Tuesday after closing


def test_received_mid_minute_counts_the_rest_of_that_minute() -> None:
    assert due_at(office(), at(2025, 4, 10, 17, 59, 30), 60) == at(2025, 4, 11, 9, 0, 30)
    assert business_seconds(office(), at(2025, 4, 10, 17, 59, 30), at(2025, 4, 11, 9, 0, 30)) == 60
    fractional = datetime(2025, 4, 10, 17, 59, 59, 750000, tzinfo=LONDON)
    assert business_seconds(office(), fractional, at(2025, 4, 10, 19)) == 0.25


def test_split_shift_skips_the_lunch_break() -> None:
    calendar = Calendar("Europe/London", {d: [(9 * 60, 13 * 60), (14 * 60, 18 * 60)] for d in range(5)})
    assert due_at(calendar, at(2025, 4, 7, 12, 30), HOUR) == at(2025, 4, 7, 14, 30)
    assert due_at(calendar, at(2025, 4, 7, 9), 4 * HOUR) == at(2025, 4, 7, 13)
    assert due_at(calendar, at(2025, 4, 7, 13, 15), HOUR) == at(2025, 4, 7, 15)
    assert business_seconds(calendar, at(2025, 4, 7), at(2025, 4, 8)) == 8 * HOUR


def test_day_closing_at_midnight() -> None:
    calendar = every_day("Europe/London", [(16 * 60, 1440)])
    assert due_at(calendar, at(2025, 4, 7, 23), 2 * HOUR) == at(2025, 4, 8, 17)
    # used up exactly at 24:00: due at that midnight, not at the next 16:00
    assert due_at(calendar, at(2025, 4, 7, 23), HOUR) == at(2025, 4, 8)
    assert business_seconds(calendar, at(2025, 4, 7), at(2025, 4, 9)) == 16 * HOUR


def test_night_shift_across_midnight() -> None:
    # Monday 22:00-24:00 and Tuesday 00:00-06:00
    calendar = Calendar("Europe/London", {0: [(22 * 60, 1440)], 1: [(0, 6 * 60)]})
    assert due_at(calendar, at(2025, 4, 7, 23), 3 * HOUR) == at(2025, 4, 8, 2)
    assert business_seconds(calendar, at(2025, 4, 7, 12), at(2025, 4, 8, 12)) == 8 * HOUR
    # Tuesday-morning part of a shift is removed when that Tuesday is a closed date
    closed = Calendar(
        "Europe/London", {0: [(22 * 60, 1440)], 1: [(0, 6 * 60)]}, closed_dates=frozenset({date(2025, 4, 8)})
    )
    assert business_seconds(closed, at(2025, 4, 7, 12), at(2025, 4, 8, 12)) == 2 * HOUR
    # 1 h on Monday night, Tuesday closed, the other 2 h fill the next Monday up to 24:00
    assert due_at(closed, at(2025, 4, 7, 23), 3 * HOUR) == at(2025, 4, 15)


def test_closed_weekday() -> None:
    calendar = Calendar("Europe/London", {0: OFFICE, 1: OFFICE, 2: [], 3: OFFICE, 4: OFFICE})
    assert due_at(calendar, at(2025, 4, 8, 17, 30), HOUR) == at(2025, 4, 10, 9, 30)


def test_overlapping_intervals_of_a_day_count_once() -> None:
    calendar = every_day("UTC", [(9 * 60, 12 * 60), (10 * 60, 13 * 60), (13 * 60, 14 * 60)])
    assert business_seconds(calendar, datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC)) == 5 * HOUR


def test_business_seconds_is_zero_for_an_empty_or_reversed_range() -> None:
    assert business_seconds(office(), at(2025, 4, 7, 12), at(2025, 4, 7, 12)) == 0
    assert business_seconds(office(), at(2025, 4, 7, 12), at(2025, 4, 7, 11)) == 0


def test_inputs_in_any_time_zone_give_the_same_answer() -> None:
    received = at(2025, 4, 4, 17, 50).astimezone(ZoneInfo("Asia/Tokyo"))
    assert due_at(office(), received, HOUR) == datetime(2025, 4, 7, 8, 50, tzinfo=UTC)


# Daylight saving: Europe/London 2025-03-30 01:00 -> 02:00 and 2025-10-26 02:00 -> 01:00;
# America/New_York 2025-03-09 02:00 -> 03:00 and 2025-11-02 02:00 -> 01:00.


def test_round_the_clock_days_last_23_and_25_hours_on_transition_days() -> None:
    calendar = every_day("Europe/London", [(0, 1440)])
    assert business_seconds(calendar, at(2025, 3, 30), at(2025, 3, 31)) == 23 * HOUR
    assert business_seconds(calendar, at(2025, 10, 26), at(2025, 10, 27)) == 25 * HOUR
    assert business_seconds(calendar, at(2025, 10, 27), at(2025, 10, 28)) == 24 * HOUR
    ny = every_day("America/New_York", [(0, 1440)])
    assert business_seconds(ny, at(2025, 3, 9, tz=NEW_YORK), at(2025, 3, 10, tz=NEW_YORK)) == 23 * HOUR
    assert business_seconds(ny, at(2025, 11, 2, tz=NEW_YORK), at(2025, 11, 3, tz=NEW_YORK)) == 25 * HOUR


def test_interval_spanning_the_skipped_hour_is_an_hour_shorter() -> None:
    ny = every_day("America/New_York", [(0, 6 * 60)])
    assert business_seconds(ny, at(2025, 3, 9, tz=NEW_YORK), at(2025, 3, 9, 12, tz=NEW_YORK)) == 5 * HOUR
    # an interval opening inside the gap starts at the instant after the gap (03:00 EDT)
    late = every_day("America/New_York", [(2 * 60 + 30, 5 * 60)])
    day = (at(2025, 3, 9, tz=NEW_YORK), at(2025, 3, 9, 12, tz=NEW_YORK))
    assert business_seconds(late, *day) == 2 * HOUR
    assert due_at(late, day[0], 60) == datetime(2025, 3, 9, 7, 1, tzinfo=UTC)  # 03:01 EDT
    # an interval lying wholly inside the gap is empty that day
    gap = every_day("Europe/London", [(60, 100)])
    assert business_seconds(gap, at(2025, 3, 30), at(2025, 3, 31)) == 0
    assert due_at(gap, at(2025, 3, 30), 60) == at(2025, 3, 31, 1, 1)


def test_interval_spanning_the_repeated_hour_is_an_hour_longer() -> None:
    ny = every_day("America/New_York", [(0, 6 * 60)])
    assert business_seconds(ny, at(2025, 11, 2, tz=NEW_YORK), at(2025, 11, 2, 12, tz=NEW_YORK)) == 7 * HOUR
    # local [01:00, 03:00) contains both occurrences of 01:00-02:00
    london = every_day("Europe/London", [(60, 180)])
    assert business_seconds(london, at(2025, 10, 26), at(2025, 10, 27)) == 3 * HOUR
    # an interval ending inside the repeated hour holds its wall times twice: 00:00-01:30 BST and 01:00-01:30 GMT
    partial = every_day("Europe/London", [(0, 90)])
    assert business_seconds(partial, at(2025, 10, 26), at(2025, 10, 27)) == 2 * HOUR
    assert due_at(partial, at(2025, 10, 26), 1.75 * HOUR) == datetime(2025, 10, 26, 1, 15, tzinfo=UTC)


def test_due_across_the_spring_transition() -> None:
    # night shift Saturday 22:00-24:00 + Sunday 00:00-06:00; the Sunday part loses an hour on 2025-03-30
    calendar = Calendar("Europe/London", {5: [(22 * 60, 1440)], 6: [(0, 6 * 60)]})
    received = at(2025, 3, 29, 22)
    assert due_at(calendar, received, 7 * HOUR) == at(2025, 3, 30, 6)
    assert due_at(calendar, received, 7 * HOUR) == datetime(2025, 3, 30, 5, tzinfo=UTC)
    assert due_at(calendar, received, 8 * HOUR) == at(2025, 4, 5, 23)


def test_due_across_the_autumn_transition() -> None:
    calendar = Calendar("Europe/London", {5: [(22 * 60, 1440)], 6: [(0, 6 * 60)]})
    received = at(2025, 10, 25, 22)
    # 2 h on Saturday, then 6 real hours from 00:00 BST (= 23:00 UTC): 05:00 GMT
    assert due_at(calendar, received, 8 * HOUR) == datetime(2025, 10, 26, 5, tzinfo=UTC)
    assert due_at(calendar, received, 9 * HOUR) == at(2025, 10, 26, 6)
    assert business_seconds(calendar, received, at(2025, 10, 26, 12)) == 9 * HOUR


def test_office_hours_on_transition_days_are_unchanged() -> None:
    ny = Calendar("America/New_York", {d: OFFICE for d in range(7)})
    assert due_at(ny, at(2025, 3, 8, 17, tz=NEW_YORK), 2 * HOUR) == at(2025, 3, 9, 10, tz=NEW_YORK)
    assert business_seconds(ny, at(2025, 11, 2, tz=NEW_YORK), at(2025, 11, 3, tz=NEW_YORK)) == 9 * HOUR


# Building and validating calendars


def test_calendar_from_rows() -> None:
    calendar = calendar_from_rows(
        "Europe/London",
        [(0, 540, 780), (0, 840, 1080), (1, 540, 1080)],
        "gb",
        "ENG",
        [(date(2025, 4, 7), "closed"), (date(2025, 5, 5), "worked")],
    )
    assert calendar.holiday_country == "GB"
    assert calendar.closed_dates == frozenset({date(2025, 4, 7)})
    assert calendar.worked_dates == frozenset({date(2025, 5, 5)})
    assert calendar.working_intervals(date(2025, 4, 14)) == ((540, 780), (840, 1080))
    assert calendar.working_intervals(date(2025, 4, 7)) == ()
    assert calendar.working_intervals(date(2025, 5, 5)) == ((540, 780), (840, 1080))
    assert calendar.working_intervals(date(2025, 4, 21)) == ()  # Easter Monday
    assert calendar.working_intervals(date(2025, 4, 16)) == ()  # Wednesday: no rows
    with pytest.raises(ValueError, match="closed"):
        calendar_from_rows("UTC", [], "", "", [(date(2025, 1, 1), "open")])


def test_calendar_with_no_working_intervals_raises() -> None:
    for calendar in (Calendar("UTC", {}), Calendar("UTC", {d: [] for d in range(7)})):
        with pytest.raises(ValueError, match="no working intervals"):
            due_at(calendar, datetime(2025, 1, 1, tzinfo=UTC), 60)
        with pytest.raises(ValueError, match="no working intervals"):
            warning_at(calendar, datetime(2025, 1, 1, tzinfo=UTC), 60)
        assert business_seconds(calendar, datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)) == 0


def test_calendar_whose_working_days_are_all_closed_gives_up() -> None:
    first_monday = date(2025, 1, 6)
    mondays = frozenset(first_monday + timedelta(weeks=n) for n in range(60 * 53))
    calendar = Calendar("UTC", {0: OFFICE}, closed_dates=mondays)
    with pytest.raises(ValueError, match="not reached within"):
        due_at(calendar, datetime(2025, 1, 1, tzinfo=UTC), 60)
    # a deadline far away but inside the limit is still found
    reachable = Calendar("UTC", {0: OFFICE}, closed_dates=frozenset(m for m in mondays if m < date(2027, 1, 1)))
    assert due_at(reachable, datetime(2025, 1, 1, tzinfo=UTC), 60) == datetime(2027, 1, 4, 9, 1, tzinfo=UTC)
    assert timedelta(days=3 * 365) <= SEARCH_LIMIT


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time zone"),
        ({"intervals": {7: [(0, 60)]}}, "weekday"),
        ({"intervals": {0: [(600, 600)]}}, "open < close"),
        ({"intervals": {0: [(0, 1441)]}}, "open < close"),
        ({"intervals": {0: [(-1, 60)]}}, "open < close"),
        ({"holiday_country": "XX"}, "public-holiday"),
        ({"holiday_country": "GB", "holiday_subdivision": "QQ"}, "public-holiday"),
    ],
)
def test_invalid_calendars_are_refused(kwargs: dict[str, object], message: str) -> None:
    options: dict[str, object] = {"time_zone": "UTC", "intervals": {0: OFFICE}, **kwargs}
    with pytest.raises(ValueError, match=message):
        Calendar(**options)  # type: ignore[arg-type]


def test_naive_datetimes_and_bad_targets_are_refused() -> None:
    naive = datetime(2025, 4, 7, 9)
    aware = at(2025, 4, 7, 9)
    with pytest.raises(ValueError, match="aware"):
        due_at(office(), naive, 60)
    with pytest.raises(ValueError, match="aware"):
        business_seconds(office(), aware, naive)
    with pytest.raises(ValueError, match="aware"):
        due_at(office(), aware, 60, [(naive, None)])
    with pytest.raises(ValueError, match="before it starts"):
        due_at(office(), aware, 60, [(aware, aware - timedelta(minutes=1))])
    for target in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="target"):
            due_at(office(), aware, target)


# Properties, against an independent minute-by-minute reading of the rules

ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
# days around daylight-saving transitions of these zones, to be sure they are walked through
TRANSITIONS = [date(2025, 3, 9), date(2025, 3, 30), date(2025, 4, 6), date(2025, 10, 5), date(2025, 10, 26)]
TRANSITIONS += [date(2025, 11, 2), date(2024, 12, 25)]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    opening = st.integers(0, 1439).flatmap(lambda opens: st.tuples(st.just(opens), st.integers(opens + 1, 1440)))
    week = draw(st.lists(st.lists(opening, max_size=3), min_size=7, max_size=7))
    if not any(week):  # built rather than filtered, so generation stays fast
        week[draw(st.integers(0, 6))].append(draw(opening))
    region = draw(st.sampled_from([("", ""), ("GB", "ENG"), ("US", "NY")]))
    near = st.dates(date(2024, 12, 15), date(2025, 11, 15))
    return Calendar(
        time_zone=draw(st.sampled_from(ZONES)),
        intervals=dict(enumerate(week)),
        holiday_country=region[0],
        holiday_subdivision=region[1],
        closed_dates=frozenset(draw(st.lists(near, max_size=40))),
        worked_dates=frozenset(draw(st.lists(near, max_size=10))),
    )


@st.composite
def starts(draw: st.DrawFn) -> datetime:
    anchor = datetime.combine(draw(st.sampled_from(TRANSITIONS)), datetime.min.time(), tzinfo=UTC)
    return anchor + timedelta(minutes=draw(st.integers(-3 * 1440, 2 * 1440)))


@st.composite
def pause_lists(draw: st.DrawFn, start: datetime) -> list[Pause]:
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        begin = start + timedelta(minutes=draw(st.integers(-600, 3 * 1440)))
        length = draw(st.none() | st.integers(0, 2000))
        pauses.append(Pause(begin, None if length is None else begin + timedelta(minutes=length)))
    return pauses


@cache
def public_dates(country: str, subdivision: str, year: int) -> set[date]:
    if not country:
        return set()
    return set(holidays.country_holidays(country, subdiv=subdivision or None, years=year))


def counts(calendar: Calendar, moment: datetime, pauses: list[Pause]) -> bool:
    """The rules read literally, for one moment: local date, weekday intervals, holidays, pauses."""
    local = moment.astimezone(ZoneInfo(calendar.time_zone))
    day = local.date()
    public = day in public_dates(calendar.holiday_country, calendar.holiday_subdivision, day.year)
    if day in calendar.closed_dates or (public and day not in calendar.worked_dates):
        return False
    minute = local.hour * 60 + local.minute + local.second / 60
    if not any(opens <= minute < closes for opens, closes in calendar.intervals.get(day.weekday(), [])):
        return False
    return not any(p.start <= moment and (p.end is None or moment < p.end) for p in pauses)


def working_minutes(calendar: Calendar, start: datetime, minutes: int, pauses: list[Pause]) -> list[datetime]:
    """Start of every counted whole minute after a minute-aligned start (all boundaries fall on whole minutes)."""
    instants = (start + timedelta(minutes=k) for k in range(minutes))
    return [t for t in instants if counts(calendar, t + timedelta(seconds=30), pauses)]


# weeks without public holidays or drawn closures, to measure a calendar's usual working time
QUIET_WEEKS = [datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 8, tzinfo=UTC)]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(calendar=calendars(), start=starts(), length=st.integers(0, 3 * 1440), data=st.data())
def test_business_seconds_matches_the_minute_by_minute_reading(
    calendar: Calendar, start: datetime, length: int, data: st.DataObject
) -> None:
    pauses = data.draw(pause_lists(start))
    minutes = working_minutes(calendar, start, length, pauses)
    assert business_seconds(calendar, start, start + timedelta(minutes=length), pauses) == 60 * len(minutes)


@FAST
@given(calendar=calendars(), start=starts(), target=st.integers(1, 1440), data=st.data())
def test_due_at_matches_the_minute_by_minute_reading(
    calendar: Calendar, start: datetime, target: int, data: st.DataObject
) -> None:
    pauses = data.draw(pause_lists(start))
    minutes = working_minutes(calendar, start, 6 * 1440, pauses)
    due = due_at(calendar, start, target * 60, pauses)
    if len(minutes) >= target:
        assert due == minutes[target - 1] + timedelta(minutes=1)
    elif any(p.end is None for p in pauses):
        assert due is None  # every open pause starts within the six days walked
    else:
        assert due is not None and due > start + timedelta(days=6)


@settings(max_examples=100, deadline=None)
@given(
    calendar=calendars(),
    start=st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31), timezones=st.sampled_from([UTC, LONDON])),
    target_us=st.integers(0, 10 * 86400 * 10**6),
    data=st.data(),
)
def test_business_time_up_to_the_deadline_is_the_target(
    calendar: Calendar, start: datetime, target_us: int, data: st.DataObject
) -> None:
    pauses = data.draw(pause_lists(start))
    # keep the target within reach of sparse calendars: at most 20 weeks of their working time
    weekly = sum(business_seconds(calendar, monday, monday + timedelta(days=7)) for monday in QUIET_WEEKS)
    target = min(target_us, int(weekly / len(QUIET_WEEKS) * 20 * 10**6)) / 10**6
    due = due_at(calendar, start, target, pauses)
    if due is None:
        assert any(p.end is None for p in pauses)
        open_start = min(p.start for p in pauses if p.end is None)
        assert business_seconds(calendar, start, max(start, open_start), pauses) < target
        return
    assert business_seconds(calendar, start, due, pauses) == target
    if target:
        assert business_seconds(calendar, start, due - timedelta(microseconds=1), pauses) < target
    warning = warning_at(calendar, start, target, pauses)
    assert warning is not None and start <= warning <= due
