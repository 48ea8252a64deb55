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
    "contact_change_invalid": {
        "en": "This directory change cannot be accepted: {problem}",
        "zh-CN": "该名录修改无法接受：{problem}",
    },
    "title.contact_change_invalid": {"en": "Invalid directory change", "zh-CN": "名录修改无效"},
    "contact_change_reviewed": {
        "en": "This directory change was already reviewed ({state}).",
        "zh-CN": "该名录修改已审核（{state}）。",
    },
    "title.contact_change_reviewed": {"en": "Already reviewed", "zh-CN": "已审核"},
    "contact_change_own": {
        "en": "A second admin must review a directory change; you proposed this one.",
        "zh-CN": "名录修改须由另一位管理员审核，这条修改是您提交的。",
    },
    "title.contact_change_own": {"en": "Needs a second admin", "zh-CN": "需要另一位管理员"},
}
