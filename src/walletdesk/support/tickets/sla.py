"""SLA clocks computed from their stored events (activated, paused, resumed, fulfilled,
breached). Pure: the caller passes the events, the moment and the calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from walletdesk.support.tickets.calendar import BusinessCalendar, business_minutes_between, due
from walletdesk.support.tickets.rules import SlaEventKind, SlaTarget


@dataclass(frozen=True, slots=True)
class SlaEvent:
    kind: SlaEventKind
    target: SlaTarget
    at: datetime
    minutes: int | None = None


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One target's clock: business minutes used so far, and when it runs out if running."""

    target: SlaTarget
    minutes: int
    elapsed: int
    running: bool
    fulfilled: bool
    breached: bool
    due: datetime | None

    @property
    def remaining(self) -> int:
        return self.minutes - self.elapsed

    @property
    def overdue(self) -> bool:
        return self.running and not self.fulfilled and self.remaining <= 0


def sla_clock(
    events: Iterable[SlaEvent], target: SlaTarget, now: datetime, calendar: BusinessCalendar
) -> SlaClock | None:
    """The state of ``target`` at ``now`` from its events (in order); None if never activated.

    A later ``activated`` (a reopened ticket) starts the clock afresh.
    """
    minutes: int | None = None
    used = 0
    run_start: datetime | None = None
    fulfilled = breached = False
    for event in events:
        if event.target is not target:
            continue
        if event.kind is SlaEventKind.ACTIVATED:
            minutes, used, run_start = event.minutes or 0, 0, event.at
            fulfilled = breached = False
        elif minutes is None:
            continue
        elif event.kind is SlaEventKind.PAUSED and run_start is not None and not fulfilled:
            used += business_minutes_between(run_start, event.at, calendar)
            run_start = None
        elif event.kind is SlaEventKind.RESUMED and run_start is None and not fulfilled:
            run_start = event.at
        elif event.kind is SlaEventKind.FULFILLED and not fulfilled:
            if run_start is not None:
                used += business_minutes_between(run_start, event.at, calendar)
            fulfilled, run_start = True, None
        elif event.kind is SlaEventKind.BREACHED:
            breached = True
    if minutes is None:
        return None
    running = run_start is not None
    elapsed = used
    due_at: datetime | None = None
    if run_start is not None:
        elapsed += business_minutes_between(run_start, now, calendar)
        due_at = due(run_start, max(minutes - used, 0), calendar)
    return SlaClock(target, minutes, elapsed, running, fulfilled, breached, due_at)
