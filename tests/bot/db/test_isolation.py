"""Each test's changes are rolled back, even when the code under test commits.

The two tests are identical so that whichever runs second checks that the
first one's row is gone.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bot.db.models import Customer, CustomerTier
from bot.db.repositories.customers import find_customer_by_email

MARKER = "isolation.marker@example.com"


def _create_marker_and_commit(session: Session) -> None:
    assert find_customer_by_email(session, MARKER) is None, "a previous test's row is visible"
    session.add(Customer(name="Isolation Marker", email=MARKER, tier=CustomerTier.BRONZE))
    session.commit()
    assert find_customer_by_email(session, MARKER) is not None


@pytest.mark.parametrize("attempt", ["first", "second"])
def test_rows_do_not_leak_between_tests(db_session: Session, attempt: str) -> None:
    _create_marker_and_commit(db_session)


def test_rollback_inside_a_test_keeps_earlier_work(db_session: Session) -> None:
    db_session.add(Customer(name="Before", email="before@example.com", tier=CustomerTier.GOLD))
    db_session.commit()
    db_session.add(Customer(name="After", email="after@example.com", tier=CustomerTier.GOLD))
    db_session.rollback()
    assert find_customer_by_email(db_session, "before@example.com") is not None
    assert find_customer_by_email(db_session, "after@example.com") is None
