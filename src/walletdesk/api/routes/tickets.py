"""Customer service (API.md "Customer service"): triage, tickets, replies, CSAT, agent queue.

The desk's tools (search, macros, merge, CSAT links) are in :mod:`.ticket_desk`,
whose routes this router includes first.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from walletdesk.api.deps import App, Ctx, Me
from walletdesk.api.routes import ticket_desk
from walletdesk.api.text import FreeText
from walletdesk.support import actions
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.tickets import csat, service
from walletdesk.support.tickets import queue as ticket_queue
from walletdesk.support.tickets.rules import Channel, TicketStatus
from walletdesk.support.triage import classify

router = APIRouter(prefix="/api/v1", tags=["customer service"])
# First: a fixed path such as /agent/tickets/search must be matched before
# /agent/tickets/{ticket_id} below would take "search" for an id.
router.include_router(ticket_desk.router)


class ClassifyBody(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)


class TicketCreate(BaseModel):
    subject: FreeText = Field(min_length=1, max_length=200)
    body: FreeText = Field(min_length=1, max_length=10_000)
    channel: Channel = Channel.WEB
    payment_id: uuid.UUID | None = None


class ReplyBody(BaseModel):
    body: FreeText = Field(min_length=1, max_length=10_000)


class ConfirmIdentityBody(BaseModel):
    code: str = Field(
        min_length=1,
        max_length=16,
        description="The code texted to your phone, or from your authenticator app",
    )


class CsatBody(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: FreeText | None = Field(default=None, max_length=1000)


class AssignBody(BaseModel):
    assignee_id: uuid.UUID | None = Field(default=None, description="default: the caller")


class StatusBody(BaseModel):
    status: TicketStatus = Field(description="`merged` only through the merge endpoint")


def _deps(c: App) -> service.TicketDeps:
    return service.TicketDeps.of(c.engine, c.clock, c.settings)


@router.post("/support/classify")
def classify_text(body: ClassifyBody, c: App, ctx: Ctx) -> dict[str, Any]:
    """The likely category of a text (DOMAIN.md §1), how sure, and its scam risk."""
    triage = classify(body.text, ctx.locale, today=c.clock.now().date())
    return {
        "category": triage.category.value,
        "confidence": triage.confidence,
        "scam_risk": triage.scam_risk.value,
    }


# -- customers --------------------------------------------------------------------


@router.post("/tickets", status_code=status.HTTP_201_CREATED)
def create_ticket(body: TicketCreate, c: App, me: Me) -> dict[str, Any]:
    return service.do_create_ticket(
        _deps(c),
        me.user,
        subject=body.subject,
        body=body.body,
        channel=body.channel,
        payment_id=body.payment_id,
    )


@router.get("/tickets")
def list_tickets(c: App, me: Me) -> dict[str, Any]:
    return {"items": service.list_my_tickets(c.engine, me.user.id)}


@router.get("/tickets/{ticket_id}")
def get_ticket(ticket_id: uuid.UUID, c: App, me: Me) -> dict[str, Any]:
    return service.get_my_ticket(c.engine, ticket_id, me.user.id)


@router.post("/tickets/{ticket_id}/replies", status_code=status.HTTP_201_CREATED)
def reply(ticket_id: uuid.UUID, body: ReplyBody, c: App, me: Me) -> dict[str, Any]:
    return service.do_customer_reply(_deps(c), me.user, ticket_id, body.body)


@router.get("/tickets/{ticket_id}/verification")
def verification_request(ticket_id: uuid.UUID, c: App, me: Me) -> dict[str, Any]:
    """Whether an agent asked you to confirm it's you on this ticket:
    ``{pending, method (sms|totp), requested_at, confirm_by}``."""
    request = actions.get_verification_request(c.wallet, me.user, ticket_id)
    return {"pending": request is not None, **(request or {})}


@router.post("/tickets/{ticket_id}/verification")
def confirm_identity(
    ticket_id: uuid.UUID, body: ConfirmIdentityBody, c: App, me: Me, ctx: Ctx
) -> dict[str, Any]:
    """Confirm it's you for the agent helping on this ticket, with the code texted to
    your phone (``sms``) or from your authenticator app (``totp``). Enter it only
    here: never tell it to anyone, including walletdesk staff.

    422 ``code_invalid`` for a wrong, expired or used code (wrong codes count towards
    the account lockout: 423 ``account_locked``); 409 ``no_pending_verification`` when
    nothing waits; 404 for a ticket that is not yours."""
    return actions.do_confirm_on_ticket(c.wallet, me, ticket_id, code=body.code, ctx=ctx)


@router.post("/tickets/{ticket_id}/csat", status_code=status.HTTP_201_CREATED)
def rate(ticket_id: uuid.UUID, body: CsatBody, c: App, me: Me) -> dict[str, Any]:
    return csat.do_rate(_deps(c), me.user, ticket_id, body.score, body.comment)


# -- agents -----------------------------------------------------------------------


@router.get("/agent/tickets")
def queue(
    c: App,
    me: Me,
    status: TicketStatus | None = None,
    category: Category | None = None,
    assignee: str | None = None,
    limit: int = ticket_queue.PAGE_SIZE,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Open tickets (or those in ``status``), soonest SLA due first, a page at a time
    (``next_cursor`` asks for the next; None on the last page).
    ``assignee``: ``me``, ``none`` or an agent's id. Search: ``/agent/tickets/search``."""
    items, next_cursor = ticket_queue.list_queue(
        _deps(c),
        me.user,
        status=status,
        category=category,
        assignee=assignee,
        limit=limit,
        cursor=cursor,
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/agent/tickets/{ticket_id}")
def agent_ticket(ticket_id: uuid.UUID, c: App, me: Me) -> dict[str, Any]:
    return service.get_ticket_for_agent(_deps(c), me.user, ticket_id)


@router.post("/agent/tickets/{ticket_id}/assign")
def assign(ticket_id: uuid.UUID, body: AssignBody, c: App, me: Me) -> dict[str, Any]:
    return service.do_assign(_deps(c), me.user, ticket_id, body.assignee_id)


@router.post("/agent/tickets/{ticket_id}/replies", status_code=status.HTTP_201_CREATED)
def agent_reply(ticket_id: uuid.UUID, body: ReplyBody, c: App, me: Me) -> dict[str, Any]:
    return service.do_agent_reply(_deps(c), me.user, ticket_id, body.body)


@router.post("/agent/tickets/{ticket_id}/notes", status_code=status.HTTP_201_CREATED)
def internal_note(ticket_id: uuid.UUID, body: ReplyBody, c: App, me: Me) -> dict[str, Any]:
    return service.do_agent_reply(_deps(c), me.user, ticket_id, body.body, internal=True)


@router.post("/agent/tickets/{ticket_id}/status")
def change_status(ticket_id: uuid.UUID, body: StatusBody, c: App, me: Me) -> dict[str, Any]:
    return service.do_change_status(_deps(c), me.user, ticket_id, body.status)
