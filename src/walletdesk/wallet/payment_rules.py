"""Payment states, the limits of an intent, and the errors a payment can raise.

No database here; the use cases that apply them are in payments.py.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from walletdesk.core.errors import Conflict, WalletdeskError
from walletdesk.wallet.failures import failure

DEFAULT_EXPIRY = timedelta(minutes=15)
MAX_EXPIRY = timedelta(days=7)
# A brand-new account paying a large sum is the classic takeover pattern.
RISK_NEW_ACCOUNT_AGE = timedelta(hours=24)
RISK_LARGE_AMOUNT = 50_000 * 100


class PaymentStatus(StrEnum):
    REQUIRES_CONFIRMATION = "requires_confirmation"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


PAYABLE = {PaymentStatus.REQUIRES_CONFIRMATION, PaymentStatus.FAILED}
PAYABLE_VALUES = frozenset(status.value for status in PAYABLE)

# Where an intent may go from each state. Succeeded, canceled and expired are final:
# a refused attempt on one of them is recorded as an attempt and leaves the state as
# it is (a canceled order turned "failed" would be payable again).
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.REQUIRES_CONFIRMATION: frozenset(
        {
            PaymentStatus.PROCESSING,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELED,
            PaymentStatus.EXPIRED,
        }
    ),
    PaymentStatus.PROCESSING: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}),
    PaymentStatus.FAILED: frozenset(
        {
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELED,
            PaymentStatus.EXPIRED,
        }
    ),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.CANCELED: frozenset(),
    PaymentStatus.EXPIRED: frozenset(),
}
TERMINAL = frozenset(status for status, onward in TRANSITIONS.items() if not onward)


def can_move(current: PaymentStatus, target: PaymentStatus) -> bool:
    """Whether an intent in ``current`` may be put in ``target``."""
    return target in TRANSITIONS[current]


class OrderRefReused(Conflict):
    code = "order_ref_reused"


class PaymentNotCancelable(Conflict):
    code = "payment_not_cancelable"


# What a client is told to wait before sending a timed-out payment again.
RETRY_AFTER_SECONDS = 2


class PaymentTimedOut(WalletdeskError):
    """The database was too busy to take the payment or even record its failure in time.
    Nothing was charged; the same request (same Idempotency-Key) can be sent again."""

    code = "network_timeout"
    http_status = 503

    def __init__(self, locale: str) -> None:
        super().__init__()
        self.failure = failure(self.code).public(locale)
        self.retry_after_seconds = RETRY_AFTER_SECONDS
