"""What to tell a worried user after a verdict: what to do next, in zh-CN and en.

The advice always points away from the contact being checked and towards channels the
user finds themselves: hang up and call the official number, never share codes, and
the anti-fraud line of their country when money or codes may already be gone.
"""

from __future__ import annotations

import re

from walletdesk.support.contacts.directory import ContactDirectory
from walletdesk.support.contacts.model import ChannelKind, Direction, Provider, Text, Verdict
from walletdesk.support.contacts.reasons import Note, bilingual, channel_value, note

_CJK = re.compile(r"[\u3400-\u9fff]")
# The kinds a user can act on to reach a provider themselves, in the order to suggest them.
_REACHABLE = (
    ChannelKind.SHORT_CODE,
    ChannelKind.PHONE,
    ChannelKind.WEB_DOMAIN,
    ChannelKind.IN_APP_PATH,
    ChannelKind.SOCIAL_ACCOUNT,
)


def advice_for(
    verdict: Verdict,
    provider: Provider | None,
    direction: Direction | None,
    directory: ContactDirectory,
    country: str | None,
) -> tuple[Note, ...]:
    """Advice for a contact check's verdict; ``provider`` is the matched or claimed one."""
    reachable = official_contacts(provider) if provider is not None else None
    notes: list[Note] = []
    if verdict is Verdict.OFFICIAL and provider is not None:
        notes.append(note("advice_official", provider=provider.names))
    elif verdict is Verdict.OFFICIAL_BUT_SPOOFABLE and provider is not None and reachable:
        notes.append(note("advice_call_back", provider=provider.names, official=reachable))
        notes.append(note("advice_never_share_codes"))
    elif verdict in (Verdict.KNOWN_FAKE, Verdict.SUSPICIOUS):
        if provider is not None and reachable:
            notes.append(note("advice_do_not_engage", provider=provider.names, official=reachable))
        else:
            notes.append(note("advice_do_not_engage_unknown"))
        notes.append(note("advice_never_share_codes"))
        notes.extend(anti_fraud_note(directory, country))
    else:
        if direction is Direction.INCOMING:
            notes.append(note("advice_caller_id"))
        if provider is not None and reachable:
            notes.append(note("advice_call_back", provider=provider.names, official=reachable))
        else:
            notes.append(note("advice_look_it_up"))
        notes.append(note("advice_never_share_codes"))
        notes.extend(anti_fraud_note(directory, country))
    if provider is not None:
        notes.extend(policy_notes(provider))
    return tuple(notes)


def policy_notes(provider: Provider) -> tuple[Note, ...]:
    """The provider's own "we never ..." lines, as advice."""
    return tuple(Note(f"policy.{p.code}", p.text) for p in provider.policies)


def anti_fraud_note(directory: ContactDirectory, country: str | None) -> tuple[Note, ...]:
    """Advice to call the anti-fraud line of ``country`` (every one listed if unknown).

    Empty when the directory lists no anti-fraud line at all.
    """
    lines = anti_fraud_lines(directory, country)
    return (note("advice_anti_fraud", lines=lines),) if lines is not None else ()


def anti_fraud_lines(directory: ContactDirectory, country: str | None) -> Text | None:
    """Each anti-fraud provider's first line, "96110 (China anti-fraud centre)"."""
    seen: set[str] = set()
    en: list[str] = []
    zh: list[str] = []
    for provider, channel in directory.anti_fraud_lines(country):
        if provider.id in seen:
            continue
        seen.add(provider.id)
        en.append(f"{channel.value} ({provider.names.en})")
        zh.append(f"{channel.value}（{provider.names.zh_cn}）")
    return bilingual(" / ".join(en), " / ".join(zh)) if en else None


def official_contacts(provider: Provider) -> Text | None:
    """The provider's channels a user can reach it through, or ``None`` when it has none.

    When a provider lists an in-app path in both languages, each language shows its own.
    """
    channels = [c for kind in _REACHABLE for c in provider.official_channels(kind)]
    if not channels:
        return None
    has_zh_path = any(c.kind is ChannelKind.IN_APP_PATH and _CJK.search(c.value) for c in channels)
    has_en_path = any(
        c.kind is ChannelKind.IN_APP_PATH and not _CJK.search(c.value) for c in channels
    )
    en: list[str] = []
    zh: list[str] = []
    for c in channels:
        shown = channel_value(c)
        is_path = c.kind is ChannelKind.IN_APP_PATH
        if not (is_path and has_en_path and _CJK.search(c.value)):
            en.append(f"“{c.value}” in the app" if is_path else shown.en)
        if not (is_path and has_zh_path and not _CJK.search(c.value)):
            zh.append(f"应用内“{c.value}”" if is_path else shown.zh_cn)
    return bilingual(", ".join(en), "、".join(zh))
