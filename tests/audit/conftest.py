"""Audit tests: register the audit tables on the shared metadata before any schema is created.

The root conftest creates each test database from ``walletdesk.db.schema.metadata``
when a test first asks for it; conftest modules are all imported during
collection, before that, so importing the tables here is early enough.
"""

from __future__ import annotations

from walletdesk.audit import tables as audit_tables
from walletdesk.db.schema import metadata

assert audit_tables.audit_log.name in metadata.tables
