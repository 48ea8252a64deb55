"""Business-hours SLA arithmetic (DOMAIN.md §5): weekends, China's holidays, pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from walletdesk.core.clock import FakeClock
from walletdesk.identity.model import KycTier
from walletdesk.support.contacts.model import Risk
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.tickets.calendar import (
    business_minutes_between,
    business_time_between,
    china_calendar,
    due,
    due_after,
)
from walletdesk.support.tickets.rules import (
    SLA_TARGETS,
    TRANSITIONS,
    Priority,
    SlaEventKind,
    SlaTarget,
    TicketStatus,
    can_transition,
    priority_for,
)
from walletdesk.support.tickets.sla import SlaEvent, sla_clock

SH = ZoneInfo("Asia/Shanghai")
CAL = china_calendar()


def sh(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def test_a_friday_evening_request_is_due_on_monday() -> None:
    # Friday 17:00 + 2 business hours: 1 h on Friday, 1 h from Monday 09:00.
    assert due(sh(2026, 3, 6, 17, 0), 120, CAL) == sh(2026, 3, 9, 10, 0)


def test_the_weekend_itself_counts_for_nothing() -> None:
    assert due(sh(2026, 3, 7, 15, 0), 60, CAL) == sh(2026, 3, 9, 10, 0)
    assert due(sh(2026, 3, 9, 7, 30), 30, CAL) == sh(2026, 3, 9, 9, 30)
    assert due(sh(2026, 3, 9, 19, 0), 30, CAL) == sh(2026, 3, 10, 9, 30)


def test_national_day_is_skipped() -> None:
    # 1–7 October 2026 are off; 8 October (Thursday) is the next working day.
    assert due(sh(2026, 9, 30, 17, 0), 120, CAL) == sh(2026, 10, 8, 10, 0)


def test_a_make_up_working_weekend_counts() -> None:
    # Sunday 20 September 2026 is a working day in lieu of 6 October.
    assert due(sh(2026, 9, 19, 12, 0), 60, CAL) == sh(2026, 9, 20, 10, 0)


def test_due_answers_in_utc_and_refuses_naive_times() -> None:
    answer = due(sh(2026, 3, 9, 9, 0), 60, CAL)
    assert answer.tzinfo is UTC
    assert answer == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="aware"):
        due(datetime(2026, 3, 9, 9, 0), 60, CAL)  # noqa: DTZ001 - the point of the test


def test_the_longest_target_spans_weeks_of_business_days() -> None:
    start = sh(2026, 3, 9, 9, 0)
    minutes = SLA_TARGETS[Priority.LOW][SlaTarget.RESOLUTION]
    end = due(start, minutes, CAL)
    assert business_minutes_between(start, end, CAL) == minutes
    # 120 h / 9 h a day = 13 days and 3 hours: 14 working days, none on a weekend.
    assert end.astimezone(SH) == sh(2026, 3, 26, 12, 0)


def test_business_minutes_between_skips_nights_weekends_and_holidays() -> None:
    assert business_minutes_between(sh(2026, 3, 6, 17, 0), sh(2026, 3, 9, 10, 0), CAL) == 120
    assert business_minutes_between(sh(2026, 9, 30, 17, 0), sh(2026, 10, 8, 9, 0), CAL) == 60
    assert business_minutes_between(sh(2026, 3, 9, 10, 0), sh(2026, 3, 9, 9, 0), CAL) == 0


def test_a_paused_clock_keeps_its_remaining_time_with_a_fake_clock() -> None:
    clock = FakeClock(sh(2026, 3, 9, 9, 0).astimezone(UTC))
    events = [SlaEvent(SlaEventKind.ACTIVATED, SlaTarget.RESOLUTION, clock.now(), 480)]
    running = sla_clock(events, SlaTarget.RESOLUTION, clock.now(), CAL)
    assert running is not None
    assert running.due == sh(2026, 3, 9, 17, 0)

    clock.advance(timedelta(hours=2))  # 11:00: waiting on the customer
    events.append(SlaEvent(SlaEventKind.PAUSED, SlaTarget.RESOLUTION, clock.now()))
    clock.advance(timedelta(hours=22))  # Tuesday 09:00, the whole pause does not count
    paused = sla_clock(events, SlaTarget.RESOLUTION, clock.now(), CAL)
    assert paused is not None
    assert (paused.running, paused.elapsed, paused.remaining, paused.due) == (False, 120, 360, None)

    events.append(SlaEvent(SlaEventKind.RESUMED, SlaTarget.RESOLUTION, clock.now()))
    clock.advance(timedelta(hours=1))
    resumed = sla_clock(events, SlaTarget.RESOLUTION, clock.now(), CAL)
    assert resumed is not None
    assert resumed.due == sh(2026, 3, 10, 15, 0)
    assert (resumed.elapsed, resumed.overdue) == (180, False)

    clock.advance(timedelta(hours=6))  # 16:00 Tuesday: past 15:00
    late = sla_clock(events, SlaTarget.RESOLUTION, clock.now(), CAL)
    assert late is not None
    assert late.overdue

    events.append(SlaEvent(SlaEventKind.FULFILLED, SlaTarget.RESOLUTION, clock.now()))
    done = sla_clock(events, SlaTarget.RESOLUTION, clock.now(), CAL)
    assert done is not None
    assert done.fulfilled
    assert not done.overdue


def test_short_running_stretches_add_up_to_the_second() -> None:
    # A chat: the ticket goes pending after every answer, 59 seconds after it resumed.
    start = sh(2026, 3, 9, 10, 0)
    events = [SlaEvent(SlaEventKind.ACTIVATED, SlaTarget.RESOLUTION, start, 60)]
    at = start
    for _ in range(30):
        at += timedelta(seconds=59)
        events.append(SlaEvent(SlaEventKind.PAUSED, SlaTarget.RESOLUTION, at))
        at += timedelta(minutes=2)
        events.append(SlaEvent(SlaEventKind.RESUMED, SlaTarget.RESOLUTION, at))
    events.pop()  # it ends paused, 29.5 minutes used
    paused = sla_clock(events, SlaTarget.RESOLUTION, at, CAL)
    assert paused is not None
    assert (paused.used, paused.elapsed, paused.remaining) == (timedelta(seconds=1770), 29, 31)
    assert paused.time_left == timedelta(seconds=1830)

    events.append(SlaEvent(SlaEventKind.RESUMED, SlaTarget.RESOLUTION, at))
    resumed = sla_clock(events, SlaTarget.RESOLUTION, at, CAL)
    assert resumed is not None
    # Due when the 30.5 minutes left have run, not 31 minutes (or 60) from now.
    assert resumed.due == at + timedelta(minutes=30, seconds=30)
    almost = sla_clock(events, SlaTarget.RESOLUTION, at + timedelta(minutes=30, seconds=29), CAL)
    assert almost is not None
    assert (almost.elapsed, almost.overdue) == (59, False)
    late = sla_clock(events, SlaTarget.RESOLUTION, at + timedelta(minutes=30, seconds=30), CAL)
    assert late is not None
    assert (late.elapsed, late.overdue) == (60, True)


def test_business_time_between_keeps_the_seconds() -> None:
    start = sh(2026, 3, 9, 17, 59)
    end = sh(2026, 3, 10, 9, 0) + timedelta(seconds=30)
    assert business_time_between(start, end, CAL) == timedelta(seconds=90)
    assert business_minutes_between(start, end, CAL) == 1
    assert due_after(start, timedelta(seconds=90), CAL) == end


def test_a_target_never_activated_has_no_clock() -> None:
    assert sla_clock([], SlaTarget.FIRST_REPLY, sh(2026, 3, 9, 9, 0), CAL) is None


def test_priority_follows_category_and_scam_risk() -> None:
    assert priority_for(Category.ACCOUNT_SECURITY, Risk.LOW) is Priority.URGENT
    assert priority_for(Category.REFUND, Risk.HIGH) is Priority.URGENT
    assert priority_for(Category.PAYMENT_FAILURE, Risk.MEDIUM) is Priority.HIGH
    assert priority_for(Category.REFUND, Risk.MEDIUM) is Priority.NORMAL


def test_a_tier_iii_customer_is_one_step_more_urgent() -> None:
    assert priority_for(Category.REFUND, Risk.LOW, KycTier.III) is Priority.HIGH
    assert priority_for(Category.PAYMENT_FAILURE, Risk.LOW, KycTier.III) is Priority.URGENT
    assert priority_for(Category.ACCOUNT_SECURITY, Risk.LOW, KycTier.III) is Priority.URGENT
    assert priority_for(Category.REFUND, Risk.LOW, KycTier.II) is Priority.NORMAL
    assert priority_for(Category.PAYMENT_FAILURE, Risk.LOW, KycTier.I) is Priority.HIGH


def test_the_transition_table() -> None:
    assert set(TRANSITIONS) == set(TicketStatus)
    assert can_transition(TicketStatus.OPEN, TicketStatus.PENDING)
    assert can_transition(TicketStatus.PENDING, TicketStatus.OPEN)
    assert not can_transition(TicketStatus.NEW, TicketStatus.CLOSED)
    assert not any(can_transition(TicketStatus.CLOSED, s) for s in TicketStatus)
