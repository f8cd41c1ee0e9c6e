from __future__ import annotations

from datetime import date, datetime, timezone

from bot.db.models import CustomerTier, OrderStatus
from bot.identity.greeting import welcome_back
from bot.identity.history import CustomerHistory, OrderSummary

TODAY = date(2024, 11, 20)


def summary(number: str, status: OrderStatus, day: int, product: str) -> OrderSummary:
    placed = datetime(2024, 11, day, 10, 0, tzinfo=timezone.utc)
    return OrderSummary(number, placed, status, product, 8900, "EUR")


def history(*orders: OrderSummary, returns=(), cases=()) -> CustomerHistory:
    return CustomerHistory(
        customer_id=1,
        name="Jane Doe",
        first_name="Jane",
        tier=CustomerTier.GOLD,
        points_balance=0,
        expiring_points=None,
        recent_orders=orders,
        open_returns=returns,
        open_cases=cases,
    )


def test_the_newest_order_on_its_way_is_mentioned_by_date_and_product():
    text = welcome_back(
        history(
            summary("ORD-100009", OrderStatus.DELIVERED, 18, "Mustard mug"),
            summary("ORD-100008", OrderStatus.SHIPPED, 12, "Blue desk lamp"),
            summary("ORD-100007", OrderStatus.PAID, 2, "Oak side table"),
        ),
        TODAY,
    )
    assert text == (
        "Hi Jane, welcome back! Your order from 12 Nov, the Blue desk lamp, is with the "
        "carrier. What can I do for you today?"
    )


def test_open_returns_and_cases_are_mentioned():
    text = welcome_back(
        history(
            summary("ORD-100009", OrderStatus.DELIVERED, 18, "Mustard mug"),
            returns=("RMA-123456",),
            cases=("CASE-654321",),
        ),
        TODAY,
    )
    assert text == (
        "Hi Jane, welcome back! Your return RMA-123456 is in progress. Our team is still "
        "working on CASE-654321 for you. What can I do for you today?"
    )


def test_nothing_open_gives_a_plain_welcome():
    assert welcome_back(history(), TODAY) == "Hi Jane, welcome back! What can I do for you today?"
