"""Merchant users: the shop's people who sign in to the merchant portal.

A merchant's server authenticates with its API key (:mod:`.merchants`); a person
signs in like everyone else, with role ``merchant``, and is tied here to exactly
one merchant. Only an administrator creates or links them, and every link is
written to the audit trail.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, insert, select

from walletdesk.core.errors import Conflict, ValidationError
from walletdesk.identity import accounts
from walletdesk.identity import store as identity_store
from walletdesk.identity.errors import Forbidden
from walletdesk.identity.model import RequestContext, User
from walletdesk.identity.roles import Permission, Role, authorize
from walletdesk.wallet import tables as t
from walletdesk.wallet.deps import WalletDeps
from walletdesk.wallet.merchants import Merchant, get_merchant


class MerchantUserExists(Conflict):
    """The user is already tied to a merchant (one merchant per user)."""


def do_create_merchant_user(
    deps: WalletDeps,
    *,
    actor: User,
    merchant_id: uuid.UUID,
    email: str | None,
    phone: str | None,
    password: str,
    display_name: str,
    locale: str,
    ctx: RequestContext,
) -> User:
    """Register a user with role ``merchant`` and tie them to ``merchant_id``.

    Admins only (``manage_merchants`` and ``manage_staff``). The merchant is checked
    before the account is made, so an unknown merchant leaves nothing behind.
    """
    authorize(actor.role, Permission.MANAGE_MERCHANTS)
    with deps.engine.connect() as conn:
        get_merchant(conn, merchant_id)
    user = accounts.do_register(
        deps.identity,
        phone=phone,
        email=email,
        password=password,
        display_name=display_name,
        locale=locale,
        ctx=ctx,
        role=Role.MERCHANT,
        actor=actor,
    )
    do_link_merchant_user(deps, actor=actor, merchant_id=merchant_id, user_id=user.id, ctx=ctx)
    return user


def do_link_merchant_user(
    deps: WalletDeps,
    *,
    actor: User,
    merchant_id: uuid.UUID,
    user_id: uuid.UUID,
    ctx: RequestContext,
) -> None:
    """Tie an existing ``merchant``-role user to a merchant. Admins only; audited.

    Raises :class:`ValidationError` for a user of another role and
    :class:`MerchantUserExists` when the user already belongs to a merchant.
    """
    authorize(actor.role, Permission.MANAGE_MERCHANTS)
    now = deps.clock.now()

    def work(conn: Connection) -> None:
        merchant = get_merchant(conn, merchant_id)
        user = identity_store.get_user(conn, user_id, lock=True)
        if user.role is not Role.MERCHANT:
            raise ValidationError("only users with the merchant role can use the portal")
        taken = conn.execute(
            select(t.merchant_users.c.merchant_id).where(t.merchant_users.c.user_id == user_id)
        ).first()
        if taken is not None:
            raise MerchantUserExists("this user already belongs to a merchant")
        conn.execute(
            insert(t.merchant_users).values(
                user_id=user_id, merchant_id=merchant.id, created_by=actor.id, created_at=now
            )
        )
        deps.identity.audit(
            conn,
            "merchant_user.created",
            actor=actor,
            subject=user,
            ctx=ctx,
            after={"merchant_id": str(merchant.id), "merchant": merchant.name},
        )

    deps.transaction(work)


def get_merchant_for_user(deps: WalletDeps, user: User) -> Merchant:
    """The merchant ``user`` works for. :class:`Forbidden` for anyone not tied to one."""
    if user.role is not Role.MERCHANT:
        raise Forbidden("the merchant portal is for merchant accounts")
    with deps.engine.connect() as conn:
        merchant_id = conn.execute(
            select(t.merchant_users.c.merchant_id).where(t.merchant_users.c.user_id == user.id)
        ).scalar()
        if merchant_id is None:
            raise Forbidden("this account is not tied to a merchant yet")
        return get_merchant(conn, merchant_id)
