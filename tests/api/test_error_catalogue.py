"""Every error any context can raise has a message and a title in en and zh-CN."""

from __future__ import annotations

import importlib
import pkgutil
import string

import pytest

import walletdesk.audit
import walletdesk.core
import walletdesk.identity
import walletdesk.ledger
import walletdesk.notify
import walletdesk.support
import walletdesk.wallet
import walletdesk.web
from walletdesk.api.i18n import MESSAGES, SUPPORTED
from walletdesk.core.errors import WalletdeskError

PACKAGES = (
    walletdesk.core,
    walletdesk.identity,
    walletdesk.notify,
    walletdesk.audit,
    walletdesk.ledger,
    walletdesk.wallet,
    walletdesk.support,
    walletdesk.web,
)


def error_classes() -> set[type[WalletdeskError]]:
    """WalletdeskError and every subclass defined in any context.

    Every module of those packages is imported first: a class defined in a module
    nothing has imported yet would otherwise be missed.
    """
    for package in PACKAGES:
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    found: set[type[WalletdeskError]] = set()
    pending: list[type[WalletdeskError]] = [WalletdeskError]
    while pending:
        cls = pending.pop()
        if cls in found:
            continue
        found.add(cls)
        pending.extend(cls.__subclasses__())
    prefixes = tuple(f"{package.__name__}." for package in PACKAGES)
    return {cls for cls in found if cls.__module__.startswith(prefixes)}


CODES = sorted({cls.code for cls in error_classes()})


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_walk_finds_the_errors_of_all_three_packages() -> None:
    # A walk that silently found nothing would pass every test below.
    for code in ("not_found", "invalid_credentials", "no_phone_on_file", "delivery_failed"):
        assert code in CODES
    assert "security_alerts_required" in CODES
    assert "preference_not_adjustable" in CODES


@pytest.mark.parametrize("code", CODES)
def test_every_error_code_has_a_message_and_a_title_in_both_languages(code: str) -> None:
    for key in (code, f"title.{code}"):
        assert key in MESSAGES, key
        for locale in SUPPORTED:
            assert MESSAGES[key].get(locale, "").strip(), (key, locale)
        assert placeholders(MESSAGES[key]["en"]) == placeholders(MESSAGES[key]["zh-CN"]), key
        # The Chinese text is a translation, not the English copied over.
        assert any("\u4e00" <= ch <= "\u9fff" for ch in MESSAGES[key]["zh-CN"]), key
