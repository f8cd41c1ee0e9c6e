"""The production layout for real: two Rasa replicas behind nginx on PostgreSQL, Redis, RabbitMQ.

The layout runs in production mode with databases, Redis db numbers, a RabbitMQ
user, queue and exchange of its own, on free ports, started exactly as
``python -m bot run-prod`` starts it. Without PostgreSQL, Redis, RabbitMQ or
nginx the module is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import jwt
import pytest
import requests
import socketio
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bot.cli.run_prod import ensure_services
from bot.db.migrations import upgrade
from bot.runtime.processes import Supervisor
from bot.runtime.production import ProductionLayout
from bot.runtime.provisioning import ensure_rabbitmq_user, ensure_role
from bot.settings import Settings, load_settings
from tests.conftest import free_port
from tests.support import production_stack as stack

pytestmark = [pytest.mark.model, pytest.mark.server]

ROLE = "shop_prod_test"
APP_DB = "shop_prod_test_app"
TRACKER_DB = "shop_prod_test_tracker"
LOCK_STORE_DB = 13
SOCKETIO_DB = 14
WAIT = 60.0


@dataclass
class Production:
    settings: Settings
    layout: ProductionLayout

    @property
    def url(self) -> str:
        return self.layout.public_url

    def token(self, username: str, role: str) -> str:
        payload = {"user": {"username": username, "role": role}}
        return str(jwt.encode(payload, self.settings.rasa_jwt_secret, algorithm="HS256"))

    def say(self, sender: str, message: str) -> List[Dict[str, Any]]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=WAIT,
        )
        response.raise_for_status()
        return list(response.json())

    def scalar(self, database_url: str, query: str, **params: Any) -> Any:
        engine = create_engine(database_url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return connection.execute(text(query), params).scalar()
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def production(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Production]:
    stack.require_production_services()

    database_password = secrets.token_urlsafe(24)
    broker_password = secrets.token_urlsafe(24)
    ensure_role(stack.ADMIN_URL, ROLE, database_password)
    stack.drop_databases(APP_DB, TRACKER_DB)
    ensure_rabbitmq_user(ROLE, broker_password)
    suffix = uuid.uuid4().hex[:8]
    queue = exchange = f"shop_prod_test_{suffix}"
    broker_url = f"amqp://{ROLE}:{broker_password}@127.0.0.1:5672/"
    server = f"postgresql://{ROLE}:{database_password}@127.0.0.1:5432"
    var_dir = tmp_path_factory.mktemp("prod-var")
    env = {
        "BOT_ENV": "production",
        "BOT_VAR_DIR": str(var_dir),
        **stack.production_secrets(),
        "DATABASE_URL": f"{server}/{APP_DB}",
        "TRACKER_STORE_URL": f"{server}/{TRACKER_DB}",
        "POSTGRES_ADMIN_URL": stack.ADMIN_URL,
        "LOCK_STORE_URL": f"redis://127.0.0.1:6379/{LOCK_STORE_DB}",
        "SOCKETIO_REDIS_URL": f"redis://127.0.0.1:6379/{SOCKETIO_DB}",
        "EVENT_BROKER_URL": broker_url,
        "EVENT_BROKER_QUEUE": queue,
        "EVENT_BROKER_EXCHANGE": exchange,
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "SERVICE_PORT": str(free_port()),
        "RASA_REPLICA_BASE_PORT": str(stack.adjacent_free_ports()),
    }
    settings = load_settings(env)
    ensure_services(settings)
    upgrade(settings.database_url)
    layout = ProductionLayout(settings, replicas=2)
    supervisor = Supervisor(settings, var_dir / "logs")
    try:
        for spec in layout.specs(trained_model):
            supervisor.start(spec)
        yield Production(settings, layout)
    finally:
        supervisor.stop_all()
        asyncio.run(stack.remove_broker_objects(broker_url, queue, exchange))
        for db in (LOCK_STORE_DB, SOCKETIO_DB):
            stack.flush_redis(db)
        stack.drop_databases(APP_DB, TRACKER_DB)


def _upstreams(production: Production) -> List[str]:
    log = production.layout.prefix / "logs" / "access.log"
    return re.findall(r"upstream=(\S+)", log.read_text(encoding="utf-8"))


def test_rest_through_nginx_answers_from_both_replicas_and_stores_in_postgres(production):
    sender = f"prod-rest-{uuid.uuid4().hex[:8]}"
    replies = [production.say(sender, message) for message in ("hello", "hi", "hey", "hello")]

    assert all(reply and reply[0].get("text") for reply in replies)
    events = production.scalar(
        production.settings.tracker_store_url,
        "SELECT count(*) FROM events WHERE sender_id = :sender",
        sender=sender,
    )
    assert events >= 8  # every message and reply is a row in the PostgreSQL tracker store
    ports = {upstream.rsplit(":", 1)[-1] for upstream in _upstreams(production)}
    assert {str(port) for port in production.layout.replica_ports} <= ports


def test_the_bot_service_receives_the_events_through_rabbitmq(production):
    sender = f"prod-broker-{uuid.uuid4().hex[:8]}"
    production.say(sender, "this is useless, I am very angry")

    deadline = time.monotonic() + WAIT
    logged = 0
    while time.monotonic() < deadline:
        logged = production.scalar(
            production.settings.database_url,
            "SELECT count(*) FROM message_sentiments WHERE conversation_id = :sender",
            sender=sender,
        )
        if logged:
            break
        time.sleep(0.5)
    assert logged == 1


class Browser:
    """A customer's socket.io connection (long polling, as behind most proxies)."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmations: asyncio.Queue[Any] = asyncio.Queue()
        self.replies: asyncio.Queue[Dict[str, Any]] = asyncio.Queue()
        self.sio.on("session_confirm", self.confirmations.put)
        self.sio.on("bot_uttered", self.replies.put)

    async def open(self, url: str, session_token: Optional[str] = None) -> str:
        await self.sio.connect(url, transports=["polling"])
        request = {"session_id": session_token} if session_token else {}
        await self.sio.emit("session_request", request)
        return str(await asyncio.wait_for(self.confirmations.get(), WAIT))

    async def reply(self) -> Dict[str, Any]:
        return await asyncio.wait_for(self.replies.get(), WAIT)

    async def settle(self) -> None:
        """Drops the rest of an answer of several messages."""
        await asyncio.sleep(1.0)
        while not self.replies.empty():
            self.replies.get_nowait()

    async def close(self) -> None:
        eio = self.sio.eio
        tasks = [task for task in (eio.read_loop_task, eio.write_loop_task) if task]
        await eio.disconnect(abort=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await eio._reset()


def _greetings() -> List[str]:
    import yaml

    from bot.settings import PROJECT_ROOT

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [variant["text"] for variant in domain["responses"]["utter_greet"]]


async def _execute(production: Production, replica_url: str, conversation_id: str) -> None:
    def post() -> requests.Response:
        return requests.post(
            f"{replica_url}/conversations/{conversation_id}/execute",
            params={"output_channel": "latest"},
            json={"name": "utter_greet"},
            headers={"Authorization": f"Bearer {production.token('ops', 'admin')}"},
            timeout=WAIT,
        )

    response = await asyncio.to_thread(post)
    assert response.status_code == 200, response.text


async def test_socketio_replies_reach_sockets_on_every_replica(production):
    through_nginx, on_replica_one = Browser(), Browser()
    try:
        session_token = await through_nginx.open(production.url)
        conversation_id = session_token.split(".")[0]
        await through_nginx.sio.emit("user_uttered", {"message": "hello"})
        assert (await through_nginx.reply()).get("text")  # sticky long polling through nginx
        await through_nginx.settle()

        # The same conversation open in a second tab, connected straight to replica 1.
        await on_replica_one.open(production.layout.replica_urls[0], session_token)

        greetings = set(_greetings())
        for replica_url in production.layout.replica_urls:
            await _execute(production, replica_url, conversation_id)
            for browser in (through_nginx, on_replica_one):
                assert (await browser.reply()).get("text") in greetings
                await browser.settle()
    finally:
        await through_nginx.close()
        await on_replica_one.close()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/model", {"model_file": "/nonexistent/model.tar.gz"}),
        ("PUT", "/conversations/{id}/tracker/events", []),
        ("GET", "/conversations/{id}/tracker", None),
    ],
)
def test_model_loading_and_trackers_need_an_admin_token(production, method, path, body):
    conversation_id = f"prod-api-{uuid.uuid4().hex[:8]}"
    production.say(conversation_id, "hello")
    url = production.url + path.format(id=conversation_id)

    def call(token: Optional[str]) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, url, json=body, headers=headers, timeout=WAIT).status_code

    assert call(None) == 401
    assert call(production.token("rasa", "admin").replace(".", "x.", 1)) == 401
    assert call(production.token("someone-else", "user")) == 403
    assert call(production.token("ops", "admin")) not in (401, 403)
    # An admin's failed model load leaves the replicas serving the model.
    assert production.say(conversation_id, "hello")[0].get("text")


def _listening_addresses(port: int) -> List[str]:
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                addresses.append(address)
    return addresses


def test_the_action_server_listens_on_loopback_only(production):
    addresses = _listening_addresses(production.settings.action_port)

    assert addresses == ["0100007F"]  # 127.0.0.1, nothing on 0.0.0.0 or ::
