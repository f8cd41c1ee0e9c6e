"""Roles, databases and broker users the production layout needs.

Everything here is idempotent: an existing role gets its password set again,
an existing database is left alone, an existing RabbitMQ user gets its
password and permissions set again.
"""

from __future__ import annotations

import logging
import subprocess
from typing import Callable, Optional, Sequence

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

MAINTENANCE_DATABASE = "postgres"
RABBITMQCTL_TIMEOUT_SECONDS = 60


class ProvisioningError(RuntimeError):
    """A role, database or broker user could not be created."""


def maintenance_url(database_url: str, admin_url: Optional[str] = None) -> str:
    """The URL to create databases with.

    Args:
        database_url: A database on the server.
        admin_url: An administrator's URL (``POSTGRES_ADMIN_URL``), if given.

    Returns:
        ``admin_url``, or ``database_url`` pointed at the ``postgres`` database.
    """
    if admin_url:
        return admin_url
    url = make_url(database_url).set(database=MAINTENANCE_DATABASE)
    return str(url.render_as_string(hide_password=False))


def _autocommit_engine(url: str) -> Engine:
    return create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")


def ensure_role(admin_url: str, role: str, password: str) -> bool:
    """Creates a login role with ``password``, or sets the password of an existing one.

    Args:
        admin_url: A superuser's connection URL.
        role: The role's name.
        password: Its password.

    Returns:
        ``True`` when the role was created.

    Raises:
        ProvisioningError: When the server refuses.
    """
    engine = _autocommit_engine(admin_url)
    quoted = engine.dialect.identifier_preparer.quote(role)
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
            ).first()
            verb = "ALTER" if exists else "CREATE"
            # psycopg2 quotes the password as a literal on the client side.
            connection.execute(
                text(f"{verb} ROLE {quoted} LOGIN PASSWORD :password"), {"password": password}
            )
    except Exception as error:
        raise ProvisioningError(f"could not create the PostgreSQL role {role}: {error}") from error
    finally:
        engine.dispose()
    return not exists


def ensure_database(database_url: str, admin_url: Optional[str] = None) -> bool:
    """Creates the database named in ``database_url`` when it is missing.

    The new database belongs to the URL's user.

    Args:
        database_url: The database to have.
        admin_url: An administrator's URL; by default the URL's own user on
            the ``postgres`` database (it then needs CREATEDB).

    Returns:
        ``True`` when it was created.

    Raises:
        ProvisioningError: When it is missing and cannot be created.
    """
    target = make_url(database_url)
    if target.get_backend_name() != "postgresql" or not target.database:
        raise ProvisioningError(f"not a PostgreSQL database URL: {target!r}")
    engine = _autocommit_engine(maintenance_url(database_url, admin_url))
    preparer = engine.dialect.identifier_preparer
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).first()
            if exists:
                return False
            owner = f" OWNER {preparer.quote(target.username)}" if target.username else ""
            connection.execute(text(f"CREATE DATABASE {preparer.quote(target.database)}{owner}"))
    except Exception as error:
        raise ProvisioningError(
            f"could not create the database {target.database}: {error}"
        ) from error
    finally:
        engine.dispose()
    logger.info("Created database %s", target.database)
    return True


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def _rabbitmqctl(arguments: Sequence[str], run: Runner) -> subprocess.CompletedProcess[str]:
    try:
        return run(
            ["rabbitmqctl", "--quiet", *arguments],
            check=False,
            capture_output=True,
            text=True,
            timeout=RABBITMQCTL_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ProvisioningError(f"rabbitmqctl failed: {error}") from error


def ensure_rabbitmq_user(
    user: str, password: str, vhost: str = "/", *, run: Runner = subprocess.run
) -> bool:
    """Creates a RabbitMQ user with full rights on ``vhost``, or resets its password.

    Args:
        user: The user's name.
        password: Its password.
        vhost: The virtual host it may use.
        run: Runs ``rabbitmqctl``; replaceable in tests.

    Returns:
        ``True`` when the user was created.

    Raises:
        ProvisioningError: When ``rabbitmqctl`` refuses.
    """
    listing = _rabbitmqctl(["list_users"], run)
    if listing.returncode != 0:
        raise ProvisioningError(f"rabbitmqctl list_users failed: {listing.stderr.strip()}")
    exists = any(line.split("\t", 1)[0] == user for line in listing.stdout.splitlines())
    command = ["change_password", user, password] if exists else ["add_user", user, password]
    for arguments in (command, ["set_permissions", "-p", vhost, user, ".*", ".*", ".*"]):
        result = _rabbitmqctl(arguments, run)
        if result.returncode != 0:
            # The password is an argument: never show the command itself.
            raise ProvisioningError(
                f"rabbitmqctl {arguments[0]} for {user} failed: {result.stderr.strip()}"
            )
    return not exists
