"""The HTTP Idempotency-Key contract (API.md), for every mutating request.

Same key + same request -> the stored response again, with no second effect;
same key + a different request -> 422 ``idempotency_key_reused``; while the first
is still running -> 409 ``request_in_progress``. Keys are scoped to the caller
(a hash of the Authorization header), so one client cannot replay another's.
A 202 (still processing, e.g. the bank has not answered) is not stored: a retry
runs the handler again, and the money services are idempotent by the same key.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from walletdesk.api.i18n import request_locale, translate
from walletdesk.api.problems import problem
from walletdesk.bootstrap import Container
from walletdesk.db.transactions import writing
from walletdesk.wallet import tables as t

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Keys are kept at least this long (Stripe keeps them 24 h).
RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 128


class IdempotencyMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        key = request.headers.get("idempotency-key")
        if request.method not in MUTATING or not key:
            return await call_next(request)
        locale = request_locale(request)
        if len(key) > MAX_KEY_LENGTH:
            return problem(
                422,
                "validation_error",
                translate("title.validation_error", locale, default="Invalid request"),
                "Idempotency-Key is at most 128 characters",
            )
        container: Container = request.app.state.container
        body = await request.body()
        principal = hashlib.sha256(request.headers.get("authorization", "").encode()).hexdigest()[
            :64
        ]
        fingerprint = hashlib.sha256(
            request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
        ).hexdigest()
        now = container.clock.now()
        engine = container.engine
        c = t.idempotency_keys.c
        where = and_(c.principal == principal, c.key == key)
        try:
            with writing(engine) as conn:
                conn.execute(
                    delete(t.idempotency_keys).where(and_(where, c.created_at < now - RETENTION))
                )
                conn.execute(
                    insert(t.idempotency_keys).values(
                        principal=principal,
                        key=key,
                        request_hash=fingerprint,
                        state="in_progress",
                        created_at=now,
                    )
                )
        except IntegrityError:
            with engine.connect() as conn:
                stored = conn.execute(select(t.idempotency_keys).where(where)).first()
            if stored is None:
                return await call_next(request)
            if stored.request_hash != fingerprint:
                return problem(
                    422,
                    "idempotency_key_reused",
                    translate("title.idempotency_key_reused", locale, default="Key reused"),
                    translate(
                        "idempotency_key_reused",
                        locale,
                        default="This Idempotency-Key was used for a different request.",
                    ),
                )
            if stored.state == "in_progress":
                return problem(
                    409,
                    "request_in_progress",
                    translate("title.request_in_progress", locale, default="In progress"),
                    translate(
                        "request_in_progress",
                        locale,
                        default="The first request with this key is still running.",
                    ),
                )
            return Response(
                content=stored.response or b"",
                status_code=stored.status_code,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            response = await call_next(request)
        except Exception:
            with writing(engine) as conn:
                conn.execute(delete(t.idempotency_keys).where(where))
            raise
        chunks = [chunk async for chunk in response.body_iterator]  # type: ignore[attr-defined]
        content = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
        with writing(engine) as conn:
            if response.status_code == 202 or response.status_code >= 500:
                conn.execute(delete(t.idempotency_keys).where(where))
            else:
                conn.execute(
                    update(t.idempotency_keys)
                    .where(where)
                    .values(
                        state="done", status_code=response.status_code, response=content.decode()
                    )
                )
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(content=content, status_code=response.status_code, headers=headers)
