"""Identity checks as a conversation needs them, each in its own transaction.

The actions call these functions; the rules themselves live in
:mod:`bot.identity.codes` and :mod:`bot.identity.tokens`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, List, Mapping, Optional

from bot.db.engine import get_engine, session_scope
from bot.db.models import Customer
from bot.identity.codes import CodeCheck, check_code, start_verification
from bot.identity.errors import VerificationLockedError
from bot.identity.greeting import welcome_back
from bot.identity.history import first_name_of, load_customer_history
from bot.identity.senders import CodeSender, OutboxCodeSender
from bot.identity.tokens import customer_id_from_metadata
from bot.orders.status import short_date
from bot.settings import Settings


@dataclass(frozen=True)
class OrderChoice:
    """One of a verified customer's orders, as a button to pick it.

    Attributes:
        number: Canonical order number, the button's value.
        title: What the button says: ``ORD-100001 · 12 Nov · Blue desk lamp``.
    """

    number: str
    title: str


def customer_from_metadata(
    metadata: Optional[Mapping[str, Any]], settings: Settings
) -> Optional[int]:
    """Returns the customer proven by the website's signed token, if any.

    Args:
        metadata: The metadata of the customer's latest message.
        settings: The assistant's settings (holds the shared secret).

    Returns:
        The verified customer id, or ``None`` for a missing, forged or expired token.
    """
    return customer_id_from_metadata(metadata, settings.customer_token_secret)


def send_code(
    settings: Settings,
    conversation_id: str,
    order_number: str,
    email: str,
    sender: Optional[CodeSender] = None,
) -> Optional[datetime]:
    """Sends a one-time code when the order number and email belong together.

    The caller cannot tell whether a code went out: the same happens for an
    unknown order and for a wrong email.

    Args:
        settings: The assistant's settings.
        conversation_id: The conversation (Rasa sender id).
        order_number: The order number the customer gave.
        email: The email address the customer gave.
        sender: Delivers the code; the outbox by default.

    Returns:
        ``None`` when the request was accepted, or the end of the lockout
        when the conversation may not try again yet.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        try:
            start_verification(
                session,
                conversation_id,
                order_number,
                email,
                sender=sender or OutboxCodeSender(),
                secret=settings.customer_token_secret,
            )
        except VerificationLockedError as locked:
            return locked.locked_until
    return None


def confirm_code(settings: Settings, conversation_id: str, code: str) -> CodeCheck:
    """Checks the code the customer typed.

    Args:
        settings: The assistant's settings.
        conversation_id: The conversation (Rasa sender id).
        code: What the customer typed.

    Returns:
        The outcome: verified (with the customer id), wrong, expired, locked,
        or no code requested.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        return check_code(
            session, conversation_id, code, secret=settings.customer_token_secret
        )


def customer_first_name(settings: Settings, customer_id: int) -> Optional[str]:
    """Returns the verified customer's first name, to address them by it.

    Args:
        settings: The assistant's settings.
        customer_id: The verified customer.

    Returns:
        The first name, or ``None`` when the customer no longer exists.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        customer = session.get(Customer, customer_id)
        return first_name_of(customer.name) if customer is not None else None


def recent_order_choices(settings: Settings, customer_id: int, today: date) -> List[OrderChoice]:
    """Lists a verified customer's recent orders, newest first, to choose from.

    Args:
        settings: The assistant's settings.
        customer_id: The verified customer; never call this for anyone else.
        today: The current date in the shop's time zone.

    Returns:
        One choice per recent order; empty when the customer has none.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        history = load_customer_history(session, customer_id, today)
    if history is None:
        return []
    choices = []
    for order in history.recent_orders:
        parts = [order.number, short_date(order.placed_at.date(), today)]
        if order.first_product:
            parts.append(order.first_product)
        choices.append(OrderChoice(order.number, " · ".join(parts)))
    return choices


def welcome_back_message(
    settings: Settings, customer_id: int, conversation_id: str, today: date
) -> Optional[str]:
    """Builds the personal greeting for a verified customer.

    Args:
        settings: The assistant's settings.
        customer_id: The verified customer; never call this for anyone else.
        conversation_id: The conversation asking.
        today: The current date in the shop's time zone.

    Returns:
        The greeting, or ``None`` when the customer no longer exists.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        history = load_customer_history(session, customer_id, today, conversation_id)
    return welcome_back(history, today) if history is not None else None
