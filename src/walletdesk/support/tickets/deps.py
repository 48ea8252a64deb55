"""What every ticket use case needs: the database, the clock and the business calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from walletdesk.core.clock import Clock
from walletdesk.settings import Settings
from walletdesk.support.tickets.calendar import BusinessCalendar, china_calendar


@dataclass(frozen=True)
class TicketDeps:
    engine: Engine
    clock: Clock
    calendar: BusinessCalendar
    # With both set, the "solved" notice carries a signed CSAT link to {public_url}/csat/...;
    # without them (tools, benchmarks) it asks the customer to rate in the app.
    csat_secret: bytes | None = None
    public_url: str = ""

    @classmethod
    def of(cls, engine: Engine, clock: Clock, settings: Settings | None = None) -> TicketDeps:
        if settings is None:
            return cls(engine, clock, china_calendar())
        return cls(
            engine,
            clock,
            china_calendar(),
            csat_secret=settings.csat_secret.get_secret_value().encode(),
            public_url=settings.public_url.rstrip("/"),
        )

    def now(self) -> datetime:
        return self.clock.now()
