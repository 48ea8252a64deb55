"""Official contacts and scam checks (API.md "Customer service"). Public: no login needed.

Answers are in the request's language (``Accept-Language``); the anti-fraud line in the
advice follows the edge proxy's ``X-Client-Country`` header, else the language.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StringConstraints

from walletdesk.api.deps import App, Ctx
from walletdesk.support.contacts.admin import current_directory
from walletdesk.support.contacts.checker import CheckResult, check
from walletdesk.support.contacts.directory import get_providers
from walletdesk.support.contacts.message_check import (
    MAX_MESSAGE_CHARS,
    RedFlag,
    check_message,
)
from walletdesk.support.contacts.model import (
    Channel,
    ChannelStatus,
    Direction,
    Provider,
    Risk,
    Verdict,
)
from walletdesk.support.contacts.reasons import Note

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])

# Longer than any phone number, URL or handle worth checking; longer input is a message.
MAX_VALUE_CHARS = 2_048
# Trimmed before it is validated: spaces, a tab or an ideographic space alone are no
# value to check (the checker refuses them), so they are a 422, not a 500.
CheckedValue = Annotated[
    str,
    Query(max_length=MAX_VALUE_CHARS),
    StringConstraints(strip_whitespace=True, min_length=1),
]


class NotePublic(BaseModel):
    code: str
    message: str


class ChannelPublic(BaseModel):
    kind: str
    value: str
    status: ChannelStatus
    region: str | None
    platform: str | None
    label: str | None
    note: str | None
    source_tier: str
    source: str
    last_verified: date
    discontinued_on: date | None


class PolicyPublic(BaseModel):
    code: str
    message: str
    source_tier: str


class ProviderPublic(BaseModel):
    id: str
    kind: str
    name: str
    names: dict[str, str]
    country: str | None
    status: str
    discontinued_on: date | None
    phone_support: bool
    channels: list[ChannelPublic] = Field(description="official channels, in use")
    do_not_use: list[ChannelPublic] = Field(
        description="known fakes and retired channels: never contact these"
    )
    policies: list[PolicyPublic]


class ProviderList(BaseModel):
    items: list[ProviderPublic]
    next_cursor: str | None


class ProviderRef(BaseModel):
    id: str
    name: str


class CheckPublic(BaseModel):
    value: str
    kind: str
    normalised: str
    verdict: Verdict
    provider: ProviderRef | None
    channel: ChannelPublic | None
    reasons: list[NotePublic]
    advice: list[NotePublic]


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class RedFlagPublic(BaseModel):
    code: str
    severity: Risk
    message: str
    evidence: str


class MessageCheckPublic(BaseModel):
    risk: Risk
    red_flags: list[RedFlagPublic]
    advice: list[NotePublic]
    checked_contacts: list[CheckPublic]
    providers_mentioned: list[ProviderRef]


@router.get("")
def list_contacts(
    c: App,
    ctx: Ctx,
    provider: str | None = Query(default=None, max_length=100),
    limit: int = Query(default=50, ge=1, le=100),
    cursor: str | None = Query(default=None, max_length=100),
) -> ProviderList:
    """Official channels per provider, each with ``source_tier`` and ``last_verified``."""
    page, next_cursor = get_providers(
        current_directory(c.engine), provider, limit=limit, cursor=cursor
    )
    return ProviderList(items=[_provider(p, ctx.locale) for p in page], next_cursor=next_cursor)


@router.get("/check")
def check_contact(
    c: App,
    ctx: Ctx,
    value: CheckedValue,
    provider: str | None = Query(default=None, max_length=100),
    direction: Direction | None = None,
) -> CheckPublic:
    """Is this number, link, email or account really the provider's? Never answers "safe"."""
    result = check(
        value,
        provider,
        direction,
        directory=current_directory(c.engine),
        today=c.clock.now().date(),
        country=ctx.country,
    )
    return _check(result, ctx.locale)


@router.post("/check-message")
def check_contact_message(body: MessageIn, c: App, ctx: Ctx) -> MessageCheckPublic:
    """Red flags in what a "customer service" person said, and the contacts in it checked."""
    result = check_message(
        body.text,
        ctx.locale,
        country=ctx.country,
        directory=current_directory(c.engine),
        today=c.clock.now().date(),
    )
    return MessageCheckPublic(
        risk=result.risk,
        red_flags=[_flag(f, ctx.locale) for f in result.red_flags],
        advice=_notes(result.advice, ctx.locale),
        checked_contacts=[_check(r, ctx.locale) for r in result.checked_contacts],
        providers_mentioned=[_ref(p, ctx.locale) for p in result.providers_mentioned],
    )


# ------------------------------------------------------------------------------ mapping


def _provider(p: Provider, locale: str) -> ProviderPublic:
    return ProviderPublic(
        id=p.id,
        kind=p.kind.value,
        name=p.names.get(locale),
        names={"en": p.names.en, "zh-CN": p.names.zh_cn},
        country=p.country,
        status=p.status.value,
        discontinued_on=p.discontinued_on,
        phone_support=p.phone_support,
        channels=[_channel(ch, locale) for ch in p.official_channels()],
        do_not_use=[
            _channel(ch, locale) for ch in p.channels if ch.status is not ChannelStatus.OFFICIAL
        ],
        policies=[
            PolicyPublic(code=pol.code, message=pol.text.get(locale), source_tier=pol.source_tier)
            for pol in p.policies
        ],
    )


def _channel(ch: Channel, locale: str) -> ChannelPublic:
    return ChannelPublic(
        kind=ch.kind.value,
        value=ch.value,
        status=ch.status,
        region=ch.region,
        platform=ch.platform,
        label=ch.label.get(locale) if ch.label else None,
        note=ch.note.get(locale) if ch.note else None,
        source_tier=ch.source_tier.value,
        source=ch.source,
        last_verified=ch.last_verified,
        discontinued_on=ch.discontinued_on,
    )


def _ref(p: Provider, locale: str) -> ProviderRef:
    return ProviderRef(id=p.id, name=p.names.get(locale))


def _notes(notes: tuple[Note, ...], locale: str) -> list[NotePublic]:
    return [NotePublic(code=n.code, message=n.get(locale)) for n in notes]


def _check(r: CheckResult, locale: str) -> CheckPublic:
    return CheckPublic(
        value=r.value,
        kind=r.kind.value,
        normalised=r.normalised,
        verdict=r.verdict,
        provider=_ref(r.provider, locale) if r.provider else None,
        channel=_channel(r.channel, locale) if r.channel else None,
        reasons=_notes(r.reasons, locale),
        advice=_notes(r.advice, locale),
    )


def _flag(f: RedFlag, locale: str) -> RedFlagPublic:
    return RedFlagPublic(
        code=f.code, severity=f.severity, message=f.text.get(locale), evidence=f.evidence
    )
