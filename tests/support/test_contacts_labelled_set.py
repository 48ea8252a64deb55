"""The labelled set: every official contact recognised, every fake flagged, no unknown called real."""

from __future__ import annotations

import pytest

from walletdesk.support.contacts.bench import (
    FLAGGED_VERDICTS,
    GENUINE_VERDICTS,
    LabelledContact,
    LabelledMessage,
    check_labelled,
    check_labelled_message,
    load_labelled_set,
    run_checker_bench,
)
from walletdesk.support.contacts.model import Risk, Verdict

LABELLED = load_labelled_set()


def _id(item: LabelledContact) -> str:
    return f"{item.label}:{item.value}:{item.claimed or ''}:{item.direction or ''}"


def test_the_set_is_large_and_balanced_enough_to_mean_something() -> None:
    labels = [c.label for c in LABELLED.contacts]
    assert len(LABELLED.contacts) + len(LABELLED.messages) >= 60
    assert labels.count("genuine") >= 30
    assert labels.count("fake") >= 30
    assert labels.count("unlisted") >= 10
    assert {m.label for m in LABELLED.messages} == {"scam", "genuine"}


@pytest.mark.parametrize("item", [c for c in LABELLED.contacts if c.label == "genuine"], ids=_id)
def test_every_official_contact_is_recognised(item: LabelledContact) -> None:
    result = check_labelled(item, LABELLED.as_of)
    assert result.verdict in GENUINE_VERDICTS
    assert result.verdict is item.expect
    assert result.provider is not None
    assert result.provider.id == item.provider


@pytest.mark.parametrize("item", [c for c in LABELLED.contacts if c.label == "fake"], ids=_id)
def test_every_fake_contact_is_flagged(item: LabelledContact) -> None:
    result = check_labelled(item, LABELLED.as_of)
    assert result.verdict in FLAGGED_VERDICTS
    assert result.verdict is item.expect
    if item.provider is not None:
        assert result.provider is not None
        assert result.provider.id == item.provider


@pytest.mark.parametrize("item", [c for c in LABELLED.contacts if c.label == "unlisted"], ids=_id)
def test_no_unlisted_contact_is_called_official(item: LabelledContact) -> None:
    result = check_labelled(item, LABELLED.as_of)
    assert result.verdict is Verdict.UNKNOWN
    assert item.expect is Verdict.UNKNOWN


@pytest.mark.parametrize(
    "item", LABELLED.messages, ids=[f"{m.label}:{m.text[:30]}" for m in LABELLED.messages]
)
def test_every_message_gets_its_risk_and_flags(item: LabelledMessage) -> None:
    result = check_labelled_message(item, LABELLED.as_of)
    assert result.risk is item.expect_risk
    assert set(item.expect_flags) <= {f.code for f in result.red_flags}
    if item.label == "scam":
        assert result.risk is not Risk.LOW
    else:
        assert result.red_flags == ()


def test_the_bench_reports_perfect_scores_on_the_shipped_set() -> None:
    figures = run_checker_bench()
    assert figures["labelled_set"]["contacts"] == len(LABELLED.contacts)
    assert figures["contacts"]["exact_accuracy"] == 1.0
    assert figures["contacts"]["fakes_flagged"] == 1.0
    assert figures["contacts"]["genuine_recognised"] == 1.0
    assert figures["contacts"]["unlisted_called_official"] == 0
    assert figures["contacts"]["wrong"] == []
    assert figures["messages"]["scams_flagged"] == 1.0
    assert figures["messages"]["genuine_false_alarms"] == 0
    assert figures["contacts"]["mean_microseconds"] > 0
