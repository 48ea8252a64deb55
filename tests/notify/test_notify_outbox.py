"""Enqueueing alerts in the caller's transaction, and reading the in-app inbox."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from notify_world import (
    ALICE,
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
from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.db.transactions import run_transaction
from walletdesk.notify import tables as t
from walletdesk.notify.dispatcher import Dispatcher
from walletdesk.notify.outbox import enqueue, list_alerts, mark_read, unread_count
from walletdesk.notify.service import Notifications


class ChangeFailed(Exception):
    """The use case's own failure, after it had enqueued its alert."""


def test_an_alert_enqueued_in_a_rolled_back_transaction_does_not_exist(
    engine: Engine, clock: FakeClock
) -> None:
    def change_then_fail(conn: object) -> None:
        enqueue(
            conn,  # type: ignore[arg-type]
            kind="password_changed",
            user_id=ALICE,
            locale="en",
            params={"time": clock.now().isoformat()},
            now=clock.now(),
        )
        raise ChangeFailed

    with pytest.raises(ChangeFailed):
        run_transaction(engine, change_then_fail)  # type: ignore[arg-type]
    assert count_rows(engine, t.outbox) == 0


def test_an_alert_enqueued_in_a_committed_transaction_waits_as_pending(
    engine: Engine, clock: FakeClock
) -> None:
    alert_id = enqueue_committed(
        engine,
        clock,
        kind="transaction",
        user_id=ALICE,
        locale="zh",
        params=INCOMING,
        phone=ALICE_PHONE,
    )
    row = outbox_row(engine, alert_id)
    assert (row.kind, row.user_id, row.locale, row.status, row.attempts) == (
        "transaction",
        ALICE,
        "zh-CN",
        "pending",
        0,
    )
    assert row.payload == INCOMING
    assert (row.email, row.phone) == (None, ALICE_PHONE)
    assert (row.channels, row.delivered) == ("inbox,sms", "")
    assert row.next_attempt_at == row.created_at == clock.now()
    assert row.sent_at is None


@pytest.mark.parametrize(
    "params",
    [
        {"time": "now", "password": "hunter2"},
        {"time": "now", "token": "abc"},
        {"time": "now", "client_secret": "abc"},
        {"time": "now", "card_number": "4111111111111111"},
        {"time": "now", "pan": "4111111111111111"},
        {"time": "now", "code": "123456"},
        {"time": "now", "device": {"session_token": "abc"}},
    ],
)
def test_secret_looking_params_are_refused_and_nothing_is_written(
    engine: Engine, clock: FakeClock, params: dict[str, object]
) -> None:
    with pytest.raises(ValueError, match="look like secrets") as refused:
        enqueue_committed(
            engine, clock, kind="password_changed", user_id=ALICE, locale="en", params=params
        )
    assert "hunter2" not in str(refused.value)
    assert "4111" not in str(refused.value)
    assert count_rows(engine, t.outbox) == 0


def test_a_verification_code_may_carry_its_code_but_nothing_else_secret(
    engine: Engine, clock: FakeClock
) -> None:
    alert_id = enqueue_committed(
        engine,
        clock,
        kind="verification_code",
        user_id=ALICE,
        locale="en",
        params={"code": "482913", "minutes": 5},
        phone=ALICE_PHONE,
    )
    assert outbox_row(engine, alert_id).payload == {"code": "482913", "minutes": 5}
    with pytest.raises(ValueError, match="look like secrets: password"):
        enqueue_committed(
            engine,
            clock,
            kind="verification_code",
            user_id=ALICE,
            locale="en",
            params={"code": "482913", "minutes": 5, "password": "x"},
            phone=ALICE_PHONE,
        )
    assert count_rows(engine, t.outbox) == 1


@pytest.mark.parametrize(
    ("kind", "params", "destinations", "message"),
    [
        ("no_such_kind", {}, {}, "unknown alert kind"),
        ("transaction", {"direction": "in"}, {}, "missing parameters amount, counterparty"),
        ("password_changed", {"time": ("a", "b")}, {}, "plain JSON"),
        ("password_changed", {"time": float("nan")}, {}, "plain JSON"),
        ("password_changed", {"time": object()}, {}, "plain JSON"),
        ("transaction", {**INCOMING, "direction": "back"}, {}, "'direction' must be one of"),
        ("verification_code", {"code": "1", "minutes": 5}, {}, "needs an email or phone"),
    ],
)
def test_an_alert_that_could_not_be_delivered_is_refused_at_enqueue(
    engine: Engine,
    clock: FakeClock,
    kind: str,
    params: dict[str, object],
    destinations: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        enqueue_committed(
            engine, clock, kind=kind, user_id=ALICE, locale="en", params=params, **destinations
        )
    assert count_rows(engine, t.outbox) == 0


def test_an_alert_for_nobody_at_no_address_is_refused(engine: Engine, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="nowhere to go"):
        enqueue_committed(
            engine, clock, kind="account_unfrozen", user_id=None, locale="en", params={}
        )
    assert count_rows(engine, t.outbox) == 0


def test_list_alerts_pages_through_the_inbox_newest_first(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    for number in range(25):
        enqueue_committed(
            engine,
            clock,
            kind="transaction",
            user_id=ALICE,
            locale="en",
            params={**INCOMING, "amount": f"{number}.00"},
        )
        clock.advance(timedelta(seconds=1))
    enqueue_committed(engine, clock, kind="transaction", user_id=BOB, locale="en", params=INCOMING)
    assert dispatcher.run_once() == 26

    amounts: list[list[str]] = []
    cursor: str | None = None
    with engine.connect() as conn:
        while True:
            items, cursor = list_alerts(conn, ALICE, limit=10, cursor=cursor)
            amounts.append([item.payload["amount"] for item in items])
            if cursor is None:
                break
    assert amounts == [
        [f"{n}.00" for n in range(24, 14, -1)],
        [f"{n}.00" for n in range(14, 4, -1)],
        [f"{n}.00" for n in range(4, -1, -1)],
    ]


def test_a_full_last_page_has_no_next_cursor(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    for _ in range(2):
        enqueue_committed(
            engine, clock, kind="transaction", user_id=ALICE, locale="en", params=INCOMING
        )
    dispatcher.run_once()
    with engine.connect() as conn:
        items, cursor = list_alerts(conn, ALICE, limit=2)
    assert (len(items), cursor) == (2, None)


@pytest.mark.parametrize(("limit", "cursor"), [(0, None), (101, None), (10, "zz"), (10, "-5")])
def test_list_alerts_refuses_a_bad_limit_or_a_cursor_it_did_not_issue(
    engine: Engine, limit: int, cursor: str | None
) -> None:
    with engine.connect() as conn, pytest.raises(ValidationError):
        list_alerts(conn, ALICE, limit=limit, cursor=cursor)


def test_mark_read_keeps_the_first_read_time_and_hides_other_peoples_alerts(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    alert_id = enqueue_committed(
        engine, clock, kind="account_unfrozen", user_id=ALICE, locale="en", params={}
    )
    dispatcher.run_once()
    first_read = clock.advance(timedelta(minutes=1))
    run_transaction(engine, lambda conn: mark_read(conn, ALICE, alert_id, now=clock.now()))
    clock.advance(timedelta(minutes=1))
    run_transaction(engine, lambda conn: mark_read(conn, ALICE, alert_id, now=clock.now()))
    with pytest.raises(NotFound):
        run_transaction(engine, lambda conn: mark_read(conn, BOB, alert_id, now=clock.now()))
    with pytest.raises(NotFound):
        run_transaction(engine, lambda conn: mark_read(conn, ALICE, uuid.uuid4(), now=clock.now()))
    assert [alert.read_at for alert in inbox_of(engine, ALICE)] == [first_read]
    with engine.connect() as conn:
        assert unread_count(conn, ALICE) == 0


def test_blank_destinations_count_as_none(engine: Engine, clock: FakeClock) -> None:
    alert_id = enqueue_committed(
        engine,
        clock,
        kind="account_unfrozen",
        user_id=ALICE,
        locale="en",
        params={},
        email="  ",
        phone="",
    )
    row = outbox_row(engine, alert_id)
    assert (row.email, row.phone, row.channels) == (None, None, "inbox")


def test_the_service_lists_counts_and_marks_alerts_read(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    service = Notifications(engine, clock)
    first = enqueue_committed(
        engine, clock, kind="account_unfrozen", user_id=ALICE, locale="en", params={}
    )
    enqueue_committed(
        engine, clock, kind="transaction", user_id=ALICE, locale="en", params=INCOMING
    )
    dispatcher.run_once()
    assert service.get_unread_count(ALICE) == 2
    service.do_mark_read(ALICE, first)
    items, cursor = service.get_alerts(ALICE, limit=1)
    assert ([item.kind for item in items], cursor is not None) == (["transaction"], True)
    items, cursor = service.get_alerts(ALICE, limit=1, cursor=cursor)
    assert ([(item.id, item.read_at) for item in items], cursor) == ([(first, clock.now())], None)
    assert service.get_unread_count(ALICE) == 1
    with pytest.raises(NotFound):
        service.do_mark_read(BOB, first)
