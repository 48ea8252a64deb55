"""record() and list_records(): inside the caller's transaction, redacted, paginated."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select, text

from walletdesk.audit import tables as t
from walletdesk.audit.log import list_records, record
from walletdesk.audit.model import GENESIS_HASH, AuditPage, AuditRecord
from walletdesk.audit.verify import verify_chain
from walletdesk.core.clock import FakeClock
from walletdesk.core.errors import ValidationError
from walletdesk.db.transactions import run_transaction

from .audit_world import AGENT_ID, append, raw_head, raw_log, write_chain

CARD = "4111111111111111"
PASSWORD = "correct horse battery staple"
TOTP = "492039"


class AbortedUseCase(Exception):
    pass


def test_a_record_in_a_rolled_back_transaction_leaves_nothing(
    engine: Engine, clock: FakeClock
) -> None:
    def audited_change_that_fails(conn: Connection) -> None:
        record(
            conn,
            now=clock.now(),
            action="password.changed",
            actor_id=AGENT_ID,
            actor_role="customer",
            subject_type="user",
            subject_id=str(AGENT_ID),
        )
        raise AbortedUseCase

    with pytest.raises(AbortedUseCase):
        run_transaction(engine, audited_change_that_fails)

    assert raw_log(engine) == []
    assert raw_head(engine) is None
    assert append(engine, clock).seq == 1
    assert verify_chain(engine).ok


def test_a_record_commits_with_the_change_it_audits(engine: Engine, clock: FakeClock) -> None:
    def change_and_audit(conn: Connection) -> AuditRecord:
        return record(
            conn,
            now=clock.now(),
            action="session.created",
            actor_id=None,
            actor_role="system",
            subject_type="session",
            subject_id="s_1",
        )

    written = run_transaction(engine, change_and_audit)

    page = _list(engine)
    assert page.items == [written]
    assert (written.seq, written.prev_hash, written.actor_id) == (1, GENESIS_HASH, None)
    assert written.at == clock.now()
    assert raw_head(engine) == (1, 1, written.hash)


def test_secrets_in_nested_snapshots_are_never_stored(engine: Engine, clock: FakeClock) -> None:
    written = append(
        engine,
        clock,
        action="card.added",
        before={"password": PASSWORD, "profile": {"totp_code": TOTP, "nickname": "ada"}},
        after={
            "cards": [{"card_number": CARD, "label": "work"}, {"note": f"old card {CARD}"}],
            "history": [[{"recoveryCode": "ABCD-EFGH"}], "pay 4111 1111 1111 1111 now"],
            "api": {"access_token": {"value": "tok_live_1"}, "company": "Acme"},
        },
        reason=f"customer read out {CARD} on the phone",
    )

    assert written.before == {
        "password": "[redacted]",
        "profile": {"totp_code": "[redacted]", "nickname": "ada"},
    }
    assert written.after == {
        "cards": [
            {"card_number": "[redacted]", "label": "work"},
            {"note": "old card ************1111"},
        ],
        "history": [[{"recoveryCode": "[redacted]"}], "pay ************1111 now"],
        "api": {"access_token": "[redacted]", "company": "Acme"},
    }
    assert written.reason == "customer read out ************1111 on the phone"
    assert _list(engine).items == [written]
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT before, after, reason FROM audit_log")).one()
    stored_text = json.dumps([str(value) for value in stored])
    for secret in (PASSWORD, TOTP, CARD, "4111 1111 1111 1111", "ABCD-EFGH", "tok_live_1"):
        assert secret not in stored_text
    assert verify_chain(engine).ok


def test_snapshot_values_are_stored_as_plain_json(engine: Engine, clock: FakeClock) -> None:
    written = append(
        engine,
        clock,
        before=None,
        after={
            "when": datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
            "id": uuid.UUID(int=1),
            "amounts": ("12.34", 0.5, 7, True, None),
        },
    )

    assert written.before is None
    assert written.after == {
        "when": "2026-03-01T08:30:00.000000Z",
        "id": "00000000-0000-0000-0000-000000000001",
        "amounts": ["12.34", 0.5, 7, True, None],
    }
    assert _list(engine).items == [written]
    assert verify_chain(engine).ok


def test_a_long_user_agent_is_cut_to_its_column(engine: Engine, clock: FakeClock) -> None:
    written = append(engine, clock, user_agent="x" * 600)

    assert written.user_agent == "x" * 512
    assert _list(engine).items == [written]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"action": "PasswordChanged"}, ValueError),
        ({"action": "password"}, ValueError),
        ({"actor_role": ""}, ValueError),
        ({"subject_id": "x" * 129}, ValueError),
        ({"source_ip": "1" * 46}, ValueError),
        ({"after": {1: "numeric key"}}, TypeError),
        ({"after": {"ratio": float("nan")}}, ValueError),
        ({"after": {"tags": {"a", "b"}}}, TypeError),
    ],
)
def test_a_malformed_record_is_refused_and_nothing_is_written(
    engine: Engine, clock: FakeClock, overrides: dict[str, Any], error: type[Exception]
) -> None:
    append(engine, clock)
    log_before, head_before = raw_log(engine), raw_head(engine)

    with pytest.raises(error):
        append(engine, clock, **overrides)

    assert raw_log(engine) == log_before
    assert raw_head(engine) == head_before


def test_a_naive_time_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="aware"), engine.begin() as conn:
        record(
            conn,
            now=datetime(2026, 1, 1),  # noqa: DTZ001 - the naive value under test
            action="session.created",
            actor_id=None,
            actor_role="system",
            subject_type="session",
            subject_id="s_1",
        )
    assert raw_log(engine) == []


def test_record_outside_a_transaction_is_refused(engine: Engine, clock: FakeClock) -> None:
    with engine.connect() as conn, pytest.raises(ValueError, match="transaction"):
        record(
            conn,
            now=clock.now(),
            action="session.created",
            actor_id=None,
            actor_role="system",
            subject_type="session",
            subject_id="s_1",
        )
    assert raw_log(engine) == []


def test_records_are_listed_newest_first_page_by_page(engine: Engine, clock: FakeClock) -> None:
    written = write_chain(engine, clock, 5)

    first = _list(engine, limit=2)
    second = _list(engine, limit=2, cursor=first.next_cursor)
    third = _list(engine, limit=2, cursor=second.next_cursor)

    assert [r.seq for r in first.items] == [5, 4]
    assert [r.seq for r in second.items] == [3, 2]
    assert third.items == [written[0]]
    assert third.next_cursor is None


def test_records_are_filtered_by_subject_and_by_actor(engine: Engine, clock: FakeClock) -> None:
    other_agent = uuid.UUID(int=99)
    append(engine, clock, subject_id="rf_1")
    append(engine, clock, subject_id="rf_2", actor_id=other_agent)
    append(engine, clock, subject_type="ticket", subject_id="rf_1")
    append(engine, clock, subject_id="rf_1", actor_id=other_agent)

    by_subject = _list(engine, subject_type="refund", subject_id="rf_1")
    by_type = _list(engine, subject_type="refund")
    by_actor = _list(engine, actor_id=other_agent)
    by_both = _list(engine, subject_type="refund", subject_id="rf_1", actor_id=other_agent)

    assert [r.seq for r in by_subject.items] == [4, 1]
    assert [r.seq for r in by_type.items] == [4, 2, 1]
    assert [r.seq for r in by_actor.items] == [4, 2]
    assert [r.seq for r in by_both.items] == [4]


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "not-hex"},
        {"cursor": "0"},
        {"limit": 0},
        {"limit": 1001},
        {"subject_id": "rf_1"},
    ],
)
def test_a_bad_listing_request_is_a_validation_error(engine: Engine, query: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _list(engine, **query)


def test_the_head_row_moves_with_every_append(engine: Engine, clock: FakeClock) -> None:
    written = write_chain(engine, clock, 2)

    with engine.connect() as conn:
        head = conn.execute(select(t.audit_head)).one()

    assert tuple(head) == (1, 2, written[-1].hash)


def _list(engine: Engine, **query: Any) -> AuditPage:
    with engine.connect() as conn:
        return list_records(conn, **query)
