"""FastAPI dependencies: the container and its services."""

from __future__ import annotations

from fastapi import Request

from walletdesk.bootstrap import Container


def container(request: Request) -> Container:
    built: Container = request.app.state.container
    return built
