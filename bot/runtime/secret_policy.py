"""What production mode requires of secrets, stores and interfaces.

Development mode generates secrets into ``var/secrets/`` and runs on SQLite.
With ``BOT_ENV=production`` nothing is generated or assumed: every secret must
come from the environment, be long and random, and not be a value that
appears in examples and chart defaults; both databases must be PostgreSQL
(or another server database) with a strong password; the event broker is
RabbitMQ and the lock store and socket.io manager are Redis; the action server
binds to loopback or a private interface. :func:`check_production_environment`
reports every problem at once, each naming its variable, and never echoes a
secret.
"""

from __future__ import annotations

import ipaddress
from typing import List, Mapping, Optional
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.settings import SettingsError

SECRET_VARIABLES = ("RASA_JWT_SECRET", "AGENT_SESSION_KEY", "CUSTOMER_TOKEN_SECRET")
DATABASE_VARIABLES = ("DATABASE_URL", "TRACKER_STORE_URL")
REDIS_VARIABLES = ("LOCK_STORE_URL", "SOCKETIO_REDIS_URL")
MIN_SECRET_LENGTH = 32
MIN_PASSWORD_LENGTH = 16
MIN_DISTINCT_CHARACTERS = 10
MIN_PASSWORD_DISTINCT_CHARACTERS = 8
# Values that ship in examples, charts and tutorials; never secret.
KNOWN_DEFAULTS = frozenset(
    {
        "unset",
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "password",
        "passwd",
        "default",
        "admin",
        "guest",
        "postgres",
        "rasa",
        "rasaxtoken",
        "root",
        "test",
        "example",
        "letmein",
        "qwerty",
        "123456",
        "12345678",
    }
)
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


class ProductionConfigError(SettingsError):
    """Production mode cannot start with these settings.

    Attributes:
        problems: One sentence per problem, each starting with its variable.
    """

    def __init__(self, problems: List[str]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"BOT_ENV=production refuses to start:\n{listing}\n"
            f"Generate a secret with: {GENERATE_HINT}"
        )


def weakness(value: str, min_length: int = MIN_SECRET_LENGTH) -> Optional[str]:
    """Says what makes a secret weak, or ``None`` for a strong one.

    Args:
        value: The secret.
        min_length: The shortest acceptable secret.

    Returns:
        A short reason ("is a well-known default", …) or ``None``.
    """
    normalized = value.strip().lower()
    if normalized in KNOWN_DEFAULTS or normalized.strip("'\"") in KNOWN_DEFAULTS:
        return "is a well-known default value"
    if len(value) < min_length:
        return f"is shorter than {min_length} characters"
    distinct = (
        MIN_DISTINCT_CHARACTERS if min_length >= MIN_SECRET_LENGTH
        else MIN_PASSWORD_DISTINCT_CHARACTERS
    )
    if len(set(value)) < distinct:
        return f"has too little variety (fewer than {distinct} different characters)"
    return None


def _secret_problem(env: Mapping[str, str], name: str) -> Optional[str]:
    value = env.get(name) or ""
    if not value.strip():
        return f"{name} is not set; production never generates secrets"
    reason = weakness(value)
    return f"{name} {reason}" if reason else None


def _database_problem(env: Mapping[str, str], name: str) -> Optional[str]:
    raw = env.get(name) or ""
    if not raw.strip():
        return f"{name} is not set; production needs a PostgreSQL URL"
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        return f"{name} is not a database URL"
    if url.get_backend_name() == "sqlite":
        return f"{name} points to SQLite; production needs a server database such as PostgreSQL"
    if not url.password:
        return f"{name} has no password; add one (postgresql://user:PASSWORD@host/db)"
    reason = weakness(str(url.password), MIN_PASSWORD_LENGTH)
    return f"{name}: the database password {reason}" if reason else None


def _broker_problem(env: Mapping[str, str]) -> Optional[str]:
    raw = env.get("EVENT_BROKER_URL") or ""
    parts = urlsplit(raw)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        return "EVENT_BROKER_URL must be RabbitMQ's amqp://user:password@host:5672/vhost"
    if not parts.password:
        return "EVENT_BROKER_URL has no password; add one (amqp://user:PASSWORD@host:5672/)"
    reason = weakness(unquote(parts.password), MIN_PASSWORD_LENGTH)
    return f"EVENT_BROKER_URL: the RabbitMQ password {reason}" if reason else None


def _redis_problem(env: Mapping[str, str], name: str) -> Optional[str]:
    parts = urlsplit(env.get(name) or "")
    if parts.scheme != "redis" or not parts.hostname:
        return f"{name} must be a Redis URL, redis://host:6379/db"
    return None


def _action_host_problem(env: Mapping[str, str]) -> Optional[str]:
    host = env.get("ACTION_HOST") or ""
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"ACTION_HOST must be an IP address on loopback or a private network, got {host!r}"
    if address.is_unspecified or not (address.is_loopback or address.is_private):
        return (
            f"ACTION_HOST must be loopback or a private address, got {host}: "
            f"the action server must not be reachable from the internet"
        )
    return None


def production_problems(env: Mapping[str, str]) -> List[str]:
    """Lists everything that keeps production mode from starting.

    Args:
        env: The environment to check.

    Returns:
        One sentence per problem; empty when production may start.
    """
    checks = [
        *(_secret_problem(env, name) for name in SECRET_VARIABLES),
        *(_database_problem(env, name) for name in DATABASE_VARIABLES),
        _broker_problem(env),
        *(_redis_problem(env, name) for name in REDIS_VARIABLES),
        _action_host_problem(env),
    ]
    return [problem for problem in checks if problem]


def check_production_environment(env: Mapping[str, str]) -> None:
    """Refuses missing or weak production secrets and development-only stores.

    Args:
        env: The environment to check.

    Raises:
        ProductionConfigError: Listing every problem found.
    """
    problems = production_problems(env)
    if problems:
        raise ProductionConfigError(problems)
