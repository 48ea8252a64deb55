"""The shipped directory: validated at load, faithful to DOMAIN.md §6, and looked up by name."""

from __future__ import annotations

from datetime import date

import pytest

from walletdesk.support.contacts.directory import (
    ContactDirectory,
    default_directory,
    directory_from_yaml,
    get_providers,
)
from walletdesk.support.contacts.errors import DirectoryInvalid, UnknownProvider
from walletdesk.support.contacts.model import (
    ChannelKind,
    ChannelStatus,
    ProviderKind,
    ProviderStatus,
    SourceTier,
)

VALID = """
version: 1
providers:
  - id: demo
    kind: wallet
    names: {en: Demo, zh-CN: 演示}
    channels:
      - kind: short_code
        value: "95999"
        region: CN
        status: official
        source_tier: secondary
        source: test
        last_verified: 2026-01-01
"""


@pytest.fixture
def shipped() -> ContactDirectory:
    return default_directory()


def _channels(
    directory: ContactDirectory, provider: str, kind: ChannelKind
) -> dict[str, tuple[ChannelStatus, SourceTier]]:
    p = directory.provider(provider)
    return {c.value: (c.status, c.source_tier) for c in p.channels if c.kind is kind}


def test_walletdesk_comes_first_with_its_fictional_number_marked(shipped: ContactDirectory) -> None:
    house = shipped.providers[0]
    assert house.id == "walletdesk"
    phone = house.official_channels(ChannelKind.PHONE)[0]
    assert phone.value == "400-888-9999"
    assert "FICTIONAL" in phone.source
    assert {c.value for c in house.official_channels(ChannelKind.WEB_DOMAIN)} == {
        "walletdesk.dev",
        "help.walletdesk.dev",
    }
    assert {c.value for c in house.official_channels(ChannelKind.SOCIAL_ACCOUNT)} == {"@walletdesk"}
    assert {c.value for c in house.official_channels(ChannelKind.IN_APP_PATH)} == {
        "Me → Help & feedback",
        "我的 → 帮助与反馈",
    }


def test_every_channel_carries_a_tier_source_and_date(shipped: ContactDirectory) -> None:
    for provider in shipped.providers:
        for channel in provider.channels:
            assert channel.source_tier in SourceTier
            assert channel.source
            assert isinstance(channel.last_verified, date)


def test_tiers_are_those_domain_md_gives(shipped: ContactDirectory) -> None:
    assert _channels(shipped, "alipay", ChannelKind.SHORT_CODE) == {
        "95188": (ChannelStatus.OFFICIAL, SourceTier.UNVERIFIED),
        "95055": (ChannelStatus.KNOWN_FAKE, SourceTier.SECONDARY),
    }
    assert _channels(shipped, "wechat_pay", ChannelKind.SHORT_CODE) == {
        "95017": (ChannelStatus.OFFICIAL, SourceTier.UNVERIFIED)
    }
    assert _channels(shipped, "wechat_pay", ChannelKind.PHONE) == {
        "400-670-0700": (ChannelStatus.OFFICIAL, SourceTier.SECONDARY)
    }
    assert _channels(shipped, "unionpay", ChannelKind.SHORT_CODE) == {
        "95516": (ChannelStatus.OFFICIAL, SourceTier.SECONDARY)
    }
    assert _channels(shipped, "paypal", ChannelKind.PHONE) == {
        "1-888-221-1161": (ChannelStatus.OFFICIAL, SourceTier.UNVERIFIED)
    }
    assert _channels(shipped, "cash_app", ChannelKind.PHONE) == {
        "855-351-2274": (ChannelStatus.OFFICIAL, SourceTier.OFFICIAL)
    }
    assert _channels(shipped, "mpesa", ChannelKind.PHONE) == {
        "0722000000": (ChannelStatus.OFFICIAL, SourceTier.OFFICIAL)
    }
    assert _channels(shipped, "gcash", ChannelKind.SHORT_CODE) == {
        "2882": (ChannelStatus.OFFICIAL, SourceTier.SECONDARY)
    }
    assert _channels(shipped, "kakao_pay", ChannelKind.PHONE) == {
        "1644-7405": (ChannelStatus.OFFICIAL, SourceTier.SECONDARY)
    }


def test_known_fakes_are_listed_as_fakes(shipped: ContactDirectory) -> None:
    assert (
        _channels(shipped, "unionpay", ChannelKind.WEB_DOMAIN)["unioay.com"][0]
        is ChannelStatus.KNOWN_FAKE
    )
    assert (
        _channels(shipped, "unionpay", ChannelKind.WEB_DOMAIN)["95516aa.com"][0]
        is ChannelStatus.KNOWN_FAKE
    )


@pytest.mark.parametrize("provider", ["revolut", "google_pay", "apple_pay", "venmo"])
def test_providers_without_phone_support_list_no_phone(
    shipped: ContactDirectory, provider: str
) -> None:
    p = shipped.provider(provider)
    assert not p.phone_support
    assert not [c for c in p.channels if c.kind in (ChannelKind.PHONE, ChannelKind.SHORT_CODE)]


def test_line_pay_japan_is_discontinued_on_its_date(shipped: ContactDirectory) -> None:
    line_pay = shipped.provider("line_pay_japan")
    assert line_pay.status is ProviderStatus.DISCONTINUED
    assert line_pay.discontinued_on == date(2025, 4, 30)
    assert not line_pay.is_closed_on(date(2025, 4, 30))
    assert line_pay.is_closed_on(date(2025, 5, 1))


def test_anti_fraud_lines_cover_the_four_countries(shipped: ContactDirectory) -> None:
    lines = {(p.country, c.value) for p, c in shipped.anti_fraud_lines(None)}
    assert lines == {
        ("CN", "96110"),
        ("CN", "12381"),
        ("GB", "159"),
        ("SG", "1799"),
        ("HK", "18222"),
    }
    assert {c.value for _, c in shipped.anti_fraud_lines("gb")} == {"159"}
    assert all(p.kind is ProviderKind.ANTI_FRAUD for p, _ in shipped.anti_fraud_lines("CN"))


def test_every_provider_has_policies_in_both_languages_where_it_has_any(
    shipped: ContactDirectory,
) -> None:
    for provider in shipped.providers:
        for policy in provider.policies:
            assert policy.text.en
            assert policy.text.zh_cn


@pytest.mark.parametrize(
    "name",
    ["alipay", "Alipay", "支付宝", "ZHIFUBAO", "wechat pay", "微信支付", "Cash App", "m-pesa"],
)
def test_providers_are_found_by_id_name_or_alias(shipped: ContactDirectory, name: str) -> None:
    assert shipped.find_provider(name) is not None


def test_an_unknown_provider_is_an_error(shipped: ContactDirectory) -> None:
    with pytest.raises(UnknownProvider):
        shipped.provider("Bank of Nowhere")


def test_providers_page_with_a_cursor(shipped: ContactDirectory) -> None:
    first, cursor = get_providers(shipped, limit=3)
    assert [p.id for p in first] == [p.id for p in shipped.providers[:3]]
    assert cursor == first[-1].id
    second, _ = get_providers(shipped, limit=3, cursor=cursor)
    assert [p.id for p in second] == [p.id for p in shipped.providers[3:6]]
    everything, last = get_providers(shipped, limit=100)
    assert len(everything) == len(shipped.providers)
    assert last is None


def test_a_small_valid_directory_loads() -> None:
    directory = directory_from_yaml(VALID)
    assert [p.id for p in directory.providers] == ["demo"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ('value: "95999"', "value: 95999"),  # numbers must be strings, or leading zeros vanish
        ("source_tier: secondary", "source_tier: maybe"),
        ("status: official", "status: discontinued"),  # without discontinued_on
        ("region: CN", "region: china"),
        ("        last_verified: 2026-01-01\n", ""),
    ],
)
def test_a_directory_with_a_bad_entry_does_not_load(change: str, why: str) -> None:
    with pytest.raises(DirectoryInvalid):
        directory_from_yaml(VALID.replace(change, why))


def test_a_phone_channel_that_cannot_parse_does_not_load() -> None:
    with pytest.raises(DirectoryInvalid, match="not a short_code"):
        directory_from_yaml(VALID.replace('value: "95999"', 'value: "95999-12345-678"'))


def test_a_value_both_official_and_fake_does_not_load() -> None:
    twice = VALID + VALID.split("channels:\n", 1)[1].replace(
        "status: official", "status: known_fake"
    )
    with pytest.raises(DirectoryInvalid, match="both"):
        directory_from_yaml(twice)


def test_a_provider_without_phone_support_cannot_list_a_phone() -> None:
    text = VALID.replace("    channels:", "    phone_support: false\n    channels:")
    with pytest.raises(DirectoryInvalid, match="no phone support"):
        directory_from_yaml(text)
