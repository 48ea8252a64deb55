"""SLA clocks computed from their stored events (activated, paused, resumed, fulfilled,
breached). Pure: the caller passes the events, the moment and the calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from walletdesk.support.tickets.calendar import (
    BusinessCalendar,
    business_time_between,
    due_after,
)
from walletdesk.support.tickets.rules import SlaEventKind, SlaTarget


@dataclass(frozen=True, slots=True)
class SlaEvent:
    kind: SlaEventKind
    target: SlaTarget
    at: datetime
    minutes: int | None = None


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One target's clock: business time used so far, and when it runs out if running.

    ``used`` is exact; ``elapsed`` and ``remaining`` are its whole minutes, for people.
    """

    target: SlaTarget
    minutes: int
    used: timedelta
    running: bool
    fulfilled: bool
    breached: bool
    due: datetime | None

    @property
    def elapsed(self) -> int:
        """Whole business minutes used (the minute in progress does not count yet)."""
        return self.used // timedelta(minutes=1)

    @property
    def remaining(self) -> int:
        return self.minutes - self.elapsed

    @property
    def time_left(self) -> timedelta:
        """Business time left before the target is missed, exactly; never negative."""
        return max(timedelta(minutes=self.minutes) - self.used, timedelta())

    @property
    def overdue(self) -> bool:
        return self.running and not self.fulfilled and self.used >= timedelta(minutes=self.minutes)


def sla_clock(
    events: Iterable[SlaEvent], target: SlaTarget, now: datetime, calendar: BusinessCalendar
) -> SlaClock | None:
    """The state of ``target`` at ``now`` from its events (in order); None if never activated.

    A later ``activated`` (a reopened ticket) starts the clock afresh. Running stretches
    are summed to the microsecond: a ticket paused after every short exchange still
    uses up its time.
    """
    minutes: int | None = None
    used = timedelta()
    run_start: datetime | None = None
    fulfilled = breached = False
    for event in events:
        if event.target is not target:
            continue
        if event.kind is SlaEventKind.ACTIVATED:
            minutes, used, run_start = event.minutes or 0, timedelta(), event.at
            fulfilled = breached = False
        elif minutes is None:
            continue
        elif event.kind is SlaEventKind.PAUSED and run_start is not None and not fulfilled:
            used += business_time_between(run_start, event.at, calendar)
            run_start = None
        elif event.kind is SlaEventKind.RESUMED and run_start is None and not fulfilled:
            run_start = event.at
        elif event.kind is SlaEventKind.FULFILLED and not fulfilled:
            if run_start is not None:
                used += business_time_between(run_start, event.at, calendar)
            fulfilled, run_start = True, None
        elif event.kind is SlaEventKind.BREACHED:
            breached = True
    if minutes is None:
        return None
    running = run_start is not None
    total = used
    due_at: datetime | None = None
    if run_start is not None:
        total += business_time_between(run_start, now, calendar)
        left = max(timedelta(minutes=minutes) - used, timedelta())
        due_at = due_after(run_start, left, calendar)
    return SlaClock(target, minutes, total, running, fulfilled, breached, due_at)
