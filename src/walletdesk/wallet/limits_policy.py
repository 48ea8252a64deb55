"""The limit grid as data (DOMAIN.md §2): tier x scope x authentication strength x window.

Amounts are minor units of the currency. ``None`` means "no limit for this window".
China's PBOC classes are the default for CNY; other currencies follow the same
shape with local amounts. Scopes: ``spend`` (merchant payments and P2P transfers,
both drawn from balance), ``withdraw``.
"""

from __future__ import annotations

from enum import StrEnum

from walletdesk.identity.model import KycTier


class Scope(StrEnum):
    SPEND = "spend"
    WITHDRAW = "withdraw"


class Window(StrEnum):
    TRANSACTION = "transaction"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    # Tier I caps the total since the account was opened.
    LIFETIME = "lifetime"


class Strength(StrEnum):
    """Two factors (password + TOTP) or fewer."""

    TWO_FACTOR = "two_factor"
    SINGLE_FACTOR = "single_factor"


Grid = dict[Window, int | None]

_YUAN = 100

# tier -> scope -> strength -> window -> limit
CNY: dict[KycTier, dict[Scope, dict[Strength, Grid]]] = {
    KycTier.I: {
        Scope.SPEND: {
            Strength.TWO_FACTOR: {
                Window.TRANSACTION: 1_000 * _YUAN,
                Window.DAY: 1_000 * _YUAN,
                Window.LIFETIME: 1_000 * _YUAN,
            },
            Strength.SINGLE_FACTOR: {
                Window.TRANSACTION: 1_000 * _YUAN,
                Window.DAY: 1_000 * _YUAN,
                Window.LIFETIME: 1_000 * _YUAN,
            },
        },
        # Class I accounts cannot send money back out to a bank card.
        Scope.WITHDRAW: {
            Strength.TWO_FACTOR: {Window.TRANSACTION: 0},
            Strength.SINGLE_FACTOR: {Window.TRANSACTION: 0},
        },
    },
    KycTier.II: {
        # Monthly caps are the provider's own risk policy on top of the PBOC grid: an
        # account paying the daily maximum every day is unusual enough to want 2FA.
        Scope.SPEND: {
            Strength.TWO_FACTOR: {
                Window.TRANSACTION: 5_000 * _YUAN,
                Window.DAY: 5_000 * _YUAN,
                Window.MONTH: 50_000 * _YUAN,
                Window.YEAR: 100_000 * _YUAN,
            },
            Strength.SINGLE_FACTOR: {
                Window.TRANSACTION: 1_000 * _YUAN,
                Window.DAY: 1_000 * _YUAN,
                Window.MONTH: 10_000 * _YUAN,
                Window.YEAR: 100_000 * _YUAN,
            },
        },
        Scope.WITHDRAW: {
            Strength.TWO_FACTOR: {
                Window.TRANSACTION: 5_000 * _YUAN,
                Window.DAY: 10_000 * _YUAN,
                Window.YEAR: 100_000 * _YUAN,
            },
            Strength.SINGLE_FACTOR: {
                Window.TRANSACTION: 1_000 * _YUAN,
                Window.DAY: 2_000 * _YUAN,
                Window.YEAR: 100_000 * _YUAN,
            },
        },
    },
    KycTier.III: {
        Scope.SPEND: {
            Strength.TWO_FACTOR: {
                Window.TRANSACTION: 5_000 * _YUAN,
                Window.DAY: 5_000 * _YUAN,
                Window.MONTH: 100_000 * _YUAN,
                Window.YEAR: 200_000 * _YUAN,
            },
            Strength.SINGLE_FACTOR: {
                Window.TRANSACTION: 1_000 * _YUAN,
                Window.DAY: 1_000 * _YUAN,
                Window.MONTH: 20_000 * _YUAN,
                Window.YEAR: 200_000 * _YUAN,
            },
        },
        Scope.WITHDRAW: {
            Strength.TWO_FACTOR: {
                Window.TRANSACTION: 50_000 * _YUAN,
                Window.DAY: 50_000 * _YUAN,
                Window.YEAR: 200_000 * _YUAN,
            },
            Strength.SINGLE_FACTOR: {
                Window.TRANSACTION: 5_000 * _YUAN,
                Window.DAY: 10_000 * _YUAN,
                Window.YEAR: 200_000 * _YUAN,
            },
        },
    },
}

# US-style weekly limits are approximated by monthly ones in USD (DOMAIN.md §2).
USD: dict[KycTier, dict[Scope, dict[Strength, Grid]]] = {
    tier: {
        scope: {
            strength: {w: (None if v is None else v // 7) for w, v in grid.items()}
            for strength, grid in by_strength.items()
        }
        for scope, by_strength in by_scope.items()
    }
    for tier, by_scope in CNY.items()
}

GRIDS = {"CNY": CNY, "USD": USD, "HKD": CNY, "EUR": USD}


def base_limits(currency: str, tier: KycTier, scope: Scope, strength: Strength) -> Grid:
    grid = GRIDS.get(currency, USD)
    return dict(grid[tier][scope][strength])


# DOMAIN.md §2: limits above the tier's grid need a verified identity (tier II or
# III), and an account whose limits were raised must have 2FA on.
MIN_TIER_FOR_INCREASE = KycTier.II


def increase_refusal(tier: KycTier, two_factor: bool) -> str | None:
    """Why this account may not have limits above its tier's grid now, or ``None``.

    One rule for every path: a customer's request is refused with this code, an
    agent's raise or approval too, and a granted raise applies only while the account
    still qualifies (turning 2FA off suspends it; the grant itself stays on record).
    """
    if tier.rank < MIN_TIER_FOR_INCREASE.rank:
        return "tier_too_low"
    if not two_factor:
        return "two_factor_required"
    return None
