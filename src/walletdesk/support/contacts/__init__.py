"""Official contacts and fake customer service (DOMAIN.md §6).

* :mod:`.model` — the directory's frozen, validated data model and the verdict enums;
* :mod:`.directory` — loading the shipped YAML directory and looking values up in it;
* :mod:`.normalise` — pure normalisation of phone numbers, hosts, handles and app paths;
* :mod:`.checker` — :func:`check`: is this number / address / account genuine?
* :mod:`.message_check` — :func:`check_message`: red flags in what a "customer service" person says;
* :mod:`.bench` — accuracy of both on the shipped labelled set.
"""

from walletdesk.support.contacts.checker import CheckResult, check
from walletdesk.support.contacts.directory import ContactDirectory, default_directory
from walletdesk.support.contacts.message_check import MessageCheck, check_message
from walletdesk.support.contacts.model import Direction, Risk, Verdict

__all__ = [
    "CheckResult",
    "ContactDirectory",
    "Direction",
    "MessageCheck",
    "Risk",
    "Verdict",
    "check",
    "check_message",
    "default_directory",
]
