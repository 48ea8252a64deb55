"""Identity verification on a ticket: the agent's proof that the caller is the customer.

Three methods (DOMAIN.md §5), each counting for :data:`VERIFICATION_FRESHNESS`:

* ``sms``: identity's own SMS step-up code goes to the phone on file; the customer
  reads it back and the agent confirms it (:func:`do_confirm_verification`);
* ``totp``: the customer reads the current code from their authenticator app; it is
  checked by identity with the login path's replay protection and lockout;
* ``document``: the agent records a document check with a note.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from walletdesk.core.errors import NotFound, ValidationError, WalletdeskError
from walletdesk.identity import store as identity_store
from walletdesk.identity.authentication import do_check_totp_for_agent
from walletdesk.identity.errors import TotpNotEnrolled
from walletdesk.identity.model import Principal, RequestContext, User, VerificationMethod
from walletdesk.identity.roles import Permission, authorize
from walletdesk.identity.verification import do_send_sms_code, do_verify
from walletdesk.support import actions_tables as at
from walletdesk.support.actions_rules import (
    VERIFICATION_FRESHNESS,
    NoPendingVerification,
    TotpVerificationUnavailable,
    VerificationMethodKind,
    clean_text,
)
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.wallet.deps import WalletDeps


def ticket_row(conn: Connection, ticket_id: uuid.UUID) -> Any:
    row = conn.execute(
        select(ticket_tables.tickets).where(ticket_tables.tickets.c.id == ticket_id)
    ).first()
    if row is None:
        raise NotFound("no such ticket")
    return row


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def verification_public(row: Any, now: datetime) -> dict[str, Any]:
    fresh = row.verified_at is not None and now - row.verified_at <= VERIFICATION_FRESHNESS
    return {
        "id": str(row.id),
        "ticket_id": str(row.ticket_id),
        "customer_id": str(row.customer_id),
        "agent_id": str(row.agent_id),
        "method": row.method,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
        "verified_at": _iso(row.verified_at),
        "valid_until": _iso(row.verified_at + VERIFICATION_FRESHNESS if row.verified_at else None),
        "fresh": fresh,
    }


def latest_verification(
    conn: Connection, ticket_id: uuid.UUID, customer_id: uuid.UUID
) -> Any | None:
    """The most recent completed identity verification of ``customer_id`` on a ticket."""
    v = at.ticket_verifications
    return conn.execute(
        select(v)
        .where(
            and_(
                v.c.ticket_id == ticket_id,
                v.c.customer_id == customer_id,
                v.c.verified_at.is_not(None),
            )
        )
        .order_by(v.c.verified_at.desc())
        .limit(1)
    ).first()


def is_freshly_verified(
    conn: Connection, ticket_id: uuid.UUID | None, customer_id: uuid.UUID, now: datetime
) -> bool:
    """Whether the customer was verified on this ticket within the last 15 minutes."""
    if ticket_id is None:
        return False
    verified = latest_verification(conn, ticket_id, customer_id)
    return verified is not None and now - verified.verified_at <= VERIFICATION_FRESHNESS


def do_start_verification(
    deps: WalletDeps,
    agent: User,
    ticket_id: uuid.UUID,
    *,
    method: str,
    note: str | None,
    ctx: RequestContext,
    code: str | None = None,
) -> dict[str, Any]:
    """Start (sms) or complete (totp with ``code``, document with ``note``) a check.

    Raises TotpVerificationUnavailable when the customer has 2FA off, CodeInvalid for a
    wrong or already used authenticator code, AccountLocked past the login path's limit.
    """
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    try:
        chosen = VerificationMethodKind(method)
    except ValueError:
        raise ValidationError("method is sms, totp or document", field="method") from None
    cleaned = clean_text(note, "note", required=chosen is VerificationMethodKind.DOCUMENT)
    with deps.engine.connect() as conn:
        ticket = ticket_row(conn, ticket_id)
        customer = identity_store.get_user(conn, ticket.customer_id)
    if chosen is VerificationMethodKind.SMS:
        # identity's own SMS path: the same code, text and expiry as a customer's step-up.
        do_send_sms_code(deps.identity, Principal(customer, None), ctx)
    elif chosen is VerificationMethodKind.TOTP:
        _check_totp(deps, agent, customer, ticket_id, code, ctx)
    now = deps.clock.now()
    verification_id = uuid.uuid4()
    done = chosen is not VerificationMethodKind.SMS

    def work(conn: Connection) -> dict[str, Any]:
        conn.execute(
            insert(at.ticket_verifications).values(
                id=verification_id,
                ticket_id=ticket_id,
                customer_id=customer.id,
                agent_id=agent.id,
                method=chosen.value,
                note=cleaned,
                created_at=now,
                verified_at=now if done else None,
            )
        )
        deps.identity.audit(
            conn,
            "agent.identity.verified" if done else "agent.identity.code_sent",
            actor=agent,
            subject=customer,
            ctx=ctx,
            after={"ticket_id": str(ticket_id), "method": chosen.value},
            reason=cleaned,
        )
        row = conn.execute(
            select(at.ticket_verifications).where(at.ticket_verifications.c.id == verification_id)
        ).one()
        return verification_public(row, now)

    return deps.transaction(work)


def _check_totp(
    deps: WalletDeps,
    agent: User,
    customer: User,
    ticket_id: uuid.UUID,
    code: str | None,
    ctx: RequestContext,
) -> None:
    if not customer.totp_enabled:
        raise TotpVerificationUnavailable("the customer has two-factor authentication off")
    if not code or not code.strip():
        raise ValidationError("enter the code from the customer's authenticator app", field="code")
    try:
        do_check_totp_for_agent(
            deps.identity, actor=agent, user_id=customer.id, code=code.strip(), ctx=ctx
        )
    except TotpNotEnrolled:  # turned off since we looked
        raise TotpVerificationUnavailable(
            "the customer has two-factor authentication off"
        ) from None
    except WalletdeskError as error:
        refused = error.code
        # Who tried codes for whom is worth keeping, not only that a code failed.
        deps.transaction(
            lambda conn: deps.identity.audit(
                conn,
                "agent.identity.failed",
                actor=agent,
                subject=customer,
                ctx=ctx,
                after={
                    "ticket_id": str(ticket_id),
                    "method": VerificationMethodKind.TOTP.value,
                    "error": refused,
                },
            )
        )
        raise


def do_confirm_verification(
    deps: WalletDeps, agent: User, ticket_id: uuid.UUID, *, code: str, ctx: RequestContext
) -> dict[str, Any]:
    """The agent enters the SMS code the customer read out; a wrong one raises ``code_invalid``."""
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    v = at.ticket_verifications
    with deps.engine.connect() as conn:
        ticket = ticket_row(conn, ticket_id)
        customer = identity_store.get_user(conn, ticket.customer_id)
        pending = conn.execute(
            select(v)
            .where(
                and_(
                    v.c.ticket_id == ticket_id,
                    v.c.customer_id == customer.id,
                    v.c.method == VerificationMethodKind.SMS.value,
                    v.c.verified_at.is_(None),
                )
            )
            .order_by(v.c.created_at.desc())
            .limit(1)
        ).first()
    if pending is None:
        raise NoPendingVerification("send a code first")
    # Spends the customer's SMS challenge (attempt counting, expiry, single use).
    do_verify(
        deps.identity,
        Principal(customer, None),
        method=VerificationMethod.SMS,
        password=None,
        code=code,
        ctx=ctx,
    )
    now = deps.clock.now()

    def work(conn: Connection) -> dict[str, Any]:
        conn.execute(
            update(v)
            .where(and_(v.c.id == pending.id, v.c.verified_at.is_(None)))
            .values(verified_at=now)
        )
        deps.identity.audit(
            conn,
            "agent.identity.verified",
            actor=agent,
            subject=customer,
            ctx=ctx,
            after={"ticket_id": str(ticket_id), "method": VerificationMethodKind.SMS.value},
        )
        return verification_public(conn.execute(select(v).where(v.c.id == pending.id)).one(), now)

    return deps.transaction(work)
