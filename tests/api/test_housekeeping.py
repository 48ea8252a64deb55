"""One housekeeping pass releases due holds, expires unpaid intents and sends webhooks."""

from __future__ import annotations

from datetime import timedelta

from api_world import sign_up
from fastapi.testclient import TestClient
from wallet_world import available, open_shop, top_up

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.housekeeping import Housekeeper

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
