"""Agent tools on a customer's account (API.md "Customer service", DOMAIN.md §5).

The customer 360, identity verification on a ticket (started here, confirmed by
the customer on their ticket), and typed actions with a risk class: low-risk ones run at once, approval_required ones wait for a second
person's approval.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from walletdesk.api.deps import App, Ctx, Me
from walletdesk.api.text import FreeText
from walletdesk.support import actions
from walletdesk.support.customer360 import get_customer_360

router = APIRouter(prefix="/api/v1/agent", tags=["agent tools"])

# Kept a plain string in the path so an unknown kind answers ``unknown_action``.
_KINDS = "One of: " + ", ".join(
    f"{kind.value} ({actions.RISK[kind].value})" for kind in actions.ActionKind
)


class VerificationBody(BaseModel):
    # No ``code``: an agent never types a customer's code (the customer confirms on
    # their ticket). A body that still sends one is refused rather than ignored.
    model_config = ConfigDict(extra="forbid")

    method: actions.VerificationMethodKind
    note: FreeText | None = Field(default=None, max_length=actions.MAX_TEXT)


class ActionBody(BaseModel):
    ticket_id: uuid.UUID | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    reason: FreeText = Field(min_length=1, max_length=actions.MAX_TEXT)
    idempotency_key: str = Field(min_length=1, max_length=actions.MAX_KEY)


class DecisionBody(BaseModel):
    note: FreeText | None = Field(default=None, max_length=actions.MAX_TEXT)


@router.get("/customers/{customer_id}")
def customer_360(
    customer_id: uuid.UUID,
    c: App,
    me: Me,
    ctx: Ctx,
    ticket_id: uuid.UUID | None = None,
    currency: str = "CNY",
) -> dict[str, Any]:
    """Everything about one customer (masked contacts); every read is audited."""
    return get_customer_360(c.wallet, me.user, customer_id, ticket_id, ctx=ctx, currency=currency)


@router.post("/tickets/{ticket_id}/verifications", status_code=status.HTTP_201_CREATED)
def start_verification(
    ticket_id: uuid.UUID, body: VerificationBody, c: App, me: Me, ctx: Ctx
) -> dict[str, Any]:
    """Start an identity check on the ticket. Body: ``{method, note?}`` (``code`` is
    no longer accepted: staff never take a customer's code).

    ``sms``: a code for this ticket is texted to the customer's phone on file;
    ``totp``: the customer is asked to use their authenticator app (2FA must be on).
    Both answer ``status: waiting_for_customer``: the customer confirms on their own
    ticket (``POST /api/v1/tickets/{ticket_id}/verification``) by ``confirm_by``, and
    the customer 360 (``?ticket_id=``) then shows the ticket verified.
    ``document``: record a document check with a ``note``; verified at once."""
    return actions.do_start_verification(
        c.wallet, me.user, ticket_id, method=body.method.value, note=body.note, ctx=ctx
    )


@router.get("/customers/{customer_id}/actions")
def list_actions(customer_id: uuid.UUID, c: App, me: Me, ctx: Ctx) -> dict[str, Any]:
    return {"items": actions.list_actions(c.wallet, me.user, customer_id, ctx)}


@router.post("/customers/{customer_id}/actions/{action}", status_code=status.HTTP_201_CREATED)
def propose_action(
    customer_id: uuid.UUID,
    action: Annotated[str, Path(description=_KINDS)],
    body: ActionBody,
    c: App,
    me: Me,
    ctx: Ctx,
    response: Response,
) -> dict[str, Any]:
    """Low-risk actions run now; approval_required ones are stored ``pending``."""
    result, created = actions.do_propose_action(
        c.wallet,
        me.user,
        customer_id,
        action,
        ticket_id=body.ticket_id,
        params=body.params,
        reason=body.reason,
        idempotency_key=body.idempotency_key,
        ctx=ctx,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/actions/{action_id}")
def get_action(action_id: uuid.UUID, c: App, me: Me, ctx: Ctx) -> dict[str, Any]:
    return actions.get_action(c.wallet, me.user, action_id, ctx)


@router.post("/actions/{action_id}/approve")
def approve_action(
    action_id: uuid.UUID, c: App, me: Me, ctx: Ctx, body: DecisionBody | None = None
) -> dict[str, Any]:
    """A second person approves; the action then runs and its outcome is returned."""
    return actions.do_approve_action(
        c.wallet, me.user, action_id, note=body.note if body else None, ctx=ctx
    )


@router.post("/actions/{action_id}/reject")
def reject_action(
    action_id: uuid.UUID, c: App, me: Me, ctx: Ctx, body: DecisionBody | None = None
) -> dict[str, Any]:
    return actions.do_reject_action(
        c.wallet, me.user, action_id, note=body.note if body else None, ctx=ctx
    )
