from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from bot.db.errors import CustomerNotFoundError
from bot.db.models import LoyaltyAccount
from bot.db.repositories.customers import (
    find_customer_by_email,
    get_customer,
    get_loyalty_account,
    require_customer,
)


def test_get_customer_by_id(factory, db_session: Session) -> None:
    customer = factory.customer(email="kim.lee@example.com")
    assert get_customer(db_session, customer.id) is customer
    assert get_customer(db_session, customer.id + 1000) is None


def test_require_customer_raises_for_unknown_id(factory, db_session: Session) -> None:
    customer = factory.customer()
    assert require_customer(db_session, customer.id) is customer
    with pytest.raises(CustomerNotFoundError):
        require_customer(db_session, customer.id + 1000)


@pytest.mark.parametrize(
    "typed", ["kim.lee@example.com", "Kim.Lee@Example.com", "  KIM.LEE@EXAMPLE.COM\t"]
)
def test_find_customer_by_email_ignores_case_and_space(
    factory, db_session: Session, typed: str
) -> None:
    customer = factory.customer(email="kim.lee@example.com")
    assert find_customer_by_email(db_session, typed) is customer


@pytest.mark.parametrize("typed", ["", "  ", "kim@example.com", "%", "' OR '1'='1"])
def test_find_customer_by_email_returns_none_otherwise(
    factory, db_session: Session, typed: str
) -> None:
    factory.customer(email="kim.lee@example.com")
    assert find_customer_by_email(db_session, typed) is None


def test_email_is_stored_lower_case(factory, db_session: Session) -> None:
    customer = factory.customer(email="  Mixed.Case@Example.ORG ")
    db_session.expire_all()
    assert customer.email == "mixed.case@example.org"


def test_loyalty_account_for_customer(factory, db_session: Session) -> None:
    with_account = factory.customer()
    without_account = factory.customer()
    with_account.loyalty_account = LoyaltyAccount(
        points_balance=1200, points_expiring=300, points_expiry_date=date(2024, 7, 1)
    )
    db_session.flush()
    account = get_loyalty_account(db_session, with_account.id)
    assert account is not None
    assert (account.points_balance, account.points_expiring) == (1200, 300)
    assert account.points_expiry_date == date(2024, 7, 1)
    assert get_loyalty_account(db_session, without_account.id) is None
