"""Database fixtures: every test using them runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.support.database import BACKENDS, migrated_engine, rollback_session
from tests.support.shop_factory import ShopFactory


@pytest.fixture(scope="session", params=BACKENDS)
def db_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An engine on a migrated database, one per backend and test session."""
    with migrated_engine(request.param, tmp_path_factory.mktemp("db")) as engine:
        yield engine


@pytest.fixture
def db_session(db_engine: Engine) -> Iterator[Session]:
    """A session whose changes are rolled back after the test."""
    with rollback_session(db_engine) as session:
        yield session


@pytest.fixture
def factory(db_session: Session) -> ShopFactory:
    """Builds customers, products and orders in the test's session."""
    return ShopFactory(db_session)
