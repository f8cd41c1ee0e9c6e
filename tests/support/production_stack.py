"""The machine's PostgreSQL, Redis, RabbitMQ and nginx, for tests of the production layout.

Each test module gets a database role, databases, Redis db numbers and a RabbitMQ
user, queue and exchange of its own, and removes them afterwards. Without one of
the services the module is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import Dict

import aio_pika
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bot.runtime.services import postgres_answers, rabbitmq_answers, redis_answers
from tests.conftest import free_port

ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
NGINX = "/usr/sbin/nginx"


def require(condition: bool, what: str) -> None:
    """Skips the test without ``what``; fails instead under CI, where it must be there."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required under CI", pytrace=False)
    pytest.skip(f"{what} is not available")


def require_production_services() -> None:
    """PostgreSQL, Redis and RabbitMQ on their usual loopback ports, and Debian's nginx."""
    require(postgres_answers("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
    require(redis_answers("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    require(rabbitmq_answers("127.0.0.1", 5672), "RabbitMQ on 127.0.0.1:5672")
    require(os.access(NGINX, os.X_OK), "nginx (scripts/install-nginx.sh)")


def production_secrets() -> Dict[str, str]:
    """Strong, fresh secrets that production mode accepts."""
    return {
        "RASA_JWT_SECRET": secrets.token_urlsafe(48),
        "AGENT_SESSION_KEY": secrets.token_urlsafe(48),
        "CUSTOMER_TOKEN_SECRET": secrets.token_urlsafe(48),
    }


def adjacent_free_ports() -> int:
    """A free loopback port whose successor is free too (the replicas' base port)."""
    for _ in range(50):
        port = free_port()
        if port < 65000 and not _port_taken(port + 1):
            return port
    raise RuntimeError("no two adjacent free ports")


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def admin_sql(statement: str) -> None:
    """Runs one statement as the PostgreSQL administrator, outside a transaction."""
    engine = create_engine(ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def drop_databases(*names: str) -> None:
    """Drops the databases, closing their connections first."""
    for name in names:
        admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def remove_broker_objects(url: str, queue: str, exchange: str) -> None:
    """Deletes a test's RabbitMQ queue and exchange."""
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await channel.exchange_delete(exchange)


def flush_redis(db: int) -> None:
    """Empties one Redis database of the local server."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=db)
    try:
        client.flushdb()
    finally:
        client.close()
