import os
from pathlib import Path

import pytest

from bot.bench.targets import BenchEnvironment, exported, our_environment, parse_targets

ENV = BenchEnvironment(
    work_dir=Path("/tmp/bench"),
    postgres_url="postgresql://postgres@127.0.0.1:5432/postgres",
    redis_url="redis://127.0.0.1:6379/9",
    rabbitmq_url="amqp://guest:guest@127.0.0.1:5672/%2F",
    model=Path("models/shop-support.tar.gz"),
)
URLS = {"app": "postgresql:///a", "tracker": "postgresql:///t", "events": "postgresql:///e"}


def test_target_names_are_read_in_order():
    assert parse_targets("vanilla, ours-1,ours-2") == ["vanilla", "ours-1", "ours-2"]


@pytest.mark.parametrize("raw", ["", "ours-0", "ours", "rasa", "vanilla,ours-10"])
def test_unknown_targets_are_refused(raw):
    with pytest.raises(ValueError, match="vanilla or ours-N"):
        parse_targets(raw)


def test_one_replica_uses_the_sql_broker_on_postgresql_and_the_redis_lock_store():
    variables = our_environment(ENV, "ours-1", 1, URLS)
    assert variables["EVENT_BROKER_URL"] == "postgresql:///e"
    assert variables["TRACKER_STORE_URL"] == "postgresql:///t"
    assert variables["LOCK_STORE_URL"] == "redis://127.0.0.1:6379/9"
    assert "SOCKETIO_REDIS_URL" not in variables
    assert variables["BOT_VAR_DIR"] == "/tmp/bench/var/ours-1"


def test_replicas_get_rabbitmq_redis_for_socketio_and_distinct_ports():
    variables = our_environment(ENV, "ours-2", 2, URLS)
    assert variables["EVENT_BROKER_URL"].startswith("amqp://")
    assert variables["EVENT_BROKER_QUEUE"] == "shop_bench_events"
    assert variables["SOCKETIO_REDIS_URL"] == "redis://127.0.0.1:6379/9"
    base = int(variables["RASA_REPLICA_BASE_PORT"])
    ports = {int(variables[name]) for name in ("RASA_PORT", "ACTION_PORT", "SERVICE_PORT")}
    assert not ports & {base, base + 1}


def test_exported_variables_are_restored_afterwards(monkeypatch):
    monkeypatch.setenv("BENCH_KEPT", "before")
    monkeypatch.delenv("BENCH_NEW", raising=False)
    with exported({"BENCH_KEPT": "during", "BENCH_NEW": "during"}):
        assert os.environ["BENCH_KEPT"] == os.environ["BENCH_NEW"] == "during"
    assert os.environ["BENCH_KEPT"] == "before"
    assert "BENCH_NEW" not in os.environ
