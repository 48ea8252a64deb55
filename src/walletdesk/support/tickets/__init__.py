"""Tickets: one queue for every channel, with business-hours SLA clocks (DOMAIN.md §5)."""
