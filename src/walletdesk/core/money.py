"""Money as integer minor units of an ISO 4217 currency.

Every amount in walletdesk is a :class:`Money`: a whole number of the currency's
minor units (cents for USD, fen for CNY, yen for JPY, fils for BHD) plus the
:class:`Currency` it counts. There is no float anywhere in this module; decimal
strings are converted with integer arithmetic only, so "0.10" is exactly 10 fen.

Contracts worth knowing:

* Arithmetic and ordering only work within one currency; mixing currencies
  raises :class:`CurrencyMismatch` instead of silently converting.
* :meth:`Money.parse` never rounds: "1.234" CNY is an error, not 1.23.
* Parsed amounts fit the ledger's signed 64-bit column: ``abs(minor) <= 2**63 - 1``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from walletdesk.core.errors import ValidationError

__all__ = [
    "MAX_MINOR_UNITS",
    "SUPPORTED_CURRENCIES",
    "Currency",
    "CurrencyMismatch",
    "InvalidAmount",
    "Money",
    "UnknownCurrency",
]

#: Largest absolute amount, in minor units, that the ledger's BIGINT column can hold.
MAX_MINOR_UNITS: Final = 2**63 - 1

# ASCII digits only: ``\d`` would also accept e.g. Arabic-Indic digits, which int()
# happily converts, letting "١٢" through as 12.
_AMOUNT_RE: Final = re.compile(r"(?P<sign>[+-]?)(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]+))?")

_CODE_RE: Final = re.compile(r"[A-Z]{3}")

# 2**63 - 1 has 19 digits; checking the digit count first keeps int() away from
# pathologically long strings (and Python's int-from-str digit limit).
_MAX_WHOLE_DIGITS: Final = len(str(MAX_MINOR_UNITS))

# Echo at most this much of a rejected input back in error messages.
_ECHO_LIMIT: Final = 40


class InvalidAmount(ValidationError):
    """An amount string (or value) is not an exact, in-range decimal for its currency."""

    code = "invalid_amount"


class UnknownCurrency(ValidationError):
    """The currency code is not one walletdesk supports."""

    code = "currency_not_supported"


class CurrencyMismatch(ValidationError):
    """Two amounts of different currencies were combined or compared."""

    code = "currency_mismatch"


def _echo(value: object) -> str:
    """Render a rejected input for an error message, truncated so logs stay small."""
    text = repr(value)
    if len(text) > _ECHO_LIMIT:
        return text[: _ECHO_LIMIT - 3] + "..."
    return text


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency: alpha-3 ``code`` and ``exponent`` (number of minor-unit digits).

    Obtain instances with :meth:`Currency.of`, which only returns supported currencies;
    the constructor checks shape, not membership of the supported table.
    """

    code: str
    exponent: int

    def __post_init__(self) -> None:
        if not (isinstance(self.code, str) and _CODE_RE.fullmatch(self.code)):
            raise ValueError(f"currency code must be three ASCII capitals, got {self.code!r}")
        if isinstance(self.exponent, bool) or not isinstance(self.exponent, int):
            raise TypeError(f"currency exponent must be int, got {type(self.exponent).__name__}")
        if self.exponent < 0:
            raise ValueError(f"currency exponent must be >= 0, got {self.exponent}")

    @classmethod
    def of(cls, code: str) -> Currency:
        """Return the supported currency for ``code`` (case-insensitive, spaces stripped).

        Raises :class:`UnknownCurrency` for anything not in :data:`SUPPORTED_CURRENCIES`,
        including non-string input.
        """
        if not isinstance(code, str):
            raise UnknownCurrency(
                f"currency code must be a string, got {type(code).__name__}",
            )
        normalised = code.strip().upper()
        try:
            return _CURRENCIES[normalised]
        except KeyError:
            raise UnknownCurrency(
                f"currency {_echo(code)} is not supported; "
                f"supported: {', '.join(SUPPORTED_CURRENCIES)}",
                currency=normalised[:_ECHO_LIMIT],
            ) from None

    def __str__(self) -> str:
        return self.code


_CURRENCIES: Final[Mapping[str, Currency]] = MappingProxyType(
    {
        currency.code: currency
        for currency in (
            Currency("CNY", 2),
            Currency("USD", 2),
            Currency("HKD", 2),
            Currency("EUR", 2),
            Currency("GBP", 2),
            Currency("JPY", 0),
            Currency("KRW", 0),
            Currency("SGD", 2),
            Currency("PHP", 2),
            Currency("KES", 2),
            Currency("TWD", 2),
            Currency("MOP", 2),
            Currency("AUD", 2),
            Currency("CAD", 2),
            Currency("CHF", 2),
            Currency("BHD", 3),
            Currency("KWD", 3),
        )
    }
)

#: Codes of every currency :meth:`Currency.of` accepts, in table order.
SUPPORTED_CURRENCIES: Final[tuple[str, ...]] = tuple(_CURRENCIES)


def _require_int(value: object, what: str) -> int:
    """Return ``value`` if it is a true int; bool is rejected because True + True == 2."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be int, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: ``minor`` whole minor units of ``currency`` (may be negative).

    Equality and hashing are plain dataclass equality, so amounts in different
    currencies are simply unequal; ordering and arithmetic across currencies raise
    :class:`CurrencyMismatch`. The constructor does not bound ``minor``; :meth:`parse`
    enforces the ledger's 64-bit range on external input.
    """

    minor: int
    currency: Currency

    def __post_init__(self) -> None:
        _require_int(self.minor, "Money.minor")
        if not isinstance(self.currency, Currency):
            raise TypeError(f"Money.currency must be Currency, got {type(self.currency).__name__}")

    # -- construction -------------------------------------------------------------

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        """Return zero minor units of ``currency``."""
        return cls(0, currency)

    @classmethod
    def parse(cls, amount: str, currency: str | Currency) -> Money:
        """Parse a plain decimal string in major units, e.g. "12.34" CNY -> 1234 fen.

        Accepted: optional surrounding whitespace, an optional leading '+' or '-',
        ASCII digits, and optionally '.' followed by at most ``currency.exponent``
        digits. Rejected with :class:`InvalidAmount`: non-str input, empty strings,
        exponents, separators, NaN/Infinity, a bare leading or trailing dot, more
        fraction digits than the currency has (never rounded), and any amount whose
        absolute value exceeds :data:`MAX_MINOR_UNITS` minor units. An unknown
        currency code raises :class:`UnknownCurrency`.
        """
        cur = currency if isinstance(currency, Currency) else Currency.of(currency)
        if not isinstance(amount, str):
            # Floats would already have lost exactness; ints are ambiguous between
            # major and minor units. Either way the caller must say what they mean.
            raise InvalidAmount(
                f"amount must be a decimal string such as '12.34', got {type(amount).__name__}",
                currency=cur.code,
            )
        match = _AMOUNT_RE.fullmatch(amount.strip())
        if match is None:
            raise InvalidAmount(
                f"amount {_echo(amount)} is not a plain decimal number like '12.34'",
                currency=cur.code,
            )
        whole = match["whole"].lstrip("0") or "0"
        frac = match["frac"] or ""
        if len(frac) > cur.exponent:
            raise InvalidAmount(
                f"amount {_echo(amount)} has {len(frac)} fraction digits; "
                f"{cur.code} allows at most {cur.exponent}",
                currency=cur.code,
            )
        if len(whole) > _MAX_WHOLE_DIGITS:
            raise InvalidAmount(f"amount {_echo(amount)} is out of range", currency=cur.code)
        # Right-pad the fraction to the exponent so "1.5" CNY is 1 * 100 + 50 fen.
        magnitude = int(whole) * 10**cur.exponent + int(frac.ljust(cur.exponent, "0") or "0")
        if magnitude > MAX_MINOR_UNITS:
            raise InvalidAmount(f"amount {_echo(amount)} is out of range", currency=cur.code)
        return cls(-magnitude if match["sign"] == "-" else magnitude, cur)

    # -- formatting ---------------------------------------------------------------

    def to_decimal_string(self) -> str:
        """Return the amount in major units with exactly ``exponent`` fraction digits.

        "12.30" and "-0.05" for CNY, "1000" for JPY; the inverse of :meth:`parse`.
        """
        exponent = self.currency.exponent
        sign = "-" if self.minor < 0 else ""
        if exponent == 0:
            return f"{sign}{abs(self.minor)}"
        whole, frac = divmod(abs(self.minor), 10**exponent)
        return f"{sign}{whole}.{frac:0{exponent}d}"

    def as_json(self) -> dict[str, str]:
        """Return the wire form: ``{"amount": "12.30", "currency": "CNY"}``.

        The amount is a string so JSON consumers never turn it into a float.
        """
        return {"amount": self.to_decimal_string(), "currency": self.currency.code}

    def __str__(self) -> str:
        return f"{self.to_decimal_string()} {self.currency.code}"

    # -- predicates ---------------------------------------------------------------

    def is_zero(self) -> bool:
        """True if the amount is exactly zero minor units."""
        return self.minor == 0

    def is_positive(self) -> bool:
        """True if the amount is strictly greater than zero."""
        return self.minor > 0

    def is_negative(self) -> bool:
        """True if the amount is strictly less than zero."""
        return self.minor < 0

    # -- arithmetic ---------------------------------------------------------------

    def _same_currency(self, other: Money, op: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot {op} {self.currency.code} and {other.currency.code}",
                left=self.currency.code,
                right=other.currency.code,
            )

    # Operands are typed as Money so mypy catches `money + 1`; the runtime check
    # still returns NotImplemented so untyped callers get Python's usual TypeError.
    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "add")
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "subtract")
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def multiply(self, factor: int) -> Money:
        """Return the amount times an integer ``factor`` (e.g. a quantity); no fractions."""
        return Money(self.minor * _require_int(factor, "factor"), self.currency)

    def allocate(self, ratios: Sequence[int]) -> list[Money]:
        """Split the amount into ``len(ratios)`` parts proportional to ``ratios``.

        The parts always sum exactly to ``self``. Each part is first rounded toward
        zero; the leftover minor units then go one each to the shares that lost the
        most to rounding (largest remainder; ties to the earlier share), so every
        part is within one minor unit of its exact share and a share that divides
        exactly is never topped up. Zero-ratio shares always get zero. Negative
        amounts split as the negation of their absolute value.

        ``ratios`` must be non-negative ints with a positive sum (``TypeError`` for
        non-ints, ``ValueError`` otherwise).
        """
        checked = [_require_int(r, "ratio") for r in ratios]
        if any(r < 0 for r in checked):
            raise ValueError(f"ratios must be non-negative, got {checked}")
        total = sum(checked)
        if total <= 0:
            raise ValueError("ratios must have a positive sum")

        magnitude = abs(self.minor)
        shares = [magnitude * r // total for r in checked]
        # The leftover is smaller than the number of shares with a remainder (each
        # lost less than a whole unit to flooring), so one pass hands it all out.
        leftover = magnitude - sum(shares)
        by_remainder = sorted(
            range(len(checked)), key=lambda i: (-(magnitude * checked[i] % total), i)
        )
        for index in by_remainder[:leftover]:
            shares[index] += 1

        sign = -1 if self.minor < 0 else 1
        return [Money(sign * share, self.currency) for share in shares]

    # -- ordering (same currency only) ----------------------------------------

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.minor >= other.minor
