"""Identity verification on a ticket: proof that the person an agent helps is the customer.

walletdesk tells every customer that its staff never ask for codes (the SMS text,
every alert, the help centre and the scam checker say so, DOMAIN.md §6). So no
code is ever read out to an agent: the agent *starts* a check and the customer,
signed in, *confirms* it on their own ticket in the app or website.

Three methods (DOMAIN.md §5), each counting for :data:`VERIFICATION_FRESHNESS`:

* ``sms``: :func:`do_start_verification` texts identity's one-time code to the phone
  on file, in words that say it is for this ticket and must never be told to
  anyone; the customer enters it on the ticket (:func:`do_confirm_on_ticket`);
* ``totp``: nothing is sent; the customer is asked on the ticket (a message and an
  in-app/email alert) to enter the code from their authenticator app there;
* ``document``: the agent records a document check with a note; verified at once.

The customer's code is checked by :func:`walletdesk.identity.verification.check_presence`
with the customer's own principal, so expiry, single use and the account lockout
are identity's. A check the customer has not confirmed within
:data:`CONFIRMATION_WINDOW` lapses; the agent starts a new one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, insert, select, update

from walletdesk.core.errors import NotFound, ValidationError
from walletdesk.identity import store as identity_store
from walletdesk.identity.errors import TotpNotEnrolled
from walletdesk.identity.model import Principal, RequestContext, User, VerificationMethod
from walletdesk.identity.roles import Permission, authorize
from walletdesk.identity.verification import check_presence, do_send_sms_code
from walletdesk.notify.messages import AlertKind, normalise_locale
from walletdesk.support import actions_tables as at
from walletdesk.support.actions_rules import (
    CONFIRM_REQUEST,
    CONFIRMATION_WINDOW,
    CONFIRMED_NOTE,
    CUSTOMER_CONFIRMED,
    METHOD_WORDS,
    VERIFICATION_FRESHNESS,
    NoPendingVerification,
    TotpConfirmationUnavailable,
    TotpVerificationUnavailable,
    VerificationMethodKind,
    clean_text,
)
from walletdesk.support.tickets import notices
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.support.tickets.errors import TicketClosed
from walletdesk.support.tickets.rules import CLOSED_STATES, MessageKind, TicketStatus
from walletdesk.support.tickets.steps import add_message, touch
from walletdesk.support.tickets.views import own_ticket
from walletdesk.wallet.deps import WalletDeps

_CODE_METHOD = {
    VerificationMethodKind.SMS: VerificationMethod.SMS,
    VerificationMethodKind.TOTP: VerificationMethod.TOTP,
}


def ticket_row(conn: Connection, ticket_id: uuid.UUID) -> Any:
    row = conn.execute(
        select(ticket_tables.tickets).where(ticket_tables.tickets.c.id == ticket_id)
    ).first()
    if row is None:
        raise NotFound("no such ticket")
    return row


def check_ticket_open(ticket: Any) -> None:
    """Raise TicketClosed for a closed, merged or spam ticket (a tickets row): identity
    checks and actions on a customer's account happen on a ticket still being worked."""
    if TicketStatus(ticket.status) in CLOSED_STATES:
        raise TicketClosed("the ticket is closed")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def verification_public(row: Any, now: datetime) -> dict[str, Any]:
    """A check as agents see it. ``status``: ``waiting_for_customer`` (started, the
    customer has until ``confirm_by`` to confirm on their ticket), ``lapsed`` (they
    did not), ``verified`` (``fresh`` until ``valid_until``)."""
    fresh = row.verified_at is not None and now - row.verified_at <= VERIFICATION_FRESHNESS
    confirm_by = row.created_at + CONFIRMATION_WINDOW
    if row.verified_at is not None:
        status = "verified"
    else:
        status = "waiting_for_customer" if now <= confirm_by else "lapsed"
    return {
        "id": str(row.id),
        "ticket_id": str(row.ticket_id),
        "customer_id": str(row.customer_id),
        "agent_id": str(row.agent_id),
        "method": row.method,
        "note": row.note,
        "status": status,
        "confirmed_by": "customer" if row.method in CUSTOMER_CONFIRMED else "agent",
        "created_at": row.created_at.isoformat(),
        "confirm_by": _iso(confirm_by if row.verified_at is None else None),
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


def pending_verification(
    conn: Connection, ticket: Any, customer_id: uuid.UUID, now: datetime
) -> Any | None:
    """The check waiting for the customer to confirm on ``ticket`` (a tickets row), if any.

    Only the ticket's newest check counts: one waits while it is an unconfirmed sms or
    totp request within :data:`CONFIRMATION_WINDOW` on a ticket still open. Anything
    newer (a document check, a confirmed request, a request sent again) replaces it.
    Checks of the same instant (the clock's resolution) rank a document check first,
    then a request still waiting: a request sent as another is confirmed is the newer.
    """
    if TicketStatus(ticket.status) in CLOSED_STATES:
        return None
    v = at.ticket_verifications
    newest = conn.execute(
        select(v)
        .where(and_(v.c.ticket_id == ticket.id, v.c.customer_id == customer_id))
        .order_by(
            v.c.created_at.desc(),
            case(
                (v.c.method == VerificationMethodKind.DOCUMENT.value, 0),
                (v.c.verified_at.is_(None), 1),
                else_=2,
            ),
        )
        .limit(1)
    ).first()
    if (
        newest is None
        or newest.verified_at is not None
        or newest.method not in CUSTOMER_CONFIRMED
        or now - newest.created_at > CONFIRMATION_WINDOW
    ):
        return None
    return newest


def is_freshly_verified(
    conn: Connection, ticket_id: uuid.UUID | None, customer_id: uuid.UUID, now: datetime
) -> bool:
    """Whether the customer was verified on this ticket within the last 15 minutes."""
    if ticket_id is None:
        return False
    verified = latest_verification(conn, ticket_id, customer_id)
    return verified is not None and now - verified.verified_at <= VERIFICATION_FRESHNESS


def get_verification_request(
    deps: WalletDeps, customer: User, ticket_id: uuid.UUID
) -> dict[str, Any] | None:
    """What the customer sees of a check waiting on their own ticket, or None.

    Raises NotFound for a ticket that is not theirs.
    """
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        ticket = own_ticket(conn, ticket_id, customer.id)
        pending = pending_verification(conn, ticket, customer.id, now)
        if pending is None:
            return None
    return {
        "method": pending.method,
        "requested_at": pending.created_at.isoformat(),
        "confirm_by": (pending.created_at + CONFIRMATION_WINDOW).isoformat(),
    }


def do_start_verification(
    deps: WalletDeps,
    agent: User,
    ticket_id: uuid.UUID,
    *,
    method: str,
    note: str | None,
    ctx: RequestContext,
) -> dict[str, Any]:
    """Ask the customer to confirm on their ticket (sms, totp) or record a document check.

    ``sms`` texts a code for this ticket to the phone on file; ``totp`` sends nothing
    (the customer uses their authenticator app). Both leave a message on the ticket
    telling the customer where to enter the code and never to tell it to anyone, and
    wait for :func:`do_confirm_on_ticket`. ``document`` needs ``note`` and is verified
    at once. Raises TicketClosed on a closed, merged or spam ticket (any method),
    TotpVerificationUnavailable when the customer has 2FA off, NoPhoneOnFile for sms
    without a phone.
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
    asks_customer = chosen in CUSTOMER_CONFIRMED
    # Any method, a document check too: a check on a closed ticket would let an
    # approval_required action be proposed on a conversation nobody is having any more.
    check_ticket_open(ticket)
    if chosen is VerificationMethodKind.TOTP and not customer.totp_enabled:
        raise TotpVerificationUnavailable("the customer has two-factor authentication off")
    if chosen is VerificationMethodKind.SMS:
        # identity's own code (expiry, single use, lockout), in words for this ticket.
        do_send_sms_code(
            deps.identity,
            Principal(customer, None),
            ctx,
            purpose=AlertKind.TICKET_VERIFICATION_CODE,
            purpose_params={"ticket_number": ticket.number},
        )
    now = deps.clock.now()
    verification_id = uuid.uuid4()

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
                verified_at=None if asks_customer else now,
            )
        )
        if asks_customer:
            words = CONFIRM_REQUEST[chosen][normalise_locale(customer.locale)]
            add_message(
                conn,
                ticket_id,
                agent,
                MessageKind.PUBLIC,
                words.format(ticket_number=ticket.number),
                now,
            )
            touch(conn, ticket_id, now)
            if chosen is VerificationMethodKind.TOTP:
                # The SMS tells the customer for sms; for totp, the inbox and email do.
                notices.reply_sent(conn, ticket, now)
        deps.identity.audit(
            conn,
            {
                VerificationMethodKind.SMS: "agent.identity.code_sent",
                VerificationMethodKind.TOTP: "agent.identity.requested",
            }.get(chosen, "agent.identity.verified"),
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


def do_confirm_on_ticket(
    deps: WalletDeps, customer: Principal, ticket_id: uuid.UUID, *, code: str, ctx: RequestContext
) -> dict[str, Any]:
    """The signed-in customer confirms the check waiting on their own ticket with ``code``.

    The code goes to identity's :func:`check_presence` as a step-up's code would: a
    wrong, expired or spent code raises CodeInvalid and counts towards the account's
    lockout (AccountLocked past the limit). Raises NotFound for a ticket that is not
    the customer's, NoPendingVerification when nothing waits (or it lapsed),
    TotpConfirmationUnavailable when an authenticator code is asked but 2FA is off.
    On success the check counts for :data:`VERIFICATION_FRESHNESS`, an internal note
    tells the agents, and it is audited.
    """
    user = customer.user
    now = deps.clock.now()
    v = at.ticket_verifications
    with deps.engine.connect() as conn:
        ticket = own_ticket(conn, ticket_id, user.id)
        pending = pending_verification(conn, ticket, user.id, now)
    if pending is None:
        raise NoPendingVerification("nothing on this ticket is waiting for you to confirm")
    method = VerificationMethodKind(pending.method)
    if method is VerificationMethodKind.TOTP and not user.totp_enabled:
        raise TotpConfirmationUnavailable("two-factor authentication is off on your account")
    cleaned = code.replace(" ", "").strip()
    if not cleaned:
        raise ValidationError("enter the code", field="code")
    try:
        # identity's own checks, without minting a step-up token nobody would receive.
        check_presence(
            deps.identity,
            customer,
            method=_CODE_METHOD[method],
            password=None,
            code=cleaned,
            ctx=ctx,
            # Only a code texted for a ticket check confirms one (not a step-up code).
            code_for=AlertKind.TICKET_VERIFICATION_CODE,
        )
    except TotpNotEnrolled:  # turned off since the session was loaded
        raise TotpConfirmationUnavailable(
            "two-factor authentication is off on your account"
        ) from None
    confirmed_at = deps.clock.now()

    def work(conn: Connection) -> dict[str, Any]:
        done = conn.execute(
            update(v)
            .where(and_(v.c.id == pending.id, v.c.verified_at.is_(None)))
            .values(verified_at=confirmed_at)
        )
        if done.rowcount != 1:  # confirmed by a concurrent request a moment ago
            raise NoPendingVerification("nothing on this ticket is waiting for you to confirm")
        words = METHOD_WORDS[method]
        add_message(
            conn,
            ticket.id,
            user,
            MessageKind.INTERNAL,
            CONFIRMED_NOTE.format(method_en=words["en"], method_zh=words["zh-CN"]),
            confirmed_at,
        )
        touch(conn, ticket.id, confirmed_at)
        deps.identity.audit(
            conn,
            "agent.identity.verified",
            actor=user,
            subject=user,
            ctx=ctx,
            after={
                "ticket_id": str(ticket.id),
                "method": method.value,
                "confirmed_by": "customer",
                "requested_by": str(pending.agent_id),
            },
        )
        row = conn.execute(select(v).where(v.c.id == pending.id)).one()
        return {
            "ticket_id": str(ticket.id),
            "method": method.value,
            "status": "verified",
            "verified_at": row.verified_at.isoformat(),
            "valid_until": (row.verified_at + VERIFICATION_FRESHNESS).isoformat(),
        }

    return deps.transaction(work)
