"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI

from walletdesk import __version__
from walletdesk.api import problems
from walletdesk.api.idempotency import IdempotencyMiddleware
from walletdesk.api.routes import (
    agent,
    alerts,
    assistant,
    channels,
    contacts,
    contacts_admin,
    health,
    identity,
    payments,
    refunds,
    tickets,
    wallet,
)
from walletdesk.api.routes import help as help_routes
from walletdesk.bootstrap import Container
from walletdesk.web import app as web


def create_app(container: Container) -> FastAPI:
    """Build the app around an already-built container (the caller owns its lifetime)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in anyio's thread pool (40 threads by default). More threads than
        # database connections only queue on the pool while fighting for the GIL: capping
        # them near the pool size cut payment p99 by 20-40% (bench/RESULTS.md).
        to_thread.current_default_thread_limiter().total_tokens = container.settings.http_threads
        yield

    app = FastAPI(
        title="walletdesk",
        version=__version__,
        description="A digital wallet with its customer-service centre built in.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        lifespan=lifespan,
    )
    app.state.container = container
    problems.install(app)
    app.include_router(health.router)
    app.include_router(identity.router)
    app.include_router(alerts.router)
    app.include_router(wallet.router)
    app.include_router(payments.router)
    app.include_router(refunds.router)
    app.include_router(contacts.router)
    app.include_router(contacts_admin.router)
    app.include_router(help_routes.router)
    app.include_router(tickets.router)
    app.include_router(agent.router)
    app.include_router(assistant.router)
    app.include_router(channels.router)
    app.add_middleware(IdempotencyMiddleware)
    # The pages share the app (one process, one port): same services, same errors.
    web.install(app)
    return app
