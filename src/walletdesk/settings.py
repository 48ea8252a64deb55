"""Settings, read from the environment (prefix ``WALLETDESK_``) with safe defaults."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The signing keys' defaults, published here: they serve `make run` on one machine only.
# Served to anyone but this machine, they would let anyone forge inbound channel messages
# (and file tickets on any customer's account) or mint rating links: `walletdesk serve`
# refuses to bind such an address while one of them is set (unsafe_signing_keys).
DEV_CHANNELS_SECRET = "dev-channels-secret-change-me"  # noqa: S105
DEV_CSAT_SECRET = "dev-csat-secret-change-me"  # noqa: S105
# Shorter keys are guessable offline from one signed request or link.
MIN_SIGNING_KEY_LENGTH = 16
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


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
    # SERIALIZABLE (and CockroachDB) abort contended transactions by design; 30 jittered
    # retries make an abort reaching the caller vanishingly rare under heavy contention.
    max_transaction_retries: int = Field(default=30, ge=0)
    # A customer paying in a shop waits at most this long for the database; past it the
    # payment fails as network_timeout (nothing charged, retry with the same key is safe).
    payment_deadline_seconds: float = Field(default=10.0, gt=0, le=120)
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
    # Texts with a one-time code to one phone number (the customer's own step-ups and
    # agents' checks on tickets together): each costs money and, unchecked, lets a
    # session holder or an agent flood someone's phone. 5 per 15 minutes covers retries
    # of a lost text; 10 per day (a rolling day from the first) stops a slow flood.
    sms_codes_per_phone_short: int = Field(default=5, ge=1)
    sms_short_window_minutes: int = Field(default=15, ge=1)
    sms_codes_per_phone_daily: int = Field(default=10, ge=1)
    # Lockout: this many failures in the window locks the account for lockout_minutes.
    max_failed_logins: int = Field(default=5, ge=1)
    max_failed_logins_per_source: int = Field(default=20, ge=1)
    failure_window_minutes: int = Field(default=15, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    # After a phone/email/card change, withdrawals to newly added cards wait this long.
    cooling_off_hours: int = Field(default=24, ge=0)
    totp_issuer: str = "walletdesk"
    # Payments, P2P transfers and withdrawals at or above this many minor units need a
    # fresh step-up verification (strong customer authentication, wallet/step_up.py);
    # below it the session is enough.
    sca_threshold_minor: int = Field(default=200_000, ge=0)

    # -- customer-service channels ----------------------------------------------
    # Shared with the email/phone/social gateways that sign inbound requests. The default
    # only serves the local demo; production must set WALLETDESK_CHANNELS_SECRET.
    channels_secret: SecretStr = SecretStr(DEV_CHANNELS_SECRET)
    # Signs the CSAT links sent when a ticket is solved (HMAC-SHA256). Its own key: the
    # channels secret is shared with outside gateways, which must not mint rating links.
    # Production must set WALLETDESK_CSAT_SECRET; changing it voids links already sent.
    csat_secret: SecretStr = SecretStr(DEV_CSAT_SECRET)
    # Where people reach the site, for links in emails (CSAT, payment links).
    public_url: str = "http://127.0.0.1:8000"
    # Threads serving the (synchronous) routes per process; near the connection pool size.
    http_threads: int = Field(default=16, ge=2, le=200)
    # How often housekeeping recomputes the whole ledger against its invariants (0: never).
    # A full scan: hourly is cheap below tens of millions of entries.
    ledger_check_interval_seconds: int = Field(default=3_600, ge=0)
    # Housekeeping copies the audit chain's head to this file (JSON lines) when it has
    # moved, at most once per interval; `walletdesk audit verify` checks the log against
    # it. Ship the file off the host. Empty path or interval 0: no anchors.
    audit_anchor_file: str = "var/audit-anchors.jsonl"
    audit_anchor_interval_seconds: int = Field(default=300, ge=0)
    # Signs the web pages' CSRF tokens. Unset, each process draws a random one: forms
    # then survive only as long as the process, which is right for one dev server;
    # several processes behind a balancer must share a set value.
    web_secret: SecretStr | None = None
    # Cookies are Secure whenever the request came over https; this forces it also when
    # TLS ends at a proxy that does not forward the scheme.
    cookie_secure: bool = False

    # -- notifications -------------------------------------------------------------
    # "stored" keeps every email in notify_messages (the local twin: demo, tests);
    # "smtp" hands them to the SMTP server below. SMS always uses its twin for now.
    email_backend: Literal["stored", "smtp"] = "stored"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    # STARTTLS on the submission port; turn off only for a relay on localhost.
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # The From header, e.g. "walletdesk <no-reply@example.com>".
    smtp_sender: str | None = None
    # Seconds allowed for connecting and for each SMTP exchange; a dead mail server
    # delays one delivery attempt by at most this much per step, never the worker.
    smtp_timeout: float = Field(default=10.0, gt=0)
    # Failed deliveries of one alert before it is marked dead (with backoff between).
    notify_max_attempts: int = Field(default=8, ge=1)
    # Seconds between outbox passes when the previous pass found no full batch.
    notify_interval_seconds: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _signing_keys_are_long_enough(self) -> Self:
        for name in ("channels_secret", "csat_secret"):
            if len(getattr(self, name).get_secret_value()) < MIN_SIGNING_KEY_LENGTH:
                raise ValueError(f"{name} needs at least {MIN_SIGNING_KEY_LENGTH} characters")
        return self

    def unsafe_signing_keys(self, host: str) -> list[str]:
        """The signing keys still at their published defaults, when serving ``host``
        beyond this machine (their environment variables name them); none on loopback."""
        if host in LOOPBACK_HOSTS:
            return []
        defaults = {"channels_secret": DEV_CHANNELS_SECRET, "csat_secret": DEV_CSAT_SECRET}
        return [
            f"WALLETDESK_{name.upper()}"
            for name, default in defaults.items()
            if getattr(self, name).get_secret_value() == default
        ]

    @model_validator(mode="after")
    def _smtp_needs_a_server_and_a_sender(self) -> Self:
        if self.email_backend == "smtp" and not (self.smtp_host and self.smtp_sender):
            raise ValueError("email_backend 'smtp' needs smtp_host and smtp_sender")
        return self
