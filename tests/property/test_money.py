"""Money: exact integer minor units, strict parsing, same-currency arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from walletdesk.core.errors import ValidationError
from walletdesk.core.money import (
    MAX_MINOR_UNITS,
    SUPPORTED_CURRENCIES,
    Currency,
    CurrencyMismatch,
    InvalidAmount,
    Money,
    UnknownCurrency,
)

CNY = Currency.of("CNY")
USD = Currency.of("USD")
JPY = Currency.of("JPY")
BHD = Currency.of("BHD")

currencies = st.sampled_from(SUPPORTED_CURRENCIES).map(Currency.of)
ledger_minor = st.integers(min_value=-MAX_MINOR_UNITS, max_value=MAX_MINOR_UNITS)
# Small enough that sums of three stay inside the ledger range.
everyday_minor = st.integers(min_value=-(10**15), max_value=10**15)


@st.composite
def same_currency_pair(draw: st.DrawFn) -> tuple[Money, Money]:
    currency = draw(currencies)
    return Money(draw(everyday_minor), currency), Money(draw(everyday_minor), currency)


# -- currency table --------------------------------------------------------------


def test_supported_currencies_have_their_iso_exponents() -> None:
    expected = {
        "CNY": 2, "USD": 2, "HKD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0, "SGD": 2,
        "PHP": 2, "KES": 2, "TWD": 2, "MOP": 2, "AUD": 2, "CAD": 2, "CHF": 2, "BHD": 3,
        "KWD": 3,
    }  # fmt: skip
    assert set(SUPPORTED_CURRENCIES) == set(expected)
    assert len(SUPPORTED_CURRENCIES) == len(expected)
    for code, exponent in expected.items():
        assert Currency.of(code) == Currency(code, exponent)


@pytest.mark.parametrize("raw", ["cny", "Cny", " CNY ", "\tcny\n"])
def test_currency_of_is_case_insensitive_and_strips_spaces(raw: str) -> None:
    assert Currency.of(raw) is CNY


@pytest.mark.parametrize("raw", ["XYZ", "", "   ", "US D", "USDX", "RMB", "人民币"])
def test_currency_of_rejects_unsupported_codes(raw: str) -> None:
    with pytest.raises(UnknownCurrency) as excinfo:
        Currency.of(raw)
    assert excinfo.value.code == "currency_not_supported"
    assert isinstance(excinfo.value, ValidationError)


@pytest.mark.parametrize("raw", [840, None, b"USD"])
def test_currency_of_rejects_non_string_codes(raw: object) -> None:
    with pytest.raises(UnknownCurrency):
        Currency.of(raw)  # type: ignore[arg-type]


def test_parse_with_unknown_currency_raises_unknown_currency() -> None:
    with pytest.raises(UnknownCurrency):
        Money.parse("1.00", "XXX")


# -- construction ----------------------------------------------------------------


@pytest.mark.parametrize("minor", [1.5, 1.0, True, False, "100", Decimal(1), None])
def test_money_rejects_non_int_minor_units(minor: object) -> None:
    with pytest.raises(TypeError):
        Money(minor, CNY)  # type: ignore[arg-type]


def test_money_rejects_a_currency_given_as_a_string() -> None:
    with pytest.raises(TypeError):
        Money(100, "CNY")  # type: ignore[arg-type]


def test_zero_is_zero_minor_units() -> None:
    assert Money.zero(JPY) == Money(0, JPY)
    assert Money.zero(JPY).is_zero()


# -- parsing and formatting ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.34", CNY, 1234),
        ("-0.5", CNY, -50),
        ("1000", CNY, 100_000),
        ("0.00", CNY, 0),
        ("-0", CNY, 0),
        ("+1.5", USD, 150),
        ("  7.01\n", USD, 701),
        ("1000", JPY, 1000),
        ("1.234", BHD, 1234),
        ("0.001", BHD, 1),
        ("000000000000000000000000012.30", CNY, 1230),
        ("92233720368547758.07", CNY, MAX_MINOR_UNITS),
        ("-92233720368547758.07", CNY, -MAX_MINOR_UNITS),
        ("9223372036854775807", JPY, MAX_MINOR_UNITS),
    ],
)
def test_parse_reads_exact_minor_units(text: str, currency: Currency, minor: int) -> None:
    assert Money.parse(text, currency) == Money(minor, currency)


def test_parse_accepts_a_currency_code_string() -> None:
    assert Money.parse("12.34", " cny ") == Money(1234, CNY)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "1e3",
        "1E3",
        "1.5e-2",
        "1,000",
        "1,000.00",
        "1 000",
        "1_000",
        "1.234",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "1.",
        ".5",
        "-.5",
        "+",
        "-",
        "--1",
        "+-1",
        "1.2.3",
        "0x10",
        "abc",
        "12 CNY",
        "¥12",
        "\u0661\u0662",  # Arabic-Indic digits: int() accepts them, we must not
        "\uff11\uff12",  # fullwidth digits, also accepted by int()
        "92233720368547758.08",
        "-92233720368547758.08",
        "1" * 5000,  # longer than Python's int-from-str digit limit
    ],
)
def test_parse_rejects_malformed_or_out_of_range_amounts(text: str) -> None:
    with pytest.raises(InvalidAmount) as excinfo:
        Money.parse(text, CNY)
    assert excinfo.value.code == "invalid_amount"
    assert isinstance(excinfo.value, ValidationError)


@pytest.mark.parametrize("text", ["1.0", "1.5", "9223372036854775808", "-9223372036854775808"])
def test_parse_rejects_fractions_and_overflow_for_zero_exponent_currencies(text: str) -> None:
    with pytest.raises(InvalidAmount):
        Money.parse(text, JPY)


def test_parse_rejects_a_fourth_fraction_digit_for_three_digit_currencies() -> None:
    with pytest.raises(InvalidAmount):
        Money.parse("1.2345", BHD)


@pytest.mark.parametrize("value", [12.34, 12, 0.1, Decimal("12.34"), None, b"12.34", True])
def test_parse_rejects_non_string_amounts(value: object) -> None:
    with pytest.raises(InvalidAmount, match="decimal string"):
        Money.parse(value, CNY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(1230, CNY), "12.30"),
        (Money(-5, CNY), "-0.05"),
        (Money(0, CNY), "0.00"),
        (Money(1000, JPY), "1000"),
        (Money(-1, JPY), "-1"),
        (Money(1, BHD), "0.001"),
        (Money(-123_456, BHD), "-123.456"),
    ],
)
def test_to_decimal_string_has_exactly_exponent_fraction_digits(money: Money, text: str) -> None:
    assert money.to_decimal_string() == text


def test_str_and_as_json_show_amount_and_code() -> None:
    money = Money(1230, CNY)
    assert str(money) == "12.30 CNY"
    assert money.as_json() == {"amount": "12.30", "currency": "CNY"}


@pytest.mark.parametrize("code", SUPPORTED_CURRENCIES)
@given(minor=ledger_minor)
def test_parse_inverts_to_decimal_string_for_every_supported_currency(
    code: str, minor: int
) -> None:
    money = Money(minor, Currency.of(code))
    assert Money.parse(money.to_decimal_string(), code) == money
    assert Money.parse(money.as_json()["amount"], money.as_json()["currency"]) == money


@given(currency=currencies, minor=ledger_minor)
def test_formatted_fraction_length_equals_currency_exponent(currency: Currency, minor: int) -> None:
    text = Money(minor, currency).to_decimal_string()
    if currency.exponent == 0:
        assert "." not in text
    else:
        assert len(text.split(".")[1]) == currency.exponent


@given(currency=currencies, magnitude=st.integers(min_value=MAX_MINOR_UNITS + 1))
def test_parse_rejects_every_amount_beyond_the_ledger_range(
    currency: Currency, magnitude: int
) -> None:
    for minor in (magnitude, -magnitude):
        with pytest.raises(InvalidAmount):
            Money.parse(Money(minor, currency).to_decimal_string(), currency)


# -- arithmetic ------------------------------------------------------------------


@given(pair=same_currency_pair())
def test_addition_is_commutative(pair: tuple[Money, Money]) -> None:
    a, b = pair
    assert a + b == b + a


@given(currency=currencies, x=everyday_minor, y=everyday_minor, z=everyday_minor)
def test_addition_is_associative(currency: Currency, x: int, y: int, z: int) -> None:
    a, b, c = Money(x, currency), Money(y, currency), Money(z, currency)
    assert (a + b) + c == a + (b + c)


@given(pair=same_currency_pair())
def test_subtraction_undoes_addition(pair: tuple[Money, Money]) -> None:
    a, b = pair
    assert (a + b) - b == a
    assert a - a == Money.zero(a.currency)
    assert a - b == a + (-b)


@given(currency=currencies, minor=everyday_minor)
def test_negation_and_abs_act_on_minor_units(currency: Currency, minor: int) -> None:
    money = Money(minor, currency)
    negated = -money
    assert -negated == money
    assert (-money).minor == -minor
    assert abs(money) == Money(abs(minor), currency)
    assert not abs(money).is_negative()


@given(currency=currencies, minor=everyday_minor)
def test_sign_predicates_match_minor_units(currency: Currency, minor: int) -> None:
    money = Money(minor, currency)
    assert money.is_zero() == (minor == 0)
    assert money.is_positive() == (minor > 0)
    assert money.is_negative() == (minor < 0)


@given(currency=currencies, minor=everyday_minor, factor=st.integers(-1000, 1000))
def test_multiply_scales_minor_units(currency: Currency, minor: int, factor: int) -> None:
    assert Money(minor, currency).multiply(factor) == Money(minor * factor, currency)


@pytest.mark.parametrize("factor", [1.5, 2.0, True, Decimal(2), "2"])
def test_multiply_rejects_non_int_factors(factor: object) -> None:
    with pytest.raises(TypeError):
        Money(100, CNY).multiply(factor)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["add", "sub", "lt", "le", "gt", "ge"],
)
def test_mixing_currencies_raises_currency_mismatch(operation: object) -> None:
    assert callable(operation)
    with pytest.raises(CurrencyMismatch) as excinfo:
        operation(Money(100, CNY), Money(100, USD))
    assert excinfo.value.code == "currency_mismatch"
    assert isinstance(excinfo.value, ValidationError)


def test_amounts_in_different_currencies_are_unequal_without_raising() -> None:
    assert Money(100, CNY) != Money(100, USD)
    assert len({Money(100, CNY), Money(100, USD), Money(100, CNY)}) == 2


def test_money_does_not_add_to_plain_ints() -> None:
    with pytest.raises(TypeError):
        _ = Money(100, CNY) + 1  # type: ignore[operator]


# -- ordering --------------------------------------------------------------------


@given(pair=same_currency_pair())
def test_comparisons_agree_with_minor_units(pair: tuple[Money, Money]) -> None:
    a, b = pair
    assert (a < b) == (a.minor < b.minor)
    assert (a <= b) == (a.minor <= b.minor)
    assert (a > b) == (a.minor > b.minor)
    assert (a >= b) == (a.minor >= b.minor)
    assert (a == b) == (a.minor == b.minor)


@given(currency=currencies, minors=st.lists(everyday_minor, max_size=20))
def test_sorting_money_sorts_by_minor_units(currency: Currency, minors: list[int]) -> None:
    assert [m.minor for m in sorted(Money(x, currency) for x in minors)] == sorted(minors)


# -- allocation ------------------------------------------------------------------

ratio_lists = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(
    lambda ratios: sum(ratios) > 0
)


@given(currency=currencies, minor=ledger_minor, ratios=ratio_lists)
def test_allocate_parts_sum_to_the_original(
    currency: Currency, minor: int, ratios: list[int]
) -> None:
    money = Money(minor, currency)
    parts = money.allocate(ratios)
    assert len(parts) == len(ratios)
    assert sum(parts, Money.zero(currency)) == money
    assert all(part.currency == currency for part in parts)


@given(
    currency=currencies,
    minor=ledger_minor,
    count=st.integers(min_value=1, max_value=50),
    weight=st.integers(min_value=1, max_value=10),
)
def test_allocate_with_equal_ratios_gives_parts_within_one_minor_unit(
    currency: Currency, minor: int, count: int, weight: int
) -> None:
    parts = Money(minor, currency).allocate([weight] * count)
    minors = [part.minor for part in parts]
    assert max(minors) - min(minors) <= 1
    # The extra units go to the first shares, so parts never grow further down.
    assert minors == sorted(minors, key=abs, reverse=True)


@given(currency=currencies, minor=ledger_minor, ratios=ratio_lists)
def test_allocate_gives_zero_ratio_shares_nothing(
    currency: Currency, minor: int, ratios: list[int]
) -> None:
    parts = Money(minor, currency).allocate(ratios)
    for ratio, part in zip(ratios, parts, strict=True):
        if ratio == 0:
            assert part.is_zero()


@given(currency=currencies, minor=ledger_minor, ratios=ratio_lists)
def test_allocate_each_part_is_within_one_unit_of_its_exact_share(
    currency: Currency, minor: int, ratios: list[int]
) -> None:
    total = sum(ratios)
    parts = Money(minor, currency).allocate(ratios)
    for ratio, part in zip(ratios, parts, strict=True):
        # |part * total - minor * ratio| < total  <=>  part is within one unit of exact.
        assert abs(part.minor * total - minor * ratio) < total


@given(currency=currencies, minor=ledger_minor, ratios=ratio_lists)
def test_allocate_of_a_negative_amount_mirrors_the_positive_split(
    currency: Currency, minor: int, ratios: list[int]
) -> None:
    assume(minor != 0)
    money = Money(minor, currency)
    assert (-money).allocate(ratios) == [-part for part in money.allocate(ratios)]


@pytest.mark.parametrize(
    ("minor", "ratios", "expected"),
    [
        (5, [1, 1], [3, 2]),
        (-5, [1, 1], [-3, -2]),
        (100, [1, 1, 1], [34, 33, 33]),
        (5, [0, 1, 1], [0, 3, 2]),
        (1, [3, 7], [0, 1]),
        (6, [2, 1, 1], [3, 2, 1]),
        (1000, [70, 30], [700, 300]),
        (0, [1, 2], [0, 0]),
    ],
)
def test_allocate_hands_the_remainder_to_the_largest_remainders_first(
    minor: int, ratios: list[int], expected: list[int]
) -> None:
    assert [part.minor for part in Money(minor, CNY).allocate(ratios)] == expected


@pytest.mark.parametrize(
    ("ratios", "error"),
    [
        ([], ValueError),
        ([0, 0], ValueError),
        ([1, -1, 1], ValueError),
        ([1.5, 1], TypeError),
        ([True, 1], TypeError),
    ],
)
def test_allocate_rejects_invalid_ratios(ratios: list[object], error: type[Exception]) -> None:
    with pytest.raises(error):
        Money(100, CNY).allocate(ratios)  # type: ignore[arg-type]
