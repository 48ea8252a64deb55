"""The inbox and preferences as use cases, for thin entry points (api, web, cli).

Each method is one unit of work. Other contexts do not use this class to raise
alerts: they call :func:`walletdesk.notify.outbox.enqueue` on their own
connection, inside the transaction of the change being reported.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, Engine

from walletdesk.core.clock import Clock
from walletdesk.db.transactions import run_transaction
from walletdesk.notify import outbox
from walletdesk.notify.messages import AlertCategory, AlertKind, Channel
from walletdesk.notify.outbox import InboxAlert


class Notifications:
    """A user's in-app alerts and channel preferences."""

    def __init__(self, engine: Engine, clock: Clock, *, retries: int = 12) -> None:
        self.engine = engine
        self.clock = clock
        self.retries = retries

    def get_alerts(
        self, user_id: uuid.UUID, *, limit: int = 20, cursor: str | None = None
    ) -> tuple[list[InboxAlert], str | None]:
        """Newest first; see :func:`walletdesk.notify.outbox.list_alerts`."""
        with self.engine.connect() as conn:
            return outbox.list_alerts(conn, user_id, limit, cursor)

    def get_unread_count(self, user_id: uuid.UUID) -> int:
        with self.engine.connect() as conn:
            return outbox.unread_count(conn, user_id)

    def do_mark_read(self, user_id: uuid.UUID, alert_id: uuid.UUID) -> None:
        """Raises NotFound when the alert is not the user's."""
        now = self.clock.now()
        run_transaction(
            self.engine,
            lambda conn: outbox.mark_read(conn, user_id, alert_id, now=now),
            retries=self.retries,
        )

    def get_preferences(self, user_id: uuid.UUID) -> dict[AlertKind, dict[Channel, bool]]:
        with self.engine.connect() as conn:
            return outbox.get_preferences(conn, user_id)

    def do_set_preference(
        self,
        user_id: uuid.UUID,
        kind_or_category: AlertKind | AlertCategory | str,
        channel: Channel | str,
        enabled: bool,
    ) -> dict[AlertKind, dict[Channel, bool]]:
        """Change one switch and return the preferences as they now stand.

        Raises SecurityAlertsRequired, PreferenceNotAdjustable or ValidationError,
        changing nothing.
        """

        def work(conn: Connection) -> dict[AlertKind, dict[Channel, bool]]:
            outbox.set_preference(conn, user_id, kind_or_category, channel, enabled)
            return outbox.get_preferences(conn, user_id)

        return run_transaction(self.engine, work, retries=self.retries)
