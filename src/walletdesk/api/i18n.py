"""Choosing the request's language and translating error messages (zh-CN and en)."""

from __future__ import annotations

from fastapi import Request

from walletdesk.identity.messages import ERRORS as IDENTITY_ERRORS
from walletdesk.support.actions import ERRORS as ACTION_ERRORS
from walletdesk.support.channels.signature import ERRORS as CHANNEL_ERRORS
from walletdesk.support.contacts.errors import ERRORS as CONTACT_ERRORS
from walletdesk.support.tickets.errors import ERRORS as TICKET_ERRORS
from walletdesk.wallet.messages import ERRORS as WALLET_ERRORS
from walletdesk.wallet.refund_rules import ERRORS as REFUND_ERRORS

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
    "conflict": {
        "en": "This clashes with the current state of your account; refresh and try again.",
        "zh-CN": "该操作与账户当前状态冲突，请刷新后重试。",
    },
    "title.conflict": {"en": "Conflict", "zh-CN": "冲突"},
    # -- Idempotency-Key on a route whose answer holds a secret (api/idempotency.py) ----
    "idempotency_key_not_allowed": {
        "en": "The request with this Idempotency-Key already succeeded. Its answer held a "
        "secret that is shown only once, so it was not kept and cannot be sent again. "
        "Check the result before repeating the request with a new key.",
        "zh-CN": "使用该 Idempotency-Key 的请求已经成功。其响应包含仅显示一次的密钥，"
        "系统不会保存，也无法再次返回。请先核对结果，再决定是否用新的键重新发起请求。",
    },
    "title.idempotency_key_not_allowed": {"en": "Not repeatable", "zh-CN": "无法重复返回"},
    # -- the web pages' own refusals ----------------------------------------------------
    "csrf_rejected": {
        "en": "This form expired or did not come from our site. Reload the page and try again.",
        "zh-CN": "表单已过期或并非来自本站，请刷新页面后重试。",
    },
    "title.csrf_rejected": {"en": "Form expired", "zh-CN": "表单已过期"},
    # -- notifications ------------------------------------------------------------
    "security_alerts_required": {
        "en": "Security alerts always go to your in-app inbox, so you can see what happened "
        "even if someone takes over your phone or email. You can still turn off their "
        "email or SMS copies.",
        "zh-CN": "安全提醒始终会发送到应用内消息中心，即使手机或邮箱被他人控制，您也能看到账户发生了什么。"
        "您仍可关闭其邮件或短信通知。",
    },
    "title.security_alerts_required": {
        "en": "Security alerts stay on",
        "zh-CN": "安全提醒无法关闭",
    },
    "preference_not_adjustable": {
        "en": "Verification codes are sent only to where you asked for them; there is "
        "nothing to switch.",
        "zh-CN": "验证码只会发送到您申请时指定的手机号或邮箱，无需也无法设置。",
    },
    "title.preference_not_adjustable": {"en": "Not adjustable", "zh-CN": "无法设置"},
    "outbox_error": {
        "en": "A notification could not be processed; it will be retried.",
        "zh-CN": "通知处理失败，系统将自动重试。",
    },
    "title.outbox_error": {"en": "Notification error", "zh-CN": "通知错误"},
    "delivery_failed": {
        "en": "A message could not be delivered right now; it will be retried.",
        "zh-CN": "消息暂时无法送达，系统将自动重试。",
    },
    "title.delivery_failed": {"en": "Delivery failed", "zh-CN": "发送失败"},
}


MESSAGES.update(IDENTITY_ERRORS)
MESSAGES.update(REFUND_ERRORS)
MESSAGES.update(CONTACT_ERRORS)
MESSAGES.update(TICKET_ERRORS)
MESSAGES.update(ACTION_ERRORS)
MESSAGES.update(CHANNEL_ERRORS)
# The wallet's entries fill gaps only: contexts keep their own wording for shared codes.
for _key, _texts in WALLET_ERRORS.items():
    MESSAGES.setdefault(_key, _texts)


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
