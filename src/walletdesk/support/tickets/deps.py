"""What every ticket use case needs: the database, the clock and the business calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from walletdesk.core.clock import Clock
from walletdesk.support.tickets.calendar import BusinessCalendar, china_calendar


@dataclass(frozen=True)
class TicketDeps:
    engine: Engine
    clock: Clock
    calendar: BusinessCalendar

    @classmethod
    def of(cls, engine: Engine, clock: Clock) -> TicketDeps:
        return cls(engine, clock, china_calendar())

    def now(self) -> datetime:
        return self.clock.now()
