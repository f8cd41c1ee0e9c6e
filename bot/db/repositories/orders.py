"""Looking up orders by number, by owner and by customer.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction. :func:`normalize_order_number` is pure and needs
no database.
"""

from __future__ import annotations

import re
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload
from sqlalchemy.sql import Select

from bot.db.errors import OrderNotFoundError
from bot.db.models import Customer, Order, OrderLine, normalize_email

ORDER_NUMBER_PREFIX = "ORD-"
ORDER_NUMBER_DIGITS = 6

# "ORD-104233", "ord104233", "ORD 104233", "#104233" or "104233"; ASCII only,
# so that look-alike letters and non-Latin digits never match.
_ORDER_NUMBER = re.compile(
    rf"(?:ORD[- ]?|#)?(?P<digits>[0-9]{{{ORDER_NUMBER_DIGITS}}})", re.IGNORECASE | re.ASCII
)
_MAX_INPUT_LENGTH = 32


def normalize_order_number(text: str) -> Optional[str]:
    """Returns the canonical form ``ORD-123456`` of an order number as typed.

    Accepted forms, in any letter case and with surrounding whitespace:
    ``ORD-104233``, ``ORD104233``, ``ORD 104233``, ``#104233`` and ``104233``.
    The number must have exactly six digits.

    Args:
        text: What the customer typed.

    Returns:
        The canonical order number, or ``None`` when ``text`` is not one.
    """
    if not isinstance(text, str) or len(text) > _MAX_INPUT_LENGTH:
        return None
    match = _ORDER_NUMBER.fullmatch(text.strip())
    if match is None:
        return None
    return f"{ORDER_NUMBER_PREFIX}{match.group('digits')}"


def _order_with_details() -> Select:
    """A query for orders with everything a support answer needs, loaded eagerly."""
    return select(Order).options(
        joinedload(Order.shipping_address),
        selectinload(Order.lines).joinedload(OrderLine.product),
        selectinload(Order.shipments),
        selectinload(Order.payments),
    )


def find_order_by_number(session: Session, number: str) -> Optional[Order]:
    """Returns the order with ``number`` and its details, or ``None``.

    Lines (with their products), shipments, payments, the customer and the
    shipping address are loaded eagerly.

    Args:
        session: Open database session.
        number: Order number in any form :func:`normalize_order_number` accepts.
    """
    canonical = normalize_order_number(number)
    if canonical is None:
        return None
    order: Optional[Order] = session.execute(
        _order_with_details().options(joinedload(Order.customer)).where(Order.number == canonical)
    ).scalar_one_or_none()
    return order


def get_order_by_number(session: Session, number: str) -> Order:
    """Returns the order with ``number`` and its details.

    Args:
        session: Open database session.
        number: Order number in any form :func:`normalize_order_number` accepts.

    Raises:
        OrderNotFoundError: When the text is not an order number or no order has it.
    """
    order = find_order_by_number(session, number)
    if order is None:
        raise OrderNotFoundError(number)
    return order


def find_order_for_owner(session: Session, number: str, email: str) -> Optional[Order]:
    """Returns the order only if it belongs to the customer with ``email``.

    The e-mail comparison ignores case and surrounding whitespace. An unknown
    order number and a wrong e-mail address give the same answer, ``None``,
    through the same single query, so a caller cannot tell which was wrong.

    Args:
        session: Open database session.
        number: Order number in any form :func:`normalize_order_number` accepts.
        email: E-mail address the person gave to prove ownership.

    Returns:
        The order with its details, or ``None``.
    """
    canonical = normalize_order_number(number)
    normalized_email = normalize_email(email) if isinstance(email, str) else ""
    if canonical is None or not normalized_email:
        return None
    order: Optional[Order] = session.execute(
        _order_with_details()
        .join(Order.customer)
        .options(contains_eager(Order.customer))
        .where(Order.number == canonical, Customer.email == normalized_email)
    ).scalar_one_or_none()
    return order


def find_order_of_customer(session: Session, number: str, customer_id: int) -> Optional[Order]:
    """Returns the order only if it belongs to the verified customer ``customer_id``.

    Another customer's order number gives ``None``, exactly like a number that
    does not exist.

    Args:
        session: Open database session.
        number: Order number in any form :func:`normalize_order_number` accepts.
        customer_id: Primary key of the verified customer.

    Returns:
        The order with its details, or ``None``.
    """
    canonical = normalize_order_number(number)
    if canonical is None:
        return None
    order: Optional[Order] = session.execute(
        _order_with_details().where(Order.number == canonical, Order.customer_id == customer_id)
    ).scalar_one_or_none()
    return order


def list_recent_orders(session: Session, customer_id: int, limit: int = 5) -> List[Order]:
    """Returns a customer's most recent orders, newest first.

    Lines (with products) and shipments are loaded eagerly.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
        limit: Maximum number of orders to return.

    Raises:
        ValueError: When ``limit`` is not positive.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    orders = session.execute(
        select(Order)
        .options(
            selectinload(Order.lines).joinedload(OrderLine.product),
            selectinload(Order.shipments),
        )
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
    ).scalars()
    return list(orders)
