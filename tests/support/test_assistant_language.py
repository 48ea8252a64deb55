"""Which language the assistant answers in (support/assistant.py): the message's own when
it is clear, else the customer's profile, else the browser's Accept-Language."""

from __future__ import annotations

import pytest

from walletdesk.support.assistant import answer_language, message_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("怎么申请退款", "zh-CN"),
        ("我的 WeChat 付款失败", "zh-CN"),  # a brand name in a Chinese sentence
        ("转人工", "zh-CN"),
        ("how do I request a refund", "en"),
        ("refund status", "en"),
        ("I sent money to 张三 but it failed", None),  # a Chinese name in English: unclear
        ("refund", None),  # one word says little
        ("WD-000123", None),
        ("12.50", None),
        ("", None),
    ],
)
def test_the_language_of_a_message(text: str, expected: str | None) -> None:
    assert message_language(text) == expected


def test_a_clear_message_outweighs_the_profile_and_the_header() -> None:
    chosen = answer_language("怎么申请退款", profile="en", header="en", default="en")
    assert chosen == "zh-CN"
    chosen = answer_language(
        "why did my payment fail", profile="zh-CN", header="zh-CN", default="zh-CN"
    )
    assert chosen == "en"


def test_an_unclear_message_takes_the_profile_then_the_header_then_the_default() -> None:
    assert answer_language("WD-000123", profile="zh-CN", header="en", default="en") == "zh-CN"
    assert answer_language("WD-000123", profile=None, header="zh-CN", default="en") == "zh-CN"
    assert answer_language("WD-000123", profile=None, header=None, default="zh-CN") == "zh-CN"
    assert answer_language("WD-000123", profile=None, header=None, default="en") == "en"
