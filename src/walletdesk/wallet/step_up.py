"""Strong customer authentication for money leaving a wallet.

A payment, P2P transfer or withdrawal at or above ``settings.sca_threshold_minor``
needs a step-up token (``POST /me/verifications``). A session alone is what an
account takeover has, and "move your money to a safe account" scams cash out through
transfers and withdrawals as readily as through payments: one threshold covers all three.

The token is spent by :func:`step_up_refusal` inside the movement's own transaction,
so it is spent only if the money moves; any refusal rolls it back with the rest.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection

from walletdesk.identity.errors import VerificationRequired
from walletdesk.identity.verification import consume_verification
from walletdesk.wallet.deps import WalletDeps


def needs_step_up(deps: WalletDeps, amount: int) -> bool:
    """Whether moving ``amount`` (minor units) out of a wallet needs a step-up token."""
    return amount >= deps.settings.sca_threshold_minor


def step_up_refusal(
    deps: WalletDeps,
    conn: Connection,
    user_id: uuid.UUID,
    amount: int,
    token: str | None,
    purpose: str,
) -> str | None:
    """Spend the step-up token moving ``amount`` (minor units) out needs, in ``conn``'s
    transaction; return the failure code refusing the movement, or None.

    ``authentication_required`` without a token, ``authentication_failed`` for one that
    is not the user's, expired or already spent. Below the threshold a token sent anyway
    is left unspent: it may still buy the change it was asked for.
    ``purpose`` (``payment``, ``transfer``, ``withdrawal``) is recorded on the token.
    """
    if not needs_step_up(deps, amount):
        return None
    if not token:
        return "authentication_required"
    try:
        consume_verification(conn, deps.identity, user_id, token, purpose)
    except VerificationRequired:
        return "authentication_failed"
    return None
