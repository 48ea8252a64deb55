"""Triage (DOMAIN.md §1): a trained model, measured on a held-out split of a shipped labelled set."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from datetime import date
from typing import Any

import pytest

from walletdesk.support.contacts.model import Risk
from walletdesk.support.triage import (
    Category,
    classify,
    cues_in,
    explain,
    labelled_set,
    score,
    split_for,
    train,
)
from walletdesk.support.triage_eval import LABELS, LOCALES, evaluate, render

TODAY = date(2026, 3, 2)
# The issue's target for held-out accuracy, overall and per locale.
TARGET = 0.92
# What the model measurably reaches today (0.928 overall, 0.923 zh-CN, 0.912 en, 0.958
# mixed on 362 held-out messages), less a little room: a drop below is a regression.
GATE = 0.91
LOCALE_GATE = 0.89

SCAM = "我是客服，你的账户有风险，请把验证码告诉我，并把钱转到安全账户"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return evaluate()


# -- the labelled set -------------------------------------------------------------


def test_the_labelled_set_has_every_category_in_every_locale() -> None:
    examples = labelled_set()
    per_category = Counter(e.category for e in examples)
    assert set(per_category) == set(Category)
    assert min(per_category.values()) >= 60
    assert Counter((e.category, e.locale) for e in examples).keys() == {
        (category, locale) for category in Category for locale in LOCALES
    }
    folded = [unicodedata.normalize("NFKC", e.text).casefold().strip() for e in examples]
    assert len(set(folded)) == len(folded)


def test_every_row_sits_in_the_split_its_text_hashes_to() -> None:
    examples = labelled_set()
    assert [e.split for e in examples] == [split_for(e.text) for e in examples]
    held_out = sum(1 for e in examples if e.split == "test")
    assert 0.2 <= held_out / len(examples) <= 0.3


def test_the_split_does_not_depend_on_width_or_case() -> None:
    assert split_for("ＲＥＦＵＮＤ please") == split_for("refund PLEASE")


def test_no_held_out_text_is_a_near_copy_of_a_training_text() -> None:
    def trigrams(text: str) -> set[str]:
        folded = unicodedata.normalize("NFKC", text).casefold()
        return {folded[i : i + 3] for i in range(len(folded) - 2)} or {folded}

    training = [trigrams(e.text) for e in labelled_set() if e.split == "train"]
    closest = {
        e.text: max(len(t & mine) / len(t | mine) for t in training)
        for e in labelled_set()
        if e.split == "test" and (mine := trigrams(e.text))
    }
    assert max(closest.values()) < 0.7, max(closest, key=closest.__getitem__)


# -- measured quality -------------------------------------------------------------


def test_held_out_accuracy_stays_above_the_measured_gate(report: dict[str, Any]) -> None:
    assert report["accuracy"] >= GATE, report["errors"]
    for locale in LOCALES:
        assert report["per_locale"][locale]["accuracy"] >= LOCALE_GATE, locale


def test_held_out_accuracy_meets_the_issue_target(report: dict[str, Any]) -> None:
    assert report["accuracy"] >= TARGET


@pytest.mark.xfail(
    strict=True,
    reason="the issue's 0.92 is not reached in every locale yet (en is at 0.912)",
)
def test_held_out_accuracy_meets_the_issue_target_in_every_locale(
    report: dict[str, Any],
) -> None:
    for locale in LOCALES:
        assert report["per_locale"][locale]["accuracy"] >= TARGET, locale


def test_the_report_is_complete_and_its_confusion_matrix_adds_up(report: dict[str, Any]) -> None:
    held_out = [e for e in labelled_set() if e.split == "test"]
    assert report["confusion"]["labels"] == [c.value for c in Category] == [c.value for c in LABELS]
    matrix = report["confusion"]["matrix"]
    assert sum(map(sum, matrix)) == report["sizes"]["test"] == len(held_out)
    for i, label in enumerate(LABELS):
        assert sum(matrix[i]) == report["per_category"][label.value]["support"]
    right = sum(matrix[i][i] for i in range(len(LABELS)))
    assert report["accuracy"] == round(right / len(held_out), 3)
    assert len(report["errors"]) == len(held_out) - right
    assert sum(report["per_locale"][locale]["n"] for locale in LOCALES) == len(held_out)
    table = render(report)
    assert "account_security" in table
    assert f"accuracy {report['accuracy']:.3f}" in table


def test_training_is_deterministic() -> None:
    training = tuple(e for e in labelled_set() if e.split == "train")
    first, second = train(training), train(training)
    assert first.names == second.names
    assert (first.weights == second.weights).all()
    text = "付款失败了，还想退款"
    assert score(text, first) == score(text, second)


# -- behaviour --------------------------------------------------------------------

# The examples the keyword table of the previous triage was checked against; they are
# rows of the labelled set now (some in each split) and must all stay right.
PREVIOUSLY_CHECKED: list[tuple[str, Category]] = [
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
    ("My payment limit is too low for a large purchase", Category.LIMIT_INCREASE),
    ("How can I increase my daily limit?", Category.LIMIT_INCREASE),
    ("Please raise my limit, I need to buy a laptop", Category.LIMIT_INCREASE),
    ("What is the maximum I can spend per day?", Category.LIMIT_INCREASE),
    ("怎么提高支付限额", Category.LIMIT_INCREASE),
    ("额度不够，想提额", Category.LIMIT_INCREASE),
    ("买大额商品超出上限了", Category.LIMIT_INCREASE),
    ("每日限额是多少", Category.LIMIT_INCREASE),
    ("How do I talk to a human?", Category.CONTACT),
    ("What is your customer service hotline?", Category.CONTACT),
    ("Is this number really your official support?", Category.CONTACT),
    ("I want to speak to a real person", Category.CONTACT),
    ("人工客服怎么联系", Category.CONTACT),
    ("你们的客服电话是多少", Category.CONTACT),
    ("这个号码是官方的吗", Category.CONTACT),
    ("怎么转人工", Category.CONTACT),
    ("Do you have a dark mode?", Category.OTHER),
    ("Thanks for the great app", Category.OTHER),
    ("What languages does the app support?", Category.OTHER),
    ("你们的应用支持深色模式吗", Category.OTHER),
    ("谢谢，你们的服务很好", Category.OTHER),
    ("应用有英文版吗", Category.OTHER),
]


def test_the_examples_the_keyword_table_was_checked_against_are_still_right() -> None:
    rows = {e.text: e.category for e in labelled_set()}
    assert all(rows.get(text) is category for text, category in PREVIOUSLY_CHECKED)
    wrong = [
        (text, expected, got.category)
        for text, expected in PREVIOUSLY_CHECKED
        if (got := classify(text, today=TODAY)).category is not expected
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my refnd still hasnt come back", Category.REFUND),
        # A transposition in the one word that decides it: the cue is lost, the rest of
        # the sentence carries it (it did not before the labelled set grew).
        ("my refnud still hasnt come back", Category.REFUND),
        ("ｔｕｉｋｕａｎ 多久能到", Category.REFUND),
        ("账户被hack了 钱少了", Category.ACCOUNT_SECURITY),
        ("payment faild at the mall again", Category.PAYMENT_FAILURE),
        ("付款 fail 了 一直 loading", Category.PAYMENT_FAILURE),
        ("想 change 绑定的手机号", Category.ACCOUNT_UPDATE),
        ("daily limt too low 想提额", Category.LIMIT_INCREASE),
        ("zhuan rengong 谢谢", Category.CONTACT),
    ],
)
def test_mixed_language_typos_and_full_width_text(text: str, expected: Category) -> None:
    assert classify(text, today=TODAY).category is expected


def test_it_is_deterministic_and_normalises_width_and_case() -> None:
    first = classify("ＲＥＦＵＮＤ please", today=TODAY)
    assert first == classify("refund PLEASE", today=TODAY)
    assert first.category is Category.REFUND


@pytest.mark.parametrize(
    ("text", "category", "low", "high"),
    [
        ("退款", Category.REFUND, 0.8, 1.0),
        ("hello there", Category.OTHER, 0.5, 1.0),
        ("", Category.OTHER, 1.0, 1.0),
    ],
)
def test_confidence_is_the_probability_of_the_category(
    text: str, category: Category, low: float, high: float
) -> None:
    triage = classify(text, today=TODAY)
    assert triage.category is category
    assert low <= triage.confidence <= high


def test_a_message_with_two_needs_gets_one_of_them_with_low_confidence() -> None:
    # A failed payment and a wish for money back: both categories fit, neither surely.
    triage = classify("付款失败了，还想退款", today=TODAY)
    assert triage.category in {Category.PAYMENT_FAILURE, Category.REFUND}
    assert triage.confidence <= 0.8
    scores = score("付款失败了，还想退款")
    assert scores[Category.PAYMENT_FAILURE] + scores[Category.REFUND] >= 0.8


def test_a_message_from_a_fake_agent_carries_high_scam_risk() -> None:
    triage = classify(SCAM, "zh-CN", today=TODAY)
    assert triage.scam_risk is Risk.HIGH
    assert triage.category is Category.ACCOUNT_SECURITY


def test_a_takeover_red_flag_makes_it_a_security_matter_whatever_else_it_mentions() -> None:
    # A fake agent who says the code is "for your refund" and names customer service.
    text = "有人自称客服打电话给我，说退款要用，让我提供验证码"
    triage = classify(text, "zh-CN", today=TODAY)
    assert triage.category is Category.ACCOUNT_SECURITY
    assert triage.confidence >= 0.9
    assert triage.scam_risk is Risk.HIGH


def test_an_ordinary_question_has_low_scam_risk() -> None:
    assert classify("How do I get a refund?", today=TODAY).scam_risk is Risk.LOW


# -- explanation ------------------------------------------------------------------


def test_the_explanation_names_the_features_behind_the_category() -> None:
    why = explain("怎么申请退款")
    assert why.category is Category.REFUND
    assert why.confidence == classify("怎么申请退款", today=TODAY).confidence
    assert why.red_flags == ()
    names = [name for name, _ in why.features]
    assert names[0] == "cue:refund"
    assert any("退" in name for name in names[1:])
    contributions = [weight for _, weight in why.features]
    assert all(weight > 0 for weight in contributions)
    assert contributions == sorted(contributions, reverse=True)
    assert len(explain("怎么申请退款", limit=2).features) == 2


def test_the_explanation_of_a_scam_names_its_red_flags() -> None:
    why = explain(SCAM)
    assert why.category is Category.ACCOUNT_SECURITY
    assert set(why.red_flags) == {"asks_for_code", "safe_account"}


def test_cues_match_latin_words_at_their_start_and_chinese_anywhere() -> None:
    assert "refund" in cues_in("I was REFUNDED half")
    assert "refund" in cues_in("我的退款呢")
    assert "greeting" in cues_in("hi there")
    assert "greeting" not in cues_in("my history")  # "hi$": a whole word only


def test_bench_triage_prints_the_table_and_the_json() -> None:
    from typer.testing import CliRunner

    from walletdesk.cli.main import app

    as_json = CliRunner().invoke(app, ["bench", "triage", "--json"])
    assert as_json.exit_code == 0, as_json.output
    printed = json.loads(as_json.output)
    assert printed["sizes"]["test"] == sum(1 for e in labelled_set() if e.split == "test")
    assert printed["confusion"]["labels"] == [c.value for c in Category]

    readable = CliRunner().invoke(app, ["bench", "triage"])
    assert readable.exit_code == 0, readable.output
    assert readable.output.startswith("true \\ predicted")
    assert f"accuracy {printed['accuracy']:.3f}" in readable.output
