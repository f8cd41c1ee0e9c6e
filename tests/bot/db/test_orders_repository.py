from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterator, List

import pytest
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from bot.db.errors import OrderNotFoundError
from bot.db.models import Order
from bot.db.repositories.orders import (
    find_order_by_number,
    find_order_for_owner,
    find_order_of_customer,
    get_order_by_number,
    list_recent_orders,
)

OWNER_EMAIL = "sam.owner@example.com"


@pytest.fixture
def owned_order(factory, db_session: Session) -> Order:
    owner = factory.customer(email=OWNER_EMAIL, name="Sam Owner")
    factory.customer(email="other.person@example.org", name="Other Person")
    order = factory.order(owner, "ORD-104233", quantities=(2, 1, 3))
    db_session.expire_all()
    return order


@pytest.fixture
def statements(db_session: Session) -> Iterator[List[str]]:
    """SQL statements the session sends while the test runs."""
    seen: List[str] = []
    connection = db_session.connection()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    yield seen
    event.remove(connection, "before_cursor_execute", record)


@pytest.mark.parametrize("typed", ["ORD-104233", "ord104233", "ORD 104233", "#104233", "104233"])
def test_find_order_by_number_accepts_every_form(
    db_session: Session, owned_order: Order, typed: str
) -> None:
    order = find_order_by_number(db_session, typed)
    assert order is not None
    assert order.number == "ORD-104233"


def test_find_order_by_number_loads_details_eagerly(
    db_session: Session, owned_order: Order, statements: List[str]
) -> None:
    order = find_order_by_number(db_session, "ORD-104233")
    assert order is not None
    unloaded = inspect(order).unloaded
    assert {"lines", "shipments", "payments", "customer", "shipping_address"}.isdisjoint(unloaded)
    queries = len(statements)
    assert [line.quantity for line in order.lines] == [2, 1, 3]
    assert all(line.product.sku.startswith("TST-") for line in order.lines)
    assert order.customer.email == OWNER_EMAIL
    assert order.payments[0].amount_cents == order.total_cents
    assert order.shipments[0].carrier == "DPD"
    assert len(statements) == queries, "details were lazy-loaded"


@pytest.mark.parametrize(
    "typed", ["ORD-999999", "999999", "not an order", "1' OR '1'='1", "<script>", ""]
)
def test_find_order_by_number_returns_none_for_unknown_or_invalid(
    db_session: Session, owned_order: Order, typed: str
) -> None:
    assert find_order_by_number(db_session, typed) is None


def test_get_order_by_number_raises_order_not_found(
    db_session: Session, owned_order: Order
) -> None:
    assert get_order_by_number(db_session, "#104233").number == "ORD-104233"
    with pytest.raises(OrderNotFoundError) as raised:
        get_order_by_number(db_session, "ORD-999999")
    assert raised.value.number == "ORD-999999"


@pytest.mark.parametrize(
    "email",
    [OWNER_EMAIL, "Sam.Owner@Example.COM", "  SAM.OWNER@EXAMPLE.COM \n"],
)
def test_find_order_for_owner_matches_email_ignoring_case_and_space(
    db_session: Session, owned_order: Order, email: str
) -> None:
    order = find_order_for_owner(db_session, "ord 104233", email)
    assert order is not None
    assert order.number == "ORD-104233"
    assert order.customer.email == OWNER_EMAIL
    assert len(order.lines) == 3


@pytest.mark.parametrize(
    ("number", "email"),
    [
        ("ORD-104233", "other.person@example.org"),  # another customer's e-mail
        ("ORD-104233", "nobody@example.com"),  # unknown e-mail
        ("ORD-104233", ""),
        ("ORD-104233", "   "),
        ("ORD-104233", "sam.owner@example.com' OR '1'='1"),
        ("ORD-104233", "%"),
        ("ORD-999999", OWNER_EMAIL),  # unknown order
        ("1' OR '1'='1", OWNER_EMAIL),
        ("<script>", OWNER_EMAIL),
    ],
)
def test_find_order_for_owner_returns_none_when_not_the_owner(
    db_session: Session, owned_order: Order, number: str, email: str
) -> None:
    assert find_order_for_owner(db_session, number, email) is None


def test_wrong_email_and_unknown_order_are_indistinguishable(
    db_session: Session, owned_order: Order, statements: List[str]
) -> None:
    wrong_email = find_order_for_owner(db_session, "ORD-104233", "other.person@example.org")
    after_wrong_email = list(statements)
    statements.clear()
    unknown_order = find_order_for_owner(db_session, "ORD-999999", OWNER_EMAIL)
    assert wrong_email is None and unknown_order is None
    # The same single query runs in both cases.
    assert len(after_wrong_email) == len(statements) == 1
    assert after_wrong_email == statements


def test_injection_strings_leave_the_data_alone(db_session: Session, owned_order: Order) -> None:
    for text in ("104233'; DROP TABLE orders; --", "1' OR '1'='1"):
        assert find_order_by_number(db_session, text) is None
        assert find_order_for_owner(db_session, "ORD-104233", text) is None
    assert db_session.execute(select(func.count()).select_from(Order)).scalar_one() == 1


def test_list_recent_orders_newest_first_and_limited(factory, db_session: Session) -> None:
    customer = factory.customer()
    other = factory.customer()
    start = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
    # Placed out of order; two share a timestamp (the later id wins).
    offsets = [3, 0, 6, 1, 5, 2, 4, 6]
    for n, days in enumerate(offsets):
        factory.order(customer, f"ORD-2000{n:02d}", placed_at=start + timedelta(days=days))
    factory.order(other, "ORD-300000", placed_at=start + timedelta(days=30))

    recent = list_recent_orders(db_session, customer.id)
    assert [order.number for order in recent] == [
        "ORD-200007",
        "ORD-200002",
        "ORD-200004",
        "ORD-200006",
        "ORD-200000",
    ]
    assert all(order.customer_id == customer.id for order in recent)
    assert [o.number for o in list_recent_orders(db_session, customer.id, limit=2)] == [
        "ORD-200007",
        "ORD-200002",
    ]
    assert len(list_recent_orders(db_session, customer.id, limit=50)) == len(offsets)
    assert list_recent_orders(db_session, customer.id + other.id + 1000) == []


def test_list_recent_orders_rejects_non_positive_limit(db_session: Session) -> None:
    with pytest.raises(ValueError):
        list_recent_orders(db_session, 1, limit=0)


def test_verified_customer_finds_only_their_own_orders(
    db_session: Session, owned_order: Order
) -> None:
    from bot.db.models import Customer

    other = db_session.execute(
        select(Customer).where(Customer.email == "other.person@example.org")
    ).scalar_one()
    mine = find_order_of_customer(db_session, "ord 104233", owned_order.customer_id)
    assert mine is not None and mine.number == "ORD-104233"
    assert find_order_of_customer(db_session, "ORD-104233", other.id) is None
    assert find_order_of_customer(db_session, "ORD-999999", owned_order.customer_id) is None
    assert find_order_of_customer(db_session, "1' OR '1'='1", owned_order.customer_id) is None
