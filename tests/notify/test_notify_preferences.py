"""Channel preferences: sensible defaults, per kind or per category, security stays in the inbox."""

from __future__ import annotations

import pytest
from notify_world import (
    ALICE,
    ALICE_EMAIL,
    ALICE_PHONE,
    BOB,
    INCOMING,
    count_rows,
    enqueue_committed,
    inbox_of,
    outbox_row,
)
from sqlalchemy import Engine

from walletdesk.core.clock import FakeClock
from walletdesk.core.errors import ValidationError
from walletdesk.db.transactions import run_transaction
from walletdesk.notify import tables as t
from walletdesk.notify.channels import StoredEmailSender, StoredSmsSender
from walletdesk.notify.dispatcher import Dispatcher
from walletdesk.notify.messages import AlertCategory, AlertKind, Channel
from walletdesk.notify.outbox import (
    PreferenceNotAdjustable,
    SecurityAlertsRequired,
    get_preferences,
    set_preference,
)
from walletdesk.notify.service import Notifications

ON_ALL = {Channel.INBOX: True, Channel.EMAIL: True, Channel.SMS: True}


def preferences(engine: Engine) -> dict[AlertKind, dict[Channel, bool]]:
    with engine.connect() as conn:
        return get_preferences(conn, ALICE)


def test_a_new_user_gets_the_default_channels(engine: Engine) -> None:
    prefs = preferences(engine)
    # Codes go where they were asked for, or nowhere: no preference to keep.
    assert AlertKind.VERIFICATION_CODE not in prefs
    assert AlertKind.TICKET_VERIFICATION_CODE not in prefs
    assert AlertKind.CONTACT_VERIFICATION_CODE not in prefs
    assert len(prefs) == len(AlertKind) - 3
    assert prefs[AlertKind.LOGIN_NEW_DEVICE] == ON_ALL
    assert prefs[AlertKind.KYC_TIER_CHANGED] == ON_ALL
    assert prefs[AlertKind.TRANSACTION] == {
        Channel.INBOX: True,
        Channel.EMAIL: False,
        Channel.SMS: True,
    }


def test_a_kind_can_be_switched_and_switched_back(engine: Engine) -> None:
    changed = run_transaction(
        engine, lambda conn: set_preference(conn, ALICE, "transaction", "email", True)
    )
    assert changed == [AlertKind.TRANSACTION]
    run_transaction(
        engine, lambda conn: set_preference(conn, ALICE, AlertKind.TRANSACTION, Channel.SMS, False)
    )
    assert preferences(engine)[AlertKind.TRANSACTION] == {
        Channel.INBOX: True,
        Channel.EMAIL: True,
        Channel.SMS: False,
    }
    run_transaction(
        engine, lambda conn: set_preference(conn, ALICE, AlertKind.TRANSACTION, Channel.SMS, True)
    )
    assert preferences(engine)[AlertKind.TRANSACTION][Channel.SMS] is True
    assert count_rows(engine, t.preferences) == 2


def test_a_whole_category_can_be_switched_at_once(engine: Engine) -> None:
    changed = run_transaction(
        engine,
        lambda conn: set_preference(conn, ALICE, AlertCategory.TRANSACTION, Channel.SMS, False),
    )
    assert changed == [AlertKind.TRANSACTION, AlertKind.REFUND_STATUS, AlertKind.PAYMENT_FAILED]
    prefs = preferences(engine)
    assert [prefs[kind][Channel.SMS] for kind in changed] == [False, False, False]
    with engine.connect() as conn:
        assert get_preferences(conn, BOB)[AlertKind.TRANSACTION][Channel.SMS] is True


def test_security_alerts_may_leave_email_but_never_the_inbox(engine: Engine) -> None:
    run_transaction(
        engine,
        lambda conn: set_preference(conn, ALICE, AlertCategory.SECURITY, Channel.EMAIL, False),
    )
    before = count_rows(engine, t.preferences)
    for target in (AlertCategory.SECURITY, "security", AlertKind.PASSWORD_CHANGED):
        with pytest.raises(SecurityAlertsRequired) as refused:
            run_transaction(
                engine,
                lambda conn, target=target: set_preference(
                    conn, ALICE, target, Channel.INBOX, False
                ),
            )
        assert refused.value.code == "security_alerts_required"
    assert count_rows(engine, t.preferences) == before
    assert preferences(engine)[AlertKind.PASSWORD_CHANGED] == {
        Channel.INBOX: True,
        Channel.EMAIL: False,
        Channel.SMS: True,
    }


@pytest.mark.parametrize(
    ("target", "channel", "error"),
    [
        ("verification_code", "sms", PreferenceNotAdjustable),
        ("no_such_kind", "sms", ValidationError),
        ("transaction", "pigeon", ValidationError),
    ],
)
def test_unadjustable_or_unknown_preferences_are_refused_and_nothing_is_written(
    engine: Engine, target: str, channel: str, error: type[ValidationError]
) -> None:
    with pytest.raises(error):
        run_transaction(engine, lambda conn: set_preference(conn, ALICE, target, channel, False))
    assert count_rows(engine, t.preferences) == 0


def test_the_dispatcher_honours_preferences(
    engine: Engine,
    clock: FakeClock,
    dispatcher: Dispatcher,
    email_twin: StoredEmailSender,
    sms_twin: StoredSmsSender,
) -> None:
    run_transaction(engine, lambda conn: set_preference(conn, ALICE, "transaction", "sms", False))
    run_transaction(engine, lambda conn: set_preference(conn, ALICE, "transaction", "email", True))
    run_transaction(
        engine, lambda conn: set_preference(conn, ALICE, "password_changed", "inbox", True)
    )
    run_transaction(
        engine, lambda conn: set_preference(conn, ALICE, "password_changed", "sms", False)
    )
    payment = enqueue_committed(
        engine,
        clock,
        kind="transaction",
        user_id=ALICE,
        locale="en",
        params=INCOMING,
        email=ALICE_EMAIL,
        phone=ALICE_PHONE,
    )
    password = enqueue_committed(
        engine,
        clock,
        kind="password_changed",
        user_id=ALICE,
        locale="en",
        params={"time": "2026-01-01T00:00:00+00:00"},
        email=ALICE_EMAIL,
        phone=ALICE_PHONE,
    )
    assert dispatcher.run_once() == 2

    assert outbox_row(engine, payment).delivered == "email,inbox"
    assert outbox_row(engine, password).delivered == "email,inbox"
    assert sms_twin.messages_to(ALICE_PHONE) == []
    assert [m.subject for m in email_twin.messages_to(ALICE_EMAIL)] == [
        "You received CNY 12.34",
        "Your password was changed",
    ]
    assert [alert.kind for alert in inbox_of(engine, ALICE)] == [
        AlertKind.PASSWORD_CHANGED,
        AlertKind.TRANSACTION,
    ]


def test_an_alert_everyone_opted_out_of_is_marked_sent_with_nothing_delivered(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    for channel in Channel:
        run_transaction(
            engine,
            lambda conn, channel=channel: set_preference(
                conn, ALICE, AlertKind.REFUND_STATUS, channel, False
            ),
        )
    alert_id = enqueue_committed(
        engine,
        clock,
        kind="refund_status",
        user_id=ALICE,
        locale="en",
        params={"status": "approved", "amount": "5.00", "currency": "CNY", "merchant": "Tea"},
        phone=ALICE_PHONE,
    )
    dispatcher.run_once()
    assert (outbox_row(engine, alert_id).status, outbox_row(engine, alert_id).delivered) == (
        "sent",
        "",
    )
    assert inbox_of(engine, ALICE) == []


def test_the_service_changes_one_switch_and_answers_with_the_new_preferences(
    engine: Engine, clock: FakeClock
) -> None:
    service = Notifications(engine, clock)
    prefs = service.do_set_preference(ALICE, "transaction", "email", True)
    assert prefs[AlertKind.TRANSACTION][Channel.EMAIL] is True
    assert service.get_preferences(ALICE) == prefs
    with pytest.raises(SecurityAlertsRequired):
        service.do_set_preference(ALICE, "security", "inbox", False)
    assert service.get_preferences(ALICE) == prefs
