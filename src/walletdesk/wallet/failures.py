"""The one failure taxonomy (DOMAIN.md §3): every failure has a code, a category, whether a
retry can work, and the next step for the user in zh-CN and en."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FailureCategory(StrEnum):
    FUNDS = "funds"
    LIMITS = "limits"
    AUTHENTICATION = "authentication"
    RISK = "risk"
    ACCOUNT = "account"
    MERCHANT = "merchant"
    NETWORK = "network"
    TIMEOUT = "timeout"
    DUPLICATE = "duplicate"
    REQUEST = "request"
    FUNDING = "funding"


class Retry(StrEnum):
    """When a retry can work, as the user should hear it."""

    AFTER_TOP_UP = "after_top_up"
    NO = "no"
    YES = "yes"
    LATER = "later"
    SAME_KEY = "yes_same_idempotency_key"
    NEW_PAYMENT = "new_payment"
    MAYBE = "maybe"


@dataclass(frozen=True, slots=True)
class Failure:
    code: str
    category: FailureCategory
    retry: Retry
    message: dict[str, str]
    next_step: dict[str, str]

    @property
    def retryable(self) -> bool:
        return self.retry in {
            Retry.YES,
            Retry.SAME_KEY,
            Retry.LATER,
            Retry.AFTER_TOP_UP,
            Retry.MAYBE,
        }

    def public(self, locale: str, raw_code: str | None = None) -> dict[str, object]:
        lang = "zh-CN" if locale == "zh-CN" else "en"
        return {
            "code": self.code,
            "category": self.category.value,
            "retryable": self.retryable,
            "retry": self.retry.value,
            "message": self.message[lang],
            "next_step": self.next_step[lang],
            "raw_code": raw_code,
        }


def _f(
    code: str, category: FailureCategory, retry: Retry, en: str, zh: str, next_en: str, next_zh: str
) -> Failure:
    return Failure(
        code, category, retry, {"en": en, "zh-CN": zh}, {"en": next_en, "zh-CN": next_zh}
    )


C = FailureCategory
_LIMIT_NEXT = (
    "Wait for the limit window to reset, or request a limit increase / complete identity verification.",
    "请等待限额周期重置，或申请提高限额 / 完成实名认证升级。",
)

FAILURES: dict[str, Failure] = {
    f.code: f
    for f in [
        # The balance and limit refusals are worded for payments, transfers and
        # withdrawals alike ("transaction"): all three draw on the same balance and limits.
        _f(
            "insufficient_funds",
            C.FUNDS,
            Retry.AFTER_TOP_UP,
            "Your balance is not enough for this transaction.",
            "余额不足，无法完成本次交易。",
            "Top up your wallet or choose another way to pay, then try again.",
            "请先充值或选择其他付款方式，然后重试。",
        ),
        _f(
            "limit_exceeded_transaction",
            C.LIMITS,
            Retry.NO,
            "This transaction is above your per-transaction limit.",
            "本次交易超过单笔限额。",
            *_LIMIT_NEXT,
        ),
        _f(
            "limit_exceeded_daily",
            C.LIMITS,
            Retry.NO,
            "This transaction would go over your daily limit.",
            "本次交易将超过您的每日限额。",
            *_LIMIT_NEXT,
        ),
        _f(
            "limit_exceeded_monthly",
            C.LIMITS,
            Retry.NO,
            "This transaction would go over your monthly limit.",
            "本次交易将超过您的每月限额。",
            *_LIMIT_NEXT,
        ),
        _f(
            "limit_exceeded_annual",
            C.LIMITS,
            Retry.NO,
            "This transaction would go over your annual (or lifetime) limit.",
            "本次交易将超过您的年度（或累计）限额。",
            *_LIMIT_NEXT,
        ),
        _f(
            "tier_not_allowed",
            C.LIMITS,
            Retry.NO,
            "Your verification level does not allow this.",
            "您当前的实名认证等级不支持此操作。",
            "Complete identity verification to upgrade your account.",
            "请完成实名认证以升级账户。",
        ),
        _f(
            "authentication_required",
            C.AUTHENTICATION,
            Retry.YES,
            # Worded for payments, transfers and withdrawals alike: all three ask for
            # it at the same amount (wallet/step_up.py).
            "This amount needs you to confirm it's you.",
            "这笔金额较大，需要验证您的身份。",
            "Confirm with your password, authenticator code or SMS code, then try again.",
            "请用登录密码、身份验证器验证码或短信验证码确认后重试。",
        ),
        _f(
            "authentication_failed",
            C.AUTHENTICATION,
            Retry.YES,
            "We could not confirm it's you.",
            "身份验证未通过。",
            "Re-enter your password or code carefully and try again.",
            "请仔细重新输入密码或验证码后重试。",
        ),
        _f(
            "risk_blocked",
            C.RISK,
            Retry.NO,
            "This payment was stopped by our risk checks to protect you.",
            "为保护您的资金安全，本次支付被风控拦截。",
            "Contact customer service through the app; do not retry blindly.",
            "请通过应用内客服联系我们，不要反复重试。",
        ),
        _f(
            "account_frozen",
            C.ACCOUNT,
            Retry.NO,
            "Your account is frozen, so money cannot leave it.",
            "您的账户已冻结，资金无法转出。",
            "Contact customer service to verify your identity and unfreeze.",
            "请联系客服核验身份后解冻。",
        ),
        _f(
            "merchant_unavailable",
            C.MERCHANT,
            Retry.LATER,
            "The merchant cannot take payments right now.",
            "商户暂时无法收款。",
            "Try again later or contact the merchant.",
            "请稍后重试或联系商户。",
        ),
        _f(
            "merchant_error",
            C.MERCHANT,
            Retry.LATER,
            "The merchant's system reported an error.",
            "商户系统出现错误。",
            "Try again later or contact the merchant.",
            "请稍后重试或联系商户。",
        ),
        _f(
            "network_timeout",
            C.NETWORK,
            Retry.SAME_KEY,
            "The network timed out before we heard back.",
            "网络超时，尚未收到结果。",
            "Retry on a stable network; you cannot be charged twice.",
            "请在网络稳定时重试；不会重复扣款。",
        ),
        _f(
            "gateway_timeout",
            C.NETWORK,
            Retry.SAME_KEY,
            "The bank did not answer in time.",
            "银行未及时响应。",
            "Retry with the same request; you cannot be charged twice.",
            "请使用同一请求重试；不会重复扣款。",
        ),
        _f(
            "payment_expired",
            C.TIMEOUT,
            Retry.NEW_PAYMENT,
            "The payment timed out before it was paid.",
            "支付已超时。",
            "Start the payment again from the merchant.",
            "请在商户处重新发起支付。",
        ),
        _f(
            "duplicate_payment",
            C.DUPLICATE,
            Retry.NO,
            "This order was already paid.",
            "该订单已支付成功。",
            "Nothing more to do: the first payment succeeded.",
            "无需任何操作：首次支付已成功。",
        ),
        _f(
            "currency_not_supported",
            C.REQUEST,
            Retry.NO,
            "This currency is not supported for this payment.",
            "本次支付不支持该币种。",
            "Pay in a supported currency.",
            "请使用支持的币种支付。",
        ),
        _f(
            "bank_declined",
            C.FUNDING,
            Retry.MAYBE,
            "Your bank declined the request.",
            "您的银行拒绝了本次请求。",
            "Use another card or contact your bank.",
            "请更换银行卡或联系发卡行。",
        ),
        _f(
            "card_cooling_off",
            C.ACCOUNT,
            Retry.LATER,
            "This card was added recently; withdrawals to it are held for your safety.",
            "该银行卡为新添加，为保障资金安全，暂缓提现到该卡。",
            "Try again after the cooling-off period shown, or withdraw to an older card.",
            "请在冷静期结束后重试，或提现到之前绑定的银行卡。",
        ),
    ]
}


def failure(code: str) -> Failure:
    return FAILURES[code]
