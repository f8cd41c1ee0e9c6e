"""The machine's PostgreSQL, Redis and RabbitMQ: is each one up, and starting it if not.

``python -m bot run-prod`` uses the servers already running on this machine.
When one on loopback is down it is started with Debian's own tools, and the
command waits until the server really answers (PostgreSQL accepts
connections, Redis answers PING, RabbitMQ opens an AMQP handshake), not just
until its port is open. Started servers are left running on exit: they are the
machine's, shared with anything else that uses them. A server on another host
is never started, only waited for.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", ""})
POSTGRES_CONFIG_DIR = Path("/etc/postgresql")
AMQP_PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
# A method frame (type 1) on channel 0 opens RabbitMQ's reply: connection.start.
AMQP_METHOD_FRAME_START = b"\x01\x00\x00"
PROBE_TIMEOUT_SECONDS = 2.0
PROBE_WAIT_SECONDS = 2
POSTGRES_READY_SECONDS = 60.0
REDIS_READY_SECONDS = 30.0
RABBITMQ_READY_SECONDS = 120.0


class ServiceUnavailableError(RuntimeError):
    """A server the production layout needs is down and could not be started."""


Probe = Callable[[str, int], bool]


@dataclass(frozen=True)
class Service:
    """One server the production layout depends on.

    Attributes:
        name: ``PostgreSQL``, ``Redis`` or ``RabbitMQ``.
        host: Where it listens.
        port: Its port.
        probe: Tells whether it answers on ``host:port``.
        start_command: How to start it on this machine, or ``None`` when it is
            not on loopback.
        ready_timeout: Seconds to wait for it to answer after starting it.
    """

    name: str
    host: str
    port: int
    probe: Probe
    start_command: Optional[Sequence[str]]
    ready_timeout: float

    @property
    def is_local(self) -> bool:
        """Whether it runs on this machine (loopback)."""
        return self.host in LOCAL_HOSTS


def postgres_answers(host: str, port: int) -> bool:
    """Tells whether PostgreSQL accepts connections (``pg_isready``)."""
    try:
        result = subprocess.run(
            ["pg_isready", "-q", "-h", host, "-p", str(port), "-t", str(PROBE_WAIT_SECONDS)],
            check=False,
            timeout=PROBE_TIMEOUT_SECONDS + 3,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def redis_answers(host: str, port: int) -> bool:
    """Tells whether Redis answers PING (a password-protected Redis counts too)."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_SECONDS) as connection:
            connection.sendall(b"PING\r\n")
            reply = connection.recv(64)
    except OSError:
        return False
    return reply.startswith(b"+PONG") or reply.startswith(b"-NOAUTH")


def rabbitmq_answers(host: str, port: int) -> bool:
    """Tells whether RabbitMQ starts an AMQP 0-9-1 handshake."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_SECONDS) as connection:
            connection.settimeout(PROBE_TIMEOUT_SECONDS)
            connection.sendall(AMQP_PROTOCOL_HEADER)
            reply = connection.recv(7)
    except OSError:
        return False
    return reply.startswith(AMQP_METHOD_FRAME_START)


def postgres_start_command(config_dir: Path = POSTGRES_CONFIG_DIR) -> Optional[List[str]]:
    """Starts Debian's PostgreSQL cluster ``main`` of the installed version."""
    versions = sorted(path.name for path in config_dir.glob("*") if path.is_dir())
    if not versions:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]


def redis_start_command(port: int) -> List[str]:
    """Starts Redis on loopback without persistence: it holds nothing durable here."""
    return [
        "redis-server",
        "--daemonize",
        "yes",
        "--bind",
        "127.0.0.1",
        "-::1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        "/var/lib/redis",
        "--logfile",
        "/var/log/redis/ci.log",
    ]


def rabbitmq_start_command() -> List[str]:
    """Starts RabbitMQ in the background."""
    return ["rabbitmq-server", "-detached"]


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def postgres_service(database_url: str) -> Service:
    """The PostgreSQL server of an SQLAlchemy URL."""
    url = make_url(database_url)
    host, port = url.host or "127.0.0.1", int(url.port or 5432)
    local = host in LOCAL_HOSTS
    return Service(
        "PostgreSQL",
        host,
        port,
        postgres_answers,
        postgres_start_command() if local else None,
        POSTGRES_READY_SECONDS,
    )


def redis_service(redis_url: str) -> Service:
    """The Redis server of a ``redis://`` URL."""
    host, port = _host_port(redis_url, 6379)
    local = host in LOCAL_HOSTS
    return Service(
        "Redis",
        host,
        port,
        redis_answers,
        redis_start_command(port) if local else None,
        REDIS_READY_SECONDS,
    )


def rabbitmq_service(amqp_url: str) -> Service:
    """The RabbitMQ server of an ``amqp://`` URL."""
    host, port = _host_port(amqp_url, 5672)
    local = host in LOCAL_HOSTS
    return Service(
        "RabbitMQ",
        host,
        port,
        rabbitmq_answers,
        rabbitmq_start_command() if local else None,
        RABBITMQ_READY_SECONDS,
    )


def ensure_running(
    service: Service,
    *,
    run: Callable[..., subprocess.CompletedProcess[bytes]] = subprocess.run,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Makes sure ``service`` answers, starting it when it is local and down.

    Args:
        service: The server.
        run: Runs the start command; replaceable in tests.
        sleep: Waits between probes.
        clock: Monotonic clock in seconds.

    Returns:
        ``True`` when it had to be started, ``False`` when it was already up.

    Raises:
        ServiceUnavailableError: When it is remote and down, its start command
            fails, or it does not answer in time.
    """
    probe_host = "127.0.0.1" if service.host in ("", "localhost") else service.host
    if service.probe(probe_host, service.port):
        return False
    where = f"{service.host}:{service.port}"
    if not service.start_command:
        raise ServiceUnavailableError(
            f"{service.name} at {where} does not answer, and it is not on this machine; "
            f"start it there"
        )
    logger.info("%s at %s is down; starting it", service.name, where)
    print(f"  {service.name} is down; starting it: {' '.join(service.start_command)}", flush=True)
    try:
        result = run(list(service.start_command), check=False, capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ServiceUnavailableError(f"could not start {service.name}: {error}") from error
    if result.returncode != 0:
        output = (result.stderr or result.stdout or b"").decode(errors="replace").strip()
        raise ServiceUnavailableError(
            f"could not start {service.name} (exit code {result.returncode}): {output[-500:]}"
        )
    deadline = clock() + service.ready_timeout
    while not service.probe(probe_host, service.port):
        if clock() > deadline:
            raise ServiceUnavailableError(
                f"{service.name} was started but does not answer at {where} after "
                f"{service.ready_timeout:.0f} s"
            )
        sleep(1.0)
    return True


def required_services(
    database_url: str, tracker_store_url: str, redis_urls: Sequence[str], broker_url: str
) -> List[Service]:
    """The servers the production layout needs, each once.

    Args:
        database_url: The application database.
        tracker_store_url: Rasa's tracker store.
        redis_urls: The lock store's and the socket.io manager's Redis.
        broker_url: RabbitMQ.
    """
    candidates = [
        postgres_service(database_url),
        postgres_service(tracker_store_url),
        *(redis_service(url) for url in redis_urls),
        rabbitmq_service(broker_url),
    ]
    unique: List[Service] = []
    seen = set()
    for service in candidates:
        key = (service.name, service.host, service.port)
        if key not in seen:
            seen.add(key)
            unique.append(service)
    return unique
