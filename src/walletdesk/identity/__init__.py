"""Users, credentials, sessions, 2FA, step-up verification, KYC tiers, devices, account changes."""
