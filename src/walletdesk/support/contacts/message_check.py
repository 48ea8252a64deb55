"""Red flags in what a "customer service" person said (DOMAIN.md §6), in Chinese and English.

:func:`check_message` is pure given the directory, the red-flag rules and the day. It
reports what it found and never calls a message safe: ``low`` risk means no red flag
was recognised, nothing more. Phone numbers, links and email addresses in the text are
run through :func:`~walletdesk.support.contacts.checker.check` as well.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Literal, Self

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from walletdesk.support.contacts.advice import anti_fraud_note, official_contacts
from walletdesk.support.contacts.checker import CheckResult, check
from walletdesk.support.contacts.directory import ContactDirectory, default_directory
from walletdesk.support.contacts.errors import DirectoryInvalid
from walletdesk.support.contacts.model import Provider, ProviderKind, Risk, Text, Verdict
from walletdesk.support.contacts.normalise import looks_like_host
from walletdesk.support.contacts.reasons import Note, bilingual, note

_SHIPPED = "data/contacts/red_flags.yaml"
# A message is someone's paste, not a book: past this the rest is not read.
MAX_MESSAGE_CHARS = 10_000
# Checking every digit run of a long message would bury the answer in noise.
MAX_CONTACTS = 10
# How far back a negation ("切勿", "never") may stand in the same clause. A negation
# must also govern the match (see _Negation), so this only bounds the search: long
# enough for "we will never ask you to leave the official app or to chat on ...".
_NEGATION_WINDOW = 60
_CLAUSE_END = re.compile(r"[，。！？；,.!?;\n—–]")
# "Don’t" is typed with a curly apostrophe as often as a straight one.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


class RedFlagRule(BaseModel):
    """One red flag: its meaning, advice, and the patterns that recognise it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    severity: Literal["high", "medium"]
    text: Text
    advice: Text
    patterns: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _patterns_compile(self) -> Self:
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{self.code}: bad pattern {pattern!r}: {exc}") from exc
        return self


class NegationRules(BaseModel):
    """When a negation cancels a red flag (the rule file's comment explains each list)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    words: tuple[str, ...] = Field(min_length=1)
    between: tuple[str, ...]
    verbs: tuple[str, ...] = Field(min_length=1)
    scope_breaks: tuple[str, ...]
    warnings: tuple[str, ...]


class RedFlagRules(BaseModel):
    """The shipped rule file: when negations count, and the rules in order of importance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    negation: NegationRules
    rules: tuple[RedFlagRule, ...] = Field(min_length=1)


@dataclass(frozen=True)
class RedFlag:
    """A red flag found in a message; ``evidence`` is the words that raised it."""

    code: str
    severity: Risk
    text: Text
    evidence: str


@dataclass(frozen=True)
class MessageCheck:
    """The answer for a message: its risk, why, what to do, and each contact checked."""

    risk: Risk
    red_flags: tuple[RedFlag, ...]
    advice: tuple[Note, ...]
    checked_contacts: tuple[CheckResult, ...]
    providers_mentioned: tuple[Provider, ...]


@cache
def default_rules() -> RedFlagRules:
    """The shipped red-flag rules, validated on first use."""
    raw = resources.files("walletdesk").joinpath(_SHIPPED).read_text(encoding="utf-8")
    try:
        return RedFlagRules.model_validate(yaml.safe_load(raw))
    except (yaml.YAMLError, pydantic.ValidationError) as exc:
        raise DirectoryInvalid(str(exc)) from exc


def check_message(
    text: str,
    locale: str = "en",
    *,
    country: str | None = None,
    directory: ContactDirectory | None = None,
    rules: RedFlagRules | None = None,
    today: date | None = None,
) -> MessageCheck:
    """Find red flags in ``text`` and check the contacts in it.

    ``locale`` stands in for the user's country when ``country`` is not given (zh-CN ->
    China's anti-fraud line); texts are bilingual either way. Only the first
    :data:`MAX_MESSAGE_CHARS` characters are read.

    Risk is ``high`` for any high flag, a fake or suspicious contact, a closed provider
    named, or two different medium flags; ``medium`` for one medium flag; else ``low``.
    """
    directory = directory or default_directory()
    rules = rules or default_rules()
    day = today or datetime.now(UTC).date()
    country = country or ("CN" if locale.lower().startswith("zh") else None)
    folded = (
        unicodedata.normalize("NFKC", text[:MAX_MESSAGE_CHARS]).casefold().translate(_APOSTROPHES)
    )

    flags = list(_find_flags(folded, rules))
    mentioned = _mentioned_providers(folded, directory)
    checked = _check_contacts(folded, mentioned, directory, day, country)
    for result in checked:
        if result.verdict in (Verdict.KNOWN_FAKE, Verdict.SUSPICIOUS):
            flags.append(
                RedFlag(
                    code=f"{result.verdict.value}_contact",
                    severity=Risk.HIGH,
                    text=_CONTACT_FLAG[result.verdict],
                    evidence=result.value,
                )
            )
    for provider in mentioned:
        if provider.is_closed_on(day):
            flags.append(
                RedFlag(
                    code="discontinued_provider",
                    severity=Risk.HIGH,
                    text=note(
                        "discontinued_provider",
                        provider=provider.names,
                        date=str(provider.discontinued_on),
                    ).text,
                    evidence=provider.names.en,
                )
            )
    risk = _risk(flags)
    return MessageCheck(
        risk=risk,
        red_flags=tuple(flags),
        advice=_advice(risk, flags, rules, mentioned, directory, country),
        checked_contacts=tuple(checked),
        providers_mentioned=tuple(mentioned),
    )


_CONTACT_FLAG: dict[Verdict, Text] = {
    Verdict.KNOWN_FAKE: bilingual("Contains a known fake contact.", "包含已知的假冒联系方式。"),
    Verdict.SUSPICIOUS: bilingual(
        "Contains a suspicious contact (a look-alike or a number that cannot be genuine).",
        "包含可疑的联系方式（仿冒地址或不可能是真的号码）。",
    ),
}


def _find_flags(folded: str, rules: RedFlagRules) -> list[RedFlag]:
    found: list[RedFlag] = []
    grammar = _grammar(rules.negation)
    for rule in rules.rules:
        evidence = _first_unnegated(folded, rule, grammar)
        if evidence is not None:
            found.append(RedFlag(rule.code, Risk(rule.severity), rule.text, evidence))
    return found


def _first_unnegated(folded: str, rule: RedFlagRule, grammar: _Negation) -> str | None:
    """The first match of ``rule`` that no negation in its clause governs.

    Matches are tried at every start, overlapping: "don't tell anyone but read me the
    code" matches first at "tell" (negated), then at "read" (not).
    """
    for pattern in rule.patterns:
        compiled = re.compile(pattern, flags=re.IGNORECASE)
        position = 0
        while (match := compiled.search(folded, position)) is not None:
            if not grammar.negates(folded, match.start()):
                return match.group(0).strip()
            position = match.start() + 1
    return None


@dataclass(frozen=True)
class _Negation:
    """:class:`NegationRules` compiled: does a negation govern what starts at a position?"""

    heads: re.Pattern[str]
    between: re.Pattern[str]
    governed_verb: re.Pattern[str]
    breaks: re.Pattern[str]
    warnings: re.Pattern[str]

    def negates(self, folded: str, start: int) -> bool:
        window = folded[max(0, start - _NEGATION_WINDOW) : start]
        clause = start - len(_CLAUSE_END.split(window)[-1])
        for head in self.heads.finditer(folded, clause, start):
            if _is_a_not_a_question(folded, head.start()):
                continue
            if self.breaks.search(folded, head.end(), start):
                continue
            # Past the words allowed in between comes a verb it can govern ("never ask
            # you to share", "绝不会要求"; the verb may start the red flag itself), or
            # the red flag directly.
            if self.governed_verb.match(folded, head.end()):
                return True
            reach = self.between.match(folded, head.end())
            if reach is not None and reach.end() >= start:
                return True
        return any(
            not self.breaks.search(folded, warning.end(), start)
            for warning in self.warnings.finditer(folded, clause, start)
        )


def _is_a_not_a_question(folded: str, at: int) -> bool:
    """要不要, 会不会, 能不能: the verb, 不, the verb again asks; it negates nothing."""
    return (
        folded.startswith("不", at)
        and at > 0
        and at + 1 < len(folded)
        and folded[at - 1] == folded[at + 1]
    )


@cache
def _grammar(negation: NegationRules) -> _Negation:
    between = rf"(?:\s+|{_words(negation.between)})*" if negation.between else r"\s*"
    return _Negation(
        heads=re.compile(_words(negation.words)),
        between=re.compile(between),
        # One pattern, so "要" is given back when "不会要求" needs it for "要求".
        governed_verb=re.compile(rf"{between}(?:{_words(negation.verbs)})"),
        breaks=re.compile(_words(negation.scope_breaks) or r"(?!)"),
        warnings=re.compile(_words(negation.warnings) or r"(?!)"),
    )


def _words(words: tuple[str, ...]) -> str:
    """An alternation of ``words``, longest first; English ones only as whole words."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in ordered)


def _risk(flags: list[RedFlag]) -> Risk:
    if any(f.severity is Risk.HIGH for f in flags):
        return Risk.HIGH
    mediums = {f.code for f in flags if f.severity is Risk.MEDIUM}
    if len(mediums) >= 2:
        return Risk.HIGH
    return Risk.MEDIUM if mediums else Risk.LOW


# ------------------------------------------------------------------------------ contacts

_URL = re.compile(r"https?://[^\s<>\"'，。！？、；）)】]+")
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}")
# Host labels: ASCII, Latin-extended, Greek and Cyrillic letters (look-alikes), never CJK,
# which would glue "请访问" onto the domain that follows it.
_HOST_CHAR = "a-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_DOMAIN = re.compile(
    rf"(?<![{_HOST_CHAR}@.-])(?:[{_HOST_CHAR}](?:[{_HOST_CHAR}-]*[{_HOST_CHAR}])?\.)+"
    rf"(?:xn--[a-z0-9-]+|[a-z]{{2,}})(?:/[^\s，。！？、；）)】]*)?"
)
# "@VenmoHelp" in a message; emails are claimed first, so their "@" never gets here.
_HANDLE = re.compile(r"(?<![\w@.])@[a-z0-9_][a-z0-9_.]{1,49}")
_PHONE = re.compile(r"(?<![\d.])(?:\+|00)?\d[\d\- ]{1,20}\d(?![\d.])")
# Digits right after these are a code, an amount or a chat-app id, not a phone number.
_NOT_A_PHONE_BEFORE = re.compile(
    r"(?:(验证码|校验码|动态码|密码|code|otp|pin|¥|\$|￥|rmb|cny|usd|金额|amount)[^\d]{0,6}"
    r"|(qq号?|微信号|wechat id|wx)[^\d]{0,3})$"
)
_NOT_A_PHONE_AFTER = re.compile(
    r"^\s*(元|块|円|%|万|千|百|yuan|usd|rmb|cny|个|分钟|天|小时|年|月|日|号|次|笔)"
)
# Three- and four-digit short codes count only when the text says to call them.
_CALL_WORDS = re.compile(r"(拨打|致电|热线|电话|来电|call|dial|hotline|phone|ring)[^\d]{0,12}$")
_SHORT_DIGITS = 4


def _check_contacts(
    folded: str,
    mentioned: list[Provider],
    directory: ContactDirectory,
    day: date,
    country: str | None,
) -> list[CheckResult]:
    """Check each link, email address, @handle and phone number in the text, once each."""
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []

    def claim(start: int, end: int, value: str) -> None:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            return
        taken.append((start, end))
        found.append((start, value))

    for m in _URL.finditer(folded):
        claim(m.start(), m.end(), m.group(0))
    for m in _EMAIL.finditer(folded):
        claim(m.start(), m.end(), m.group(0))
    for m in _HANDLE.finditer(folded):
        claim(m.start(), m.end(), m.group(0).rstrip("."))
    for m in _DOMAIN.finditer(folded):
        if looks_like_host(m.group(0)):
            claim(m.start(), m.end(), m.group(0))
    for m in _PHONE.finditer(folded):
        digits = re.sub(r"\D", "", m.group(0))
        before, after = folded[max(0, m.start() - 16) : m.start()], folded[m.end() :]
        if _NOT_A_PHONE_BEFORE.search(before) or _NOT_A_PHONE_AFTER.match(after):
            continue
        if len(digits) <= _SHORT_DIGITS and not _CALL_WORDS.search(before):
            continue
        claim(m.start(), m.end(), m.group(0).strip())

    results: list[CheckResult] = []
    seen: set[str] = set()
    wallets = [p for p in mentioned if p.kind is ProviderKind.WALLET]
    for _, value in sorted(found):
        result = check(value, directory=directory, today=day, country=country)
        # A number no provider lists, in a message that names exactly one provider, is
        # being passed off as that provider's: check the claim (a mobile number as
        # Alipay's hotline is suspicious, not merely unknown).
        if result.verdict is Verdict.UNKNOWN and len(wallets) == 1:
            result = check(value, wallets[0].id, directory=directory, today=day, country=country)
        if result.normalised in seen:
            continue
        seen.add(result.normalised)
        results.append(result)
        if len(results) == MAX_CONTACTS:
            break
    return results


def _mentioned_providers(folded: str, directory: ContactDirectory) -> list[Provider]:
    """Providers named in the text, in order of first mention (ASCII names as whole words)."""
    positions: list[tuple[int, Provider]] = []
    for p in directory.providers:
        if p.kind is not ProviderKind.WALLET:
            continue
        names = {n.casefold() for n in (p.names.en, p.names.zh_cn, *p.aliases)}
        names |= {n.split("（")[0].split(" (")[0] for n in names}
        best = -1
        for name in names:
            pattern = rf"\b{re.escape(name)}\b" if name.isascii() else re.escape(name)
            m = re.search(pattern, folded)
            if m and (best < 0 or m.start() < best):
                best = m.start()
        if best >= 0:
            positions.append((best, p))
    return [p for _, p in sorted(positions, key=lambda item: item[0])]


# ------------------------------------------------------------------------------ advice


def _advice(
    risk: Risk,
    flags: list[RedFlag],
    rules: RedFlagRules,
    mentioned: list[Provider],
    directory: ContactDirectory,
    country: str | None,
) -> tuple[Note, ...]:
    notes = [note(f"advice_message_{risk.value}")]
    by_code = {r.code: r for r in rules.rules}
    for flag in flags:
        rule = by_code.get(flag.code)
        if rule is not None:
            notes.append(Note(f"advice.{flag.code}", rule.advice))
    provider = next((p for p in mentioned if p.discontinued_on is None), None)
    reachable = official_contacts(provider) if provider is not None else None
    if risk is not Risk.LOW:
        if provider is not None and reachable is not None:
            notes.append(note("advice_call_back", provider=provider.names, official=reachable))
        else:
            notes.append(note("advice_look_it_up"))
    notes.append(note("advice_never_share_codes"))
    if risk is not Risk.LOW:
        notes.extend(anti_fraud_note(directory, country))
    return tuple(notes)
