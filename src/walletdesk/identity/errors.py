"""Identity errors: each a stable code, mapped to HTTP once by the API layer."""

from __future__ import annotations

from walletdesk.core.errors import Conflict, NotFound, ValidationError, WalletdeskError


class Unauthenticated(WalletdeskError):
    code = "unauthenticated"
    http_status = 401


class InvalidCredentials(WalletdeskError):
    """Wrong login or password; deliberately the same answer for both."""

    code = "invalid_credentials"
    http_status = 401


class TotpRequired(WalletdeskError):
    code = "totp_required"
    http_status = 401


class TotpInvalid(WalletdeskError):
    code = "totp_invalid"
    http_status = 401


class AccountLocked(WalletdeskError):
    """Too many failures; ``locked_until`` (ISO UTC) says when to try again."""

    code = "account_locked"
    http_status = 423


class Forbidden(WalletdeskError):
    code = "forbidden"
    http_status = 403


class VerificationRequired(WalletdeskError):
    """A sensitive action needs a fresh step-up verification token."""

    code = "verification_required"
    http_status = 403


class SecondFactorRequired(WalletdeskError):
    """The step-up was made with the password or an SMS code, and this change needs the
    second factor itself (an authenticator code or a recovery code)."""

    code = "second_factor_required"
    http_status = 403


class AccountFrozen(WalletdeskError):
    code = "account_frozen"
    http_status = 403


class PasswordTooWeak(ValidationError):
    code = "password_too_weak"


class PhoneInvalid(ValidationError):
    code = "phone_invalid"


class EmailInvalid(ValidationError):
    code = "email_invalid"


class LoginRequired(ValidationError):
    code = "login_required"


class LoginTaken(Conflict):
    code = "login_taken"


class TotpAlreadyEnabled(Conflict):
    code = "totp_already_enabled"


class TotpNotEnrolled(Conflict):
    code = "totp_not_enrolled"


class CodeInvalid(ValidationError):
    code = "code_invalid"


class CardInvalid(ValidationError):
    code = "card_invalid"


class KycRejected(ValidationError):
    code = "kyc_rejected"


class UserNotFound(NotFound):
    code = "not_found"


class SmsRateLimited(WalletdeskError):
    """Too many codes were texted to this phone number lately; nothing was sent.
    ``retry_after_seconds`` becomes the Retry-After header."""

    code = "sms_rate_limited"
    http_status = 429

    def __init__(self, detail: str, *, retry_after_seconds: int, **params: object) -> None:
        super().__init__(detail, **params)
        self.retry_after_seconds = retry_after_seconds


class EmailRateLimited(WalletdeskError):
    """Too many codes were emailed to this address lately; nothing was sent.
    ``retry_after_seconds`` becomes the Retry-After header."""

    code = "email_rate_limited"
    http_status = 429

    def __init__(self, detail: str, *, retry_after_seconds: int, **params: object) -> None:
        super().__init__(detail, **params)
        self.retry_after_seconds = retry_after_seconds


class NoContactOnFile(ValidationError):
    """There is no phone number / email address of that kind on the account to verify."""

    code = "no_contact_on_file"


class ContactAlreadyVerified(Conflict):
    code = "contact_already_verified"
