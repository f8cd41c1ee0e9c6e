"""Engines and sessions for the shop database.

Engines are built on first use and cached per URL; nothing connects at import
time. Sessions are opened with :func:`session_scope`, which owns the
transaction: repositories only read and add, the scope commits or rolls back.

SQLite gets three adjustments on every new connection:

* ``PRAGMA foreign_keys=ON``, because SQLite ignores foreign keys otherwise;
* ``check_same_thread=False``, so the pool can hand a connection to any thread;
* the driver's own transaction handling is switched off and SQLAlchemy emits
  ``BEGIN`` itself, which makes SAVEPOINTs and transactional DDL behave as on
  PostgreSQL (see "Serializable isolation / Savepoints / Transactional DDL" in
  the SQLAlchemy SQLite dialect documentation).
"""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from typing import Any, Dict, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

_engines: Dict[str, Engine] = {}
_engines_lock = threading.Lock()
_session_factories: weakref.WeakKeyDictionary[Engine, sessionmaker] = weakref.WeakKeyDictionary()


def _is_sqlite(url: URL) -> bool:
    return bool(url.get_backend_name() == "sqlite")


def _is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or database.startswith("file::memory:")


def _on_sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Leave transactions to SQLAlchemy (see the "begin" listener below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    # The action server and the bot service share the embedded database. A
    # deferred BEGIN that reads and then writes fails at once with "database is
    # locked" when another process wrote meanwhile; IMMEDIATE takes the write
    # lock up front, so the second process waits (up to the connect timeout).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine_for_url(url: str, *, pooled: bool = True) -> Engine:
    """Builds a new engine for ``url`` with the project's per-backend settings.

    Most code wants the cached :func:`get_engine`; this builder is for
    short-lived engines such as the one that runs migrations.

    Args:
        url: SQLAlchemy database URL.
        pooled: Keep connections in a pool. Pass ``False`` for one-off work so
            that no connection outlives the engine's use. In-memory SQLite
            databases always use a single shared connection.

    Returns:
        A new engine (SQLAlchemy 2.0-style API).
    """
    sa_url = make_url(url)
    options: Dict[str, Any] = {"future": True}
    if _is_sqlite(sa_url):
        options["connect_args"] = {"check_same_thread": False}
        if _is_sqlite_memory(sa_url):
            # Every connection to ":memory:" is a new, empty database: share one.
            options["poolclass"] = StaticPool
        elif not pooled:
            options["poolclass"] = NullPool
        engine = create_engine(sa_url, **options)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    options["pool_pre_ping"] = True
    if not pooled:
        options["poolclass"] = NullPool
    return create_engine(sa_url, **options)


def get_engine(url: str) -> Engine:
    """Returns the process-wide engine for ``url``, building it on first use.

    Args:
        url: SQLAlchemy database URL, e.g. ``get_settings().database_url``.

    Returns:
        The cached engine for that URL.
    """
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_engine_for_url(url)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Closes the pooled connections of every cached engine and forgets them."""
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


def make_session_factory(engine: Engine) -> sessionmaker:
    """Returns a session factory bound to ``engine``.

    Sessions keep loaded attributes after commit (``expire_on_commit=False``)
    so that objects can still be read once the scope that loaded them ends.

    Args:
        engine: The engine sessions connect through.
    """
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Opens a session whose transaction commits on success.

    The transaction is rolled back when the block raises, and the session is
    always closed.

    Args:
        engine: The engine to connect through.

    Yields:
        The session; its work is committed when the ``with`` block ends.
    """
    with _engines_lock:
        factory = _session_factories.get(engine)
        if factory is None:
            factory = _session_factories[engine] = make_session_factory(engine)
    session: Session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
