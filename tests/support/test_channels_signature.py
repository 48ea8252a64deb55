"""The channel signature header (support/channels/signature.py): one spelling per
signature, and a delivery named by what is signed, not by how the header was written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from walletdesk.support.channels.signature import (
    BadSignature,
    Signature,
    delivery_key,
    parse,
    sign,
    verify,
)

SECRET = "test-channels-secret"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
STAMP = int(NOW.timestamp())
BODY = b'{"text": "\xe9\x80\x80\xe6\xac\xbe"}'


def test_what_sign_writes_verifies_and_parses_to_its_parts() -> None:
    header = sign(SECRET, STAMP, BODY)
    signature = verify(SECRET, header, BODY, NOW)
    assert signature == Signature(STAMP, header.split("v1=")[1])
    assert parse(header) == signature


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        " {h}",
        "{h} ",
        "{t}, {v}",
        "{t},{v},v0=whatever",
        "{t},{v},{v}",
        "{v},{t}",
        "t=0{s},{v}",
        "t=+{s},{v}",
        "t={s}_0,{v}",
        "t={s}.0,{v}",
        "t=1{s}000,{v}",
        "{t},V1={d}",
        "{t},v1={D}",
        "{t},v1={d}0",
        "{t},v1=",
        "T={s},{v}",
        "{t};{v}",
    ],
)
def test_any_other_spelling_is_malformed(header: str | None) -> None:
    good = sign(SECRET, STAMP, BODY)
    t, v = good.split(",")
    digest = v.removeprefix("v1=")
    spelled = None
    if header is not None:
        spelled = header.format(h=good, t=t, v=v, s=STAMP, d=digest, D=digest.upper())
    with pytest.raises(BadSignature, match=r"missing|malformed"):
        verify(SECRET, spelled, BODY, NOW)


def test_a_wrong_or_stale_signature_is_refused() -> None:
    with pytest.raises(BadSignature, match="wrong"):
        verify("another-secret", sign(SECRET, STAMP, BODY), BODY, NOW)
    with pytest.raises(BadSignature, match="wrong"):
        verify(SECRET, sign(SECRET, STAMP, BODY), BODY + b" ", NOW)
    with pytest.raises(BadSignature, match="stale"):
        verify(SECRET, sign(SECRET, STAMP, BODY), BODY, NOW + timedelta(minutes=5, seconds=1))


def test_a_delivery_is_named_by_its_signed_timestamp_and_body() -> None:
    key = delivery_key(parse(sign(SECRET, STAMP, BODY)), BODY)
    assert key.startswith("signed:")
    # Signed by another secret (say during a rotation), it is the same delivery.
    assert delivery_key(parse(sign("another-secret", STAMP, BODY)), BODY) == key
    assert delivery_key(parse(sign(SECRET, STAMP + 1, BODY)), BODY) != key
    assert delivery_key(parse(sign(SECRET, STAMP, BODY + b" ")), BODY + b" ") != key
