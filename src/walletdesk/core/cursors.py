"""Page cursors: opaque to callers, inside the last sequence number of the previous page.

One spelling for every list that pages by an increasing ``seq`` (ledger history, audit
log, inbox, refunds, merchant and customer views), so a cursor from one list is
refused by another with the same words.
"""

from __future__ import annotations

from walletdesk.core.errors import ValidationError


def encode_seq_cursor(seq: int) -> str:
    return format(seq, "x")


def decode_seq_cursor(cursor: str | None) -> int | None:
    """The ``seq`` in ``cursor``; None for no cursor. Anything we did not issue is refused."""
    if not cursor:
        return None
    try:
        value = int(cursor, 16)
    except ValueError:
        raise ValidationError("cursor is not one this server issued", field="cursor") from None
    if value <= 0:
        raise ValidationError("cursor is not one this server issued", field="cursor")
    return value
