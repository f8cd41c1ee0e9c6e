from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.db.models import CustomerTier, OrderStatus
from bot.events.priority import (
    CustomerStanding,
    customer_standing,
    follow_up_priority,
    priority_for,
)


@pytest.mark.parametrize(
    ("score", "tier", "order_cents", "expected"),
    [
        (-1.0, CustomerTier.GOLD, 50_000, 100),
        (1.0, None, None, 0),
        (0.0, None, None, 25),
        # The docstring's example: 40 + 25 + 6.
        (-0.6, CustomerTier.GOLD, 12_900, 71),
        (-0.5, CustomerTier.BRONZE, 1_999, 38 + 5 + 0),
        (-0.5, CustomerTier.SILVER, 2_000, 38 + 15 + 1),
        # Order value stops counting at 25 points.
        (0.0, None, 1_000_000, 25 + 25),
        # Scores beyond the scale count as its ends.
        (-3.0, None, None, 50),
        (2.0, None, None, 0),
    ],
)
def test_priority_formula(score, tier, order_cents, expected):
    assert follow_up_priority(score, tier, order_cents) == expected


def test_better_tier_comes_first_at_the_same_sentiment_and_order():
    gold, silver, bronze, unknown = (
        follow_up_priority(-0.7, tier, 8_000)
        for tier in (CustomerTier.GOLD, CustomerTier.SILVER, CustomerTier.BRONZE, None)
    )
    assert gold > silver > bronze > unknown


def test_angrier_message_and_bigger_order_come_first():
    assert follow_up_priority(-0.9) > follow_up_priority(-0.5) > follow_up_priority(0.2)
    assert follow_up_priority(-0.5, None, 40_000) > follow_up_priority(-0.5, None, 4_000)


def test_a_negative_order_value_adds_nothing():
    assert follow_up_priority(0.0, None, -5_000) == 25


def test_standing_uses_the_newest_open_order_over_a_newer_delivered_one(factory):
    customer = factory.customer()
    customer.tier = CustomerTier.GOLD
    open_order = factory.order(
        customer,
        "ORD-400001",
        placed_at=datetime(2024, 4, 1, tzinfo=timezone.utc),
        status=OrderStatus.SHIPPED,
        quantities=(3,),
    )
    factory.order(
        customer,
        "ORD-400002",
        placed_at=datetime(2024, 4, 20, tzinfo=timezone.utc),
        status=OrderStatus.DELIVERED,
    )
    standing = customer_standing(factory.session, customer.id)
    assert standing == CustomerStanding(CustomerTier.GOLD, open_order.total_cents)


def test_standing_falls_back_to_the_newest_order_when_none_is_open(factory):
    customer = factory.customer()
    factory.order(
        customer,
        "ORD-400003",
        placed_at=datetime(2024, 3, 1, tzinfo=timezone.utc),
        status=OrderStatus.DELIVERED,
    )
    newest = factory.order(
        customer,
        "ORD-400004",
        placed_at=datetime(2024, 4, 1, tzinfo=timezone.utc),
        status=OrderStatus.CANCELLED,
        quantities=(2,),
    )
    standing = customer_standing(factory.session, customer.id)
    assert standing == CustomerStanding(CustomerTier.SILVER, newest.total_cents)


def test_standing_of_a_customer_without_orders_has_only_the_tier(factory):
    customer = factory.customer()
    assert customer_standing(factory.session, customer.id) == CustomerStanding(
        CustomerTier.SILVER, None
    )


def test_standing_of_nobody_is_empty(db_session):
    assert customer_standing(db_session, None) == CustomerStanding()
    assert customer_standing(db_session, 999_999) == CustomerStanding()


def test_priority_for_a_verified_customer_counts_tier_and_order(factory):
    customer = factory.customer()
    order = factory.order(customer, "ORD-400005", status=OrderStatus.PAID, quantities=(4,))
    assert order.total_cents == 4 * 1500 + 495
    assert priority_for(factory.session, -0.6, customer.id) == 40 + 15 + 3
    assert priority_for(factory.session, -0.6, None) == 40
