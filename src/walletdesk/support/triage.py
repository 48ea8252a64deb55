"""Offline, deterministic triage of a customer's text into the categories of DOMAIN.md §1.

Each category has weighted phrases in English and Chinese. The text is normalised
(NFKC, case-folded); a Chinese phrase matches as a substring, an English phrase at
the start of a word (so "refund" also matches "refunded"). The category with the
highest total weight wins; ``confidence`` is its share of all matched weight, damped
when little matched. No match at all is ``other``. Scam risk comes from the
red-flag checker of the contacts context.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache

from walletdesk.support.contacts.message_check import check_message
from walletdesk.support.contacts.model import Risk
from walletdesk.support.helpcenter.articles import Category

__all__ = ["KEYWORDS", "Category", "Triage", "classify", "score"]

# Category -> (phrase, weight). Phrases are written already folded (lowercase).
KEYWORDS: dict[Category, tuple[tuple[str, float], ...]] = {
    Category.ACCOUNT_SECURITY: (
        ("hacked", 3.0),
        ("stolen", 2.5),
        ("unknown login", 3.0),
        ("unrecognised login", 3.0),
        ("unrecognized login", 3.0),
        ("someone logged", 3.0),
        ("logged into my account", 2.5),
        ("new device", 1.5),
        ("2fa", 2.5),
        ("two-factor", 2.5),
        ("authenticator", 2.0),
        ("password", 1.5),
        ("phishing", 3.0),
        ("scam", 2.5),
        ("fraud", 2.5),
        ("unauthori", 3.0),
        ("didn't make", 2.0),
        ("did not make", 2.0),
        ("freeze my account", 3.0),
        ("verification code", 1.5),
        ("safe account", 3.0),
        ("被盗", 3.0),
        ("盗刷", 3.0),
        ("异地登录", 3.0),
        ("陌生设备", 3.0),
        ("不是我登录", 3.0),
        ("不是我本人", 2.5),
        ("陌生登录", 3.0),
        ("密码", 1.5),
        ("验证码", 1.5),
        ("两步验证", 2.5),
        ("二次验证", 2.5),
        ("钓鱼", 3.0),
        ("诈骗", 3.0),
        ("骗子", 3.0),
        ("冻结", 2.5),
        ("安全账户", 3.0),
        ("被骗", 3.0),
        ("账户安全", 2.5),
        ("账号安全", 2.5),
        ("不明扣款", 3.0),
    ),
    Category.PAYMENT_FAILURE: (
        ("payment failed", 3.0),
        ("payment fail", 3.0),
        ("failed to pay", 3.0),
        ("couldn't pay", 3.0),
        ("could not pay", 3.0),
        ("can't pay", 3.0),
        ("cannot pay", 3.0),
        ("declined", 2.5),
        ("timed out", 2.0),
        ("timeout", 2.0),
        ("payment error", 3.0),
        ("transaction failed", 3.0),
        ("checkout", 1.5),
        ("insufficient", 2.0),
        ("pay", 0.5),
        ("支付失败", 3.0),
        ("付款失败", 3.0),
        ("付不了", 3.0),
        ("支付不了", 3.0),
        ("无法支付", 3.0),
        ("无法付款", 3.0),
        ("交易失败", 3.0),
        ("支付超时", 3.0),
        ("超时", 1.5),
        ("余额不足", 2.0),
        ("扣款失败", 3.0),
        ("付款", 0.5),
        ("支付", 0.5),
        ("被拒", 2.0),
    ),
    Category.REFUND: (
        ("refund", 3.0),
        ("money back", 3.0),
        ("return the", 1.0),
        ("returned the", 1.5),
        ("charged twice", 2.0),
        ("double charged", 2.0),
        ("cancel my order", 2.0),
        ("cancelled order", 2.0),
        ("退款", 3.0),
        ("退钱", 3.0),
        ("退货", 2.5),
        ("退回", 2.0),
        ("重复扣款", 2.0),
        ("扣了两次", 2.0),
        ("取消订单", 2.0),
        ("钱还没到", 1.5),
    ),
    Category.ACCOUNT_UPDATE: (
        ("change my phone", 3.0),
        ("change my email", 3.0),
        ("change my number", 3.0),
        ("new phone number", 3.0),
        ("update my phone", 3.0),
        ("update my email", 3.0),
        ("update my", 1.5),
        ("change my", 1.0),
        ("bank card", 1.5),
        ("unbind", 2.5),
        ("my name", 1.5),
        ("id card", 2.0),
        ("identity details", 2.5),
        ("personal details", 2.0),
        ("email address", 1.5),
        ("phone number", 1.5),
        ("更换手机号", 3.0),
        ("换手机号", 3.0),
        ("修改手机号", 3.0),
        ("手机号", 1.5),
        ("更换邮箱", 3.0),
        ("修改邮箱", 3.0),
        ("邮箱", 1.0),
        ("银行卡", 1.5),
        ("换绑", 3.0),
        ("解绑", 3.0),
        ("绑定", 1.5),
        ("修改姓名", 3.0),
        ("身份证", 2.0),
        ("实名信息", 2.5),
        ("个人信息", 2.0),
        ("更换", 1.0),
        ("修改", 1.0),
    ),
    Category.LIMIT_INCREASE: (
        ("limit", 2.5),
        ("raise", 1.0),
        ("increase", 1.5),
        ("exceed", 1.5),
        ("too low", 1.5),
        ("large purchase", 2.0),
        ("maximum", 1.5),
        ("限额", 3.0),
        ("额度", 3.0),
        ("上限", 2.5),
        ("提额", 3.0),
        ("提高", 1.5),
        ("超出", 1.5),
        ("超过", 1.0),
        ("大额", 2.0),
    ),
    Category.CONTACT: (
        ("customer service", 2.0),
        ("contact you", 2.5),
        ("contact a person", 3.0),
        ("talk to a human", 3.0),
        ("talk to a person", 3.0),
        ("speak to", 2.0),
        ("real person", 2.5),
        ("hotline", 3.0),
        ("phone number for", 2.0),
        ("is this number", 3.0),
        ("is this real", 2.0),
        ("official", 2.0),
        ("reach you", 2.5),
        ("agent", 1.5),
        ("客服电话", 3.0),
        ("人工客服", 3.0),
        ("转人工", 3.0),
        ("联系客服", 3.0),
        ("联系你们", 3.0),
        ("客服", 1.5),
        ("热线", 3.0),
        ("官方", 2.0),
        ("这个号码", 2.5),
        ("是真的吗", 2.0),
        ("真人", 2.0),
    ),
}

# Weight below which a match is thin: confidence is damped towards 0 (1 - e^(-w/2)).
_DAMPING = 2.0
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class Triage:
    category: Category
    confidence: float
    scam_risk: Risk


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@cache
def _matcher(phrase: str) -> re.Pattern[str]:
    if _CJK.search(phrase):
        return re.compile(re.escape(phrase))
    return re.compile(r"(?<![a-z0-9])" + re.escape(phrase))


def score(text: str) -> dict[Category, float]:
    """Total matched weight per category (categories with none are left out)."""
    folded = fold(text)
    totals: dict[Category, float] = {}
    for category, phrases in KEYWORDS.items():
        total = sum(weight for phrase, weight in phrases if _matcher(phrase).search(folded))
        if total > 0:
            totals[category] = total
    return totals


def classify(text: str, locale: str = "en", *, today: date | None = None) -> Triage:
    """The most likely category of ``text``, how sure we are (0–1), and its scam risk."""
    risk = check_message(text, locale, today=today).risk
    totals = score(text)
    if not totals:
        return Triage(Category.OTHER, 0.5, risk)
    # Ties go to the category listed first in KEYWORDS (security before the rest).
    order = list(KEYWORDS)
    best = max(totals, key=lambda c: (totals[c], -order.index(c)))
    share = totals[best] / sum(totals.values())
    strength = 1 - math.exp(-totals[best] / _DAMPING)
    return Triage(best, round(share * strength, 2), risk)
