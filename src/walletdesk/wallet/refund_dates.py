"""When a refund to a bank card is expected to arrive: business days, with public holidays.

Pure rules, no I/O: the calendar comes from the ``holidays`` package (data shipped
with it, no network). DOMAIN.md §4: card refunds take 1-5 business days; the
customer is shown the far end of that range (:data:`CARD_REFUND_BUSINESS_DAYS`),
because a promise that arrives early pleases and one that arrives late makes a
support ticket.

What counts as a business day here: Monday to Friday, less the public holidays
of the customer's country (including the extra days off a country declares, such
as China's 调休 substitutes around National Day). Weekend days that a country
declares working days (China's make-up Saturdays) are *not* counted: banks
differ on whether they settle card refunds then, and leaving them out can only
move the promise later, never earlier than the money.

Days are counted on UTC calendar dates: the users' time zones are not known.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import holidays

# DOMAIN.md §4: "back to bank card: 1-5 business days"; we promise the 5.
CARD_REFUND_BUSINESS_DAYS = 5
_SATURDAY = 5
# A year of business days is far more than any refund promise; this bounds the loop.
_MAX_BUSINESS_DAYS = 250


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    """That country's public holidays in ``year`` and the next (a promise can cross New Year).

    An unknown country has no holiday calendar here: weekends alone are skipped
    rather than refusing the refund.
    """
    try:
        calendar = holidays.country_holidays(country, years=(year, year + 1))
    except NotImplementedError:
        return frozenset()
    return frozenset(calendar.keys())


def is_business_day(day: date, country: str) -> bool:
    """Monday to Friday and not a public holiday of ``country`` (ISO 3166-1 alpha-2)."""
    return day.weekday() < _SATURDAY and day not in _public_holidays(country.upper(), day.year)


def expected_by(start: datetime, country: str, business_days: int) -> datetime:
    """The moment ``business_days`` business days after ``start``, in UTC, same time of day.

    Counting begins the day after ``start``: a refund started on a Friday
    evening with 1 business day is expected on Monday (or on the first business
    day after it, when Monday is a holiday). ``business_days`` 0 returns ``start``.
    ``start`` must be timezone-aware.
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if not 0 <= business_days <= _MAX_BUSINESS_DAYS:
        raise ValueError(f"business_days must be 0 to {_MAX_BUSINESS_DAYS}")
    day = start.astimezone(UTC)
    remaining = business_days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day.date(), country):
            remaining -= 1
    return day
