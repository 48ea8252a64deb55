"""Agent actions on a customer's account: typed tools with a risk class (DOMAIN.md §5).

Risk classes (``actions_rules.RISK``):

* ``read``: the customer 360 (``support/customer360.py``), audited, no approval;
* ``low``: ``resend_alert``, ``add_note``, ``reject_limit_request``: done at once by
  the agent, audited;
* ``approval_required``: ``refund``, ``raise_limit``, ``approve_limit_request``,
  ``reset_2fa``, ``freeze``, ``unfreeze``, ``change_phone``, ``change_email``,
  ``remove_bank_card``: an agent proposes it on a ticket whose customer's identity
  was verified within the last :data:`VERIFICATION_FRESHNESS`; a *different* user
  holding ``approve_actions`` approves it, and it then runs through the same
  services the customer's own actions use, with before/after recorded.

Identity verification on a ticket (sms, totp, document) lives in
``actions_verification.py``: the agent starts a check and the customer confirms it
on their own ticket (codes are never read out to staff). Parameter checks are in
``actions_params.py``, the runners in ``actions_runners.py``. The names other
modules use stay importable from here.

Approving claims the action with a guarded ``UPDATE ... WHERE status = 'pending'``
in its own transaction, so two approvals can never both execute it; the action
then runs (its service opens its own transactions) and the outcome is stored.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from walletdesk.core.errors import NotFound, ValidationError, WalletdeskError
from walletdesk.identity import store as identity_store
from walletdesk.identity.contacts import mask_email, mask_phone
from walletdesk.identity.errors import UserNotFound
from walletdesk.identity.model import RequestContext, User
from walletdesk.identity.roles import Permission, authorize
from walletdesk.support import actions_tables as at
from walletdesk.support.actions_params import clean_params, requested_params
from walletdesk.support.actions_rules import (
    ERRORS,
    LIST_LIMIT,
    MAX_KEY,
    MAX_TEXT,
    RISK,
    SERVED_ROLES,
    VERIFICATION_FRESHNESS,
    ActionAlreadyDecided,
    ActionKind,
    ActionStatus,
    ActionTicketClosed,
    FourEyesRequired,
    IdempotencyKeyReused,
    IdentityVerificationRequired,
    IdentityVerificationStale,
    InvalidActionParams,
    NoPendingVerification,
    OwnAccountAction,
    Risk,
    TotpConfirmationUnavailable,
    TotpVerificationUnavailable,
    TwoFactorNotOn,
    UnknownAction,
    VerificationMethodKind,
    clean_text,
)
from walletdesk.support.actions_runners import RUNNERS
from walletdesk.support.actions_verification import (
    check_ticket_open,
    do_confirm_on_ticket,
    do_start_verification,
    get_verification_request,
    is_freshly_verified,
    latest_verification,
    pending_verification,
    ticket_row,
    verification_public,
)
from walletdesk.support.tickets.rules import CLOSED_STATES, TicketStatus
from walletdesk.wallet.deps import WalletDeps

log = logging.getLogger(__name__)

__all__ = [
    "ERRORS",
    "MAX_KEY",
    "MAX_TEXT",
    "RISK",
    "VERIFICATION_FRESHNESS",
    "ActionAlreadyDecided",
    "ActionKind",
    "ActionStatus",
    "ActionTicketClosed",
    "FourEyesRequired",
    "IdempotencyKeyReused",
    "IdentityVerificationRequired",
    "IdentityVerificationStale",
    "InvalidActionParams",
    "NoPendingVerification",
    "Risk",
    "TotpConfirmationUnavailable",
    "TotpVerificationUnavailable",
    "TwoFactorNotOn",
    "UnknownAction",
    "VerificationMethodKind",
    "action_public",
    "do_approve_action",
    "do_confirm_on_ticket",
    "do_propose_action",
    "do_reject_action",
    "do_start_verification",
    "get_action",
    "get_verification_request",
    "latest_verification",
    "list_actions",
    "pending_verification",
    "verification_public",
]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _masked(values: Any) -> Any:
    """An action's values as staff see them: a phone number or email address (a contact
    change's old and new) masked as in the customer 360. Staff never read contact details
    back to a caller; the row keeps them whole for the runner."""
    if not isinstance(values, dict):
        return values
    masks = {"phone": mask_phone, "email": mask_email}
    return {
        key: masks[key](value) if key in masks and isinstance(value, str) and value else value
        for key, value in values.items()
    }


def action_public(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "customer_id": str(row.customer_id),
        "ticket_id": str(row.ticket_id) if row.ticket_id else None,
        "action": row.action,
        "risk": row.risk,
        "params": _masked(row.params),
        "reason": row.reason,
        "idempotency_key": row.idempotency_key,
        "status": row.status,
        "proposed_by": str(row.proposed_by),
        "decided_by": str(row.decided_by) if row.decided_by else None,
        "decision_note": row.decision_note,
        "before": _masked(row.before),
        "after": _masked(row.after),
        "result": _masked(row.result),
        "error_code": row.error_code,
        "created_at": row.created_at.isoformat(),
        "decided_at": _iso(row.decided_at),
        "executed_at": _iso(row.executed_at),
    }


def _action_row(conn: Connection, action_id: uuid.UUID, *, lock: bool = False) -> Any:
    stmt = select(at.agent_actions).where(at.agent_actions.c.id == action_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound("no such action")
    return row


# -- proposing -------------------------------------------------------------------------------


def _same_key(
    conn: Connection,
    agent: User,
    key: str,
    kind: ActionKind,
    customer_id: uuid.UUID,
    ticket_id: uuid.UUID | None,
    params: dict[str, Any],
) -> dict[str, Any] | None:
    """The action this agent already proposed under ``key``, if any; a key reused for a
    different action, customer, ticket or parameters is refused (IdempotencyKeyReused).

    The parameters are compared in their stored form (:func:`requested_params`: "5" is
    "5.00"), not re-checked against the account: the action may have run since, and a
    retry must still get it back rather than "already decided".
    """
    a = at.agent_actions
    existing = conn.execute(
        select(a).where(and_(a.c.proposed_by == agent.id, a.c.idempotency_key == key))
    ).first()
    if existing is None:
        return None
    if (
        existing.action != kind.value
        or existing.customer_id != customer_id
        or existing.ticket_id != ticket_id
    ):
        raise IdempotencyKeyReused("use a new idempotency key for a new action")
    requested = requested_params(conn, kind, customer_id, params)
    if {name: existing.params.get(name) for name in requested} != requested:
        raise IdempotencyKeyReused("this key was used with other parameters")
    return action_public(existing)


def do_propose_action(
    deps: WalletDeps,
    agent: User,
    customer_id: uuid.UUID,
    action: str,
    *,
    ticket_id: uuid.UUID | None,
    params: dict[str, Any],
    reason: str,
    idempotency_key: str,
    ctx: RequestContext,
) -> tuple[dict[str, Any], bool]:
    """Propose (approval_required) or do (low) an action; returns (action, created).

    The same ``idempotency_key`` from the same agent returns the first action.
    """
    authorize(agent.role, Permission.ACT_ON_CUSTOMERS)
    try:
        kind = ActionKind(action)
    except ValueError:
        raise UnknownAction(f"no action {action!r}", action=action) from None
    risk = RISK[kind]
    cleaned_reason = clean_text(reason, "reason", required=True)
    key = idempotency_key.strip()
    if not 1 <= len(key) <= MAX_KEY:
        raise ValidationError(
            f"idempotency_key is 1 to {MAX_KEY} characters", field="idempotency_key"
        )
    now = deps.clock.now()
    a = at.agent_actions
    with deps.engine.connect() as conn:
        existing = _same_key(conn, agent, key, kind, customer_id, ticket_id, params)
        if existing is not None:
            return existing, False
        customer = identity_store.get_user(conn, customer_id)
        if customer.role not in SERVED_ROLES:
            # Staff accounts are not served by the desk (the customer 360 answers the
            # same): an agent acting on their own or a colleague's account is refused.
            raise NotFound("no such customer")
        if ticket_id is not None:
            ticket = ticket_row(conn, ticket_id)
            if ticket.customer_id != customer_id:
                raise NotFound("no such ticket for this customer")
            # A closed, merged or spam ticket is a conversation that is over: nothing is
            # done or queued for approval on it, whatever checks it holds.
            check_ticket_open(ticket)
        if risk is Risk.APPROVAL_REQUIRED and not is_freshly_verified(
            conn, ticket_id, customer_id, now
        ):
            raise IdentityVerificationRequired(
                "verify the customer's identity on this ticket first",
                minutes=int(VERIFICATION_FRESHNESS.total_seconds() // 60),
            )
        clean = clean_params(conn, kind, customer, ticket_id, params, now)
    action_id = uuid.uuid4()
    status = ActionStatus.PENDING if risk is Risk.APPROVAL_REQUIRED else ActionStatus.APPROVED

    def work(conn: Connection) -> None:
        conn.execute(
            insert(a).values(
                id=action_id,
                customer_id=customer_id,
                ticket_id=ticket_id,
                action=kind.value,
                risk=risk.value,
                params=clean,
                reason=cleaned_reason,
                idempotency_key=key,
                status=status.value,
                proposed_by=agent.id,
                created_at=now,
                decided_at=now if status is ActionStatus.APPROVED else None,
            )
        )
        deps.identity.audit(
            conn,
            "agent.action.proposed",
            actor=agent,
            subject=customer,
            ctx=ctx,
            after={
                "action_id": str(action_id),
                "action": kind.value,
                "risk": risk.value,
                "params": clean,
                "ticket_id": str(ticket_id) if ticket_id else None,
            },
            reason=cleaned_reason,
        )

    try:
        deps.transaction(work)
    except IntegrityError:
        # The same agent sent the same key twice at once (a double click, a retried
        # request): the other request stored it between our look and our insert.
        with deps.engine.connect() as conn:
            existing = _same_key(conn, agent, key, kind, customer_id, ticket_id, params)
        if existing is None:
            raise
        return existing, False
    if status is ActionStatus.APPROVED:  # a low-risk action: the agent does it now
        return _execute(deps, agent, action_id, ctx), True
    return _read_action(deps, action_id), True


# -- deciding ----------------------------------------------------------------------------------


def get_action(
    deps: WalletDeps, staff: User, action_id: uuid.UUID, ctx: RequestContext
) -> dict[str, Any]:
    """One action, as staff see it; the look is audited (a read of the customer's data)."""
    authorize(staff.role, Permission.READ_CUSTOMERS)
    with deps.engine.connect() as conn:
        row = _action_row(conn, action_id)
    _audit_look(deps, staff, row.customer_id, ctx, {"action_id": str(action_id)})
    return action_public(row)


def list_actions(
    deps: WalletDeps, staff: User, customer_id: uuid.UUID, ctx: RequestContext
) -> list[dict[str, Any]]:
    """A customer's newest actions, as staff see them; the look is audited."""
    authorize(staff.role, Permission.READ_CUSTOMERS)
    a = at.agent_actions
    with deps.engine.connect() as conn:
        rows = conn.execute(
            select(a)
            .where(a.c.customer_id == customer_id)
            .order_by(a.c.created_at.desc())
            .limit(LIST_LIMIT)
        ).all()
    _audit_look(deps, staff, customer_id, ctx, {"actions": len(rows)})
    return [action_public(r) for r in rows]


def _read_action(deps: WalletDeps, action_id: uuid.UUID) -> dict[str, Any]:
    """An action just proposed or decided, for the answer to that (audited as such)."""
    with deps.engine.connect() as conn:
        return action_public(_action_row(conn, action_id))


def _audit_look(
    deps: WalletDeps,
    staff: User,
    customer_id: uuid.UUID,
    ctx: RequestContext,
    seen: dict[str, Any],
) -> None:
    def work(conn: Connection) -> None:
        try:
            customer = identity_store.get_user(conn, customer_id)
        except UserNotFound:  # an empty list for an unknown id: nothing of anyone's seen
            return
        deps.identity.audit(
            conn,
            "agent.customer.actions.viewed",
            actor=staff,
            subject=customer,
            ctx=ctx,
            after=seen,
        )

    deps.transaction(work)


def _claim(
    deps: WalletDeps,
    approver: User,
    action_id: uuid.UUID,
    target: ActionStatus,
    note: str | None,
    ctx: RequestContext,
) -> None:
    """Move a pending action to ``target`` (approved or rejected), once, by a second person."""
    authorize(approver.role, Permission.APPROVE_ACTIONS)
    now = deps.clock.now()
    a = at.agent_actions

    def work(conn: Connection) -> None:
        row = _action_row(conn, action_id, lock=True)
        if row.proposed_by == approver.id:
            raise FourEyesRequired("someone other than the proposer must decide")
        if row.customer_id == approver.id:
            # A customer who has since joined the staff: never their own second pair of eyes.
            raise OwnAccountAction("someone other than the customer must decide")
        if row.status != ActionStatus.PENDING.value:
            raise ActionAlreadyDecided("this action was already decided", status=row.status)
        if (
            target is ActionStatus.APPROVED
            and row.ticket_id is not None
            and TicketStatus(ticket_row(conn, row.ticket_id).status) in CLOSED_STATES
        ):
            # Closed, merged or marked spam while the action waited: the check it rests
            # on belongs to a conversation that is over. Rejecting it is still allowed.
            raise ActionTicketClosed("the action's ticket is closed")
        if target is ActionStatus.APPROVED and not is_freshly_verified(
            conn, row.ticket_id, row.customer_id, now
        ):
            # Approving runs the action. A check made when it was proposed, hours ago,
            # says nothing of who is asking now: a takeover's "change my phone" could
            # wait in the queue for a busy supervisor. Rejecting needs no check.
            raise IdentityVerificationStale(
                "verify the customer's identity on this ticket again, then approve",
                minutes=int(VERIFICATION_FRESHNESS.total_seconds() // 60),
            )
        changed = conn.execute(
            update(a)
            .where(and_(a.c.id == action_id, a.c.status == ActionStatus.PENDING.value))
            .values(status=target.value, decided_by=approver.id, decided_at=now, decision_note=note)
        ).rowcount
        if changed != 1:
            raise ActionAlreadyDecided("this action was already decided")
        customer = identity_store.get_user(conn, row.customer_id)
        deps.identity.audit(
            conn,
            f"agent.action.{target.value}",
            actor=approver,
            subject=customer,
            ctx=ctx,
            before={"status": ActionStatus.PENDING.value},
            after={"status": target.value, "action_id": str(action_id), "action": row.action},
            reason=note,
        )

    deps.transaction(work)


def do_approve_action(
    deps: WalletDeps, approver: User, action_id: uuid.UUID, *, note: str | None, ctx: RequestContext
) -> dict[str, Any]:
    """Approve a pending action (four eyes) and run it; its outcome is stored and returned."""
    _claim(deps, approver, action_id, ActionStatus.APPROVED, clean_text(note, "note"), ctx)
    return _execute(deps, approver, action_id, ctx)


def do_reject_action(
    deps: WalletDeps, approver: User, action_id: uuid.UUID, *, note: str | None, ctx: RequestContext
) -> dict[str, Any]:
    _claim(deps, approver, action_id, ActionStatus.REJECTED, clean_text(note, "note"), ctx)
    return _read_action(deps, action_id)


# -- executing -----------------------------------------------------------------------------------


def _execute(
    deps: WalletDeps, executor: User, action_id: uuid.UUID, ctx: RequestContext
) -> dict[str, Any]:
    with deps.engine.connect() as conn:
        row = _action_row(conn, action_id)
    kind = ActionKind(row.action)
    try:
        before, after, result = RUNNERS[kind](deps, executor, row, ctx)
        status, error_code = ActionStatus.EXECUTED, None
    except WalletdeskError as error:
        log.info("agent action %s (%s) failed: %s", action_id, kind.value, error.code)
        before, after = None, None
        result = {"code": error.code, "detail": error.detail}
        status, error_code = ActionStatus.FAILED, error.code
    now = deps.clock.now()
    a = at.agent_actions

    def work(conn: Connection) -> dict[str, Any]:
        conn.execute(
            update(a)
            .where(a.c.id == action_id)
            .values(
                status=status.value,
                before=before,
                after=after,
                result=result,
                error_code=error_code,
                executed_at=now,
            )
        )
        customer = identity_store.get_user(conn, row.customer_id)
        deps.identity.audit(
            conn,
            f"agent.action.{status.value}",
            actor=executor,
            subject=customer,
            ctx=ctx,
            before=before,
            after={**(after or {}), "action_id": str(action_id), "action": kind.value},
            reason=row.reason if error_code is None else f"{row.reason} [{error_code}]",
        )
        return action_public(_action_row(conn, action_id))

    return deps.transaction(work)
