"""Text field types shared by request bodies.

:data:`FreeText` is what a person typed (a message, a ticket's subject or body, a
reason): control characters are dropped before the length checks
(:func:`walletdesk.core.text.drop_control_characters`), so a NUL pasted into a chat is
neither a 500 on PostgreSQL nor stored, and a body of nothing but control characters
is the usual 422 ``validation_error`` for an empty field. Give the length with
``Field(min_length=..., max_length=...)`` where it is used.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from walletdesk.core.text import drop_control_characters


def _without_control_characters(value: object) -> object:
    # Anything but a string is left for pydantic to refuse as it would anyway.
    return drop_control_characters(value) if isinstance(value, str) else value


FreeText = Annotated[str, BeforeValidator(_without_control_characters)]
