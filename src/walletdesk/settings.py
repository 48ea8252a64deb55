"""Settings, read from the environment (prefix ``WALLETDESK_``) with safe defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable. Defaults are what ``make run`` needs on a fresh machine."""

    model_config = SettingsConfigDict(env_prefix="WALLETDESK_", extra="ignore")

    database_url: str = "sqlite:///var/walletdesk.db"
    # FULL: a committed transfer survives power loss (WAL + fsync on every commit).
    # NORMAL would be faster but may lose the last commits on power failure.
    sqlite_synchronous: Literal["FULL", "NORMAL", "EXTRA"] = "FULL"
    # How long a SQLite writer waits for the lock before giving up, in milliseconds.
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    # PostgreSQL isolation: READ COMMITTED with row locks is enough for the ledger;
    # SERIALIZABLE is the CockroachDB path and is exercised by the test-suite too.
    isolation_level: Literal["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"] = "READ COMMITTED"
    max_transaction_retries: int = Field(default=12, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    default_locale: Literal["en", "zh-CN"] = "en"

    # -- identity ---------------------------------------------------------------
    # argon2id cost: RFC 9106's second recommended option (t=3, 64 MiB). Tests lower
    # it; production must not. Login is deliberately expensive (see bench/RESULTS.md).
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    argon2_parallelism: int = Field(default=1, ge=1)
    session_ttl_hours: int = Field(default=12, ge=1)
    verification_ttl_seconds: int = Field(default=300, ge=30)
    sms_code_ttl_seconds: int = Field(default=300, ge=30)
    # Lockout: this many failures in the window locks the account for lockout_minutes.
    max_failed_logins: int = Field(default=5, ge=1)
    max_failed_logins_per_source: int = Field(default=20, ge=1)
    failure_window_minutes: int = Field(default=15, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    # After a phone/email/card change, withdrawals to newly added cards wait this long.
    cooling_off_hours: int = Field(default=24, ge=0)
    totp_issuer: str = "walletdesk"
