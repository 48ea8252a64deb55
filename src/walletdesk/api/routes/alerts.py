"""In-app alerts and alert preferences (API.md: GET /api/v1/me/alerts)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from walletdesk.api.deps import App, Me

router = APIRouter(prefix="/api/v1/me", tags=["alerts"])


class PreferenceUpdate(BaseModel):
    kind: str  # an alert kind, or a category: security, transaction, account
    channel: str  # inbox, email, sms
    enabled: bool


@router.get("/alerts")
def list_alerts(
    c: App, me: Me, limit: int = Query(default=20, ge=1, le=100), cursor: str | None = None
) -> dict[str, Any]:
    """Payments, logins and account changes, newest first, in the user's language."""
    items, next_cursor = c.notifications.get_alerts(me.user.id, limit=limit, cursor=cursor)
    return {
        "items": [
            {
                "id": str(a.id),
                "kind": a.kind.value,
                "title": a.title,
                "body": a.body,
                "created_at": a.created_at.isoformat(),
                "read": a.read_at is not None,
            }
            for a in items
        ],
        "next_cursor": next_cursor,
        "unread": c.notifications.get_unread_count(me.user.id),
    }


@router.post("/alerts/{alert_id}/read", status_code=status.HTTP_204_NO_CONTENT)
def mark_alert_read(alert_id: uuid.UUID, c: App, me: Me) -> Response:
    c.notifications.do_mark_read(me.user.id, alert_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _preferences(raw: dict[Any, dict[Any, bool]]) -> dict[str, dict[str, bool]]:
    return {kind.value: {ch.value: on for ch, on in chans.items()} for kind, chans in raw.items()}


@router.get("/alert-preferences")
def get_alert_preferences(c: App, me: Me) -> dict[str, Any]:
    return {"preferences": _preferences(c.notifications.get_preferences(me.user.id))}


@router.put("/alert-preferences")
def set_alert_preference(body: PreferenceUpdate, c: App, me: Me) -> dict[str, Any]:
    """Choose which alerts go where. Security alerts always reach the in-app inbox."""
    updated = c.notifications.do_set_preference(me.user.id, body.kind, body.channel, body.enabled)
    return {"preferences": _preferences(updated)}
