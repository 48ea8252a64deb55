"""The ``walletdesk`` command line (Typer)."""
