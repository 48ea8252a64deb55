"""Merchant users behind the portal: only an admin ties a person to a merchant, the tie is
audited, and each person belongs to one merchant. (Service level, on the live server's
database: no browser needed.)"""

from __future__ import annotations

from dataclasses import replace

import pytest
from browser_steps import PASSWORD, new_merchant, new_merchant_user, unique_email, user_id_of
from sqlalchemy import select

from walletdesk.audit.tables import audit_log
from walletdesk.identity.accounts import get_me
from walletdesk.identity.errors import Forbidden
from walletdesk.identity.model import RequestContext
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator
from walletdesk.wallet import tables as wallet_tables
from walletdesk.wallet.merchant_users import (
    MerchantUserExists,
    do_create_merchant_user,
    do_link_merchant_user,
    get_merchant_for_user,
)

CTX = RequestContext(user_agent="test")


def test_an_admin_creates_a_merchant_user_and_the_link_is_audited(live_server) -> None:
    container = live_server.container
    merchant = new_merchant(container, name="Audited Shop")
    email = new_merchant_user(container, merchant)
    user_id = user_id_of(container, email)
    with container.engine.connect() as conn:
        entry = conn.execute(
            select(audit_log).where(
                audit_log.c.action == "merchant_user.created",
                audit_log.c.subject_id == str(user_id),
            )
        ).one()
    assert entry.after == {"merchant_id": str(merchant.id), "merchant": "Audited Shop"}
    user = get_me(container.identity, user_id)
    assert user.role.value == "merchant"
    assert get_merchant_for_user(container.wallet, user).id == merchant.id


def test_nobody_but_an_admin_may_create_one_and_a_refusal_leaves_nothing(
    live_server,
) -> None:
    container = live_server.container
    merchant = new_merchant(container)
    agent = replace(console_operator(container.clock.now()), role=Role.AGENT)
    email = unique_email("not-made")
    with pytest.raises(Forbidden):
        do_create_merchant_user(
            container.wallet,
            actor=agent,
            merchant_id=merchant.id,
            email=email,
            phone=None,
            password=PASSWORD,
            display_name="Nope",
            locale="en",
            ctx=CTX,
        )
    with container.engine.connect() as conn:
        linked = conn.execute(
            select(wallet_tables.merchant_users).where(
                wallet_tables.merchant_users.c.merchant_id == merchant.id
            )
        ).all()
    assert linked == []


def test_a_person_belongs_to_one_merchant_and_customers_to_none(live_server) -> None:
    container = live_server.container
    first, second = new_merchant(container), new_merchant(container)
    user_id = user_id_of(container, new_merchant_user(container, first))
    with pytest.raises(MerchantUserExists):
        do_link_merchant_user(
            container.wallet,
            actor=console_operator(container.clock.now()),
            merchant_id=second.id,
            user_id=user_id,
            ctx=CTX,
        )
    alice = get_me(container.identity, user_id_of(container, "alice@example.com"))
    with pytest.raises(Forbidden):
        get_merchant_for_user(container.wallet, alice)
