"""Faults in the production layout: what customers see when a part of it fails.

The layout runs as ``python -m bot run-prod`` starts it (two Rasa replicas
behind nginx, PostgreSQL tracker store, Redis lock store, RabbitMQ event
broker), in production mode, with databases, a Redis db number, a RabbitMQ
user, queue and exchange of its own, on free ports. The application
database, Redis and RabbitMQ are reached through loopback TCP proxies
(:mod:`tests.support.tcp_proxy`): pausing a proxy makes that server look down
to the layout while the real server keeps serving everyone else. Processes
are stopped with signals to their process group.

Every test has a deadline (``pytest.mark.timeout``). The replica is killed in
the last test, because the tests before it use both replicas. Without
PostgreSQL, Redis, RabbitMQ or nginx the module is skipped, except under CI,
where it fails.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import requests

from bot.cli.run_prod import ensure_services
from bot.db.engine import dispose_engines, get_engine, session_scope
from bot.db.migrations import upgrade
from bot.db.models import AgentRole
from bot.db.repositories.agents import create_agent
from bot.db.seed import DEMO_CUSTOMER_EMAIL, seed_demo
from bot.knowledge.policies import load_policies
from bot.orders import messages as order_messages
from bot.runtime.processes import Supervisor, port_is_open
from bot.runtime.production import ProductionLayout
from bot.runtime.provisioning import ensure_rabbitmq_user, ensure_role
from bot.service.passwords import hash_password
from bot.settings import Settings, load_settings
from bot.support.contact import assistant_unavailable_message
from tests.conftest import free_port
from tests.support import production_stack as stack
from tests.support.tcp_proxy import TcpProxy
from tests.support.tracker_queries import (
    conversation_events,
    table_counts,
    user_texts,
    user_texts_by_sender,
)

pytestmark = [pytest.mark.model, pytest.mark.server]

ROLE = "shop_faults"
APP_DB = "shop_faults_app"
TRACKER_DB = "shop_faults_tracker"
REDIS_DB = 11
AGENT_NAME = "Robin"
AGENT_PASSWORD = "a-long-fault-test-password-7"
WAIT = 60.0
# Tables an order verification writes to: nothing may be left half written.
VERIFICATION_TABLES = (
    "verification_challenges",
    "verification_lockouts",
    "outbox_messages",
    "audit_entries",
    "channel_links",
)


@dataclass
class Faults:
    """The running layout, its proxies and what the tests need to drive it."""

    settings: Settings
    layout: ProductionLayout
    supervisor: Supervisor
    database: TcpProxy
    redis: TcpProxy
    broker: TcpProxy
    agent_token: str = ""
    killed: List[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.layout.public_url

    @property
    def direct_database_url(self) -> str:
        """The application database, bypassing the proxy (for the test's own reads)."""
        return self.settings.database_url.replace(f":{self.database.port}/", ":5432/")

    def post(self, sender: str, message: str, base_url: Optional[str] = None) -> requests.Response:
        """Sends a customer message over REST; never raises for a status."""
        return requests.post(
            f"{base_url or self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=WAIT + 40,
        )

    def texts(self, sender: str, message: str, base_url: Optional[str] = None) -> List[str]:
        """The reply texts to a message that must get a 200."""
        response = self.post(sender, message, base_url)
        assert response.status_code == 200, response.text
        return [str(reply.get("text", "")) for reply in response.json()]

    def agent(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.settings.service_url}{path}",
            headers={"Authorization": f"Bearer {self.agent_token}"},
            timeout=WAIT,
            **kwargs,
        )


def pid_listening_on(port: int) -> int:
    """The process (of this user) that listens on ``port`` on loopback or any address."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for descriptor in (entry / "fd").iterdir():
                if os.readlink(descriptor) in inodes:
                    return int(entry.name)
        except OSError:
            continue
    raise LookupError(f"nothing listens on port {port}")


def stop_process_group(port: int, signum: int) -> int:
    """Signals the process group of whatever listens on ``port``; waits until it is gone."""
    pid = pid_listening_on(port)
    os.killpg(os.getpgid(pid), signum)
    deadline = time.monotonic() + 30
    while port_is_open("127.0.0.1", port) or Path(f"/proc/{pid}/stat").exists() and _alive(pid):
        assert time.monotonic() < deadline, f"process {pid} on port {port} did not stop"
        time.sleep(0.1)
    return pid


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def faults(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faults]:
    stack.require_production_services()

    database_password = secrets.token_urlsafe(24)
    broker_password = secrets.token_urlsafe(24)
    ensure_role(stack.ADMIN_URL, ROLE, database_password)
    stack.drop_databases(APP_DB, TRACKER_DB)
    ensure_rabbitmq_user(ROLE, broker_password)
    stack.flush_redis(REDIS_DB)
    suffix = uuid.uuid4().hex[:8]
    queue = exchange = f"shop_faults_{suffix}"
    database = TcpProxy("127.0.0.1", 5432).start()
    redis_proxy = TcpProxy("127.0.0.1", 6379).start()
    broker = TcpProxy("127.0.0.1", 5672).start()
    direct_broker_url = f"amqp://{ROLE}:{broker_password}@127.0.0.1:5672/"
    server = f"postgresql://{ROLE}:{database_password}@127.0.0.1"
    var_dir = tmp_path_factory.mktemp("faults-var")
    env = {
        "BOT_ENV": "production",
        "BOT_VAR_DIR": str(var_dir),
        **stack.production_secrets(),
        "DATABASE_URL": f"{server}:{database.port}/{APP_DB}",
        "TRACKER_STORE_URL": f"{server}:5432/{TRACKER_DB}",
        "POSTGRES_ADMIN_URL": stack.ADMIN_URL,
        "LOCK_STORE_URL": f"redis://127.0.0.1:{redis_proxy.port}/{REDIS_DB}",
        "SOCKETIO_REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}/{REDIS_DB}",
        "EVENT_BROKER_URL": f"amqp://{ROLE}:{broker_password}@127.0.0.1:{broker.port}/",
        "EVENT_BROKER_QUEUE": queue,
        "EVENT_BROKER_EXCHANGE": exchange,
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "ACTION_GATEWAY_PORT": str(free_port()),
        "SERVICE_PORT": str(free_port()),
        "RASA_REPLICA_BASE_PORT": str(stack.adjacent_free_ports()),
    }
    settings = load_settings(env)
    ensure_services(settings)
    upgrade(settings.database_url)
    with session_scope(get_engine(settings.database_url)) as session:
        seed_demo(session, date.today())
        create_agent(session, AGENT_NAME, hash_password(AGENT_PASSWORD), AgentRole.AGENT)
    dispose_engines()
    layout = ProductionLayout(settings, replicas=2)
    supervisor = Supervisor(settings, var_dir / "logs")
    running = Faults(settings, layout, supervisor, database, redis_proxy, broker)
    try:
        for spec in layout.specs(trained_model):
            supervisor.start(spec)
        response = requests.post(
            f"{settings.service_url}/api/login",
            json={"name": AGENT_NAME, "password": AGENT_PASSWORD},
            timeout=WAIT,
        )
        response.raise_for_status()
        running.agent_token = response.json()["token"]
        yield running
    finally:
        supervisor.stop_all()
        for proxy in (database, redis_proxy, broker):
            proxy.stop()
        asyncio.run(stack.remove_broker_objects(direct_broker_url, queue, exchange))
        stack.flush_redis(REDIS_DB)
        stack.drop_databases(APP_DB, TRACKER_DB)


def _sender(kind: str) -> str:
    return f"faults-{kind}-{uuid.uuid4().hex[:8]}"


def _wait_until(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(0.3)


@pytest.mark.timeout(120, func_only=True)
def test_without_the_action_server_the_assistant_apologises_and_offers_a_person(faults):
    action_port = faults.settings.action_port
    assert "order number" in " ".join(faults.texts(_sender("actions-before"), "where is my order?"))

    apology = assistant_unavailable_message(load_policies().contact)

    stop_process_group(action_port, signal.SIGTERM)
    try:
        replies = faults.texts(_sender("actions-down"), "where is my order?")
        assert apology in replies
        again = faults.texts(_sender("actions-down"), "I want to talk to a person")
        assert apology in again
    finally:
        faults.supervisor.start(faults.layout.action_spec())

    replies = " ".join(faults.texts(_sender("actions-back"), "where is my order?"))
    assert "order number" in replies


@pytest.mark.timeout(90, func_only=True)
def test_with_the_database_down_an_order_check_fails_politely_and_writes_nothing(faults):
    sender = _sender("database")
    assert "order number" in " ".join(faults.texts(sender, "where is my order?"))
    assert "email" in " ".join(faults.texts(sender, "ORD-100001")).lower()
    before = table_counts(faults.direct_database_url, VERIFICATION_TABLES)

    faults.database.pause()
    try:
        replies = faults.texts(sender, DEMO_CUSTOMER_EMAIL)
    finally:
        faults.database.resume()

    assert order_messages.LOOKUP_UNAVAILABLE in replies
    assert order_messages.VERIFICATION_LOCKED not in replies  # no code was ever wrong
    after = table_counts(faults.direct_database_url, VERIFICATION_TABLES)
    assert after == before, "a failed verification left rows behind"

    # The next customer is verified as usual once the database is back.
    again = _sender("database-back")
    faults.texts(again, "where is my order?")
    faults.texts(again, "ORD-100001")
    assert order_messages.CODE_SENT in faults.texts(again, DEMO_CUSTOMER_EMAIL)
    counts = table_counts(faults.direct_database_url, VERIFICATION_TABLES)
    assert counts["verification_challenges"] == before["verification_challenges"] + 1
    assert counts["outbox_messages"] == before["outbox_messages"] + 1


@pytest.mark.timeout(90, func_only=True)
def test_concurrent_messages_to_one_conversation_through_both_replicas_are_serialised(faults):
    """The Redis lock store serialises processing per conversation.

    Each replica takes a ticket for the conversation in Redis and waits until
    every earlier ticket is done, so one message is processed completely (its
    ``user`` event, every action it caused and its replies saved to the
    tracker store) before the next one starts, whichever replica takes it.
    What the lock does not promise is arrival order across replicas: messages
    sent at the same moment are processed in the order their tickets were
    issued. So the test asserts one consistent order: every message stored
    exactly once, each followed by its own actions and replies (the very
    replies its HTTP response carried) and ``action_listen`` before the next
    message; and messages sent one after another, even to different replicas,
    stay in the order they were sent.
    """
    sender = _sender("order")
    replicas = faults.layout.replica_urls
    count = 8
    start = threading.Barrier(count)

    def send(sequence: int) -> Tuple[int, str, int, List[str]]:
        message = f"hello there, message {sequence}"
        start.wait(timeout=30)
        response = faults.post(sender, message, replicas[sequence % 2])
        replies = (
            [str(reply.get("text", "")) for reply in response.json()]
            if response.status_code == 200
            else []
        )
        return sequence, message, response.status_code, replies

    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(send, range(count)))
    assert [status for _, _, status, _ in results] == [200] * count
    sequential = [f"thanks, message {count + index}" for index in range(2)]
    for index, message in enumerate(sequential):
        faults.texts(sender, message, replicas[index % 2])

    events = conversation_events(faults.settings.tracker_store_url, sender)
    stored = [event.text for event in events if event.type_name == "user"]
    sent = [message for _, message, _, _ in results]
    assert sorted(stored[:count]) == sorted(sent), "a message was lost or stored twice"
    assert stored[count:] == sequential

    replies_of = {message: replies for _, message, _, replies in results}
    segments: List[Tuple[str, List[Any]]] = []
    for event in events:
        if event.type_name == "user":
            segments.append((str(event.text), []))
        elif segments:
            segments[-1][1].append(event)
    for message, following in segments:
        assert following, f"{message!r} was never answered"
        assert following[-1].type_name == "action"
        assert (
            following[-1].action_name == "action_listen"
        ), f"{message!r} was interleaved with another message"
        assert all(event.type_name != "user" for event in following)
        if message in replies_of:
            bot_texts = [str(event.text) for event in following if event.type_name == "bot"]
            assert (
                bot_texts == replies_of[message]
            ), f"the replies stored after {message!r} are not the ones it was sent"


def _customer_messages(faults: Faults, ticket_id: int) -> List[str]:
    response = faults.agent("GET", f"/api/handoffs/{ticket_id}/messages")
    response.raise_for_status()
    return [m["text"] for m in response.json()["messages"] if m["sender"] == "customer"]


@pytest.mark.timeout(120, func_only=True)
def test_with_rabbitmq_down_the_assistant_answers_and_the_agent_catches_up(faults):
    """Rasa's pika broker keeps what it could not publish and sends it on reconnecting.

    ``PikaEventBroker`` (``rasa/core/brokers/pika.py``) publishes through
    aio-pika's robust connection. While RabbitMQ is unreachable a publish
    fails at once and the event is kept in the replica's memory
    (``should_keep_unpublished_messages``); the robust connection retries
    every 5 s and, once it is back, publishes the kept events. Customers are
    answered throughout, because publishing never blocks a reply. The events
    are only in memory: a replica that stops before RabbitMQ returns loses
    them (docs/operations.md).
    """
    customer = _sender("broker")
    queued = " ".join(faults.texts(customer, "I need to talk to a person, not a bot"))
    assert "in the queue" in queued
    waiting = faults.agent("GET", "/api/handoffs", params={"status": "waiting"}).json()
    [ticket] = [t for t in waiting["handoffs"] if t["conversation_id"] == customer]
    first = "is anyone there? message one"
    faults.texts(customer, first)
    _wait_until(
        lambda: _customer_messages(faults, ticket["id"]) == [first],
        WAIT,
        "the agent did not see the customer's message",
    )

    during = [f"still waiting, message {n}" for n in ("two", "three", "four")]
    faults.broker.pause()
    try:
        other = _sender("broker-other")
        assert any(faults.texts(other, "hello")), "the assistant stopped answering"
        for message in during:
            assert faults.texts(customer, message) == []  # paused for the agent: no bot reply
        time.sleep(2)
        assert _customer_messages(faults, ticket["id"]) == [first]
    finally:
        faults.broker.resume()

    expected = [first, *during]
    _wait_until(
        lambda: len(_customer_messages(faults, ticket["id"])) >= len(expected),
        WAIT,
        "the agent console did not catch up after RabbitMQ came back",
    )
    time.sleep(3)  # redeliveries, if any, would arrive now
    assert sorted(_customer_messages(faults, ticket["id"])) == sorted(expected)


@pytest.mark.timeout(60, func_only=True)
def test_with_redis_down_messages_are_refused_and_nothing_is_half_processed(faults):
    """Without Redis no replica can take a conversation's lock.

    The lock store raises a ``LockError`` when issuing the ticket; the message
    is not processed and not stored, and Rasa's REST channel answers it with a
    200 and no replies. Once Redis is back the same message is processed
    normally.
    """
    sender = _sender("redis")
    assert any(faults.texts(sender, "hello"))
    faults.redis.pause()
    try:
        response = faults.post(sender, "hello again")
    finally:
        faults.redis.resume()
    assert response.status_code == 200
    assert response.json() == []
    assert user_texts(faults.settings.tracker_store_url, sender) == ["hello"]

    assert any(faults.texts(sender, "hello again"))
    assert user_texts(faults.settings.tracker_store_url, sender) == ["hello", "hello again"]


def _replica_of(faults: Faults, port: int) -> int:
    return faults.layout.replica_ports.index(port)


@pytest.mark.timeout(200, func_only=True)
def test_a_replica_killed_under_load_loses_no_answered_message(faults):
    conversations = 4
    per_conversation = 8
    prefix = f"faults-kill-{uuid.uuid4().hex[:6]}-"
    answered: Dict[str, List[str]] = {}
    failed: Dict[str, List[str]] = {}
    after_kill: Dict[str, List[int]] = {}
    lock = threading.Lock()
    killed = threading.Event()
    progress = threading.Semaphore(0)

    def converse(index: int) -> None:
        sender = f"{prefix}{index}"
        for number in range(per_conversation):
            message = f"hello, this is message {number} of conversation {index}"
            if number >= per_conversation - 2:
                # Every conversation goes on after the kill, however fast it was before.
                killed.wait(timeout=WAIT)
            was_killed = killed.is_set()
            try:
                status = faults.post(sender, message).status_code
            except requests.RequestException:
                status = 0
            with lock:
                bucket = answered if status == 200 else failed
                bucket.setdefault(sender, []).append(message)
                if was_killed:
                    after_kill.setdefault(sender, []).append(status)
            progress.release()

    victim = faults.layout.replica_ports[0]
    with ThreadPoolExecutor(max_workers=conversations) as pool:
        futures = [pool.submit(converse, index) for index in range(conversations)]
        for _ in range(conversations * 2):
            assert progress.acquire(timeout=WAIT), "the layout stopped answering before the kill"
        stop_process_group(victim, signal.SIGKILL)
        killed.set()
        for future in futures:
            future.result(timeout=240)

    stored = user_texts_by_sender(faults.settings.tracker_store_url, prefix)
    for index in range(conversations):
        sender = f"{prefix}{index}"
        texts = stored.get(sender, [])
        assert len(texts) == len(set(texts)), f"{sender}: a message was stored twice: {texts}"
        for message in answered.get(sender, []):
            assert texts.count(message) == 1, f"{sender}: answered {message!r} was lost"
        assert set(texts) <= set(answered.get(sender, [])) | set(failed.get(sender, []))
        # The surviving replica carries the conversation on.
        statuses = after_kill.get(sender, [])
        assert statuses and statuses[-1] == 200, f"{sender}: after the kill: {statuses}"
    log = (faults.layout.prefix / "logs" / "access.log").read_text(encoding="utf-8")
    survivor = str(faults.layout.replica_ports[1])
    tail = [line for line in log.splitlines() if "/webhooks/rest/webhook" in line][-conversations:]
    assert all(re.search(rf"upstream=[^=]*:{survivor}\b", line) for line in tail), tail
