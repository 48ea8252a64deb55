"""Business hours: Mon–Fri 09:00–18:00 Asia/Shanghai, without China's public holidays.

China moves working days around its holidays: some weekdays are days off and some
weekends are working days (``holidays.China().weekend_workdays``); both are honoured.
Everything here is pure: no clock is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays


@dataclass(frozen=True)
class BusinessCalendar:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    days_off: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The day's business hours as aware datetimes."""
        return (
            datetime.combine(day, self.opens, tzinfo=self.tz),
            datetime.combine(day, self.closes, tzinfo=self.tz),
        )


def china_calendar(years: Iterable[int] = range(2024, 2031)) -> BusinessCalendar:
    return _china(tuple(years))


@cache
def _china(years: tuple[int, ...]) -> BusinessCalendar:
    cn = holidays.country_holidays("CN", years=years)
    return BusinessCalendar(
        days_off=frozenset(cn.keys()), extra_workdays=frozenset(cn.weekend_workdays)
    )


# Far enough for the longest target (120 h = 13+ weeks of 9-hour days) over any holidays.
_MAX_DAYS = 3660


def due(start: datetime, business_minutes: int, calendar: BusinessCalendar) -> datetime:
    """The moment ``business_minutes`` of business time after ``start`` have passed (UTC)."""
    if business_minutes < 0:
        raise ValueError("business_minutes must not be negative")
    return due_after(start, timedelta(minutes=business_minutes), calendar)


def due_after(start: datetime, business_time: timedelta, calendar: BusinessCalendar) -> datetime:
    """The moment ``business_time`` (to the microsecond) after ``start`` has passed (UTC):
    :func:`due` for what is left of a clock that has already run for a while."""
    if start.tzinfo is None:
        raise ValueError("due() needs an aware datetime")
    if business_time < timedelta():
        raise ValueError("business_time must not be negative")
    local = start.astimezone(calendar.tz)
    left = business_time
    day = local.date()
    for _ in range(_MAX_DAYS):
        if calendar.is_working_day(day):
            opens, closes = calendar.window(day)
            begin = max(opens, local)
            if begin < closes:
                available = closes - begin
                if left <= available:
                    return (begin + left).astimezone(UTC)
                left -= available
        day += timedelta(days=1)
    raise ValueError("no business time within ten years")


def business_time_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> timedelta:
    """Business time from ``start`` to ``end``, exactly (zero when ``end`` is not later).

    SLA clocks add these up and round only the sum: rounding each stretch would drop up
    to a minute at every pause.
    """
    if end <= start:
        return timedelta()
    local_start = start.astimezone(calendar.tz)
    local_end = end.astimezone(calendar.tz)
    total = timedelta()
    day = local_start.date()
    while day <= local_end.date():
        if calendar.is_working_day(day):
            opens, closes = calendar.window(day)
            begin, finish = max(opens, local_start), min(closes, local_end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total


def business_minutes_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    """Whole business minutes from ``start`` to ``end`` (0 when ``end`` is not later)."""
    return business_time_between(start, end, calendar) // timedelta(minutes=1)
