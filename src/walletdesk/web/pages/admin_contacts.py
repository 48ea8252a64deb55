"""Proposing and reviewing contact-directory changes from the admin pages.

Four eyes: the service refuses a review by the admin who proposed the change, and
the page shows its message; see support/contacts/admin.py for why.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from walletdesk.api.text import FreeText
from walletdesk.core.errors import WalletdeskError
from walletdesk.support.contacts.admin import do_propose_change, do_review_change
from walletdesk.web.context import AdminPost
from walletdesk.web.pages.admin import contacts_page
from walletdesk.web.pages.auth import error_text
from walletdesk.web.rendering import redirect

router = APIRouter(include_in_schema=False)


@router.post("/admin/contacts/changes", response_class=HTMLResponse)
def propose(
    p: AdminPost,
    provider_id: Annotated[str, Form(max_length=64)],
    kind: Annotated[str, Form(max_length=32)],
    value: Annotated[str, Form(max_length=300)],
    status: Annotated[str, Form(max_length=32)],
    source_tier: Annotated[str, Form(max_length=32)],
    source: Annotated[str, Form(max_length=500)],
    reason: Annotated[FreeText, Form(max_length=1_000)],
    region: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    channel: dict[str, object] = {
        "kind": kind,
        "value": value.strip(),
        "status": status,
        "source_tier": source_tier,
        "source": source.strip(),
    }
    if region.strip():
        channel["region"] = region.strip().upper()
    if status == "discontinued":
        channel["discontinued_on"] = p.container.clock.now().date().isoformat()
    try:
        do_propose_change(
            p.container.engine,
            p.container.clock,
            p.me,
            provider_id=provider_id,
            channel=channel,
            reason=reason,
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return contacts_page(p, error=error_text(p, exc), status=exc.http_status)
    return redirect(p, "/admin/contacts", notice="notice.change_proposed")


@router.post("/admin/contacts/changes/{change_id}/{decision}", response_class=HTMLResponse)
def review(
    p: AdminPost,
    change_id: uuid.UUID,
    decision: str,
    note: Annotated[FreeText, Form(max_length=1_000)] = "",
) -> Response:
    if decision not in {"approve", "reject"}:
        return contacts_page(p, error=p.t("error.not_found"), status=404)
    try:
        do_review_change(
            p.container.engine,
            p.container.clock,
            p.me,
            change_id,
            approve=decision == "approve",
            note=note.strip() or None,
            ctx=p.ctx(),
        )
    except WalletdeskError as exc:
        return contacts_page(p, error=error_text(p, exc), status=exc.http_status)
    return redirect(p, "/admin/contacts", notice=f"notice.change_{decision}d")
