"""The HTTP Idempotency-Key contract (API.md), for every mutating request.

Same key + same request -> the stored response again, with no second effect;
same key + a different request -> 422 ``idempotency_key_reused``; while the first
is still running -> 409 ``request_in_progress``. Keys are scoped to the caller
(a hash of the Authorization header), so one client cannot replay another's.
A 202 (still processing, e.g. the bank has not answered) is not stored: a retry
runs the handler again, and the money services are idempotent by the same key.
For the same reason a key left ``in_progress`` by a process that died mid-request is
taken over by a retry once it is older than :data:`ABANDONED_AFTER`, instead of
answering 409 to every retry until the key expires a day later.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from walletdesk.api.i18n import request_locale, translate
from walletdesk.api.problems import problem
from walletdesk.bootstrap import Container
from walletdesk.db.transactions import is_lock_timeout, is_retryable, writing
from walletdesk.wallet import tables as t
from walletdesk.wallet.failures import failure

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Keys are kept at least this long (Stripe keeps them 24 h).
RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 128
# No request runs this long: the slowest outside call (SMTP, 10 s; the bank twin answers
# or times out within seconds) and the 30 s SQLite busy timeout fit well inside it.
ABANDONED_AFTER = timedelta(minutes=2)
# What a client is told to wait when the database was too busy to take its key.
BUSY_RETRY_AFTER_SECONDS = 2


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
        # A busy database answers "try again" within the time a payer waits, rather than
        # holding the request for the whole busy timeout; nothing is claimed then.
        wait = container.settings.payment_deadline_seconds
        try:
            with writing(engine, wait_seconds=wait) as conn:
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
            if stored.state == "in_progress" and not _take_over(
                engine, where, stored.created_at, now
            ):
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
            if stored.state == "done":
                return Response(
                    content=stored.response or b"",
                    status_code=stored.status_code,
                    media_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
        except DBAPIError as exc:
            if not (is_retryable(exc) or is_lock_timeout(exc)):
                raise
            busy = problem(
                503,
                "network_timeout",
                translate("title.network_timeout", locale, default="Not completed"),
                translate("network_timeout", locale, default="Please try again."),
                failure=failure("network_timeout").public(locale),
            )
            busy.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
            return busy
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


def _take_over(
    engine: Engine, where: ColumnElement[bool], started: datetime, now: datetime
) -> bool:
    """Claim a key whose first request was abandoned (its process died before recording
    an answer). The guard on ``created_at`` lets one retry win when several race."""
    if started > now - ABANDONED_AFTER:
        return False
    c = t.idempotency_keys.c
    with writing(engine) as conn:
        claimed = conn.execute(
            update(t.idempotency_keys)
            .where(where, c.state == "in_progress", c.created_at == started)
            .values(created_at=now)
        )
    return claimed.rowcount == 1
