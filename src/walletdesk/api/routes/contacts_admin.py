"""Directory administration: propose a channel, a second admin reviews (API.md "Admin")."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from walletdesk.api.deps import App, Ctx, Me
from walletdesk.api.text import FreeText
from walletdesk.support.contacts import admin
from walletdesk.support.contacts.admin import ChangeState

router = APIRouter(prefix="/api/v1/admin/contacts", tags=["admin"])


class ChangeCreate(BaseModel):
    provider_id: str = Field(max_length=64)
    channel: dict[str, Any] = Field(
        description="kind, value, status, source_tier, source, region?, label?, ... as in the YAML"
    )
    reason: FreeText = Field(max_length=1_000)


class Review(BaseModel):
    note: FreeText | None = Field(default=None, max_length=1_000)


@router.get("/changes")
def list_changes(c: App, me: Me, state: ChangeState | None = None) -> dict[str, Any]:
    return {"items": admin.list_changes(c.engine, me, state)}


@router.post("/changes", status_code=status.HTTP_201_CREATED)
def propose(body: ChangeCreate, c: App, me: Me, ctx: Ctx) -> dict[str, Any]:
    return admin.do_propose_change(
        c.engine,
        c.clock,
        me,
        provider_id=body.provider_id,
        channel=body.channel,
        reason=body.reason,
        ctx=ctx,
    )


@router.post("/changes/{change_id}/approve")
def approve(change_id: uuid.UUID, body: Review, c: App, me: Me, ctx: Ctx) -> dict[str, Any]:
    return admin.do_review_change(
        c.engine, c.clock, me, change_id, approve=True, note=body.note, ctx=ctx
    )


@router.post("/changes/{change_id}/reject")
def reject(change_id: uuid.UUID, body: Review, c: App, me: Me, ctx: Ctx) -> dict[str, Any]:
    return admin.do_review_change(
        c.engine, c.clock, me, change_id, approve=False, note=body.note, ctx=ctx
    )
