"""The production layout: which processes, in which order, with which settings."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest
import yaml

from bot.runtime.production import ENDPOINTS_FILE, LayoutError, ProductionLayout
from bot.settings import Settings, load_settings

STRONG = "k7Qw9-Zr2LmX_vB4nT8pY1sD6fGh3JcE5aUo0WiRtNyVb"
PASSWORD = "Xq3-v9LmZ2_pR7tWk4Yb"
MODEL = Path("/models/shop-support.tar.gz")


def production_env(tmp_path: Path, **overrides: str) -> Dict[str, str]:
    env = {
        "BOT_ENV": "production",
        "BOT_VAR_DIR": str(tmp_path / "var"),
        "RASA_JWT_SECRET": STRONG,
        "AGENT_SESSION_KEY": STRONG[::-1],
        "CUSTOMER_TOKEN_SECRET": STRONG[5:] + STRONG[:5],
        "DATABASE_URL": f"postgresql://shop:{PASSWORD}@127.0.0.1:5432/shop",
        "TRACKER_STORE_URL": f"postgresql://shop:{PASSWORD}@127.0.0.1:5432/shop_tracker",
        "LOCK_STORE_URL": "redis://127.0.0.1:6379/3",
        "SOCKETIO_REDIS_URL": "redis://127.0.0.1:6379/4",
        "EVENT_BROKER_URL": f"amqp://shop:{PASSWORD}%2F@127.0.0.1:5673/shop",
        "EVENT_BROKER_QUEUE": "events_q",
        "EVENT_BROKER_EXCHANGE": "events_x",
        "RASA_PORT": "7005",
        "RASA_REPLICA_BASE_PORT": "7101",
        "ACTION_PORT": "7055",
        "SERVICE_PORT": "7080",
        "NGINX_BINARY": "/bin/true",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value != "<unset>"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(production_env(tmp_path))


def test_the_processes_start_in_order_replicas_on_their_own_ports(settings):
    layout = ProductionLayout(settings, replicas=2)

    specs = layout.specs(MODEL)

    assert [spec.name for spec in specs] == ["actions", "service", "rasa-1", "rasa-2", "nginx"]
    assert [spec.port for spec in specs] == [7055, 7080, 7101, 7102, 7005]
    assert layout.public_url == "http://127.0.0.1:7005"
    assert layout.replica_urls == ["http://127.0.0.1:7101", "http://127.0.0.1:7102"]


def test_more_replicas_mean_more_rasa_servers_behind_nginx(settings):
    layout = ProductionLayout(settings, replicas=3)

    names = [spec.name for spec in layout.specs(MODEL)]
    config = (layout.prefix / "nginx.conf").read_text(encoding="utf-8")

    assert names[2:5] == ["rasa-1", "rasa-2", "rasa-3"]
    for port in (7101, 7102, 7103):
        assert f"server 127.0.0.1:{port} " in config


def test_each_replica_serves_the_model_with_the_production_endpoints_and_jwt_only(settings):
    replica = ProductionLayout(settings).specs(MODEL)[2]
    command = replica.command

    assert command[command.index("--model") + 1] == str(MODEL)
    assert command[command.index("--endpoints") + 1] == str(ENDPOINTS_FILE)
    assert command[command.index("--jwt-secret-env") + 1] == "RASA_JWT_SECRET"
    assert replica.env["RASA_JWT_SECRET"] == STRONG
    assert not [argument for argument in command if STRONG in argument]
    assert "--enable-api" in command
    assert "--auth-token" not in command
    assert "--cors" not in command


def test_the_replicas_get_rasas_store_settings_from_the_urls(settings):
    env = ProductionLayout(settings).specs(MODEL)[2].env

    assert env["TRACKER_STORE_URL"] == settings.tracker_store_url
    assert (env["LOCK_STORE_HOST"], env["LOCK_STORE_PORT"], env["LOCK_STORE_DB"]) == (
        "127.0.0.1",
        "6379",
        "3",
    )
    assert env["EVENT_BROKER_HOST"] == "amqp://127.0.0.1:5673/shop"
    assert env["EVENT_BROKER_USERNAME"] == "shop"
    assert env["EVENT_BROKER_PASSWORD"] == PASSWORD + "%2F"  # as written, percent-encoded
    assert (env["EVENT_BROKER_QUEUE"], env["EVENT_BROKER_EXCHANGE"]) == ("events_q", "events_x")
    assert env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:7056/webhook"


def test_every_endpoint_variable_has_a_value(settings):
    env = ProductionLayout(settings).replica_environment()
    endpoints = ENDPOINTS_FILE.read_text(encoding="utf-8")
    for name in env:
        endpoints = endpoints.replace("${" + name + "}", env[name] or "x")

    assert "${" not in endpoints
    parsed = yaml.safe_load(endpoints)
    assert parsed["event_broker"]["type"] == "pika"
    assert parsed["lock_store"]["type"] == "bot.runtime.lock_store.AtomicRedisLockStore"
    assert parsed["tracker_store"]["type"] == "bot.runtime.tracker_store.CountingSQLTrackerStore"


def test_every_process_can_load_the_same_production_settings_from_its_environment(settings):
    specs = ProductionLayout(settings).specs(MODEL)
    python_specs = [spec for spec in specs if spec.name != "nginx"]
    assert len(python_specs) == 4
    for spec in python_specs:
        child = load_settings(spec.env)  # production mode: nothing may be missing

        assert child.environment == "production", spec.name
        assert child.rasa_jwt_secret == settings.rasa_jwt_secret
        assert child.event_broker_url == settings.event_broker_url
        assert child.database_url == settings.database_url


def test_the_action_server_binds_to_the_action_host(tmp_path):
    settings = load_settings(production_env(tmp_path, ACTION_HOST="10.1.2.3"))

    actions = ProductionLayout(settings).specs(MODEL)[0]

    assert actions.env["SANIC_HOST"] == "10.1.2.3"
    assert ProductionLayout(settings).action_endpoint_url == "http://10.1.2.3:7056/webhook"


def test_socketio_shares_redis_across_replicas_in_the_written_credentials(settings):
    ProductionLayout(settings).specs(MODEL)

    credentials = yaml.safe_load((settings.var_dir / "credentials.yml").read_text())

    socketio = credentials["bot.channels.socketio.SecureSocketIOInput"]
    assert socketio["redis_url"] == "redis://127.0.0.1:6379/4"
    assert socketio["max_message_length"] == 2000  # the project's settings are kept


def test_the_development_credentials_have_no_redis(tmp_path):
    from bot.channels.credentials import write_credentials

    settings = load_settings({"BOT_VAR_DIR": str(tmp_path / "var")})
    credentials = yaml.safe_load(write_credentials(settings, {}).read_text())

    assert "redis_url" not in credentials["bot.channels.socketio.SecureSocketIOInput"]


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"LOCK_STORE_URL": "<unset>", "BOT_ENV": "development"}, "LOCK_STORE_URL"),
        ({"SOCKETIO_REDIS_URL": "<unset>", "BOT_ENV": "development"}, "SOCKETIO_REDIS_URL"),
        ({"TRACKER_STORE_URL": "<unset>", "BOT_ENV": "development"}, "TRACKER_STORE_URL"),
        ({"EVENT_BROKER_URL": "<unset>", "BOT_ENV": "development"}, "EVENT_BROKER_URL"),
        ({"RASA_REPLICA_BASE_PORT": "7004"}, "RASA_REPLICA_BASE_PORT"),
        ({"NGINX_BINARY": "/nonexistent/nginx"}, "scripts/install-nginx.sh"),
    ],
)
def test_a_layout_that_cannot_work_is_refused_before_anything_starts(tmp_path, override, named):
    settings = load_settings(production_env(tmp_path, **override))

    with pytest.raises(LayoutError) as error:
        ProductionLayout(settings).specs(MODEL)
    assert named in str(error.value)
    assert not (settings.var_dir / "prod" / "nginx.conf").exists()


def test_a_layout_needs_a_replica(settings):
    with pytest.raises(LayoutError):
        ProductionLayout(settings, replicas=0)
