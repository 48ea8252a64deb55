"""Normalising what people paste: phone numbers, hosts, skeletons, handles, in-app paths."""

from __future__ import annotations

import pytest

from walletdesk.support.contacts.normalise import (
    ContactKind,
    PhoneShape,
    SocialHandle,
    normalise_host,
    normalise_in_app_path,
    normalise_phone,
    normalise_social,
    parse_contact,
    skeleton,
    to_ascii,
    to_unicode,
)

CYRILLIC_APPLE = "\u0430\u0440\u0440\u04cf\u0435"  # Cyrillic a, er, er, palochka, ie


# ------------------------------------------------------------------------------ phones


def test_full_width_digits_read_as_ascii() -> None:
    phone = normalise_phone("９５１８８")
    assert phone is not None
    assert phone.digits == "95188"
    assert phone.shape is PhoneShape.SHORT_CODE


@pytest.mark.parametrize("typed", ["400-670-0700", "400 670 0700", "(400) 670-0700", "4006700700"])
def test_separators_do_not_change_a_number(typed: str) -> None:
    phone = normalise_phone(typed, "CN")
    assert phone is not None
    assert phone.e164 == "+864006700700"
    assert phone.shape is PhoneShape.SHARED_COST


@pytest.mark.parametrize("typed", ["+86 138 0013 8000", "0086 13800138000", "008613800138000"])
def test_plus_and_00_prefixes_give_the_same_international_number(typed: str) -> None:
    phone = normalise_phone(typed)
    assert phone is not None
    assert phone.e164 == "+8613800138000"
    assert phone.region == "CN"
    assert phone.shape is PhoneShape.MOBILE
    assert phone.international_prefix


def test_a_cn_800_number_is_toll_free() -> None:
    phone = normalise_phone("800-670-0700", "CN")
    assert phone is not None
    assert phone.shape is PhoneShape.TOLL_FREE


@pytest.mark.parametrize("code", ["95188", "95017", "95516", "96110", "12381"])
def test_cn_service_codes_are_short_codes_without_a_prefix(code: str) -> None:
    phone = normalise_phone(code)
    assert phone is not None
    assert phone.is_short_code
    assert not phone.international_prefix
    assert phone.area_code is None


@pytest.mark.parametrize(
    ("typed", "digits"),
    [("+86 95188", "95188"), ("0086 96110", "96110"), ("+8695516", "95516")],
)
def test_a_country_code_in_front_of_a_cn_service_code_is_kept_as_a_prefix(
    typed: str, digits: str
) -> None:
    phone = normalise_phone(typed)
    assert phone is not None
    assert phone.digits == digits
    assert phone.region == "CN"
    assert phone.is_short_code
    assert phone.international_prefix


def test_00_then_96110_is_a_prefixed_short_code_not_a_lebanese_number() -> None:
    phone = normalise_phone("0096110")
    assert phone is not None
    assert (phone.digits, phone.region, phone.international_prefix) == ("96110", "CN", True)


@pytest.mark.parametrize(("typed", "area"), [("010-96110", "010"), ("0755 96110", "0755")])
def test_an_area_code_before_a_service_code_is_recognised(typed: str, area: str) -> None:
    phone = normalise_phone(typed)
    assert phone is not None
    assert (phone.digits, phone.area_code, phone.region) == ("96110", area, "CN")


def test_a_national_number_without_a_region_keeps_its_shape_open() -> None:
    phone = normalise_phone("13800138000")
    assert phone is not None
    assert phone.shape is None
    assert phone.e164 is None


@pytest.mark.parametrize("text", ["", "12", "call me", "95188a", "1" * 20])
def test_what_is_not_a_phone_number_is_refused(text: str) -> None:
    assert normalise_phone(text) is None


def test_tel_links_are_phone_numbers() -> None:
    phone = normalise_phone("tel:+1-888-221-1161")
    assert phone is not None
    assert phone.e164 == "+18882211161"


# ------------------------------------------------------------------------------ hosts


def test_scheme_path_port_and_case_are_stripped() -> None:
    host = normalise_host("HTTPS://WWW.PayPal.com:443/signin?next=/x#top")
    assert host is not None
    assert host.ascii == "www.paypal.com"
    assert host.registrable == "paypal.com"
    assert host.suffix == "com"
    assert host.label == "paypal"
    assert host.subdomain == "www"
    assert host.userinfo is None


def test_userinfo_is_stripped_and_remembered_as_a_decoy() -> None:
    host = normalise_host("http://paypal.com@evil.example.xyz/login")
    assert host is not None
    assert host.ascii == "evil.example.xyz"
    assert host.registrable == "example.xyz"
    assert host.userinfo == "paypal.com"


def test_registrable_domain_comes_from_the_public_suffix_list() -> None:
    host = normalise_host("alipay.com.secure-login.xyz")
    assert host is not None
    assert host.registrable == "secure-login.xyz"
    assert host.subdomain == "alipay.com"
    kenya = normalise_host("www.safaricom.co.ke")
    assert kenya is not None
    assert kenya.registrable == "safaricom.co.ke"
    assert kenya.suffix == "co.ke"


def test_unknown_suffixes_have_no_registrable_domain() -> None:
    host = normalise_host("paypal.localdomain")
    assert host is not None
    assert host.registrable is None


def test_unicode_hosts_become_punycode_and_back() -> None:
    host = normalise_host(f"{CYRILLIC_APPLE}.com")
    assert host is not None
    assert host.ascii == "xn--80ak6aa92e.com"
    assert host.unicode == f"{CYRILLIC_APPLE}.com"
    assert host.unicode_label == CYRILLIC_APPLE
    assert to_ascii(f"{CYRILLIC_APPLE}.com") == "xn--80ak6aa92e.com"
    assert to_unicode("xn--80ak6aa92e.com") == f"{CYRILLIC_APPLE}.com"


def test_ideographic_full_stops_separate_labels() -> None:
    host = normalise_host("alipay。com")
    assert host is not None
    assert host.ascii == "alipay.com"


def test_ip_addresses_are_hosts_without_a_domain() -> None:
    host = normalise_host("http://192.168.10.24/alipay")
    assert host is not None
    assert host.is_ip
    assert host.registrable is None


@pytest.mark.parametrize(
    "url",
    [
        "http://3232235777/",  # one 32-bit number
        "http://0xC0A80101/",  # the same in hex
        "http://0300.0250.01.01/",  # octal parts
        "http://192.168.257/",  # three parts: the last fills two bytes
        "http://0xc0.168.1.1/",  # parts of mixed bases
    ],
)
def test_ipv4_in_any_form_a_browser_accepts_is_an_ip_address(url: str) -> None:
    host = normalise_host(url)
    assert host is not None
    assert host.is_ip
    assert host.ascii == "192.168.1.1"


@pytest.mark.parametrize(
    "url", ["http://192.168.256.1/", "http://1.2.3.4.5/", "http://08.1.1.1/", "http://foo.123/"]
)
def test_a_host_that_ends_in_a_number_but_is_no_ipv4_address_is_refused(url: str) -> None:
    assert normalise_host(url) is None


@pytest.mark.parametrize(
    ("url", "ascii_host", "decoy"),
    [
        ("https://alipay.com%2eevil.cn/login", "alipay.com.evil.cn", None),
        ("https://%61lipay.com.evil.cn/login", "alipay.com.evil.cn", None),
        ("https://unio%61y.com/", "unioay.com", None),
        ("https://alipay.com%40evil.cn", "evil.cn", "alipay.com"),
        ("https://alipay.com\t.evil.cn/login", "alipay.com.evil.cn", None),
        ("https://ali\npay.com/", "alipay.com", None),
    ],
)
def test_hosts_are_read_as_a_browser_reads_them(
    url: str, ascii_host: str, decoy: str | None
) -> None:
    host = normalise_host(url)
    assert host is not None
    assert host.ascii == ascii_host
    assert host.userinfo == decoy


@pytest.mark.parametrize("text", ["", "http://", "bad_label.com", "-dash.com", "https://%zz.com"])
def test_malformed_hosts_are_refused(text: str) -> None:
    assert normalise_host(text) is None


def test_a_link_whose_host_cannot_be_read_is_still_a_link() -> None:
    contact = parse_contact("https://%zz.com/login")
    assert contact.kind is ContactKind.WEB
    assert contact.host is None
    assert parse_contact("http://").kind is ContactKind.TEXT  # nothing where the host goes


def test_an_email_address_keeps_its_mailbox() -> None:
    contact = parse_contact("alipay.com@evil.cn")
    assert contact.kind is ContactKind.EMAIL
    assert contact.host is not None
    assert contact.host.ascii == "evil.cn"
    assert contact.mailbox == "alipay.com"


# ------------------------------------------------------------------------------ skeletons


def test_cyrillic_look_alikes_have_the_latin_skeleton() -> None:
    assert skeleton(CYRILLIC_APPLE) == skeleton("apple")


@pytest.mark.parametrize(
    ("fake", "real"), [("paypa1", "paypal"), ("a1ipay", "alipay"), ("g00gle", "google")]
)
def test_digits_for_letters_share_a_skeleton(fake: str, real: str) -> None:
    assert skeleton(fake) == skeleton(real)


def test_rn_reads_as_m() -> None:
    assert skeleton("rnpesa") == skeleton("mpesa")


def test_different_names_keep_different_skeletons() -> None:
    assert skeleton("venmo") != skeleton("revolut")


# ------------------------------------------------------------------------------ handles and paths


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("@Venmo", SocialHandle("venmo")),
        ("venmo", SocialHandle("venmo")),
        ("https://twitter.com/venmo", SocialHandle("venmo", "x")),
        ("https://x.com/@VenmoSupport?lang=en", SocialHandle("venmosupport", "x")),
        ("https://www.instagram.com/venmo/", SocialHandle("venmo", "instagram")),
    ],
)
def test_handles_are_the_same_however_written(typed: str, expected: SocialHandle) -> None:
    assert normalise_social(typed) == expected


def test_a_platform_page_that_is_not_an_account_is_not_a_handle() -> None:
    assert normalise_social("https://twitter.com/home") is None
    assert normalise_social("https://example.com/venmo") is None


@pytest.mark.parametrize(
    "typed", ["Me → Help & feedback", "me > help &  feedback", "Me -> Help & feedback"]
)
def test_in_app_paths_compare_regardless_of_separator_and_case(typed: str) -> None:
    assert normalise_in_app_path(typed) == "me → help & feedback"


# ------------------------------------------------------------------------------ classification


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("95188", ContactKind.PHONE),
        ("+86 400-670-0700", ContactKind.PHONE),
        ("paypal.com", ContactKind.WEB),
        ("https://www.alipay.com/x", ContactKind.WEB),
        ("service@paypal.com", ContactKind.EMAIL),
        ("mailto:service@paypal.com", ContactKind.EMAIL),
        ("@Venmo", ContactKind.SOCIAL),
        ("https://twitter.com/venmo", ContactKind.SOCIAL),
        ("我的 → 客服中心", ContactKind.IN_APP_PATH),
        ("hello there", ContactKind.TEXT),
    ],
)
def test_values_are_classified_by_what_they_are(typed: str, kind: ContactKind) -> None:
    assert parse_contact(typed).kind is kind
