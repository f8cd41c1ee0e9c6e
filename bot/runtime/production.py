"""The production layout: Rasa replicas behind nginx, on Rasa's production stores.

::

    clients ──▶ nginx :RASA_PORT ──round-robin / sticky socket.io──▶ Rasa replica 1..N
                                                                      │ tracker store: PostgreSQL
                                                                      │ lock store: Redis
                                                                      │ socket.io manager: Redis
                                                                      │ event broker: RabbitMQ
    action server (ACTION_HOST:ACTION_PORT) ◀── custom actions ───────┘
    bot service (SERVICE_PORT) ◀── RabbitMQ queue; agent replies through nginx

:class:`ProductionLayout` says which processes make up the layout, in start
order, as :class:`~bot.runtime.processes.ProcessSpec` objects a
:class:`~bot.runtime.processes.Supervisor` starts one after the other::

    layout = ProductionLayout(settings, replicas=2)
    for spec in layout.specs(model):
        supervisor.start(spec)
    print(layout.public_url)

Every replica runs the same model with ``endpoints.production.yml``, whose
values come from :meth:`ProductionLayout.replica_environment`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import urlsplit, urlunsplit

from bot.channels.credentials import write_credentials
from bot.knowledge.policies import load_policies
from bot.runtime import nginx
from bot.runtime.processes import (
    RASA_JWT_SECRET_VARIABLE,
    ProcessSpec,
    action_server_spec,
    python_executable,
    service_spec,
)
from bot.settings import PROJECT_ROOT, Settings, SettingsError
from bot.support.contact import assistant_unavailable_message

ENDPOINTS_FILE = PROJECT_ROOT / "endpoints.production.yml"
PREFIX_DIR_NAME = "prod"
NGINX_STARTUP_TIMEOUT = 30.0
# Loading the model takes minutes on a small, busy machine.
REPLICA_STARTUP_TIMEOUT = 600.0
AMQP_DEFAULT_PORT = 5672
AMQPS_DEFAULT_PORT = 5671


class LayoutError(SettingsError):
    """The production layout cannot run with these settings or on this machine."""


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0") else host


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _redis_parts(url: str) -> tuple[str, str, str, str]:
    parts = urlsplit(url)
    db = parts.path.lstrip("/") or "0"
    return parts.hostname or "", str(parts.port or 6379), db, parts.password or ""


def broker_environment(url: str, queue: str, exchange: str) -> Dict[str, str]:
    """The variables ``endpoints.production.yml`` needs for Rasa's pika broker.

    Rasa's ``PikaEventBroker`` takes the host as a URL and adds the user and
    password to it itself, so they are passed separately and the password
    stays percent-encoded as written in ``EVENT_BROKER_URL``.

    Args:
        url: ``amqp://user:password@host:port/vhost``.
        queue: Durable queue the events go to.
        exchange: Fanout exchange the queue is bound to.

    Raises:
        LayoutError: When ``url`` is not an ``amqp://`` or ``amqps://`` URL.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise LayoutError(
            "EVENT_BROKER_URL must be RabbitMQ's amqp://user:password@host:5672/vhost "
            "in the production layout"
        )
    default_port = AMQPS_DEFAULT_PORT if parts.scheme == "amqps" else AMQP_DEFAULT_PORT
    port = parts.port or default_port
    netloc = f"{_url_host(parts.hostname)}:{port}"
    return {
        "EVENT_BROKER_HOST": urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
        "EVENT_BROKER_PORT": str(port),
        "EVENT_BROKER_USERNAME": parts.username or "",
        "EVENT_BROKER_PASSWORD": parts.password or "",
        "EVENT_BROKER_QUEUE": queue,
        "EVENT_BROKER_EXCHANGE": exchange,
    }


class ProductionLayout:
    """The processes of the production layout on one machine.

    Args:
        settings: The assistant's settings (``BOT_ENV=production`` in real use).
        replicas: How many Rasa servers run behind nginx.

    Raises:
        LayoutError: For fewer than one replica.
    """

    def __init__(self, settings: Settings, replicas: int = 2) -> None:
        if replicas < 1:
            raise LayoutError(f"the production layout needs at least one replica, got {replicas}")
        self.settings = settings
        self.replicas = replicas

    @property
    def prefix(self) -> Path:
        """The prefix directory of nginx: ``var/prod``."""
        return self.settings.var_dir / PREFIX_DIR_NAME

    @property
    def public_url(self) -> str:
        """Where customers and the bot service reach Rasa: nginx on ``RASA_PORT``."""
        return self.settings.rasa_url

    @property
    def replica_ports(self) -> List[int]:
        """Port of each replica: ``RASA_REPLICA_BASE_PORT`` and the ones after it."""
        return [self.settings.replica_base_port + index for index in range(self.replicas)]

    @property
    def replica_urls(self) -> List[str]:
        """Base URL of each replica, bypassing nginx."""
        host = _url_host(_client_host(self.settings.host))
        return [f"http://{host}:{port}" for port in self.replica_ports]

    @property
    def action_endpoint_url(self) -> str:
        """URL the replicas call for custom actions (``ACTION_ENDPOINT_URL`` if set).

        By default nginx's gateway to the action server, which answers with an
        apology while the action server is down (:class:`bot.runtime.nginx.ActionGateway`).
        """
        if self.settings.action_endpoint_url_override:
            return self.settings.action_endpoint_url_override
        host = _url_host(_client_host(self.settings.action_host))
        return f"http://{host}:{self.settings.action_gateway_port}/webhook"

    def check(self) -> None:
        """Checks what the layout needs before anything starts.

        Raises:
            LayoutError: Naming the setting or program that is missing.
        """
        self.check_stores()
        self.check_ports()
        binary = self.settings.nginx_binary
        if not (os.access(binary, os.X_OK) or shutil.which(binary)):
            raise LayoutError(
                f"nginx is not installed at {binary}; run scripts/install-nginx.sh "
                f"or set NGINX_BINARY"
            )

    def check_stores(self) -> None:
        """Checks that the replicas share Redis, PostgreSQL and RabbitMQ.

        Raises:
            LayoutError: Naming the setting that is missing.
        """
        settings = self.settings
        if not settings.lock_store_url:
            raise LayoutError(
                "LOCK_STORE_URL must name the Redis lock store (redis://host:6379/db): "
                "replicas share conversations"
            )
        if not settings.socketio_redis_url:
            raise LayoutError(
                "SOCKETIO_REDIS_URL must name a Redis (redis://host:6379/db) so that replies "
                "reach socket.io clients on every replica"
            )
        if not settings.tracker_store_url or settings.tracker_store_url.startswith("sqlite"):
            raise LayoutError("TRACKER_STORE_URL must be a PostgreSQL URL shared by the replicas")
        broker_environment(
            settings.event_broker_url, settings.event_broker_queue, settings.event_broker_exchange
        )

    def check_ports(self) -> None:
        """Checks that the processes on this machine do not share a port.

        Raises:
            LayoutError: When two of them would.
        """
        settings = self.settings
        ports = [
            settings.rasa_port,
            settings.action_port,
            settings.action_gateway_port,
            settings.service_port,
        ]
        ports += self.replica_ports
        if len(set(ports)) != len(ports):
            raise LayoutError(
                f"RASA_PORT, ACTION_PORT, SERVICE_PORT and the replica ports "
                f"(RASA_REPLICA_BASE_PORT and up) must all differ, got {ports}"
            )

    def environment(self) -> Dict[str, str]:
        """The settings every process of the layout must agree on, as variables.

        The layout may be built from settings that did not come from this
        process's environment (a benchmark, a test), and production mode
        generates nothing, so every process gets them explicitly.
        """
        settings = self.settings
        env = {
            "BOT_ENV": settings.environment,
            "BOT_VAR_DIR": str(settings.var_dir),
            "BOT_HOST": settings.host,
            "RASA_PORT": str(settings.rasa_port),
            "ACTION_PORT": str(settings.action_port),
            "ACTION_HOST": settings.action_host,
            "ACTION_GATEWAY_PORT": str(settings.action_gateway_port),
            "SERVICE_PORT": str(settings.service_port),
            "RASA_REPLICAS": str(self.replicas),
            "RASA_REPLICA_BASE_PORT": str(settings.replica_base_port),
            "DATABASE_URL": settings.database_url,
            "TRACKER_STORE_URL": settings.tracker_store_url,
            "EVENT_BROKER_URL": settings.event_broker_url,
            "EVENT_BROKER_QUEUE": settings.event_broker_queue,
            "EVENT_BROKER_EXCHANGE": settings.event_broker_exchange,
            "RASA_JWT_SECRET": settings.rasa_jwt_secret,
            "AGENT_SESSION_KEY": settings.agent_session_key,
            "CUSTOMER_TOKEN_SECRET": settings.customer_token_secret,
            "MODEL_DIR": str(settings.model_dir),
            "LOG_LEVEL": settings.log_level,
        }
        optional = {
            "LOCK_STORE_URL": settings.lock_store_url,
            "SOCKETIO_REDIS_URL": settings.socketio_redis_url,
            "POSTGRES_ADMIN_URL": settings.postgres_admin_url,
            "RASA_URL": settings.rasa_url_override,
        }
        env.update({name: value for name, value in optional.items() if value})
        return env

    def replica_environment(self) -> Dict[str, str]:
        """The variables ``endpoints.production.yml`` substitutes in every replica."""
        settings = self.settings
        lock_host, lock_port, lock_db, lock_password = _redis_parts(settings.lock_store_url or "")
        env = {
            "ACTION_ENDPOINT_URL": self.action_endpoint_url,
            "TRACKER_STORE_URL": settings.tracker_store_url,
            "LOCK_STORE_HOST": lock_host,
            "LOCK_STORE_PORT": lock_port,
            "LOCK_STORE_DB": lock_db,
            "LOCK_STORE_PASSWORD": lock_password,
        }
        env.update(
            broker_environment(
                settings.event_broker_url,
                settings.event_broker_queue,
                settings.event_broker_exchange,
            )
        )
        return env

    def action_spec(self) -> ProcessSpec:
        """The action server, bound to ``ACTION_HOST`` (loopback or private)."""
        spec = action_server_spec(self.settings)
        spec.env.update(self.environment())
        spec.env["SANIC_HOST"] = self.settings.action_host
        return spec

    def service_spec(self) -> ProcessSpec:
        """The bot service; it reads the RabbitMQ queue and calls Rasa through nginx."""
        spec = service_spec(self.settings)
        spec.env.update(self.environment())
        return spec

    def replica_spec(
        self, index: int, model: Path, credentials: Path, port: Optional[int] = None
    ) -> ProcessSpec:
        """Rasa replica number ``index`` (from 1).

        Args:
            index: 1 to ``replicas``.
            model: The trained model every replica serves.
            credentials: The channels' configuration, written by :meth:`prepare`.
            port: Where it listens; by default its place after ``RASA_REPLICA_BASE_PORT``
                (a replica alone in a container listens where it is told).
        """
        port = self.replica_ports[index - 1] if port is None else port
        return ProcessSpec(
            name=f"rasa-{index}",
            command=[
                python_executable(),
                "-m",
                # Rasa's own command line, with a cached action-response check.
                "bot.runtime.rasa_entry",
                "run",
                "--model",
                str(model),
                "--endpoints",
                str(ENDPOINTS_FILE),
                "--credentials",
                str(credentials),
                "--interface",
                self.settings.host,
                "--port",
                str(port),
                "--enable-api",
                # Read from RASA_JWT_SECRET in the environment, so that ps does not show it.
                "--jwt-secret-env",
                RASA_JWT_SECRET_VARIABLE,
                "--jwt-method",
                "HS256",
            ],
            port=port,
            env={**self.environment(), **self.replica_environment()},
            startup_timeout=REPLICA_STARTUP_TIMEOUT,
        )

    def nginx_spec(self) -> ProcessSpec:
        """The nginx process in the foreground, in front of every replica."""
        return ProcessSpec(
            name="nginx",
            command=nginx.command(self.settings.nginx_binary, self.prefix),
            port=self.settings.rasa_port,
            startup_timeout=NGINX_STARTUP_TIMEOUT,
        )

    def nginx_config(self) -> nginx.NginxConfig:
        """What nginx is configured with: its prefix, its port and the replicas."""
        upstream_host = _url_host(_client_host(self.settings.host))
        action_host = _url_host(_client_host(self.settings.action_host))
        return nginx.NginxConfig(
            prefix=self.prefix,
            listen_host=self.settings.host,
            listen_port=self.settings.rasa_port,
            upstreams=[f"{upstream_host}:{port}" for port in self.replica_ports],
            action_gateway=nginx.ActionGateway(
                listen_host=self.settings.action_host,
                listen_port=self.settings.action_gateway_port,
                upstream=f"{action_host}:{self.settings.action_port}",
                apology=assistant_unavailable_message(load_policies().contact),
            ),
        )

    def prepare(self, env: Optional[Dict[str, str]] = None) -> Path:
        """Checks the layout and writes nginx's and the replicas' configuration.

        Args:
            env: Environment for the messaging channels' variables; ``os.environ``
                by default.

        Returns:
            The channels' configuration file for the replicas.

        Raises:
            LayoutError: When something the layout needs is missing.
            bot.channels.credentials.ChannelConfigError: When a messaging
                channel is only partly configured.
        """
        self.check()
        nginx.write_config(self.nginx_config())
        return write_credentials(self.settings, os.environ if env is None else env)

    def specs(self, model: Path) -> List[ProcessSpec]:
        """The processes in start order: action server, service, replicas, nginx.

        Writes ``var/prod/nginx.conf`` and ``var/credentials.yml`` first (see
        :meth:`prepare`).

        Args:
            model: The trained model every replica serves.

        Raises:
            LayoutError: When something the layout needs is missing.
        """
        credentials = self.prepare()
        return [
            self.action_spec(),
            self.service_spec(),
            *(
                self.replica_spec(index, model, credentials)
                for index in range(1, self.replicas + 1)
            ),
            self.nginx_spec(),
        ]
