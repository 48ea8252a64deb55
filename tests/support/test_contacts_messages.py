"""Red flags in what a "customer service" person says, in Chinese and English."""

from __future__ import annotations

from datetime import date

import pytest

from walletdesk.support.contacts.message_check import MessageCheck, check_message
from walletdesk.support.contacts.model import Risk, Verdict

DAY = date(2026, 1, 1)


def run(text: str, locale: str = "en") -> MessageCheck:
    return check_message(text, locale, today=DAY)


def flags(result: MessageCheck) -> set[str]:
    return {f.code for f in result.red_flags}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("请把收到的验证码告诉我", "asks_for_code"),
        ("Please read me the code we just sent", "asks_for_code"),
        ("What is the OTP on your screen?", "asks_for_code"),
        ("请下载 AnyDesk", "screen_sharing"),
        ("打开腾讯会议，开启屏幕共享", "screen_sharing"),
        ("Install TeamViewer so we can fix it", "screen_sharing"),
        ("请将资金转入安全账户", "safe_account"),
        ("Move your savings to a safe account today", "safe_account"),
        ("需要刷流水才能解冻", "transfer_to_verify"),
        ("Send a test transfer of $1 to verify", "transfer_to_verify"),
        ("Pay with Google Play gift cards", "gift_cards_or_crypto"),
        ("请用 USDT 支付", "gift_cards_or_crypto"),
        ("理赔需要先支付手续费", "pay_fee"),
        ("加我微信详聊", "move_off_platform"),
        ("Add me on WhatsApp", "move_off_platform"),
        ("请通过下载链接安装客服软件", "install_app"),
        ("Download our app from this link", "install_app"),
        ("您的快递丢失了，我们双倍赔偿", "parcel_compensation"),
        ("Your flight has been cancelled", "flight_cancelled"),
        ("您的百万保障即将扣费", "million_protection"),
        ("不注销校园贷会影响征信", "student_loan"),
        ("Cancel your student loan or your credit score will suffer", "student_loan"),
        ("您的账户异常", "account_abnormal"),
        ("Your account is abnormal", "account_abnormal"),
        (
            "To release your refund, buy two Steam cards and send me the numbers.",
            "gift_cards_or_crypto",
        ),
        ("Please leave the official app and continue with me on Telegram.", "move_off_platform"),
        ("请退出官方App，下载我们发给你的客服软件继续办理", "move_off_platform"),
        ("请退出官方App，下载我们发给你的客服软件继续办理", "install_app"),
        ("What’s the code on your screen?", "asks_for_code"),
    ],
)
def test_each_red_flag_is_recognised(text: str, code: str) -> None:
    assert code in flags(run(text))


@pytest.mark.parametrize(
    "text",
    [
        "【支付宝】验证码 482913，您正在登录，切勿告知他人。",
        "Your sign-in code is 482913. Never share this code with anyone.",
        "walletdesk 绝不会要求您把钱转入“安全账户”。",
        "We will never ask you to share your screen.",
        "Your sign-in code is 482913. Don’t share this code with anyone.",
        "Do not share your PIN with anyone.",
        "No one will ask you to read out your code.",
        "Beware of anyone who asks you to share your screen.",
        "We will never ask you to leave the official app or to chat on Telegram.",
        "请不要把验证码告诉任何人，包括自称客服的人。",
        "请勿向任何人透露短信验证码",
        "不要再把验证码告诉别人",
        "谨防有人冒充客服让您共享屏幕",
        "walletdesk 绝不会打电话索要我们发给您的验证码。",
        "请勿退出官方App与陌生人私聊",
        # two clauses: the promise after the comma is not part of "输入"
        "请在工单页面中输入，我们不会看到验证码。",
    ],
)
def test_a_red_flag_its_own_clause_negates_is_not_raised(text: str) -> None:
    result = run(text)
    assert result.red_flags == ()
    assert result.risk is Risk.LOW


@pytest.mark.parametrize(
    "text",
    [
        "Don't worry and just read me the code we sent you.",
        "Don't hang up and tell me the verification code.",
        "Don't hesitate to tell me the code.",
        "Whenever you're ready tell me the code from the SMS.",  # "never" inside a word
        "You won't be charged if you give me the code now.",
        "You won't need to do anything else other than tell me the code.",
        "Nobody else can help you so send me the OTP.",
        "Don’t tell anyone but read me the code.",  # negated at "tell", not at "read"
        "不要挂电话并把验证码告诉我",
        "您不会有任何损失只要把验证码告诉我",
        "您无需担心只要提供验证码就行",
        "不要告诉任何人并把验证码发给我",
        "要不要我帮你把钱转到安全账户",  # 要不要 asks, it does not negate
        "能不能把验证码告诉我",
    ],
)
def test_a_negation_that_governs_something_else_does_not_cancel_a_red_flag(text: str) -> None:
    result = run(text)
    assert result.risk is Risk.HIGH
    assert flags(result) & {"asks_for_code", "safe_account"}


def test_one_high_flag_makes_the_risk_high() -> None:
    result = run("请把验证码发给我")
    assert result.risk is Risk.HIGH
    assert result.advice[0].code == "advice_message_high"
    assert "advice.asks_for_code" in [a.code for a in result.advice]


def test_one_medium_flag_makes_the_risk_medium() -> None:
    result = run("您的账户异常，请尽快处理。")
    assert result.risk is Risk.MEDIUM
    assert result.advice[0].code == "advice_message_medium"


def test_two_different_medium_flags_make_the_risk_high() -> None:
    assert run("您的快递丢失，加我微信办理理赔").risk is Risk.HIGH


def test_a_message_with_no_flag_is_low_never_safe() -> None:
    result = run("Thanks for dinner last night!")
    assert result.risk is Risk.LOW
    assert result.advice[0].code == "advice_message_low"
    assert "does not make the message safe" in result.advice[0].text.en


def test_contacts_in_the_text_are_checked() -> None:
    result = run("Call 95188 or visit paypa1.com/login or write to help@venmo-support.net")
    checked = {c.value: c.verdict for c in result.checked_contacts}
    assert checked == {
        "95188": Verdict.OFFICIAL,
        "paypa1.com/login": Verdict.SUSPICIOUS,
        "help@venmo-support.net": Verdict.SUSPICIOUS,
    }
    assert "suspicious_contact" in flags(result)
    assert result.risk is Risk.HIGH


def test_a_known_fake_in_the_text_is_a_red_flag() -> None:
    result = run("请登录 http://unioay.com 完成认证")
    assert "known_fake_contact" in flags(result)


def test_a_percent_encoded_known_fake_in_the_text_is_a_red_flag() -> None:
    result = run("您的退款已到账，请登录 https://unio%61y.com/refund 领取", "zh-CN")
    (contact,) = result.checked_contacts
    assert contact.verdict is Verdict.KNOWN_FAKE
    assert contact.normalised == "unioay.com"
    assert result.risk is Risk.HIGH


def test_a_number_passed_off_as_the_named_providers_is_checked_as_that_claim() -> None:
    result = run("支付宝客服电话 13912345678")
    (contact,) = result.checked_contacts
    assert contact.verdict is Verdict.SUSPICIOUS
    assert [r.code for r in contact.reasons] == ["wrong_shape", "mobile_number"]


def test_amounts_codes_and_dates_are_not_taken_for_phone_numbers() -> None:
    result = run("验证码 482913。金额 12000 元，时间 2025年12月1日，¥ 38000")
    assert result.checked_contacts == ()


def test_a_chinese_word_is_not_glued_to_a_domain() -> None:
    (contact,) = run("请访问alipay-kefu.com办理退款").checked_contacts
    assert contact.normalised == "alipay-kefu.com"


def test_naming_a_closed_provider_is_a_red_flag() -> None:
    result = run("LINE Pay support: your balance will be returned")
    assert "discontinued_provider" in flags(result)
    assert result.risk is Risk.HIGH


def test_advice_for_a_risky_message_points_to_the_official_channel_and_anti_fraud_line() -> None:
    result = run("我是支付宝客服，请把验证码告诉我", "zh-CN")
    codes = [a.code for a in result.advice]
    assert "advice_call_back" in codes
    callback = next(a for a in result.advice if a.code == "advice_call_back")
    assert "95188" in callback.text.zh_cn
    anti_fraud = next(a for a in result.advice if a.code == "advice_anti_fraud")
    assert "96110" in anti_fraud.text.zh_cn
    assert "159" not in anti_fraud.text.zh_cn  # zh-CN stands in for China when no country is known


def test_only_the_first_ten_thousand_characters_are_read() -> None:
    result = run("x" * 10_000 + " 请把验证码告诉我")
    assert result.red_flags == ()
