"""The wallet's error messages in both languages (code -> locale -> text), for the API."""

from __future__ import annotations

from walletdesk.wallet.failures import FAILURES

ERRORS: dict[str, dict[str, str]] = {
    "idempotency_key_reused": {
        "en": "This Idempotency-Key was already used for a different request.",
        "zh-CN": "该 Idempotency-Key 已用于另一个不同的请求。",
    },
    "title.idempotency_key_reused": {"en": "Key reused", "zh-CN": "幂等键重复使用"},
    "idempotency_key_too_long": {
        "en": "An Idempotency-Key is at most 128 characters.",
        "zh-CN": "Idempotency-Key 最长 128 个字符。",
    },
    "request_in_progress": {
        "en": "The first request with this key is still being processed; try again shortly.",
        "zh-CN": "使用该键的首个请求仍在处理中，请稍后重试。",
    },
    "title.request_in_progress": {"en": "Still in progress", "zh-CN": "处理中"},
    "order_ref_reused": {
        "en": "This order reference was already used with another amount.",
        "zh-CN": "该订单号已用于另一金额。",
    },
    "title.order_ref_reused": {"en": "Order reference reused", "zh-CN": "订单号重复"},
    "payment_not_cancelable": {
        "en": "Only an unpaid payment can be canceled; this one is {status}. Refund a paid one instead.",
        "zh-CN": "只能取消未支付的订单，该笔状态为 {status}。已支付的订单请发起退款。",
    },
    "title.payment_not_cancelable": {"en": "Cannot cancel", "zh-CN": "无法取消"},
    "recipient_not_found": {
        "en": "Nobody with that phone number, email or id uses walletdesk.",
        "zh-CN": "没有找到使用该手机号、邮箱或 ID 的 walletdesk 用户。",
    },
    "title.recipient_not_found": {"en": "Recipient not found", "zh-CN": "收款人不存在"},
    "audit_chain_broken": {
        "en": "The audit log's chain is broken; an administrator must investigate.",
        "zh-CN": "审计日志链已损坏，需要管理员调查。",
    },
    "title.audit_chain_broken": {"en": "Audit log damaged", "zh-CN": "审计日志损坏"},
    "help_article_invalid": {
        "en": "This help article is not valid (check its slug, category, locale and title).",
        "zh-CN": "该帮助文章无效（请检查其 slug、分类、语言和标题）。",
    },
    "title.help_article_invalid": {"en": "Invalid article", "zh-CN": "文章无效"},
    "limit_request_already_decided": {
        "en": "This limit request was already decided; nothing was changed.",
        "zh-CN": "该提额申请已处理过，未做任何更改。",
    },
    "title.limit_request_already_decided": {"en": "Already decided", "zh-CN": "已处理"},
    "limit_request_ended": {
        "en": "This temporary limit request ended while it waited; decline it and ask the "
        "customer to request again.",
        "zh-CN": "该临时提额申请在等待审核期间已到期，请拒绝该申请并请客户重新申请。",
    },
    "title.limit_request_ended": {"en": "Request ended", "zh-CN": "申请已到期"},
    # An agent's raise or approval refused for the customer's account, with the codes a
    # customer's own request is refused with (limit_requests.REASONS words it for them).
    "tier_too_low": {
        "en": "Limits can be raised only for a verified account (tier II or III); the "
        "customer must verify their identity first. Nothing was changed.",
        "zh-CN": "只有完成实名认证（II 类或 III 类）的账户才能提额，请客户先完成实名认证。未做任何更改。",
    },
    "title.tier_too_low": {"en": "Identity not verified", "zh-CN": "未完成实名认证"},
    "two_factor_required": {
        "en": "Limits can be raised only while two-factor authentication is on; the "
        "customer must turn it on first. Nothing was changed.",
        "zh-CN": "只有开启双重验证的账户才能提额，请客户先开启双重验证。未做任何更改。",
    },
    "title.two_factor_required": {"en": "Two-factor authentication off", "zh-CN": "未开启双重验证"},
}

# Money refusals carry the taxonomy's own bilingual message and next step; their titles
# say only that the operation did not go through.
for _code, _failure in FAILURES.items():
    ERRORS.setdefault(_code, dict(_failure.message))
    ERRORS.setdefault(f"title.{_code}", {"en": "Not completed", "zh-CN": "未完成"})
