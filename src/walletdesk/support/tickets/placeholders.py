"""Macro reply templates: which ``{placeholders}`` exist, checking a template, filling it.

Pure rules. Templates use :meth:`str.format` syntax restricted to plain names from
:data:`PLACEHOLDERS` (no attributes, indexes, conversions or format specs), so a
template can only ever insert those values; ``{{`` and ``}}`` write literal braces.
Templates are checked when a macro is saved, so an agent never sends a customer a
reply with a hole in it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from walletdesk.support.tickets.errors import (
    MacroPlaceholderUnavailable,
    MacroPlaceholderUnknown,
    MacroTemplateInvalid,
)

# name -> what it becomes (for the macro editor's help text).
PLACEHOLDERS: Mapping[str, str] = {
    "customer_name": "the customer's display name",
    "ticket_number": "the ticket's number, e.g. WD-000123",
    "ticket_subject": "the ticket's subject",
    "payment_id": "the id of the payment linked to the ticket (the macro then applies "
    "only to tickets with a linked payment)",
    "agent_name": "the display name of the agent applying the macro",
}


def placeholders_in(template: str, field: str = "body") -> frozenset[str]:
    """The placeholders ``template`` uses.

    Raises MacroTemplateInvalid for unbalanced braces, a positional ``{}``, a
    conversion or a format spec, and MacroPlaceholderUnknown for any other name.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise MacroTemplateInvalid("unbalanced braces", field=field) from exc
    names: set[str] = set()
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion:
            raise MacroTemplateInvalid("only plain {name} placeholders", field=field)
        if name not in PLACEHOLDERS:
            raise MacroPlaceholderUnknown(
                "unknown placeholder",
                unknown="{" + name + "}",
                allowed=", ".join("{" + known + "}" for known in PLACEHOLDERS),
            )
        names.add(name)
    return frozenset(names)


def fill(template: str, values: Mapping[str, str | None]) -> str:
    """``template`` with its placeholders replaced. Raises MacroPlaceholderUnavailable
    when one it uses has no value for this ticket (None), e.g. no linked payment."""
    used = placeholders_in(template)
    for name in sorted(used):
        if values.get(name) is None:
            raise MacroPlaceholderUnavailable("missing value", placeholder="{" + name + "}")
    return template.format_map({name: values[name] for name in used})
