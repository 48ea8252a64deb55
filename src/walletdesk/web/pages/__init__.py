"""One router per part of the site; web/app.py mounts them in this order."""

from __future__ import annotations

from fastapi import APIRouter

from walletdesk.web.pages import (
    admin,
    admin_contacts,
    agent,
    agent_actions,
    auth,
    customer,
    merchant,
    public,
    reports,
)

ROUTERS: list[APIRouter] = [public.router, auth.router, customer.router, merchant.router]
# The agent console, the staff reports and the admin pages.
ROUTERS += [agent.router, agent_actions.router, reports.router, admin.router, admin_contacts.router]
