"""The assistant's settings: the one place that reads the environment.

Every setting has a default that runs on a single machine with no services:
SQLite databases and secrets generated under ``var/``, in-memory lock store.
Production deployments override them with environment variables; the README
lists every variable.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# config.yml names this directory for SpacyNLP, relative to the project root.
SPACY_MODEL_DIR = PROJECT_ROOT / "build" / "spacy" / "en_shop_support"


class SettingsError(ValueError):
    """A setting has a value the assistant cannot run with."""


@dataclass(frozen=True)
class Settings:
    """Validated settings for every process of the assistant.

    Attributes:
        environment: ``development`` (embedded defaults) or ``production``.
        var_dir: Directory for local state: SQLite files, generated secrets, logs.
        database_url: SQLAlchemy URL of the application database.
        tracker_store_url: SQLAlchemy URL of Rasa's SQL tracker store.
        lock_store_url: ``redis://host:port/db`` for Rasa's Redis lock store, or
            ``None`` for the in-memory lock store.
        host: Interface the servers bind to.
        rasa_port: Port of the Rasa server (REST, socket.io and HTTP API).
        action_port: Port of the Rasa SDK action server.
        service_port: Port of the bot service (queue API, console, widget).
        rasa_jwt_secret: Secret that signs JWTs for Rasa's HTTP API.
        customer_token_secret: Shared secret (HS256) for signed customer tokens
            passed by the shop's website.
        agent_session_key: Key that signs agent console sessions.
        model_dir: Directory holding trained Rasa models.
        spacy_model_dir: Directory of the project's own spaCy pipeline.
        log_level: Log level of every process.
        damage_escalation_threshold_cents: A damaged, wrong or incomplete item worth
            more than this (in cents) is flagged for a person to review first.
        event_broker_url: SQLAlchemy URL of the database of Rasa's SQL event
            broker, which the bot service reads (customer messages during a
            handoff, the sentiment log).
        follow_up_threshold: A customer message scoring at or below this
            sentiment (-1..1) puts the conversation on the follow-up list.
        escalation_threshold: A message at or below this sentiment is strongly
            negative: the conversation is handed to a person.
        handoff_minutes_per_ticket: Average minutes an agent spends per ticket,
            for the wait the customer is told.
        rasa_replicas: How many Rasa servers the production layout runs behind nginx.
        replica_base_port: Port of the first Rasa replica; the others follow it.
        action_gateway_port: Port on ``action_host`` where nginx passes Rasa's
            calls to the action server in the production layout, answering
            with an apology while the action server is down.
        action_host: Interface the action server binds to in the production
            layout: loopback or a private address, never a public one.
        socketio_redis_url: ``redis://host:port/db`` through which every Rasa
            replica's socket.io server reaches sockets on the others, or ``None``.
        event_broker_queue: Durable RabbitMQ queue Rasa publishes events to and
            the bot service consumes, when the broker URL is ``amqp://``.
        event_broker_exchange: RabbitMQ fanout exchange the queue is bound to.
        nginx_binary: The nginx executable of the production layout.
        postgres_admin_url: A PostgreSQL administrator's URL for creating the
            databases of the production layout, or ``None`` to use the
            databases' own user.
        rasa_url_override: Where the other processes reach Rasa when it is
            not on this machine's ``RASA_PORT`` (``RASA_URL``, containers), or ``None``.
        action_endpoint_url_override: Where Rasa reaches the action server when
            it is not on this machine (``ACTION_ENDPOINT_URL``, containers), or ``None``.
        retention_days: Conversations whose last activity is older than this
            many days are deleted by the retention job; 0 turns it off.
        demo_enabled: Whether the bot service serves the demo shop page ``/demo``
            and issues its demo customer's token; on in development, off in
            production unless ``DEMO_ENABLED`` says otherwise.
        public_rasa_url: Base URL at which customers' browsers reach the Rasa
            server's socket.io channel, when it differs from :attr:`rasa_url`
            (for example behind a proxy), or ``None``.
    """

    environment: str
    var_dir: Path
    database_url: str
    tracker_store_url: str
    lock_store_url: Optional[str]
    host: str
    rasa_port: int
    action_port: int
    service_port: int
    rasa_jwt_secret: str
    customer_token_secret: str
    agent_session_key: str
    model_dir: Path
    spacy_model_dir: Path
    log_level: str
    damage_escalation_threshold_cents: int
    event_broker_url: str
    follow_up_threshold: float
    escalation_threshold: float
    handoff_minutes_per_ticket: int
    rasa_replicas: int = 2
    replica_base_port: int = 5006
    action_host: str = "127.0.0.1"
    action_gateway_port: int = 5056
    socketio_redis_url: Optional[str] = None
    event_broker_queue: str = "shop_support_events"
    event_broker_exchange: str = "shop_support_events"
    nginx_binary: str = "/usr/sbin/nginx"
    postgres_admin_url: Optional[str] = None
    rasa_url_override: Optional[str] = None
    action_endpoint_url_override: Optional[str] = None
    retention_days: int = 0
    demo_enabled: bool = True
    public_rasa_url: Optional[str] = None

    @property
    def action_endpoint_url(self) -> str:
        """URL Rasa calls to run custom actions (``ACTION_ENDPOINT_URL`` if set)."""
        if self.action_endpoint_url_override:
            return self.action_endpoint_url_override
        return f"http://{_client_host(self.host)}:{self.action_port}/webhook"

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server as seen from this machine (``RASA_URL`` if set)."""
        if self.rasa_url_override:
            return self.rasa_url_override
        return f"http://{_client_host(self.host)}:{self.rasa_port}"

    @property
    def browser_rasa_url(self) -> str:
        """Base URL of the Rasa server (socket.io) as customers' browsers reach it."""
        return self.public_rasa_url or self.rasa_url

    @property
    def service_url(self) -> str:
        """Base URL of the bot service as seen from this machine."""
        return f"http://{_client_host(self.host)}:{self.service_port}"

    def rasa_environment(self) -> Dict[str, str]:
        """Environment variables that ``endpoints.yml`` substitutes.

        Returns:
            A mapping to add to the environment of every Rasa process.
        """
        lock_type, lock_host, lock_port, lock_db = "in_memory", "", "6379", "1"
        if self.lock_store_url:
            lock_type, lock_host, lock_port, lock_db = (
                "redis",
                *_split_redis_url(self.lock_store_url),
            )
        return {
            "ACTION_ENDPOINT_URL": self.action_endpoint_url,
            "TRACKER_STORE_URL": self.tracker_store_url,
            "LOCK_STORE_TYPE": lock_type,
            "LOCK_STORE_HOST": lock_host,
            "LOCK_STORE_PORT": lock_port,
            "LOCK_STORE_DB": lock_db,
            "DATABASE_URL": self.database_url,
            "BOT_VAR_DIR": str(self.var_dir),
            "EVENT_BROKER_URL": self.event_broker_url,
        }



def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


def _default_action_host(host: str) -> str:
    """The servers' interface when it is loopback or private, else loopback."""
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "127.0.0.1"
    if address.is_unspecified or not (address.is_loopback or address.is_private):
        return "127.0.0.1"
    return host


def _split_redis_url(url: str, name: str = "LOCK_STORE_URL") -> tuple[str, str, str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "redis" or not parts.hostname:
        raise SettingsError(f"{name} must look like redis://host:port/db, got {url!r}")
    db = parts.path.lstrip("/") or "1"
    return parts.hostname, str(parts.port or 6379), db


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a port number, got {raw!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"{name} must be between 1 and 65535, got {port}")
    return port


def _cents(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        cents = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number of cents, got {raw!r}") from None
    if cents < 0:
        raise SettingsError(f"{name} must not be negative, got {cents}")
    return cents


def _sentiment(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number from -1 to 1, got {raw!r}") from None
    if not -1.0 <= value <= 1.0:
        raise SettingsError(f"{name} must be from -1 to 1, got {value}")
    return value


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value


def _days(env: Mapping[str, str], name: str) -> int:
    raw = env.get(name) or "0"
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number of days, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _public_url(env: Mapping[str, str], name: str) -> Optional[str]:
    from urllib.parse import urlsplit

    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise SettingsError(f"{name} must look like https://host[:port], got {raw!r}")
    return raw.rstrip("/")


def _secret(env: Mapping[str, str], name: str, secrets_dir: Path) -> str:
    """Returns the secret from the environment, or one generated on first use.

    Generated secrets are kept in ``var/secrets/`` so that restarts keep
    sessions and tokens valid.
    """
    value = env.get(name)
    if value:
        return value
    path = secrets_dir / name.lower()
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    secrets_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Reads and validates settings from the environment.

    Args:
        env: The environment to read; ``os.environ`` when omitted.

    Returns:
        The validated settings.

    Raises:
        SettingsError: When a variable has an unusable value.
    """
    env = os.environ if env is None else env
    environment = env.get("BOT_ENV", "development")
    if environment not in ("development", "production"):
        raise SettingsError(f"BOT_ENV must be development or production, got {environment!r}")
    if environment == "production":
        # Production never falls back to generated secrets or SQLite files.
        from bot.runtime.secret_policy import check_production_environment

        check_production_environment(env)
    var_dir = Path(env.get("BOT_VAR_DIR", PROJECT_ROOT / "var")).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    secrets_dir = var_dir / "secrets"
    lock_store_url = env.get("LOCK_STORE_URL") or None
    if lock_store_url:
        _split_redis_url(lock_store_url)
    socketio_redis_url = env.get("SOCKETIO_REDIS_URL") or None
    if socketio_redis_url:
        _split_redis_url(socketio_redis_url, "SOCKETIO_REDIS_URL")
    host = env.get("BOT_HOST", "127.0.0.1")
    rasa_port = _port(env, "RASA_PORT", 5005)
    return Settings(
        environment=environment,
        var_dir=var_dir,
        database_url=env.get("DATABASE_URL") or _sqlite_url(var_dir / "shop.db"),
        tracker_store_url=env.get("TRACKER_STORE_URL") or _sqlite_url(var_dir / "tracker.db"),
        lock_store_url=lock_store_url,
        host=host,
        rasa_port=rasa_port,
        action_port=_port(env, "ACTION_PORT", 5055),
        service_port=_port(env, "SERVICE_PORT", 8080),
        rasa_jwt_secret=_secret(env, "RASA_JWT_SECRET", secrets_dir),
        customer_token_secret=_secret(env, "CUSTOMER_TOKEN_SECRET", secrets_dir),
        agent_session_key=_secret(env, "AGENT_SESSION_KEY", secrets_dir),
        model_dir=Path(env.get("MODEL_DIR", PROJECT_ROOT / "models")).resolve(),
        spacy_model_dir=SPACY_MODEL_DIR,
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        damage_escalation_threshold_cents=_cents(env, "DAMAGE_ESCALATION_THRESHOLD_CENTS", 15000),
        event_broker_url=env.get("EVENT_BROKER_URL") or _sqlite_url(var_dir / "events.db"),
        follow_up_threshold=_sentiment(env, "FOLLOW_UP_THRESHOLD", -0.5),
        escalation_threshold=_sentiment(env, "ESCALATION_THRESHOLD", -0.8),
        handoff_minutes_per_ticket=_positive(env, "HANDOFF_MINUTES_PER_TICKET", 6),
        rasa_replicas=_positive(env, "RASA_REPLICAS", 2),
        replica_base_port=_port(env, "RASA_REPLICA_BASE_PORT", min(rasa_port + 1, 65535)),
        action_host=env.get("ACTION_HOST") or _default_action_host(host),
        action_gateway_port=_port(
            env, "ACTION_GATEWAY_PORT", min(_port(env, "ACTION_PORT", 5055) + 1, 65535)
        ),
        socketio_redis_url=socketio_redis_url,
        event_broker_queue=env.get("EVENT_BROKER_QUEUE") or "shop_support_events",
        event_broker_exchange=env.get("EVENT_BROKER_EXCHANGE") or "shop_support_events",
        nginx_binary=env.get("NGINX_BINARY") or "/usr/sbin/nginx",
        postgres_admin_url=env.get("POSTGRES_ADMIN_URL") or None,
        rasa_url_override=(env.get("RASA_URL") or "").rstrip("/") or None,
        action_endpoint_url_override=env.get("ACTION_ENDPOINT_URL") or None,
        retention_days=_days(env, "RETENTION_DAYS"),
        demo_enabled=_flag(env, "DEMO_ENABLED", environment != "production"),
        public_rasa_url=_public_url(env, "PUBLIC_RASA_URL"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Returns the process-wide settings, read once from ``os.environ``."""
    return load_settings()
