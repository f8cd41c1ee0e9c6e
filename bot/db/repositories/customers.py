"""Reading customers and their loyalty accounts.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.errors import CustomerNotFoundError
from bot.db.models import Customer, LoyaltyAccount, normalize_email


def get_customer(session: Session, customer_id: int) -> Optional[Customer]:
    """Returns the customer with ``customer_id``, or ``None``.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
    """
    customer: Optional[Customer] = session.get(Customer, customer_id)
    return customer


def require_customer(session: Session, customer_id: int) -> Customer:
    """Returns the customer with ``customer_id``.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.

    Raises:
        CustomerNotFoundError: When there is no such customer.
    """
    customer = get_customer(session, customer_id)
    if customer is None:
        raise CustomerNotFoundError(customer_id)
    return customer


def find_customer_by_email(session: Session, email: str) -> Optional[Customer]:
    """Returns the customer with the given e-mail address, or ``None``.

    The comparison ignores case and surrounding whitespace.

    Args:
        session: Open database session.
        email: Address as typed by the customer.
    """
    normalized = normalize_email(email)
    if not normalized:
        return None
    customer: Optional[Customer] = session.execute(
        select(Customer).where(Customer.email == normalized)
    ).scalar_one_or_none()
    return customer


def get_loyalty_account(session: Session, customer_id: int) -> Optional[LoyaltyAccount]:
    """Returns the loyalty account of a customer, or ``None`` if they have none.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
    """
    account: Optional[LoyaltyAccount] = session.execute(
        select(LoyaltyAccount).where(LoyaltyAccount.customer_id == customer_id)
    ).scalar_one_or_none()
    return account
