"""``python -m bot run-prod`` and ``python -m bot prod-env``: the production layout here.

``run-prod`` needs ``BOT_ENV=production`` and refuses weak or missing secrets
(:mod:`bot.runtime.secret_policy`) before anything starts. It makes sure
PostgreSQL, Redis and RabbitMQ answer (starting the local ones that are down,
and leaving them running afterwards), creates the two databases when missing,
migrates the application database and starts the layout of
:class:`~bot.runtime.production.ProductionLayout`. Ctrl-C stops every process
it started.

``prod-env`` writes ``var/prod.env`` with strong random secrets the first
time and gives the PostgreSQL role and RabbitMQ user their passwords, so that
``make run-prod`` works on a fresh machine.

``run-replica`` runs one Rasa replica exactly as the layout starts it, for
containers (``deploy/``) where every replica is a container of its own, and
``write-credentials`` writes ``var/credentials.yml`` the way the layout does.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List

from bot.channels.credentials import ChannelConfigError
from bot.runtime.processes import Supervisor, latest_model
from bot.runtime.production import LayoutError, ProductionLayout
from bot.runtime.provisioning import ProvisioningError, ensure_database
from bot.runtime.services import (
    ServiceUnavailableError,
    ensure_running,
    postgres_service,
    rabbitmq_service,
    required_services,
)
from bot.settings import Settings, get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``run-prod`` and ``prod-env`` commands."""
    run = subparsers.add_parser(
        "run-prod",
        help="start the production layout: Rasa replicas behind nginx (Ctrl-C stops it)",
    )
    run.set_defaults(handler=_run_prod)
    env = subparsers.add_parser(
        "prod-env",
        help="write var/prod.env with random secrets and create its role and broker user",
    )
    env.set_defaults(handler=_prod_env)
    credentials = subparsers.add_parser(
        "write-credentials",
        help="write var/credentials.yml for a Rasa replica from the environment (containers)",
    )
    credentials.set_defaults(handler=_write_credentials)
    replica = subparsers.add_parser(
        "run-replica",
        help="run one Rasa replica of the production layout in the foreground (containers)",
    )
    replica.add_argument("--port", type=int, default=None, help="port to listen on")
    replica.set_defaults(handler=_run_replica)


def ensure_services(settings: Settings) -> List[str]:
    """Makes sure every server of the layout answers and both databases exist.

    Returns:
        One line per thing done.

    Raises:
        ServiceUnavailableError: When a server is down and cannot be started.
        ProvisioningError: When a database is missing and cannot be created.
    """
    done: List[str] = []
    redis_urls = [url for url in (settings.lock_store_url, settings.socketio_redis_url) if url]
    for service in required_services(
        settings.database_url, settings.tracker_store_url, redis_urls, settings.event_broker_url
    ):
        if ensure_running(service):
            done.append(f"{service.name} started")
    for url in (settings.database_url, settings.tracker_store_url):
        if ensure_database(url, settings.postgres_admin_url):
            done.append("database created")
    return done


def _run_prod(args: argparse.Namespace) -> int:
    settings = get_settings()
    if settings.environment != "production":
        print(
            "run-prod needs BOT_ENV=production and the production variables "
            "(docs/operations.md); `make run-prod` takes them from var/prod.env."
        )
        return 2
    model = latest_model(settings)
    if model is None:
        print("No trained model in models/. Run `make train` (or `make run-prod`, which trains).")
        return 1
    layout = ProductionLayout(settings, replicas=settings.rasa_replicas)
    try:
        layout.check()
        print("Checking PostgreSQL, Redis and RabbitMQ ...", flush=True)
        for line in ensure_services(settings):
            print(f"  {line}")
        from bot.db.migrations import upgrade

        print("Migrating the application database ...", flush=True)
        upgrade(settings.database_url)
        specs = layout.specs(model)
    except (LayoutError, ServiceUnavailableError, ProvisioningError, ChannelConfigError) as error:
        print(f"Could not start: {error}")
        return 1
    supervisor = Supervisor(settings, settings.var_dir / "logs")
    print(f"Starting the production layout with model {model.name}:", flush=True)
    try:
        for spec in specs:
            supervisor.start(spec)
        _print_banner(settings, layout)
        return supervisor.wait()
    except RuntimeError as error:
        print(f"\nCould not start: {error}")
        return 1
    finally:
        print("Stopping every process (PostgreSQL, Redis and RabbitMQ keep running) ...")
        supervisor.stop_all()
        print("Stopped.")


def _print_banner(settings: Settings, layout: ProductionLayout) -> None:
    public = layout.public_url
    replicas = ", ".join(layout.replica_urls)
    count = f"{layout.replicas} Rasa replica{'s' if layout.replicas != 1 else ''}"
    print(
        f"""
The production layout is running: {count} behind nginx.

  Chat over REST:      curl -s -X POST {public}/webhooks/rest/webhook \\
                         -H 'Content-Type: application/json' \\
                         -d '{{"sender": "me", "message": "Where is my order?"}}'
  Chat over socket.io: {public}/socket.io
  Rasa HTTP API:       {public} (JWT, HS256, signed with RASA_JWT_SECRET)
  Replicas:            {replicas}
  Agent console:       {settings.service_url}/console
  Add an agent:        .venv/bin/python -m bot agents create --name NAME --role admin
  Demo shop data:      .venv/bin/python -m bot seed-demo   (not loaded in production)
  Logs:                {settings.var_dir / "logs"}, nginx: {layout.prefix / "logs"}

Press Ctrl-C to stop every process.
""",
        flush=True,
    )


def _prod_env(args: argparse.Namespace) -> int:
    from bot.runtime.prod_env import ensure_env_file, provision

    settings = get_settings()
    env = ensure_env_file(settings.var_dir)
    print(f"{'Wrote' if env.created else 'Using'} {env.path} (mode 600)")
    try:
        for service in (
            postgres_service(env.values["DATABASE_URL"]),
            rabbitmq_service(env.values["EVENT_BROKER_URL"]),
        ):
            if ensure_running(service):
                print(f"  {service.name} started")
        for line in provision(env.values, settings.postgres_admin_url):
            print(f"  {line}")
    except (ServiceUnavailableError, ProvisioningError) as error:
        print(f"Could not prepare the production services: {error}")
        return 1
    return 0


def _write_credentials(args: argparse.Namespace) -> int:
    try:
        path = write_credentials_for(get_settings())
    except ChannelConfigError as error:
        print(f"Could not write the channels' credentials: {error}")
        return 1
    print(path)
    return 0


def _run_replica(args: argparse.Namespace) -> int:
    import os

    settings = get_settings()
    model = latest_model(settings)
    if model is None:
        print(f"No trained model in {settings.model_dir}.")
        return 1
    layout = ProductionLayout(settings, replicas=1)
    try:
        layout.check_stores()
        credentials = write_credentials_for(settings)
    except (LayoutError, ChannelConfigError) as error:
        print(f"Could not start: {error}")
        return 1
    spec = layout.replica_spec(1, model, credentials, port=args.port or settings.replica_base_port)
    env = dict(os.environ)
    env.update(spec.env)
    os.execvpe(spec.command[0], spec.command, env)
    return 0  # not reached: the replica replaces this process


def write_credentials_for(settings: Settings) -> Path:
    """Writes ``var/credentials.yml`` from this process's environment."""
    import os

    from bot.channels.credentials import write_credentials

    return write_credentials(settings, os.environ)
