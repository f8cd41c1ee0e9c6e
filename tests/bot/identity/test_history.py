from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from typing import Optional

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Customer, CustomerTier, LoyaltyAccount, Order, OrderStatus
from bot.db.repositories.customers import find_customer_by_email
from bot.db.seed import DEMO_CUSTOMER_EMAIL, seed_demo
from bot.identity.history import (
    POINTS_EXPIRY_WINDOW,
    RECENT_ORDERS_LIMIT,
    CustomerHistory,
    ExpiringPoints,
    expiring_points,
    first_name_of,
    load_customer_history,
)
from tests.support.shop_factory import ShopFactory

TODAY = date(2024, 6, 1)


@pytest.fixture
def jane(db_session: Session) -> Customer:
    seed_demo(db_session, TODAY)
    db_session.expire_all()
    customer = find_customer_by_email(db_session, DEMO_CUSTOMER_EMAIL)
    assert customer is not None
    return customer


def test_jane_doe_history(db_session: Session, jane: Customer) -> None:
    history = load_customer_history(db_session, jane.id, TODAY)
    assert history is not None
    assert (history.customer_id, history.name, history.first_name) == (jane.id, "Jane Doe", "Jane")
    assert history.tier is CustomerTier.GOLD
    assert history.points_balance == 4820
    assert history.expiring_points == ExpiringPoints(750, TODAY + timedelta(days=12))

    summaries = [
        (order.number, order.status, order.first_product, order.currency)
        for order in history.recent_orders
    ]
    assert summaries == [
        ("ORD-100004", OrderStatus.PENDING, "Black leather backpack", "EUR"),
        ("ORD-100003", OrderStatus.SHIPPED, "Oak side table", "EUR"),
        ("ORD-100002", OrderStatus.RETURNED, "Grey throw blanket", "EUR"),
        ("ORD-100001", OrderStatus.DELIVERED, "Blue desk lamp", "EUR"),
    ]
    placed = [order.placed_at for order in history.recent_orders]
    assert placed == sorted(placed, reverse=True)
    assert all(moment.tzinfo is not None for moment in placed)
    totals = dict(db_session.execute(select(Order.number, Order.total_cents)).all())
    assert all(order.total_cents == totals[order.number] for order in history.recent_orders)

    assert history.open_returns == () and history.open_cases == ()
    assert history.conversation_count == 0
    assert history.last_conversation_on is None
    assert history.last_conversation_sentiment is None


def test_the_history_names_no_one_else(db_session: Session, jane: Customer) -> None:
    history = load_customer_history(db_session, jane.id, TODAY)
    assert history is not None
    owners = db_session.execute(
        select(Order.customer_id).where(
            Order.number.in_([order.number for order in history.recent_orders])
        )
    ).scalars()
    assert set(owners) == {jane.id}


def test_points_expiring_after_thirty_days_are_not_mentioned(
    db_session: Session, jane: Customer
) -> None:
    expiry = TODAY + timedelta(days=12)
    assert timedelta(days=30) == POINTS_EXPIRY_WINDOW
    within = load_customer_history(db_session, jane.id, expiry - POINTS_EXPIRY_WINDOW)
    beyond = load_customer_history(
        db_session, jane.id, expiry - POINTS_EXPIRY_WINDOW - timedelta(days=1)
    )
    assert within is not None and within.expiring_points == ExpiringPoints(750, expiry)
    assert beyond is not None and beyond.expiring_points is None


@pytest.mark.parametrize(
    ("points", "expires_on", "expected"),
    [
        (750, TODAY, ExpiringPoints(750, TODAY)),
        (750, TODAY + timedelta(days=30), ExpiringPoints(750, TODAY + timedelta(days=30))),
        (750, TODAY + timedelta(days=31), None),
        (750, TODAY - timedelta(days=1), None),
        (0, TODAY + timedelta(days=3), None),
        (750, None, None),
    ],
)
def test_expiring_points_window(
    points: int, expires_on: date, expected: Optional[ExpiringPoints]
) -> None:
    account = LoyaltyAccount(
        points_balance=1000, points_expiring=points, points_expiry_date=expires_on
    )
    assert expiring_points(account, TODAY) == expected
    assert expiring_points(None, TODAY) is None


def test_only_the_five_newest_orders_are_listed(db_session: Session, factory: ShopFactory) -> None:
    customer = factory.customer(email="many.orders@example.com", name="Pat")
    start = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)
    for n in range(7):
        factory.order(customer, f"ORD-3000{n:02d}", placed_at=start + timedelta(days=n))
    history = load_customer_history(db_session, customer.id, TODAY)
    assert history is not None
    assert RECENT_ORDERS_LIMIT == 5
    assert [order.number for order in history.recent_orders] == [
        "ORD-300006",
        "ORD-300005",
        "ORD-300004",
        "ORD-300003",
        "ORD-300002",
    ]
    assert history.recent_orders[0].first_product is not None
    assert history.recent_orders[0].first_product.startswith("Blue test product")


def test_a_customer_without_orders_or_points(db_session: Session, factory: ShopFactory) -> None:
    customer = factory.customer(email="new.customer@example.com", name="Robin")
    history = load_customer_history(db_session, customer.id, TODAY)
    assert history == CustomerHistory(
        customer_id=customer.id,
        name="Robin",
        first_name="Robin",
        tier=CustomerTier.SILVER,
        points_balance=0,
        expiring_points=None,
        recent_orders=(),
    )


def test_an_unknown_customer_has_no_history(db_session: Session) -> None:
    assert load_customer_history(db_session, 999_999, TODAY) is None


def test_the_history_cannot_be_changed(db_session: Session, factory: ShopFactory) -> None:
    history = load_customer_history(db_session, factory.customer().id, TODAY)
    assert history is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        history.points_balance = 1_000_000  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "first"),
    [("Jane Doe", "Jane"), ("  Seán  Ó Briain ", "Seán"), ("Madonna", "Madonna"), ("", "")],
)
def test_first_name(name: str, first: str) -> None:
    assert first_name_of(name) == first


def test_open_returns_cases_and_earlier_conversations(db_session: Session, jane: Customer) -> None:
    from bot.db.models import (
        CaseKind,
        CaseStatus,
        ReturnRequest,
        ReturnStatus,
        SupportCase,
    )
    from bot.db.repositories.audit import record_change

    orders = {order.number: order for order in jane.orders}
    for rma, status in (
        ("RMA-000001", ReturnStatus.REQUESTED),
        ("RMA-000002", ReturnStatus.REFUNDED),
    ):
        db_session.add(
            ReturnRequest(
                rma=rma,
                order_id=orders["ORD-100001"].id,
                customer_id=jane.id,
                status=status,
                reason="Doesn't fit",
            )
        )
    for reference, status in (
        ("CASE-000001", CaseStatus.IN_PROGRESS),
        ("CASE-000002", CaseStatus.RESOLVED),
    ):
        db_session.add(
            SupportCase(
                reference=reference,
                customer_id=jane.id,
                order_id=orders["ORD-100001"].id,
                kind=CaseKind.DAMAGED_ITEM,
                status=status,
            )
        )
    earlier = datetime(2024, 5, 20, 10, 0, tzinfo=timezone.utc)
    for conversation, moment in (
        ("chat-1", earlier - timedelta(days=9)),
        ("chat-2", earlier),
        ("now", earlier + timedelta(days=5)),
    ):
        record_change(
            db_session,
            conversation,
            "conversation",
            conversation,
            "verified_customer_id",
            None,
            str(jane.id),
            now=moment,
        )
    from bot.db.models import Conversation, SentimentLabel

    db_session.add(Conversation(conversation_id="chat-2", last_label=SentimentLabel.NEGATIVE))
    # Someone else's conversation does not count.
    record_change(
        db_session,
        "other",
        "conversation",
        "other",
        "verified_customer_id",
        None,
        "999",
        now=earlier,
    )
    db_session.flush()

    history = load_customer_history(db_session, jane.id, TODAY, current_conversation_id="now")
    assert history is not None
    assert history.open_returns == ("RMA-000001",)
    assert history.open_cases == ("CASE-000001",)
    assert history.conversation_count == 2
    assert history.last_conversation_on == earlier.date()
    assert history.last_conversation_sentiment == "negative"
