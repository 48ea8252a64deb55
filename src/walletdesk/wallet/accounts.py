"""Wallet and system ledger accounts, opened on first use with deterministic ids.

Ids are UUIDv5 of a stable name, so opening is idempotent: a retry, a second
process or a race all end with the same account (the ledger answers ``exists``).
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from walletdesk.core.errors import ValidationError
from walletdesk.core.money import SUPPORTED_CURRENCIES
from walletdesk.ledger.model import AccountFlags, AccountKind, CreateAccountResult, NewAccount
from walletdesk.wallet import tables as t
from walletdesk.wallet.deps import WalletDeps

NAMESPACE = uuid.UUID("6f1d0b5e-9a55-4c1b-9a3e-1e4f2b7c9d10")


class SystemRole(StrEnum):
    # The outside world's money: card networks and banks. Unbounded both ways.
    FUNDING = "funding"
    FEES = "fees"
    REFUNDS_CLEARING = "refunds_clearing"


class CurrencyNotSupported(ValidationError):
    code = "currency_not_supported"


def _open(deps: WalletDeps, request: NewAccount) -> uuid.UUID:
    if request.id in deps.opened_accounts:
        return request.id
    [outcome] = deps.ledger.create_accounts([request])
    if outcome.result not in {CreateAccountResult.OK, CreateAccountResult.EXISTS}:
        raise RuntimeError(f"could not open ledger account: {outcome.result}")
    deps.opened_accounts.add(request.id)
    return request.id


def check_currency(currency: str) -> str:
    code = currency.strip().upper()
    if code not in SUPPORTED_CURRENCIES:
        raise CurrencyNotSupported("this currency is not supported", currency=currency)
    return code


def system_account(deps: WalletDeps, currency: str, role: SystemRole) -> uuid.UUID:
    account_id = uuid.uuid5(NAMESPACE, f"system:{currency}:{role.value}")
    kind = {
        SystemRole.FUNDING: AccountKind.FUNDING,
        SystemRole.FEES: AccountKind.FEES,
        SystemRole.REFUNDS_CLEARING: AccountKind.REFUNDS_CLEARING,
    }[role]
    return _open(deps, NewAccount(account_id, currency, kind, AccountFlags.NONE, f"system:{role}"))


def wallet_account(deps: WalletDeps, user_id: uuid.UUID, currency: str) -> uuid.UUID:
    """The user's wallet in ``currency``, opened if needed. Never goes below zero."""
    currency = check_currency(currency)
    account_id = uuid.uuid5(NAMESPACE, f"wallet:{user_id}:{currency}")
    if account_id in deps.opened_accounts:
        return account_id
    _open(
        deps,
        NewAccount(
            account_id,
            currency,
            AccountKind.CUSTOMER_WALLET,
            AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
            f"user:{user_id}",
        ),
    )

    def link(conn: Connection) -> None:
        maker = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(
            maker(t.wallets)
            .values(
                user_id=user_id,
                currency=currency,
                account_id=account_id,
                created_at=deps.clock.now(),
            )
            .on_conflict_do_nothing()
        )

    deps.transaction(link)
    return account_id


def merchant_account_id(merchant_id: uuid.UUID, currency: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"merchant:{merchant_id}:{currency}")


def user_wallets(conn: Connection, user_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
    rows = conn.execute(
        select(t.wallets.c.currency, t.wallets.c.account_id)
        .where(t.wallets.c.user_id == user_id)
        .order_by(t.wallets.c.currency)
    ).all()
    return [(r.currency, r.account_id) for r in rows]
