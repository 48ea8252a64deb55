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

A plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: a request
without a key passes straight through at no cost (the base class wraps every request
in a task group and memory streams), and the database work runs in the thread pool,
never on the event loop, where a lock wait would stall every other request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from walletdesk.api.i18n import request_locale, translate
from walletdesk.api.problems import problem
from walletdesk.bootstrap import Container
from walletdesk.db.transactions import is_lock_timeout, is_retryable, writing
from walletdesk.wallet import tables as t
from walletdesk.wallet.failures import failure
from walletdesk.wallet.payment_rules import RETRY_AFTER_SECONDS

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Keys are kept at least this long (Stripe keeps them 24 h).
RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 128
# No request runs this long: the slowest outside call (SMTP, 10 s; the bank twin answers
# or times out within seconds) and the 30 s SQLite busy timeout fit well inside it.
ABANDONED_AFTER = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class _Claim:
    """What claiming a key found: the request runs unless there is a ``problem`` to
    answer or a ``stored`` response to replay."""

    problem: str | None = None  # "reused" | "in_progress" | "busy"
    stored: Any = None  # the stored row to replay

    @property
    def run(self) -> bool:
        return self.problem is None and self.stored is None


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING:
            await self.app(scope, receive, send)
            return
        key = Headers(scope=scope).get("idempotency-key")
        if not key:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        locale = request_locale(request)
        if len(key) > MAX_KEY_LENGTH:
            await problem(
                422,
                "validation_error",
                translate("title.validation_error", locale, default="Invalid request"),
                translate(
                    "idempotency_key_too_long",
                    locale,
                    default=f"An Idempotency-Key is at most {MAX_KEY_LENGTH} characters.",
                ),
            )(scope, receive, send)
            return
        container: Container = scope["app"].state.container
        body = await request.body()
        principal = hashlib.sha256(request.headers.get("authorization", "").encode()).hexdigest()[
            :64
        ]
        fingerprint = hashlib.sha256(
            scope["method"].encode() + b" " + request.url.path.encode() + b"\n" + body
        ).hexdigest()
        c = t.idempotency_keys.c
        where = and_(c.principal == principal, c.key == key)
        claim = await run_in_threadpool(
            _claim, container, where, principal, key, fingerprint, container.clock.now()
        )
        if not claim.run:
            await _answer(claim, locale)(scope, receive, send)
            return

        replayed = False

        async def replay_body() -> Message:
            # The body was read above; hand it to the route once, then pass through.
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, replay_body, capture)
        except Exception:
            await run_in_threadpool(_forget, container.engine, where)
            raise
        content = b"".join(chunks)
        status = int(start["status"])
        await run_in_threadpool(_finish, container.engine, where, status, content)
        await send(start)
        await send({"type": "http.response.body", "body": content, "more_body": False})


def _claim(
    container: Container,
    where: ColumnElement[bool],
    principal: str,
    key: str,
    fingerprint: str,
    now: datetime,
) -> _Claim:
    engine = container.engine
    c = t.idempotency_keys.c
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
        return _Claim()
    except IntegrityError:
        pass  # the key is taken: see by whom, below
    except DBAPIError as exc:
        if not (is_retryable(exc) or is_lock_timeout(exc)):
            raise
        return _Claim(problem="busy")
    with engine.connect() as conn:
        stored = conn.execute(select(t.idempotency_keys).where(where)).first()
    if stored is None:  # it expired between the two statements: run unguarded, as before
        return _Claim()
    if stored.request_hash != fingerprint:
        return _Claim(problem="reused")
    if stored.state == "in_progress":
        if _take_over(engine, where, stored.created_at, now):
            return _Claim()
        return _Claim(problem="in_progress")
    return _Claim(stored=stored)


def _answer(claim: _Claim, locale: str) -> Response:
    """The answer for a request that does not run: a replay or a problem."""
    if claim.stored is not None:
        return Response(
            content=claim.stored.response or b"",
            status_code=claim.stored.status_code,
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    if claim.problem == "reused":
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
    if claim.problem == "in_progress":
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
    busy = problem(
        503,
        "network_timeout",
        translate("title.network_timeout", locale, default="Not completed"),
        translate("network_timeout", locale, default="Please try again."),
        failure=failure("network_timeout").public(locale),
    )
    busy.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return busy


def _finish(engine: Engine, where: ColumnElement[bool], status: int, content: bytes) -> None:
    """Keep the answer under the key, or free the key when the answer is not final."""
    with writing(engine) as conn:
        if status == 202 or status >= 500:
            conn.execute(delete(t.idempotency_keys).where(where))
        else:
            conn.execute(
                update(t.idempotency_keys)
                .where(where)
                .values(state="done", status_code=status, response=content.decode())
            )


def _forget(engine: Engine, where: ColumnElement[bool]) -> None:
    with writing(engine) as conn:
        conn.execute(delete(t.idempotency_keys).where(where))


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
