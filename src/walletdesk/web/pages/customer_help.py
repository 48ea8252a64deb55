"""Me -> Help & feedback: search the help centre, the official contacts, the assistant
chat, writing to us, my tickets, one ticket's conversation with a reply box and CSAT."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from walletdesk.api.text import FreeText
from walletdesk.core.errors import NotFound, WalletdeskError
from walletdesk.support import actions
from walletdesk.support.assistant import AssistantDeps, answer_language, respond
from walletdesk.support.assistant_feedback import record_feedback
from walletdesk.support.contacts.directory import default_directory
from walletdesk.support.helpcenter.service import find_articles
from walletdesk.support.tickets import csat
from walletdesk.support.tickets.deps import TicketDeps
from walletdesk.support.tickets.rules import RATEABLE_STATES, Channel, TicketStatus
from walletdesk.support.tickets.service import (
    do_create_ticket,
    do_customer_reply,
    get_my_ticket,
    list_my_tickets,
)
from walletdesk.web.context import Page
from walletdesk.web.pages.customer_forms import CustomerPage, CustomerPost, form_error, parse_uuid
from walletdesk.web.rendering import redirect, render

router = APIRouter(include_in_schema=False)
MAX_QUERY_CHARS = 200
ARTICLES_SHOWN = 6
CLOSED = {TicketStatus.CLOSED.value, TicketStatus.MERGED.value, TicketStatus.SPAM.value}


def _tickets(p: Page) -> TicketDeps:
    return TicketDeps.of(p.container.engine, p.container.clock, p.container.settings)


def _help_page(p: Page, *, q: str = "", status: int = 200, **extra: Any) -> Response:
    query = q.strip()
    articles = find_articles(
        p.container.engine, query or None, locale=p.locale, limit=ARTICLES_SHOWN
    )
    return render(
        p,
        "customer/help.html",
        status=status,
        q=query,
        articles=articles,
        tickets=list_my_tickets(p.container.engine, p.me.user.id),
        house=default_directory().providers[0],
        form=extra.pop("form", {}),
        **extra,
    )


@router.get("/me/help", response_class=HTMLResponse)
def help_and_feedback(
    p: CustomerPage, q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = ""
) -> Response:
    return _help_page(p, q=q)


@router.post("/me/help/assistant", response_class=HTMLResponse)
def ask_assistant(
    p: CustomerPost,
    text: Annotated[FreeText, Form(max_length=2_000)],
    conversation_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """One turn with the assistant: its answer, the articles it cites, and the ticket
    when it hands over to a person."""
    if not text.strip():
        return _help_page(p, status=422, error=p.t("myhelp.ask_empty"))
    # The question's own language when it is clear (a Chinese question on the English
    # page is answered in Chinese), else the page's: what the customer is reading.
    locale = answer_language(text, profile=None, header=p.locale, default=p.locale)
    try:
        answer = respond(
            AssistantDeps(p.container.engine, p.container.clock),
            text.strip(),
            user=p.me.user,
            locale=locale,
            conversation_id=parse_uuid(conversation_id),
        )
    except NotFound:  # a conversation that is not (or no longer) this user's: start anew
        answer = respond(
            AssistantDeps(p.container.engine, p.container.clock),
            text.strip(),
            user=p.me.user,
            locale=locale,
        )
    return _help_page(p, question=text.strip(), chat=answer)


@router.post("/me/help/assistant/feedback", response_class=HTMLResponse)
def assistant_feedback(
    p: CustomerPost,
    conversation_id: Annotated[str, Form(max_length=64)],
    helpful: Annotated[str, Form(pattern="^(yes|no)$")],
) -> Response:
    """The answer to "did this help?"; a no offers a person at once, conversation attached."""
    chosen = parse_uuid(conversation_id)
    if chosen is None:
        raise NotFound("no such conversation")
    record_feedback(p.container.engine, p.container.clock, chosen, p.me.user, helpful == "yes")
    if helpful == "yes":
        return redirect(p, "/me/help#assistant", notice="notice.assistant_thanks")
    return _help_page(p, unhelped=str(chosen))


@router.post("/me/help/tickets", response_class=HTMLResponse)
def write_to_us(
    p: CustomerPost,
    subject: Annotated[FreeText, Form(max_length=200)],
    body: Annotated[FreeText, Form(max_length=10_000)],
) -> Response:
    form = {"subject": subject, "body": body}
    if not subject.strip() or not body.strip():
        return _help_page(p, status=422, error=p.t("myhelp.ticket_empty"), form=form)
    try:
        ticket = do_create_ticket(
            _tickets(p), p.me.user, subject=subject.strip(), body=body.strip(), channel=Channel.WEB
        )
    except WalletdeskError as exc:
        return _help_page(p, status=exc.http_status, error=form_error(p, exc), form=form)
    return redirect(p, f"/me/help/tickets/{ticket['id']}", notice="notice.ticket_created")


def _ticket_id(value: str) -> uuid.UUID:
    found = parse_uuid(value)
    if found is None:
        raise NotFound("no such ticket")
    return found


def _ticket_page(
    p: Page, ticket_id: uuid.UUID, *, status: int = 200, error: str | None = None
) -> Response:
    ticket = get_my_ticket(p.container.engine, ticket_id, p.me.user.id)
    return render(
        p,
        "customer/ticket.html",
        status=status,
        ticket=ticket,
        # An agent's request to confirm it's you, entered here and never read out.
        confirm=actions.get_verification_request(p.container.wallet, p.me.user, ticket_id),
        can_reply=ticket["status"] not in CLOSED,
        can_rate=ticket["status"] in {s.value for s in RATEABLE_STATES} and not ticket["csat"],
        error=error,
    )


@router.get("/me/help/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(p: CustomerPage, ticket_id: str) -> Response:
    return _ticket_page(p, _ticket_id(ticket_id))


@router.post("/me/help/tickets/{ticket_id}/replies", response_class=HTMLResponse)
def reply(
    p: CustomerPost, ticket_id: str, body: Annotated[FreeText, Form(max_length=10_000)]
) -> Response:
    chosen = _ticket_id(ticket_id)
    if not body.strip():
        return _ticket_page(p, chosen, status=422, error=p.t("myhelp.reply_empty"))
    try:
        view = do_customer_reply(_tickets(p), p.me.user, chosen, body.strip())
    except WalletdeskError as exc:
        return _ticket_page(p, chosen, status=exc.http_status, error=form_error(p, exc))
    return redirect(p, f"/me/help/tickets/{view['id']}", notice="notice.reply_sent")


@router.post("/me/help/tickets/{ticket_id}/verification", response_class=HTMLResponse)
def confirm_identity(
    p: CustomerPost, ticket_id: str, code: Annotated[str, Form(max_length=16)] = ""
) -> Response:
    """The customer confirms it's them for the agent, with the code only they have."""
    chosen = _ticket_id(ticket_id)
    try:
        actions.do_confirm_on_ticket(
            p.container.wallet, p.me, chosen, code=code.strip(), ctx=p.ctx()
        )
    except WalletdeskError as exc:
        return _ticket_page(p, chosen, status=exc.http_status, error=form_error(p, exc))
    return redirect(p, f"/me/help/tickets/{chosen}", notice="notice.identity_confirmed")


@router.post("/me/help/tickets/{ticket_id}/csat", response_class=HTMLResponse)
def rate(
    p: CustomerPost,
    ticket_id: str,
    score: Annotated[str, Form(max_length=1)] = "",
    comment: Annotated[FreeText, Form(max_length=1_000)] = "",
) -> Response:
    chosen = _ticket_id(ticket_id)
    if score not in {"1", "2", "3", "4", "5"}:
        return _ticket_page(p, chosen, status=422, error=p.t("myhelp.rate_choose"))
    try:
        csat.do_rate(_tickets(p), p.me.user, chosen, int(score), comment.strip() or None)
    except WalletdeskError as exc:
        return _ticket_page(p, chosen, status=exc.http_status, error=form_error(p, exc))
    return redirect(p, f"/me/help/tickets/{chosen}", notice="notice.rated")
