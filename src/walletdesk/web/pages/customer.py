"""The customer's pages, one router: the wallet, paying and payments, account and
security, and "Me -> Help & feedback". Their shared pieces are in ``customer_forms``."""

from __future__ import annotations

from fastapi import APIRouter

from walletdesk.web.pages import customer_account, customer_help, customer_payments, customer_wallet

router = APIRouter(include_in_schema=False)
for part in (customer_wallet, customer_payments, customer_account, customer_help):
    router.include_router(part.router)
