"""What the shop knows about a verified customer, in one read-only summary.

:func:`load_customer_history` gathers the customer's name and tier, loyalty
points (and those about to expire), recent orders and earlier contact with
support, so that the assistant can greet a returning customer and answer in
context. Call it only for a customer whose identity has been proven.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional, Tuple

from sqlalchemy.orm import Session

from bot.db.models import CustomerTier, LoyaltyAccount, Order, OrderStatus
from bot.db.repositories.customer_activity import (
    earlier_conversations,
    open_case_references,
    open_return_references,
)
from bot.db.repositories.customers import get_customer, get_loyalty_account
from bot.db.repositories.orders import list_recent_orders

RECENT_ORDERS_LIMIT = 5
POINTS_EXPIRY_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class OrderSummary:
    """One of the customer's recent orders, as a line in a list.

    Attributes:
        number: Canonical order number, e.g. ``ORD-100001``.
        placed_at: When it was placed (timezone-aware, UTC); convert to the
            shop's time zone before showing the date.
        status: Where the order is in its life cycle.
        first_product: Display name of the product on the first line
            (``Blue desk lamp``), or ``None`` for an order without lines.
        total_cents: Amount paid, in minor units of ``currency``.
        currency: ISO 4217 code, e.g. ``EUR``.
    """

    number: str
    placed_at: datetime
    status: OrderStatus
    first_product: Optional[str]
    total_cents: int
    currency: str


@dataclass(frozen=True)
class ExpiringPoints:
    """Loyalty points that will lapse soon.

    Attributes:
        points: How many points lapse.
        expires_on: The day they lapse.
    """

    points: int
    expires_on: date


@dataclass(frozen=True)
class CustomerHistory:
    """A verified customer's standing with the shop.

    Attributes:
        customer_id: Primary key of the customer.
        name: Full name, e.g. ``Jane Doe``.
        first_name: The first word of the name, for greetings.
        tier: Loyalty tier.
        points_balance: Loyalty points; 0 without a loyalty account.
        expiring_points: Points lapsing within :data:`POINTS_EXPIRY_WINDOW` of
            ``today`` (today included), or ``None``.
        recent_orders: Up to :data:`RECENT_ORDERS_LIMIT` orders, newest first.
        open_returns: RMA ids of returns still in progress, newest first.
        open_cases: References of support cases still open, newest first.
        conversation_count: Number of earlier conversations in which the
            customer proved who they are.
        last_conversation_on: Date (UTC) of the most recent of them.
        last_conversation_sentiment: Sentiment label of the customer's last
            message in that conversation, or ``None`` when none was recorded.
    """

    customer_id: int
    name: str
    first_name: str
    tier: CustomerTier
    points_balance: int
    expiring_points: Optional[ExpiringPoints]
    recent_orders: Tuple[OrderSummary, ...]
    open_returns: Tuple[str, ...] = ()
    open_cases: Tuple[str, ...] = ()
    conversation_count: int = 0
    last_conversation_on: Optional[date] = None
    last_conversation_sentiment: Optional[str] = None


def first_name_of(name: str) -> str:
    """Returns the first word of a full name: ``"Jane Doe"`` gives ``"Jane"``.

    Args:
        name: Full name as stored; a name of one word is returned as it is.
    """
    words = name.split()
    return words[0] if words else ""


def expiring_points(account: Optional[LoyaltyAccount], today: date) -> Optional[ExpiringPoints]:
    """Returns the points lapsing from ``today`` to ``today + POINTS_EXPIRY_WINDOW``.

    Args:
        account: The customer's loyalty account, if any.
        today: The current date in the shop's time zone.

    Returns:
        The points and their date, or ``None`` when nothing lapses in that window.
    """
    if account is None or account.points_expiring <= 0 or account.points_expiry_date is None:
        return None
    if not today <= account.points_expiry_date <= today + POINTS_EXPIRY_WINDOW:
        return None
    return ExpiringPoints(account.points_expiring, account.points_expiry_date)


def summarize_order(order: Order) -> OrderSummary:
    """Sums up one order, with its lines and products loaded.

    Args:
        order: The order.
    """
    first_product = order.lines[0].product.display_name if order.lines else None
    return OrderSummary(
        number=order.number,
        placed_at=order.placed_at,
        status=order.status,
        first_product=first_product,
        total_cents=order.total_cents,
        currency=order.currency,
    )


def load_customer_history(
    session: Session,
    customer_id: int,
    today: date,
    current_conversation_id: Optional[str] = None,
) -> Optional[CustomerHistory]:
    """Loads a customer's history.

    Args:
        session: Open database session.
        customer_id: Primary key of the (verified) customer.
        today: The current date in the shop's time zone, for expiring points.
        current_conversation_id: The conversation asking; it is not counted
            among the earlier ones.

    Returns:
        The history, or ``None`` when there is no such customer.
    """
    customer = get_customer(session, customer_id)
    if customer is None:
        return None
    account = get_loyalty_account(session, customer_id)
    orders = list_recent_orders(session, customer_id, RECENT_ORDERS_LIMIT)
    conversations = earlier_conversations(session, customer_id, current_conversation_id)
    return CustomerHistory(
        customer_id=customer.id,
        name=customer.name,
        first_name=first_name_of(customer.name),
        tier=customer.tier,
        points_balance=account.points_balance if account is not None else 0,
        expiring_points=expiring_points(account, today),
        recent_orders=tuple(summarize_order(order) for order in orders),
        open_returns=open_return_references(session, customer_id),
        open_cases=open_case_references(session, customer_id),
        conversation_count=conversations.count,
        last_conversation_on=conversations.last_at.date() if conversations.last_at else None,
        last_conversation_sentiment=conversations.last_sentiment,
    )
