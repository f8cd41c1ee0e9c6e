"""Alembic environment of the shop database.

The database URL comes from the configuration built by ``bot.db.migrations``
(``sqlalchemy.url``); when Alembic is run another way without one, it falls
back to ``bot.settings.get_settings().database_url``.
"""

from __future__ import annotations

from typing import Any, Optional

from alembic import context
from sqlalchemy.engine import Connection, make_url

from bot.db.engine import create_engine_for_url
from bot.db.models import Base

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    url: Optional[str] = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from bot.settings import get_settings

    return get_settings().database_url


def include_object(
    obj: Any, name: Optional[str], type_: str, reflected: bool, compare_to: Any
) -> bool:
    # Other software (e.g. Rasa's tracker store) may share the database: never
    # autogenerate operations for tables that the models do not know about.
    return not (type_ == "table" and reflected and compare_to is None)


def configure_options(is_sqlite: bool) -> dict:
    return {
        "target_metadata": target_metadata,
        "include_object": include_object,
        "compare_type": True,
        # SQLite cannot ALTER most things: batch mode recreates the table.
        "render_as_batch": is_sqlite,
    }


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **configure_options(make_url(url).get_backend_name() == "sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def sqlite_pragma(connection: Connection, statement: str) -> list:
    # Run on the driver's connection, outside any SQLAlchemy transaction:
    # SQLite ignores "PRAGMA foreign_keys" inside a transaction.
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(statement)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def run_on_connection(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    # Batch mode on SQLite copies and drops tables, which enforced foreign keys
    # would block or cascade; they are checked as a whole afterwards instead.
    toggle_foreign_keys = is_sqlite and not connection.in_transaction()
    if toggle_foreign_keys:
        sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            # The engine makes SQLite's DDL transactional (see bot.db.engine).
            transactional_ddl=True,
            **configure_options(is_sqlite),
        )
        with context.begin_transaction():
            context.run_migrations()
            if is_sqlite:
                check = connection.exec_driver_sql("PRAGMA foreign_key_check")
                problems = check.fetchall()
                if problems:
                    raise RuntimeError(f"Migration left rows with broken foreign keys: {problems}")
    finally:
        if toggle_foreign_keys:
            if connection.in_transaction():
                connection.rollback()
            sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    connection: Optional[Connection] = config.attributes.get("connection")
    if connection is not None:
        # A caller that already holds a connection (e.g. a test) passes it in.
        run_on_connection(connection)
        return
    engine = create_engine_for_url(database_url(), pooled=False)
    try:
        with engine.connect() as connection:
            run_on_connection(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
