"""Choosing the request's language and translating error messages (zh-CN and en)."""

from __future__ import annotations

from fastapi import Request

from walletdesk.identity.messages import ERRORS as IDENTITY_ERRORS

SUPPORTED = ("en", "zh-CN")

# Message catalogue for API errors: code -> locale -> template ({param} placeholders).
MESSAGES: dict[str, dict[str, str]] = {
    "validation_error": {
        "en": "The request has invalid fields.",
        "zh-CN": "请求中有无效的字段。",
    },
    "title.validation_error": {"en": "Invalid request", "zh-CN": "请求无效"},
    "not_found": {"en": "Not found.", "zh-CN": "未找到。"},
    "title.not_found": {"en": "Not found", "zh-CN": "未找到"},
    "invalid_amount": {
        "en": "The amount is not a valid decimal for its currency.",
        "zh-CN": "金额格式无效，请按币种的小数位填写。",
    },
    "title.invalid_amount": {"en": "Invalid amount", "zh-CN": "金额无效"},
    "currency_not_supported": {
        "en": "This currency is not supported.",
        "zh-CN": "暂不支持该币种。",
    },
    "title.currency_not_supported": {"en": "Currency not supported", "zh-CN": "币种不支持"},
    "currency_mismatch": {
        "en": "The amounts are in different currencies.",
        "zh-CN": "金额的币种不一致。",
    },
    "title.currency_mismatch": {"en": "Currency mismatch", "zh-CN": "币种不一致"},
    "batch_too_large": {
        "en": "Too many items in one request (at most {limit}).",
        "zh-CN": "单次请求的条目过多（最多 {limit} 条）。",
    },
    "title.batch_too_large": {"en": "Batch too large", "zh-CN": "批量过大"},
    "concurrency_conflict": {
        "en": "Another change happened at the same time; please try again.",
        "zh-CN": "有其他操作同时进行，请重试。",
    },
    "title.concurrency_conflict": {"en": "Conflict", "zh-CN": "冲突"},
    "internal_error": {
        "en": "Something went wrong on our side.",
        "zh-CN": "系统出现问题，请稍后再试。",
    },
    "title.internal_error": {"en": "Internal error", "zh-CN": "内部错误"},
}


MESSAGES.update(IDENTITY_ERRORS)


def negotiate(accept_language: str | None, default: str = "en") -> str:
    """Pick zh-CN or en from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return default
    best, best_q = default, -1.0
    for part in accept_language.split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)  # a quality weight, never money
                except ValueError:
                    q = 0.0
        locale = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if locale and q > best_q:
            best, best_q = locale, q
    return best


def request_locale(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


def translate(key: str, locale: str, *, default: str, **params: object) -> str:
    template = MESSAGES.get(key, {}).get(locale) or MESSAGES.get(key, {}).get("en") or default
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
