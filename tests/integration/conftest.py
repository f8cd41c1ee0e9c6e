"""A running assistant (action server and Rasa server) for end-to-end tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import jwt
import pytest
import requests

from bot.runtime.processes import Supervisor, action_server_spec, rasa_server_spec
from bot.settings import Settings, load_settings
from tests.conftest import free_port

CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class RunningAssistant:
    """Handle on the assistant started for the tests."""

    settings: Settings

    @property
    def url(self) -> str:
        return self.settings.rasa_url

    def say(
        self, sender: str, message: str, metadata: Optional[Dict[str, Any]] = None
    ) -> List[Dict[str, Any]]:
        """Sends a message over the REST channel and returns the replies."""
        body: Dict[str, Any] = {"sender": sender, "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        response = requests.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def texts(
        self, sender: str, message: str, metadata: Optional[Dict[str, Any]] = None
    ) -> List[str]:
        """Like ``say`` but returns only the reply texts."""
        return [reply.get("text", "") for reply in self.say(sender, message, metadata)]

    def emailed_codes(self, email: str) -> List[str]:
        """The one-time codes e-mailed to ``email``, newest first."""
        from bot.db.engine import get_engine, session_scope
        from bot.db.repositories.outbox import list_outbox_messages

        with session_scope(get_engine(self.settings.database_url)) as session:
            bodies = [m.body for m in list_outbox_messages(session, recipient=email)]
        return [match.group(1) for body in bodies for match in [CODE.search(body)] if match]

    def admin_token(self) -> str:
        """A JWT for Rasa's HTTP API, signed with the server's secret."""
        return jwt.encode(
            {"user": {"username": "tests", "role": "admin"}},
            self.settings.rasa_jwt_secret,
            algorithm="HS256",
        )


@pytest.fixture(scope="session")
def assistant(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningAssistant]:
    """Starts the action server and the Rasa server on free ports."""
    from bot.db.bootstrap import prepare_database

    var_dir = tmp_path_factory.mktemp("var")
    settings = load_settings(
        {
            "BOT_VAR_DIR": str(var_dir),
            "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()),
            "SERVICE_PORT": str(free_port()),
        }
    )
    prepare_database(settings.database_url)
    supervisor = Supervisor(settings, var_dir / "logs")
    try:
        supervisor.start(action_server_spec(settings))
        supervisor.start(rasa_server_spec(settings, trained_model))
        yield RunningAssistant(settings)
    finally:
        supervisor.stop_all()
