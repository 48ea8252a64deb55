"""Liveness and readiness."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import text

from walletdesk import __version__
from walletdesk.api.deps import container
from walletdesk.bootstrap import Container

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    status: str
    version: str
    database: str


@router.get("/api/v1/health")
def get_health(c: Annotated[Container, Depends(container)]) -> HealthPublic:
    """The process is up and its database answers."""
    with c.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return HealthPublic(status="ok", version=__version__, database=c.engine.dialect.name)
