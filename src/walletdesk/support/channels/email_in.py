"""Inbound email: parse raw RFC 5322 bytes, decode every common Chinese encoding, thread.

Subjects and bodies arrive in UTF-8, GB2312/GBK/GB18030 or Big5, as RFC 2047
encoded-words and as quoted-printable or base64 parts. Labels lie (GB2312 mail
often holds GBK characters), so each is read with its widest superset.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses

from walletdesk.support.channels.html_text import html_to_text
from walletdesk.support.channels.inbound import (
    Outcome,
    customer_by_email,
    deliver,
)
from walletdesk.support.tickets.rules import Channel
from walletdesk.support.tickets.service import TicketDeps

# A label -> the codec that also reads what senders really put under it.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cp950": "big5hkscs",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class InboundEmail:
    sender: str | None
    subject: str
    body: str
    message_id: str | None
    references: tuple[str, ...]  # In-Reply-To first, then References, oldest first


def _codec(charset: str | None) -> str:
    name = (charset or "utf-8").strip().strip('"').lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def decode_bytes(data: bytes, charset: str | None) -> str:
    """``data`` in ``charset``; undecodable bytes are replaced, never fatal."""
    codec = _codec(charset)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        for fallback in ("utf-8", "gb18030", "big5hkscs"):
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                continue
        return data.decode(codec, errors="replace")


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    try:
        return str(value)
    except (LookupError, UnicodeError, ValueError):  # an unknown charset in an encoded-word
        return ""


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
        subject=_header(message, "subject").strip(),
        body=_body(message),
        message_id=message_ids[0] if message_ids else None,
        references=tuple(ordered),
    )


def ref(message_id: str) -> str:
    return f"email:{message_id}"


def receive(deps: TicketDeps, raw: bytes, *, delivery: str | None = None) -> Outcome | None:
    """The ticket the email went to, or ``None`` when the sender is not a customer.

    ``delivery`` names this signed delivery (see api/routes/channels.py): an email
    without a Message-ID is known by it, so a replay of the same request is a duplicate."""
    mail = parse(raw)
    customer = customer_by_email(deps.engine, mail.sender) if mail.sender else None
    if customer is None:
        return None
    return deliver(
        deps,
        customer,
        channel=Channel.EMAIL,
        subject=mail.subject,
        body=mail.body,
        own_ref=ref(mail.message_id) if mail.message_id else delivery,
        thread_refs=[ref(r) for r in mail.references],
    )
