"""Account-information changes: password, phone, email, bank cards, and KYC tier.

Each change of contact or card needs a step-up token, alerts the old *and* the
new contact (so a takeover is noticed by the real owner), is audited with
before/after values, and starts a cooling-off period during which withdrawals to
a newly added card are held.

While the account is frozen none of these self-service changes is accepted, a KYC
tier upgrade included (:func:`walletdesk.identity.accounts.refuse_if_frozen`); an
agent's verified and approved change is how a frozen account gets repaired.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from walletdesk.identity import store
from walletdesk.identity import tables as t
from walletdesk.identity.accounts import refuse_if_frozen
from walletdesk.identity.authentication import sign_out_for_recovery
from walletdesk.identity.contacts import mask_email, mask_phone, normalise_email, normalise_phone
from walletdesk.identity.deps import IdentityDeps
from walletdesk.identity.errors import KycRejected, LoginTaken, UserNotFound
from walletdesk.identity.kyc_provider import Evidence
from walletdesk.identity.model import (
    KycTier,
    Principal,
    RequestContext,
    User,
    VerificationMethod,
)
from walletdesk.identity.passwords import require_strong
from walletdesk.identity.roles import Permission, authorize
from walletdesk.identity.verification import check_presence, consume_verification
from walletdesk.notify.messages import AlertKind

# Channels of identity evidence each tier needs (DOMAIN.md §2).
CHANNELS_FOR_TIER = {KycTier.I: 1, KycTier.II: 3, KycTier.III: 5}


def do_change_password(
    deps: IdentityDeps,
    principal: Principal,
    *,
    current_password: str,
    new_password: str,
    ctx: RequestContext,
) -> None:
    """Change the password; every other session is signed out and every unspent step-up
    token voided (:func:`sign_out_for_recovery`)."""
    user = principal.user
    # Refused before the password is even checked: a frozen account answers no guesses.
    refuse_if_frozen(user.status)
    # The current password is checked exactly like a step-up by password: wrong guesses
    # count towards the account's and the address's lockout, so a stolen session cannot
    # use this form to try passwords without limit.
    check_presence(
        deps,
        principal,
        method=VerificationMethod.PASSWORD,
        password=current_password,
        code=None,
        ctx=ctx,
    )
    personal = tuple(p for p in (user.display_name, user.phone, user.email) if p)
    score = require_strong(new_password, personal=personal).score
    new_hash = deps.passwords.hash(new_password)
    now = deps.clock.now()

    def work(conn: Connection) -> None:
        # Again under the row lock: a freeze may have landed while the hash was computed.
        refuse_if_frozen(store.user_row(conn, user.id, lock=True).status)
        store.update_user(
            conn, user.id, password_hash=new_hash, password_strength=score, password_changed_at=now
        )
        # Step-ups made with the old password (or on a device just signed out) go with the
        # other sessions: the caller proves it afresh, with the new password, next time.
        ended = sign_out_for_recovery(
            conn, user.id, now, "password_changed", keep=principal.session_id
        )
        deps.alert(
            conn, AlertKind.PASSWORD_CHANGED, user, {"sessions_ended": ended["sessions_ended"]}
        )
        store.add_security_event(conn, user.id, "password_changed", ended, ctx.source_ip, now)
        deps.audit(conn, "password.changed", actor=user, subject=user, ctx=ctx)

    deps.transaction(work)


def do_change_phone(
    deps: IdentityDeps,
    principal: Principal,
    *,
    phone: str,
    verification_token: str | None,
    ctx: RequestContext,
) -> User:
    new_phone = normalise_phone(phone)
    return _change_contact(deps, principal, "phone", new_phone, verification_token, ctx)


def do_change_email(
    deps: IdentityDeps,
    principal: Principal,
    *,
    email: str,
    verification_token: str | None,
    ctx: RequestContext,
) -> User:
    new_email = normalise_email(email)
    return _change_contact(deps, principal, "email", new_email, verification_token, ctx)


def do_change_contact_for_customer(
    deps: IdentityDeps,
    *,
    actor: User,
    user_id: uuid.UUID,
    field: str,
    value: str,
    reason: str,
    ctx: RequestContext,
) -> User:
    """An agent changes a customer's phone or email for them (they lost the old one).

    Only the agent-actions service calls this, after the customer's identity was
    verified on the ticket and a second person approved: those replace the
    customer's own step-up. The same alerts go to the old and the new contact.
    """
    authorize(actor.role, Permission.ACT_ON_CUSTOMERS)
    if field not in {"phone", "email"}:
        raise ValueError(f"unknown contact field {field!r}")
    clean = normalise_phone(value) if field == "phone" else normalise_email(value)
    with deps.engine.connect() as conn:
        customer = store.get_user(conn, user_id)
    return _change_contact(
        deps,
        Principal(user=customer, session_id=None),
        field,
        clean,
        None,
        ctx,
        actor=actor,
        reason=reason,
    )


def _change_contact(
    deps: IdentityDeps,
    principal: Principal,
    field: str,
    value: str,
    verification_token: str | None,
    ctx: RequestContext,
    *,
    actor: User | None = None,
    reason: str | None = None,
) -> User:
    user = principal.user
    now = deps.clock.now()

    def work(conn: Connection) -> User:
        before = store.get_user(conn, user.id, lock=True)
        if actor is None:
            refuse_if_frozen(before.status)
            consume_verification(conn, deps, user.id, verification_token, f"{field}.change")
        old = before.phone if field == "phone" else before.email
        if old == value:
            return before
        taken = store.login_taken(
            conn,
            phone=value if field == "phone" else None,
            email=value if field == "email" else None,
        )
        if taken:
            raise LoginTaken("this contact already belongs to another account")
        # Neither this change nor an agent's proves that the new contact reaches the
        # customer (the step-up proves who asks, not what they typed): it is unverified,
        # and identifies them to the inbound channels, once a code sent to it comes back.
        store.update_user(
            conn,
            user.id,
            **{field: value, f"{field}_verified_at": None, "last_sensitive_change_at": now},
        )
        after = store.get_user(conn, user.id)
        # A new phone or email is how the account is recovered from now on: the device
        # that was lost (or is in a thief's hands) must not stay signed in. An agent's
        # change (the "I lost my phone" call) ends every session; the customer's own
        # keeps the one that made it and ends the others, like a password change.
        ended = sign_out_for_recovery(
            conn, user.id, now, f"{field}_changed", keep=None if actor else principal.session_id
        )
        mask = mask_phone if field == "phone" else mask_email
        params = {
            "old": mask(old) if old else "",
            "new": mask(value),
            "signed_out": _signed_out(ended, by_agent=actor is not None),
        }
        kind = AlertKind.PHONE_CHANGED if field == "phone" else AlertKind.EMAIL_CHANGED
        # The old contact hears about it too: that is how an owner spots a takeover.
        if old:
            deps.alert(
                conn,
                kind,
                after,
                params,
                phone=old if field == "phone" else after.phone,
                email=old if field == "email" else after.email,
            )
        deps.alert(conn, kind, after, params)
        store.add_security_event(
            conn, user.id, f"{field}_changed", {**params, **ended}, ctx.source_ip, now
        )
        deps.audit(
            conn,
            f"{field}.changed",
            actor=actor or user,
            subject=after,
            ctx=ctx,
            before={field: old},
            after={field: value, **ended},
            reason=reason,
        )
        return after

    return deps.transaction(work)


def _signed_out(ended: dict[str, int], *, by_agent: bool) -> str:
    """The security alerts' ``signed_out`` variant: what the customer is told about their
    sessions (see notify's texts). An agent's change signed out every device, even when
    none was signed in; the customer's own says so only when other devices were."""
    if by_agent:
        return "everywhere"
    return "others" if ended["sessions_ended"] else ""


def card_public(row: Any, now: datetime) -> dict[str, Any]:
    cooling = row.cooling_off_until
    return {
        "id": str(row.id),
        "last4": row.last4,
        "brand": row.brand,
        "bank_name": row.bank_name,
        "added_at": row.added_at.isoformat(),
        "cooling_off_until": cooling.isoformat() if cooling else None,
        "withdrawals_held": bool(cooling and cooling > now),
    }


def list_cards(deps: IdentityDeps, user_id: uuid.UUID) -> list[dict[str, Any]]:
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        rows = conn.execute(
            select(t.cards)
            .where(and_(t.cards.c.user_id == user_id, t.cards.c.removed_at.is_(None)))
            .order_by(t.cards.c.added_at)
        ).all()
    return [card_public(r, now) for r in rows]


def do_add_card(
    deps: IdentityDeps,
    principal: Principal,
    *,
    number: str,
    expiry_month: int,
    expiry_year: int,
    verification_token: str | None,
    ctx: RequestContext,
) -> dict[str, Any]:
    """Tokenise through the vault; store only token, last four, brand and bank."""
    user = principal.user
    # Checked before the card number goes to the vault, and again under the row lock.
    refuse_if_frozen(user.status)
    token = deps.vault.tokenize(number, expiry_month, expiry_year)
    now = deps.clock.now()
    cooling = now + timedelta(hours=deps.settings.cooling_off_hours)

    def work(conn: Connection) -> dict[str, Any]:
        refuse_if_frozen(store.user_row(conn, user.id, lock=True).status)
        consume_verification(conn, deps, user.id, verification_token, "card.add")
        card_id = uuid.uuid4()
        conn.execute(
            insert(t.cards).values(
                id=card_id,
                user_id=user.id,
                token=token.token,
                last4=token.last4,
                brand=token.brand,
                bank_name=token.bank_name,
                added_at=now,
                cooling_off_until=cooling if deps.settings.cooling_off_hours else None,
            )
        )
        store.update_user(conn, user.id, last_sensitive_change_at=now)
        params = {
            "last4": token.last4,
            "bank": token.bank_name,
            "hours": deps.settings.cooling_off_hours,
        }
        deps.alert(conn, AlertKind.CARD_ADDED, user, params)
        store.add_security_event(conn, user.id, "card_added", params, ctx.source_ip, now)
        deps.audit(conn, "card.added", actor=user, subject=user, ctx=ctx, after=params)
        row = conn.execute(select(t.cards).where(t.cards.c.id == card_id)).one()
        return card_public(row, now)

    return deps.transaction(work)


def do_remove_card(
    deps: IdentityDeps,
    principal: Principal,
    *,
    card_id: uuid.UUID,
    verification_token: str | None,
    ctx: RequestContext,
) -> None:
    _remove_card(deps, principal.user, card_id, verification_token, ctx)


def do_remove_card_for_customer(
    deps: IdentityDeps,
    *,
    actor: User,
    user_id: uuid.UUID,
    card_id: uuid.UUID,
    reason: str,
    ctx: RequestContext,
) -> dict[str, Any]:
    """An agent unlinks a customer's card for them (lost or stolen); returns what was removed.

    Only the agent-actions service calls this, after the customer's identity was
    verified on the ticket and a second person approved: those replace the
    customer's own step-up. The card is unlinked exactly as when the customer does it,
    so no top-up, withdrawal or refund can use it afterwards, and the customer is alerted.
    """
    authorize(actor.role, Permission.ACT_ON_CUSTOMERS)
    with deps.engine.connect() as conn:
        customer = store.get_user(conn, user_id)
    return _remove_card(deps, customer, card_id, None, ctx, actor=actor, reason=reason)


def find_card(conn: Connection, user_id: uuid.UUID, card_id: uuid.UUID) -> Any | None:
    """The user's card ``card_id`` if it is still linked."""
    return conn.execute(
        select(t.cards).where(
            and_(
                t.cards.c.id == card_id,
                t.cards.c.user_id == user_id,
                t.cards.c.removed_at.is_(None),
            )
        )
    ).first()


def _remove_card(
    deps: IdentityDeps,
    user: User,
    card_id: uuid.UUID,
    verification_token: str | None,
    ctx: RequestContext,
    *,
    actor: User | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    now = deps.clock.now()

    def work(conn: Connection) -> dict[str, Any]:
        if actor is None:
            refuse_if_frozen(store.user_row(conn, user.id, lock=True).status)
        row = find_card(conn, user.id, card_id)
        if row is None:
            raise UserNotFound("no such card")
        if actor is None:
            consume_verification(conn, deps, user.id, verification_token, "card.remove")
        removed = conn.execute(
            update(t.cards)
            .where(and_(t.cards.c.id == card_id, t.cards.c.removed_at.is_(None)))
            .values(removed_at=now)
        ).rowcount
        if removed != 1:
            raise UserNotFound("no such card")
        params = {"last4": row.last4, "bank": row.bank_name}
        deps.alert(conn, AlertKind.CARD_REMOVED, user, params)
        store.add_security_event(conn, user.id, "card_removed", params, ctx.source_ip, now)
        deps.audit(
            conn,
            "card.removed",
            actor=actor or user,
            subject=user,
            ctx=ctx,
            before={**params, "card_id": str(card_id)},
            reason=reason,
        )
        return card_public(row, now)

    return deps.transaction(work)


def do_submit_kyc(
    deps: IdentityDeps,
    principal: Principal,
    *,
    requested: KycTier,
    full_name: str,
    id_type: str,
    id_number: str,
    selfie_provided: bool,
    ctx: RequestContext,
) -> dict[str, Any]:
    """Check identity evidence through the provider; grant the tier its channels allow.

    Raises AccountFrozen while the account is frozen, before the evidence goes to the
    provider: whoever holds a frozen account's session must not raise what it may do
    (tier II and III unlock larger payments and limit increases)."""
    user = principal.user
    refuse_if_frozen(user.status)
    has_card = bool(list_cards(deps, user.id))
    result = deps.identity_provider.check(
        Evidence(
            full_name=full_name,
            id_type=id_type,
            id_number=id_number,
            has_verified_phone=bool(user.phone),
            has_bank_card=has_card,
            selfie_provided=selfie_provided,
        )
    )
    if not result.channels:
        # Nothing could be verified: refuse before anything is recorded.
        raise KycRejected(
            "we could not verify these documents; check the name and ID number",
            reasons=", ".join(result.reasons),
        )
    reached = max(
        (tier for tier, needed in CHANNELS_FOR_TIER.items() if len(result.channels) >= needed),
        key=lambda tier: tier.rank,
        default=KycTier.I,
    )
    earned = reached if reached.rank <= requested.rank else requested
    now = deps.clock.now()

    def work(conn: Connection) -> dict[str, Any]:
        row = store.user_row(conn, user.id, lock=True)
        # Again under the row lock: a freeze may have landed while the provider answered.
        refuse_if_frozen(row.status)
        # The tier as it is now, not as the session read it: another submission (or an
        # agent) may have raised it while the provider answered, and a tier never goes
        # down by a submission.
        current = KycTier(row.kyc_tier)
        granted = earned if earned.rank > current.rank else current
        conn.execute(
            insert(t.kyc_checks).values(
                id=uuid.uuid4(),
                user_id=user.id,
                requested_tier=requested.value,
                granted_tier=granted.value,
                channels=result.channels,
                reasons=result.reasons,
                created_at=now,
            )
        )
        if granted is not current:
            store.update_user(conn, user.id, kyc_tier=granted.value)
            deps.alert(conn, AlertKind.KYC_TIER_CHANGED, user, {"tier": granted.value})
            deps.audit(
                conn,
                "kyc.tier_changed",
                actor=user,
                subject=user,
                ctx=ctx,
                before={"tier": current.value},
                after={"tier": granted.value},
            )
        return {
            "requested_tier": requested.value,
            "tier": granted.value,
            "channels": result.channels,
            "channels_needed": CHANNELS_FOR_TIER[requested],
            "reasons": result.reasons,
        }

    return deps.transaction(work)
