"""Append-only, hash-chained audit log of security-relevant events and sensitive actions.

Write with :func:`walletdesk.audit.log.record` inside the audited change's own
transaction; read with :func:`walletdesk.audit.log.list_records`; check the
chain with :func:`walletdesk.audit.verify.verify_chain` (``walletdesk audit verify``).
"""
