"""Repositories: read and add shop data within a caller's transaction."""

from bot.db.repositories.customers import (
    find_customer_by_email,
    get_customer,
    get_loyalty_account,
    require_customer,
)
from bot.db.repositories.orders import (
    find_order_by_number,
    find_order_for_owner,
    get_order_by_number,
    list_recent_orders,
    normalize_order_number,
)

__all__ = [
    "find_customer_by_email",
    "find_order_by_number",
    "find_order_for_owner",
    "get_customer",
    "get_loyalty_account",
    "get_order_by_number",
    "list_recent_orders",
    "normalize_order_number",
    "require_customer",
]
