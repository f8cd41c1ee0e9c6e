"""The secure socket.io channel, served by a real Sanic app and driven by socket.io clients."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

import pytest
import rasa.server
import socketio
from rasa.core.channels.channel import UserMessage, register
from rasa.core.run import create_http_input_channels
from sanic import Sanic

from bot.channels.socketio import (
    MESSAGE_TOO_LONG,
    NOT_CONNECTED,
    TOO_MANY_MESSAGES,
    ChannelConfigError,
    RateLimiter,
    SecureSocketIOInput,
)
from bot.identity.tokens import issue_customer_token
from bot.settings import PROJECT_ROOT, Settings, load_settings
from tests.conftest import free_port

CUSTOMER_SECRET = "shared-secret-of-the-shop-website"
WAIT = 5.0
JANE = 1


@pytest.fixture(autouse=True)
def several_sanic_apps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets one process start several Sanic apps (Sanic rewrites its protocol on start)."""
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        {
            "BOT_VAR_DIR": str(tmp_path),
            "AGENT_SESSION_KEY": "agent-session-key-for-tests",
            "CUSTOMER_TOKEN_SECRET": CUSTOMER_SECRET,
            "RASA_JWT_SECRET": "rasa-jwt-secret-for-tests",
        }
    )


@dataclass
class FakeAgent:
    """Stands in for Rasa's agent: keeps every message the channel passes on."""

    received: List[UserMessage] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)

    async def wait_for(self, count: int) -> List[UserMessage]:
        for _ in range(int(WAIT / 0.02)):
            if len(self.received) >= count:
                return self.received
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.received)}")


@dataclass
class Running:
    url: str
    channel: SecureSocketIOInput
    agent: FakeAgent
    app: Sanic


@asynccontextmanager
async def serve(
    settings: Settings, credentials: Optional[Dict[str, Any]] = None
) -> AsyncIterator[Running]:
    """Runs the channel inside a Sanic app on a free loopback port, as Rasa registers it."""
    channel = SecureSocketIOInput.from_credentials(credentials)
    assert isinstance(channel, SecureSocketIOInput)
    channel._settings = settings
    app = Sanic(f"socketio_test_{uuid.uuid4().hex}")
    agent = FakeAgent()
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield Running(f"http://127.0.0.1:{port}", channel, agent, app)
    finally:
        await server.before_stop()
        closing = server.close()
        if closing is not None:
            await closing
        await server.after_stop()


class Chat:
    """A customer's browser: one socket.io connection."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmations: asyncio.Queue[Any] = asyncio.Queue()
        self.replies: asyncio.Queue[Dict[str, Any]] = asyncio.Queue()
        self.sio.on("session_confirm", self.confirmations.put)
        self.sio.on("bot_uttered", self.replies.put)

    async def connect(self, url: str, headers: Optional[Dict[str, str]] = None) -> None:
        # Long polling: the websocket client of python-engineio needs a newer aiohttp.
        await self.sio.connect(url, headers=headers or {}, transports=["polling"])

    async def start(self, **request: Any) -> str:
        await self.sio.emit("session_request", request)
        confirmed = await asyncio.wait_for(self.confirmations.get(), WAIT)
        assert isinstance(confirmed, str)
        return confirmed

    async def say(self, text: str, **extra: Any) -> None:
        await self.sio.emit("user_uttered", {"message": text, **extra})

    async def reply(self) -> Dict[str, Any]:
        return await asyncio.wait_for(self.replies.get(), WAIT)

    async def no_reply(self, seconds: float = 0.5) -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(self.replies.get(), seconds)

    async def close(self) -> None:
        # A clean disconnect waits for the pending long poll (up to the 25 s ping interval);
        # closing the Engine.IO session and dropping its tasks is as good for the server.
        eio = self.sio.eio
        tasks = [task for task in (eio.read_loop_task, eio.write_loop_task) if task]
        await eio.disconnect(abort=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await eio._reset()


@asynccontextmanager
async def chat(url: str, headers: Optional[Dict[str, str]] = None) -> AsyncIterator[Chat]:
    client = Chat()
    await client.connect(url, headers)
    try:
        yield client
    finally:
        await client.close()


def conversation_of(session_token: str) -> str:
    return session_token.split(".")[0]


def customer_token(secret: str = CUSTOMER_SECRET, ttl: timedelta = timedelta(hours=1)) -> str:
    now = datetime.now(timezone.utc)
    if ttl < timedelta(0):
        return issue_customer_token(JANE, secret, timedelta(minutes=5), now + ttl)
    return issue_customer_token(JANE, secret, ttl, now)


async def test_a_client_cannot_join_another_conversation_by_sending_its_id(
    settings: Settings,
) -> None:
    async with serve(settings) as running, chat(running.url) as alice, chat(running.url) as mallory:
        alice_token = await alice.start()
        alice_id = conversation_of(alice_token)

        bare_id = await mallory.start(session_id=alice_id)
        forged = await mallory.start(session_id=f"{alice_id}.{'A' * 43}")
        assert conversation_of(bare_id) != alice_id
        assert conversation_of(forged) not in (alice_id, conversation_of(bare_id))

        # Even Alice's real token in the message payload does not redirect the message.
        await mallory.say("I am Alice now", session_id=alice_token)
        [message] = await running.agent.wait_for(1)
        assert message.sender_id == conversation_of(forged)

        output = running.channel.get_output_channel()
        assert output is not None
        await output.send_text_message(alice_id, "Your refund is on its way.")
        assert (await alice.reply())["text"] == "Your refund is on its way."
        await mallory.no_reply()


async def test_the_signed_id_resumes_the_same_conversation_after_a_reconnect(
    settings: Settings,
) -> None:
    async with serve(settings) as running, chat(running.url) as first_tab:
        token = await first_tab.start()
        async with chat(running.url) as reconnected:
            assert await reconnected.start(session_id=token) == token
            await reconnected.say("Where is my parcel?")
            [message] = await running.agent.wait_for(1)
            assert message.sender_id == conversation_of(token)
            assert message.input_channel == "socketio"

            # What Rasa's HTTP API does for ?output_channel=latest (e.g. an agent's reply).
            request = SimpleNamespace(
                args={"output_channel": "latest"}, app=SimpleNamespace(ctx=running.app.ctx)
            )
            tracker = SimpleNamespace(get_latest_input_channel=lambda: message.input_channel)
            output = rasa.server._get_output_channel(request, tracker)  # type: ignore[arg-type]
            await output.send_text_message(message.sender_id, "Hi, this is Sam from support.")
            assert (await reconnected.reply())["text"] == "Hi, this is Sam from support."


async def test_a_message_before_the_session_is_confirmed_is_refused(settings: Settings) -> None:
    async with serve(settings) as running, chat(running.url) as client:
        await client.say("hello", session_id=uuid.uuid4().hex)
        assert (await client.reply())["text"] == NOT_CONNECTED
        assert running.agent.received == []


async def test_only_a_verified_customer_token_reaches_rasa(settings: Settings) -> None:
    valid = customer_token()
    async with (
        serve(settings) as running,
        chat(running.url) as signed_in,
        chat(running.url) as forger,
        chat(running.url) as late,
        chat(running.url) as anonymous,
    ):
        await signed_in.start(customer_token=valid)
        await forger.start(customer_token=customer_token(secret="guessed-secret"))
        await late.start(customer_token=customer_token(ttl=-timedelta(hours=1)))
        await anonymous.start()

        await signed_in.say("my orders", metadata={"customer_id": 2})
        await running.agent.wait_for(1)
        await forger.say("my orders")
        await running.agent.wait_for(2)
        await late.say("my orders")
        await running.agent.wait_for(3)
        await anonymous.say("my orders", metadata={"customer_token": valid, "customer_id": 1})
        received = await running.agent.wait_for(4)

    assert [message.metadata for message in received] == [{"customer_token": valid}, {}, {}, {}]


async def test_an_oversized_message_is_refused_politely(settings: Settings) -> None:
    async with serve(settings) as running, chat(running.url) as client:
        await client.start()
        await client.say("x" * 2001)
        assert (await client.reply())["text"] == MESSAGE_TOO_LONG.format(limit=2000)
        await client.say("y" * 2000)
        [message] = await running.agent.wait_for(1)
        assert message.text == "y" * 2000


async def test_messages_beyond_the_rate_limit_are_refused(settings: Settings) -> None:
    credentials = {"rate_limit_messages": 3, "rate_limit_seconds": 60}
    async with (
        serve(settings, credentials) as running,
        chat(running.url) as client,
        chat(running.url) as neighbour,
    ):
        await client.start()
        await neighbour.start()
        for number in range(4):
            await client.say(f"message {number}")
        assert (await client.reply())["text"] == TOO_MANY_MESSAGES
        await running.agent.wait_for(3)

        # The limit is per connection: another customer is not slowed down.
        await neighbour.say("hello")
        received = await running.agent.wait_for(4)
        await client.no_reply(0.3)
    assert sorted(message.text for message in received) == [
        "hello",
        "message 0",
        "message 1",
        "message 2",
    ]


def test_the_rate_limit_window_slides() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert [limiter.allow("sid"), limiter.allow("sid"), limiter.allow("sid")] == [
        True,
        True,
        False,
    ]
    now[0] = 9.9
    assert not limiter.allow("sid")
    now[0] = 10.0
    assert limiter.allow("sid")


async def test_markup_is_passed_on_as_plain_text(settings: Settings) -> None:
    text = "<img src=x onerror=alert(1)> 1' OR '1'='1"
    async with serve(settings) as running, chat(running.url) as client:
        await client.start()
        await client.say(text)
        [message] = await running.agent.wait_for(1)
    assert message.text == text


async def test_only_allowed_origins_may_connect(settings: Settings) -> None:
    async with serve(settings) as running:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await Chat().connect(running.url, {"Origin": "https://evil.example"})
        async with chat(running.url, {"Origin": "http://localhost:8080"}) as local:
            assert await local.start()
    credentials = {"cors_allowed_origins": ["https://shop.example"]}
    async with (
        serve(settings, credentials) as running,
        chat(running.url, {"Origin": "https://shop.example"}) as shop,
    ):
        assert await shop.start()


def test_the_projects_credentials_replace_rasas_socketio_channel() -> None:
    channels = create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
    [socket_channel] = [channel for channel in channels if channel.name() == "socketio"]
    assert isinstance(socket_channel, SecureSocketIOInput)
    assert socket_channel.user_message_evt == "user_uttered"
    assert socket_channel.bot_message_evt == "bot_uttered"
    assert socket_channel.max_message_length == 2000


@pytest.mark.parametrize(
    "credentials",
    [
        {"rate_limit_messages": 0},
        {"rate_limit_seconds": "ten"},
        {"max_message_length": 0},
        {"cors_allowed_origins": 42},
    ],
)
def test_unusable_parameters_are_reported(credentials: Dict[str, Any]) -> None:
    with pytest.raises(ChannelConfigError):
        SecureSocketIOInput.from_credentials(credentials)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_a_reply_sent_through_another_replica_reaches_the_customer(
    settings: Settings, redis_url: str
) -> None:
    credentials = {"redis_url": redis_url}
    async with (
        serve(settings, credentials) as replica_a,
        serve(settings, credentials) as replica_b,
        chat(replica_a.url) as customer,
    ):
        token = await customer.start()
        output = replica_b.channel.get_output_channel()
        assert output is not None
        reply: Optional[Dict[str, Any]] = None
        # Replica A subscribes to Redis in the background; repeat until it listens.
        for _ in range(int(WAIT / 0.25)):
            await output.send_text_message(conversation_of(token), "An agent has joined.")
            try:
                reply = await asyncio.wait_for(customer.replies.get(), 0.25)
                break
            except asyncio.TimeoutError:
                continue
        assert reply == {"text": "An agent has joined."}
