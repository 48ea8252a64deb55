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
from walletdesk.identity.roles import Role
from walletdesk.support.tickets.errors import TicketClosed

# The accounts the desk serves, and acts on: never staff (DOMAIN.md §5's four eyes are two
# people apart from the customer).
SERVED_ROLES = frozenset({Role.CUSTOMER, Role.MERCHANT})
# A verification on a ticket counts for this long (DOMAIN.md §5).
VERIFICATION_FRESHNESS = timedelta(minutes=15)
# How long the customer has to confirm a check an agent started; after that the agent
# starts again (a request left on a ticket for days must not be confirmable).
CONFIRMATION_WINDOW = timedelta(minutes=15)
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
    # The customer, signed in, types the code on their own ticket: codes are never read
    # out to staff (walletdesk tells everyone staff never ask for codes, DOMAIN.md §6).
    SMS = "sms"  # a code texted to the phone on file
    TOTP = "totp"  # a code from the customer's authenticator app
    DOCUMENT = "document"  # a document check the agent records with a note


# Confirmed by the customer on their ticket; the document check is the agent's own.
CUSTOMER_CONFIRMED = frozenset({VerificationMethodKind.SMS, VerificationMethodKind.TOTP})


# -- words written on the ticket ------------------------------------------------------

# A public message to the customer when an agent starts a check, in their language.
CONFIRM_REQUEST: dict[VerificationMethodKind, dict[str, str]] = {
    VerificationMethodKind.SMS: {
        "en": "To confirm it's you, enter the code we just texted to the phone number on "
        "your account here, on ticket {ticket_number} in the walletdesk app or website "
        "(Me > Help & feedback). Never tell this code to anyone, including our staff: we "
        "will never ask you for it.",
        "zh-CN": "我们已向您账户绑定的手机号发送验证码。请在 walletdesk App 或网站的本工单"
        "（{ticket_number}，我的 > 帮助与反馈）中输入，以确认是您本人。切勿将验证码告诉任何人，"
        "包括我们的工作人员：我们绝不会向您索要。",
    },
    VerificationMethodKind.TOTP: {
        "en": "To confirm it's you, open ticket {ticket_number} in the walletdesk app or "
        "website (Me > Help & feedback) and enter the 6-digit code from your "
        "authenticator app there. Never tell this code to anyone, including our staff: "
        "we will never ask you for it.",
        "zh-CN": "请在 walletdesk App 或网站中打开工单 {ticket_number}（我的 > 帮助与反馈），"
        "输入身份验证器应用中的 6 位验证码，以确认是您本人。切勿将验证码告诉任何人，"
        "包括我们的工作人员：我们绝不会向您索要。",
    },
}

# An internal note when the customer has confirmed: agents read either language.
CONFIRMED_NOTE = (
    "The customer confirmed it's them in the app ({method_en}). "
    "客户已在 App 中确认本人身份（{method_zh}）。"
)
METHOD_WORDS = {
    VerificationMethodKind.SMS: {"en": "SMS code", "zh-CN": "短信验证码"},
    VerificationMethodKind.TOTP: {"en": "authenticator code", "zh-CN": "身份验证器验证码"},
}


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


class IdentityVerificationStale(Forbidden):
    """An action is approved only while the check it was proposed on is 15 minutes old or
    less: it runs on the approval, so the check must still hold then."""

    code = "identity_verification_stale"


class FourEyesRequired(Forbidden):
    """The proposer of an action cannot approve it."""

    code = "four_eyes_required"


class OwnAccountAction(Forbidden):
    """Nobody decides on an action on their own account: the second pair of eyes would be
    the one that gains."""

    code = "action_on_own_account"


class ActionAlreadyDecided(Conflict):
    code = "action_already_decided"


class UnknownAction(ValidationError):
    code = "unknown_action"


class InvalidActionParams(ValidationError):
    code = "invalid_action_params"


class IdempotencyKeyReused(Conflict):
    """The agent's key names an action already proposed with another kind, customer,
    ticket or parameters: answering with that one would let the agent believe what they
    sent now is pending (30.00 when 5.00 is)."""

    code = "action_idempotency_key_reused"


class ActionTicketClosed(TicketClosed):
    """The pending action's ticket was closed, merged or marked spam since it was proposed:
    the check it was proposed on belongs to a conversation that is over."""

    code = "action_ticket_closed"


class NoPendingVerification(Conflict):
    """Nothing on this ticket is waiting for the customer to confirm."""

    code = "no_pending_verification"


class TotpConfirmationUnavailable(Conflict):
    """The check asks for an authenticator code but the customer turned 2FA off since."""

    code = "totp_confirmation_unavailable"


class TwoFactorNotOn(Conflict):
    code = "two_factor_not_on"


class TotpVerificationUnavailable(Conflict):
    """Verifying by authenticator code needs the customer to have 2FA on."""

    code = "totp_verification_unavailable"


ERRORS: dict[str, dict[str, str]] = {
    "identity_verification_required": {
        "en": "Verify the customer's identity on this ticket first: the customer confirms "
        "an SMS or authenticator code on their own ticket, or you record a document "
        "check. A verification counts for 15 minutes.",
        "zh-CN": "请先在本工单中核验客户身份：由客户在其本人工单中确认短信或身份验证器验证码，"
        "或由您记录证件核验。核验结果 15 分钟内有效。",
    },
    "title.identity_verification_required": {
        "en": "Identity verification required",
        "zh-CN": "需要核验身份",
    },
    "identity_verification_stale": {
        "en": "The customer's identity check on this ticket is more than 15 minutes old, "
        "and the action would run now. Verify the customer again on this ticket, then "
        "approve; the action stays pending meanwhile.",
        "zh-CN": "本工单中的客户身份核验已超过 15 分钟，而该操作将在审批后立即执行。"
        "请先在本工单中重新核验客户身份，再进行审批；在此期间该操作保持待审批状态。",
    },
    "title.identity_verification_stale": {
        "en": "Identity check too old",
        "zh-CN": "身份核验已过期",
    },
    "four_eyes_required": {
        "en": "Another person must approve this action; you proposed it.",
        "zh-CN": "该操作由您发起，须由另一位人员审批。",
    },
    "title.four_eyes_required": {"en": "Second approval required", "zh-CN": "需要他人审批"},
    "action_on_own_account": {
        "en": "This action is on your own account: someone else must decide on it.",
        "zh-CN": "该操作涉及您本人的账户，须由其他人员处理。",
    },
    "title.action_on_own_account": {"en": "Your own account", "zh-CN": "本人账户"},
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
        "en": "This idempotency key was already used for a different action, ticket or "
        "parameters; nothing new was proposed. Check the action already proposed, and use "
        "a new key for a new one.",
        "zh-CN": "该幂等键已用于其他操作、工单或参数，本次未发起新操作。请先核对已发起的操作，"
        "新操作请使用新的幂等键。",
    },
    "title.action_idempotency_key_reused": {"en": "Key reused", "zh-CN": "幂等键重复"},
    "action_ticket_closed": {
        "en": "This action's ticket was closed, merged or marked as spam after it was "
        "proposed, so it can no longer be approved. Reject it; if it is still needed, "
        "verify the customer on their open ticket and propose it there.",
        "zh-CN": "该操作发起后，其所属工单已被关闭、合并或标记为垃圾信息，因此无法再审批。"
        "请驳回该操作；如仍需办理，请在客户未关闭的工单中核验身份后重新发起。",
    },
    "title.action_ticket_closed": {"en": "Ticket closed", "zh-CN": "工单已关闭"},
    "no_pending_verification": {
        "en": "Nothing on this ticket is waiting for you to confirm it's you. If an agent "
        "asked you to, the request may have expired: ask them to send a new one.",
        "zh-CN": "本工单没有需要您确认身份的请求。如果客服刚请您确认，请求可能已过期，"
        "请让客服重新发起。",
    },
    "title.no_pending_verification": {"en": "Nothing to confirm", "zh-CN": "无待确认核验"},
    "totp_confirmation_unavailable": {
        "en": "Two-factor authentication is off on your account, so there is no "
        "authenticator code to enter. Reply on this ticket and the agent can send a code "
        "to your phone instead.",
        "zh-CN": "您的账户未开启双重验证，没有身份验证器验证码可以输入。请在本工单中回复，"
        "客服可以改为向您的手机发送验证码。",
    },
    "title.totp_confirmation_unavailable": {
        "en": "No authenticator app",
        "zh-CN": "无身份验证器",
    },
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
