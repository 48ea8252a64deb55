"""An alert's email can carry a Message-ID chosen when it is queued (outbox.enqueue), so
replies to it can be recognised: the dispatcher hands it to the carrier, every retry
sends the same one, and it never shows in the in-app inbox."""

from __future__ import annotations

from typing import Any

import pytest
from notify_world import (
    ALICE,
    ALICE_EMAIL,
    UpperBoundRandom,
    count_rows,
    enqueue_committed,
    inbox_of,
    outbox_row,
)
from sqlalchemy import Engine

from walletdesk.core.clock import FakeClock
from walletdesk.notify import tables as t
from walletdesk.notify.channels import DeliveryFailed, StoredSmsSender
from walletdesk.notify.dispatcher import Dispatcher
from walletdesk.notify.outbox import EMAIL_MESSAGE_ID

BACKENDS = ["sqlite", "postgres"]
NOTICE = {"ticket_number": "WD-000001", "subject": "退款"}
MESSAGE_ID = "<ticket-1-0123456789abcdef@tickets.walletdesk.invalid>"


class RecordingEmail:
    """An email carrier that keeps every call, failing the first ``failures``."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[dict[str, Any]] = []
        self.failures = failures

    def send(self, to: str, subject: str, body: str, *, message_id: str | None = None) -> None:
        self.calls.append({"to": to, "subject": subject, "message_id": message_id})
        if len(self.calls) <= self.failures:
            raise DeliveryFailed("carrier unavailable (simulated)")


def test_the_email_goes_out_with_the_message_id_and_the_inbox_never_sees_it(
    engine: Engine, clock: FakeClock, sms_twin: StoredSmsSender
) -> None:
    email = RecordingEmail(failures=1)
    dispatcher = Dispatcher(engine, clock, email, sms_twin, rng=UpperBoundRandom())
    alert_id = enqueue_committed(
        engine,
        clock,
        kind="ticket_reply",
        user_id=ALICE,
        locale="en",
        params=NOTICE,
        email=ALICE_EMAIL,
        email_message_id=MESSAGE_ID,
    )

    dispatcher.run_once()  # the carrier fails once...
    clock.advance(outbox_row(engine, alert_id).next_attempt_at - clock.now())
    dispatcher.run_once()  # ...and the retry sends the same Message-ID

    assert [call["message_id"] for call in email.calls] == [MESSAGE_ID, MESSAGE_ID]
    assert email.calls[-1]["subject"] == "New reply to your request WD-000001"
    [alert] = inbox_of(engine, ALICE)
    assert alert.payload == NOTICE
    assert outbox_row(engine, alert_id).status == "sent"


def test_an_alert_without_one_lets_the_carrier_choose(
    engine: Engine, clock: FakeClock, sms_twin: StoredSmsSender
) -> None:
    email = RecordingEmail()
    dispatcher = Dispatcher(engine, clock, email, sms_twin, rng=UpperBoundRandom())
    enqueue_committed(
        engine,
        clock,
        kind="ticket_reply",
        user_id=ALICE,
        locale="en",
        params=NOTICE,
        email=ALICE_EMAIL,
    )
    dispatcher.run_once()
    assert [call["message_id"] for call in email.calls] == [None]


@pytest.mark.parametrize(
    ("extra", "params", "error"),
    [
        ({"email_message_id": "ticket-1@x"}, NOTICE, "one <left@right> Message-ID"),
        ({"email_message_id": "<a b@x>"}, NOTICE, "one <left@right> Message-ID"),
        ({"email_message_id": "<a@b> <c@d>"}, NOTICE, "one <left@right> Message-ID"),
        ({"email_message_id": "<a@b@c>"}, NOTICE, "one <left@right> Message-ID"),
        ({}, {**NOTICE, EMAIL_MESSAGE_ID: MESSAGE_ID}, "not a parameter"),
    ],
)
def test_a_malformed_message_id_is_refused_and_nothing_is_queued(
    engine: Engine,
    clock: FakeClock,
    extra: dict[str, str],
    params: dict[str, str],
    error: str,
) -> None:
    with pytest.raises(ValueError, match=error):
        enqueue_committed(
            engine,
            clock,
            kind="ticket_reply",
            user_id=ALICE,
            locale="en",
            params=params,
            email=ALICE_EMAIL,
            **extra,
        )
    assert count_rows(engine, t.outbox) == 0
