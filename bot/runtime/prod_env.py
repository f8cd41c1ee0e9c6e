"""``var/prod.env``: a production configuration for this machine, made once.

``make run-prod`` sources this file, so the production layout runs on a fresh
machine without anyone choosing secrets by hand. The first run writes strong
random secrets and passwords (mode 600); later runs keep every value already
in the file and only add what is missing. The PostgreSQL role ``shop_support``
and the RabbitMQ user ``shop_support`` get the file's passwords, and the two
databases are created, so the URLs in the file work.

A real deployment sets the same variables from its own secret store instead
(docs/operations.md).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url

from bot.runtime.provisioning import ensure_database, ensure_rabbitmq_user, ensure_role

FILE_NAME = "prod.env"
ROLE = "shop_support"
APP_DATABASE = "shop_support"
TRACKER_DATABASE = "shop_support_tracker"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET_BYTES = 48
PASSWORD_BYTES = 24
_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


@dataclass(frozen=True)
class ProdEnv:
    """The file and what it holds.

    Attributes:
        path: Where it is.
        values: Its variables.
        created: Whether this run wrote it for the first time.
    """

    path: Path
    values: Dict[str, str]
    created: bool


def read_env_file(path: Path) -> Dict[str, str]:
    """Reads ``KEY=value`` lines; comments and blank lines are skipped."""
    values: Dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _LINE.match(line.strip())
        if match:
            values[match.group(1)] = match.group(2).strip().strip("'\"")
    return values


def default_values(
    token: Callable[[int], str] = secrets.token_urlsafe, host: str = "127.0.0.1"
) -> Dict[str, str]:
    """A complete production configuration with fresh secrets.

    Args:
        token: Makes a URL-safe random string from a number of bytes.
        host: Where PostgreSQL, Redis and RabbitMQ run.
    """
    database_password = token(PASSWORD_BYTES)
    broker_password = token(PASSWORD_BYTES)
    database = f"postgresql://{ROLE}:{database_password}@{host}:5432"
    return {
        "BOT_ENV": "production",
        "RASA_JWT_SECRET": token(SECRET_BYTES),
        "AGENT_SESSION_KEY": token(SECRET_BYTES),
        "CUSTOMER_TOKEN_SECRET": token(SECRET_BYTES),
        "DATABASE_URL": f"{database}/{APP_DATABASE}",
        "TRACKER_STORE_URL": f"{database}/{TRACKER_DATABASE}",
        "LOCK_STORE_URL": f"redis://{host}:6379/3",
        "SOCKETIO_REDIS_URL": f"redis://{host}:6379/4",
        "EVENT_BROKER_URL": f"amqp://{ROLE}:{broker_password}@{host}:5672/",
        "EVENT_BROKER_QUEUE": "shop_support_events",
        "EVENT_BROKER_EXCHANGE": "shop_support_events",
        "RASA_REPLICAS": "2",
    }


def _render(values: Dict[str, str]) -> str:
    lines: List[str] = [
        "# Production settings for this machine, made by `python -m bot prod-env`.",
        "# Secrets: keep this file private (mode 600). `make run-prod` sources it.",
        *(f"{name}={value}" for name, value in values.items()),
    ]
    return "\n".join(lines) + "\n"


def _write_private(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".prod-env-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(content)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ensure_env_file(var_dir: Path) -> ProdEnv:
    """Writes ``var/prod.env`` if missing, completing an existing one.

    Args:
        var_dir: ``settings.var_dir``.

    Returns:
        The file and its values.
    """
    path = var_dir / FILE_NAME
    existing = read_env_file(path) if path.exists() else {}
    values = default_values()
    values.update(existing)
    if values != existing:
        _write_private(path, _render(values))
    return ProdEnv(path, values, created=not existing)


def _password(url: str) -> Optional[str]:
    password = urlsplit(url).password
    return unquote(password) if password else None


def provision(values: Dict[str, str], admin_url: Optional[str] = None) -> List[str]:
    """Gives the role and broker user of ``values`` their passwords; creates the databases.

    Args:
        values: The file's variables.
        admin_url: A PostgreSQL superuser's URL; local ``postgres`` by default.

    Returns:
        One line per thing done, for the terminal.

    Raises:
        bot.runtime.provisioning.ProvisioningError: When something cannot be created.
    """
    done: List[str] = []
    admin = admin_url or DEFAULT_ADMIN_URL
    database = make_url(values["DATABASE_URL"])
    if database.username and database.password:
        created = ensure_role(admin, database.username, str(database.password))
        done.append(f"PostgreSQL role {database.username} {'created' if created else 'updated'}")
    for name in ("DATABASE_URL", "TRACKER_STORE_URL"):
        if ensure_database(values[name], admin):
            done.append(f"database {make_url(values[name]).database} created")
    broker = values["EVENT_BROKER_URL"]
    parts = urlsplit(broker)
    password = _password(broker)
    if parts.username and password:
        vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        created = ensure_rabbitmq_user(unquote(parts.username), password, vhost)
        done.append(f"RabbitMQ user {parts.username} {'created' if created else 'updated'}")
    return done
