"""Who is acting on a refund: the payer, the payment's merchant, or staff.

Anyone else is told the payment does not exist (404), so ids leak nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from walletdesk.core.errors import NotFound
from walletdesk.identity.errors import Forbidden
from walletdesk.identity.model import User
from walletdesk.identity.roles import Permission, can
from walletdesk.wallet.merchants import Merchant
from walletdesk.wallet.refund_rules import Party


@dataclass(frozen=True, slots=True)
class RefundActor:
    party: Party
    # The person acting: the customer, the agent, or someone at the shop signed in to
    # the merchant portal; None when a shop acts through its API key.
    user: User | None


# -- who may act -----------------------------------------------------------------------


def actor_on_payment(
    payment: Any, actor: User | None, merchant: Merchant | None, staff: Permission
) -> RefundActor:
    """The payer, the payment's merchant, or staff holding ``staff``; else 404 (no leaks)."""
    if merchant is not None and payment.merchant_id == merchant.id:
        # ``actor`` is the person at the shop (portal), or None for the shop's API key.
        return RefundActor(Party.MERCHANT, actor)
    if actor is not None and merchant is None:
        if payment.customer_id == actor.id:
            return RefundActor(Party.CUSTOMER, actor)
        if can(actor.role, staff):
            return RefundActor(Party.AGENT, actor)
    raise NotFound("no such payment")


def refund_decider(payment: Any, actor: User | None, merchant: Merchant | None) -> RefundActor:
    who = actor_on_payment(payment, actor, merchant, Permission.ACT_ON_CUSTOMERS)
    if who.party is Party.CUSTOMER:
        raise Forbidden("the merchant decides on refunds")
    return who
