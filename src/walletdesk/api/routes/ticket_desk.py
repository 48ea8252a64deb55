"""The service desk's tools on tickets: search, macros, merging, and CSAT by signed link.

Included by :mod:`walletdesk.api.routes.tickets` ahead of its own routes (so
``/agent/tickets/search`` is not taken for a ticket id); the app needs no line of its own.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Self

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, StringConstraints, model_validator

from walletdesk.api.deps import App, Me
from walletdesk.api.text import FreeText
from walletdesk.bootstrap import Container
from walletdesk.core.errors import NotFound
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.tickets import assignment, csat, macros, merge, search
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.rules import Priority, TicketStatus

router = APIRouter(tags=["service desk"])

Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=40, pattern=r"^[\w-]+$"
    ),
]
Template = Annotated[str, Field(min_length=1, max_length=10_000)]


class MacroCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    category: Category | None = None
    body_en: Template = Field(description="reply template; placeholders: see `placeholders`")
    body_zh: Template
    set_status: TicketStatus | None = Field(default=None, description="open|pending|on_hold|solved")
    set_priority: Priority | None = None
    add_tags: list[Tag] = Field(default_factory=list, max_length=10)


class MacroUpdate(BaseModel):
    """Only the fields sent change; ``category``, ``set_status`` and ``set_priority``
    may be set to null to clear them."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    category: Category | None = None
    body_en: Template | None = None
    body_zh: Template | None = None
    set_status: TicketStatus | None = None
    set_priority: Priority | None = None
    add_tags: list[Tag] | None = Field(default=None, max_length=10)
    active: bool | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> Self:
        for name in ("name", "body_en", "body_zh", "add_tags", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ApplyMacro(BaseModel):
    macro_id: uuid.UUID


class MergeBody(BaseModel):
    into_ticket_id: uuid.UUID


class LinkRating(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: FreeText | None = Field(default=None, max_length=1000)


def _deps(c: App) -> TicketDeps:
    return TicketDeps.of(c.engine, c.clock, c.settings)


def _csat_secret(c: Container) -> bytes:
    return c.settings.csat_secret.get_secret_value().encode()


# -- search ---------------------------------------------------------------------------


class AvailabilityBody(BaseModel):
    accepting: bool | None = Field(default=None, description="taking new tickets")
    capacity: int | None = Field(
        default=None,
        ge=1,
        le=assignment.MAX_CAPACITY,
        description="active (new or open) tickets the router gives at most; desk leads only",
    )


@router.get("/agent/desk")
def desk(c: App, me: Me) -> dict[str, Any]:
    """Everyone on the desk: taking tickets or not, capacity, and active tickets now."""
    return {"items": assignment.list_desk(_deps(c), me.user)}


@router.put("/agent/desk/{agent}")
def set_availability(agent: str, body: AvailabilityBody, c: App, me: Me) -> dict[str, Any]:
    """Start or stop taking new tickets (``agent`` = ``me``); a desk lead also sets any
    agent's capacity or availability. Waiting tickets are handed out at once."""
    try:
        agent_id = me.user.id if agent == "me" else uuid.UUID(agent)
    except ValueError as exc:
        raise NotFound("no such agent") from exc
    return assignment.do_set_availability(
        _deps(c), me.user, agent_id, accepting=body.accepting, capacity=body.capacity
    )


@router.get("/agent/tickets/search")
def search_tickets(
    c: App,
    me: Me,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    limit: Annotated[int, Query(ge=1, le=search.MAX_LIMIT)] = 20,
) -> dict[str, Any]:
    """Tickets whose subject, number or messages (internal notes too) match ``q``, best
    first; Chinese and English, normalised and expanded as the help centre's search."""
    return {"items": search.search_tickets(_deps(c), me.user, q, limit=limit)}


# -- macros ---------------------------------------------------------------------------


@router.get("/agent/macros")
def list_macros(
    c: App, me: Me, category: Category | None = None, include_inactive: bool = False
) -> dict[str, Any]:
    """Macros by name; with ``category``, those for it and those for any ticket."""
    items = macros.list_macros(
        _deps(c), me.user, category=category, include_inactive=include_inactive
    )
    return {"items": items}


@router.post("/agent/macros", status_code=status.HTTP_201_CREATED)
def create_macro(body: MacroCreate, c: App, me: Me) -> dict[str, Any]:
    """Supervisors and admins. Placeholders: {customer_name}, {ticket_number},
    {ticket_subject}, {payment_id}, {agent_name}; both languages must use the same ones."""
    return macros.do_create_macro(_deps(c), me.user, body.model_dump())


@router.patch("/agent/macros/{macro_id}")
def update_macro(macro_id: uuid.UUID, body: MacroUpdate, c: App, me: Me) -> dict[str, Any]:
    changes = body.model_dump(include=body.model_fields_set)
    return macros.do_update_macro(_deps(c), me.user, macro_id, changes)


@router.post("/agent/tickets/{ticket_id}/macro")
def apply_macro(ticket_id: uuid.UUID, body: ApplyMacro, c: App, me: Me) -> dict[str, Any]:
    """Reply with the macro in the customer's language and apply its actions."""
    return macros.do_apply_macro(_deps(c), me.user, ticket_id, body.macro_id)


# -- merge ----------------------------------------------------------------------------


@router.post("/agent/tickets/{ticket_id}/merge")
def merge_ticket(ticket_id: uuid.UUID, body: MergeBody, c: App, me: Me) -> dict[str, Any]:
    """Merge this ticket into ``into_ticket_id`` (same customer): ``{source, target}``."""
    return merge.do_merge(_deps(c), me.user, ticket_id, body.into_ticket_id)


# -- CSAT by signed link (no login) ---------------------------------------------------


@router.get("/csat/{token}")
def rating_page(token: str, c: App) -> dict[str, Any]:
    """The ticket a rating link is for: number, subject, status, and any answer given."""
    return csat.get_rating_page(_deps(c), _csat_secret(c), token)


@router.post("/csat/{token}", status_code=status.HTTP_201_CREATED)
def rate_by_link(token: str, body: LinkRating, c: App) -> dict[str, Any]:
    """Record the 1–5 score and comment, once per ticket."""
    return csat.do_rate_by_link(_deps(c), _csat_secret(c), token, body.score, body.comment)
