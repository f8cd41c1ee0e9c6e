"""Named errors of the shop database layer."""

from __future__ import annotations

from typing import Optional


class ShopDataError(Exception):
    """Base class of every error raised by the shop database layer."""


class OrderNotFoundError(ShopDataError):
    """No order has the given number (or the caller may not see it)."""

    def __init__(self, number: str) -> None:
        super().__init__(f"No order found for {number!r}")
        self.number = number


class CustomerNotFoundError(ShopDataError):
    """No customer has the given identifier."""

    def __init__(self, customer_id: int) -> None:
        super().__init__(f"No customer with id {customer_id}")
        self.customer_id = customer_id


class DatabaseNotEmptyError(ShopDataError):
    """The database already holds shop data, so seeding would mix two data sets."""

    def __init__(self, customer_count: int) -> None:
        super().__init__(
            f"The database already has {customer_count} customer(s); "
            "reset it before seeding the demo shop"
        )
        self.customer_count = customer_count


class InvalidFeedbackError(ShopDataError, ValueError):
    """FAQ feedback or an unanswered question lacks what identifies it."""


class DatabaseNotMigratedError(ShopDataError):
    """The database is not at the newest migration, so its tables may be missing."""

    def __init__(self, current: Optional[str], head: str) -> None:
        found = f"at revision {current}" if current else "not migrated"
        super().__init__(
            f"The database is {found} (newest: {head}). "
            "Run 'python -m bot db upgrade' to bring it up to date."
        )
        self.current = current
        self.head = head
