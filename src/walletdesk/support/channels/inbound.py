"""What every channel shares: finding the customer, threading, and making the ticket."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, exists, insert, select
from sqlalchemy.exc import IntegrityError

from walletdesk.identity import tables as identity_tables
from walletdesk.identity.contacts import normalise_email, normalise_phone
from walletdesk.identity.errors import EmailInvalid, PhoneInvalid
from walletdesk.identity.model import User
from walletdesk.support.channels.tables import channel_refs
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.support.tickets.errors import TicketClosed
from walletdesk.support.tickets.rules import Channel
from walletdesk.support.tickets.service import TicketDeps, do_create_ticket, do_customer_reply

SUBJECT_MAX = 200
BODY_MAX = 10_000

UNKNOWN_SENDER_NOTE = (
    "The sender is not a walletdesk customer with this email or phone verified; they get "
    "the auto-reply (auto_reply) pointing to the app, where they can sign in and verify it, "
    "the official help centre and the in-app chat. Nothing was stored."
)
# What the gateway answers an unknown sender with on their channel, in both languages (we
# do not know theirs). The same words whether or not an account holds that contact
# unverified: the answer must not tell a stranger which addresses are registered.
UNKNOWN_SENDER_REPLY = {
    "en": (
        "Thank you for contacting walletdesk. This message is not linked to a walletdesk "
        "account with a verified email address or phone number, so it was not saved. If "
        "you have an account, sign in to the walletdesk app and verify your email address "
        "and phone number under Me; after that, messages and calls from them reach your "
        "account. You can also write to us in the app (Me > Help & feedback) or read the "
        "official help centre. walletdesk will never ask for your password or codes."
    ),
    "zh-CN": (
        "感谢您联系 walletdesk。这条消息未关联到已验证邮箱或手机号的 walletdesk 账户，"
        "因此未被保存。如果您有账户，请登录 walletdesk App，在“我的”页面验证您的邮箱和手机号，"
        "之后从它们发来的消息和来电才会进入您的账户。您也可以在 App 内（我的 > 帮助与反馈）"
        "联系我们，或查看官方帮助中心。walletdesk 绝不会向您索要密码或验证码。"
    ),
}


@dataclass(frozen=True)
class Outcome:
    """The ticket a message landed on; ``threaded`` when it joined an existing one,
    ``automatic`` when it was an auto-reply kept as an internal note."""

    ticket: dict[str, Any]
    threaded: bool
    duplicate: bool = False
    automatic: bool = False

    def public(self) -> dict[str, Any]:
        if self.duplicate:
            status = "duplicate"
        elif self.automatic:
            status = "auto_reply"
        else:
            status = "threaded" if self.threaded else "created"
        return {
            "status": status,
            "ticket_id": self.ticket["id"],
            "number": self.ticket["number"],
            "channel": self.ticket["channel"],
            "threaded": self.threaded,
        }


@dataclass(frozen=True)
class Dropped:
    """A message deliberately not stored, and not to be answered; ``status`` says why."""

    status: str

    def public(self) -> dict[str, Any]:
        return {"status": self.status, "ticket_id": None}


def unknown(note: str = UNKNOWN_SENDER_NOTE) -> dict[str, Any]:
    return {
        "status": "unknown_sender",
        "ticket_id": None,
        "note": note,
        "auto_reply": dict(UNKNOWN_SENDER_REPLY),
    }


def _user(engine: Engine, column: Any, value: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(identity_tables.users).where(column == value)).first()
    return User.from_row(row) if row is not None else None


def customer_by_email(engine: Engine, raw: str) -> User | None:
    """The customer whose *verified* email address ``raw`` is, else None. Sign-up takes
    any address on trust: an unverified one may be someone else's, and matching it would
    hand that person's mail to whoever typed it (identity.contact_verification)."""
    try:
        address = normalise_email(raw)
    except EmailInvalid:
        return None
    customer = _user(engine, identity_tables.users.c.email, address)
    return customer if customer is not None and customer.email_verified_at else None


def customer_by_phone(engine: Engine, raw: str) -> User | None:
    """The customer whose *verified* phone number ``raw`` is, else None (as for email)."""
    try:
        number = normalise_phone(raw)
    except PhoneInvalid:
        return None
    customer = _user(engine, identity_tables.users.c.phone, number)
    return customer if customer is not None and customer.phone_verified_at else None


def _ticket_row(engine: Engine, ticket_id: uuid.UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(ticket_tables.tickets).where(ticket_tables.tickets.c.id == ticket_id)
        ).first()


def ticket_for_refs(engine: Engine, refs: Sequence[str], customer: User) -> uuid.UUID | None:
    """The customer's ticket that one of ``refs`` was stored against (latest ref wins)."""
    if not refs:
        return None
    with engine.connect() as conn:
        rows = conn.execute(
            select(channel_refs.c.ref, channel_refs.c.ticket_id).where(
                channel_refs.c.ref.in_(list(refs)), channel_refs.c.customer_id == customer.id
            )
        ).all()
    found: dict[str, uuid.UUID] = {row.ref: row.ticket_id for row in rows}
    for ref in reversed(list(refs)):
        ticket_id = found.get(ref)
        if ticket_id is not None and _ticket_row(engine, ticket_id) is not None:
            return ticket_id
    return None


def remember(
    deps: TicketDeps,
    ref: str,
    channel: Channel,
    ticket_id: uuid.UUID,
    who: User,
    *,
    replace: bool = False,
) -> None:
    """Store ``ref`` -> ticket; ``replace`` points an existing ref at a newer ticket."""
    try:
        with deps.engine.begin() as conn:
            if replace:
                conn.execute(delete(channel_refs).where(channel_refs.c.ref == ref))
            conn.execute(
                insert(channel_refs).values(
                    ref=ref,
                    channel=channel.value,
                    ticket_id=ticket_id,
                    customer_id=who.id,
                    created_at=deps.now(),
                )
            )
    except IntegrityError:
        # Delivered twice at once: the first one wins, unless its ticket is gone.
        with deps.engine.connect() as conn:
            held = conn.execute(
                select(channel_refs.c.ticket_id).where(channel_refs.c.ref == ref)
            ).scalar_one_or_none()
        if not replace and (held is None or _ticket_row(deps.engine, held) is None):
            remember(deps, ref, channel, ticket_id, who, replace=True)


def duplicate_of(deps: TicketDeps, own_ref: str, customer: User) -> Outcome | None:
    """The answer to a message this customer's ``own_ref`` already filed, if it did."""
    seen = ticket_for_refs(deps.engine, [own_ref], customer)
    if seen is None:
        return None
    row = _ticket_row(deps.engine, seen)
    known = {"id": str(row.id), "number": row.number, "channel": row.channel}
    return Outcome(known, threaded=False, duplicate=True)


def _ref_held(engine: Engine, ref: str) -> bool:
    with engine.connect() as conn:
        held = conn.execute(select(channel_refs.c.ref).where(channel_refs.c.ref == ref)).first()
    return held is not None


# A ticket number as customers see it (support.tickets.service.ticket_number).
_TICKET_NUMBER = re.compile(r"\bWD-\d{6,}\b")


def ticket_named_in(engine: Engine, subject: str, customer: User) -> uuid.UUID | None:
    """The customer's own ticket whose number (WD-000123) ``subject`` quotes, the latest
    if it quotes several; another customer's number names nothing."""
    numbers = _TICKET_NUMBER.findall(subject)
    if not numbers:
        return None
    tickets = ticket_tables.tickets
    with engine.connect() as conn:
        found: uuid.UUID | None = conn.execute(
            select(tickets.c.id)
            .where(tickets.c.number.in_(numbers), tickets.c.customer_id == customer.id)
            .order_by(tickets.c.seq.desc())
            .limit(1)
        ).scalar_one_or_none()
    return found


def claim_ref(
    deps: TicketDeps, ref: str, channel: Channel, customer: User
) -> Callable[[Connection, uuid.UUID], None]:
    """Store ``ref`` -> ticket inside the transaction that writes the message, so the
    message and its id are stored together or not at all. A second delivery of the same
    message, racing the first, fails there on the key (IntegrityError), not later."""

    def claim(conn: Connection, ticket_id: uuid.UUID) -> None:
        # A ref whose ticket is gone names nothing any more: this message may take it.
        gone = ~exists().where(ticket_tables.tickets.c.id == channel_refs.c.ticket_id)
        conn.execute(delete(channel_refs).where(channel_refs.c.ref == ref, gone))
        conn.execute(
            insert(channel_refs).values(
                ref=ref,
                channel=channel.value,
                ticket_id=ticket_id,
                customer_id=customer.id,
                created_at=deps.now(),
            )
        )

    return claim


def deliver(
    deps: TicketDeps,
    customer: User,
    *,
    channel: Channel,
    subject: str,
    body: str,
    own_ref: str | None,
    thread_refs: Sequence[str] = (),
    named_ticket: uuid.UUID | None = None,
) -> Outcome:
    """Put a message on the ticket it continues, or on a new ticket of ``channel``.

    ``own_ref`` identifies this message (redelivery returns the ticket it made, even
    while the first delivery is still being filed); ``thread_refs`` are the references
    it replies to; ``named_ticket``, the customer's ticket it names otherwise (its number
    in an email subject), is continued when none of ``thread_refs`` is known."""
    subject = " ".join(subject.split())[:SUBJECT_MAX] or "(no subject)"
    body = body.strip()[:BODY_MAX] or "(no text)"
    return file_once(
        deps,
        customer,
        own_ref,
        lambda ref: _file(deps, customer, channel, subject, body, ref, thread_refs, named_ticket),
    )


def file_once(
    deps: TicketDeps,
    customer: User,
    own_ref: str | None,
    file: Callable[[str | None], Outcome],
) -> Outcome:
    """File a message once by its own id: ``file(ref)`` writes it, claiming ``ref`` in its
    own transaction (None: no id to claim). A redelivery, or a delivery racing this one,
    answers with what the first filed. An id another customer's message holds (a forged
    or colliding Message-ID) is not ours to deduplicate by: the message is filed without
    it."""
    if own_ref is None:
        return file(None)
    known = duplicate_of(deps, own_ref, customer)
    if known is not None:
        return known
    try:
        return file(own_ref)
    except IntegrityError:
        known = duplicate_of(deps, own_ref, customer)
        if known is not None:
            return known  # the delivery this one raced filed it first
        if not _ref_held(deps.engine, own_ref):
            raise  # another key failed: not a duplicate
    return file(None)


def _file(
    deps: TicketDeps,
    customer: User,
    channel: Channel,
    subject: str,
    body: str,
    own_ref: str | None,
    thread_refs: Sequence[str],
    named_ticket: uuid.UUID | None,
) -> Outcome:
    claim = claim_ref(deps, own_ref, channel, customer) if own_ref is not None else None
    view: dict[str, Any] | None = None
    existing = ticket_for_refs(deps.engine, thread_refs, customer) or named_ticket
    if existing is not None:
        try:
            view = do_customer_reply(deps, customer, existing, body, claim=claim)
        except TicketClosed:
            view = None
    threaded = view is not None
    if view is None:
        view = do_create_ticket(
            deps, customer, subject=subject, body=body, channel=channel, claim=claim
        )
    return Outcome(view, threaded=threaded)
