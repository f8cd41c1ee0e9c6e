"""A conversation handed to a person and back, through the real processes.

Rasa, the action server and the bot service (with its event-broker consumer)
run as subprocesses. The customer talks over Rasa's ``callback`` channel, so
every bot and agent message the customer would see is posted to a small
server in this test.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
import requests
from aiohttp import web

from bot.db.engine import get_engine, session_scope
from bot.db.models import AgentRole, HandoffStatus, HandoffTicket, SatisfactionRating
from bot.db.repositories.agents import create_agent
from bot.runtime.processes import (
    Supervisor,
    action_server_spec,
    rasa_server_spec,
    service_spec,
)
from bot.service.passwords import hash_password
from bot.settings import Settings, load_settings
from tests.conftest import free_port

pytestmark = [pytest.mark.model, pytest.mark.server]

AGENT_NAME = "Sam"
AGENT_PASSWORD = "a-long-test-password-42"


class CustomerInbox:
    """Collects what Rasa's callback channel posts to the customer."""

    def __init__(self) -> None:
        self.messages: List[Dict[str, Any]] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self._loop_ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        import asyncio

        async def receive(request: web.Request) -> web.Response:
            body = await request.json()
            with self._lock:
                self.messages.append(body)
            return web.json_response({"ok": True})

        async def main() -> None:
            app = web.Application()
            app.router.add_post("/bot", receive)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            self._loop_ready.set()
            while True:
                await asyncio.sleep(3600)

        asyncio.run(main())

    def start(self) -> None:
        self._thread.start()
        assert self._loop_ready.wait(10), "the customer's inbox did not start"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def wait_for(
        self, condition: Callable[[Dict[str, Any]], bool], after: int, timeout: float = 30
    ) -> Dict[str, Any]:
        """Returns the first message after index ``after`` that meets ``condition``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for message in self.messages[after:]:
                    if condition(message):
                        return message
            time.sleep(0.1)
        with self._lock:
            seen = [message.get("text") for message in self.messages[after:]]
        raise AssertionError(f"no such message within {timeout} s; got {seen}")


class SupportDesk:
    """The running assistant, the customer's inbox and an agent's API session."""

    def __init__(self, settings: Settings, inbox: CustomerInbox) -> None:
        self.settings = settings
        self.inbox = inbox
        self.api = settings.service_url
        self.token = ""

    def customer_says(self, sender: str, text: str) -> None:
        response = requests.post(
            f"{self.settings.rasa_url}/webhooks/callback/webhook",
            json={"sender": sender, "message": text},
            timeout=60,
        )
        response.raise_for_status()

    def log_in(self) -> None:
        response = requests.post(
            f"{self.api}/api/login",
            json={"name": AGENT_NAME, "password": AGENT_PASSWORD},
            timeout=10,
        )
        response.raise_for_status()
        self.token = response.json()["token"]

    def agent(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.api}{path}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
            **kwargs,
        )


@pytest.fixture(scope="module")
def desk(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupportDesk]:
    from bot.db.bootstrap import prepare_database

    inbox = CustomerInbox()
    inbox.start()
    var_dir = tmp_path_factory.mktemp("handoff-var")
    credentials = var_dir / "credentials.yml"
    credentials.write_text(f"rest:\ncallback:\n  url: {inbox.url}\n", encoding="utf-8")
    settings = load_settings(
        {
            "BOT_VAR_DIR": str(var_dir),
            "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()),
            "SERVICE_PORT": str(free_port()),
        }
    )
    prepare_database(settings.database_url)
    with session_scope(get_engine(settings.database_url)) as session:
        create_agent(session, AGENT_NAME, hash_password(AGENT_PASSWORD), AgentRole.AGENT)
    supervisor = Supervisor(settings, var_dir / "logs")
    try:
        supervisor.start(action_server_spec(settings))
        supervisor.start(rasa_server_spec(settings, trained_model, credentials))
        supervisor.start(service_spec(settings))
        yield SupportDesk(settings, inbox)
    finally:
        supervisor.stop_all()


def texts_of(inbox: CustomerInbox, after: int) -> List[str]:
    return [str(message.get("text", "")) for message in inbox.messages[after:]]


def test_a_conversation_goes_to_a_person_and_comes_back(desk: SupportDesk) -> None:
    customer = "handoff-customer-1"
    inbox = desk.inbox
    desk.log_in()

    # The customer asks for a person: the conversation is queued and paused.
    start = inbox.count()
    desk.customer_says(customer, "I need to talk to a person, not a bot")
    queued = inbox.wait_for(lambda m: "in the queue" in str(m.get("text", "")), start)
    assert queued["recipient_id"] == customer
    waiting = desk.agent("GET", "/api/handoffs", params={"status": "waiting"}).json()
    [ticket] = [t for t in waiting["handoffs"] if t["conversation_id"] == customer]
    assert ticket["reason"] == "customer asked for a person"
    assert ticket["context"]["transcript"], "the agent sees the conversation so far"

    # While paused the assistant says nothing, and the agent sees the message
    # (with the email address redacted) within two seconds.
    silent_from = inbox.count()
    sent_at = time.monotonic()
    desk.customer_says(customer, "hello? my email is jane.doe@example.com")
    seen: List[Dict[str, Any]] = []
    while time.monotonic() - sent_at < 2.0 and not seen:
        messages = desk.agent("GET", f"/api/handoffs/{ticket['id']}/messages").json()["messages"]
        seen = [m for m in messages if m["sender"] == "customer"]
        time.sleep(0.1)
    assert seen, "the customer's message did not reach the agent within 2 s"
    assert seen[-1]["text"] == "hello? my email is [email]"
    time.sleep(1.0)
    assert texts_of(inbox, silent_from) == [], "the assistant answered a paused conversation"

    # The agent claims the ticket and replies on the customer's channel.
    assert desk.agent("POST", f"/api/handoffs/{ticket['id']}/claim").status_code == 200
    reply_from = inbox.count()
    response = desk.agent(
        "POST",
        f"/api/handoffs/{ticket['id']}/messages",
        json={"text": "Hi, Sam here. Let me look."},
    )
    assert response.status_code == 201
    inbox.wait_for(lambda m: m.get("text") == "Hi, Sam here. Let me look.", reply_from)

    # Resolving hands the conversation back and asks for a rating.
    back_from = inbox.count()
    assert desk.agent("POST", f"/api/handoffs/{ticket['id']}/resolve").status_code == 200
    inbox.wait_for(lambda m: "back with the assistant" in str(m.get("text", "")), back_from)
    rating_question = inbox.wait_for(lambda m: bool(m.get("buttons")), back_from)
    five_stars = rating_question["buttons"][-1]["payload"]
    assert five_stars == '/rate_conversation{"csat_score":"5"}'

    # The customer's rating is stored with the agent who helped.
    desk.customer_says(customer, five_stars)
    deadline = time.monotonic() + 30
    rating = None
    while time.monotonic() < deadline and rating is None:
        with session_scope(get_engine(desk.settings.database_url)) as session:
            row = session.query(SatisfactionRating).filter_by(conversation_id=customer).first()
            if row is not None:
                rating = (row.csat, row.human_involved, row.agent_id is not None)
            status = session.query(HandoffTicket.status).filter_by(id=ticket["id"]).scalar()
        time.sleep(0.2)
    assert rating == (5, True, True)
    assert status == HandoffStatus.RESOLVED

    # The assistant answers again.
    resumed_from = inbox.count()
    desk.customer_says(customer, "where is my order?")
    inbox.wait_for(lambda m: "order number" in str(m.get("text", "")), resumed_from)
