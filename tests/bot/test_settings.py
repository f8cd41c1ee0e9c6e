import stat
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_run_on_one_machine_without_services(tmp_path: Path):
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/shop.db"
    assert settings.tracker_store_url == f"sqlite:///{tmp_path}/tracker.db"
    assert settings.lock_store_url is None
    assert settings.rasa_environment()["LOCK_STORE_TYPE"] == "in_memory"
    assert (settings.rasa_port, settings.action_port, settings.service_port) == (5005, 5055, 8080)


def test_secrets_are_generated_once_private_and_kept(tmp_path: Path):
    first = load_settings({"BOT_VAR_DIR": str(tmp_path)})
    second = load_settings({"BOT_VAR_DIR": str(tmp_path)})
    secret_file = tmp_path / "secrets" / "rasa_jwt_secret"
    assert len(first.rasa_jwt_secret) >= 32
    assert first.rasa_jwt_secret == second.rasa_jwt_secret
    assert first.rasa_jwt_secret != first.customer_token_secret
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def test_environment_overrides_defaults(tmp_path: Path):
    settings = load_settings(
        {
            "BOT_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql://shop:pw@db:5432/shop",
            "RASA_JWT_SECRET": "from-the-environment",
            "LOCK_STORE_URL": "redis://cache:6380/2",
            "ACTION_PORT": "6000",
        }
    )
    assert settings.database_url == "postgresql://shop:pw@db:5432/shop"
    assert settings.rasa_jwt_secret == "from-the-environment"
    assert settings.action_endpoint_url == "http://127.0.0.1:6000/webhook"
    env = settings.rasa_environment()
    assert (
        env["LOCK_STORE_TYPE"],
        env["LOCK_STORE_HOST"],
        env["LOCK_STORE_PORT"],
        env["LOCK_STORE_DB"],
    ) == (
        "redis",
        "cache",
        "6380",
        "2",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RASA_PORT", "abc"),
        ("ACTION_PORT", "70000"),
        ("BOT_ENV", "staging"),
        ("LOCK_STORE_URL", "cache:6379"),
        ("DAMAGE_ESCALATION_THRESHOLD_CENTS", "150.00"),
        ("DAMAGE_ESCALATION_THRESHOLD_CENTS", "-1"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(tmp_path: Path, name: str, value: str):
    with pytest.raises(SettingsError, match=name):
        load_settings({"BOT_VAR_DIR": str(tmp_path), name: value})


def test_damage_escalation_threshold_defaults_to_150_euros_and_can_be_set(tmp_path: Path):
    assert load_settings({"BOT_VAR_DIR": str(tmp_path)}).damage_escalation_threshold_cents == 15000
    settings = load_settings(
        {"BOT_VAR_DIR": str(tmp_path), "DAMAGE_ESCALATION_THRESHOLD_CENTS": "5000"}
    )
    assert settings.damage_escalation_threshold_cents == 5000


def test_support_team_settings_have_defaults_and_are_validated(tmp_path):
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path)})
    assert settings.event_broker_url == f"sqlite:///{tmp_path / 'events.db'}"
    assert settings.rasa_environment()["EVENT_BROKER_URL"] == settings.event_broker_url
    assert (settings.follow_up_threshold, settings.escalation_threshold) == (-0.5, -0.8)
    assert settings.handoff_minutes_per_ticket == 6
    for name, value in (
        ("FOLLOW_UP_THRESHOLD", "-1.5"),
        ("ESCALATION_THRESHOLD", "very"),
        ("HANDOFF_MINUTES_PER_TICKET", "0"),
    ):
        with pytest.raises(SettingsError, match=name):
            load_settings({"BOT_VAR_DIR": str(tmp_path), name: value})
