"""expected_by: business days, weekends and public holidays of the customer's country."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from walletdesk.wallet.refund_dates import (
    CARD_REFUND_BUSINESS_DAYS,
    expected_by,
    is_business_day,
)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_one_business_day_after_a_friday_is_the_monday() -> None:
    friday = at(2026, 1, 9)

    assert expected_by(friday, "CN", 1) == at(2026, 1, 12)


def test_chinese_national_day_week_is_skipped_in_2026() -> None:
    # Oct 1-7 2026 are days off in China (the 3rd and 4th are a weekend anyway).
    day_before = at(2026, 9, 30)

    assert expected_by(day_before, "CN", 1) == at(2026, 10, 8)
    assert expected_by(day_before, "CN", CARD_REFUND_BUSINESS_DAYS) == at(2026, 10, 14)


def test_chinese_national_day_and_the_weekend_after_it_are_skipped_in_2025() -> None:
    # 2025: Oct 1-8 off (National Day, Mid-Autumn and the substitute days), then
    # Thu 9 and Fri 10 are business days, Sat 11 and Sun 12 are not.
    tuesday = at(2025, 9, 30)

    assert expected_by(tuesday, "CN", 2) == at(2025, 10, 10)
    assert expected_by(tuesday, "CN", 3) == at(2025, 10, 13)
    assert expected_by(tuesday, "CN", 5) == at(2025, 10, 15)


def test_the_same_dates_in_another_country_only_skip_the_weekend() -> None:
    tuesday = at(2025, 9, 30)

    assert expected_by(tuesday, "US", 5) == at(2025, 10, 7)


def test_the_new_year_holiday_is_counted_across_the_year_end() -> None:
    # Jan 1 2026 is New Year's Day, Jan 2 a substitute day off, then the weekend.
    new_years_eve = at(2025, 12, 31)

    assert expected_by(new_years_eve, "CN", 1) == at(2026, 1, 5)


def test_counting_starts_the_day_after_even_when_started_on_a_holiday() -> None:
    national_day = at(2025, 10, 1)

    assert expected_by(national_day, "CN", 1) == at(2025, 10, 9)


def test_zero_business_days_is_the_start_itself() -> None:
    assert expected_by(at(2025, 10, 1), "CN", 0) == at(2025, 10, 1)


def test_an_unknown_country_skips_weekends_only() -> None:
    friday = at(2025, 10, 3)

    assert expected_by(friday, "ZZ", 1) == at(2025, 10, 6)


def test_dates_are_counted_in_utc() -> None:
    # 02:00 in Beijing on Saturday Oct 11 is still Friday Oct 10 in UTC.
    beijing = timezone(timedelta(hours=8))
    start = datetime(2025, 10, 11, 2, tzinfo=beijing)

    assert expected_by(start, "CN", 1) == datetime(2025, 10, 13, 18, tzinfo=UTC)


def test_country_codes_are_case_insensitive() -> None:
    assert not is_business_day(date(2025, 10, 1), "cn")
    assert is_business_day(date(2025, 10, 9), "cn")


def test_naive_start_and_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        expected_by(datetime(2025, 10, 1), "CN", 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="business_days"):
        expected_by(at(2025, 10, 1), "CN", -1)
