"""Time-driven work nobody asks for: holds that expire, intents that time out, webhooks to
deliver, SLA targets that breach, idempotency keys past their 24 hours, throttle rows
whose window and lockout are over, and now and then a full check of the ledger's
invariants and a copy of the audit chain's head to the anchor file. One pass is
idempotent; the embedded server runs it in a thread, ``walletdesk worker`` in production.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from walletdesk.api.idempotency import purge_expired
from walletdesk.audit.anchors import append_anchor
from walletdesk.bootstrap import Container
from walletdesk.identity import throttle
from walletdesk.support.tickets.assignment import assign_waiting
from walletdesk.support.tickets.service import TicketDeps, detect_breaches
from walletdesk.wallet.payments import expire_due

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pass:
    holds_released: int
    intents_expired: int
    webhooks_sent: int
    sla_breaches: int
    # None when this pass did not check the ledger (it does so once per interval).
    ledger_problems: int | None = None
    # The seq this pass anchored; None when it wrote no anchor.
    audit_anchor_seq: int | None = None
    # Idempotency keys past their 24 hours, deleted.
    idempotency_keys_purged: int = 0
    # Login, step-up and SMS throttle rows that no longer count (window and lockout
    # over), deleted.
    throttle_rows_purged: int = 0
    # Waiting tickets given to agents with room (round-robin; support/tickets/assignment.py).
    tickets_assigned: int = 0


class Housekeeper:
    def __init__(self, container: Container) -> None:
        self.container = container
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_ledger_check = 0.0  # monotonic seconds; the first pass checks
        self._next_audit_anchor = 0.0

    def run_once(self) -> Pass:
        c = self.container
        return Pass(
            holds_released=c.ledger.expire_pending(),
            intents_expired=expire_due(c.wallet),
            webhooks_sent=c.webhooks.run_once(),
            sla_breaches=len(detect_breaches(TicketDeps.of(c.engine, c.clock))),
            ledger_problems=self.check_ledger_when_due(),
            audit_anchor_seq=self.anchor_audit_when_due(),
            idempotency_keys_purged=purge_expired(c.engine, c.clock.now()),
            throttle_rows_purged=throttle.purge_expired(c.identity),
            tickets_assigned=assign_waiting(TicketDeps.of(c.engine, c.clock)),
        )

    def check_ledger_when_due(self) -> int | None:
        """Run every ledger invariant once per ``ledger_check_interval_seconds``.

        No foreign key guards the ledger's rows any more (ADR 0002) and cached balances
        are trusted on every payment, so a full recompute on a schedule is what would
        notice a broken row. Problems are logged at ERROR for the operator's alerting.
        """
        interval = self.container.settings.ledger_check_interval_seconds
        now = time.monotonic()
        if interval <= 0 or now < self._next_ledger_check:
            return None
        self._next_ledger_check = now + interval
        problems = self.container.ledger.check_invariants()
        for problem in problems:
            log.error("ledger invariant broken: %s", problem)
        return len(problems)

    def anchor_audit_when_due(self) -> int | None:
        """Copy the audit chain's head to the anchor file once per interval, if it moved
        (see :mod:`walletdesk.audit.anchors`)."""
        settings = self.container.settings
        interval = settings.audit_anchor_interval_seconds
        now = time.monotonic()
        if interval <= 0 or not settings.audit_anchor_file or now < self._next_audit_anchor:
            return None
        self._next_audit_anchor = now + interval
        anchor = append_anchor(
            self.container.engine, Path(settings.audit_anchor_file), self.container.clock.now()
        )
        return None if anchor is None else anchor.seq

    def start(self, interval_seconds: float = 5.0) -> None:
        """Run passes in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.run_once()
                except Exception:  # a bad pass must not end the loop; the next one retries
                    log.exception("housekeeping pass failed")
                self._stop.wait(interval_seconds)

        self._thread = threading.Thread(target=loop, name="walletdesk-housekeeping", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
