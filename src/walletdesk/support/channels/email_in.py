"""Inbound email: parse raw RFC 5322 bytes, decode every common Chinese encoding, thread.

Subjects and bodies arrive in UTF-8, GB2312/GBK/GB18030 or Big5, as RFC 2047
encoded-words and as quoted-printable or base64 parts. Labels lie (GB2312 mail
often holds GBK characters), so each is read with its widest superset
(:mod:`.charsets`); HTML-only mail keeps only the text a reader sees (:mod:`.html_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses

from walletdesk.support.channels.auto_replies import AUTO_REPLY, file_auto_reply
from walletdesk.support.channels.charsets import decode_bytes, decode_header_text
from walletdesk.support.channels.html_text import html_to_text
from walletdesk.support.channels.inbound import (
    Dropped,
    Outcome,
    customer_by_email,
    deliver,
    ticket_named_in,
)
from walletdesk.support.tickets.rules import Channel
from walletdesk.support.tickets.service import TicketDeps

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class InboundEmail:
    sender: str | None
    subject: str
    body: str
    message_id: str | None
    references: tuple[str, ...]  # In-Reply-To first, then References, oldest first
    automatic: bool = False  # an auto-reply, bulk or list mail (:func:`is_automatic`)


def _header(message: Message, name: str) -> str:
    """The header as sent, unfolded: addresses and Message-IDs are ASCII tokens, and
    reading them raw keeps a bad charset in a display name from losing the sender."""
    for key, value in message.raw_items():
        if key.lower() == name:
            return re.sub(r"\r?\n(?=[ \t])", "", str(value))
    return ""


# Precedence values that mean no person wrote this (RFC 3834 §3.1.8 and common use).
_AUTOMATIC_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})
_NOT_SET = frozenset({"", "no", "false", "0"})


def is_automatic(message: Message) -> bool:
    """True for mail a program sent on its own: ``Auto-Submitted`` other than ``no``
    (RFC 3834: auto-replied, auto-generated, ...), ``Precedence`` auto_reply, bulk, junk
    or list, or the ``X-Autoreply`` / ``X-Autorespond`` flags older responders set."""
    submitted = _header(message, "auto-submitted").split(";", 1)[0].strip().lower()
    if submitted not in _NOT_SET:
        return True
    if _header(message, "precedence").strip().lower() in _AUTOMATIC_PRECEDENCE:
        return True
    # Present means set, even empty; only an explicit "no" says otherwise.
    return any(
        name in message and _header(message, name).strip().lower() not in _NOT_SET - {""}
        for name in ("x-autoreply", "x-autorespond")
    )


def _text_part(message: EmailMessage) -> tuple[Message, bool] | None:
    if message.is_multipart():
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return None
        return part, part.get_content_type() == "text/html"
    if message.get_content_maintype() != "text":
        return None
    return message, message.get_content_type() == "text/html"


def _body(message: EmailMessage) -> str:
    found = _text_part(message)
    if found is None:
        return ""
    part, is_html = found
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset())
    if is_html:
        return html_to_text(text)
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip()


def parse(raw: bytes) -> InboundEmail:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    addresses = getaddresses([_header(message, "from")])
    sender = next((addr for _name, addr in addresses if "@" in addr), None)
    message_ids = _MESSAGE_ID.findall(_header(message, "message-id"))
    refs = _MESSAGE_ID.findall(_header(message, "references"))
    in_reply_to = _MESSAGE_ID.findall(_header(message, "in-reply-to"))
    ordered = list(dict.fromkeys([*refs, *in_reply_to]))
    return InboundEmail(
        sender=sender,
        subject=decode_header_text(_header(message, "subject")).strip(),
        body=_body(message),
        message_id=message_ids[0] if message_ids else None,
        references=tuple(ordered),
        automatic=is_automatic(message),
    )


def ref(message_id: str) -> str:
    return f"email:{message_id}"


def receive(
    deps: TicketDeps, raw: bytes, *, delivery: str | None = None
) -> Outcome | Dropped | None:
    """The ticket the email went to, or ``None`` when the sender is not a customer.

    ``delivery`` names this signed delivery (see api/routes/channels.py): an email
    without a Message-ID is known by it, so a replay of the same request is a duplicate.
    Automatic mail never opens or reopens a ticket (:mod:`.auto_replies`) and is never
    answered, so it is :class:`Dropped` where other mail would be (an unknown sender)."""
    mail = parse(raw)
    customer = customer_by_email(deps.engine, mail.sender) if mail.sender else None
    if customer is None:
        # The unknown-sender answer is an auto-reply of ours: to an auto-reply, a loop.
        return Dropped(AUTO_REPLY) if mail.automatic else None
    own_ref = ref(mail.message_id) if mail.message_id else delivery
    thread_refs = [ref(r) for r in mail.references]
    # A reply to mail we sent before its Message-ID was remembered, or from a client
    # that drops References, still quotes the ticket number in its subject.
    named_ticket = ticket_named_in(deps.engine, mail.subject, customer)
    if mail.automatic:
        return file_auto_reply(
            deps,
            customer,
            body=mail.body,
            own_ref=own_ref,
            thread_refs=thread_refs,
            named_ticket=named_ticket,
        )
    return deliver(
        deps,
        customer,
        channel=Channel.EMAIL,
        subject=mail.subject,
        body=mail.body,
        own_ref=own_ref,
        thread_refs=thread_refs,
        named_ticket=named_ticket,
    )
