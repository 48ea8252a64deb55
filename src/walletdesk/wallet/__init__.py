"""What a wallet does, on top of the ledger: funding, P2P, merchant payments, refunds, limits."""
