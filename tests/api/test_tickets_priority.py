"""A ticket's priority comes from its category, its scam risk and the customer's tier."""

from __future__ import annotations

import uuid

import pytest
from api_world import Customer, sign_up
from fastapi.testclient import TestClient
from sqlalchemy import update
from test_tickets import MONDAY_9, open_ticket

from walletdesk.bootstrap import Container
from walletdesk.core.clock import FakeClock
from walletdesk.identity import tables as identity_tables

BACKENDS = ["sqlite", "postgres"]
REFUND = ("退款", "我的退款还没到账，订单号 20260301")


@pytest.fixture(autouse=True)
def monday_morning(clock: FakeClock) -> None:
    clock.set(MONDAY_9)


def at_tier(container: Container, who: Customer, tier: str) -> None:
    """Set-up only: reaching a tier through KYC is tested in test_identity."""
    with container.engine.begin() as conn:
        conn.execute(
            update(identity_tables.users)
            .where(identity_tables.users.c.id == uuid.UUID(who.user["id"]))
            .values(kyc_tier=tier)
        )


@pytest.mark.parametrize(("tier", "priority"), [("I", "normal"), ("II", "normal"), ("III", "high")])
def test_a_fully_verified_customers_refund_question_is_answered_sooner(
    client: TestClient, container: Container, tier: str, priority: str
) -> None:
    me = sign_up(client, phone="+8613800138000", locale="zh-CN")
    at_tier(container, me, tier)
    ticket = open_ticket(me, *REFUND)
    assert ticket["category"] == "refund"
    assert ticket["priority"] == priority
    # 09:00 Monday in Shanghai: high is answered within 4 business hours, normal within 8.
    due = "2026-03-02T05:00:00+00:00" if priority == "high" else "2026-03-02T09:00:00+00:00"
    assert ticket["sla"]["first_reply_due"] == due
