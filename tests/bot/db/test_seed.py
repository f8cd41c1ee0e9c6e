from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, List, Tuple

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.db.engine import create_engine_for_url
from bot.db.errors import DatabaseNotEmptyError
from bot.db.models import (
    Address,
    Base,
    Customer,
    LoyaltyAccount,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
    Product,
    Shipment,
)
from bot.db.repositories.customers import find_customer_by_email
from bot.db.repositories.orders import find_order_for_owner, list_recent_orders
from bot.db.seed import (
    DEMO_CUSTOMER_EMAIL,
    DEMO_ORDER_NUMBERS,
    SeedSummary,
    count_customers,
    reset_shop_data,
    seed_demo,
)

TODAY = date(2024, 6, 1)


@pytest.fixture
def seeded(db_session: Session) -> SeedSummary:
    summary = seed_demo(db_session, TODAY)
    db_session.expire_all()
    return summary


def snapshot(session: Session) -> List[Tuple[Any, ...]]:
    """Everything about the orders that must not change between two seeds."""
    orders = session.execute(
        select(Order)
        .options(
            selectinload(Order.customer),
            selectinload(Order.shipping_address),
            selectinload(Order.lines).selectinload(OrderLine.product),
            selectinload(Order.payments),
            selectinload(Order.shipments),
        )
        .order_by(Order.number)
    ).scalars()
    return [
        (
            order.number,
            order.customer.email,
            order.customer.tier,
            order.shipping_address.one_line(),
            order.status,
            order.placed_at,
            order.updated_at,
            order.subtotal_cents,
            order.shipping_cents,
            order.total_cents,
            order.promised_delivery_date,
            tuple((line.product.sku, line.quantity, line.unit_price_cents) for line in order.lines),
            tuple(
                (p.method, p.kind, p.status, p.amount_cents, p.reference, p.created_at)
                for p in order.payments
            ),
            tuple(
                (s.carrier, s.tracking_number, s.status, s.shipped_at, s.delivered_at)
                for s in order.shipments
            ),
        )
        for order in orders
    ]


def count(session: Session, model: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_summary_matches_the_database(db_session: Session, seeded: SeedSummary) -> None:
    assert seeded.customers == count(db_session, Customer) >= 60
    assert seeded.orders == count(db_session, Order) >= 240
    assert seeded.products == 40
    assert seeded.payments == count(db_session, Payment)
    assert seeded.shipments == count(db_session, Shipment)
    assert seeded.loyalty_accounts == count(db_session, LoyaltyAccount)
    assert sum(seeded.orders_by_status.values()) == seeded.orders
    assert any("jane.doe@example.com" in line for line in seeded.describe())


def test_every_order_status_is_present(db_session: Session, seeded: SeedSummary) -> None:
    rows = db_session.execute(select(Order.status, func.count()).group_by(Order.status)).all()
    by_status = {status: n for status, n in rows}
    assert set(by_status) == set(OrderStatus)
    assert all(n >= 5 for n in by_status.values())


def test_there_are_late_shipments(db_session: Session, seeded: SeedSummary) -> None:
    late = (
        db_session.execute(
            select(Order)
            .join(Order.shipments)
            .where(
                Order.status == OrderStatus.SHIPPED,
                Shipment.delivered_at.is_(None),
                Shipment.estimated_delivery_date < TODAY,
            )
        )
        .scalars()
        .all()
    )
    assert len(late) >= 5
    assert seeded.late_shipments == len(late)
    assert all(order.shipments[0].is_late(TODAY) for order in late)


def test_there_are_multi_line_orders(db_session: Session, seeded: SeedSummary) -> None:
    lines_per_order = (
        select(OrderLine.order_id, func.count().label("n")).group_by(OrderLine.order_id).subquery()
    )
    multi = db_session.execute(
        select(func.count()).select_from(lines_per_order).where(lines_per_order.c.n > 1)
    ).scalar_one()
    assert multi >= 20


def test_payment_scenarios(db_session: Session, seeded: SeedSummary) -> None:
    failed = (
        db_session.execute(select(Payment).where(Payment.status == PaymentStatus.FAILED))
        .scalars()
        .all()
    )
    assert len(failed) >= 5
    assert all(payment.failure_reason for payment in failed)

    captures = (
        select(Payment.order_id)
        .where(Payment.kind == PaymentKind.CAPTURE, Payment.status == PaymentStatus.SUCCEEDED)
        .group_by(Payment.order_id)
        .having(func.count() > 1)
    )
    assert len(db_session.execute(captures).all()) >= 2

    refunds = db_session.execute(
        select(func.count()).select_from(Payment).where(Payment.kind == PaymentKind.REFUND)
    ).scalar_one()
    assert refunds >= seeded.orders_by_status["returned"]


def test_money_adds_up(db_session: Session, seeded: SeedSummary) -> None:
    orders = db_session.execute(select(Order).options(selectinload(Order.lines))).scalars()
    for order in orders:
        assert order.subtotal_cents == sum(line.line_total_cents for line in order.lines)
        assert order.total_cents == order.subtotal_cents + order.shipping_cents
        assert order.currency == "GBP"


def test_nothing_happens_after_yesterday(db_session: Session, seeded: SeedSummary) -> None:
    midnight = datetime.combine(TODAY, time(0), tzinfo=timezone.utc)
    latest = [
        db_session.execute(select(func.max(column))).scalar_one()
        for column in (
            Order.placed_at,
            Order.updated_at,
            Payment.created_at,
            Shipment.shipped_at,
            Shipment.delivered_at,
            Customer.created_at,
        )
    ]
    assert all(moment < midnight for moment in latest)


def test_loyalty_points_expire_soon_for_some(db_session: Session, seeded: SeedSummary) -> None:
    soon = db_session.execute(
        select(func.count())
        .select_from(LoyaltyAccount)
        .where(
            LoyaltyAccount.points_expiring > 0,
            LoyaltyAccount.points_expiry_date <= TODAY + timedelta(days=30),
        )
    ).scalar_one()
    assert soon >= 5


def test_customers_look_real_and_use_example_domains(
    db_session: Session, seeded: SeedSummary
) -> None:
    emails = db_session.execute(select(Customer.email)).scalars().all()
    pattern = re.compile(r"[a-z-]+\.[a-z-]+[0-9]*@example\.(com|org|net)")
    assert all(pattern.fullmatch(email) for email in emails), emails
    assert len(set(emails)) == len(emails)
    countries = db_session.execute(select(Address.country))
    assert {"GB", "US", "FR", "DE"} <= set(countries.scalars())


def test_order_numbers_are_consecutive(db_session: Session, seeded: SeedSummary) -> None:
    numbers = db_session.execute(select(Order.number).order_by(Order.number)).scalars().all()
    assert numbers == [f"ORD-{100001 + i}" for i in range(len(numbers))]


def test_jane_doe_is_the_demo_customer(db_session: Session, seeded: SeedSummary) -> None:
    first = db_session.execute(select(Customer).order_by(Customer.id).limit(1)).scalar_one()
    jane = find_customer_by_email(db_session, "Jane.Doe@example.com")
    assert jane is first
    assert (jane.name, jane.email, jane.tier.value) == ("Jane Doe", DEMO_CUSTOMER_EMAIL, "gold")
    assert jane.loyalty_account.points_expiring > 0

    orders = {order.number: order for order in list_recent_orders(db_session, jane.id, 10)}
    assert set(orders) == set(DEMO_ORDER_NUMBERS)
    delivered, returned, late, pending = (orders[n] for n in DEMO_ORDER_NUMBERS)
    assert delivered.status is OrderStatus.DELIVERED and len(delivered.lines) == 3
    assert returned.status is OrderStatus.RETURNED
    assert late.status is OrderStatus.SHIPPED and late.shipments[0].is_late(TODAY)
    assert late.shipments[0].estimated_delivery_date == TODAY - timedelta(days=5)
    assert pending.status is OrderStatus.PENDING

    assert find_order_for_owner(db_session, "ord 100003", " JANE.DOE@example.com ") is late
    assert find_order_for_owner(db_session, "ORD-100005", DEMO_CUSTOMER_EMAIL) is None


def test_seeding_is_deterministic(db_session: Session, seeded: SeedSummary) -> None:
    engine = create_engine_for_url("sqlite://")
    try:
        Base.metadata.create_all(engine)
        with Session(engine, future=True) as other:
            again = seed_demo(other, TODAY)
            assert again == seeded
            assert snapshot(other) == snapshot(db_session)
    finally:
        engine.dispose()


def test_reset_then_reseed_gives_the_same_shop(db_session: Session, seeded: SeedSummary) -> None:
    before = snapshot(db_session)
    reset_shop_data(db_session)
    assert count_customers(db_session) == 0
    assert count(db_session, Order) == 0
    seed_demo(db_session, TODAY)
    assert snapshot(db_session) == before


def test_dates_follow_today(db_session: Session, seeded: SeedSummary) -> None:
    before = snapshot(db_session)
    reset_shop_data(db_session)
    seed_demo(db_session, TODAY + timedelta(days=100))
    after = snapshot(db_session)
    shift = timedelta(days=100)
    assert [(o[0], o[4], o[9]) for o in after] == [(o[0], o[4], o[9]) for o in before]
    assert [o[5] - shift for o in after] == [o[5] for o in before]


def test_seeding_refuses_a_database_with_customers(
    db_session: Session, seeded: SeedSummary
) -> None:
    with pytest.raises(DatabaseNotEmptyError) as raised:
        seed_demo(db_session, TODAY)
    assert raised.value.customer_count == seeded.customers


def test_products_have_colours_and_display_names(db_session: Session, seeded: SeedSummary) -> None:
    products = db_session.execute(select(Product).order_by(Product.sku)).scalars().all()
    assert len(products) == 40
    assert all(product.colour and product.colour not in product.name for product in products)
    names = {product.display_name for product in products}
    assert {"Blue desk lamp", "Speckled white ceramic mug", "Oak side table"} <= names
    assert len(names) == 40
