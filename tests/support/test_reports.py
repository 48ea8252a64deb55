"""The service desk's reports (support/reports.py) over a small world, on SQLite and PostgreSQL.

The world is made through the services with a fake clock, so every duration in it
is known: two tickets answered (one in time, one late), one solved, CSAT answers,
two refunds that took one and three hours, and a payment refused for lack of funds.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from walletdesk.bootstrap import Container, build
from walletdesk.core.clock import FakeClock
from walletdesk.identity import accounts, changes, verification
from walletdesk.identity.errors import Forbidden
from walletdesk.identity.model import Principal, RequestContext, User, VerificationMethod
from walletdesk.identity.roles import Role
from walletdesk.identity.staff import console_operator
from walletdesk.settings import Settings
from walletdesk.support import reports
from walletdesk.support.helpcenter.service import load_articles
from walletdesk.support.reports import Count, average_hundredths, percentile
from walletdesk.support.tickets import service as tickets
from walletdesk.support.tickets import tables as ticket_tables
from walletdesk.support.tickets.rules import Channel, TicketStatus
from walletdesk.support.tickets.service import TicketDeps
from walletdesk.wallet import funding, payments, refunds
from walletdesk.wallet.merchants import Merchant, do_create_merchant

BACKENDS = ["sqlite", "postgres"]
# Monday 2 March 2026, 09:00 in Shanghai: a working day, so business minutes run.
MONDAY_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PASSWORD = "Correct-Horse-Battery-9"
CTX = RequestContext()


@pytest.fixture
def container(database_settings: Settings, clock: FakeClock) -> Iterator[Container]:
    clock.set(MONDAY_9)
    settings = database_settings.model_copy(
        update={"argon2_time_cost": 1, "argon2_memory_kib": 64, "argon2_parallelism": 1}
    )
    built = build(settings, clock=clock)
    load_articles(built.engine, clock)  # tickets suggest articles: the index must exist
    yield built
    built.close()


def person(container: Container, n: int, role: Role = Role.CUSTOMER) -> User:
    staff = role is not Role.CUSTOMER
    return accounts.do_register(
        container.identity,
        phone=None,
        email=f"person{n}@example.com",
        password=PASSWORD,
        display_name=f"Person {n}",
        locale="en",
        ctx=CTX,
        role=role,
        actor=console_operator(container.clock.now()) if staff else None,
    )


@dataclass
class World:
    agent: User
    customer: User
    categories: Counter[str]


def shop(container: Container) -> Merchant:
    merchant, _key = do_create_merchant(
        container.wallet,
        actor=console_operator(container.clock.now()),
        name="Tea House",
        currency="CNY",
        refund_policy={"window_days": 30, "approval": "merchant"},
        webhook_url=None,
        ctx=CTX,
    )
    return merchant


def funded(container: Container, customer: User, amount: int) -> None:
    principal = Principal(user=customer, session_id=None)
    proof = verification.do_verify(
        container.identity,
        principal,
        method=VerificationMethod.PASSWORD,
        password=PASSWORD,
        code=None,
        ctx=CTX,
    )
    card = changes.do_add_card(
        container.identity,
        principal,
        number="4242424242424242",
        expiry_month=12,
        expiry_year=2031,
        verification_token=proof.token,
        ctx=CTX,
    )
    funding.do_fund(
        container.wallet,
        customer,
        kind="topup",
        amount=amount,
        currency="CNY",
        card_id=uuid.UUID(card["id"]),
        idempotency_key=f"topup-{uuid.uuid4().hex}",
        locale="en",
    )


def pay(container: Container, merchant: Merchant, customer: User, amount: int) -> uuid.UUID:
    intent = payments.do_create_intent(
        container.wallet,
        merchant,
        amount=amount,
        currency="CNY",
        order_ref=f"order-{uuid.uuid4().hex[:8]}",
        description="tea",
        expires_in=None,
    )
    payments.do_pay(container.wallet, customer, uuid.UUID(intent["id"]), "en")
    return uuid.UUID(intent["id"])


def refund_taking(
    container: Container, clock: FakeClock, merchant: Merchant, customer: User, hours: int
) -> None:
    payment_id = pay(container, merchant, customer, 1_000)
    asked = refunds.do_request_refund(
        container.wallet, customer, None, payment_id, reason="changed_mind", locale="en"
    )
    clock.advance(timedelta(hours=hours))
    # To the balance: approved and paid back in the same step.
    refunds.do_approve_refund(container.wallet, None, merchant, uuid.UUID(asked["id"]))


def rate(container: Container, ticket_id: str, score: int) -> None:
    with container.engine.begin() as conn:
        conn.execute(
            insert(ticket_tables.ticket_csat).values(
                ticket_id=uuid.UUID(ticket_id), score=score, created_at=container.clock.now()
            )
        )


@pytest.fixture
def world(container: Container, clock: FakeClock) -> World:
    agent = person(container, 1, Role.AGENT)
    customer = person(container, 2)
    deps = TicketDeps.of(container.engine, clock)
    opened = [
        tickets.do_create_ticket(
            deps,
            customer,
            subject=subject,
            body=body,
            channel=channel,
        )
        for subject, body, channel in (
            ("Where is my refund?", "I returned the order, when is my refund back?", Channel.WEB),
            ("Payment failed", "My payment failed with an error at the shop.", Channel.APP),
            ("Raise my limit", "Please raise my daily payment limit.", Channel.EMAIL),
        )
    ]
    first, second, _third = (uuid.UUID(t["id"]) for t in opened)
    # The first is answered ten minutes in and solved; the second waits far past its
    # first-reply target (the longest is 24 business hours) and is then answered.
    clock.advance(timedelta(minutes=10))
    tickets.do_agent_reply(deps, agent, first, "Here is what happened.")
    tickets.do_change_status(deps, agent, first, TicketStatus.SOLVED)
    clock.advance(timedelta(days=7))
    tickets.do_agent_reply(deps, agent, second, "Sorry for the wait.")
    # A spam ticket counts nowhere.
    spam = tickets.do_create_ticket(deps, customer, subject="win", body="you won a prize")
    tickets.do_change_status(deps, agent, uuid.UUID(spam["id"]), TicketStatus.SPAM)
    rate(container, opened[0]["id"], 5)
    rate(container, opened[1]["id"], 2)
    merchant = shop(container)
    funded(container, customer, 10_000)
    refund_taking(container, clock, merchant, customer, 1)
    refund_taking(container, clock, merchant, customer, 3)
    pay(container, merchant, customer, 20_000)  # refused: the balance is 100.00
    return World(agent, customer, Counter(t["category"] for t in opened))


def test_tickets_are_counted_by_category_and_channel_without_spam(
    container: Container, world: World, clock: FakeClock
) -> None:
    report = reports.get_report(container.engine, world.agent, now=clock.now(), days=30)
    assert {c.key: c.count for c in report.tickets_by_category} == dict(world.categories)
    assert {c.key: c.count for c in report.tickets_by_channel} == {"web": 1, "app": 1, "email": 1}
    assert report.days == 30
    assert report.until == clock.now()


def test_sla_results_say_met_breached_and_running(
    container: Container, world: World, clock: FakeClock
) -> None:
    report = reports.get_report(container.engine, world.agent, now=clock.now(), days=30)
    first_reply, resolution = report.sla
    assert first_reply.target == "first_reply"
    # In time (10 business minutes), late (a week), and the third never answered:
    # by now it is past even the longest target, so it is breached too.
    assert (first_reply.met, first_reply.breached, first_reply.running) == (1, 2, 0)
    assert first_reply.median_minutes == 10
    assert resolution.target == "resolution"
    # Solved in time; the failed payment (high priority: 24 business hours) is past
    # its target; the limit request (normal: 72 business hours) is still within it.
    assert (resolution.met, resolution.breached, resolution.running) == (1, 1, 1)
    assert resolution.median_minutes == 10


def test_csat_refund_times_and_payment_failures(
    container: Container, world: World, clock: FakeClock
) -> None:
    report = reports.get_report(container.engine, world.agent, now=clock.now(), days=30)
    assert [(c.key, c.count) for c in report.csat.by_score] == [
        ("1", 0),
        ("2", 1),
        ("3", 0),
        ("4", 0),
        ("5", 1),
    ]
    assert report.csat.answers == 2
    assert report.csat.average_hundredths == 350
    assert report.refunds.succeeded == 2
    assert report.refunds.median_seconds == 3_600
    assert report.refunds.p90_seconds == 3 * 3_600
    assert [(c.key, c.count) for c in report.payment_failures] == [("insufficient_funds", 1)]
    # Two refunded payments and the refused one.
    assert report.payment_attempts == 3


def test_a_shorter_period_leaves_older_facts_out(
    container: Container, world: World, clock: FakeClock
) -> None:
    later = clock.now() + timedelta(days=20)
    report = reports.get_report(container.engine, world.agent, now=later, days=7)
    assert report.tickets_by_category == ()
    assert report.refunds.succeeded == 0
    assert report.csat.answers == 0
    assert report.csat.average_hundredths is None
    assert report.payment_failures == ()


def test_customers_cannot_read_reports_or_the_approvals_inbox(
    container: Container, world: World, clock: FakeClock
) -> None:
    with pytest.raises(Forbidden):
        reports.get_report(container.engine, world.customer, now=clock.now())
    with pytest.raises(Forbidden):
        reports.list_pending_approvals(container.engine, world.customer)
    with pytest.raises(Forbidden):
        reports.list_merchants(container.engine, world.agent)  # agents manage no merchants


def test_merchants_are_listed_with_their_takings(container: Container, world: World) -> None:
    admin = person(container, 3, Role.ADMIN)
    (merchant,) = reports.list_merchants(container.engine, admin)
    assert merchant["name"] == "Tea House"
    assert merchant["succeeded_payments"] == 2
    assert merchant["paid_minor"] == 2_000
    assert merchant["refunded_minor"] == 2_000
    assert merchant["api_key_prefix"].startswith("wdk_live_")
    assert "api_key_hash" not in merchant


def test_names_are_looked_up_in_one_read(container: Container, world: World) -> None:
    names = reports.display_names(
        container.engine, world.agent, [str(world.customer.id), str(world.agent.id), ""]
    )
    assert names == {str(world.customer.id): "Person 2", str(world.agent.id): "Person 1"}
    assert reports.display_names(container.engine, world.agent, []) == {}


def test_percentiles_use_the_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([7], 90) == 7
    assert percentile([4, 1, 3, 2], 50) == 2
    assert percentile(list(range(1, 11)), 90) == 9
    with pytest.raises(ValueError, match="pct"):
        percentile([1], 0)


def test_the_average_score_is_rounded_half_up_in_integers() -> None:
    assert average_hundredths([]) is None
    assert average_hundredths([Count("4", 2), Count("5", 1)]) == 433
    assert average_hundredths([Count("1", 1), Count("2", 1)]) == 150
    assert average_hundredths([Count("5", 3)]) == 500
