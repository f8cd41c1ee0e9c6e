"""Test databases on SQLite and PostgreSQL.

Each backend's database is built once per test session by running the Alembic
migrations (so the migrations themselves are exercised), and every test gets a
session inside a transaction that is rolled back afterwards: the SQLAlchemy 1.4
recipe "Joining a Session into an External Transaction (such as for test
suites)". Code under test may call ``commit()`` or ``rollback()``; those only
end a SAVEPOINT, which is restarted at once.

PostgreSQL is taken from ``TEST_POSTGRES_URL`` (default
:data:`DEFAULT_POSTGRES_URL`). The database is created if missing and its
``public`` schema is dropped and recreated, so the URL must name a database
meant for tests. When PostgreSQL cannot be reached the tests that need it are
skipped, except under CI (``CI`` set), where they fail.

To use these fixtures in another test directory, add a thin ``conftest.py``::

    import pytest
    from tests.support.database import BACKENDS, migrated_engine, rollback_session

    @pytest.fixture(scope="session", params=BACKENDS)
    def db_engine(request, tmp_path_factory):
        with migrated_engine(request.param, tmp_path_factory.mktemp("db")) as engine:
            yield engine

    @pytest.fixture
    def db_session(db_engine):
        with rollback_session(db_engine) as session:
            yield session
"""

from __future__ import annotations

import os
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Iterator, NoReturn

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bot.db.engine import create_engine_for_url
from bot.db.migrations import upgrade

BACKENDS = ("sqlite", "postgresql")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/shop_test"
CONNECT_TIMEOUT_SECONDS = 5


def postgres_url() -> str:
    """Returns the URL of the PostgreSQL test database."""
    return os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def database_url_of(engine: Engine) -> str:
    """Returns the full URL of ``engine``, password included."""
    return str(engine.url.render_as_string(hide_password=False))


def _postgres_unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")


def ensure_postgres_database(url: str) -> None:
    """Creates the database named in ``url`` if it does not exist yet.

    Connects to the server's ``postgres`` database in AUTOCOMMIT mode, since
    ``CREATE DATABASE`` cannot run in a transaction. Skips or fails the
    calling test (see the module docstring) when the server is unreachable.
    """
    target = make_url(url)
    name = target.database
    if not name:
        raise ValueError(f"TEST_POSTGRES_URL names no database: {target!r}")
    admin = create_engine(
        target.set(database="postgres"),
        future=True,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                quoted = admin.dialect.identifier_preparer.quote(name)
                # Another process may create it in the meantime.
                with suppress(ProgrammingError):
                    connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    except OperationalError as error:
        _postgres_unavailable(str(error.orig).strip() or repr(error))
    finally:
        admin.dispose()


def reset_postgres_schema(url: str) -> None:
    """Drops and recreates the ``public`` schema of a test database.

    Raises:
        ValueError: When the database name does not contain ``test``, to keep
            a mistyped URL from wiping a real database.
    """
    name = make_url(url).database or ""
    if "test" not in name:
        raise ValueError(f"Refusing to wipe {name!r}: test database names must contain 'test'")
    engine = create_engine_for_url(url, pooled=False)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


def prepare_database(backend: str, tmp_dir: Path) -> str:
    """Returns the URL of an empty database migrated to the newest revision.

    Args:
        backend: ``"sqlite"`` (a new file in ``tmp_dir``) or ``"postgresql"``.
        tmp_dir: Directory for the SQLite file.
    """
    if backend == "sqlite":
        url = f"sqlite:///{tmp_dir / 'shop_test.db'}"
    elif backend == "postgresql":
        url = postgres_url()
        ensure_postgres_database(url)
        reset_postgres_schema(url)
    else:
        raise ValueError(f"Unknown test database backend {backend!r}")
    upgrade(url)
    return url


@contextmanager
def migrated_engine(backend: str, tmp_dir: Path) -> Iterator[Engine]:
    """Yields an engine on a freshly migrated test database of ``backend``."""
    engine = create_engine_for_url(prepare_database(backend, tmp_dir))
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def rollback_session(engine: Engine) -> Iterator[Session]:
    """Yields a session whose work is rolled back when the block ends.

    The session is bound to a connection with an outer transaction that is
    never committed. It works inside a SAVEPOINT, restarted whenever the code
    under test commits or rolls back the session.
    """
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, future=True)
    savepoint = connection.begin_nested()

    @event.listens_for(session, "after_transaction_end")
    def restart_savepoint(session: Session, transaction: Any) -> None:
        nonlocal savepoint
        if not savepoint.is_active:
            savepoint = connection.begin_nested()

    try:
        yield session
    finally:
        event.remove(session, "after_transaction_end", restart_savepoint)
        session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()
