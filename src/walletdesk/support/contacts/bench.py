"""Accuracy of the scam checker on the shipped labelled set (for ``make bench``).

The labelled set (``data/contacts/labelled.yaml``) holds genuine and fake contacts and
messages with the answer walletdesk must give. The figures that matter most are not
the overall accuracy but the two failures that hurt people: a fake that is not
flagged, and an unlisted contact called official.
"""

from __future__ import annotations

import time
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from walletdesk.support.contacts.checker import CheckResult, check
from walletdesk.support.contacts.directory import ContactDirectory, default_directory
from walletdesk.support.contacts.message_check import MessageCheck, check_message
from walletdesk.support.contacts.model import Direction, Risk, Verdict

_SHIPPED = "data/contacts/labelled.yaml"
GENUINE_VERDICTS = frozenset({Verdict.OFFICIAL, Verdict.OFFICIAL_BUT_SPOOFABLE})
FLAGGED_VERDICTS = frozenset({Verdict.KNOWN_FAKE, Verdict.SUSPICIOUS})


class LabelledContact(BaseModel):
    """One contact and the answer the checker must give for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str
    claimed: str | None = None
    direction: Direction | None = None
    label: Literal["genuine", "fake", "unlisted"]
    expect: Verdict
    provider: str | None = None


class LabelledMessage(BaseModel):
    """One message and the risk (and flags) the checker must find."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    label: Literal["scam", "genuine"]
    expect_risk: Risk
    expect_flags: tuple[str, ...] = ()


class LabelledSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(ge=1)
    as_of: date
    contacts: tuple[LabelledContact, ...]
    messages: tuple[LabelledMessage, ...]


@cache
def load_labelled_set() -> LabelledSet:
    """The shipped labelled set, validated."""
    raw = resources.files("walletdesk").joinpath(_SHIPPED).read_text(encoding="utf-8")
    return LabelledSet.model_validate(yaml.safe_load(raw))


def check_labelled(
    item: LabelledContact, as_of: date, directory: ContactDirectory | None = None
) -> CheckResult:
    """Run the checker on one labelled contact exactly as the API would."""
    return check(item.value, item.claimed, item.direction, directory=directory, today=as_of)


def check_labelled_message(
    item: LabelledMessage, as_of: date, directory: ContactDirectory | None = None
) -> MessageCheck:
    return check_message(item.text, "en", directory=directory, today=as_of)


def contact_is_right(item: LabelledContact, result: CheckResult) -> bool:
    """The exact verdict, and the expected provider when the item names one."""
    provider_ok = item.provider is None or (
        result.provider is not None and result.provider.id == item.provider
    )
    return result.verdict is item.expect and provider_ok


def message_is_right(item: LabelledMessage, result: MessageCheck) -> bool:
    codes = {f.code for f in result.red_flags}
    return result.risk is item.expect_risk and set(item.expect_flags) <= codes


def run_checker_bench() -> dict[str, Any]:
    """Accuracy and speed of :func:`check` and :func:`check_message` on the labelled set.

    Returns a JSON-able dict: counts, rates in [0, 1], the items that failed (value and
    verdict), and the mean time per check in microseconds, measured after one warm-up
    check has loaded the directory and the tables it reads.
    """
    labelled = load_labelled_set()
    directory = default_directory()
    as_of = labelled.as_of
    # Load the public-suffix list and the confusables table before the clock starts.
    check("warm-up.example", directory=directory, today=as_of)
    check_message("warm-up 95188", directory=directory, today=as_of)

    started = time.perf_counter()
    contact_results = [(c, check_labelled(c, as_of, directory)) for c in labelled.contacts]
    contact_seconds = time.perf_counter() - started
    started = time.perf_counter()
    message_results = [(m, check_labelled_message(m, as_of, directory)) for m in labelled.messages]
    message_seconds = time.perf_counter() - started

    def rate(hits: int, total: int) -> float | None:
        return round(hits / total, 4) if total else None

    genuine = [(c, r) for c, r in contact_results if c.label == "genuine"]
    fake = [(c, r) for c, r in contact_results if c.label == "fake"]
    unlisted = [(c, r) for c, r in contact_results if c.label == "unlisted"]
    scams = [(m, r) for m, r in message_results if m.label == "scam"]
    clean = [(m, r) for m, r in message_results if m.label == "genuine"]
    contact_hits = sum(contact_is_right(c, r) for c, r in contact_results)
    message_hits = sum(message_is_right(m, r) for m, r in message_results)
    return {
        "labelled_set": {
            "as_of": as_of.isoformat(),
            "contacts": len(contact_results),
            "messages": len(message_results),
        },
        "contacts": {
            "exact_accuracy": rate(contact_hits, len(contact_results)),
            "genuine_recognised": rate(
                sum(r.verdict in GENUINE_VERDICTS for _, r in genuine), len(genuine)
            ),
            "fakes_flagged": rate(sum(r.verdict in FLAGGED_VERDICTS for _, r in fake), len(fake)),
            # The failure that must stay at zero: something not in the directory shown as real.
            "unlisted_called_official": sum(r.verdict in GENUINE_VERDICTS for _, r in unlisted),
            "genuine_flagged": sum(r.verdict in FLAGGED_VERDICTS for _, r in genuine),
            "mean_microseconds": round(contact_seconds / len(contact_results) * 1e6, 1)
            if contact_results
            else None,
            "wrong": [
                {"value": c.value, "expected": c.expect.value, "got": r.verdict.value}
                for c, r in contact_results
                if not contact_is_right(c, r)
            ],
        },
        "messages": {
            "exact_accuracy": rate(message_hits, len(message_results)),
            "scams_flagged": rate(sum(r.risk is not Risk.LOW for _, r in scams), len(scams)),
            "genuine_false_alarms": sum(r.risk is not Risk.LOW for _, r in clean),
            "mean_microseconds": round(message_seconds / len(message_results) * 1e6, 1)
            if message_results
            else None,
            "wrong": [
                {"text": m.text[:60], "expected": m.expect_risk.value, "got": r.risk.value}
                for m, r in message_results
                if not message_is_right(m, r)
            ],
        },
    }
