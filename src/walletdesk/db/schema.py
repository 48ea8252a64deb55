"""Every context's tables on one MetaData, for migrations and test set-up."""

from __future__ import annotations

from walletdesk.audit import tables as audit_tables
from walletdesk.db.types import metadata
from walletdesk.identity import tables as identity_tables
from walletdesk.ledger import tables as ledger_tables
from walletdesk.notify import tables as notify_tables
from walletdesk.support import actions_tables as agent_action_tables
from walletdesk.support.channels import tables as channel_tables
from walletdesk.support.contacts import tables as contact_tables
from walletdesk.support.helpcenter import tables as helpcenter_tables
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.wallet import tables as wallet_tables

__all__ = [
    "agent_action_tables",
    "audit_tables",
    "channel_tables",
    "contact_tables",
    "helpcenter_tables",
    "identity_tables",
    "ledger_tables",
    "metadata",
    "notify_tables",
    "ticket_tables",
    "wallet_tables",
]
