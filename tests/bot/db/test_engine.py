from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from bot.db.engine import dispose_engines, get_engine, make_session_factory, session_scope
from bot.db.models import Address, Customer, CustomerTier


def test_foreign_keys_are_enforced(db_session: Session) -> None:
    """On SQLite this needs PRAGMA foreign_keys=ON on every connection."""
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(
            Address(
                customer_id=987654,
                recipient_name="Nobody",
                line1="1 Nowhere Lane",
                city="York",
                postcode="YO1 1AA",
                country="GB",
                is_default=True,
            )
        )
        db_session.flush()


def test_deleting_a_customer_with_orders_is_refused(factory, db_session: Session) -> None:
    customer = factory.customer()
    factory.order(customer, "ORD-123456")
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(text("DELETE FROM customers WHERE id = :id"), {"id": customer.id})


def test_timestamps_come_back_aware_in_utc(db_session: Session) -> None:
    paris_summer = timezone(timedelta(hours=2))
    customer = Customer(
        name="Tess Time",
        email="tess.time@example.com",
        tier=CustomerTier.BRONZE,
        created_at=datetime(2024, 6, 1, 14, 30, tzinfo=paris_summer),
    )
    db_session.add(customer)
    db_session.flush()
    db_session.expire_all()
    loaded = db_session.execute(
        select(Customer).where(Customer.email == "tess.time@example.com")
    ).scalar_one()
    assert loaded.created_at == datetime(2024, 6, 1, 12, 30, tzinfo=timezone.utc)
    assert loaded.created_at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(db_session: Session) -> None:
    with pytest.raises(StatementError), db_session.begin_nested():
        db_session.add(
            Customer(
                name="Nai Ve",
                email="nai.ve@example.com",
                tier=CustomerTier.BRONZE,
                created_at=datetime(2024, 6, 1, 12, 0),
            )
        )
        db_session.flush()


def test_session_scope_commits_on_success_and_rolls_back_on_error(db_engine: Engine) -> None:
    kept, dropped = "scope.kept@example.com", "scope.dropped@example.com"
    try:
        with session_scope(db_engine) as session:
            session.add(Customer(name="Kept", email=kept, tier=CustomerTier.BRONZE))
        with pytest.raises(RuntimeError), session_scope(db_engine) as session:
            session.add(Customer(name="Dropped", email=dropped, tier=CustomerTier.BRONZE))
            session.flush()
            raise RuntimeError("boom")
        with make_session_factory(db_engine)() as session:
            emails = set(session.execute(select(Customer.email)).scalars())
        assert kept in emails
        assert dropped not in emails
    finally:
        with session_scope(db_engine) as session:
            session.execute(delete(Customer).where(Customer.email.in_([kept, dropped])))


def test_get_engine_is_cached_per_url(tmp_path: Path) -> None:
    first_url = f"sqlite:///{tmp_path / 'a.db'}"
    second_url = f"sqlite:///{tmp_path / 'b.db'}"
    try:
        first = get_engine(first_url)
        assert get_engine(first_url) is first
        assert get_engine(second_url) is not first
    finally:
        dispose_engines()
    assert get_engine(first_url) is not first
    dispose_engines()


def test_sqlite_connections_enforce_foreign_keys(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        dispose_engines()


def test_sqlite_savepoints_roll_back(tmp_path: Path) -> None:
    """The driver's own transaction handling would make RELEASE commit."""
    engine = get_engine(f"sqlite:///{tmp_path / 'sp.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
        with engine.connect() as connection:
            outer = connection.begin()
            nested = connection.begin_nested()
            connection.execute(text("INSERT INTO t VALUES (1)"))
            nested.commit()
            outer.rollback()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        dispose_engines()
