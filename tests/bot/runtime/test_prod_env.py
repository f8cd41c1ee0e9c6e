"""var/prod.env: strong production settings made once, kept afterwards."""

from __future__ import annotations

import stat
import subprocess
from typing import List

import pytest

from bot.runtime.prod_env import ensure_env_file, read_env_file
from bot.runtime.provisioning import ProvisioningError, ensure_rabbitmq_user
from bot.runtime.secret_policy import production_problems
from bot.settings import load_settings


def test_the_first_run_writes_a_private_file_production_accepts(tmp_path):
    env = ensure_env_file(tmp_path)

    assert env.created
    assert stat.S_IMODE(env.path.stat().st_mode) == 0o600
    assert production_problems(env.values) == []
    settings = load_settings({**env.values, "BOT_VAR_DIR": str(tmp_path)})
    assert settings.environment == "production"
    assert settings.database_url.startswith("postgresql://shop_support:")


def test_later_runs_keep_every_value_and_add_only_what_is_missing(tmp_path):
    first = ensure_env_file(tmp_path).values
    lines = [line for line in first_lines(tmp_path) if not line.startswith("SOCKETIO_REDIS_URL=")]
    (tmp_path / "prod.env").write_text("\n".join(lines) + "\n")

    second = ensure_env_file(tmp_path)

    assert not second.created
    assert second.values["RASA_JWT_SECRET"] == first["RASA_JWT_SECRET"]
    assert second.values["DATABASE_URL"] == first["DATABASE_URL"]
    assert read_env_file(second.path)["SOCKETIO_REDIS_URL"] == "redis://127.0.0.1:6379/4"


def test_each_file_gets_its_own_secrets(tmp_path):
    one = ensure_env_file(tmp_path / "one").values
    two = ensure_env_file(tmp_path / "two").values

    for name in ("RASA_JWT_SECRET", "AGENT_SESSION_KEY", "CUSTOMER_TOKEN_SECRET", "DATABASE_URL"):
        assert one[name] != two[name]


def first_lines(tmp_path) -> List[str]:
    return (tmp_path / "prod.env").read_text().splitlines()


class Rabbitmqctl:
    def __init__(self, users: str, fail: str = "") -> None:
        self.users = users
        self.fail = fail
        self.calls: List[List[str]] = []

    def __call__(self, command: List[str], **_: object) -> subprocess.CompletedProcess[str]:
        self.calls.append(command[2:])
        if command[2] == self.fail:
            return subprocess.CompletedProcess(command, 2, "", "access refused")
        return subprocess.CompletedProcess(command, 0, self.users, "")


def test_a_new_broker_user_is_added_with_rights_on_the_vhost():
    ctl = Rabbitmqctl("guest\t[administrator]\n")

    assert ensure_rabbitmq_user("shop_support", "pw-123", run=ctl) is True
    assert ctl.calls[1:] == [
        ["add_user", "shop_support", "pw-123"],
        ["set_permissions", "-p", "/", "shop_support", ".*", ".*", ".*"],
    ]


def test_an_existing_broker_user_gets_the_files_password_again():
    ctl = Rabbitmqctl("guest\t[administrator]\nshop_support\t[]\n")

    assert ensure_rabbitmq_user("shop_support", "pw-123", run=ctl) is False
    assert ctl.calls[1] == ["change_password", "shop_support", "pw-123"]


def test_a_refused_broker_command_names_the_step_but_not_the_password():
    ctl = Rabbitmqctl("guest\n", fail="add_user")

    with pytest.raises(ProvisioningError) as error:
        ensure_rabbitmq_user("shop_support", "pw-123", run=ctl)
    assert "add_user" in str(error.value) and "access refused" in str(error.value)
    assert "pw-123" not in str(error.value)
