"""Finding PostgreSQL, Redis and RabbitMQ up, or starting the local ones."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import List

import pytest

from bot.runtime.services import (
    Service,
    ServiceUnavailableError,
    ensure_running,
    postgres_answers,
    postgres_start_command,
    rabbitmq_answers,
    rabbitmq_service,
    redis_answers,
    redis_service,
    required_services,
)
from tests.conftest import free_port


class Machine:
    """A server that answers once it has been started, and records the commands run."""

    def __init__(self, up: bool = False, answers_after: int = 0, exit_code: int = 0) -> None:
        self.up = up
        self.commands: List[List[str]] = []
        self.answers_after = answers_after
        self.exit_code = exit_code
        self.now = 0.0

    def probe(self, host: str, port: int) -> bool:
        if self.up and self.answers_after > 0:
            self.answers_after -= 1
            return False
        return self.up

    def run(self, command: List[str], **_: object) -> subprocess.CompletedProcess[bytes]:
        self.commands.append(command)
        self.up = self.exit_code == 0
        return subprocess.CompletedProcess(command, self.exit_code, b"", b"cannot bind 6379")

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now


def service(machine: Machine, host: str = "127.0.0.1", start: bool = True) -> Service:
    command = ["redis-server", "--port", "6379"] if start else None
    return Service("Redis", host, 6379, machine.probe, command, ready_timeout=10)


def ensure(machine: Machine, target: Service) -> bool:
    return ensure_running(target, run=machine.run, sleep=machine.sleep, clock=machine.clock)


def test_a_server_that_answers_is_left_alone():
    machine = Machine(up=True)

    assert ensure(machine, service(machine)) is False
    assert machine.commands == []


def test_a_local_server_that_is_down_is_started_and_waited_for():
    machine = Machine(answers_after=3)

    assert ensure(machine, service(machine)) is True
    assert machine.commands == [["redis-server", "--port", "6379"]]
    assert machine.now == 3.0  # waited until it really answered


def test_a_failing_start_command_is_reported_with_its_output():
    machine = Machine(exit_code=1)

    with pytest.raises(ServiceUnavailableError) as error:
        ensure(machine, service(machine))
    assert "cannot bind 6379" in str(error.value)


def test_a_server_that_never_answers_is_given_up_on():
    machine = Machine(answers_after=1000)

    with pytest.raises(ServiceUnavailableError) as error:
        ensure(machine, service(machine))
    assert "does not answer" in str(error.value)


def test_a_remote_server_is_never_started():
    machine = Machine()

    with pytest.raises(ServiceUnavailableError) as error:
        ensure(machine, service(machine, host="10.0.0.9", start=False))
    assert "not on this machine" in str(error.value)
    assert machine.commands == []


def test_the_start_commands_are_debians_and_keep_redis_without_persistence(tmp_path: Path):
    (tmp_path / "13").mkdir()
    (tmp_path / "15").mkdir()

    assert postgres_start_command(tmp_path) == [
        "pg_ctlcluster",
        "--skip-systemctl-redirect",
        "15",
        "main",
        "start",
    ]
    assert postgres_start_command(tmp_path / "none") is None
    redis = redis_service("redis://127.0.0.1:6380/3").start_command
    assert redis is not None and redis[redis.index("--port") + 1] == "6380"
    assert redis[redis.index("--save") + 1] == ""
    assert rabbitmq_service("amqp://u:p@localhost:5672/").start_command == [
        "rabbitmq-server",
        "-detached",
    ]
    assert rabbitmq_service("amqp://u:p@mq.internal:5672/").start_command is None


def test_each_server_is_checked_once():
    services = required_services(
        "postgresql://a:b@127.0.0.1:5432/app",
        "postgresql://a:b@127.0.0.1:5432/tracker",
        ["redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/4"],
        "amqp://u:p@127.0.0.1:5672/",
    )

    assert [(s.name, s.port) for s in services] == [
        ("PostgreSQL", 5432),
        ("Redis", 6379),
        ("RabbitMQ", 5672),
    ]


@pytest.mark.parametrize("probe", [postgres_answers, redis_answers, rabbitmq_answers])
def test_nothing_listening_is_not_mistaken_for_a_server(probe):
    assert probe("127.0.0.1", free_port()) is False


def test_the_machines_servers_are_recognised():
    found = {
        "PostgreSQL": postgres_answers("127.0.0.1", 5432),
        "Redis": redis_answers("127.0.0.1", 6379),
        "RabbitMQ": rabbitmq_answers("127.0.0.1", 5672),
    }
    if not all(found.values()):
        import os

        if os.environ.get("CI"):
            pytest.fail(f"servers missing under CI: {found}", pytrace=False)
        pytest.skip(f"not every server runs here: {found}")
    # Each probe speaks its own protocol: Redis is not taken for RabbitMQ.
    assert rabbitmq_answers("127.0.0.1", 6379) is False
    assert redis_answers("127.0.0.1", 5672) is False
