"""Refund rules and words: states and their transitions, limits, errors with their
zh-CN/en messages, failure entries, alert variants and input parsing.

Pure: no database, no I/O. The use cases that apply them are in refunds.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Any

from walletdesk.core.cursors import decode_seq_cursor
from walletdesk.core.errors import Conflict, ValidationError
from walletdesk.identity.errors import Forbidden

MAX_REFUNDS_PER_PAYMENT = 50
# DOMAIN.md §4: nobody refunds after this, unless an agent overrides with a reason.
HARD_WINDOW = timedelta(days=365)
MAX_EVIDENCE = 10
MAX_TEXT = 500


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.REQUESTED: frozenset({RefundStatus.APPROVED, RefundStatus.REJECTED}),
    RefundStatus.APPROVED: frozenset({RefundStatus.PROCESSING, RefundStatus.SUCCEEDED}),
    RefundStatus.PROCESSING: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.FAILED: frozenset({RefundStatus.APPROVED}),
    RefundStatus.REJECTED: frozenset(),
    RefundStatus.SUCCEEDED: frozenset(),
}
# The refunds counted in payments.refunded / refund_count.
LIVE = frozenset(
    {
        RefundStatus.REQUESTED,
        RefundStatus.APPROVED,
        RefundStatus.PROCESSING,
        RefundStatus.SUCCEEDED,
    }
)


class RefundRoute(StrEnum):
    BALANCE = "balance"
    CARD = "card"


class Party(StrEnum):
    """Who acts on a refund; also the ``by`` of its history entries."""

    CUSTOMER = "customer"
    MERCHANT = "merchant"
    AGENT = "agent"
    POLICY = "policy"  # the merchant's policy approved it automatically
    BANK = "bank"


# -- errors (messages in ERRORS below) ---------------------------------------------


class RefundExceedsPayment(ValidationError):
    code = "refund_exceeds_payment"


class RefundLimitReached(Conflict):
    code = "refund_limit_reached"


class RefundWindowClosed(Conflict):
    code = "refund_window_closed"


class EvidenceRequired(ValidationError):
    code = "evidence_required"


class PaymentNotRefundable(Conflict):
    code = "payment_not_refundable"


class RefundNotPending(Conflict):
    code = "refund_not_pending"


class RefundNotRetryable(Conflict):
    code = "refund_not_retryable"


class RefundCardRequired(ValidationError):
    code = "refund_card_required"


class RefundCardCoolingOff(ValidationError):
    code = "refund_card_cooling_off"


class RefundCardRemoved(ValidationError):
    """A failed card refund is not tried again on a card removed since: that card is
    most likely closed, and the customer no longer counts it as theirs."""

    code = "refund_card_removed"


class OverrideNotAllowed(Forbidden):
    code = "refund_override_not_allowed"


class OverrideNeedsApproval(Forbidden):
    """A refund outside the merchant's policy asked for directly, not as the agent action
    ``refund`` (which runs only once the customer's identity was checked on the ticket and
    a second person approved: DOMAIN.md §5)."""

    code = "refund_override_needs_approval"


# Shaped like identity/messages.py: merge into api/i18n.MESSAGES.
ERRORS: dict[str, dict[str, str]] = {
    "refund_exceeds_payment": {
        "en": "You can refund at most {remaining} {currency} more of this payment.",
        "zh-CN": "该笔付款最多还可退款 {remaining} {currency}。",
    },
    "title.refund_exceeds_payment": {"en": "Amount too large", "zh-CN": "退款金额过大"},
    "refund_limit_reached": {
        "en": "This payment already has {limit} refunds, the most one payment can have.",
        "zh-CN": "该笔付款已有 {limit} 笔退款，已达单笔付款的退款次数上限。",
    },
    "title.refund_limit_reached": {"en": "Too many refunds", "zh-CN": "退款次数已达上限"},
    "refund_window_closed": {
        "en": "Refunds for this payment could be asked for up to {window_days} days after paying. "
        "Contact the merchant or walletdesk customer service if you still need help.",
        "zh-CN": "该笔付款的退款申请期限为付款后 {window_days} 天，现已超过。"
        "如仍需帮助，请联系商户或 walletdesk 客服。",
    },
    "title.refund_window_closed": {"en": "Refund period over", "zh-CN": "已超过退款期限"},
    "evidence_required": {
        "en": "For this reason the merchant needs evidence, such as a photo or a receipt.",
        "zh-CN": "该退款原因需要提供凭证，例如照片或收据。",
    },
    "title.evidence_required": {"en": "Evidence needed", "zh-CN": "需要提供凭证"},
    "payment_not_refundable": {
        "en": "Only a completed payment can be refunded; this one is {status}.",
        "zh-CN": "只有已完成的付款才能退款，该笔付款当前状态为 {status}。",
    },
    "title.payment_not_refundable": {"en": "Cannot refund", "zh-CN": "无法退款"},
    "refund_not_pending": {
        "en": "This refund was already decided (it is {status}).",
        "zh-CN": "该退款已处理（当前状态：{status}）。",
    },
    "title.refund_not_pending": {"en": "Already decided", "zh-CN": "已处理"},
    "refund_not_retryable": {
        "en": "There is nothing to retry: this refund is {status}.",
        "zh-CN": "无需重试：该退款当前状态为 {status}。",
    },
    "title.refund_not_retryable": {"en": "Nothing to retry", "zh-CN": "无需重试"},
    "refund_card_cooling_off": {
        "en": "This card was added recently: refunds to it wait until {until} (UTC). Choose your balance or an older card.",
        "zh-CN": "该银行卡为新添加：在 {until}（UTC）之前不接收退款。请选择退回余额或较早绑定的银行卡。",
    },
    "title.refund_card_cooling_off": {"en": "Card in cooling-off", "zh-CN": "银行卡冷静期"},
    "refund_card_removed": {
        "en": "The card this refund was going to has been removed from the wallet. "
        "Choose another card or your balance to try again.",
        "zh-CN": "该退款原定退回的银行卡已从钱包中移除。请选择其他银行卡或退回余额后重试。",
    },
    "title.refund_card_removed": {"en": "Card removed", "zh-CN": "银行卡已移除"},
    "refund_card_required": {
        "en": "Add a bank card to your wallet to get this refund on a card, or choose your balance.",
        "zh-CN": "请先在钱包中添加银行卡，或选择退回余额。",
    },
    "title.refund_card_required": {"en": "No card", "zh-CN": "没有银行卡"},
    "refund_override_not_allowed": {
        "en": "Only customer service agents can refund outside the merchant's policy.",
        "zh-CN": "只有客服人员可以在商户退款政策之外办理退款。",
    },
    "title.refund_override_not_allowed": {"en": "Not allowed", "zh-CN": "无权操作"},
    "refund_override_needs_approval": {
        "en": (
            "A refund outside the merchant's policy is an agent action: propose it on the "
            "customer's ticket. It runs once the customer's identity has been checked there "
            "and a second agent has approved it."
        ),
        "zh-CN": "超出商户退款政策的退款须作为客服操作办理：请在客户的工单上提交，"
        "待在工单上核验客户身份并由另一位客服批准后执行。",
    },
    "title.refund_override_needs_approval": {"en": "Approval needed", "zh-CN": "需要审批"},
}

# Why a refund's money has not arrived (yet), for customers and agents.
FAILURES: dict[str, dict[str, Any]] = {
    "insufficient_funds": {
        "retryable": True,
        "en": ("The merchant's balance cannot cover this refund yet.", "It will be retried."),
        "zh-CN": ("商户余额暂不足以支付该退款。", "系统将重试。"),
    },
    "bank_declined": {
        "retryable": True,
        "en": (
            "Your bank declined the refund to this card; the money is back with the merchant.",
            "Retry to your walletdesk balance or another card, or contact customer service.",
        ),
        "zh-CN": (
            "您的银行拒绝了退款到该卡，款项已退回商户。",
            "可重试退回 walletdesk 余额或其他银行卡，或联系客服。",
        ),
    },
    "gateway_timeout": {
        "retryable": True,
        "en": (
            "The bank has not answered yet.",
            "Retry later: the refund cannot be paid twice.",
        ),
        "zh-CN": ("银行尚未响应。", "请稍后重试：退款不会重复支付。"),
    },
}

# Alert text per (state, route), from notify/texts.py's refund_status variants. A
# state whose text is not in the catalogue yet sends nothing: a silent state is
# better than telling a card refund that the money is in the balance.
ALERT_VARIANTS: dict[tuple[RefundStatus, RefundRoute], str] = {
    (RefundStatus.REQUESTED, RefundRoute.BALANCE): "requested",
    (RefundStatus.REQUESTED, RefundRoute.CARD): "requested",
    (RefundStatus.REJECTED, RefundRoute.BALANCE): "rejected",
    (RefundStatus.REJECTED, RefundRoute.CARD): "rejected",
    (RefundStatus.APPROVED, RefundRoute.BALANCE): "approved",
    (RefundStatus.APPROVED, RefundRoute.CARD): "approved_card",
    (RefundStatus.PROCESSING, RefundRoute.CARD): "processing",
    (RefundStatus.SUCCEEDED, RefundRoute.BALANCE): "completed",
    (RefundStatus.SUCCEEDED, RefundRoute.CARD): "completed_card",
    (RefundStatus.FAILED, RefundRoute.CARD): "failed",
}


# -- parsing input ---------------------------------------------------------------------------------


def parse_route(route: str) -> RefundRoute:
    try:
        return RefundRoute(route)
    except ValueError:
        raise ValidationError("route is balance or card", field="route") from None


def clean_text(value: str | None, field: str) -> str | None:
    cleaned = (value or "").strip()
    if len(cleaned) > MAX_TEXT:
        raise ValidationError(f"{field} is at most {MAX_TEXT} characters", field=field)
    return cleaned or None


def clean_evidence(items: Sequence[str]) -> list[str]:
    """References to what proves the reason (upload ids or links), at most ten."""
    cleaned = [item.strip() for item in items]
    if len(cleaned) > MAX_EVIDENCE or any(not 1 <= len(item) <= MAX_TEXT for item in cleaned):
        raise ValidationError(
            f"evidence is up to {MAX_EVIDENCE} references of 1 to {MAX_TEXT} characters",
            field="evidence",
        )
    return cleaned


def decode_cursor(cursor: str | None) -> int:
    return decode_seq_cursor(cursor) or 0
