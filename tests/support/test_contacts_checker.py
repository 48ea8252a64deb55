"""The contact checker, one rule at a time (DOMAIN.md §6)."""

from __future__ import annotations

from datetime import date

import pytest

from walletdesk.support.contacts.checker import CheckResult, check
from walletdesk.support.contacts.directory import directory_from_yaml
from walletdesk.support.contacts.errors import UnknownProvider
from walletdesk.support.contacts.model import Direction, Verdict

DAY = date(2026, 1, 1)


def run(value: str, provider: str | None = None, direction: str | None = None) -> CheckResult:
    return check(value, provider, direction, today=DAY)


def codes(result: CheckResult) -> list[str]:
    return [r.code for r in result.reasons]


def advice(result: CheckResult) -> list[str]:
    return [a.code for a in result.advice]


# ------------------------------------------------------------------------------ listed channels


def test_an_official_number_is_official_with_its_tier() -> None:
    result = run("95188")
    assert result.verdict is Verdict.OFFICIAL
    assert result.provider is not None
    assert result.provider.id == "alipay"
    assert result.channel is not None
    assert result.channel.value == "95188"
    assert codes(result) == ["official_channel", "source_unverified"]
    assert "sources we could not confirm" in result.reasons[0].text.en


def test_an_official_number_on_an_incoming_call_is_only_spoofable() -> None:
    result = run("95188", direction="incoming")
    assert result.verdict is Verdict.OFFICIAL_BUT_SPOOFABLE
    assert "caller_id_spoofable" in codes(result)
    assert advice(result)[:2] == ["advice_call_back", "advice_never_share_codes"]
    assert "95188" in result.advice[0].text.en


def test_outgoing_to_an_official_number_is_official() -> None:
    assert run("95188", direction=Direction.OUTGOING).verdict is Verdict.OFFICIAL


def test_no_verdict_is_ever_safe() -> None:
    assert {v.value for v in Verdict} == {
        "official",
        "official_but_spoofable",
        "known_fake",
        "suspicious",
        "unknown",
    }


def test_a_known_fake_number_is_known_fake() -> None:
    result = run("95055")
    assert result.verdict is Verdict.KNOWN_FAKE
    assert result.provider is not None
    assert result.provider.id == "alipay"
    assert advice(result)[0] == "advice_do_not_engage"
    assert "advice_anti_fraud" in advice(result)


@pytest.mark.parametrize("value", ["unioay.com", "http://www.95516aa.com/kefu"])
def test_known_fake_domains_and_their_subdomains_are_known_fake(value: str) -> None:
    result = run(value)
    assert result.verdict is Verdict.KNOWN_FAKE
    assert result.provider is not None
    assert result.provider.id == "unionpay"


def test_an_official_domain_and_its_subdomains_are_official() -> None:
    assert run("https://www.paypal.com/signin").verdict is Verdict.OFFICIAL
    assert run("render.alipay.com").verdict is Verdict.OFFICIAL


def test_a_number_from_another_provider_claimed_as_this_one_is_suspicious() -> None:
    result = run("95516", "alipay")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["belongs_to_other_provider"]
    assert result.provider is not None
    assert result.provider.id == "alipay"


def test_a_number_the_provider_never_calls_from_is_suspicious_on_an_incoming_call() -> None:
    result = run("100", direction="incoming")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result)[0] == "not_a_calling_number"


# ------------------------------------------------------------------------------ phone rules


@pytest.mark.parametrize(
    ("value", "provider"),
    [("+86 95188", "alipay"), ("0086 96110", "anti_fraud_cn"), ("0096110", "anti_fraud_cn")],
)
def test_an_international_prefix_on_a_domestic_service_number_is_suspicious(
    value: str, provider: str
) -> None:
    result = run(value, direction="incoming")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["international_prefix"]
    assert result.provider is not None
    assert result.provider.id == provider


def test_an_area_code_before_96110_is_how_genuine_calls_look() -> None:
    result = run("010-96110", direction="incoming")
    assert result.verdict is Verdict.OFFICIAL_BUT_SPOOFABLE
    assert "area_code_prefix" in codes(result)


def test_an_area_code_before_a_number_that_never_shows_one_is_not_matched() -> None:
    result = run("021-95188")
    assert result.verdict is Verdict.UNKNOWN
    assert codes(result) == ["area_code_unexpected", "not_listed"]


@pytest.mark.parametrize("provider", ["revolut", "Google Pay", "apple_pay", "venmo"])
def test_any_hotline_for_a_provider_without_phone_support_is_suspicious(provider: str) -> None:
    result = run("+44 20 7946 0000", provider)
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["no_phone_support"]


def test_a_mobile_number_claimed_as_alipays_hotline_is_the_wrong_shape() -> None:
    result = run("13800138000", "alipay")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["wrong_shape", "mobile_number"]
    assert "mobile number" in result.reasons[0].text.en
    assert "手机号码" in result.reasons[0].text.zh_cn


def test_a_400_number_claimed_for_a_short_code_provider_is_the_wrong_shape() -> None:
    assert codes(run("400-123-4567", "支付宝")) == ["wrong_shape"]


@pytest.mark.parametrize("value", ["951880", "95188 1", "951889", "195188"])
def test_the_official_short_code_with_a_digit_added_is_suspicious_as_the_providers(
    value: str,
) -> None:
    result = run(value, "alipay")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["lookalike_number"]
    assert "95188" in result.reasons[0].text.en
    assert "95188" in result.reasons[0].text.zh_cn


def test_the_short_code_with_a_digit_added_and_no_claim_is_unknown() -> None:
    assert run("951880").verdict is Verdict.UNKNOWN


def test_an_unlisted_number_of_the_right_shape_is_unknown_not_safe() -> None:
    result = run("400-111-2222", "wechat_pay")
    assert result.verdict is Verdict.UNKNOWN
    assert codes(result) == ["not_listed_for_provider"]
    assert "95017" in result.reasons[0].text.en


def test_any_other_number_for_cash_app_is_suspicious() -> None:
    result = run("1-855-555-0100", "cash app")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["only_listed_numbers"]


def test_a_call_from_any_other_number_for_a_provider_that_calls_from_one_is_suspicious() -> None:
    result = run("0711 223 344", "mpesa", "incoming")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["calls_only_from_listed"]
    assert "0722000000" in result.reasons[0].text.en


def test_an_unlisted_number_without_a_claim_is_unknown() -> None:
    result = run("10086")
    assert result.verdict is Verdict.UNKNOWN
    assert codes(result) == ["not_listed"]
    assert "advice_look_it_up" in advice(result)


# ------------------------------------------------------------------------------ domain rules


@pytest.mark.parametrize(
    ("value", "provider"),
    [
        ("paypa1.com", "paypal"),
        ("a1ipay.com", "alipay"),
        ("xn--80ak6aa92e.com", "apple_pay"),
        ("\u0430\u0440\u0440\u04cf\u0435.com", "apple_pay"),
    ],
)
def test_confusable_skeletons_of_official_domains_are_suspicious(value: str, provider: str) -> None:
    result = run(value)
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["confusable_domain"]
    assert result.provider is not None
    assert result.provider.id == provider


@pytest.mark.parametrize(
    ("value", "edits"), [("alipya.com", "1"), ("paypall.com", "1"), ("unlonpays.com", "2")]
)
def test_one_or_two_edits_from_an_official_domain_are_suspicious(value: str, edits: str) -> None:
    result = run(value)
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["lookalike_domain"]
    assert f"by {edits} character" in result.reasons[0].text.en


def test_short_names_get_no_edit_allowance() -> None:
    assert (
        run("wiso.com").verdict is Verdict.UNKNOWN
    )  # one edit from wise.com, and from half the web


@pytest.mark.parametrize(
    ("value", "provider"),
    [
        ("paypal-support.com", "paypal"),
        ("alipay-kefu.com", "alipay"),
        ("apple-id-help.com", "apple_pay"),
        ("icloud-verify.com", "apple_pay"),
        ("walletdesk-kefu.com", "walletdesk"),
    ],
)
def test_brand_plus_a_word_is_suspicious(value: str, provider: str) -> None:
    result = run(value)
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["brand_plus_word"]
    assert result.provider is not None
    assert result.provider.id == provider


def test_an_ordinary_word_containing_a_brand_word_is_not_flagged() -> None:
    assert run("pineapple.com").verdict is Verdict.UNKNOWN
    assert run("likewise.com").verdict is Verdict.UNKNOWN


def test_the_official_name_in_front_of_a_foreign_domain_is_suspicious() -> None:
    result = run("alipay.com.secure-login.xyz")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["brand_in_subdomain"]
    assert "secure-login.xyz" in result.reasons[0].text.en


def test_the_official_name_under_another_suffix_is_suspicious() -> None:
    result = run("paypal.co")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["other_suffix"]


def test_a_link_hiding_its_destination_behind_userinfo_is_suspicious() -> None:
    result = run("http://paypal.com@evil.example.xyz/login")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["userinfo_decoy"]
    assert result.provider is not None
    assert result.provider.id == "paypal"
    assert "evil.example.xyz" in result.reasons[0].text.en


def test_a_link_to_a_bare_ip_address_is_suspicious() -> None:
    assert codes(run("http://192.168.10.24/alipay")) == ["ip_address"]


@pytest.mark.parametrize(
    "url",
    [
        "http://3232235777/alipay/login",
        "http://0xC0A80101/alipay/login",
        "http://0300.0250.01.01/login",
        "http://192.168.257/login",
    ],
)
def test_a_link_to_an_ip_address_in_shorthand_is_suspicious(url: str) -> None:
    result = run(url)
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["ip_address"]
    assert result.normalised == "192.168.1.1"


@pytest.mark.parametrize(
    ("url", "verdict", "code"),
    [
        ("https://alipay.com%2eevil.cn/login", Verdict.SUSPICIOUS, "brand_in_subdomain"),
        ("https://%61lipay.com.evil.cn/login", Verdict.SUSPICIOUS, "brand_in_subdomain"),
        ("https://unio%61y.com/", Verdict.KNOWN_FAKE, "known_fake"),
        ("https://alipay.com%40evil.cn", Verdict.SUSPICIOUS, "userinfo_decoy"),
        ("https://alipay.com\t.evil.cn/login", Verdict.SUSPICIOUS, "brand_in_subdomain"),
    ],
)
def test_percent_encoded_and_tab_split_hosts_are_judged_where_they_lead(
    url: str, verdict: Verdict, code: str
) -> None:
    result = run(url)
    assert result.verdict is verdict
    assert codes(result) == [code]


def test_a_link_whose_host_cannot_be_read_is_suspicious_not_unknown() -> None:
    result = run("https://%zz.example/login")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["unreadable_link"]
    assert result.reasons[0].text.zh_cn


@pytest.mark.parametrize(
    ("value", "provider"),
    [("alipay.com@evil.cn", "alipay"), ("paypal.com@secure-login.xyz", "paypal")],
)
def test_a_providers_domain_before_at_without_a_scheme_is_a_decoy(
    value: str, provider: str
) -> None:
    result = run(value)
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["userinfo_decoy"]
    assert result.provider is not None
    assert result.provider.id == provider
    assert value.split("@")[1] in result.reasons[0].text.en


def test_an_ordinary_mailbox_with_dots_is_no_decoy() -> None:
    official = run("service@mail.alipay.com")
    assert official.verdict is Verdict.OFFICIAL
    assert codes(official) == ["official_channel"]
    assert run("first.last@example.com").verdict is Verdict.UNKNOWN
    assert run("support.team@gmail.com").verdict is Verdict.UNKNOWN


@pytest.mark.parametrize("value", ["   ", "\t", "\u3000", ""])
def test_a_blank_value_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="blank"):
        run(value)


def test_an_unlisted_host_under_an_official_registrable_domain_is_unknown() -> None:
    result = run("mail.qq.com")
    assert result.verdict is Verdict.UNKNOWN
    assert codes(result) == ["same_owner_unlisted"]


def test_email_addresses_are_checked_by_their_domain() -> None:
    assert run("noreply@venmo.com").verdict is Verdict.OFFICIAL
    assert run("help@venmo-support.net").verdict is Verdict.SUSPICIOUS


# ------------------------------------------------------------------------------ social, paths


def test_official_handles_match_however_written() -> None:
    for typed in ("@Venmo", "venmo", "https://twitter.com/venmo", "@VenmoSupport"):
        assert run(typed).verdict is Verdict.OFFICIAL, typed


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("@venm0", "lookalike_account"),
        ("@VenmoHelp", "brand_plus_word"),
        ("@Alipay_Kefu", "brand_plus_word"),
    ],
)
def test_look_alike_handles_are_suspicious(value: str, code: str) -> None:
    result = run(value)
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == [code]


def test_in_app_paths_in_both_languages_are_official() -> None:
    assert run("Me > Help & feedback").verdict is Verdict.OFFICIAL
    assert run("我的 → 帮助与反馈").verdict is Verdict.OFFICIAL
    assert run("我的 → 客服中心").provider.id == "alipay"  # type: ignore[union-attr]


def test_text_that_is_no_contact_is_unknown() -> None:
    result = run("hello there")
    assert result.verdict is Verdict.UNKNOWN
    assert codes(result) == ["not_recognised"]


# ------------------------------------------------------------------------------ dates and claims


def test_anything_for_a_discontinued_provider_after_its_end_is_suspicious() -> None:
    after = check("support@line-pay.jp", "line pay", today=date(2025, 5, 1))
    assert after.verdict is Verdict.SUSPICIOUS
    assert codes(after)[0] == "discontinued_provider"
    before = check("support@line-pay.jp", "line pay", today=date(2025, 4, 30))
    assert before.verdict is Verdict.UNKNOWN


def test_a_discontinued_brand_in_a_domain_counts_as_a_claim() -> None:
    result = run("line-pay-refund.jp")
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result)[0] == "discontinued_provider"


def test_an_unknown_claimed_provider_is_an_error() -> None:
    with pytest.raises(UnknownProvider):
        run("95188", "Bank of Nowhere")


def test_an_unknown_direction_is_an_error() -> None:
    with pytest.raises(ValueError, match="sideways"):
        run("95188", direction="sideways")


RETIRED = """
version: 1
providers:
  - id: demo
    kind: wallet
    names: {en: Demo, zh-CN: 演示}
    channels:
      - {kind: short_code, value: "95999", region: CN, status: official, source_tier: official, source: t, last_verified: 2026-01-01}
      - {kind: short_code, value: "95998", region: CN, status: deprecated, source_tier: official, source: t, last_verified: 2026-01-01}
      - {kind: web_domain, value: old-demo.com, status: discontinued, discontinued_on: 2025-06-30, source_tier: official, source: t, last_verified: 2026-01-01}
"""


def test_a_deprecated_channel_is_suspicious_and_points_to_the_current_one() -> None:
    directory = directory_from_yaml(RETIRED)
    result = check("95998", directory=directory, today=DAY)
    assert result.verdict is Verdict.SUSPICIOUS
    assert codes(result) == ["deprecated_channel"]
    assert "95999" in result.reasons[0].text.en


def test_a_discontinued_channel_is_official_until_its_end_date_only() -> None:
    directory = directory_from_yaml(RETIRED)
    assert (
        check("old-demo.com", directory=directory, today=date(2025, 6, 30)).verdict
        is Verdict.OFFICIAL
    )
    after = check("old-demo.com", directory=directory, today=date(2025, 7, 1))
    assert after.verdict is Verdict.SUSPICIOUS
    assert codes(after) == ["discontinued_channel"]


# ------------------------------------------------------------------------------ words


def test_every_reason_and_piece_of_advice_has_both_languages() -> None:
    for value in ("95188", "+86 95188", "paypa1.com", "10086", "95055", "@venm0"):
        result = run(value, direction="incoming")
        for n in (*result.reasons, *result.advice):
            for text in (n.text.en, n.text.zh_cn):
                assert text, n.code
                assert "{" not in text, n.code


def test_the_anti_fraud_line_follows_the_users_country() -> None:
    china = check("95055", today=DAY, country="CN")
    line = next(a for a in china.advice if a.code == "advice_anti_fraud")
    assert "96110" in line.text.zh_cn
    assert "159" not in line.text.en
    anywhere = check("95055", today=DAY)
    line = next(a for a in anywhere.advice if a.code == "advice_anti_fraud")
    assert all(number in line.text.en for number in ("96110", "159", "1799", "18222"))


def test_the_providers_own_policies_come_with_the_advice() -> None:
    result = run("13800138000", "wechat pay")
    assert "policy.million_protection_is_free" in advice(result)
