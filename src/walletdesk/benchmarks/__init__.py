"""Benchmarks run by ``walletdesk bench``; each returns a JSON-able report."""
