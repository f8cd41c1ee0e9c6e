"""Order look-ups and changes for actions, each in its own transaction.

Nothing is revealed or changed unless the customer has proven ownership.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from bot.db.engine import get_engine, session_scope
from bot.db.repositories.orders import find_order_for_owner, find_order_of_customer
from bot.knowledge.policies import load_policies
from bot.orders.cancellation import CancellationCheck, cancel_order, find_cancellation
from bot.orders.status import OrderStatusReport, describe_order_status


def order_status_for_owner(
    database_url: str, order_number: str, email: str, today: date
) -> Optional[OrderStatusReport]:
    """Reports an order's status when ``email`` is the email on the order.

    A wrong email and an order number that does not exist give the same
    result, so the answer cannot be used to probe for orders.

    Args:
        database_url: The application database.
        order_number: Canonical order number, e.g. ``ORD-104233``.
        email: The email the customer gave.
        today: The current date in the shop's time zone.

    Returns:
        The report, or ``None`` when there is no such order for that email.
    """
    with session_scope(get_engine(database_url)) as session:
        order = find_order_for_owner(session, order_number, email)
        if order is None:
            return None
        return describe_order_status(order, today)


def order_status_for_customer(
    database_url: str, order_number: str, customer_id: int, today: date
) -> Optional[OrderStatusReport]:
    """Reports an order's status when it belongs to the verified customer.

    Another customer's order gives the same result as an unknown number.

    Args:
        database_url: The application database.
        order_number: Canonical order number, e.g. ``ORD-104233``.
        customer_id: The customer verified in this conversation.
        today: The current date in the shop's time zone.

    Returns:
        The report, or ``None`` when the customer has no such order.
    """
    with session_scope(get_engine(database_url)) as session:
        order = find_order_of_customer(session, order_number, customer_id)
        if order is None:
            return None
        return describe_order_status(order, today)


def cancellation_for_customer(
    database_url: str, order_number: str, customer_id: int, today: date
) -> CancellationCheck:
    """Tells the verified customer whether their order can be cancelled.

    Args:
        database_url: The application database.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        today: The current date in the shop's time zone.
    """
    with session_scope(get_engine(database_url)) as session:
        return find_cancellation(session, order_number, customer_id, load_policies(), today)


def cancel_for_customer(
    database_url: str, order_number: str, customer_id: int, conversation_id: str, today: date
) -> CancellationCheck:
    """Cancels the verified customer's order when the policy allows it.

    Args:
        database_url: The application database.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        conversation_id: The conversation, for the audit trail.
        today: The current date in the shop's time zone.

    Returns:
        The check; ``allowed`` means the order is now cancelled.
    """
    with session_scope(get_engine(database_url)) as session:
        return cancel_order(
            session, order_number, customer_id, conversation_id, load_policies(), today
        )
