"""Telegram end to end: a person's reply reaches the chat, and a verified user is remembered.

Rasa (with the trained model and the project's Telegram connector), the action
server and the bot service run as subprocesses. The Telegram Bot API is a fake
server in this test (``TELEGRAM_API_URL``, the connector's setting for a
self-hosted Bot API server) that records every call; the test posts updates to
Rasa's Telegram webhook the way Telegram does, with the webhook's secret token.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
import requests
from aiohttp import web

from bot.channels.credentials import write_credentials
from bot.channels.telegram import SECRET_TOKEN_HEADER
from bot.db.engine import get_engine, session_scope
from bot.db.models import AgentRole, ChannelLink, Customer
from bot.db.repositories.agents import create_agent
from bot.db.repositories.outbox import list_outbox_messages
from bot.identity.messages import remembered
from bot.orders import messages
from bot.runtime.processes import Supervisor, action_server_spec, rasa_server_spec, service_spec
from bot.service.passwords import hash_password
from bot.settings import Settings, load_settings
from tests.conftest import free_port

pytestmark = [pytest.mark.model, pytest.mark.server]

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT_USERNAME = "shop_support_bot"
SECRET = "telegram-webhook-secret_42"
PUBLIC_WEBHOOK = "https://shop.example.com/webhooks/telegram/webhook"
AGENT_NAME = "Sam"
AGENT_PASSWORD = "a-long-test-password-42"
CODE = re.compile(r"\b(\d{6})\b")
# Loading the model takes minutes on a busy machine.
RASA_STARTUP_SECONDS = 600.0


class FakeBotApi:
    """The Telegram Bot API on loopback: records each call and answers as Telegram does."""

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        async def method(request: web.Request) -> web.Response:
            name = request.match_info["method"]
            fields = {key: str(value) for key, value in (await request.post()).items()}
            with self._lock:
                self.calls.append({"method": name, "token": request.match_info["token"], **fields})
            result: Any = True
            if name == "getMe":
                result = {"id": 123456789, "is_bot": True, "first_name": "Shop"}
                result["username"] = BOT_USERNAME
            elif name == "sendMessage":
                result = {
                    "message_id": len(self.calls),
                    "date": int(time.time()),
                    "chat": {"id": int(fields["chat_id"]), "type": "private"},
                    "text": fields.get("text", ""),
                }
            return web.json_response({"ok": True, "result": result})

        async def main() -> None:
            app = web.Application()
            app.router.add_post("/bot{token}/{method}", method)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            self._ready.set()
            while True:
                await asyncio.sleep(3600)

        asyncio.run(main())

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10), "the fake Bot API did not start"

    def count(self) -> int:
        with self._lock:
            return len(self.calls)

    def sent_to(self, chat: int, after: int = 0) -> List[Dict[str, Any]]:
        """The sendMessage calls to ``chat`` after call number ``after``."""
        with self._lock:
            return [
                call
                for call in self.calls[after:]
                if call["method"] == "sendMessage" and call.get("chat_id") == str(chat)
            ]

    def wait_for(
        self, chat: int, condition: Callable[[str], bool], after: int, timeout: float = 30
    ) -> Dict[str, Any]:
        """The first message to ``chat`` after call ``after`` whose text meets ``condition``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for call in self.sent_to(chat, after):
                if condition(call.get("text", "")):
                    return call
            time.sleep(0.1)
        seen = [call.get("text") for call in self.sent_to(chat, after)]
        raise AssertionError(f"no such message to {chat} within {timeout} s; got {seen}")


class TelegramDesk:
    """The running assistant on Telegram, the fake Bot API and an agent's API session."""

    def __init__(self, settings: Settings, api: FakeBotApi) -> None:
        self.settings = settings
        self.api = api
        self.token = ""
        self._update_id = 1000

    def user_says(self, chat: int, text: str) -> List[str]:
        """Posts a Telegram update from ``chat``; returns the replies sent to the chat."""
        self._update_id += 1
        user = {"id": chat, "is_bot": False, "first_name": "Jane", "username": f"user{chat}"}
        update = {
            "update_id": self._update_id,
            "message": {
                "message_id": self._update_id,
                "from": {**user, "language_code": "en"},
                "chat": {**user, "type": "private"},
                "date": int(time.time()),
                "text": text,
            },
        }
        before = self.api.count()
        response = requests.post(
            f"{self.settings.rasa_url}/webhooks/telegram/webhook",
            json=update,
            headers={SECRET_TOKEN_HEADER: SECRET},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return [call.get("text", "") for call in self.api.sent_to(chat, before)]

    def log_in(self) -> None:
        response = requests.post(
            f"{self.settings.service_url}/api/login",
            json={"name": AGENT_NAME, "password": AGENT_PASSWORD},
            timeout=10,
        )
        response.raise_for_status()
        self.token = response.json()["token"]

    def agent(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.settings.service_url}{path}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
            **kwargs,
        )

    def latest_code(self, email: str) -> str:
        with session_scope(get_engine(self.settings.database_url)) as session:
            [mail] = list_outbox_messages(session, recipient=email, limit=1)
            match = CODE.search(mail.body)
        assert match is not None
        return match.group(1)


@pytest.fixture(scope="module")
def desk(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TelegramDesk]:
    from bot.db.bootstrap import prepare_database

    api = FakeBotApi()
    api.start()
    var_dir = tmp_path_factory.mktemp("telegram-var")
    settings = load_settings(
        {
            "BOT_VAR_DIR": str(var_dir),
            "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()),
            "SERVICE_PORT": str(free_port()),
        }
    )
    credentials = write_credentials(
        settings,
        {
            "TELEGRAM_ACCESS_TOKEN": TOKEN,
            "TELEGRAM_VERIFY": BOT_USERNAME,
            "TELEGRAM_WEBHOOK_URL": PUBLIC_WEBHOOK,
            "TELEGRAM_SECRET_TOKEN": SECRET,
            "TELEGRAM_API_URL": api.url,
        },
    )
    prepare_database(settings.database_url)
    with session_scope(get_engine(settings.database_url)) as session:
        create_agent(session, AGENT_NAME, hash_password(AGENT_PASSWORD), AgentRole.AGENT)
    supervisor = Supervisor(settings, var_dir / "logs")
    try:
        supervisor.start(action_server_spec(settings))
        supervisor.start(
            dataclasses.replace(
                rasa_server_spec(settings, trained_model, credentials),
                startup_timeout=RASA_STARTUP_SECONDS,
            )
        )
        supervisor.start(service_spec(settings))
        yield TelegramDesk(settings, api)
    finally:
        supervisor.stop_all()


def test_the_webhook_was_registered_with_its_secret_at_start_up(desk: TelegramDesk) -> None:
    [registered] = [call for call in desk.api.calls if call["method"] == "setWebhook"]
    assert registered == {
        "method": "setWebhook",
        "token": TOKEN,
        "url": PUBLIC_WEBHOOK,
        "secret_token": SECRET,
    }


def test_a_forged_update_is_refused_and_not_answered(desk: TelegramDesk) -> None:
    chat = 5550001
    before = desk.api.count()
    response = requests.post(
        f"{desk.settings.rasa_url}/webhooks/telegram/webhook",
        json={"update_id": 1, "message": {"message_id": 1, "chat": {"id": chat}, "text": "hi"}},
        headers={SECRET_TOKEN_HEADER: "a-guess"},
        timeout=30,
    )
    assert response.status_code == 403
    time.sleep(1.0)
    assert desk.api.sent_to(chat, before) == []


def test_an_agent_reply_reaches_the_telegram_chat(desk: TelegramDesk) -> None:
    chat = 5550002
    desk.log_in()

    replies = desk.user_says(chat, "I need to talk to a person, not a bot")
    assert any("queue" in text or "kept your place" in text for text in replies), replies
    waiting = desk.agent("GET", "/api/handoffs", params={"status": "waiting"}).json()
    [ticket] = [t for t in waiting["handoffs"] if t["conversation_id"] == str(chat)]
    assert ticket["context"]["channel"] == "telegram"

    assert desk.agent("POST", f"/api/handoffs/{ticket['id']}/claim").status_code == 200
    before = desk.api.count()
    response = desk.agent(
        "POST",
        f"/api/handoffs/{ticket['id']}/messages",
        json={"text": "Hi, Sam here. Let me look."},
    )
    assert response.status_code == 201
    reply = desk.api.wait_for(chat, lambda text: text == "Hi, Sam here. Let me look.", before)
    assert reply["token"] == TOKEN

    before = desk.api.count()
    assert desk.agent("POST", f"/api/handoffs/{ticket['id']}/resolve").status_code == 200
    desk.api.wait_for(chat, lambda text: "back with the assistant" in text, before)


def test_a_user_verified_on_telegram_is_recognised_in_the_next_conversation(
    desk: TelegramDesk,
) -> None:
    chat = 5550003
    email = "jane.doe@example.com"

    assert desk.user_says(chat, "where is my order?")
    assert messages.ASK_EMAIL in desk.user_says(chat, "ORD-100001")
    assert messages.CODE_SENT in desk.user_says(chat, email)
    replies = desk.user_says(chat, desk.latest_code(email))
    assert replies[:2] == [messages.verified("Jane"), remembered("Telegram")]
    with session_scope(get_engine(desk.settings.database_url)) as session:
        link = session.query(ChannelLink).filter_by(channel="telegram").one()
        jane = session.query(Customer).filter_by(email=email).one()
        assert (link.external_user_id, link.customer_id) == (str(chat), jane.id)

    # A new conversation on the same chat: no slots carried over, yet Jane is known.
    desk.user_says(chat, "/session_start")
    [welcome, *_] = desk.user_says(chat, "hi")
    assert welcome.startswith("Hi Jane, welcome back!")
    replies = desk.user_says(chat, "where is my order?")
    assert messages.WHICH_ORDER in replies
    assert not any("email" in text.lower() for text in replies)

    # Another Telegram user is not.
    assert not desk.user_says(5550004, "hi")[0].startswith("Hi Jane")
