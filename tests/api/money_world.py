"""What a refused money request must leave exactly as it was: ledger, limits and records."""

from __future__ import annotations

from typing import Any

from api_world import latest_sms_code
from sqlalchemy import func, select

from walletdesk.bootstrap import Container
from walletdesk.identity import store as identity_store
from walletdesk.identity.changes import do_submit_kyc
from walletdesk.identity.contact_verification import do_confirm_contact, do_send_contact_code
from walletdesk.identity.model import ContactKind, KycTier, Principal, RequestContext, User
from walletdesk.ledger import tables as ledger_tables
from walletdesk.wallet import tables as t


def money_snapshot(container: Container) -> dict[str, Any]:
    """Every balance, hold, transfer, limit counter and wallet record, in a stable order."""
    a = ledger_tables.accounts.c
    with container.engine.connect() as conn:
        return {
            "accounts": conn.execute(
                select(
                    a.id, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending
                ).order_by(a.id)
            ).all(),
            "transfers": conn.execute(
                select(func.count()).select_from(ledger_tables.transfers)
            ).scalar_one(),
            "failed_transfers": conn.execute(
                select(func.count()).select_from(ledger_tables.failed_transfers)
            ).scalar_one(),
            "holds": conn.execute(
                select(
                    ledger_tables.holds.c.transfer_id,
                    ledger_tables.holds.c.status,
                    ledger_tables.holds.c.expires_at,
                ).order_by(ledger_tables.holds.c.transfer_id)
            ).all(),
            "limit_usage": conn.execute(
                select(t.limit_usage).order_by(*t.limit_usage.primary_key.columns)
            ).all(),
            "limit_overrides": conn.execute(
                select(t.limit_overrides).order_by(t.limit_overrides.c.id)
            ).all(),
            "payments": conn.execute(
                select(
                    t.payments.c.id,
                    t.payments.c.status,
                    t.payments.c.ledger_transfer_id,
                ).order_by(t.payments.c.seq)
            ).all(),
            "fundings": conn.execute(
                select(
                    t.fundings.c.id,
                    t.fundings.c.status,
                    t.fundings.c.failure_code,
                    t.fundings.c.hold_transfer_id,
                ).order_by(t.fundings.c.seq)
            ).all(),
            "p2p": conn.execute(select(func.count()).select_from(t.p2p_transfers)).scalar_one(),
        }


def verified_to_tier_two(container: Container, user: User) -> User:
    """The user, through the identity provider's check, at tier II (may withdraw)."""
    do_submit_kyc(
        container.identity,
        Principal(user, None),
        requested=KycTier.II,
        full_name="李雷",
        id_type="cn_resident_id",
        id_number="11010519491231002X",
        selfie_provided=False,
        ctx=RequestContext(),
    )
    with container.engine.connect() as conn:
        fresh = identity_store.get_user(conn, user.id)
    assert fresh.kyc_tier is KycTier.II
    return fresh


def with_verified_phone(container: Container, user: User) -> User:
    """The user once they typed back the code texted to their phone (what a transfer
    addressed to that number needs), through the real services."""
    assert user.phone is not None
    me = Principal(user, None)
    do_send_contact_code(container.identity, me, ContactKind.PHONE, RequestContext())
    code = latest_sms_code(container, user.phone)
    do_confirm_contact(container.identity, me, ContactKind.PHONE, code, RequestContext())
    with container.engine.connect() as conn:
        fresh = identity_store.get_user(conn, user.id)
    assert fresh.phone_verified_at is not None
    return fresh
