"""Mount the pages, their static files and their error pages on the FastAPI app."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from walletdesk.api.i18n import translate
from walletdesk.api.problems import walletdesk_problem
from walletdesk.core.errors import WalletdeskError
from walletdesk.web.context import LoginRequired, page
from walletdesk.web.pages import ROUTERS
from walletdesk.web.rendering import render
from walletdesk.web.security import SecurityHeadersMiddleware

API_PREFIXES = ("/api/", "/docs", "/redoc")


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(packages=[("walletdesk.web", "static")]), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(SecurityHeadersMiddleware)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(WalletdeskError)
    async def _error(request: Request, exc: WalletdeskError) -> Response:
        # One handler for both worlds: the API keeps problem+json, pages get a page.
        if request.url.path.startswith(API_PREFIXES):
            return walletdesk_problem(request, exc)
        p = page(request)
        failure = getattr(exc, "failure", None)
        if isinstance(failure, dict):
            detail = str(failure["message"])
        else:
            detail = translate(exc.code, p.locale, default=exc.detail, **exc.params)
        title = translate(f"title.{exc.code}", p.locale, default=exc.code.replace("_", " "))
        return render(p, "error.html", status=exc.http_status, title=title, detail=detail)

    @app.exception_handler(404)
    async def _not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(API_PREFIXES):
            detail = getattr(exc, "detail", "Not Found")
            return JSONResponse({"detail": detail}, status_code=404)
        p = page(request)
        return render(
            p,
            "error.html",
            status=404,
            title=p.t("error.not_found"),
            detail=p.t("error.not_found_detail"),
        )
