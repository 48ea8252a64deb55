"""Settings choose the email carrier and the dispatcher's limits; bootstrap wires them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pydantic
import pytest

from walletdesk.bootstrap import build
from walletdesk.notify.channels import SmtpEmailSender, StoredEmailSender
from walletdesk.settings import Settings


def settings_at(tmp_path: Path, **values: object) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'walletdesk.db'}", **values)


def test_email_is_stored_locally_by_default(tmp_path: Path) -> None:
    container = build(settings_at(tmp_path))
    try:
        assert isinstance(container.email, StoredEmailSender)
        assert container.dispatcher.email is container.email
        assert container.dispatcher.max_attempts == 8
    finally:
        container.close()


def test_smtp_is_used_when_configured_with_its_timeout_and_password(tmp_path: Path) -> None:
    settings = settings_at(
        tmp_path,
        email_backend="smtp",
        smtp_host="mail.example.com",
        smtp_port=2525,
        smtp_starttls=False,
        smtp_username="walletdesk",
        smtp_password="s3cret-relay-pass",
        smtp_sender="walletdesk <no-reply@example.com>",
        smtp_timeout=7.5,
        notify_max_attempts=3,
    )
    # The password never shows in the settings' repr (and so in a logged config).
    assert "s3cret-relay-pass" not in repr(settings)
    container = build(settings)
    try:
        sender = container.email
        assert isinstance(sender, SmtpEmailSender)
        assert (sender.host, sender.port, sender.starttls) == ("mail.example.com", 2525, False)
        assert (sender.username, sender.sender) == (
            "walletdesk",
            "walletdesk <no-reply@example.com>",
        )
        assert sender.timeout == 7.5
        assert container.dispatcher.email is sender
        assert container.dispatcher.max_attempts == 3
        # A batch of slow SMTP sends must not outlive the claim on its rows.
        assert container.dispatcher.lease >= timedelta(seconds=100 * 7.5)
    finally:
        container.close()


@pytest.mark.parametrize(
    "missing", [{}, {"smtp_host": "mail.example.com"}, {"smtp_sender": "a@example.com"}]
)
def test_smtp_without_a_server_or_a_sender_is_refused_at_start(
    tmp_path: Path, missing: dict[str, str]
) -> None:
    with pytest.raises(pydantic.ValidationError, match="smtp_host and smtp_sender"):
        settings_at(tmp_path, email_backend="smtp", **missing)


@pytest.mark.parametrize(
    "values", [{"notify_max_attempts": 0}, {"notify_interval_seconds": 0}, {"smtp_timeout": 0}]
)
def test_nonsensical_notify_limits_are_refused(tmp_path: Path, values: dict[str, float]) -> None:
    with pytest.raises(pydantic.ValidationError):
        settings_at(tmp_path, **values)
