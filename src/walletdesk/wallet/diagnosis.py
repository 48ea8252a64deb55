"""Explaining a payment from its stored record: what happened, can a retry work, what next.

This is what the customer sees after a failure and what an agent sees in the
service centre: the same words, drawn from the same facts.
"""

from __future__ import annotations

from typing import Any

from walletdesk.core.money import Currency, Money
from walletdesk.wallet.failures import failure

# Help-centre articles per failure category (slugs of the shipped help articles).
ARTICLES = {
    "funds": ["payment-failed-insufficient-balance", "how-to-top-up"],
    "limits": ["payment-limits-explained", "how-to-raise-your-limit"],
    "authentication": ["two-factor-authentication"],
    "risk": ["payment-blocked-for-security", "contact-official-customer-service"],
    "account": ["account-frozen-what-to-do", "contact-official-customer-service"],
    "merchant": ["merchant-errors-and-what-to-do"],
    "network": ["payment-timed-out-no-double-charge"],
    "timeout": ["payment-timed-out-no-double-charge"],
    "duplicate": ["was-i-charged-twice"],
    "request": ["supported-currencies"],
    "funding": ["card-declined-by-bank"],
}

CAUSES: dict[str, dict[str, str]] = {
    "funds": {
        "en": "Your available balance ({available}) was below the payment ({amount}).",
        "zh-CN": "您的可用余额（{available}）低于支付金额（{amount}）。",
    },
    "limits": {
        "en": "The payment ({amount}) would pass a limit of your account (tier {tier}).",
        "zh-CN": "本次支付（{amount}）超过了您账户（{tier} 类）的限额。",
    },
    "merchant": {
        "en": "The problem was on the merchant's side, not your account.",
        "zh-CN": "问题出在商户一方，与您的账户无关。",
    },
    "network": {
        "en": "The network or the bank did not answer in time; no money was taken twice.",
        "zh-CN": "网络或银行未及时响应；不会重复扣款。",
    },
    "timeout": {
        "en": "The payment was not completed before it expired.",
        "zh-CN": "支付在过期前未完成。",
    },
    "risk": {
        "en": "Our risk checks stopped this payment to protect your money.",
        "zh-CN": "为保护您的资金，风控系统拦截了本次支付。",
    },
    "account": {
        "en": "Your account is frozen, so money cannot leave it.",
        "zh-CN": "您的账户已冻结，资金无法转出。",
    },
}


def _money(amount: int, currency: str) -> str:
    return f"{Money(amount, Currency.of(currency)).to_decimal_string()} {currency}"


def diagnose(payment: Any, attempt_detail: dict[str, Any] | None, locale: str) -> dict[str, Any]:
    """Build the diagnosis of a stored payment row and its last attempt's facts."""
    lang = "zh-CN" if locale == "zh-CN" else "en"
    if payment.status == "succeeded":
        return {
            "code": None,
            "status": "succeeded",
            "cause": {"en": "The payment succeeded.", "zh-CN": "支付已成功。"}[lang],
            "retryable": False,
            "next_steps": [],
            "related_articles": [],
            "facts": {"amount": _money(payment.amount, payment.currency)},
        }
    code = payment.failure_code or ("payment_expired" if payment.status == "expired" else None)
    if code is None:
        return {
            "code": None,
            "status": payment.status,
            "cause": {"en": "The payment has not been paid yet.", "zh-CN": "该笔支付尚未付款。"}[
                lang
            ],
            "retryable": True,
            "next_steps": [],
            "related_articles": [],
            "facts": {"amount": _money(payment.amount, payment.currency)},
        }
    info = failure(code)
    detail = attempt_detail or {}
    facts: dict[str, Any] = {"amount": _money(payment.amount, payment.currency)}
    if "available" in detail:
        facts["available"] = _money(int(detail["available"]), payment.currency)
    if "tier" in detail:
        facts["tier"] = detail["tier"]
        facts["two_factor"] = detail.get("two_factor")
        facts["windows"] = detail.get("windows")
    template = CAUSES.get(info.category.value, {}).get(lang)
    cause = info.message[lang]
    if template:
        try:
            cause = template.format(**facts)
        except KeyError:
            cause = info.message[lang]
    steps = [info.next_step[lang]]
    if info.category.value == "limits" and not detail.get("two_factor", True):
        steps.append(
            {
                "en": "Turn on two-factor authentication: it raises your daily limit.",
                "zh-CN": "开启双重验证可提高每日限额。",
            }[lang]
        )
    if info.category.value in {"risk", "account"}:
        steps.append(
            {
                "en": "Only contact us through the app or walletdesk's official number; we never ask for codes.",
                "zh-CN": "请仅通过应用内或 walletdesk 官方电话联系我们；我们绝不会索要验证码。",
            }[lang]
        )
    return {
        "code": code,
        "status": payment.status,
        "category": info.category.value,
        "cause": cause,
        "retryable": info.retryable,
        "retry": info.retry.value,
        "next_steps": steps,
        "related_articles": ARTICLES.get(info.category.value, []),
        "facts": facts,
        "raw_code": payment.failure_raw,
    }
