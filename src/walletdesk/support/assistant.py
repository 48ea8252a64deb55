"""The help assistant: deterministic, offline answers from the help centre and the
customer's own data, with a scam warning first and a hand-over to a person.

No model service: retrieval (:func:`search_articles`), templates and triage.
A conversation is kept in ``assistant_conversations``; once handed over, later
messages go onto the ticket.

Two messages on one conversation can be answered at once (a double-tapped "talk to a
person", a client's retry). The hand-off is claimed on the conversation row in the
ticket's own transaction (:func:`_claimer`), so one ticket is opened and the other
message joins it; each turn is appended to the messages stored under the row's lock,
never written over them from a stale copy (:func:`_save_turn`).
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from walletdesk.core.clock import Clock
from walletdesk.core.errors import NotFound
from walletdesk.db.transactions import run_transaction
from walletdesk.identity.model import User
from walletdesk.support.channels.tables import assistant_conversations as conv_table
from walletdesk.support.contacts.message_check import check_message
from walletdesk.support.contacts.model import Risk
from walletdesk.support.helpcenter.articles import Category
from walletdesk.support.helpcenter.search import SearchHit
from walletdesk.support.helpcenter.service import search_articles
from walletdesk.support.tickets.errors import TicketClosed
from walletdesk.support.tickets.rules import Channel
from walletdesk.support.tickets.service import TicketDeps, do_create_ticket, do_customer_reply
from walletdesk.support.triage import classify, fold
from walletdesk.wallet import tables as wallet_tables
from walletdesk.wallet.diagnosis import diagnose
from walletdesk.wallet.refund_views import refund_public

# Search scores are comparable only within one backend (SQLite FTS5 BM25 vs PostgreSQL
# ts_rank), so each has its thresholds: (strong, weak). A strong hit answers on its own;
# a weak one only when triage agrees on its category. Tuned on the shipped articles.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "sqlite": (5.0, 2.5),
    "postgresql": (0.5, 0.2),
}
MAX_CITATIONS = 3
MAX_TURNS = 200
SUBJECT_MAX = 200
TICKET_BODY_MAX = 10_000

_HUMAN = re.compile(
    r"转人工|人工客服|人工服务|找人工|真人|"
    r"(?<![a-z])(talk|speak|chat) (to|with) (a |an |some)?(human|person|agent|someone)|"
    r"(?<![a-z])(human|real person|live agent|agent|representative)(?![a-z])"
)
_PAYMENT = re.compile(
    r"付款失败|支付失败|付不了|支付不了|付款不成功|扣款失败|"
    r"(payment|pay|paying|purchase|transaction).{0,30}(fail|declin|didn.t go|not go|error)|"
    r"(fail|declin).{0,20}(payment|pay)"
)
_REFUND = re.compile(
    r"退款.{0,6}(到哪|在哪|进度|状态|什么时候|何时|多久|没到|还没|到账)|"
    r"(到哪|在哪|进度|状态|什么时候|何时|多久|没到|还没).{0,6}退款|"
    r"(where|status|when).{0,30}refund|refund.{0,30}(status|arrive|where|when|yet)"
)
_MARK = re.compile(r"</?mark>")

T: dict[str, dict[str, str]] = {
    "scam": {
        "en": "⚠️ Warning: this looks like a scam. walletdesk never asks for verification "
        "codes, passwords or screen sharing, and never asks you to move money to a "
        '"safe account". Stop, do not pay, and contact us only through the app.',
        "zh-CN": "⚠️ 警告：这很像诈骗。walletdesk 绝不会索要验证码、密码，不会要求共享屏幕，"
        "也不会让您把钱转到“安全账户”。请立即停止操作、不要付款，只通过应用内渠道联系我们。",
    },
    "payment": {
        "en": "Your latest failed payment ({amount}, {when}): {cause} {retry}Next: {steps}",
        "zh-CN": "您最近一笔失败的付款（{amount}，{when}）：{cause}{retry}下一步：{steps}",
    },
    "retry_yes": {"en": "A retry can work. ", "zh-CN": "可以重试。"},
    "retry_no": {"en": "Retrying as it is will not work. ", "zh-CN": "直接重试不会成功。"},
    "no_failed_payment": {
        "en": "I can't find a failed payment on your account.",
        "zh-CN": "没有找到您账户中失败的付款。",
    },
    "refund": {
        "en": "Your latest refund ({amount}, requested {when}) is {status}.{expected}",
        "zh-CN": "您最近的一笔退款（{amount}，{when} 申请）状态：{status}。{expected}",
    },
    "refund_expected": {
        "en": " Expected by {date}.",
        "zh-CN": "预计 {date} 前到账。",
    },
    "no_refund": {
        "en": "I can't find a refund request on your account.",
        "zh-CN": "没有找到您账户中的退款申请。",
    },
    "article": {
        "en": "From our help centre — {title}: {snippet}",
        "zh-CN": "帮助中心《{title}》：{snippet}",
    },
    "handoff": {
        "en": "I've passed this to a person: ticket {number}. Our team will reply to you "
        "in the app; the whole conversation is on the ticket.",
        "zh-CN": "已为您转接人工客服，工单号 {number}。客服会在应用内回复您，完整对话已附在工单中。",
    },
    "handoff_unsure": {
        "en": "I'm not sure I can answer that well, so a person will help. ",
        "zh-CN": "这个问题我可能答不好，将由人工客服为您处理。",
    },
    "added": {
        "en": "Added to your ticket {number}; a person will reply there.",
        "zh-CN": "已补充到您的工单 {number}，人工客服会在工单中回复。",
    },
    "contacts": {
        "en": "To talk to a person, use only official channels: in the app, Me → Help & "
        "feedback (chat, then a person, or a ticket — log in first so we know it is you); "
        "the Contact us link in the footer of the official walletdesk website (hotline "
        "and email); our official social account @walletdesk. Never use numbers from "
        "search results, ads or text messages.",
        "zh-CN": "如需人工服务，请只使用官方渠道：应用内 我的 → 帮助与反馈（先与助手对话，可转人工或"
        "提交工单，请先登录以便确认是您本人）；官网页脚的“联系我们”（客服热线和邮箱）；"
        "官方社交账号 @walletdesk。切勿使用搜索结果、广告或短信中的号码。",
    },
    "not_found": {
        "en": "I couldn't find an answer in our help centre. ",
        "zh-CN": "帮助中心里没有找到答案。",
    },
    "transcript": {"en": "Assistant conversation", "zh-CN": "智能助手对话记录"},
    "user": {"en": "Customer", "zh-CN": "客户"},
    "assistant": {"en": "Assistant", "zh-CN": "助手"},
}


def _t(key: str, locale: str, **params: object) -> str:
    return T[key][locale].format(**params)


def language(locale: str | None) -> str:
    return "zh-CN" if (locale or "").lower().startswith("zh") else "en"


_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile("[A-Za-z]+")


def message_language(text: str) -> str | None:
    """zh-CN when ``text`` is mostly Chinese, en when it is clearly English, else None.

    A Chinese character carries about what an English word does, so Chinese wins when
    it has at least as many characters as the text has Latin words ("我的 WeChat 付款失败").
    English needs two words and no Chinese at all: "ok", "WD-000123" or an English
    sentence naming a Chinese payee says nothing sure about the customer's language.
    """
    han = len(_HAN.findall(text))
    words = len(_LATIN_WORD.findall(text))
    if han and han >= words:
        return "zh-CN"
    if not han and words >= 2:
        return "en"
    return None


def answer_language(text: str, *, profile: str | None, header: str | None, default: str) -> str:
    """The language to answer ``text`` in: the message's own when it is clear, else the
    signed-in customer's profile, else the request's Accept-Language, else ``default``.

    The header is the browser's UI language, often English for Chinese customers: it
    must not outweigh what they wrote or what they chose on their account.
    """
    return language(message_language(text) or profile or header or default)


@dataclass(frozen=True)
class AssistantDeps:
    engine: Engine
    clock: Clock

    @property
    def tickets(self) -> TicketDeps:
        return TicketDeps.of(self.engine, self.clock)


# -- the customer's own data ----------------------------------------------------------


def _payment_answer(deps: AssistantDeps, user: User, locale: str) -> str:
    p, a = wallet_tables.payments, wallet_tables.payment_attempts
    with deps.engine.connect() as conn:
        row = conn.execute(
            select(p)
            .where(p.c.customer_id == user.id, p.c.status.in_(["failed", "expired"]))
            .order_by(p.c.created_at.desc(), p.c.seq.desc())
            .limit(1)
        ).first()
        if row is None:
            return _t("no_failed_payment", locale)
        attempt = conn.execute(
            select(a.c.detail)
            .where(a.c.payment_id == row.id)
            .order_by(a.c.created_at.desc())
            .limit(1)
        ).first()
    found = diagnose(row, attempt.detail if attempt else None, locale)
    retry = _t("retry_yes" if found["retryable"] else "retry_no", locale)
    sep = "；" if locale == "zh-CN" else "; "
    return _t(
        "payment",
        locale,
        amount=found["facts"]["amount"],
        when=row.created_at.date().isoformat(),
        cause=found["cause"],
        retry=retry,
        steps=sep.join(found["next_steps"]) or "-",
    )


def _refund_answer(deps: AssistantDeps, user: User, locale: str) -> str:
    r = wallet_tables.refunds
    with deps.engine.connect() as conn:
        row = conn.execute(
            select(r)
            .where(r.c.customer_id == user.id)
            .order_by(r.c.created_at.desc(), r.c.seq.desc())
            .limit(1)
        ).first()
    if row is None:
        return _t("no_refund", locale)
    public = refund_public(row, locale)
    expected = (
        _t("refund_expected", locale, date=row.expected_by.date().isoformat())
        if row.expected_by is not None
        else ""
    )
    failure = f" {public['failure']['message']}" if public["failure"] else ""
    return _t(
        "refund",
        locale,
        amount=f"{public['amount']} {public['currency']}",
        when=row.created_at.date().isoformat(),
        status=row.status,
        expected=expected + failure,
    )


# -- the help centre ------------------------------------------------------------------


def _hits(deps: AssistantDeps, text: str, locale: str, category: Category) -> list[SearchHit]:
    """The articles that answer ``text`` confidently (best first), possibly none."""
    try:
        hits = search_articles(deps.engine, text[:500], locale=locale, limit=MAX_CITATIONS)
    except DBAPIError:  # no search index yet
        return []
    if not hits:
        return []
    strong, weak = THRESHOLDS.get(deps.engine.dialect.name, THRESHOLDS["postgresql"])
    best = hits[0]
    agrees = category is not Category.OTHER and best.category == category.value
    if best.score >= strong or (best.score >= weak and agrees):
        return [h for h in hits if h.score >= min(weak, best.score)]
    return []


def _plain(snippet: str) -> str:
    return html.unescape(_MARK.sub("", snippet)).strip()


# -- conversations ----------------------------------------------------------------


def _load(deps: AssistantDeps, conversation_id: uuid.UUID, user: User | None) -> Any:
    with deps.engine.connect() as conn:
        row = conn.execute(select(conv_table).where(conv_table.c.id == conversation_id)).first()
    owner = user.id if user is not None else None
    if row is None or row.user_id != owner:  # someone else's conversation does not exist
        raise NotFound("no such conversation")
    return row


def _transcript(messages: list[dict[str, str]], locale: str) -> str:
    lines = [f"[{_t('transcript', locale)}]"]
    for m in messages:
        lines.append(f"{_t(m['role'], locale)}: {m['text']}")
    body = "\n".join(lines)
    return body if len(body) <= TICKET_BODY_MAX else "…" + body[-(TICKET_BODY_MAX - 1) :]


class _HandOffTaken(Exception):
    """Another message on the conversation handed it over first, to ``ticket_id``."""

    def __init__(self, ticket_id: uuid.UUID) -> None:
        super().__init__(str(ticket_id))
        self.ticket_id = ticket_id


def _claimer(
    conversation_id: uuid.UUID, seen: uuid.UUID | None
) -> Callable[[Connection, uuid.UUID], None]:
    """Claims the hand-off of a stored conversation for a ticket being opened, in that
    ticket's transaction (``do_create_ticket(claim=...)``).

    The guarded UPDATE takes the row's lock: a second hand-off at the same time waits for
    the first to commit, then finds the conversation taken and raises
    :class:`_HandOffTaken` with the winner's ticket, which undoes its own. ``seen`` is the
    (closed) ticket this request found on the conversation, which a new one may replace.
    """

    def claim(conn: Connection, ticket_id: uuid.UUID) -> None:
        c = conv_table.c
        free = (
            c.ticket_id.is_(None)
            if seen is None
            else or_(c.ticket_id.is_(None), c.ticket_id == seen)
        )
        claimed = conn.execute(
            update(conv_table).where(c.id == conversation_id, free).values(ticket_id=ticket_id)
        ).rowcount
        if claimed != 1:
            winner = conn.execute(select(c.ticket_id).where(c.id == conversation_id)).scalar_one()
            raise _HandOffTaken(winner)

    return claim


def _add_to_ticket(
    deps: AssistantDeps, user: User, ticket_id: uuid.UUID, text: str, locale: str
) -> str | None:
    """Put the customer's message on their ticket; what to say, or None when the ticket
    takes no more (closed, or gone from them), and a new hand-off may open another."""
    try:
        view = do_customer_reply(deps.tickets, user, ticket_id, text)
    except (TicketClosed, NotFound):
        return None
    return _t("added", locale, number=view["number"])


def _hand_over(
    deps: AssistantDeps,
    user: User,
    locale: str,
    history: list[dict[str, str]],
    parts: list[str],
    *,
    wants_human: bool,
    claim: Callable[[Connection, uuid.UUID], None] | None,
) -> uuid.UUID | None:
    """A chat ticket with the transcript; appends what to say to ``parts`` and returns the
    ticket the conversation is now with.

    When ``claim`` finds the conversation handed over by another message meanwhile, no
    ticket is opened: this message goes onto that one, as any later message would.
    """
    lead = "" if wants_human else _t("handoff_unsure", locale)
    subject = " ".join(history[0]["text"].split())[:SUBJECT_MAX]
    draft = [*history, {"role": "assistant", "text": " ".join(parts)}]
    try:
        view = do_create_ticket(
            deps.tickets,
            user,
            subject=subject or "Assistant",
            body=_transcript([m for m in draft if m["text"]], locale),
            channel=Channel.CHAT,
            claim=claim,
        )
    except _HandOffTaken as taken:
        added = _add_to_ticket(deps, user, taken.ticket_id, history[-1]["text"], locale)
        if added is None:  # closed in the instant since: nothing to join, nor to claim
            parts.append(_t("contacts", locale))
            return None
        parts.append(added)
        return taken.ticket_id
    parts.append(lead + _t("handoff", locale, number=view["number"]))
    return uuid.UUID(view["id"])


def _save_turn(
    deps: AssistantDeps,
    conversation_id: uuid.UUID,
    user: User | None,
    turn: list[dict[str, str]],
    *,
    new: bool,
    ticket_id: uuid.UUID | None,
    closed: uuid.UUID | None,
    now: datetime,
) -> None:
    """Store one turn (the customer's message and the answer) on the conversation.

    An existing conversation gets the turn appended to the messages stored now, read
    under the row's lock: a turn answered at the same time is kept, not overwritten by
    this request's older copy. Its ticket was set when claimed (:func:`_claimer`);
    ``closed``, a closed ticket found on it and not replaced, is cleared unless another
    message has handed the conversation to a new one meanwhile.
    """
    c = conv_table.c

    def work(conn: Connection) -> None:
        if new:
            conn.execute(
                insert(conv_table).values(
                    id=conversation_id,
                    user_id=user.id if user is not None else None,
                    messages=turn[-MAX_TURNS:],
                    ticket_id=ticket_id,
                    created_at=now,
                    updated_at=now,
                )
            )
            return
        stored = conn.execute(
            select(c.messages).where(c.id == conversation_id).with_for_update()
        ).scalar_one()
        conn.execute(
            update(conv_table)
            .where(c.id == conversation_id)
            .values(messages=[*stored, *turn][-MAX_TURNS:], updated_at=now)
        )
        if closed is not None:
            conn.execute(
                update(conv_table)
                .where(c.id == conversation_id, c.ticket_id == closed)
                .values(ticket_id=None)
            )

    run_transaction(deps.engine, work)


def respond(
    deps: AssistantDeps,
    text: str,
    *,
    user: User | None,
    locale: str,
    conversation_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Answer one message: ``{answer, citations, handed_off, ticket_id, conversation_id}``."""
    locale = language(locale)
    now = deps.clock.now()
    row = _load(deps, conversation_id, user) if conversation_id is not None else None
    history: list[dict[str, str]] = list(row.messages) if row is not None else []
    # The ticket this request found on the conversation; another request may change it.
    seen: uuid.UUID | None = row.ticket_id if row is not None else None
    asked = {"role": "user", "text": text, "at": now.isoformat()}
    history.append(asked)

    parts: list[str] = []
    citations: list[dict[str, str]] = []
    folded = fold(text)
    triage = classify(text, locale, today=now.date())
    scam = check_message(text, locale, today=now.date()).risk is Risk.HIGH
    if scam:
        parts.append(_t("scam", locale))

    added = None
    if seen is not None and user is not None:  # already with a person
        added = _add_to_ticket(deps, user, seen, text, locale)
    # A closed ticket is left behind: a hand-off below may open another.
    ticket_id = seen if added is not None else None
    if added is not None:
        parts.append(added)
    else:
        wants_human = bool(_HUMAN.search(folded))
        data_answer = None
        if user is not None and not wants_human:
            if _PAYMENT.search(folded):
                data_answer = _payment_answer(deps, user, locale)
            elif _REFUND.search(folded):
                data_answer = _refund_answer(deps, user, locale)
        if data_answer:
            parts.append(data_answer)
        hits = [] if wants_human else _hits(deps, text, locale, triage.category)
        if hits and not data_answer:
            parts.append(
                _t("article", locale, title=hits[0].title, snippet=_plain(hits[0].snippet))
            )
        citations = [{"slug": h.slug, "title": h.title} for h in hits]
        confident = bool(data_answer or hits)
        if (wants_human or not confident) and user is not None:
            claim = _claimer(row.id, seen) if row is not None else None
            ticket_id = _hand_over(
                deps, user, locale, history, parts, wants_human=wants_human, claim=claim
            )
        elif wants_human or not confident:
            # No account to open a ticket for: the official ways to reach a person.
            if not wants_human:
                parts.append(_t("not_found", locale).strip())
            parts.append(_t("contacts", locale))
    handed_off = ticket_id is not None

    answer = "\n\n".join(p for p in parts if p)
    new_id = conversation_id or uuid.uuid4()
    _save_turn(
        deps,
        new_id,
        user,
        [asked, {"role": "assistant", "text": answer, "at": now.isoformat()}],
        new=row is None,
        ticket_id=ticket_id,
        closed=seen if seen is not None and ticket_id is None else None,
        now=now,
    )
    return {
        "answer": answer,
        "citations": citations,
        "handed_off": handed_off,
        "ticket_id": str(ticket_id) if ticket_id is not None else None,
        "conversation_id": str(new_id),
        "scam_warning": scam,
        "locale": locale,
    }
