"""Free text as people type it, made safe to store.

PostgreSQL refuses a NUL character in any text value, so a message carrying one was
a 500 rather than a ticket; the other C0 control characters (and DEL) are invisible,
mean nothing in a message and can garble what an agent reads. Tab, line feed and
carriage return are kept: people write paragraphs.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def drop_control_characters(text: str) -> str:
    """``text`` without C0 control characters other than tab, LF and CR, and without DEL."""
    return _CONTROL.sub("", text)
