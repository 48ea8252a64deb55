"""Errors of the contacts context and their messages in both languages."""

from __future__ import annotations

from walletdesk.core.errors import NotFound


class UnknownProvider(NotFound):
    """The provider named in the request is not in the directory (by id, name or alias)."""

    code = "unknown_provider"


class DirectoryInvalid(ValueError):
    """The shipped directory data failed validation; it is a build error, never served."""


# code -> locale -> template, merged into the API's catalogue (api/i18n.py).
ERRORS: dict[str, dict[str, str]] = {
    "unknown_provider": {
        "en": "We have no directory entry for {provider}. GET /api/v1/contacts lists the providers we know.",
        "zh-CN": "目录中没有“{provider}”。可通过 GET /api/v1/contacts 查看已收录的服务商。",
    },
    "title.unknown_provider": {"en": "Unknown provider", "zh-CN": "未知服务商"},
}
