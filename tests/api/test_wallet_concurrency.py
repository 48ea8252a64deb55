"""Many threads paying and transferring between overlapping customers under their limits.

Ends with every ledger invariant intact, no limit exceeded, no balance below zero,
and every acknowledged operation present exactly once.
"""

from __future__ import annotations

import random
import threading
import uuid

from api_world import STRONG
from sqlalchemy import func, select

from walletdesk.bootstrap import Container
from walletdesk.identity import accounts, changes, verification
from walletdesk.identity.model import Principal, RequestContext, User, VerificationMethod
from walletdesk.identity.staff import console_operator
from walletdesk.wallet import funding, limits, p2p, payments
from walletdesk.wallet import tables as t
from walletdesk.wallet.accounts import wallet_account
from walletdesk.wallet.funding import FundingRefused
from walletdesk.wallet.limits_policy import Scope
from walletdesk.wallet.merchants import do_create_merchant

BACKENDS = ["sqlite", "postgres"]
THREADS = 8
OPERATIONS = 12
LIFETIME_LIMIT = 100_000  # tier I: ¥1,000 since opening, in fen


def customer(container: Container, n: int) -> User:
    ctx = RequestContext(device_id=f"d{n}")
    user = accounts.do_register(
        container.identity,
        phone=f"+861380013{n:04d}",
        email=None,
        password=STRONG,
        display_name=f"customer {n}",
        locale="en",
        ctx=ctx,
    )
    me = Principal(user, None)
    proof = verification.do_verify(
        container.identity,
        me,
        method=VerificationMethod.PASSWORD,
        password=STRONG,
        code=None,
        ctx=ctx,
    )
    card = changes.do_add_card(
        container.identity,
        me,
        number="4242424242424242",
        expiry_month=1,
        expiry_year=2031,
        verification_token=proof.token,
        ctx=ctx,
    )
    funding.do_fund(
        container.wallet,
        user,
        kind="topup",
        amount=80_000,
        currency="CNY",
        card_id=uuid.UUID(card["id"]),
        idempotency_key=f"fund-{n}",
        locale="en",
    )
    return user


def test_concurrent_payments_and_transfers_keep_money_and_limits_exact(
    container: Container,
) -> None:
    people = [customer(container, n) for n in range(4)]
    shops = [
        do_create_merchant(
            container.wallet,
            actor=console_operator(container.clock.now()),
            name=f"shop {n}",
            currency="CNY",
            refund_policy=None,
            webhook_url=None,
            ctx=RequestContext(),
        )[0]
        for n in range(2)
    ]
    acknowledged_payments: list[tuple[uuid.UUID, uuid.UUID, int]] = []
    acknowledged_transfers: list[tuple[uuid.UUID, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for op in range(OPERATIONS):
                payer = rng.choice(people)
                amount = rng.randint(1_000, 30_000)
                if rng.random() < 0.6:
                    intent = payments.do_create_intent(
                        container.wallet,
                        rng.choice(shops),
                        amount=amount,
                        currency="CNY",
                        order_ref=f"t{seed}-{op}",
                        description=None,
                        expires_in=None,
                    )
                    paid = payments.do_pay(container.wallet, payer, uuid.UUID(intent["id"]), "en")
                    if paid.payment["status"] == "succeeded":
                        with lock:
                            acknowledged_payments.append(
                                (uuid.UUID(intent["id"]), payer.id, amount)
                            )
                else:
                    receiver = rng.choice([p for p in people if p.id != payer.id])
                    try:
                        sent = p2p.do_transfer(
                            container.wallet,
                            payer,
                            to=str(receiver.id),
                            amount=amount,
                            currency="CNY",
                            note=None,
                            idempotency_key=f"t{seed}-{op}",
                            locale="en",
                        )
                    except FundingRefused:
                        continue
                    with lock:
                        acknowledged_transfers.append((uuid.UUID(sent["id"]), amount))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    assert container.ledger.check_invariants() == []
    with container.engine.connect() as conn:
        paid_rows = conn.execute(
            select(t.payments.c.id, t.payments.c.customer_id, t.payments.c.amount).where(
                t.payments.c.status == "succeeded"
            )
        ).all()
        assert sorted(paid_rows) == sorted(acknowledged_payments)
        transfer_count = conn.execute(
            select(func.count()).select_from(t.p2p_transfers)
        ).scalar_one()
        assert transfer_count == len(acknowledged_transfers)
        for person in people:
            usage = {
                w["window"]: w
                for w in limits.usage(conn, person, "CNY", Scope.SPEND, container.clock.now())
            }
            assert usage["lifetime"]["used"] <= LIFETIME_LIMIT
            spent = sum(a for _, payer, a in acknowledged_payments if payer == person.id)
            sent = conn.execute(
                select(func.coalesce(func.sum(t.p2p_transfers.c.amount), 0)).where(
                    t.p2p_transfers.c.sender_id == person.id
                )
            ).scalar_one()
            assert usage["lifetime"]["used"] == spent + int(sent)
    balances = container.ledger.lookup_accounts(
        [wallet_account(container.wallet, p.id, "CNY") for p in people]
    )
    assert all(b.available >= 0 for b in balances)
    merchant_total = sum(
        a.balance for a in container.ledger.lookup_accounts([s.account_id for s in shops])
    )
    assert sum(b.balance for b in balances) + merchant_total == 80_000 * len(people)
    assert merchant_total == sum(a for _, _, a in acknowledged_payments)
