"""The one error tree of walletdesk.

Every error a caller can act on is a subclass of :class:`WalletdeskError` with a
stable snake_case ``code``. The HTTP layer maps the tree to RFC 9457 problem+json
once (``api/problems.py``); nothing else chooses status codes.
"""

from __future__ import annotations

from typing import ClassVar


class WalletdeskError(Exception):
    """Base of every expected error; ``code`` is stable and public."""

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500

    def __init__(self, detail: str | None = None, **params: object) -> None:
        self.detail = detail or self.code.replace("_", " ")
        self.params = params
        super().__init__(self.detail)


class ValidationError(WalletdeskError):
    """The request itself is malformed; nothing was changed."""

    code = "validation_error"
    http_status = 422


class NotFound(WalletdeskError):
    """The thing does not exist, or is not the caller's to see."""

    code = "not_found"
    http_status = 404


class Conflict(WalletdeskError):
    """The request clashes with the current state (e.g. a reused id)."""

    code = "conflict"
    http_status = 409


class ConcurrencyError(WalletdeskError):
    """A transaction lost a race and may be retried by the caller."""

    code = "concurrency_conflict"
    http_status = 409


class BatchTooLarge(ValidationError):
    """A batch call carried more items than the ledger accepts in one transaction."""

    code = "batch_too_large"
