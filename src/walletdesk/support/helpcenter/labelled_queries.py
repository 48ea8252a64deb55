"""Questions people really ask, each with the shipped articles that answer it.

Used by the recall test and by the search benchmark: a query counts as answered
when any of its expected slugs is in the first three results (recall@3), searched
in the query's own locale.
"""

from __future__ import annotations

from typing import NamedTuple


class LabelledQuery(NamedTuple):
    locale: str
    query: str
    expected: frozenset[str]


def _q(locale: str, query: str, *expected: str) -> LabelledQuery:
    return LabelledQuery(locale, query, frozenset(expected))


LABELLED_QUERIES: tuple[LabelledQuery, ...] = (
    # -- zh-CN ---------------------------------------------------------------------
    _q("zh-CN", "忘记密码怎么办", "forgot-password"),
    _q(
        "zh-CN",
        "为什么付款失败",
        "payment-failed-insufficient-balance",
        "payment-timed-out-no-double-charge",
        "merchant-errors-and-what-to-do",
    ),
    _q("zh-CN", "怎么开启双重验证", "two-factor-authentication"),
    _q("zh-CN", "两步验证码不对", "two-factor-authentication"),
    _q("zh-CN", "账户被冻结了", "account-frozen-what-to-do"),
    _q("zh-CN", "怎么解冻账户", "account-frozen-what-to-do"),
    _q("zh-CN", "有陌生设备登录我的账号", "unknown-login-or-stolen-money"),
    _q("zh-CN", "钱被盗了怎么办", "unknown-login-or-stolen-money"),
    _q("zh-CN", "余额不足付不了款", "payment-failed-insufficient-balance"),
    _q("zh-CN", "怎么充值", "how-to-top-up"),
    _q("zh-CN", "每日限额是多少", "payment-limits-explained"),
    _q("zh-CN", "超出限额", "payment-limits-explained", "how-to-raise-your-limit"),
    _q("zh-CN", "我要提高限额", "how-to-raise-your-limit"),
    _q("zh-CN", "申请临时额度", "how-to-raise-your-limit"),
    _q("zh-CN", "实名认证怎么做", "verify-identity-to-upgrade-tier"),
    _q("zh-CN", "I类账户不能提现", "verify-identity-to-upgrade-tier", "payment-limits-explained"),
    _q(
        "zh-CN",
        "支付超时会不会重复扣款",
        "payment-timed-out-no-double-charge",
        "was-i-charged-twice",
    ),
    _q("zh-CN", "被扣了两次钱", "was-i-charged-twice"),
    _q("zh-CN", "商户系统出错", "merchant-errors-and-what-to-do"),
    _q("zh-CN", "付款被风控拦截", "payment-blocked-for-security"),
    _q("zh-CN", "银行卡被拒绝", "card-declined-by-bank"),
    _q("zh-CN", "支持哪些外币", "supported-currencies"),
    _q("zh-CN", "我要申请退款", "how-to-request-a-refund"),
    _q("zh-CN", "退款多久到账", "how-long-does-a-refund-take"),
    _q("zh-CN", "退钱到银行卡要几天", "how-long-does-a-refund-take"),
    _q("zh-CN", "商家拒绝退款", "refund-rejected-or-failed"),
    _q("zh-CN", "换手机号", "change-phone-or-email"),
    _q("zh-CN", "修改邮箱", "change-phone-or-email"),
    _q("zh-CN", "绑定新银行卡后不能提现", "add-or-remove-bank-card"),
    _q("zh-CN", "为什么要再次验证身份", "step-up-verification-explained"),
    _q("zh-CN", "客服电话是多少", "contact-official-customer-service"),
    _q(
        "zh-CN",
        "这个客服电话是真的吗",
        "spot-fake-customer-service",
        "contact-official-customer-service",
    ),
    _q(
        "zh-CN",
        "有人让我转账到安全账户",
        "spot-fake-customer-service",
        "walletdesk-never-asks-for-codes",
    ),
    _q(
        "zh-CN", "客服要我的验证码", "walletdesk-never-asks-for-codes", "spot-fake-customer-service"
    ),
    _q("zh-CN", "帳戶凍結", "account-frozen-what-to-do"),
    _q("zh-CN", "2FA", "two-factor-authentication"),
    # -- en ------------------------------------------------------------------------
    _q("en", "forgot my password", "forgot-password"),
    _q(
        "en",
        "why did my payment fail",
        "payment-failed-insufficient-balance",
        "payment-timed-out-no-double-charge",
        "merchant-errors-and-what-to-do",
        "payment-blocked-for-security",
        "card-declined-by-bank",
    ),
    _q("en", "how do I turn on 2FA", "two-factor-authentication"),
    _q("en", "authenticator code not accepted", "two-factor-authentication"),
    _q("en", "my account is frozen", "account-frozen-what-to-do"),
    _q("en", "how to unfreeze account", "account-frozen-what-to-do"),
    _q("en", "someone logged into my account from a new device", "unknown-login-or-stolen-money"),
    _q("en", "money stolen from my wallet", "unknown-login-or-stolen-money"),
    _q("en", "insufficient balance", "payment-failed-insufficient-balance"),
    _q("en", "how to add money to my balance", "how-to-top-up"),
    _q("en", "what is my daily limit", "payment-limits-explained"),
    _q("en", "limit exceeded", "payment-limits-explained", "how-to-raise-your-limit"),
    _q("en", "increase my payment limit for a large purchase", "how-to-raise-your-limit"),
    _q("en", "verify identity upgrade tier", "verify-identity-to-upgrade-tier"),
    _q(
        "en",
        "payment timed out will I be charged twice",
        "payment-timed-out-no-double-charge",
        "was-i-charged-twice",
    ),
    _q("en", "charged twice", "was-i-charged-twice"),
    _q("en", "merchant unavailable error", "merchant-errors-and-what-to-do"),
    _q("en", "payment blocked by risk control", "payment-blocked-for-security"),
    _q("en", "card declined", "card-declined-by-bank"),
    _q("en", "which currencies are supported", "supported-currencies"),
    _q("en", "how do I request a refund", "how-to-request-a-refund"),
    _q("en", "how long does a refund to my card take", "how-long-does-a-refund-take"),
    _q("en", "where is my refund", "how-long-does-a-refund-take"),
    _q("en", "refund rejected by merchant", "refund-rejected-or-failed"),
    _q("en", "change my phone number", "change-phone-or-email"),
    _q("en", "update email address", "change-phone-or-email"),
    _q("en", "cannot withdraw to new bank card", "add-or-remove-bank-card"),
    _q("en", "why do I have to verify again", "step-up-verification-explained"),
    _q("en", "customer service phone number", "contact-official-customer-service"),
    _q(
        "en",
        "is this customer service number real",
        "spot-fake-customer-service",
        "contact-official-customer-service",
    ),
    _q(
        "en",
        "someone asked me to move money to a safe account",
        "spot-fake-customer-service",
        "walletdesk-never-asks-for-codes",
    ),
    _q(
        "en",
        "caller asked for my verification code",
        "walletdesk-never-asks-for-codes",
        "spot-fake-customer-service",
    ),
    _q(
        "en",
        "refun",
        "how-to-request-a-refund",
        "how-long-does-a-refund-take",
        "refund-rejected-or-failed",
    ),
    _q(
        "en",
        "ＲＥＦＵＮＤ status",
        "how-long-does-a-refund-take",
        "how-to-request-a-refund",
        "refund-rejected-or-failed",
    ),
)
