"""Gets the application database ready for `make run` and the tests."""

from __future__ import annotations

from datetime import date

from bot.db.engine import get_engine, session_scope
from bot.db.migrations import upgrade
from bot.db.models import Customer
from bot.db.seed import seed_demo


def prepare_database(database_url: str) -> str:
    """Applies the migrations and, on an empty database, seeds the demo shop.

    Args:
        database_url: The application database.

    Returns:
        One line saying what was done.
    """
    upgrade(database_url)
    with session_scope(get_engine(database_url)) as session:
        if session.query(Customer.id).first() is not None:
            return "database is migrated and already has data"
        summary = seed_demo(session, date.today())
    return (
        f"database migrated and demo shop created: {summary.customers} customers, "
        f"{summary.orders} orders"
    )
