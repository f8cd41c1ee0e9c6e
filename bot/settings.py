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

    @property
    def action_endpoint_url(self) -> str:
        """URL Rasa calls to run custom actions."""
        return f"http://{_client_host(self.host)}:{self.action_port}/webhook"

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server as seen from this machine."""
        return f"http://{_client_host(self.host)}:{self.rasa_port}"

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


def _split_redis_url(url: str) -> tuple[str, str, str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "redis" or not parts.hostname:
        raise SettingsError(f"LOCK_STORE_URL must look like redis://host:port/db, got {url!r}")
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
    var_dir = Path(env.get("BOT_VAR_DIR", PROJECT_ROOT / "var")).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    secrets_dir = var_dir / "secrets"
    lock_store_url = env.get("LOCK_STORE_URL") or None
    if lock_store_url:
        _split_redis_url(lock_store_url)
    return Settings(
        environment=environment,
        var_dir=var_dir,
        database_url=env.get("DATABASE_URL") or _sqlite_url(var_dir / "shop.db"),
        tracker_store_url=env.get("TRACKER_STORE_URL") or _sqlite_url(var_dir / "tracker.db"),
        lock_store_url=lock_store_url,
        host=env.get("BOT_HOST", "127.0.0.1"),
        rasa_port=_port(env, "RASA_PORT", 5005),
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
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Returns the process-wide settings, read once from ``os.environ``."""
    return load_settings()
