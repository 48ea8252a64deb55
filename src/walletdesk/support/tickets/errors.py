"""Errors of the tickets context and their messages in both languages."""

from __future__ import annotations

from walletdesk.core.errors import Conflict


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
}

# Shown to the customer when their text looks like a fake customer-service script.
SCAM_WARNING: dict[str, str] = {
    "en": "Warning: what you describe looks like a scam. We never ask for verification "
    "codes, passwords or transfers to a 'safe account'. Do not send money or codes to "
    "anyone; an agent will contact you only through this ticket.",
    "zh-CN": "警告：您描述的情况很像诈骗。我们绝不会索要验证码、密码，也不会要求转账到“安全账户”。"
    "请勿向任何人转账或提供验证码；客服只会通过本工单与您联系。",
}
