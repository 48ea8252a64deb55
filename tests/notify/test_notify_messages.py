"""The alert catalogue: complete in both languages, written for people, safe with params."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

import pytest

from walletdesk.notify.delivery import (
    OutboxStatus,
    retry_delay_seconds,
    status_after_failure,
)
from walletdesk.notify.messages import (
    KINDS,
    LOCALES,
    AlertCategory,
    AlertKind,
    Channel,
    candidate_channels,
    default_enabled,
    kinds_in,
    may_disable,
    missing_params,
    render,
    secret_keys,
    sms_text,
    variants,
)
from walletdesk.notify.texts import TEXTS

TIME = "2026-03-05T09:07:00+00:00"


def sample_params(kind: AlertKind, variant: str) -> dict[str, str]:
    """Every placeholder filled with its own name, plus the variant parameter."""
    texts = TEXTS[kind.value][variant]
    names = {
        field
        for template in (*texts.title.values(), *texts.body.values())
        for _, field, _, _ in string.Formatter().parse(template)
        if field
    }
    params = {name: f"<{name}>" for name in names}
    variant_param = KINDS[kind].variant_param
    if variant_param:
        params[variant_param] = variant
    return params


def every_text() -> list[tuple[AlertKind, str]]:
    return [(kind, variant) for kind in AlertKind for variant in variants(kind)]


def test_every_kind_has_a_category_and_texts() -> None:
    assert set(KINDS) == set(AlertKind)
    assert set(TEXTS) == {kind.value for kind in AlertKind}


@pytest.mark.parametrize(("kind", "variant"), every_text())
def test_both_languages_use_the_same_placeholders(kind: AlertKind, variant: str) -> None:
    texts = TEXTS[kind.value][variant]

    def fields(locale: str) -> set[str]:
        return {
            field
            for template in (texts.title[locale], texts.body[locale])
            for _, field, _, _ in string.Formatter().parse(template)
            if field
        }

    assert set(texts.title) == set(texts.body) == set(LOCALES)
    assert fields("en") == fields("zh-CN")


@pytest.mark.parametrize(("kind", "variant"), every_text())
def test_every_text_renders_in_both_languages(kind: AlertKind, variant: str) -> None:
    params = sample_params(kind, variant)
    for locale in LOCALES:
        title, body = render(kind, locale, params)
        assert title
        assert "{" not in title + body


@pytest.mark.parametrize(
    ("kind", "variant"),
    [(k, v) for k, v in every_text() if KINDS[k].category is AlertCategory.SECURITY],
)
def test_security_alerts_say_what_to_do_and_that_codes_are_never_asked_for(
    kind: AlertKind, variant: str
) -> None:
    params = sample_params(kind, variant)
    _, english = render(kind, "en", params)
    _, chinese = render(kind, "zh-CN", params)
    assert "change your password" in english
    assert "will never ask" in english
    assert "修改密码" in chinese
    assert "绝不会" in chinese


def test_a_transaction_alert_reads_naturally_in_chinese() -> None:
    params = {"direction": "out", "amount": "88.00", "currency": "CNY", "counterparty": "王芳"}
    title, body = render(AlertKind.TRANSACTION, "zh-CN", params)
    assert title == "付款 CNY 88.00"
    assert body == (
        "您已向 王芳 支付 CNY 88.00。如不认识这笔付款，"
        "请立即通过 App 内的“帮助”联系 walletdesk 客服。"
    )


def test_times_are_shown_the_way_each_language_writes_them() -> None:
    _, english = render(AlertKind.PASSWORD_CHANGED, "en", {"time": TIME})
    _, chinese = render(AlertKind.PASSWORD_CHANGED, "zh-CN", {"time": TIME})
    assert english.startswith(
        "The password for your walletdesk account was changed at 5 Mar 2026, 09:07 UTC. "
    )
    assert chinese.startswith("您的 walletdesk 账户密码已于 2026年3月5日 09:07 UTC 修改。")


def test_an_unsupported_language_falls_back_to_english_and_zh_variants_to_chinese() -> None:
    english = render(AlertKind.ACCOUNT_UNFROZEN, "en", {})
    assert render(AlertKind.ACCOUNT_UNFROZEN, "fr-FR", {}) == english
    assert render(AlertKind.ACCOUNT_UNFROZEN, "zh_Hans", {})[0] == "账户已解冻"


def test_a_missing_parameter_is_named() -> None:
    partial = {"direction": "in", "amount": "1.00"}
    assert missing_params(AlertKind.TRANSACTION, partial) == ["counterparty", "currency"]
    with pytest.raises(ValueError, match="missing parameters counterparty, currency"):
        render(AlertKind.TRANSACTION, "en", partial)


def test_the_time_of_the_event_fills_in_when_the_caller_gave_none() -> None:
    at = datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    _, body = render(AlertKind.TOTP_ENABLED, "en", {}, at=at)
    assert body.startswith(
        "Two-step verification with an authenticator app was turned on for your "
        "account at 3 Feb 2026, 04:05 UTC."
    )
    _, given = render(AlertKind.TOTP_ENABLED, "en", {"time": TIME}, at=at)
    assert "5 Mar 2026, 09:07 UTC" in given


def test_a_lock_says_until_when_in_each_language() -> None:
    until = {"until": "2026-01-01T08:45:00+00:00"}
    assert (
        "locked your walletdesk account until 1 Jan 2026, 08:45 UTC"
        in (render(AlertKind.ACCOUNT_LOCKED, "en", until)[1])
    )
    assert "锁定至 2026年1月1日 08:45 UTC。" in render(AlertKind.ACCOUNT_LOCKED, "zh-CN", until)[1]


def test_a_freeze_for_a_reason_without_its_own_text_uses_the_general_one() -> None:
    title, body = render(AlertKind.ACCOUNT_FROZEN, "en", {"reason": "agent note: chargeback"})
    assert title == "Your account is frozen"
    assert body.startswith("Your walletdesk account has been frozen. While it's frozen")
    assert "chargeback" not in body
    _, specific = render(AlertKind.ACCOUNT_FROZEN, "en", {"reason": "user_request"})
    assert specific.startswith("As you asked, your walletdesk account has been frozen.")


def test_an_unknown_variant_value_is_refused() -> None:
    with pytest.raises(ValueError, match="'direction' must be one of in, out"):
        render(
            AlertKind.TRANSACTION,
            "en",
            {**sample_params(AlertKind.TRANSACTION, "in"), "direction": "sideways"},
        )


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "accessToken",
        "api_key",
        "client_secret",
        "card_number",
        "cardNumber",
        "pan",
        "cvv",
        "pin",
        "otp",
        "code",
        "sms_code",
        "recoveryCode",
        "verification_code",
    ],
)
def test_keys_that_look_like_secrets_are_caught(key: str) -> None:
    assert secret_keys(AlertKind.SECURITY_EVENT, {key: "x"}) == [key]


@pytest.mark.parametrize(
    "key",
    [
        "company",
        "last4",
        "amount",
        "currency",
        "counterparty",
        "pending",
        "country_code",
        "error_code",
        "codename",
    ],
)
def test_ordinary_keys_are_not_mistaken_for_secrets(key: str) -> None:
    assert secret_keys(AlertKind.TRANSACTION, {key: "x"}) == []


def test_secrets_are_found_in_nested_params_and_only_the_codes_own_code_is_allowed() -> None:
    params = {"code": "123456", "meta": {"code": "x", "items": [{"password": "y"}]}}
    assert secret_keys(AlertKind.VERIFICATION_CODE, params) == [
        "meta.code",
        "meta.items[0].password",
    ]
    assert secret_keys(AlertKind.LOGIN_NEW_DEVICE, {"code": "1"}) == ["code"]


def test_default_channels_follow_the_category() -> None:
    def defaults(kind: AlertKind) -> set[Channel]:
        return {channel for channel in Channel if default_enabled(kind, channel)}

    assert defaults(AlertKind.PASSWORD_CHANGED) == {Channel.INBOX, Channel.EMAIL, Channel.SMS}
    assert defaults(AlertKind.ACCOUNT_FROZEN) == {Channel.INBOX, Channel.EMAIL, Channel.SMS}
    assert defaults(AlertKind.TRANSACTION) == {Channel.INBOX, Channel.SMS}
    assert defaults(AlertKind.REFUND_STATUS) == {Channel.INBOX, Channel.SMS}
    assert AlertKind.VERIFICATION_CODE not in kinds_in(AlertCategory.SECURITY)


def test_security_alerts_cannot_leave_the_inbox_but_may_leave_email() -> None:
    assert may_disable(AlertKind.LOGIN_NEW_DEVICE, Channel.INBOX) is False
    assert may_disable(AlertKind.LOGIN_NEW_DEVICE, Channel.EMAIL) is True
    assert may_disable(AlertKind.TRANSACTION, Channel.INBOX) is True


@pytest.mark.parametrize(
    "kind",
    [
        AlertKind.VERIFICATION_CODE,
        AlertKind.TICKET_VERIFICATION_CODE,
        AlertKind.CONTACT_VERIFICATION_CODE,
    ],
)
def test_a_verification_code_never_goes_to_the_inbox(kind: AlertKind) -> None:
    channels = candidate_channels(kind, has_user=True, has_email=False, has_phone=True)
    assert channels == {Channel.SMS}
    assert kind not in kinds_in(AlertCategory.SECURITY)
    assert secret_keys(kind, {"code": "123456", "ticket_number": "WD-000001"}) == []
    everything = candidate_channels(
        AlertKind.PASSWORD_CHANGED, has_user=True, has_email=True, has_phone=False
    )
    assert everything == {Channel.INBOX, Channel.EMAIL}


def test_sms_are_signed_for_each_market() -> None:
    assert sms_text("zh-CN", "您好") == "【walletdesk】您好"
    assert sms_text("en", "Hello") == "walletdesk: Hello"


def test_retry_delay_doubles_keeps_half_and_stops_at_the_cap() -> None:
    rng = random.Random(3)
    for attempts, full in [(1, 30.0), (2, 60.0), (3, 120.0), (8, 3600.0), (20, 3600.0)]:
        delay = retry_delay_seconds(attempts, base=30.0, cap=3600.0, rng=rng)
        assert full / 2 <= delay <= full


def test_a_row_dies_only_when_its_failures_reach_the_maximum() -> None:
    assert status_after_failure(7, 8) is OutboxStatus.FAILED
    assert status_after_failure(8, 8) is OutboxStatus.DEAD
