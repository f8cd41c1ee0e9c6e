"""How to start each benchmark target, and how to stop it again.

* ``vanilla``: the starter bot of ``rasa init``, trained once and cached under
  ``build/bench/rasa-<version>/``, served by ``rasa run --enable-api`` with
  Rasa's defaults (in-memory tracker and lock stores) and Rasa's own REST and
  socket.io channels.
* ``ours-1``: the action server, the bot service and one Rasa server as
  ``python -m bot run`` starts them, but on PostgreSQL (application database,
  tracker store, event broker) and a Redis lock store, like production.
* ``ours-N`` (N ≥ 2): the production layout of :mod:`bot.runtime.production`:
  the action server, the bot service, N Rasa replicas and nginx in front.

Every ``ours-*`` target starts on freshly created databases of its own, so
one target's conversations never slow the next one down.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.bench.scenarios import OUR_SCENARIOS, STARTER_SCENARIOS, DemoCustomer, Scenario
from bot.runtime.processes import (
    ProcessSpec,
    Supervisor,
    action_server_spec,
    port_is_open,
    python_executable,
    rasa_server_spec,
    service_spec,
)
from bot.settings import Settings, load_settings

CODE_PATTERN = re.compile(r"\b(\d{6})\b")
TARGET_PATTERN = re.compile(r"^(vanilla|ours-[1-9])$")
BROKER_QUEUE = "shop_bench_events"
STARTUP_TIMEOUT = 600.0
DATABASES = {
    "app": "shop_bench_app",
    "tracker": "shop_bench_tracker",
    "events": "shop_bench_events",
}
# Rasa's own channels. Its socket.io channel with session_persistence calls
# AsyncServer.enter_room without awaiting it, which python-socketio 5.x needs,
# so replies would never reach the socket: without it the socket id is the
# conversation id.
STARTER_CREDENTIALS = """\
rest:
socketio:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  session_persistence: false
"""


class TargetError(RuntimeError):
    """A target could not be prepared or started."""


@dataclass(frozen=True)
class BenchEnvironment:
    """Where the benchmark keeps its state and which services it uses.

    Attributes:
        work_dir: ``build/bench``: the cached starter model and the targets' var dirs.
        postgres_url: Server URL (any database) of a PostgreSQL the benchmark
            may create and drop its own databases on.
        redis_url: ``redis://host:port/db`` of a Redis database the benchmark
            may empty, for the lock store (and socket.io between replicas).
        rabbitmq_url: ``amqp://`` URL of the RabbitMQ the production layout uses.
        model: Our trained model.
    """

    work_dir: Path
    postgres_url: str
    redis_url: str
    rabbitmq_url: str
    model: Path


@dataclass
class RunningTarget:
    """A started target.

    Attributes:
        name: ``vanilla``, ``ours-1`` …
        url: Where REST and socket.io are served.
        scenarios: The conversations this target understands.
        ports: Started process name → its port, for the memory figures.
        profile_port: Port of one Rasa server (a replica), for the profiler.
        customers: Demo customers for the order scenario.
        codes: Where the e-mailed one-time codes are read.
    """

    name: str
    url: str
    scenarios: Tuple[Scenario, ...]
    ports: Dict[str, int]
    profile_port: int
    customers: List[DemoCustomer] = field(default_factory=list)
    codes: Optional[OutboxCodes] = None


class OutboxCodes:
    """Reads the one-time codes from the outbox table of the application database."""

    def __init__(self, database_url: str) -> None:
        """Creates the reader; it connects on first use.

        Args:
            database_url: The application database.
        """
        self._database_url = database_url

    def _newest(self, email: str) -> Optional[Tuple[int, str]]:
        from bot.db.engine import get_engine, session_scope
        from bot.db.repositories.outbox import list_outbox_messages

        with session_scope(get_engine(self._database_url)) as session:
            for message in list_outbox_messages(session, recipient=email, limit=1):
                match = CODE_PATTERN.search(message.body)
                if match:
                    return message.id, match.group(1)
        return None

    async def newest_code(self, email: str) -> Optional[Tuple[int, str]]:
        """Returns the id and code of the newest e-mail to ``email``, if any."""
        return await asyncio.to_thread(self._newest, email)


def parse_targets(raw: str) -> List[str]:
    """Reads ``vanilla,ours-1,ours-2``.

    Raises:
        ValueError: For an empty list or an unknown target name.
    """
    names = [name.strip() for name in raw.split(",") if name.strip()]
    bad = [name for name in names if not TARGET_PATTERN.match(name)]
    if bad or not names:
        raise ValueError(f"targets must be vanilla or ours-N (N = 1..9), got {raw!r}")
    return names


def rasa_version() -> str:
    """The installed Rasa version, which keys the cached starter model."""
    from importlib.metadata import version

    return version("rasa")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def starter_project(work_dir: Path) -> Path:
    """The cached, trained starter bot; created with ``rasa init`` on first use.

    Args:
        work_dir: ``build/bench``.

    Returns:
        The directory with ``starter.tar.gz`` and ``endpoints.yml``.

    Raises:
        TargetError: When ``rasa init`` or ``rasa train`` fails.
    """
    cache = work_dir / f"rasa-{rasa_version()}"
    if (cache / "starter.tar.gz").exists():
        return cache
    print(f"Training the starter bot of `rasa init` once (cached in {cache}) ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="rasa-init-") as tmp:
        project = Path(tmp) / "starter"
        # With --no-prompt, rasa init wants the directory to exist already.
        project.mkdir()
        rasa = [python_executable(), "-m", "rasa"]
        _call([*rasa, "init", "--no-prompt", "--init-dir", str(project)], Path(tmp))
        models = sorted((project / "models").glob("*.tar.gz"))
        if not models:
            _call([*rasa, "train", "--num-threads", "2"], project)
            models = sorted((project / "models").glob("*.tar.gz"))
        if not models:
            raise TargetError(f"`rasa init` left no model in {project / 'models'}")
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copy(project / "endpoints.yml", cache / "endpoints.yml")
        shutil.copy(models[-1], cache / "starter.tar.gz.partial")
        (cache / "starter.tar.gz.partial").rename(cache / "starter.tar.gz")
    return cache


def _call(command: List[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-2000:]
        raise TargetError(f"{' '.join(command[1:4])} failed ({result.returncode}):\n{tail}")


def _starter_spec(cache: Path, port: int) -> ProcessSpec:
    (cache / "credentials.yml").write_text(STARTER_CREDENTIALS, encoding="utf-8")
    return ProcessSpec(
        name="rasa",
        command=[
            python_executable(),
            "-m",
            "rasa",
            "run",
            "--model",
            str(cache / "starter.tar.gz"),
            "--endpoints",
            str(cache / "endpoints.yml"),
            "--credentials",
            str(cache / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--enable-api",
        ],
        port=port,
    )


def _database_url(server_url: str, database: str) -> str:
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


def reset_databases(env: BenchEnvironment) -> Dict[str, str]:
    """Drops and creates the benchmark's PostgreSQL databases and empties its Redis db.

    Returns:
        Role (``app``, ``tracker``, ``events``) → database URL.
    """
    import redis  # type: ignore[import-untyped]

    admin = create_engine(
        _database_url(env.postgres_url, "postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            for database in DATABASES.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    client = redis.Redis.from_url(env.redis_url)
    try:
        client.flushdb()
    finally:
        client.close()
    return {role: _database_url(env.postgres_url, name) for role, name in DATABASES.items()}


def _free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports."""
    for _ in range(50):
        first = _free_port()
        if first + count <= 65535 and all(
            not port_is_open("127.0.0.1", first + step) for step in range(1, count)
        ):
            return first
    raise TargetError(f"found no {count} consecutive free ports")


def our_environment(
    env: BenchEnvironment, name: str, replicas: int, urls: Dict[str, str]
) -> Dict[str, str]:
    """The variables of an ``ours-*`` target: its own var dir, databases and free ports.

    One replica runs as ``python -m bot run`` does (SQL event broker, here on
    PostgreSQL); more run in the production layout, with RabbitMQ as the event
    broker (a queue of the benchmark's own) and Redis for socket.io.
    """
    variables = {
        "BOT_VAR_DIR": str(env.work_dir / "var" / name),
        "DATABASE_URL": urls["app"],
        "TRACKER_STORE_URL": urls["tracker"],
        "EVENT_BROKER_URL": urls["events"],
        "LOCK_STORE_URL": env.redis_url,
        "RASA_PORT": str(_free_port()),
        "ACTION_PORT": str(_free_port()),
        "SERVICE_PORT": str(_free_port()),
        "LOG_LEVEL": "WARNING",
    }
    if replicas > 1:
        variables.update(
            {
                "EVENT_BROKER_URL": env.rabbitmq_url,
                "EVENT_BROKER_QUEUE": BROKER_QUEUE,
                "EVENT_BROKER_EXCHANGE": BROKER_QUEUE,
                "SOCKETIO_REDIS_URL": env.redis_url,
                "RASA_REPLICAS": str(replicas),
                "RASA_REPLICA_BASE_PORT": str(_free_ports(replicas)),
            }
        )
    return variables


@contextmanager
def exported(variables: Dict[str, str]) -> Iterator[None]:
    """Sets environment variables for the processes started inside, then restores them.

    The started processes read their settings from the environment they
    inherit, so they must see the same values as the settings they were
    started with.
    """
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def demo_customers(database_url: str) -> List[DemoCustomer]:
    """Every demo customer with their first order, for the order-status conversations."""
    from bot.db.engine import get_engine, session_scope
    from bot.db.models import Customer, Order
    from bot.identity.history import first_name_of

    first_order = (
        select(Order.customer_id, func.min(Order.id).label("order_id"))
        .group_by(Order.customer_id)
        .subquery()
    )
    query = (
        select(Customer.name, Customer.email, Order.number)
        .join(first_order, first_order.c.customer_id == Customer.id)
        .join(Order, Order.id == first_order.c.order_id)
        .order_by(Customer.id)
    )
    with session_scope(get_engine(database_url)) as session:
        rows = session.execute(query).all()
    return [DemoCustomer(number, email, first_name_of(name)) for name, email, number in rows]


def _ours_specs(settings: Settings, replicas: int, model: Path) -> Tuple[List[ProcessSpec], str]:
    if replicas == 1:
        from bot.channels.credentials import write_credentials

        credentials = write_credentials(settings, {})
        specs = [
            action_server_spec(settings),
            service_spec(settings),
            rasa_server_spec(settings, model, credentials=credentials),
        ]
        return specs, settings.rasa_url
    from bot.runtime.production import ProductionLayout

    layout = ProductionLayout(settings, replicas=replicas)
    return list(layout.specs(model)), layout.public_url


@contextmanager
def started_target(name: str, env: BenchEnvironment) -> Iterator[RunningTarget]:
    """Starts a target, yields it, and stops all its processes afterwards.

    Args:
        name: ``vanilla`` or ``ours-N``.
        env: The benchmark's directories and services.

    Raises:
        TargetError: When the target cannot be prepared or a process does not start.
    """
    log_dir = env.work_dir / "var" / name / "logs"
    if name == "vanilla":
        cache = starter_project(env.work_dir)
        variables = {"BOT_VAR_DIR": str(env.work_dir / "var" / name)}
        settings = load_settings(variables)
        specs = [_starter_spec(cache, _free_port())]
        url = f"http://127.0.0.1:{specs[0].port}"
        target = RunningTarget(name, url, STARTER_SCENARIOS, {}, specs[0].port)
    else:
        from bot.db.bootstrap import prepare_database

        replicas = int(name.split("-", 1)[1])
        urls = reset_databases(env)
        variables = our_environment(env, name, replicas, urls)
        settings = load_settings(variables)
        prepare_database(settings.database_url)
        specs, url = _ours_specs(settings, replicas, env.model)
        rasa_ports = [spec.port for spec in specs if spec.name.startswith("rasa")]
        target = RunningTarget(
            name,
            url,
            OUR_SCENARIOS,
            {},
            rasa_ports[0] if rasa_ports else specs[-1].port,
            demo_customers(settings.database_url),
            OutboxCodes(settings.database_url),
        )
    target.ports.update({spec.name: spec.port for spec in specs})
    for spec in specs:
        # Loading a model takes minutes when other work shares the cores.
        spec.startup_timeout = max(spec.startup_timeout, STARTUP_TIMEOUT)
    supervisor = Supervisor(settings, log_dir)
    with exported(variables), _stopping(supervisor):
        try:
            for spec in specs:
                supervisor.start(spec)
        except RuntimeError as error:
            raise TargetError(f"{name} did not start: {error}") from error
        yield target


@contextmanager
def _stopping(supervisor: Supervisor) -> Iterator[None]:
    try:
        yield
    finally:
        supervisor.stop_all()
