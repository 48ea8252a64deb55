"""The accounting engine: accounts, transfers, holds, balances and their invariants.

Modelled on TigerBeetle's data model. Knows nothing of users, payments or HTTP.
Public entry point: :class:`walletdesk.ledger.service.Ledger`.
"""
