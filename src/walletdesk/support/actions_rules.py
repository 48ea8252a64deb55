"""The rules of agent actions (DOMAIN.md §5): kinds, risk classes, states, errors.

Pure rules: no database, no I/O. The services that apply them are
``actions.py`` (propose, approve, execute), ``actions_params.py`` (checking an
action's parameters), ``actions_runners.py`` (running an approved action through
the wallet and identity services) and ``actions_verification.py`` (identity
verification on a ticket).
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from walletdesk.core.errors import Conflict, ValidationError
from walletdesk.identity.errors import Forbidden

# A verification on a ticket counts for this long (DOMAIN.md §5).
VERIFICATION_FRESHNESS = timedelta(minutes=15)
MAX_TEXT = 500
MAX_KEY = 80
LIST_LIMIT = 50


class Risk(StrEnum):
    READ = "read"
    LOW = "low"
    APPROVAL_REQUIRED = "approval_required"


class ActionKind(StrEnum):
    RESEND_ALERT = "resend_alert"
    ADD_NOTE = "add_note"
    REFUND = "refund"
    RAISE_LIMIT = "raise_limit"
    # A customer's own request the automatic rules sent to a person (needs_review).
    APPROVE_LIMIT_REQUEST = "approve_limit_request"
    REJECT_LIMIT_REQUEST = "reject_limit_request"
    RESET_2FA = "reset_2fa"
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    # The customer lost the phone or email on the account and cannot step up themselves.
    CHANGE_PHONE = "change_phone"
    CHANGE_EMAIL = "change_email"
    # A lost or stolen card: unlinked so no payout or refund can go to it. The customer
    # adds the replacement themselves (agents never handle card numbers).
    REMOVE_BANK_CARD = "remove_bank_card"


RISK: dict[ActionKind, Risk] = {
    ActionKind.RESEND_ALERT: Risk.LOW,
    ActionKind.ADD_NOTE: Risk.LOW,
    ActionKind.REFUND: Risk.APPROVAL_REQUIRED,
    ActionKind.RAISE_LIMIT: Risk.APPROVAL_REQUIRED,
    ActionKind.APPROVE_LIMIT_REQUEST: Risk.APPROVAL_REQUIRED,
    # Declining adds no risk: the customer keeps the limits they have, and is told.
    ActionKind.REJECT_LIMIT_REQUEST: Risk.LOW,
    ActionKind.RESET_2FA: Risk.APPROVAL_REQUIRED,
    ActionKind.FREEZE: Risk.APPROVAL_REQUIRED,
    ActionKind.UNFREEZE: Risk.APPROVAL_REQUIRED,
    ActionKind.CHANGE_PHONE: Risk.APPROVAL_REQUIRED,
    ActionKind.CHANGE_EMAIL: Risk.APPROVAL_REQUIRED,
    ActionKind.REMOVE_BANK_CARD: Risk.APPROVAL_REQUIRED,
}


class VerificationMethodKind(StrEnum):
    SMS = "sms"  # a code texted to the phone on file, read back by the customer
    TOTP = "totp"  # a code from the customer's authenticator app, read out
    DOCUMENT = "document"  # a document check the agent records with a note


class ActionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # claimed by an approver, running
    REJECTED = "rejected"
    EXECUTED = "executed"
    FAILED = "failed"


def clean_text(value: str | None, field: str, *, required: bool = False) -> str | None:
    """``value`` stripped, None when empty; ValidationError when required or too long."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise ValidationError(f"{field} is required", field=field)
        return None
    if len(cleaned) > MAX_TEXT:
        raise ValidationError(f"{field} is longer than {MAX_TEXT} characters", field=field)
    return cleaned


# -- errors (messages in ERRORS below) ---------------------------------------------------


class IdentityVerificationRequired(Forbidden):
    """The customer's identity was not verified on this ticket in the last 15 minutes."""

    code = "identity_verification_required"


class FourEyesRequired(Forbidden):
    """The proposer of an action cannot approve it."""

    code = "four_eyes_required"


class ActionAlreadyDecided(Conflict):
    code = "action_already_decided"


class UnknownAction(ValidationError):
    code = "unknown_action"


class InvalidActionParams(ValidationError):
    code = "invalid_action_params"


class IdempotencyKeyReused(Conflict):
    code = "action_idempotency_key_reused"


class NoPendingVerification(Conflict):
    code = "no_pending_verification"


class TwoFactorNotOn(Conflict):
    code = "two_factor_not_on"


class TotpVerificationUnavailable(Conflict):
    """Verifying by authenticator code needs the customer to have 2FA on."""

    code = "totp_verification_unavailable"


ERRORS: dict[str, dict[str, str]] = {
    "identity_verification_required": {
        "en": "Verify the customer's identity on this ticket first (SMS code, authenticator "
        "code or document check); a verification counts for 15 minutes.",
        "zh-CN": "请先在本工单中核验客户身份（短信验证码、身份验证器验证码或证件核验），"
        "核验结果 15 分钟内有效。",
    },
    "title.identity_verification_required": {
        "en": "Identity verification required",
        "zh-CN": "需要核验身份",
    },
    "four_eyes_required": {
        "en": "Another person must approve this action; you proposed it.",
        "zh-CN": "该操作由您发起，须由另一位人员审批。",
    },
    "title.four_eyes_required": {"en": "Second approval required", "zh-CN": "需要他人审批"},
    "action_already_decided": {
        "en": "This action was already decided.",
        "zh-CN": "该操作已处理过。",
    },
    "title.action_already_decided": {"en": "Already decided", "zh-CN": "已处理"},
    "unknown_action": {
        "en": "There is no such action.",
        "zh-CN": "没有这种操作。",
    },
    "title.unknown_action": {"en": "Unknown action", "zh-CN": "未知操作"},
    "invalid_action_params": {
        "en": "The action's parameters are not valid: {field}.",
        "zh-CN": "操作参数无效：{field}。",
    },
    "title.invalid_action_params": {"en": "Invalid parameters", "zh-CN": "参数无效"},
    "action_idempotency_key_reused": {
        "en": "This idempotency key was already used for a different action.",
        "zh-CN": "该幂等键已用于另一个操作。",
    },
    "title.action_idempotency_key_reused": {"en": "Key reused", "zh-CN": "幂等键重复"},
    "no_pending_verification": {
        "en": "There is no SMS verification waiting for a code on this ticket.",
        "zh-CN": "本工单没有等待验证码的短信核验。",
    },
    "title.no_pending_verification": {"en": "Nothing to confirm", "zh-CN": "无待确认核验"},
    "two_factor_not_on": {
        "en": "Two-factor authentication is not on for this customer.",
        "zh-CN": "该客户未开启双重验证。",
    },
    "title.two_factor_not_on": {"en": "2FA is off", "zh-CN": "未开启双重验证"},
    "totp_verification_unavailable": {
        "en": "This customer has no authenticator app (two-factor authentication is off): "
        "verify with an SMS code or a document check instead.",
        "zh-CN": "该客户未开启双重验证，没有身份验证器应用：请改用短信验证码或证件核验。",
    },
    "title.totp_verification_unavailable": {
        "en": "No authenticator app",
        "zh-CN": "无身份验证器",
    },
}
