"""Draining the outbox: claim due rows, deliver each channel once, retry what failed.

One pass (:meth:`Dispatcher.run_once`):

1. **Claim**, in one short transaction: due rows in a live state, oldest first,
   locked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several workers split
   the work (SQLite's ``BEGIN IMMEDIATE`` already serialises claimers). In the
   same transaction the in-app alert is written and recorded in ``delivered``,
   and rows that still need email or SMS are leased by moving
   ``next_attempt_at`` past the time a batch takes, so no other worker takes them.
2. **Send** email and SMS with no transaction open: a slow carrier never holds
   database locks, and SQLite's single writer stays free for everyone else.
3. **Finish** each row in its own transaction: channels that went out join
   ``delivered``; if one failed the row is rescheduled with exponential backoff
   and jitter, or marked dead after ``max_attempts`` failures.

Delivery is at least once per channel: a crash between a send and its finish
repeats that send after the lease expires. The inbox alert is never duplicated:
its id is the outbox row's id.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from walletdesk.core.clock import Clock
from walletdesk.db.transactions import run_transaction
from walletdesk.notify import tables as t
from walletdesk.notify.channels import EmailSender, SmsSender
from walletdesk.notify.delivery import (
    LIVE_STATUSES,
    OutboxStatus,
    format_channels,
    parse_channels,
    redacted,
    retry_delay_seconds,
    status_after_failure,
)
from walletdesk.notify.messages import AlertKind, Channel, render, sms_text
from walletdesk.notify.outbox import (
    EMAIL_MESSAGE_ID,
    allowed_channels,
    load_overrides,
    write_inbox_alert,
)

logger = logging.getLogger(__name__)

_MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class _Job:
    """A claimed row that still needs email and/or SMS."""

    id: uuid.UUID
    kind: AlertKind
    locale: str
    params: dict[str, Any]
    email: str | None
    phone: str | None
    title: str
    body: str
    message_id: str | None  # the email's own Message-ID, when the alert asked for one
    to_send: frozenset[Channel]
    delivered: frozenset[Channel]
    attempts: int


class Dispatcher:
    """Delivers outbox rows to the inbox, email and SMS.

    ``retry_base_seconds`` / ``retry_cap_seconds`` shape the backoff between failed
    attempts; ``lease_seconds`` must exceed the time one batch of sends can take
    (``limit`` x the senders' timeouts), or a slow batch may be claimed twice.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        email: EmailSender,
        sms: SmsSender,
        max_attempts: int = 8,
        *,
        retry_base_seconds: float = 30.0,
        retry_cap_seconds: float = 3600.0,
        lease_seconds: float = 600.0,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.engine = engine
        self.clock = clock
        self.email = email
        self.sms = sms
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.retry_cap_seconds = retry_cap_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self._rng = rng or random.Random()
        self._guard = threading.Lock()
        self._stop_requested = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one pass ---------------------------------------------------------------------

    def run_once(self, limit: int = 100) -> int:
        """Claim up to ``limit`` due rows and deliver them; return how many were claimed.

        A return value equal to ``limit`` means more rows may be due right now.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        now = self.clock.now()
        jobs, claimed = run_transaction(self.engine, lambda conn: self._claim(conn, now, limit))
        for job in jobs:
            try:
                self._deliver(job)
            except Exception:
                # The row stays leased and is retried when the lease ends; the rest
                # of the batch still goes out.
                logger.exception("notify: finishing outbox row %s failed", job.id)
        return claimed

    def _claim(self, conn: Connection, now: datetime, limit: int) -> tuple[list[_Job], int]:
        stmt = (
            select(t.outbox)
            .where(
                t.outbox.c.status.in_([s.value for s in LIVE_STATUSES]),
                t.outbox.c.next_attempt_at <= now,
            )
            .order_by(t.outbox.c.next_attempt_at, t.outbox.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)  # SQLite compiles this to nothing
        )
        rows = conn.execute(stmt).all()
        overrides = load_overrides(conn, {row.user_id for row in rows if row.user_id is not None})
        jobs: list[_Job] = []
        for row in rows:
            job = self._claim_row(conn, row, now, overrides.get(row.user_id, {}))
            if job is not None:
                jobs.append(job)
        return jobs, len(rows)

    def _claim_row(
        self,
        conn: Connection,
        row: Any,
        now: datetime,
        overrides: dict[tuple[AlertKind, Channel], bool],
    ) -> _Job | None:
        params: dict[str, Any] = dict(row.payload)
        try:
            kind = AlertKind(row.kind)
            title, body = render(kind, row.locale, params, at=row.created_at)
        except ValueError as exc:
            # Enqueue checked the parameters, so only a catalogue change gets here;
            # retrying cannot help.
            self._set(
                conn,
                row.id,
                status=OutboxStatus.DEAD.value,
                last_error=f"cannot render: {exc}"[:_MAX_ERROR],
            )
            logger.error("notify: outbox row %s cannot be rendered", row.id)
            return None
        delivered = parse_channels(row.delivered)
        wanted = allowed_channels(kind, parse_channels(row.channels), overrides)
        todo = wanted - delivered
        if Channel.INBOX in todo and row.user_id is not None:
            write_inbox_alert(
                conn,
                outbox_id=row.id,
                outbox_seq=row.seq,
                user_id=row.user_id,
                kind=kind,
                title=title,
                body=body,
                payload={k: v for k, v in params.items() if k != EMAIL_MESSAGE_ID},
                created_at=row.created_at,
            )
            delivered |= {Channel.INBOX}
        to_send = todo - {Channel.INBOX}
        if not to_send:
            self._set(
                conn,
                row.id,
                status=OutboxStatus.SENT.value,
                sent_at=now,
                delivered=format_channels(delivered),
                payload=redacted(kind, params),
            )
            return None
        self._set(
            conn, row.id, next_attempt_at=now + self.lease, delivered=format_channels(delivered)
        )
        return _Job(
            id=row.id,
            kind=kind,
            locale=row.locale,
            params=params,
            email=row.email,
            phone=row.phone,
            title=title,
            body=body,
            message_id=params.get(EMAIL_MESSAGE_ID),
            to_send=to_send,
            delivered=delivered,
            attempts=row.attempts,
        )

    def _deliver(self, job: _Job) -> None:
        sent: set[Channel] = set()
        errors: list[str] = []
        for channel in sorted(job.to_send):
            try:
                if channel is Channel.EMAIL and job.email is not None:
                    self.email.send(job.email, job.title, job.body, message_id=job.message_id)
                elif channel is Channel.SMS and job.phone is not None:
                    self.sms.send(job.phone, sms_text(job.locale, job.body))
            except Exception as exc:
                # Any carrier failure, expected or not, is a failed attempt: the
                # row must survive it and be retried.
                errors.append(f"{channel}: {type(exc).__name__}: {exc}")
                logger.warning(
                    "notify: %s delivery of outbox row %s failed (%s)",
                    channel,
                    job.id,
                    type(exc).__name__,
                )
            else:
                sent.add(channel)
        now = self.clock.now()
        values: dict[str, Any] = {"delivered": format_channels(job.delivered | sent)}
        if not errors:
            values |= {
                "status": OutboxStatus.SENT.value,
                "sent_at": now,
                "payload": redacted(job.kind, job.params),
            }
        else:
            attempts = job.attempts + 1
            status = status_after_failure(attempts, self.max_attempts)
            values |= {
                "status": status.value,
                "attempts": attempts,
                "last_error": "; ".join(errors)[:_MAX_ERROR],
            }
            if status is OutboxStatus.DEAD:
                values["payload"] = redacted(job.kind, job.params)
                logger.error("notify: outbox row %s is dead after %d attempts", job.id, attempts)
            else:
                delay = retry_delay_seconds(
                    attempts,
                    base=self.retry_base_seconds,
                    cap=self.retry_cap_seconds,
                    rng=self._rng,
                )
                values["next_attempt_at"] = now + timedelta(seconds=delay)
        run_transaction(self.engine, lambda conn: self._set(conn, job.id, **values))

    @staticmethod
    def _set(conn: Connection, outbox_id: uuid.UUID, **values: Any) -> None:
        # Only live rows change: an operator who marked a row dead meanwhile wins.
        conn.execute(
            update(t.outbox)
            .where(
                t.outbox.c.id == outbox_id,
                t.outbox.c.status.in_([s.value for s in LIVE_STATUSES]),
            )
            .values(**values)
        )

    # -- running in the background ----------------------------------------------------

    @property
    def running(self) -> bool:
        with self._guard:
            return self._thread is not None and self._thread.is_alive()

    def start(self, interval_seconds: float = 1.0, *, limit: int = 100) -> None:
        """Run passes in a daemon thread every ``interval_seconds`` (at once while
        full batches keep coming) until :meth:`stop`. Raises RuntimeError if running."""
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        with self._guard:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError("the dispatcher is already running")
            self._stop_requested = threading.Event()
            self._thread = threading.Thread(
                target=self._loop,
                args=(interval_seconds, limit, self._stop_requested),
                name="walletdesk-notify-dispatcher",
                daemon=True,
            )
            self._thread.start()

    def serve_forever(
        self,
        interval_seconds: float = 1.0,
        *,
        limit: int = 100,
        stop_requested: threading.Event | None = None,
    ) -> None:
        """Like :meth:`start` but in the calling thread (``walletdesk worker``); returns
        once ``stop_requested`` is set or :meth:`stop` is called from another thread.

        Pass your own ``stop_requested`` when a signal may ask for the stop: an event
        made before the handler is installed cannot miss a signal that arrives before
        this loop begins. Set it from another thread, not in the handler itself (the
        handler runs on the thread that may be holding the event's lock).
        """
        if interval_seconds <= 0:
            raise ValueError("interval_seconds must be positive")
        if stop_requested is None:
            stop_requested = threading.Event()
        with self._guard:
            self._stop_requested = stop_requested
        self._loop(interval_seconds, limit, stop_requested)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end after the pass in progress; wait up to ``timeout`` seconds
        for the background thread."""
        with self._guard:
            self._stop_requested.set()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _loop(self, interval: float, limit: int, stop_requested: threading.Event) -> None:
        while not stop_requested.is_set():
            try:
                claimed = self.run_once(limit)
            except Exception:
                # A database outage must not kill the worker; try again next interval.
                logger.exception("notify: dispatch pass failed")
                claimed = 0
            if claimed < limit:
                stop_requested.wait(interval)
