"""The error tree mapped to RFC 9457 problem+json, once, for every route."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from walletdesk.api.i18n import request_locale, translate
from walletdesk.core.errors import WalletdeskError

PROBLEM_JSON = "application/problem+json"


def problem(status: int, code: str, title: str, detail: str, **extra: object) -> JSONResponse:
    body: dict[str, object] = {
        "type": f"https://walletdesk.dev/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def walletdesk_problem(request: Request, exc: WalletdeskError) -> JSONResponse:
    """The problem+json answer for an expected error, in the request's language."""
    locale = request_locale(request)
    extra: dict[str, object] = {}
    failure = getattr(exc, "failure", None)
    if isinstance(failure, dict):
        # Money refusals carry the failure taxonomy's entry: the same words as a payment.
        extra["failure"] = failure
        detail = str(failure["message"])
    else:
        detail = translate(exc.code, locale, default=exc.detail, **exc.params)
    title = translate(f"title.{exc.code}", locale, default=exc.code.replace("_", " "))
    response = problem(exc.http_status, exc.code, title, detail, **extra)
    retry_after = getattr(exc, "retry_after_seconds", None)
    if isinstance(retry_after, int):
        response.headers["Retry-After"] = str(retry_after)
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(WalletdeskError)
    async def _walletdesk_error(request: Request, exc: WalletdeskError) -> JSONResponse:
        return walletdesk_problem(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        locale = request_locale(request)
        errors = [
            {"field": ".".join(str(p) for p in err.get("loc", ())[1:]), "message": err.get("msg")}
            for err in exc.errors()
        ]
        return problem(
            422,
            "validation_error",
            translate("title.validation_error", locale, default="Invalid request"),
            translate("validation_error", locale, default="The request has invalid fields."),
            errors=errors,
        )
