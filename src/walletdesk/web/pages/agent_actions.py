"""The agent console's actions: identity verification on a ticket, typed actions, approvals.

Split from ``agent.py`` (the queue and the ticket page): every handler calls the
actions service (``support/actions.py``) the API calls, and shows a refusal with
the API's own words on the page it came from.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from walletdesk.api.text import FreeText
from walletdesk.core.errors import WalletdeskError
from walletdesk.identity.roles import Permission
from walletdesk.support import actions, reports
from walletdesk.web.context import Page, StaffPage, StaffPost
from walletdesk.web.pages.agent import RAISE_DAYS, back_to_ticket, refused_on_ticket
from walletdesk.web.pages.auth import error_text
from walletdesk.web.rendering import redirect, render

router = APIRouter(include_in_schema=False)

_LIMIT_DECISIONS = {
    actions.ActionKind.APPROVE_LIMIT_REQUEST.value,
    actions.ActionKind.REJECT_LIMIT_REQUEST.value,
}


# -- identity verification and actions ------------------------------------------------------


@router.post("/agent/tickets/{ticket_id}/verification", response_class=HTMLResponse)
def start_verification(
    p: StaffPost,
    ticket_id: uuid.UUID,
    method: Annotated[str, Form(max_length=16)],
    note: Annotated[FreeText, Form(max_length=actions.MAX_TEXT)] = "",
) -> Response:
    """Start a check: sms and totp wait for the customer to confirm on their ticket
    (the page shows it on reload); a document check is recorded at once."""
    try:
        started = actions.do_start_verification(
            p.container.wallet, p.me.user, ticket_id, method=method, note=note, ctx=p.ctx()
        )
    except WalletdeskError as exc:
        return refused_on_ticket(p, ticket_id, exc)
    notice = "notice.agent_verified" if started["fresh"] else "notice.agent_asked_customer"
    return back_to_ticket(p, ticket_id, notice, "#verify")


def action_params(
    p: Page,
    action: str,
    *,
    payment_id: str,
    amount: str,
    refund_reason: str,
    route: str,
    window: str,
    days: int,
    contact: str = "",
    request_id: str = "",
    card_id: str = "",
) -> dict[str, Any]:
    """The form's fields as the action's parameters (the service checks every one)."""
    if action in _LIMIT_DECISIONS:
        return {"request_id": request_id}
    if action == actions.ActionKind.REMOVE_BANK_CARD.value:
        return {"card_id": card_id}
    if action == actions.ActionKind.CHANGE_PHONE.value:
        return {"phone": contact}
    if action == actions.ActionKind.CHANGE_EMAIL.value:
        return {"email": contact}
    if action == actions.ActionKind.REFUND.value:
        return {
            "payment_id": payment_id,
            "amount": amount.strip() or None,
            "reason": refund_reason,
            "route": route,
        }
    if action == actions.ActionKind.RAISE_LIMIT.value:
        until = p.container.clock.now() + timedelta(days=days if days in RAISE_DAYS else 1)
        return {
            "currency": "CNY",
            "window": window,
            "amount": amount.strip(),
            "until": until.isoformat(),
        }
    return {}


@router.post("/agent/tickets/{ticket_id}/actions", response_class=HTMLResponse)
def propose(
    p: StaffPost,
    ticket_id: uuid.UUID,
    customer_id: Annotated[uuid.UUID, Form()],
    action: Annotated[str, Form(max_length=32)],
    reason: Annotated[FreeText, Form(max_length=actions.MAX_TEXT)],
    idempotency_key: Annotated[str, Form(max_length=actions.MAX_KEY)],
    payment_id: Annotated[str, Form(max_length=40)] = "",
    amount: Annotated[str, Form(max_length=24)] = "",
    refund_reason: Annotated[FreeText, Form(max_length=40)] = "",
    route: Annotated[str, Form(max_length=16)] = "",
    window: Annotated[str, Form(max_length=16)] = "",
    days: Annotated[int, Form()] = 7,
    contact: Annotated[str, Form(max_length=254)] = "",
    request_id: Annotated[str, Form(max_length=40)] = "",
    card_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    params = action_params(
        p,
        action,
        payment_id=payment_id,
        amount=amount,
        refund_reason=refund_reason,
        route=route,
        window=window,
        days=days,
        contact=contact,
        request_id=request_id,
        card_id=card_id,
    )
    try:
        proposed, _ = actions.do_propose_action(
            p.container.wallet,
            p.me.user,
            customer_id,
            action,
            ticket_id=ticket_id,
            params=params,
            reason=reason,
            idempotency_key=idempotency_key,
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return refused_on_ticket(p, ticket_id, exc)
    # A low-risk action ran at once; the others wait for a second person.
    notice = {
        actions.ActionStatus.EXECUTED.value: "notice.agent_action_done",
        actions.ActionStatus.FAILED.value: "notice.agent_action_failed",
    }.get(proposed["status"], "notice.agent_action_proposed")
    return back_to_ticket(p, ticket_id, notice, "#actions")


# -- approvals ----------------------------------------------------------------------------------


def approvals_page(p: Page, *, error: str | None = None, status: int = 200) -> Response:
    me = p.me.user
    pending = reports.list_pending_approvals(p.container.engine, me)
    return render(
        p,
        "agent/approvals.html",
        status=status,
        error=error,
        pending=pending,
        can_approve=p.can(Permission.APPROVE_ACTIONS),
        me_id=str(me.id),
    )


@router.get("/agent/approvals", response_class=HTMLResponse)
def approvals(p: StaffPage) -> Response:
    return approvals_page(p)


@router.post("/agent/approvals/{action_id}/{decision}", response_class=HTMLResponse)
def decide(
    p: StaffPost,
    action_id: uuid.UUID,
    decision: str,
    note: Annotated[FreeText, Form(max_length=actions.MAX_TEXT)] = "",
) -> Response:
    decide_with = {
        "approve": actions.do_approve_action,
        "reject": actions.do_reject_action,
    }.get(decision)
    if decide_with is None:
        return approvals_page(p, error=p.t("agent.unknown_decision"), status=404)
    try:
        decided = decide_with(
            p.container.wallet, p.me.user, action_id, note=note.strip() or None, ctx=p.ctx()
        )
    except WalletdeskError as exc:
        return approvals_page(p, error=error_text(p, exc), status=exc.http_status)
    return redirect(p, "/agent/approvals", notice=f"notice.agent_action_{decided['status']}")
