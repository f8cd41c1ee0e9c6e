"""Production mode refuses missing or weak secrets and development-only stores."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest

from bot.runtime.secret_policy import ProductionConfigError, production_problems, weakness
from bot.settings import SettingsError, load_settings

STRONG = "k7Qw9-Zr2LmX_vB4nT8pY1sD6fGh3JcE5aUo0WiRtNyVb"
PASSWORD = "Xq3-v9LmZ2_pR7tWk4Yb"


def production_env(tmp_path: Path, **overrides: str) -> Dict[str, str]:
    env = {
        "BOT_ENV": "production",
        "BOT_VAR_DIR": str(tmp_path / "var"),
        "RASA_JWT_SECRET": STRONG,
        "AGENT_SESSION_KEY": STRONG[::-1],
        "CUSTOMER_TOKEN_SECRET": STRONG[5:] + STRONG[:5],
        "DATABASE_URL": f"postgresql://shop:{PASSWORD}@db.internal:5432/shop",
        "TRACKER_STORE_URL": f"postgresql://shop:{PASSWORD}@db.internal:5432/shop_tracker",
        "LOCK_STORE_URL": "redis://redis.internal:6379/3",
        "SOCKETIO_REDIS_URL": "redis://redis.internal:6379/4",
        "EVENT_BROKER_URL": f"amqp://shop:{PASSWORD}@mq.internal:5672/",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value != "<unset>"}


def refusal(tmp_path: Path, **overrides: str) -> str:
    with pytest.raises(ProductionConfigError) as error:
        load_settings(production_env(tmp_path, **overrides))
    return str(error.value)


def test_strong_production_settings_load(tmp_path):
    settings = load_settings(production_env(tmp_path))

    assert settings.environment == "production"
    assert settings.rasa_jwt_secret == STRONG
    assert not (tmp_path / "var" / "secrets").exists()  # nothing generated


@pytest.mark.parametrize("name", ["RASA_JWT_SECRET", "AGENT_SESSION_KEY", "CUSTOMER_TOKEN_SECRET"])
def test_a_missing_secret_is_refused_instead_of_generated(tmp_path, name):
    message = refusal(tmp_path, **{name: "<unset>"})

    assert f"{name} is not set" in message
    assert not (tmp_path / "var" / "secrets").exists()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("UNSET", "well-known default"),
        ("changeme", "well-known default"),
        ("secret", "well-known default"),
        ("s3cr3t-but-short", "shorter than 32 characters"),
        ("ab" * 20, "too little variety"),
        ("0" * 64, "too little variety"),
    ],
)
def test_a_weak_jwt_secret_is_refused_with_the_reason(tmp_path, value, reason):
    message = refusal(tmp_path, RASA_JWT_SECRET=value)

    assert "RASA_JWT_SECRET" in message
    assert reason in message


def test_a_weak_secret_is_never_echoed(tmp_path):
    message = refusal(tmp_path, AGENT_SESSION_KEY="my-little-key-2024")

    assert "AGENT_SESSION_KEY is shorter than 32 characters" in message
    assert "my-little-key-2024" not in message


def test_every_problem_is_listed_at_once(tmp_path):
    message = refusal(tmp_path, AGENT_SESSION_KEY="changeme", CUSTOMER_TOKEN_SECRET="<unset>")

    assert "AGENT_SESSION_KEY is a well-known default value" in message
    assert "CUSTOMER_TOKEN_SECRET is not set" in message
    assert "secrets.token_urlsafe" in message  # how to make a good one


@pytest.mark.parametrize("name", ["DATABASE_URL", "TRACKER_STORE_URL"])
def test_sqlite_is_refused_for_either_database(tmp_path, name):
    message = refusal(tmp_path, **{name: "sqlite:///var/shop.db"})

    assert f"{name} points to SQLite" in message


@pytest.mark.parametrize("name", ["DATABASE_URL", "TRACKER_STORE_URL"])
def test_a_database_url_without_a_password_is_refused(tmp_path, name):
    message = refusal(tmp_path, **{name: "postgresql://shop@db.internal:5432/shop"})

    assert f"{name} has no password" in message


@pytest.mark.parametrize("password", ["postgres", "password", "short-pw", "aaaaaaaaaaaaaaaaaaaa"])
def test_a_weak_database_password_is_refused_and_not_shown(tmp_path, password):
    message = refusal(
        tmp_path, DATABASE_URL=f"postgresql://shop:{password}@db.internal:5432/shop"
    )

    assert "DATABASE_URL: the database password" in message
    assert f":{password}@" not in message


def test_an_unset_database_is_refused_rather_than_defaulting_to_sqlite(tmp_path):
    message = refusal(tmp_path, DATABASE_URL="<unset>")

    assert "DATABASE_URL is not set" in message


@pytest.mark.parametrize(
    "url",
    ["sqlite:///var/events.db", "amqp://guest:guest@mq.internal:5672/", "amqp://mq.internal/"],
)
def test_the_event_broker_must_be_rabbitmq_with_a_strong_password(tmp_path, url):
    message = refusal(tmp_path, EVENT_BROKER_URL=url)

    assert "EVENT_BROKER_URL" in message


@pytest.mark.parametrize("name", ["LOCK_STORE_URL", "SOCKETIO_REDIS_URL"])
def test_the_replicas_need_redis(tmp_path, name):
    message = refusal(tmp_path, **{name: "<unset>"})

    assert f"{name} must be a Redis URL" in message


@pytest.mark.parametrize("host", ["0.0.0.0", "8.8.8.8", "::"])
def test_the_action_server_may_not_listen_on_a_public_interface(tmp_path, host):
    message = refusal(tmp_path, ACTION_HOST=host)

    assert "ACTION_HOST must be loopback or a private address" in message


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.3.4", "192.168.1.20"])
def test_the_action_server_may_listen_on_loopback_or_a_private_network(tmp_path, host):
    assert load_settings(production_env(tmp_path, ACTION_HOST=host)).action_host == host


def test_production_errors_are_settings_errors_for_the_command_line(tmp_path):
    with pytest.raises(SettingsError):
        load_settings(production_env(tmp_path, RASA_JWT_SECRET="UNSET"))


def test_development_mode_still_generates_missing_secrets(tmp_path):
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path / "var")})

    assert len(settings.rasa_jwt_secret) >= 32
    assert (tmp_path / "var" / "secrets" / "rasa_jwt_secret").exists()
    assert settings.database_url.startswith("sqlite:///")


def test_a_random_token_is_strong_and_a_default_is_not():
    import secrets

    assert weakness(secrets.token_urlsafe(48)) is None
    assert weakness("UNSET") == "is a well-known default value"
    assert production_problems({}) != []
