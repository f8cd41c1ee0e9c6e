"""Repositories: read and add shop data within a caller's transaction."""

from bot.db.repositories.customers import (
    find_customer_by_email,
    get_customer,
    get_loyalty_account,
    require_customer,
)
from bot.db.repositories.knowledge_feedback import (
    ArticleHelpfulness,
    article_helpfulness,
    record_feedback,
    record_unanswered,
    unanswered_since,
)
from bot.db.repositories.orders import (
    find_order_by_number,
    find_order_for_owner,
    get_order_by_number,
    list_recent_orders,
    normalize_order_number,
)

__all__ = [
    "ArticleHelpfulness",
    "article_helpfulness",
    "find_customer_by_email",
    "find_order_by_number",
    "find_order_for_owner",
    "get_customer",
    "get_loyalty_account",
    "get_order_by_number",
    "list_recent_orders",
    "normalize_order_number",
    "record_feedback",
    "record_unanswered",
    "require_customer",
    "unanswered_since",
]
