"""Greeting a returning customer by name, with what they have going on."""

from __future__ import annotations

from datetime import date
from typing import List, Optional

from bot.db.models import OrderStatus
from bot.identity.history import CustomerHistory, OrderSummary
from bot.orders.status import short_date

_OPEN_ORDER_PHRASES = {
    OrderStatus.PENDING: "is waiting for the payment to be confirmed",
    OrderStatus.PAID: "is being packed in our warehouse",
    OrderStatus.SHIPPED: "is with the carrier",
}


def _open_order(history: CustomerHistory) -> Optional[OrderSummary]:
    for order in history.recent_orders:
        if order.status in _OPEN_ORDER_PHRASES:
            return order
    return None


def welcome_back(history: CustomerHistory, today: date) -> str:
    """Greets a verified customer by name and mentions what is still open.

    The newest order on its way, open returns and open cases are mentioned,
    so the customer can pick up where things are without being asked.

    Args:
        history: The verified customer's history.
        today: The current date in the shop's time zone.

    Returns:
        For example: ``Hi Jane, welcome back! Your order from 12 Nov, the Oak
        side table, is with the carrier. What can I do for you today?``
    """
    greeting = f"Hi {history.first_name}, welcome back!" if history.first_name else "Welcome back!"
    parts: List[str] = [greeting]
    order = _open_order(history)
    if order is not None:
        what = f", the {order.first_product}," if order.first_product else ""
        placed = short_date(order.placed_at.date(), today)
        parts.append(f"Your order from {placed}{what} {_OPEN_ORDER_PHRASES[order.status]}.")
    if history.open_returns:
        returns = ", ".join(history.open_returns)
        noun = "return" if len(history.open_returns) == 1 else "returns"
        parts.append(f"Your {noun} {returns} {'is' if noun == 'return' else 'are'} in progress.")
    if history.open_cases:
        cases = ", ".join(history.open_cases)
        parts.append(f"Our team is still working on {cases} for you.")
    parts.append("What can I do for you today?")
    return " ".join(parts)
