"""Alembic migrations. Run them with ``walletdesk db upgrade``."""
