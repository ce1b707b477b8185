"""Business clock: how much of an organization's working time lies between two instants, and when a target runs out.

Pure Python (zoneinfo and the pinned `holidays` package); nothing else of ours is imported, so the case, promise
and SLA code can all lean on it. The rules are in docs/business-clock.md. In short, a moment counts when

* it is at or after the start (receipt),
* its local date is not a holiday (public holiday not chosen to be worked, or an own closure date),
* its local wall time lies in one of that weekday's working intervals [open, close),
* it is not inside a pause.

Time is real elapsed time. The walk goes through stretches of constant UTC offset: inside one stretch local wall
time is UTC plus a fixed offset, so the working intervals can be intersected in naive local time and shifted back.
A daylight-saving transition starts a new stretch, which is why an interval spanning the skipped hour is an hour
shorter and one spanning the repeated hour an hour longer: each occurrence of a wall time is a separate moment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

MINUTES_PER_DAY = 1440
WARNING_SHARE = 0.8
# due_at gives up after this much calendar time past the start (and past the last finished pause)
SEARCH_LIMIT = timedelta(days=3 * 366)

_DAY = timedelta(days=1)
# Offsets are sampled this often to find daylight-saving transitions; real zones never change twice in six hours.
_PROBE = timedelta(hours=6)
_TICK = timedelta(microseconds=1)

Interval = tuple[int, int]
Segment = tuple[datetime, datetime]


class Pause(NamedTuple):
    """A stretch during which the clock stands still; `end` None means the case is still paused."""

    start: datetime
    end: datetime | None


@lru_cache(maxsize=64)
def _holiday_source_checked(country: str, subdivision: str) -> None:
    try:
        holidays.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError as exc:
        raise ValueError(f"no public-holiday calendar for {country!r}/{subdivision!r}: {exc}") from exc


@lru_cache(maxsize=512)
def public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    """The public holidays of one year (building them is slow, so each year is built once per process)."""
    if not country:
        return frozenset()
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year).keys())


def _merge_day(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    merged: list[list[int]] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], closes)
        else:
            merged.append([opens, closes])
    return tuple((opens, closes) for opens, closes in merged)


@dataclass(frozen=True)
class Calendar:
    """An organization's working calendar.

    `intervals` maps weekday (0 = Monday) to working intervals in minutes of local wall time, [open, close) with
    close up to 1440 (= 24:00). A night shift is two intervals: 22:00-24:00 of one weekday and 00:00-06:00 of the
    next. Public holidays come from the `holidays` package for `holiday_country`/`holiday_subdivision`;
    `closed_dates` adds the organization's own closures, `worked_dates` lists public holidays it works anyway.
    """

    time_zone: str
    intervals: Mapping[int, Sequence[tuple[int, int]]]
    holiday_country: str = ""
    holiday_subdivision: str = ""
    closed_dates: frozenset[date] = field(default_factory=frozenset)
    worked_dates: frozenset[date] = field(default_factory=frozenset)
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _week: tuple[tuple[Interval, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from exc
        week: list[list[Interval]] = [[] for _ in range(7)]
        for weekday, day_intervals in self.intervals.items():
            if not (isinstance(weekday, int) and 0 <= weekday <= 6):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}")
            for opens, closes in day_intervals:
                if not (0 <= opens < closes <= MINUTES_PER_DAY):
                    raise ValueError(
                        f"working interval {opens}-{closes} on weekday {weekday} must satisfy 0 <= open < close <= 1440"
                    )
                week[weekday].append((opens, closes))
        object.__setattr__(self, "holiday_country", self.holiday_country.strip().upper())
        object.__setattr__(self, "holiday_subdivision", self.holiday_subdivision.strip())
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        object.__setattr__(self, "worked_dates", frozenset(self.worked_dates))
        if self.holiday_country:
            _holiday_source_checked(self.holiday_country, self.holiday_subdivision)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_week", tuple(_merge_day(day) for day in week))

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def has_working_time(self) -> bool:
        return any(self._week)

    def is_holiday(self, day: date) -> bool:
        """True when the whole local date is off: an own closure, or a public holiday not chosen to be worked."""
        if day in self.closed_dates:
            return True
        if day in self.worked_dates:
            return False
        return day in public_holidays(self.holiday_country, self.holiday_subdivision, day.year)

    def working_intervals(self, day: date) -> tuple[Interval, ...]:
        """The (merged) working intervals of a local date, none on a holiday."""
        if self.is_holiday(day):
            return ()
        return self._week[day.weekday()]


def calendar_from_rows(
    time_zone: str,
    intervals_rows: Iterable[tuple[int, int, int]],
    holiday_country: str = "",
    holiday_subdivision: str = "",
    dates_rows: Iterable[tuple[date, str]] = (),
) -> Calendar:
    """Build a Calendar from plain rows: (weekday, opens, closes) and (date, "closed" | "worked")."""
    intervals: dict[int, list[tuple[int, int]]] = {}
    for weekday, opens, closes in intervals_rows:
        intervals.setdefault(weekday, []).append((opens, closes))
    closed: set[date] = set()
    worked: set[date] = set()
    for day, kind in dates_rows:
        if kind == "closed":
            closed.add(day)
        elif kind == "worked":
            worked.add(day)
        else:
            raise ValueError(f"calendar date kind must be 'closed' or 'worked', not {kind!r}")
    return Calendar(
        time_zone=time_zone,
        intervals=intervals,
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
        closed_dates=frozenset(closed),
        worked_dates=frozenset(worked),
    )


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone), got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset


def _offset_stretches(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """Cut [start, end) (UTC) into stretches of at most a day during which the zone's UTC offset is constant."""
    a = start
    while a < end:
        offset = _offset(zone, a)
        limit = min(a + _DAY, end)
        b = a
        while b < limit:
            probe = min(b + _PROBE, limit)
            if _offset(zone, probe) != offset:
                # the transition lies in (b, probe]: find the first microsecond with the new offset
                lo, hi = b, probe
                while hi - lo > _TICK:
                    mid = lo + (hi - lo) // 2
                    if _offset(zone, mid) == offset:
                        lo = mid
                    else:
                        hi = mid
                limit = hi
                break
            b = probe
        yield a, limit, offset
        a = limit


def _working_segments(calendar: Calendar, start: datetime, end: datetime) -> Iterator[Segment]:
    """Working time in [start, end) as ordered, non-overlapping UTC segments (adjacent ones may touch)."""
    for a, b, offset in _offset_stretches(calendar.zone, start, end):
        # inside the stretch, local wall time = UTC + offset, so work in naive local time and shift back
        local_a = a.replace(tzinfo=None) + offset
        local_b = b.replace(tzinfo=None) + offset
        day = local_a.date()
        while (midnight := datetime.combine(day, time())) < local_b:
            for opens, closes in calendar.working_intervals(day):
                seg_start = max(local_a, midnight + timedelta(minutes=opens))
                seg_end = min(local_b, midnight + timedelta(minutes=closes))
                if seg_start < seg_end:
                    yield (seg_start - offset).replace(tzinfo=UTC), (seg_end - offset).replace(tzinfo=UTC)
            day += _DAY


def _merge_pauses(pauses: Iterable[tuple[datetime, datetime | None]]) -> list[tuple[datetime, datetime | None]]:
    """Sorted, disjoint pauses (UTC); an open pause swallows everything after its start and ends the list."""
    cleaned: list[tuple[datetime, datetime | None]] = []
    for pause_start, pause_end in pauses:
        p_start = _utc(pause_start, "pause start")
        p_end = None if pause_end is None else _utc(pause_end, "pause end")
        if p_end is not None and p_end < p_start:
            raise ValueError(f"pause ends ({p_end.isoformat()}) before it starts ({p_start.isoformat()})")
        if p_end is not None and p_end == p_start:
            continue
        cleaned.append((p_start, p_end))
    cleaned.sort(key=lambda pause: pause[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for p_start, p_end in cleaned:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if p_start <= last_end:
                merged[-1] = (last_start, None if p_end is None else max(last_end, p_end))
                continue
        merged.append((p_start, p_end))
    return merged


def _unpaused(segments: Iterable[Segment], pauses: list[tuple[datetime, datetime | None]]) -> Iterator[Segment]:
    """The parts of ordered segments that lie outside the merged pauses."""
    i = 0  # segments come in time order, so pauses already behind us are never looked at again
    for seg_start, seg_end in segments:
        s = seg_start
        while s < seg_end:
            while i < len(pauses) and _ends_by(pauses[i], s):
                i += 1
            if i == len(pauses) or pauses[i][0] >= seg_end:
                yield s, seg_end
                break
            pause_start, pause_end = pauses[i]
            if pause_start > s:
                yield s, pause_start
            if pause_end is None:
                return  # an open pause: nothing after its start counts
            s = pause_end


def _ends_by(pause: tuple[datetime, datetime | None], moment: datetime) -> bool:
    return pause[1] is not None and pause[1] <= moment


def business_seconds(
    calendar: Calendar, start: datetime, end: datetime, pauses: Iterable[tuple[datetime, datetime | None]] = ()
) -> float:
    """Business time, in seconds, between two aware instants (0 when end is not after start)."""
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    merged = _merge_pauses(pauses)
    if end_utc <= start_utc:
        return 0.0
    total = timedelta()
    for seg_start, seg_end in _unpaused(_working_segments(calendar, start_utc, end_utc), merged):
        total += seg_end - seg_start
    return total.total_seconds()


def due_at(
    calendar: Calendar,
    start: datetime,
    target_seconds: float,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> datetime | None:
    """The UTC instant at which `target_seconds` of business time have elapsed since `start`.

    A target used up exactly at a closing time is due at that closing instant. A target of 0 is due at `start`.
    None means "paused": a pause is still open and the target was not used up before it began.
    """
    start_utc = _utc(start, "start")
    if not math.isfinite(target_seconds) or target_seconds < 0:
        raise ValueError(f"target must be a finite number of seconds >= 0, not {target_seconds!r}")
    merged = _merge_pauses(pauses)
    remaining = timedelta(seconds=target_seconds)
    if not remaining:
        return start_utc
    if not calendar.has_working_time:
        raise ValueError("the calendar has no working intervals on any weekday, so no deadline can be reached")
    finished_pause_ends = [p_end for _, p_end in merged if p_end is not None]
    limit = max([start_utc, *finished_pause_ends]) + SEARCH_LIMIT
    open_pause_start = merged[-1][0] if merged and merged[-1][1] is None else None
    walk_end = limit if open_pause_start is None else max(start_utc, min(open_pause_start, limit))
    for seg_start, seg_end in _unpaused(_working_segments(calendar, start_utc, walk_end), merged):
        length = seg_end - seg_start
        if remaining <= length:
            return seg_start + remaining
        remaining -= length
    if open_pause_start is not None and open_pause_start <= limit:
        return None
    raise ValueError(
        f"the target of {target_seconds} s is not reached within {SEARCH_LIMIT.days} days: "
        "the calendar has too little working time (check its intervals and closed dates)"
    )


def warning_at(
    calendar: Calendar,
    start: datetime,
    target_seconds: float,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> datetime | None:
    """The UTC instant at which 80 % of the target's business time has elapsed (None while paused, as due_at)."""
    if not math.isfinite(target_seconds) or target_seconds < 0:
        raise ValueError(f"target must be a finite number of seconds >= 0, not {target_seconds!r}")
    return due_at(calendar, start, target_seconds * WARNING_SHARE, pauses)
