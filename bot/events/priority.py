"""How urgent a follow-up is: worse sentiment, a better customer and a bigger order come first.

The priority is a whole number from 0 to 100, the sum of three parts:

* **sentiment**, 0-50: ``round(50 * (1 - score) / 2)`` for a score from -1 to 1,
  so -1 gives 50, a neutral 0 gives 25 and +1 gives 0;
* **customer tier**, 0-25: gold 25, silver 15, bronze 5, and 0 when the
  customer has not verified who they are;
* **order value**, 0-25: one point for every full 20.00 (2,000 cents) of the
  order's total, at most 25 (reached at 500.00). The order is the customer's
  newest open order (pending, paid or shipped), or their newest order when
  none is open. Currencies are not converted: the shop's currencies are close
  enough in value for ordering a to-do list.

For example, a gold customer with an open order of 129.00 who writes a
message scoring -0.6 gets 40 + 25 + 6 = 71; an unverified customer's neutral
complaint gets 25.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Customer, CustomerTier, Order, OrderStatus

SENTIMENT_POINTS = 50
TIER_POINTS: Dict[CustomerTier, int] = {
    CustomerTier.GOLD: 25,
    CustomerTier.SILVER: 15,
    CustomerTier.BRONZE: 5,
}
ORDER_POINTS = 25
ORDER_CENTS_PER_POINT = 2000
OPEN_ORDER_STATUSES = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.SHIPPED)


@dataclass(frozen=True)
class CustomerStanding:
    """What the priority needs to know about a customer.

    Attributes:
        tier: The customer's loyalty tier; ``None`` for an unknown customer.
        order_total_cents: Total of their open or newest order; ``None`` when
            they have no orders.
    """

    tier: Optional[CustomerTier] = None
    order_total_cents: Optional[int] = None


def follow_up_priority(
    score: float,
    tier: Optional[CustomerTier] = None,
    order_total_cents: Optional[int] = None,
) -> int:
    """Returns the priority (0-100) of a follow-up, by the formula in the module docstring.

    Args:
        score: Sentiment of the message behind the follow-up, -1..1 (clipped).
        tier: The customer's tier, or ``None`` when not verified.
        order_total_cents: Value of the customer's open or newest order.

    Returns:
        The priority; higher is more urgent.
    """
    clipped = max(-1.0, min(1.0, float(score)))
    sentiment_part = math.floor(SENTIMENT_POINTS * (1.0 - clipped) / 2.0 + 0.5)
    tier_part = TIER_POINTS.get(tier, 0) if tier is not None else 0
    order_part = min(ORDER_POINTS, max(0, order_total_cents or 0) // ORDER_CENTS_PER_POINT)
    return int(sentiment_part + tier_part + order_part)


def customer_standing(session: Session, customer_id: Optional[int]) -> CustomerStanding:
    """Looks up a customer's tier and the value of the order that matters most.

    Args:
        session: Open database session.
        customer_id: The verified customer, or ``None``.

    Returns:
        Their standing; empty for ``None`` or an unknown customer.
    """
    if customer_id is None:
        return CustomerStanding()
    customer: Optional[Customer] = session.get(Customer, customer_id)
    if customer is None:
        return CustomerStanding()
    newest_first = (Order.placed_at.desc(), Order.id.desc())
    total: Optional[int] = session.execute(
        select(Order.total_cents)
        .where(Order.customer_id == customer_id, Order.status.in_(OPEN_ORDER_STATUSES))
        .order_by(*newest_first)
        .limit(1)
    ).scalar_one_or_none()
    if total is None:
        total = session.execute(
            select(Order.total_cents)
            .where(Order.customer_id == customer_id)
            .order_by(*newest_first)
            .limit(1)
        ).scalar_one_or_none()
    return CustomerStanding(tier=customer.tier, order_total_cents=total)


def priority_for(session: Session, score: float, customer_id: Optional[int]) -> int:
    """Returns the follow-up priority for a message of ``score`` from ``customer_id``.

    Args:
        session: Open database session.
        score: Sentiment of the message, -1..1.
        customer_id: The verified customer, or ``None``.
    """
    standing = customer_standing(session, customer_id)
    return follow_up_priority(score, standing.tier, standing.order_total_cents)
