"""The bot service under test: the real application on a migrated database, a fake Rasa.

Every test runs on SQLite and on PostgreSQL (the ``db_engine`` fixture of
``tests/bot/conftest.py``). The application commits for real, so each test
empties the database afterwards. Rasa's HTTP API is a small aiohttp server on
loopback that records what it receives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import Engine

from bot.db.engine import session_scope
from bot.db.models import Agent, AgentRole, HandoffTicket
from bot.db.repositories.agents import create_agent
from bot.db.repositories.handoffs import create_ticket
from bot.db.seed import reset_shop_data
from bot.handoff.service import Actor
from bot.service.app import init_app
from bot.service.auth import issue_token
from bot.settings import Settings, load_settings
from tests.support.database import database_url_of

PASSWORD = "correct horse battery"
AGENT_KEY = "agent-session-key-for-tests"
RASA_SECRET = "rasa-jwt-secret-for-tests"
T0 = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One scrypt hash of :data:`PASSWORD`, shared by every test agent (hashing is slow)."""
    from bot.service.passwords import hash_password

    return hash_password(PASSWORD)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: Dict[str, str]
    headers: Dict[str, str]
    body: Any


@dataclass
class FakeRasa:
    """Answers like Rasa's HTTP API and keeps every request."""

    requests: List[RecordedRequest] = field(default_factory=list)
    status: int = 200
    port: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        self.requests.append(
            RecordedRequest(
                request.method, request.path, dict(request.query), dict(request.headers), body
            )
        )
        if self.status >= 400:
            return web.json_response({"message": "ConversationError"}, status=self.status)
        return web.json_response({"sender_id": request.match_info.get("id"), "events": []})

    def events_for(self, conversation_id: str) -> List[Dict[str, Any]]:
        events: List[Dict[str, Any]] = []
        for recorded in self.requests:
            if recorded.path == f"/conversations/{conversation_id}/tracker/events":
                events.extend(recorded.body)
        return events


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_route("*", "/conversations/{id}/{tail:.*}", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.port = int(server.port or 0)
    try:
        yield fake
    finally:
        await server.close()


@pytest.fixture
def service_engine(db_engine: Engine) -> Iterator[Engine]:
    """The test database; emptied after the test, since the application commits."""
    try:
        yield db_engine
    finally:
        with session_scope(db_engine) as session:
            reset_shop_data(session)


@pytest.fixture
def settings(service_engine: Engine, fake_rasa: FakeRasa, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "BOT_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": database_url_of(service_engine),
            "BOT_HOST": "127.0.0.1",
            "RASA_PORT": str(fake_rasa.port),
            "RASA_JWT_SECRET": RASA_SECRET,
            "AGENT_SESSION_KEY": AGENT_KEY,
            "CUSTOMER_TOKEN_SECRET": "customer-secret-for-tests",
            "EVENT_BROKER_URL": f"sqlite:///{tmp_path / 'events.db'}",
        }
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    app = init_app(settings, consume_events=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


@dataclass
class Team:
    """Agents in the test database, and tokens to act as them."""

    engine: Engine
    members: Dict[str, Actor] = field(default_factory=dict)

    def add(self, name: str, role: AgentRole = AgentRole.AGENT) -> Actor:
        with session_scope(self.engine) as session:
            agent = create_agent(session, name, password_hash(), role)
            actor = Actor(id=agent.id, name=agent.name, role=agent.role)
        self.members[name] = actor
        return actor

    def deactivate(self, name: str) -> None:
        with session_scope(self.engine) as session:
            agent = session.get(Agent, self.members[name].id)
            agent.active = False

    def token(self, name: str, now: Optional[datetime] = None) -> str:
        return issue_token(AGENT_KEY, self.members[name], now)

    def auth(self, name: str) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self.token(name)}"}


@pytest.fixture
def team(service_engine: Engine) -> Team:
    """Ada (admin), Sam and Priya (agents)."""
    team = Team(service_engine)
    team.add("Ada", AgentRole.ADMIN)
    team.add("Sam")
    team.add("Priya")
    return team


def context_packet(name: Optional[str] = "Jane Doe") -> Dict[str, Any]:
    customer = (
        None
        if name is None
        else {
            "id": 1,
            "name": name,
            "tier": "gold",
            "points_balance": 420,
            "recent_orders": [],
            "open_returns": 0,
            "open_cases": 0,
        }
    )
    return {
        "customer": customer,
        "transcript": [{"sender": "customer", "text": "My parcel is late", "at": T0.isoformat()}],
        "sentiment_timeline": [{"at": T0.isoformat(), "score": -0.6, "label": "negative"}],
        "reason": "customer asked for a person",
        "last_intents": ["order_status", "request_human"],
        "not_understood": [],
        "channel": "rest",
    }


@pytest.fixture
def make_ticket(service_engine: Engine) -> Any:
    """Puts a conversation in the queue; returns the ticket id."""

    def make(
        conversation_id: str,
        *,
        reason: str = "customer asked for a person",
        minutes: int = 0,
        name: Optional[str] = "Jane Doe",
    ) -> int:
        with session_scope(service_engine) as session:
            ticket: HandoffTicket = create_ticket(
                session,
                conversation_id,
                reason,
                context_packet(name),
                channel="rest",
                now=T0 + timedelta(minutes=minutes),
            )
            return ticket.id

    return make
