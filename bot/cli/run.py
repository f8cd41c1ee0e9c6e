"""``python -m bot run`` and ``python -m bot shell``: start the assistant."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path
from typing import Optional

from bot.channels.credentials import ChannelConfigError, write_credentials
from bot.runtime.processes import (
    PROJECT_ROOT,
    Supervisor,
    action_server_spec,
    latest_model,
    port_is_open,
    process_environment,
    python_executable,
    rasa_server_spec,
    service_spec,
)
from bot.settings import Settings, get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``run`` and ``shell`` commands."""
    run = subparsers.add_parser("run", help="start the whole assistant (Ctrl-C stops it)")
    run.set_defaults(handler=_run)
    shell = subparsers.add_parser("shell", help="chat with the assistant in this terminal")
    shell.set_defaults(handler=_shell)


def _prepare_database(settings: Settings) -> None:
    from bot.db.bootstrap import prepare_database

    print("Preparing the database ...", flush=True)
    print(f"  {prepare_database(settings.database_url)}")


def _model_and_database(settings: Settings) -> Optional[Path]:
    """Returns the model to serve after preparing the database, or ``None``."""
    model = latest_model(settings)
    if model is None:
        print("No trained model in models/. Run `make train` (or `make run`, which trains first).")
        return None
    _prepare_database(settings)
    return model


def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    model = _model_and_database(settings)
    if model is None:
        return 1
    try:
        credentials = write_credentials(settings, os.environ)
    except ChannelConfigError as error:
        print(f"Could not start: {error}")
        return 1
    supervisor = Supervisor(settings, settings.var_dir / "logs")
    print(f"Starting the assistant with model {model.name}:", flush=True)
    try:
        supervisor.start(action_server_spec(settings))
        supervisor.start(service_spec(settings))
        supervisor.start(rasa_server_spec(settings, model, credentials=credentials))
        _print_banner(settings)
        return supervisor.wait()
    except RuntimeError as error:
        print(f"\nCould not start: {error}")
        return 1
    finally:
        print("Stopping every process ...", flush=True)
        supervisor.stop_all()
        print("Stopped.")


def _print_banner(settings: Settings) -> None:
    rasa = settings.rasa_url
    service = settings.service_url
    print(
        f"""
The assistant is running.

  Chat over REST:   curl -s -X POST {rasa}/webhooks/rest/webhook \\
                      -H 'Content-Type: application/json' \\
                      -d '{{"sender": "me", "message": "Where is my order?"}}'
  Chat over socket.io: {rasa}/socket.io (credentials.yml, channel socketio)
  Chat in a terminal:  make shell   (in another terminal)
  Demo customer:       order ORD-100001 with email jane.doe@example.com
  Rasa HTTP API:       {rasa} (JWT signed with the secret in var/secrets/rasa_jwt_secret)
  Agent console:       {service}/console  (follow-ups: {service}/console/followups,
                       dashboard: {service}/console/dashboard)
  Add an agent:        .venv/bin/python -m bot agents create --name NAME --role admin
  Logs:                {settings.var_dir / "logs"}

Press Ctrl-C to stop every process.
""",
        flush=True,
    )


def _shell(args: argparse.Namespace) -> int:
    settings = get_settings()
    model = _model_and_database(settings)
    if model is None:
        return 1
    supervisor = Supervisor(settings, settings.var_dir / "logs")
    try:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
        if not port_is_open(host, settings.action_port):
            supervisor.start(action_server_spec(settings))
        env = process_environment(settings)
        print("Loading the model; type your messages, /stop to quit.", flush=True)
        command = [
            python_executable(),
            "-m",
            "rasa",
            "shell",
            "--model",
            str(model),
            "--endpoints",
            str(PROJECT_ROOT / "endpoints.yml"),
            # The shell runs its own server, next to a Rasa server that may be running.
            "--port",
            str(settings.rasa_port + 100),
        ]
        return subprocess.call(command, cwd=PROJECT_ROOT, env=env)
    except RuntimeError as error:
        print(f"Could not start: {error}")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        supervisor.stop_all()
