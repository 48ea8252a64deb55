"""Telling people about a refund: the customer's alert, the merchant's webhooks,
and the audit record of an agent's action.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from walletdesk.core.money import Currency, Money
from walletdesk.identity import store as identity_store
from walletdesk.identity import tables as identity_tables
from walletdesk.identity.model import RequestContext
from walletdesk.notify.messages import AlertKind, variants
from walletdesk.wallet import webhooks
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.merchants import Merchant
from walletdesk.wallet.refund_actors import RefundActor
from walletdesk.wallet.refund_rules import ALERT_VARIANTS, RefundRoute, RefundStatus
from walletdesk.wallet.refund_views import refund_public

# -- telling people ----------------------------------------------------------------------


def announce_refund(
    deps: WalletDeps, conn: Connection, row: Any, shop: Merchant, *, created: bool, now: datetime
) -> None:
    """One alert to the customer for the state the refund is now in, and the webhooks.

    A card refund that has just reached ``processing`` is about to hear from the
    bank, so only its outcome is told (or, if the bank is slow, ``processing``).
    """
    status, route = RefundStatus(row.status), RefundRoute(row.route)
    asking_bank = status is RefundStatus.PROCESSING and row.failure_code is None
    variant = None if asking_bank else ALERT_VARIANTS.get((status, route))
    if variant is not None and variant in variants(AlertKind.REFUND_STATUS):
        customer = identity_store.get_user(conn, row.customer_id)
        last4 = ""
        if row.card_id is not None:
            last4 = conn.execute(
                select(identity_tables.cards.c.last4).where(
                    identity_tables.cards.c.id == row.card_id
                )
            ).scalar_one()
        params = {
            "status": variant,
            **Money(row.amount, Currency.of(row.currency)).as_json(),
            "merchant": shop.name,
            "refund_id": str(row.id),
            "route": route.value,
            "last4": last4,
            "expected_by": row.expected_by.date().isoformat() if row.expected_by else "",
        }
        deps.identity.alert(conn, AlertKind.REFUND_STATUS, customer, params)
    events = ["refund.created"] if created else []
    if status is RefundStatus.SUCCEEDED:
        events.append("refund.succeeded")
    elif status is RefundStatus.FAILED:
        events.append("refund.failed")
    elif not created and not asking_bank:
        events.append("refund.updated")
    payload = refund_public(row, "en")
    for event in events:
        webhooks.enqueue(conn, shop, event, payload, now)


def audit_refund(
    deps: WalletDeps,
    conn: Connection,
    action: str,
    who: RefundActor,
    row: Any,
    ctx: RequestContext,
    *,
    reason: str | None,
) -> None:
    """A person's decision on a refund (an agent's, or someone's at the shop) into the
    audit trail, with the refund as it now stands."""
    customer = identity_store.get_user(conn, row.customer_id)
    deps.identity.audit(
        conn,
        action,
        actor=who.user,
        subject=customer,
        ctx=ctx,
        after={
            "refund_id": str(row.id),
            "payment_id": str(row.payment_id),
            "amount": row.amount,
            "currency": row.currency,
            "status": row.status,
            "route": row.route,
        },
        reason=reason,
    )
