"""The dispatcher: delivering committed alerts to the inbox, email and SMS, and retrying."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from notify_world import (
    ALICE,
    ALICE_EMAIL,
    ALICE_PHONE,
    INCOMING,
    UpperBoundRandom,
    count_rows,
    enqueue_committed,
    inbox_of,
    outbox_row,
)
from sqlalchemy import Engine

from walletdesk.core.clock import FakeClock
from walletdesk.notify import tables as t
from walletdesk.notify.channels import StoredEmailSender, StoredSmsSender
from walletdesk.notify.dispatcher import Dispatcher

LOGIN = {"device": "Pixel 8", "ip": "203.0.113.7", "time": "2026-01-01T08:30:00+00:00"}


def test_a_security_alert_reaches_the_inbox_email_and_sms_in_english(
    engine: Engine,
    clock: FakeClock,
    dispatcher: Dispatcher,
    email_twin: StoredEmailSender,
    sms_twin: StoredSmsSender,
) -> None:
    alert_id = enqueue_committed(
        engine,
        clock,
        kind="login_new_device",
        user_id=ALICE,
        locale="en",
        params=LOGIN,
        email=ALICE_EMAIL,
        phone=ALICE_PHONE,
    )
    assert dispatcher.run_once() == 1

    [alert] = inbox_of(engine, ALICE)
    assert alert.id == alert_id
    assert alert.title == "New sign-in on Pixel 8"
    assert alert.body.startswith(
        "Your walletdesk account was signed in on Pixel 8 at "
        "1 Jan 2026, 08:30 UTC. If this was you, you don't need to do anything. "
        "If this wasn't you, change your password now"
    )
    assert alert.payload == LOGIN
    assert alert.read_at is None
    [email] = email_twin.messages_to(ALICE_EMAIL)
    assert (email.subject, email.body) == (alert.title, alert.body)
    [sms] = sms_twin.messages_to(ALICE_PHONE)
    assert sms.body == f"walletdesk: {alert.body}"
    row = outbox_row(engine, alert_id)
    assert (row.status, row.delivered, row.attempts, row.sent_at) == (
        "sent",
        "email,inbox,sms",
        0,
        clock.now(),
    )


def test_a_zh_cn_user_gets_the_alert_in_chinese_everywhere(
    engine: Engine,
    clock: FakeClock,
    dispatcher: Dispatcher,
    email_twin: StoredEmailSender,
    sms_twin: StoredSmsSender,
) -> None:
    enqueue_committed(
        engine,
        clock,
        kind="login_new_device",
        user_id=ALICE,
        locale="zh-CN",
        params=LOGIN,
        email=ALICE_EMAIL,
        phone=ALICE_PHONE,
    )
    dispatcher.run_once()

    [alert] = inbox_of(engine, ALICE)
    assert alert.title == "新设备登录：Pixel 8"
    assert alert.body.startswith(
        "您的 walletdesk 账户于 2026年1月1日 08:30 UTC 在 Pixel 8 上登录。"
        "如果是您本人操作，无需处理。如果这不是您本人的操作，请立即修改密码"
    )
    assert "walletdesk 绝不会通过电话、短信、邮件或聊天向您索要密码或验证码" in alert.body
    assert email_twin.messages_to(ALICE_EMAIL)[0].subject == "新设备登录：Pixel 8"
    assert sms_twin.messages_to(ALICE_PHONE)[0].body == f"【walletdesk】{alert.body}"


def test_a_verification_code_goes_only_to_its_destination_and_is_blanked_once_sent(
    engine: Engine,
    clock: FakeClock,
    dispatcher: Dispatcher,
    email_twin: StoredEmailSender,
    sms_twin: StoredSmsSender,
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
    dispatcher.run_once()

    assert inbox_of(engine, ALICE) == []
    assert email_twin.messages_to(ALICE_EMAIL) == []
    [sms] = sms_twin.messages_to(ALICE_PHONE)
    assert sms.body.startswith(
        "walletdesk: 482913 is your walletdesk verification code. It expires in 5 minutes. "
        "Never share it with anyone: walletdesk staff will never ask for it."
    )
    row = outbox_row(engine, alert_id)
    assert (row.status, row.delivered) == ("sent", "sms")
    assert row.payload == {"code": "[redacted]", "minutes": 5}


def test_a_ticket_code_says_where_to_enter_it_and_is_blanked_once_sent(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher, sms_twin: StoredSmsSender
) -> None:
    alert_id = enqueue_committed(
        engine,
        clock,
        kind="ticket_verification_code",
        user_id=ALICE,
        locale="en",
        params={"code": "482913", "minutes": 5, "ticket_number": "WD-000042"},
        phone=ALICE_PHONE,
    )
    dispatcher.run_once()

    assert inbox_of(engine, ALICE) == []
    [sms] = sms_twin.messages_to(ALICE_PHONE)
    assert sms.body.startswith(
        "walletdesk: 482913 confirms it's you on walletdesk ticket WD-000042. Enter it only "
        "on that ticket in the walletdesk app or website"
    )
    row = outbox_row(engine, alert_id)
    assert (row.status, row.delivered) == ("sent", "sms")
    assert row.payload == {"code": "[redacted]", "minutes": 5, "ticket_number": "WD-000042"}


def test_a_channel_without_a_destination_is_skipped_and_the_time_is_when_it_was_enqueued(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher, sms_twin: StoredSmsSender
) -> None:
    alert_id = enqueue_committed(
        engine,
        clock,
        kind="password_changed",
        user_id=ALICE,
        locale="en",
        params={"sessions_ended": 2},
        phone=ALICE_PHONE,
    )
    clock.advance(timedelta(hours=3))
    dispatcher.run_once()
    [sms] = sms_twin.messages_to(ALICE_PHONE)
    assert sms.body.startswith(
        "walletdesk: The password for your walletdesk account was changed at 1 Jan 2026, 00:00 UTC."
    )
    assert (outbox_row(engine, alert_id).status, outbox_row(engine, alert_id).delivered) == (
        "sent",
        "inbox,sms",
    )
    assert count_rows(engine, t.messages) == 1


def test_a_failing_sms_is_retried_with_backoff_without_repeating_the_inbox_or_email(
    engine: Engine,
    clock: FakeClock,
    dispatcher: Dispatcher,
    email_twin: StoredEmailSender,
    sms_twin: StoredSmsSender,
) -> None:
    alert_id = enqueue_committed(
        engine,
        clock,
        kind="login_new_device",
        user_id=ALICE,
        locale="en",
        params=LOGIN,
        email=ALICE_EMAIL,
        phone=ALICE_PHONE,
    )
    sms_twin.fail_next(2)
    start = clock.now()

    assert dispatcher.run_once() == 1
    row = outbox_row(engine, alert_id)
    assert (row.status, row.attempts, row.delivered) == ("failed", 1, "email,inbox")
    assert row.next_attempt_at == start + timedelta(seconds=30)
    assert row.last_error == "sms: DeliveryFailed: sms: carrier unavailable (simulated)"

    clock.advance(timedelta(seconds=29))
    assert dispatcher.run_once() == 0  # not due yet

    clock.advance(timedelta(seconds=1))
    assert dispatcher.run_once() == 1
    row = outbox_row(engine, alert_id)
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=60)

    clock.advance(timedelta(seconds=60))
    assert dispatcher.run_once() == 1
    row = outbox_row(engine, alert_id)
    assert (row.status, row.attempts, row.delivered) == ("sent", 2, "email,inbox,sms")
    assert len(inbox_of(engine, ALICE)) == 1
    assert len(email_twin.messages_to(ALICE_EMAIL)) == 1
    assert len(sms_twin.messages_to(ALICE_PHONE)) == 1


def test_an_sms_that_keeps_failing_ends_dead_after_max_attempts(
    engine: Engine,
    clock: FakeClock,
    email_twin: StoredEmailSender,
    sms_twin: StoredSmsSender,
) -> None:
    dispatcher = Dispatcher(
        engine, clock, email_twin, sms_twin, max_attempts=3, rng=UpperBoundRandom()
    )
    alert_id = enqueue_committed(
        engine,
        clock,
        kind="transaction",
        user_id=ALICE,
        locale="en",
        params=INCOMING,
        phone=ALICE_PHONE,
    )
    sms_twin.fail_next(100)
    for _ in range(3):
        assert dispatcher.run_once() == 1
        clock.advance(timedelta(hours=2))

    row = outbox_row(engine, alert_id)
    assert (row.status, row.attempts, row.delivered) == ("dead", 3, "inbox")
    assert dispatcher.run_once() == 0
    assert len(inbox_of(engine, ALICE)) == 1
    assert sms_twin.messages_to(ALICE_PHONE) == []


def test_an_alert_is_not_sent_before_it_is_due_nor_after_it_is_sent(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    enqueue_committed(engine, clock, kind="account_unfrozen", user_id=ALICE, locale="en", params={})
    assert dispatcher.run_once() == 1
    assert dispatcher.run_once() == 0
    assert len(inbox_of(engine, ALICE)) == 1


def test_run_once_claims_at_most_limit_rows(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    for _ in range(5):
        enqueue_committed(
            engine, clock, kind="account_unfrozen", user_id=ALICE, locale="en", params={}
        )
    assert [dispatcher.run_once(limit=2) for _ in range(4)] == [2, 2, 1, 0]
    assert len(inbox_of(engine, ALICE)) == 5


def test_two_dispatchers_working_at_once_deliver_each_alert_exactly_once(
    engine: Engine, clock: FakeClock, email_twin: StoredEmailSender, sms_twin: StoredSmsSender
) -> None:
    phones = [f"+86138000{n:05d}" for n in range(30)]
    for phone in phones:
        enqueue_committed(
            engine,
            clock,
            kind="transaction",
            user_id=ALICE,
            locale="en",
            params=INCOMING,
            phone=phone,
        )
    workers = [Dispatcher(engine, clock, email_twin, sms_twin) for _ in range(2)]
    claimed = [0, 0]
    errors: list[BaseException] = []

    def drain(index: int) -> None:
        try:
            while (count := workers[index].run_once(limit=3)) > 0:
                claimed[index] += count
        except BaseException as exc:  # surfaced to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(claimed) == 30
    assert [len(sms_twin.messages_to(phone)) for phone in phones] == [1] * 30
    assert len(inbox_of(engine, ALICE)) == 30


def test_the_background_dispatcher_delivers_within_a_bounded_wait(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    dispatcher.start(interval_seconds=0.02)
    try:
        assert dispatcher.running
        with pytest.raises(RuntimeError, match="already running"):
            dispatcher.start(interval_seconds=0.02)
        enqueue_committed(
            engine, clock, kind="account_unfrozen", user_id=ALICE, locale="en", params={}
        )
        deadline = time.monotonic() + 10
        while not inbox_of(engine, ALICE) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        dispatcher.stop(timeout=10)
    assert [alert.title for alert in inbox_of(engine, ALICE)] == ["Your account is active again"]
    assert not dispatcher.running


def test_a_stopped_dispatcher_leaves_new_alerts_pending_for_the_next_worker(
    engine: Engine, clock: FakeClock, dispatcher: Dispatcher
) -> None:
    dispatcher.start(interval_seconds=0.02)
    dispatcher.stop(timeout=10)
    alert_id = enqueue_committed(
        engine, clock, kind="account_unfrozen", user_id=ALICE, locale="en", params={}
    )
    time.sleep(0.1)
    assert inbox_of(engine, ALICE) == []
    assert outbox_row(engine, alert_id).status == "pending"
