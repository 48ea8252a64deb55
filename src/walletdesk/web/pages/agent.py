"""The agent console: the queue and one ticket with the customer 360 (actions: agent_actions.py).

Every handler calls the services the API calls (tickets, macros, merge, search,
actions, customer 360); nothing here decides who may do what. A refusal is shown
with the API's own words (:func:`error_text`) on the page it came from.

Reading a ticket page reads the customer 360, which the service audits
(``agent.customer.viewed``): opening the page *is* the sensitive read.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from walletdesk.api.text import FreeText
from walletdesk.core.errors import WalletdeskError
from walletdesk.identity.roles import Permission
from walletdesk.support import reports
from walletdesk.support.customer360 import get_customer_360
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.tickets import assignment, macros, merge, search, service
from walletdesk.support.tickets import queue as ticket_queue
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.placeholders import fill
from walletdesk.support.tickets.rules import TicketStatus, can_set_status
from walletdesk.wallet.limits_policy import Window
from walletdesk.wallet.merchants import REFUND_REASONS
from walletdesk.wallet.refund_rules import RefundRoute
from walletdesk.web.context import Page, StaffPage, StaffPost
from walletdesk.web.pages.auth import error_text
from walletdesk.web.rendering import DISPLAY_TZ, redirect, render

router = APIRouter(include_in_schema=False)

MAX_BODY = 10_000
MAX_QUERY = 200
DUE_FILTERS = ("overdue", "hour", "today")
ASSIGNEE_FILTERS = ("me", "none")
# Windows an agent may raise for a while, and for how long (days; 30 at most).
RAISE_WINDOWS = (Window.TRANSACTION, Window.DAY, Window.MONTH)
RAISE_DAYS = (1, 3, 7, 14, 30)


def _deps(p: Page) -> TicketDeps:
    return TicketDeps.of(p.container.engine, p.container.clock, p.container.settings)


# -- presentation helpers (no decisions: only how a due time reads) -----------------------


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def remaining(due: datetime, now: datetime) -> tuple[bool, str]:
    """(overdue?, "2h 5m"): what the countdown shows before the script takes over."""
    minutes = round((due - now).total_seconds() / 60)
    hours, rest = divmod(abs(minutes), 60)
    return minutes < 0, (f"{hours}h " if hours else "") + f"{rest}m"


def due_view(value: str | None, now: datetime) -> dict[str, Any] | None:
    due = _parse(value)
    if due is None:
        return None
    overdue, left = remaining(due, now)
    return {"due": value, "overdue": overdue, "left": left}


def _matches_due(item: dict[str, Any], due: str, now: datetime) -> bool:
    moment = _parse(item.get("next_due"))
    if moment is None:
        return False
    if due == "overdue":
        return moment <= now
    if due == "hour":
        return moment <= now + timedelta(hours=1)
    return moment.astimezone(DISPLAY_TZ).date() <= now.astimezone(DISPLAY_TZ).date()


def queue_row(item: dict[str, Any], now: datetime) -> dict[str, Any]:
    sla = item["sla"]
    return {
        **item,
        "first_reply": None
        if item.get("first_replied_at")
        else due_view(sla.get("first_reply_due"), now),
        "next_reply": due_view(sla.get("next_reply_due"), now),
        "resolution": due_view(sla.get("resolution_due"), now),
    }


# -- the queue ------------------------------------------------------------------------------


@router.get("/agent", response_class=HTMLResponse)
def queue(
    p: StaffPage,
    status: TicketStatus | None = None,
    category: Category | None = None,
    assignee: str = "",
    due: str = "",
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    me = p.me.user
    now = p.container.clock.now()
    query = q.strip()
    next_url = None
    if query:
        items = search.search_tickets(_deps(p), me, query, limit=search.MAX_LIMIT)
    else:
        items, next_cursor = ticket_queue.list_queue(
            _deps(p),
            me,
            status=status,
            category=category,
            assignee=assignee if assignee in ASSIGNEE_FILTERS else None,
            limit=ticket_queue.QUEUE_LIMIT,
            cursor=cursor or None,
        )
        if next_cursor is not None:
            # Relative, with the page's own filters: only the cursor changes.
            following = p.request.url.include_query_params(cursor=next_cursor)
            next_url = f"{following.path}?{following.query}"
        if due in DUE_FILTERS:
            items = [item for item in items if _matches_due(item, due, now)]
    people = reports.display_names(
        p.container.engine,
        me,
        [i["customer_id"] for i in items] + [i["assignee_id"] or "" for i in items],
    )
    return render(
        p,
        "agent/queue.html",
        desk_me=assignment.desk_line(_deps(p), me),
        rows=[queue_row(item, now) for item in items],
        people=people,
        filters={
            "status": status.value if status else "",
            "category": category.value if category else "",
            "assignee": assignee if assignee in ASSIGNEE_FILTERS else "",
            "due": due if due in DUE_FILTERS else "",
        },
        q=query,
        statuses=list(TicketStatus),
        categories=list(Category),
        due_filters=DUE_FILTERS,
        next_url=next_url,
    )


# -- one ticket -------------------------------------------------------------------------------


def ticket_page(
    p: Page,
    ticket_id: uuid.UUID,
    *,
    error: str | None = None,
    status: int = 200,
    draft: str = "",
    macro_id: str = "",
) -> Response:
    me = p.me.user
    deps = _deps(p)
    now = p.container.clock.now()
    ticket = service.get_ticket_for_agent(deps, me, ticket_id)
    customer_id = uuid.UUID(ticket["customer_id"])
    customer = get_customer_360(
        p.container.wallet, me, customer_id, ticket_id, ctx=p.ctx(), currency="CNY"
    )
    macro_list = macros.list_macros(deps, me, category=_category(ticket["category"]))
    if macro_id and not draft:
        try:
            draft = _macro_draft(macro_list, macro_id, ticket, customer, me.display_name)
        except WalletdeskError as exc:  # a placeholder this ticket has no value for
            error = error or error_text(p, exc)
    linked = next(
        (pay for pay in customer["payments"] if pay["id"] == ticket.get("payment_id")), None
    )
    people = reports.display_names(
        p.container.engine,
        me,
        [m["author_id"] for m in ticket["messages"]]
        + [ticket["assignee_id"] or ""]
        + [a["proposed_by"] for a in customer["actions"]]
        + [a["decided_by"] or "" for a in customer["actions"]],
    )
    current = TicketStatus(ticket["status"])
    return render(
        p,
        "agent/ticket.html",
        status=status,
        error=error,
        ticket=ticket,
        row=queue_row(ticket, now),
        customer=customer,
        linked=linked,
        people=people,
        macros=macro_list,
        macro_id=macro_id,
        draft=draft,
        next_statuses=[s for s in TicketStatus if can_set_status(current, s)],
        merge_targets=[t for t in customer["open_tickets"] if t["id"] != ticket["id"]],
        ticket_actions=[a for a in customer["actions"] if a["ticket_id"] == ticket["id"]],
        verification=customer["verification"],
        refundable=[pay for pay in customer["payments"] if pay["status"] == "succeeded"],
        refund_reasons=REFUND_REASONS,
        refund_routes=[r.value for r in RefundRoute],
        raise_windows=[w.value for w in RAISE_WINDOWS],
        raise_days=RAISE_DAYS,
        new_key=uuid.uuid4().hex,
        can_approve=p.can(Permission.APPROVE_ACTIONS),
    )


def _category(value: str) -> Category | None:
    try:
        return Category(value)
    except ValueError:
        return None


def _macro_draft(
    macro_list: list[dict[str, Any]],
    macro_id: str,
    ticket: dict[str, Any],
    customer: dict[str, Any],
    agent_name: str,
) -> str:
    """The chosen macro's text in the customer's language, for the agent to edit and send.

    The same template and values :func:`macros.do_apply_macro` uses; applying a macro
    (the other button) also runs its field changes.
    """
    chosen = next((m for m in macro_list if m["id"] == macro_id), None)
    if chosen is None:
        return ""
    profile = customer["profile"]
    chinese = str(profile["locale"]).lower().startswith("zh")
    return fill(
        chosen["body_zh"] if chinese else chosen["body_en"],
        {
            "customer_name": profile["display_name"],
            "ticket_number": ticket["number"],
            "ticket_subject": ticket["subject"],
            "payment_id": ticket.get("payment_id"),
            "agent_name": agent_name,
        },
    )


@router.get("/agent/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket(p: StaffPage, ticket_id: uuid.UUID, macro: str = "") -> Response:
    return ticket_page(p, ticket_id, macro_id=macro)


def back_to_ticket(p: Page, ticket_id: uuid.UUID, notice: str, anchor: str = "") -> Response:
    # The fragment goes last, after the notice's query string.
    return redirect(p, f"/agent/tickets/{ticket_id}?notice={notice}{anchor}")


def refused_on_ticket(
    p: Page, ticket_id: uuid.UUID, exc: WalletdeskError, draft: str = ""
) -> Response:
    return ticket_page(p, ticket_id, error=error_text(p, exc), status=exc.http_status, draft=draft)


@router.post("/agent/availability", response_class=HTMLResponse)
def availability(p: StaffPost, accepting: Annotated[bool, Form()]) -> Response:
    """Start or stop taking new tickets; starting hands out waiting ones at once."""
    assignment.do_set_availability(_deps(p), p.me.user, p.me.user.id, accepting=accepting)
    notice = "notice.agent_taking_tickets" if accepting else "notice.agent_not_taking_tickets"
    return redirect(p, "/agent", notice=notice)


@router.post("/agent/tickets/{ticket_id}/reply", response_class=HTMLResponse)
def reply(
    p: StaffPost, ticket_id: uuid.UUID, body: Annotated[FreeText, Form(max_length=MAX_BODY)]
) -> Response:
    if not body.strip():
        return ticket_page(p, ticket_id, error=p.t("agent.empty_message"), status=422)
    try:
        service.do_agent_reply(_deps(p), p.me.user, ticket_id, body.strip())
    except WalletdeskError as exc:
        return refused_on_ticket(p, ticket_id, exc, draft=body)
    return back_to_ticket(p, ticket_id, "notice.agent_replied", "#conversation")


@router.post("/agent/tickets/{ticket_id}/note", response_class=HTMLResponse)
def note(
    p: StaffPost, ticket_id: uuid.UUID, body: Annotated[FreeText, Form(max_length=MAX_BODY)]
) -> Response:
    if not body.strip():
        return ticket_page(p, ticket_id, error=p.t("agent.empty_message"), status=422)
    try:
        service.do_agent_reply(_deps(p), p.me.user, ticket_id, body.strip(), internal=True)
    except WalletdeskError as exc:
        return refused_on_ticket(p, ticket_id, exc)
    return back_to_ticket(p, ticket_id, "notice.agent_noted", "#conversation")


@router.post("/agent/tickets/{ticket_id}/macro", response_class=HTMLResponse)
def apply_macro(
    p: StaffPost, ticket_id: uuid.UUID, macro_id: Annotated[uuid.UUID, Form()]
) -> Response:
    try:
        macros.do_apply_macro(_deps(p), p.me.user, ticket_id, macro_id)
    except WalletdeskError as exc:
        return refused_on_ticket(p, ticket_id, exc)
    return back_to_ticket(p, ticket_id, "notice.agent_macro_applied", "#conversation")


@router.post("/agent/tickets/{ticket_id}/status", response_class=HTMLResponse)
def change_status(
    p: StaffPost, ticket_id: uuid.UUID, status: Annotated[TicketStatus, Form()]
) -> Response:
    try:
        service.do_change_status(_deps(p), p.me.user, ticket_id, status)
    except WalletdeskError as exc:
        return refused_on_ticket(p, ticket_id, exc)
    return back_to_ticket(p, ticket_id, "notice.agent_status_changed")


@router.post("/agent/tickets/{ticket_id}/assign", response_class=HTMLResponse)
def assign_to_me(p: StaffPost, ticket_id: uuid.UUID) -> Response:
    try:
        service.do_assign(_deps(p), p.me.user, ticket_id, None)
    except WalletdeskError as exc:
        return refused_on_ticket(p, ticket_id, exc)
    return back_to_ticket(p, ticket_id, "notice.agent_assigned")


@router.post("/agent/tickets/{ticket_id}/merge", response_class=HTMLResponse)
def merge_into(p: StaffPost, ticket_id: uuid.UUID, into: Annotated[uuid.UUID, Form()]) -> Response:
    try:
        merge.do_merge(_deps(p), p.me.user, ticket_id, into)
    except WalletdeskError as exc:
        return refused_on_ticket(p, ticket_id, exc)
    return back_to_ticket(p, into, "notice.agent_merged")
