"""Errors of the tickets context and their messages in both languages."""

from __future__ import annotations

from walletdesk.core.errors import Conflict, NotFound, ValidationError, WalletdeskError


class InvalidTransition(Conflict):
    """The ticket cannot move from its status to the one asked for."""

    code = "invalid_ticket_transition"


class TicketClosed(Conflict):
    """A closed ticket takes no more replies."""

    code = "ticket_closed"


class CsatNotOpen(Conflict):
    """Satisfaction is asked for once the ticket is solved."""

    code = "csat_not_open"


class CsatAlreadyGiven(Conflict):
    code = "csat_already_given"


class CsatLinkInvalid(NotFound):
    """The link was altered, cut short or signed with another key: it names no ticket."""

    code = "csat_link_invalid"


class CsatLinkExpired(WalletdeskError):
    code = "csat_link_expired"
    http_status = 410


class MergeIntoItself(ValidationError):
    code = "merge_into_itself"


class MergeAcrossCustomers(Conflict):
    """Tickets of two customers never mix: each would see the other's messages."""

    code = "merge_across_customers"


class MergeSourceClosed(Conflict):
    code = "merge_source_closed"


class MergeTargetClosed(Conflict):
    code = "merge_target_closed"


class MacroPlaceholderUnknown(ValidationError):
    code = "macro_placeholder_unknown"


class MacroTemplateInvalid(ValidationError):
    """Unbalanced braces, or a placeholder with an attribute, index or format spec."""

    code = "macro_template_invalid"


class MacroPlaceholdersDiffer(ValidationError):
    """Both languages must use the same placeholders, so a macro fits a ticket whatever
    the customer's language."""

    code = "macro_placeholders_differ"


class MacroStatusNotAllowed(ValidationError):
    code = "macro_status_not_allowed"


class MacroNameTaken(Conflict):
    code = "macro_name_taken"


class MacroInactive(Conflict):
    code = "macro_inactive"


class MacroPlaceholderUnavailable(Conflict):
    """The macro needs a value this ticket does not have (e.g. no linked payment)."""

    code = "macro_placeholder_unavailable"


# code -> locale -> template, merged into the API's catalogue (api/i18n.py).
ERRORS: dict[str, dict[str, str]] = {
    "invalid_ticket_transition": {
        "en": "A ticket in status {current} cannot be moved to {target}.",
        "zh-CN": "工单当前状态为 {current}，不能变更为 {target}。",
    },
    "title.invalid_ticket_transition": {"en": "Invalid status change", "zh-CN": "状态变更无效"},
    "ticket_closed": {
        "en": "This ticket is closed; please open a new one.",
        "zh-CN": "该工单已关闭，请新建工单。",
    },
    "title.ticket_closed": {"en": "Ticket closed", "zh-CN": "工单已关闭"},
    "invalid_cursor": {
        "en": "This page link is not one the queue gave out; start again from the first page.",
        "zh-CN": "该分页链接无效，请从第一页重新查看。",
    },
    "title.invalid_cursor": {"en": "Invalid page", "zh-CN": "分页无效"},
    "csat_not_open": {
        "en": "You can rate a ticket once it is solved.",
        "zh-CN": "工单解决后才能评价。",
    },
    "title.csat_not_open": {"en": "Not ready for rating", "zh-CN": "暂不能评价"},
    "csat_already_given": {
        "en": "You have already rated this ticket.",
        "zh-CN": "您已评价过该工单。",
    },
    "title.csat_already_given": {"en": "Already rated", "zh-CN": "已评价"},
    "csat_link_invalid": {
        "en": "This rating link is not valid. Please use the link exactly as we sent it.",
        "zh-CN": "该评价链接无效，请使用我们发送给您的完整链接。",
    },
    "title.csat_link_invalid": {"en": "Invalid link", "zh-CN": "链接无效"},
    "csat_link_expired": {
        "en": "This rating link has expired (links are valid for 7 days after a ticket is "
        "solved). You can still rate the ticket from Help in the app.",
        "zh-CN": "该评价链接已过期（链接在工单解决后 7 天内有效）。您仍可在 App 的“帮助”中评价该工单。",
    },
    "title.csat_link_expired": {"en": "Link expired", "zh-CN": "链接已过期"},
    "merge_into_itself": {
        "en": "A ticket cannot be merged into itself.",
        "zh-CN": "工单不能合并到其自身。",
    },
    "title.merge_into_itself": {"en": "Invalid merge", "zh-CN": "合并无效"},
    "merge_across_customers": {
        "en": "Only tickets of the same customer can be merged.",
        "zh-CN": "只能合并同一客户的工单。",
    },
    "title.merge_across_customers": {"en": "Different customers", "zh-CN": "客户不同"},
    "merge_source_closed": {
        "en": "Ticket {number} is {status} and cannot be merged.",
        "zh-CN": "工单 {number} 的状态为 {status}，不能合并。",
    },
    "title.merge_source_closed": {"en": "Cannot merge this ticket", "zh-CN": "无法合并该工单"},
    "merge_target_closed": {
        "en": "Ticket {number} is {status}; merge into an open ticket instead.",
        "zh-CN": "工单 {number} 的状态为 {status}，请合并到未关闭的工单。",
    },
    "title.merge_target_closed": {"en": "Target ticket closed", "zh-CN": "目标工单已关闭"},
    "macro_placeholder_unknown": {
        "en": "Unknown placeholder {unknown}. Use only: {allowed}.",
        "zh-CN": "未知的占位符 {unknown}。只能使用：{allowed}。",
    },
    "title.macro_placeholder_unknown": {"en": "Unknown placeholder", "zh-CN": "占位符未知"},
    "macro_template_invalid": {
        "en": "The {field} text is not a valid template: write placeholders as "
        "{{customer_name}} and a literal brace as {{{{ or }}}}.",
        "zh-CN": "{field} 的内容不是有效的模板：占位符应写作 {{customer_name}}，"
        "字面的花括号请写作 {{{{ 或 }}}}。",
    },
    "title.macro_template_invalid": {"en": "Invalid template", "zh-CN": "模板无效"},
    "macro_placeholders_differ": {
        "en": "The English and Chinese texts must use the same placeholders "
        "(English: {en}; Chinese: {zh}).",
        "zh-CN": "英文和中文内容必须使用相同的占位符（英文：{en}；中文：{zh}）。",
    },
    "title.macro_placeholders_differ": {"en": "Placeholders differ", "zh-CN": "占位符不一致"},
    "macro_status_not_allowed": {
        "en": "A macro can set the status to {allowed} only.",
        "zh-CN": "快捷回复只能将状态设置为 {allowed}。",
    },
    "title.macro_status_not_allowed": {"en": "Status not allowed", "zh-CN": "状态不允许"},
    "macro_name_taken": {
        "en": "A macro named “{name}” already exists.",
        "zh-CN": "已存在名为“{name}”的快捷回复。",
    },
    "title.macro_name_taken": {"en": "Name taken", "zh-CN": "名称已被使用"},
    "macro_inactive": {
        "en": "This macro is switched off.",
        "zh-CN": "该快捷回复已停用。",
    },
    "title.macro_inactive": {"en": "Macro switched off", "zh-CN": "快捷回复已停用"},
    "macro_placeholder_unavailable": {
        "en": "This macro uses {placeholder}, which this ticket does not have.",
        "zh-CN": "该快捷回复使用了 {placeholder}，但该工单没有这项信息。",
    },
    "title.macro_placeholder_unavailable": {
        "en": "Macro does not fit this ticket",
        "zh-CN": "快捷回复不适用于该工单",
    },
}

# Shown to the customer when their text looks like a fake customer-service script.
SCAM_WARNING: dict[str, str] = {
    "en": "Warning: what you describe looks like a scam. We never ask for verification "
    "codes, passwords or transfers to a 'safe account'. Do not send money or codes to "
    "anyone; an agent will contact you only through this ticket.",
    "zh-CN": "警告：您描述的情况很像诈骗。我们绝不会索要验证码、密码，也不会要求转账到“安全账户”。"
    "请勿向任何人转账或提供验证码；客服只会通过本工单与您联系。",
}
