"""One housekeeping pass releases due holds, expires unpaid intents and sends webhooks."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from api_world import sign_up
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text
from wallet_world import available, open_shop, top_up

from walletdesk.api import idempotency
from walletdesk.audit.anchors import check_anchors
from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.housekeeping import Housekeeper
from walletdesk.wallet import tables as wallet_tables

BACKENDS = ["sqlite", "postgres"]


def test_a_pass_expires_intents_and_delivers_webhooks_once(
    client: TestClient, container: Container, clock: FakeClock
) -> None:
    me = sign_up(client)
    shop = open_shop(client, container)
    top_up(me, "100.00")
    paid = shop.intent("10.00", "hk-1").json()
    me.post(f"/api/v1/payment-intents/{paid['id']}/pay")
    unpaid = shop.intent("20.00", "hk-2").json()
    clock.advance(timedelta(minutes=16))
    keeper = Housekeeper(container)
    first = keeper.run_once()
    assert first.intents_expired == 1
    assert first.webhooks_sent == 1
    again = keeper.run_once()
    assert (again.intents_expired, again.webhooks_sent) == (0, 0)
    status = client.get(f"/api/v1/merchant/payments/{unpaid['id']}", headers=shop.headers).json()[
        "status"
    ]
    assert status == "expired"
    assert available(me) == "90.00"
    assert container.ledger.check_invariants() == []


def test_the_background_thread_starts_and_stops(container: Container) -> None:
    keeper = Housekeeper(container)
    keeper.start(interval_seconds=0.05)
    keeper.stop()
    assert keeper.run_once().holds_released == 0


def test_a_broken_ledger_row_is_found_by_the_scheduled_check_and_logged(
    client: TestClient, container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    me = sign_up(client)
    top_up(me, "100.00")
    keeper = Housekeeper(container)
    assert keeper.run_once().ledger_problems == 0  # the first pass checks
    assert keeper.run_once().ledger_problems is None  # then once per interval
    # Someone edits a cached balance behind the engine's back.
    with container.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE ledger_accounts SET credits_posted = credits_posted + 1 "
                "WHERE id = (SELECT id FROM ledger_accounts WHERE credits_posted > 0 "
                "ORDER BY id LIMIT 1)"
            )
        )
    due = Housekeeper(container)
    with caplog.at_level(logging.ERROR, logger="walletdesk.housekeeping"):
        found = due.run_once().ledger_problems
    assert found is not None
    assert found >= 1
    assert any("ledger invariant broken" in r.getMessage() for r in caplog.records)


def test_the_check_can_be_turned_off(container: Container) -> None:
    container.settings.ledger_check_interval_seconds = 0
    assert Housekeeper(container).run_once().ledger_problems is None


def test_a_pass_anchors_the_audit_head_once_per_interval(
    client: TestClient, container: Container
) -> None:
    sign_up(client)  # signing up writes audit records
    keeper = Housekeeper(container)
    anchored = keeper.run_once().audit_anchor_seq
    assert anchored is not None
    assert anchored > 0
    anchors = Path(container.settings.audit_anchor_file)
    assert check_anchors(container.engine, anchors) == (1, [])
    sign_up(client, phone="+8613900139000")
    # Within the interval nothing more is written, even though the head moved.
    assert keeper.run_once().audit_anchor_seq is None
    assert len(anchors.read_text().splitlines()) == 1


def test_a_pass_forgets_idempotency_keys_past_their_24_hours_and_keeps_the_rest(
    container: Container, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "PURGE_BATCH", 2)  # several batches in one pass
    now = clock.now()
    ages = {"old-1": 25, "old-2": 48, "old-3": 24 * 30, "young": 23}
    with container.engine.begin() as conn:
        conn.execute(
            insert(wallet_tables.idempotency_keys),
            [
                {
                    "principal": "p" * 64,
                    "key": key,
                    "request_hash": "h" * 64,
                    "state": "done",
                    "status_code": 201,
                    "response": "{}",
                    "created_at": now - timedelta(hours=hours),
                }
                for key, hours in ages.items()
            ],
        )

    first = Housekeeper(container).run_once()

    assert first.idempotency_keys_purged == 3
    with container.engine.connect() as conn:
        left = conn.execute(select(wallet_tables.idempotency_keys.c.key)).scalars().all()
    assert left == ["young"]
    assert Housekeeper(container).run_once().idempotency_keys_purged == 0
