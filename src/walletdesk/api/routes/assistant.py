"""The help assistant (API.md "Customer service"): ``POST /api/v1/assistant/messages``,
and the customer's "did this help?" on a conversation."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from walletdesk.api.deps import App, bearer_token
from walletdesk.api.i18n import negotiate
from walletdesk.api.text import FreeText
from walletdesk.bootstrap import Container
from walletdesk.identity.authentication import authenticate
from walletdesk.identity.model import Principal
from walletdesk.support.assistant import AssistantDeps, answer_language, respond
from walletdesk.support.assistant_feedback import record_feedback

router = APIRouter(prefix="/api/v1/assistant", tags=["customer service"])


class AssistantMessage(BaseModel):
    text: FreeText = Field(min_length=1, max_length=2_000)
    conversation_id: uuid.UUID | None = None


class AssistantFeedback(BaseModel):
    helpful: bool


def optional_principal(
    request: Request, token: Annotated[str | None, Depends(bearer_token)]
) -> Principal | None:
    """The caller when a bearer token is sent (a bad one is still a 401), else anonymous."""
    if token is None:
        return None
    c: Container = request.app.state.container
    return authenticate(c.identity, token)


MaybeMe = Annotated[Principal | None, Depends(optional_principal)]


@router.post("/messages")
def message(body: AssistantMessage, request: Request, c: App, me: MaybeMe) -> dict[str, Any]:
    """Answer from the help centre (with citations) and the caller's own data; warn about
    scams; hand over to a person (a chat ticket with the transcript) when unsure or asked.

    Answered in the message's language when it is clearly Chinese or English, else the
    signed-in customer's, else Accept-Language's."""
    header = request.headers.get("accept-language")
    locale = answer_language(
        body.text,
        profile=me.user.locale if me is not None else None,
        header=negotiate(header) if header else None,
        default=c.settings.default_locale,
    )
    return respond(
        AssistantDeps(c.engine, c.clock),
        body.text,
        user=me.user if me is not None else None,
        locale=locale,
        conversation_id=body.conversation_id,
    )


@router.post("/conversations/{conversation_id}/feedback")
def feedback(
    conversation_id: uuid.UUID, body: AssistantFeedback, c: App, me: MaybeMe
) -> dict[str, Any]:
    """The customer's answer to "did this help?"; it feeds the honest resolution rate on
    the reports page (confirmed, or no further help asked within 24 hours)."""
    return record_feedback(
        c.engine, c.clock, conversation_id, me.user if me is not None else None, body.helpful
    )
