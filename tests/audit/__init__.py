"""Audit log tests (a package, so its conftest never shadows another directory's)."""
