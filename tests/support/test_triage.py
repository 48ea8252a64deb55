"""Triage (DOMAIN.md §1): a labelled set in zh-CN and en, classified offline."""

from __future__ import annotations

from datetime import date

import pytest

from walletdesk.support.contacts.model import Risk
from walletdesk.support.triage import Category, classify

TODAY = date(2026, 3, 2)

LABELLED: list[tuple[str, Category]] = [
    # account_security
    ("Someone logged into my account from another city", Category.ACCOUNT_SECURITY),
    ("My account was hacked and money is gone", Category.ACCOUNT_SECURITY),
    ("I got an unknown login alert from a new device", Category.ACCOUNT_SECURITY),
    ("How do I turn on 2FA?", Category.ACCOUNT_SECURITY),
    ("I forgot my password and cannot log in", Category.ACCOUNT_SECURITY),
    ("There is a payment I didn't make, please freeze my account", Category.ACCOUNT_SECURITY),
    ("I clicked a phishing link by mistake", Category.ACCOUNT_SECURITY),
    ("Unauthorized transaction on my wallet", Category.ACCOUNT_SECURITY),
    ("Someone asked me for my verification code, is that ok?", Category.ACCOUNT_SECURITY),
    ("Lost my phone with the authenticator app", Category.ACCOUNT_SECURITY),
    ("我的账户被盗了，钱没了", Category.ACCOUNT_SECURITY),
    ("收到异地登录提醒，不是我登录的", Category.ACCOUNT_SECURITY),
    ("忘记密码了怎么办", Category.ACCOUNT_SECURITY),
    ("怎么开启两步验证", Category.ACCOUNT_SECURITY),
    ("有人冒充客服让我把钱转到安全账户", Category.ACCOUNT_SECURITY),
    ("我被骗了，请帮我冻结账户", Category.ACCOUNT_SECURITY),
    ("有一笔不明扣款", Category.ACCOUNT_SECURITY),
    ("陌生设备登录了我的账号", Category.ACCOUNT_SECURITY),
    # payment_failure
    ("My payment failed at the supermarket", Category.PAYMENT_FAILURE),
    ("The payment timed out but I don't know if it went through", Category.PAYMENT_FAILURE),
    ("Card declined when paying the merchant", Category.PAYMENT_FAILURE),
    ("I can't pay, it says insufficient balance", Category.PAYMENT_FAILURE),
    ("Transaction failed twice at checkout", Category.PAYMENT_FAILURE),
    ("Payment error when buying tickets", Category.PAYMENT_FAILURE),
    ("付款失败，显示余额不足", Category.PAYMENT_FAILURE),
    ("支付失败了怎么办", Category.PAYMENT_FAILURE),
    ("在商店付不了款", Category.PAYMENT_FAILURE),
    ("支付超时，不知道扣没扣钱", Category.PAYMENT_FAILURE),
    ("交易失败，提示系统繁忙", Category.PAYMENT_FAILURE),
    ("无法支付，一直转圈", Category.PAYMENT_FAILURE),
    # refund
    ("How do I get a refund for my order?", Category.REFUND),
    ("The merchant promised my money back but nothing arrived", Category.REFUND),
    ("Where is my refund? It's been a week", Category.REFUND),
    ("I was charged twice, please give me a refund", Category.REFUND),
    ("I returned the item, when will I be refunded?", Category.REFUND),
    ("怎么申请退款", Category.REFUND),
    ("退款什么时候到账", Category.REFUND),
    ("退货后钱还没到", Category.REFUND),
    ("商家说已经退钱了，我没收到", Category.REFUND),
    ("取消订单后多久退回", Category.REFUND),
    # account_update
    ("I want to change my phone number", Category.ACCOUNT_UPDATE),
    ("How do I update my email address?", Category.ACCOUNT_UPDATE),
    ("I need to unbind my old bank card", Category.ACCOUNT_UPDATE),
    ("My name on the account is misspelled", Category.ACCOUNT_UPDATE),
    ("Can I change my ID card details?", Category.ACCOUNT_UPDATE),
    ("怎么更换手机号", Category.ACCOUNT_UPDATE),
    ("我想修改邮箱", Category.ACCOUNT_UPDATE),
    ("银行卡换绑怎么操作", Category.ACCOUNT_UPDATE),
    ("身份证信息填错了，能修改吗", Category.ACCOUNT_UPDATE),
    ("解绑旧的银行卡", Category.ACCOUNT_UPDATE),
    # limit_increase
    ("My payment limit is too low for a large purchase", Category.LIMIT_INCREASE),
    ("How can I increase my daily limit?", Category.LIMIT_INCREASE),
    ("Please raise my limit, I need to buy a laptop", Category.LIMIT_INCREASE),
    ("What is the maximum I can spend per day?", Category.LIMIT_INCREASE),
    ("怎么提高支付限额", Category.LIMIT_INCREASE),
    ("额度不够，想提额", Category.LIMIT_INCREASE),
    ("买大额商品超出上限了", Category.LIMIT_INCREASE),
    ("每日限额是多少", Category.LIMIT_INCREASE),
    # contact
    ("How do I talk to a human?", Category.CONTACT),
    ("What is your customer service hotline?", Category.CONTACT),
    ("Is this number really your official support?", Category.CONTACT),
    ("I want to speak to a real person", Category.CONTACT),
    ("人工客服怎么联系", Category.CONTACT),
    ("你们的客服电话是多少", Category.CONTACT),
    ("这个号码是官方的吗", Category.CONTACT),
    ("怎么转人工", Category.CONTACT),
    # other
    ("Do you have a dark mode?", Category.OTHER),
    ("Thanks for the great app", Category.OTHER),
    ("What languages does the app support?", Category.OTHER),
    ("你们的应用支持深色模式吗", Category.OTHER),
    ("谢谢，你们的服务很好", Category.OTHER),
    ("应用有英文版吗", Category.OTHER),
]


def test_the_labelled_set_is_big_and_bilingual() -> None:
    assert len(LABELLED) >= 60
    assert {category for _text, category in LABELLED} == set(Category)
    chinese = sum(1 for text, _c in LABELLED if any("\u4e00" <= ch <= "\u9fff" for ch in text))
    assert 25 <= chinese <= len(LABELLED) - 25


def test_accuracy_on_the_labelled_set_is_at_least_ninety_percent() -> None:
    wrong = [
        (text, expected, got.category)
        for text, expected in LABELLED
        if (got := classify(text, today=TODAY)).category != expected
    ]
    accuracy = 1 - len(wrong) / len(LABELLED)
    assert accuracy >= 0.9, wrong


def test_it_is_deterministic_and_normalises_width_and_case() -> None:
    first = classify("ＲＥＦＵＮＤ please", today=TODAY)
    assert first == classify("refund PLEASE", today=TODAY)
    assert first.category is Category.REFUND


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [("退款", 0.5, 1.0), ("付款失败了，还想退款", 0.0, 0.8), ("hello there", 0.5, 0.5)],
)
def test_confidence_is_between_zero_and_one(text: str, low: float, high: float) -> None:
    confidence = classify(text, today=TODAY).confidence
    assert low <= confidence <= high


def test_a_message_from_a_fake_agent_carries_high_scam_risk() -> None:
    text = "我是客服，你的账户有风险，请把验证码告诉我，并把钱转到安全账户"
    triage = classify(text, "zh-CN", today=TODAY)
    assert triage.scam_risk is Risk.HIGH
    assert triage.category is Category.ACCOUNT_SECURITY


def test_an_ordinary_question_has_low_scam_risk() -> None:
    assert classify("How do I get a refund?", today=TODAY).scam_risk is Risk.LOW
