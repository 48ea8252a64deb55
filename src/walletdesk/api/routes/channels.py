"""Inbound channels (API.md "Customer service"): email, phone call events, social messages.

Each request is signed (``Walletdesk-Signature: t=..,v1=..``, HMAC-SHA256 over
``f"{t}.{body}"`` with the channel secret); a bad or stale signature is a 401 and
nothing is stored. Every channel produces the same ticket as the web form.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field, ValidationError

from walletdesk.api.deps import App
from walletdesk.api.text import FreeText
from walletdesk.bootstrap import Container
from walletdesk.core.errors import ValidationError as BadRequest
from walletdesk.support.channels import email_in, phone, social
from walletdesk.support.channels.inbound import Dropped, Outcome, unknown
from walletdesk.support.channels.signature import (
    HEADER,
    channels_secret,
    delivery_key,
    parse,
    verify,
)
from walletdesk.support.tickets.service import TicketDeps

M = TypeVar("M", bound=BaseModel)

router = APIRouter(prefix="/api/v1/channels", tags=["customer service"])

MAX_BODY = 2_000_000


async def signed_body(request: Request) -> bytes:
    """The raw body, once its signature checks out."""
    c: Container = request.app.state.container
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadRequest("the message is too large")
    verify(channels_secret(c.settings), request.headers.get(HEADER), body, c.clock.now())
    return body


Signed = Annotated[bytes, Depends(signed_body)]


def delivery(request: Request, body: Signed) -> str:
    """A name for this signed delivery, for a message that carries no id of its own
    (:func:`~walletdesk.support.channels.signature.delivery_key`). Depends on
    :func:`signed_body`, so the header it reads has been verified."""
    return delivery_key(parse(request.headers.get(HEADER)), body)


Delivery = Annotated[str, Depends(delivery)]


class PhoneEvent(BaseModel):
    call_id: str = Field(min_length=1, max_length=200)
    event: phone.CallEvent
    caller: str = Field(min_length=1, max_length=40)
    summary: FreeText = Field(default="", max_length=10_000)
    duration_seconds: int | None = Field(default=None, ge=0)


class SocialMessage(BaseModel):
    platform: str = Field(min_length=1, max_length=40)
    handle: str = Field(min_length=1, max_length=200)
    text: FreeText = Field(min_length=1, max_length=10_000)
    message_id: str | None = Field(default=None, max_length=200)
    # A contact the platform verified for this account, used to link the handle once.
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)


def _deps(c: Container) -> TicketDeps:
    return TicketDeps.of(c.engine, c.clock, c.settings)


def _parse(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise BadRequest(f"invalid {model.__name__}: {exc.error_count()} error(s)") from None


def _answer(outcome: Outcome | Dropped | None, response: Response) -> dict[str, Any]:
    if outcome is None:
        response.status_code = status.HTTP_202_ACCEPTED
        return unknown()
    if isinstance(outcome, Dropped):
        response.status_code = status.HTTP_202_ACCEPTED
        return outcome.public()
    if outcome.duplicate or outcome.threaded:
        response.status_code = status.HTTP_200_OK
    return outcome.public()


@router.post("/email", status_code=status.HTTP_201_CREATED)
def inbound_email(body: Signed, seen_as: Delivery, c: App, response: Response) -> dict[str, Any]:
    """A raw RFC 5322 message: a reply (In-Reply-To/References) joins its ticket."""
    return _answer(email_in.receive(_deps(c), body, delivery=seen_as), response)


@router.post("/phone", status_code=status.HTTP_201_CREATED)
def phone_event(body: Signed, c: App, response: Response) -> dict[str, Any]:
    """Call events: ``ringing``/``answered`` look the caller up; ``ended`` files a ticket."""
    event = _parse(PhoneEvent, body)
    if event.event is not phone.CallEvent.ENDED:
        response.status_code = status.HTTP_200_OK
        return {"status": event.event.value, **phone.lookup(_deps(c), event.caller)}
    outcome = phone.call_ended(
        _deps(c),
        call_id=event.call_id,
        caller=event.caller,
        summary=event.summary,
        duration_seconds=event.duration_seconds,
    )
    return _answer(outcome, response)


@router.post("/social", status_code=status.HTTP_201_CREATED)
def social_message(body: Signed, seen_as: Delivery, c: App, response: Response) -> dict[str, Any]:
    """A direct message to an official account; a handle's messages share its open ticket."""
    message = _parse(SocialMessage, body)
    outcome = social.receive(
        _deps(c),
        platform=message.platform,
        handle=message.handle,
        text=message.text,
        message_id=message.message_id,
        phone=message.phone,
        email=message.email,
        delivery=seen_as,
    )
    return _answer(outcome, response)
