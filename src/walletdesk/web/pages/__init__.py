"""One router per part of the site; web/app.py mounts them in this order."""

from __future__ import annotations

from fastapi import APIRouter

from walletdesk.web.pages import auth, public

ROUTERS: list[APIRouter] = [public.router, auth.router]
