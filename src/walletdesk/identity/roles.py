"""Roles and the one central authorisation check."""

from __future__ import annotations

from enum import StrEnum

from walletdesk.identity.errors import Forbidden


class Role(StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Permission(StrEnum):
    OWN_ACCOUNT = "own_account"  # read and change one's own profile, sessions, 2FA
    MOVE_OWN_MONEY = "move_own_money"
    MERCHANT_API = "merchant_api"
    READ_CUSTOMERS = "read_customers"  # customer 360, audited
    ACT_ON_CUSTOMERS = "act_on_customers"  # propose actions on a customer's account
    APPROVE_ACTIONS = "approve_actions"  # the second pair of eyes
    MANAGE_STAFF = "manage_staff"
    MANAGE_MERCHANTS = "manage_merchants"
    MANAGE_CONTENT = "manage_content"  # help articles, contact directory
    MANAGE_DESK = "manage_desk"  # who takes tickets, and how many at once


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.CUSTOMER: frozenset({Permission.OWN_ACCOUNT, Permission.MOVE_OWN_MONEY}),
    Role.MERCHANT: frozenset({Permission.OWN_ACCOUNT, Permission.MERCHANT_API}),
    Role.AGENT: frozenset(
        {Permission.OWN_ACCOUNT, Permission.READ_CUSTOMERS, Permission.ACT_ON_CUSTOMERS}
    ),
    Role.SUPERVISOR: frozenset(
        {
            Permission.OWN_ACCOUNT,
            Permission.READ_CUSTOMERS,
            Permission.ACT_ON_CUSTOMERS,
            Permission.APPROVE_ACTIONS,
            Permission.MANAGE_DESK,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}

STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


def can(role: Role, permission: Permission) -> bool:
    return permission in GRANTS[role]


def authorize(role: Role, permission: Permission) -> None:
    """Raise :class:`Forbidden` unless ``role`` holds ``permission``. The only such check."""
    if not can(role, permission):
        raise Forbidden("this action is not allowed for your role", permission=permission.value)
