"""FastAPI dependencies: the container, the request context, the authenticated principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from walletdesk.api.i18n import request_locale
from walletdesk.bootstrap import Container
from walletdesk.identity.authentication import authenticate
from walletdesk.identity.model import Principal, RequestContext


def container(request: Request) -> Container:
    built: Container = request.app.state.container
    return built


def request_context(request: Request) -> RequestContext:
    """Who is calling from where. The country comes from the edge proxy's GeoIP header."""
    return RequestContext(
        source_ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent", ""),
        device_id=request.headers.get("x-device-id"),
        country=(request.headers.get("x-client-country") or "").upper()[:2] or None,
        locale=request_locale(request),
    )


def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def principal(
    c: Annotated[Container, Depends(container)],
    token: Annotated[str | None, Depends(bearer_token)],
) -> Principal:
    return authenticate(c.identity, token)


Ctx = Annotated[RequestContext, Depends(request_context)]
App = Annotated[Container, Depends(container)]
Me = Annotated[Principal, Depends(principal)]
