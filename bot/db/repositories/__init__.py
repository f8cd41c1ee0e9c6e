"""Repositories: read and add shop data within a caller's transaction."""

from bot.db.repositories.audit import changes_of, latest_change, record_change
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
    find_order_of_customer,
    get_order_by_number,
    list_recent_orders,
    normalize_order_number,
)
from bot.db.repositories.outbox import add_outbox_message, list_outbox_messages
from bot.db.repositories.verification import (
    active_lockout,
    add_challenge,
    current_challenge,
    lock_conversation,
)

__all__ = [
    "ArticleHelpfulness",
    "active_lockout",
    "add_challenge",
    "add_outbox_message",
    "article_helpfulness",
    "changes_of",
    "current_challenge",
    "find_customer_by_email",
    "find_order_by_number",
    "find_order_for_owner",
    "find_order_of_customer",
    "get_customer",
    "get_loyalty_account",
    "get_order_by_number",
    "latest_change",
    "list_outbox_messages",
    "list_recent_orders",
    "lock_conversation",
    "normalize_order_number",
    "record_change",
    "record_feedback",
    "record_unanswered",
    "require_customer",
    "unanswered_since",
]
