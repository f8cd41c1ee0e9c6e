"""Commands for each of the assistant's processes, and a small supervisor.

The supervisor starts processes in their own process group, waits for each to
answer on its port, and stops all of them together on Ctrl-C, on SIGTERM, or
when any one of them exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

# The variable the Rasa server reads its JWT secret from (bot.runtime.rasa_entry).
RASA_JWT_SECRET_VARIABLE = "RASA_JWT_SECRET"


@dataclass
class ProcessSpec:
    """How to start one process and how to tell that it is ready.

    Attributes:
        name: Short name used in logs.
        command: The command line.
        port: TCP port the process listens on once ready.
        env: Extra environment variables.
        startup_timeout: Seconds to wait for the port to open.
    """

    name: str
    command: List[str]
    port: int
    env: Dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 240.0


def python_executable() -> str:
    """Returns the interpreter of the project's virtual environment."""
    return sys.executable


def latest_model(settings: Settings) -> Optional[Path]:
    """Returns the newest trained model archive, if there is one."""
    models = sorted(settings.model_dir.glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    return models[-1] if models else None


def process_environment(settings: Settings) -> Dict[str, str]:
    """Environment shared by every child process."""
    env = dict(os.environ)
    env.update(settings.rasa_environment())
    # Every process must agree on where the others listen.
    env.update(
        {
            "BOT_HOST": settings.host,
            "RASA_PORT": str(settings.rasa_port),
            "ACTION_PORT": str(settings.action_port),
            "SERVICE_PORT": str(settings.service_port),
        }
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONPATH", str(PROJECT_ROOT))
    return env


def action_server_spec(settings: Settings) -> ProcessSpec:
    """The Rasa SDK action server, serving the ``actions`` package."""
    return ProcessSpec(
        name="actions",
        command=[
            python_executable(),
            "-m",
            "rasa_sdk",
            "--actions",
            "actions",
            "--port",
            str(settings.action_port),
        ],
        port=settings.action_port,
        env={"SANIC_HOST": settings.host},
    )


def rasa_server_spec(
    settings: Settings, model: Path, credentials: Optional[Path] = None
) -> ProcessSpec:
    """The Rasa server with its input channels and the HTTP API.

    Args:
        settings: The assistant's settings.
        model: The trained model to serve.
        credentials: The channels' configuration; the project's ``credentials.yml``
            by default.
    """
    return ProcessSpec(
        name="rasa",
        command=[
            python_executable(),
            "-m",
            # Rasa's own command line, with a cached action-response check.
            "bot.runtime.rasa_entry",
            "run",
            "--model",
            str(model),
            "--endpoints",
            str(PROJECT_ROOT / "endpoints.yml"),
            "--credentials",
            str(credentials or PROJECT_ROOT / "credentials.yml"),
            "--interface",
            settings.host,
            "--port",
            str(settings.rasa_port),
            "--enable-api",
            # Read from the environment, so that the secret is not shown by ps.
            "--jwt-secret-env",
            RASA_JWT_SECRET_VARIABLE,
            "--jwt-method",
            "HS256",
        ],
        port=settings.rasa_port,
        env={RASA_JWT_SECRET_VARIABLE: settings.rasa_jwt_secret},
    )


def service_spec(settings: Settings) -> ProcessSpec:
    """The bot service: handoff queue API, agent console and dashboard."""
    return ProcessSpec(
        name="service",
        command=[python_executable(), "-m", "bot", "serve"],
        port=settings.service_port,
        startup_timeout=60.0,
    )


def port_is_open(host: str, port: int) -> bool:
    """Tells whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Supervisor:
    """Starts processes and stops them all together."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self._settings = settings
        self._log_dir = log_dir
        self._running: List[tuple[ProcessSpec, subprocess.Popen]] = []

    def start(self, spec: ProcessSpec) -> None:
        """Starts a process and waits until its port accepts connections.

        Raises:
            RuntimeError: When the port is already taken, or the process exits
                or does not open its port in time.
        """
        host = "127.0.0.1" if self._settings.host in ("0.0.0.0", "") else self._settings.host
        if port_is_open(host, spec.port):
            raise RuntimeError(
                f"port {spec.port} is already in use; stop what is running there or set "
                f"another port (see README, settings)"
            )
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"{spec.name}.log"
        env = process_environment(self._settings)
        env.update(spec.env)
        with open(log_path, "ab") as log_file:
            process = subprocess.Popen(
                spec.command,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._running.append((spec, process))
        print(f"  starting {spec.name} on port {spec.port} (log: {log_path}) ", end="", flush=True)
        deadline = time.monotonic() + spec.startup_timeout
        while not port_is_open(host, spec.port):
            if process.poll() is not None:
                print("failed")
                raise RuntimeError(
                    f"{spec.name} exited with code {process.returncode}; see {log_path}"
                )
            if time.monotonic() > deadline:
                print("timed out")
                raise RuntimeError(f"{spec.name} did not start within {spec.startup_timeout:.0f} s")
            print(".", end="", flush=True)
            time.sleep(1.0)
        print(" ready")

    def wait(self) -> int:
        """Blocks until a process exits or the supervisor is interrupted.

        Returns:
            0 after Ctrl-C or SIGTERM, else the exit code of the process that stopped.
        """
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            while True:
                for spec, process in self._running:
                    code = process.poll()
                    if code is not None:
                        logger.error("%s stopped with exit code %s", spec.name, code)
                        return code or 1
                time.sleep(0.5)
        except KeyboardInterrupt:
            return 0

    def stop_all(self, timeout: float = 15.0) -> None:
        """Stops every started process: SIGTERM, then SIGKILL after ``timeout``."""
        for _spec, process in reversed(self._running):
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for spec, process in reversed(self._running):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in time; killing it", spec.name)
                _signal_group(process, signal.SIGKILL)
                process.wait()
        self._running.clear()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
