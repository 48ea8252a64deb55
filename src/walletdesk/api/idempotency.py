"""The HTTP Idempotency-Key contract (API.md), for every mutating ``/api/`` request.

Same key + same request -> the stored response again, with no second effect;
same key + a different request -> 422 ``idempotency_key_reused``; while the first
is still running -> 409 ``request_in_progress``. Keys are scoped to the caller
(a hash of the Authorization header), so one client cannot replay another's.
A 202 (still processing, e.g. the bank has not answered) is not stored: a retry
runs the handler again, and the money services are idempotent by the same key.
For the same reason a key left ``in_progress`` by a process that died mid-request is
taken over by a retry once it is older than :data:`ABANDONED_AFTER`, instead of
answering 409 to every retry until the key expires a day later.

Secrets are never kept. A stored answer sits in the database for a day and is handed
back without the route running, so without its password, code or step-up check. Routes
whose answer carries a bearer secret say so with a marker on the endpoint, read once
the router has chosen it (``scope["endpoint"]``); every route was checked for what it
returns (grep the routes for token, secret, recovery, api_key):

- :func:`never_kept` (``POST /sessions``, ``/me/verifications``, ``/me/2fa/totp``,
  ``/me/2fa/totp/confirm``, ``/me/2fa/recovery-codes``): the key is held only while the
  request runs (a concurrent repeat still gets 409) and nothing is kept afterwards, so a
  repeated key runs the request again. Each of these proves its basis anew on every run
  (password, TOTP or recovery code, step-up token), so that is safe, and it is what a
  client retrying after a timeout needs: a fresh secret, issued only if the checks pass
  again. The secret the lost answer carried expires unused.
- :func:`answer_withheld` (``POST /admin/merchants``): a second run would repeat the
  effect (a second merchant) with nothing re-proved, so the key is kept but a successful
  answer is not; a repeated key answers 409 ``idempotency_key_not_allowed`` (look the
  merchant up instead). Failed answers carry no secret and replay as usual.

Keeping the answer encrypted under the request's own secret was the alternative: it
would still hand a login back without running the password, lockout and TOTP checks,
and it needs a cipher this package does not ship.

Only a caller who sends a credential gets a namespace, so anonymous callers never share
one: a request without an Authorization header is not kept at all, and a repeated key
runs it again. Every such route is safe to run again: sign-up (the login is then taken),
login (checked again), CSAT links (one rating per ticket), the anonymous assistant and
the checkers (no effect to repeat), and the inbound channels, which authenticate by
their signature in the route: it is checked on every request, as no stored answer can
be replayed ahead of it, and the channels drop a message they already have by its id.

The request fingerprint is an HMAC keyed by the caller's credential, not a bare hash
of the body: bodies carry passwords (``PUT /me/password``, ``POST /admin/users``), and
a plain SHA-256 of them would let anyone reading the table test guesses at full speed,
around the argon2id the identity context keeps them under.

Web pages (cookies, CSRF-protected forms) are not part of the contract: browsers never
send the header, and a cookie session is not an Authorization header.

A plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: a request
without a key passes straight through at no cost (the base class wraps every request
in a task group and memory streams), and the database work runs in the thread pool,
never on the event loop, where a lock wait would stall every other request.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, and_, delete, insert, select, tuple_, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from walletdesk.api.deps import bearer_token
from walletdesk.api.i18n import request_locale, translate
from walletdesk.api.problems import problem
from walletdesk.bootstrap import Container
from walletdesk.db.transactions import is_lock_timeout, is_retryable, writing
from walletdesk.identity.authentication import authenticate
from walletdesk.identity.errors import Unauthenticated
from walletdesk.wallet import tables as t
from walletdesk.wallet.failures import failure
from walletdesk.wallet.merchants import API_KEY_PREFIX, authenticate_merchant
from walletdesk.wallet.payment_rules import RETRY_AFTER_SECONDS

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# The JSON API; the web pages share the app but not the contract (module docstring).
API_PREFIX = "/api/"
# Keys are kept at least this long (Stripe keeps them 24 h).
RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 128
# No request runs this long: the slowest outside call (SMTP, 10 s; the bank twin answers
# or times out within seconds) and the 30 s SQLite busy timeout fit well inside it.
ABANDONED_AFTER = timedelta(minutes=2)

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class Answer(StrEnum):
    """What a route lets the store keep of a keyed request's answer."""

    KEPT = "kept"
    NEVER_KEPT = "never_kept"
    WITHHELD = "withheld"  # also the ``state`` of a key whose answer was withheld


_MARK = "__walletdesk_idempotency__"


def _marked(endpoint: Endpoint, answer: Answer) -> Endpoint:
    setattr(endpoint, _MARK, answer)
    return endpoint


def never_kept(endpoint: Endpoint) -> Endpoint:
    """Mark a route whose answer carries a secret and whose every run re-proves its
    basis: nothing of a keyed request outlives it, and a repeated key runs it again."""
    return _marked(endpoint, Answer.NEVER_KEPT)


def answer_withheld(endpoint: Endpoint) -> Endpoint:
    """Mark a route whose answer carries a secret and whose second run would repeat the
    effect: the key is kept but a successful answer is not; a repeat answers 409
    ``idempotency_key_not_allowed``."""
    return _marked(endpoint, Answer.WITHHELD)


def answer_of(endpoint: object) -> Answer:
    """The route's marker; unmarked routes (and requests no route served) keep answers."""
    answer = getattr(endpoint, _MARK, Answer.KEPT)
    return answer if isinstance(answer, Answer) else Answer.KEPT


def fingerprint(credential: bytes, method: str, path: str, body: bytes) -> str:
    """The request as compared between two uses of one key: HMAC-SHA256 keyed by the
    caller's credential (the Authorization header), hex."""
    return hmac.new(credential, _request_bytes(method, path, body), hashlib.sha256).hexdigest()


def _request_bytes(method: str, path: str, body: bytes) -> bytes:
    return method.encode() + b" " + path.encode() + b"\n" + body


def _legacy_fingerprint(method: str, path: str, body: bytes) -> str:
    # Keys recorded before the fingerprint was keyed hold a bare SHA-256: accepted so a
    # retry that spans the upgrade still replays. Dead code once every deployment ran
    # migration 0015 more than RETENTION ago.
    return hashlib.sha256(_request_bytes(method, path, body)).hexdigest()


@dataclass(frozen=True, slots=True)
class _Claim:
    """What claiming a key found: the request runs unless there is a ``problem`` to
    answer or a ``stored`` response to replay."""

    problem: str | None = None  # "reused" | "in_progress" | "busy" | "withheld"
    stored: Any = None  # the stored row to replay

    @property
    def run(self) -> bool:
        return self.problem is None and self.stored is None


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in MUTATING
            or not scope["path"].startswith(API_PREFIX)
        ):
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
        authorization = request.headers.get("authorization")
        if not authorization:
            # Anonymous: no namespace of its own, so nothing is kept (module docstring).
            await self.app(scope, receive, send)
            return
        container: Container = scope["app"].state.container
        body = await request.body()
        # The principal is the header's hash as it always was, so keys stored before the
        # fingerprint was keyed still belong to their caller.
        principal = hashlib.sha256(authorization.encode()).hexdigest()
        method, path = scope["method"], request.url.path
        fingerprints = (
            fingerprint(authorization.encode(), method, path, body),
            _legacy_fingerprint(method, path, body),
        )
        c = t.idempotency_keys.c
        where = and_(c.principal == principal, c.key == key)
        claim = await run_in_threadpool(
            _claim, container, where, principal, key, fingerprints, container.clock.now()
        )
        replayed = False

        async def replay_body() -> Message:
            # The body was read above; hand it to the route once, then pass through.
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        if claim.stored is not None and not await run_in_threadpool(
            _still_signed_in, container, authorization
        ):
            # A stored answer is replayed only to a caller who could make the request now:
            # a revoked or expired session, or a retired API key, gets the route's own 401.
            await self.app(scope, replay_body, send)
            return
        if not claim.run:
            await _answer(claim, locale)(scope, receive, send)
            return

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
        # The router recorded the endpoint it chose in the (shared) scope.
        answer = answer_of(scope.get("endpoint"))
        await run_in_threadpool(_finish, container.engine, where, status, content, answer)
        await send(start)
        await send({"type": "http.response.body", "body": content, "more_body": False})


# Keys deleted per statement by purge_expired, and statements per call: a pass stays
# short (and its locks brief) however large the backlog; the next pass goes on.
PURGE_BATCH = 5_000
PURGE_BATCHES = 20


def purge_expired(engine: Engine, now: datetime) -> int:
    """Delete keys older than RETENTION (their answers are no longer given: a repeat runs
    as new); returns how many. Run by housekeeping on every pass."""
    c = t.idempotency_keys.c
    oldest = (
        select(c.principal, c.key)
        .where(c.created_at < now - RETENTION)
        .order_by(c.created_at)
        .limit(PURGE_BATCH)
    )
    purged = 0
    for _ in range(PURGE_BATCHES):
        with engine.begin() as conn:
            batch = conn.execute(oldest).all()
            if not batch:
                break
            conn.execute(
                delete(t.idempotency_keys).where(
                    tuple_(c.principal, c.key).in_([tuple(row) for row in batch]),
                    c.created_at < now - RETENTION,
                )
            )
        purged += len(batch)
        if len(batch) < PURGE_BATCH:
            break
    return purged


def _still_signed_in(container: Container, authorization: str) -> bool:
    """Whether the Authorization header still names a live session or merchant key (as
    the routes' own dependencies check it: api/deps.py and api/routes/refunds.py)."""
    token = bearer_token(authorization)
    try:
        if token is not None and token.startswith(API_KEY_PREFIX):
            authenticate_merchant(container.wallet, token)
        else:
            authenticate(container.identity, token)
    except Unauthenticated:
        return False
    return True


def _claim(
    container: Container,
    where: ColumnElement[bool],
    principal: str,
    key: str,
    fingerprints: tuple[str, str],
    now: datetime,
) -> _Claim:
    """Claim ``key`` for the request; ``fingerprints`` is (current, legacy)."""
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
                    request_hash=fingerprints[0],
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
    if stored.request_hash not in fingerprints:
        return _Claim(problem="reused")
    if stored.state == "in_progress":
        if _take_over(engine, where, stored.created_at, now):
            return _Claim()
        return _Claim(problem="in_progress")
    if stored.state == Answer.WITHHELD:
        return _Claim(problem="withheld")
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
    if claim.problem == "withheld":
        return problem(
            409,
            "idempotency_key_not_allowed",
            translate("title.idempotency_key_not_allowed", locale, default="Not repeatable"),
            translate(
                "idempotency_key_not_allowed",
                locale,
                default="The request with this Idempotency-Key already succeeded.",
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


def _finish(
    engine: Engine, where: ColumnElement[bool], status: int, content: bytes, answer: Answer
) -> None:
    """Keep the answer under the key, or free the key when the answer is not final or
    its route keeps nothing. A withheld route's success is kept without its body."""
    with writing(engine) as conn:
        if status == 202 or status >= 500 or answer is Answer.NEVER_KEPT:
            conn.execute(delete(t.idempotency_keys).where(where))
        elif answer is Answer.WITHHELD and status < 300:
            conn.execute(
                update(t.idempotency_keys)
                .where(where)
                .values(state=Answer.WITHHELD.value, status_code=status, response=None)
            )
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
