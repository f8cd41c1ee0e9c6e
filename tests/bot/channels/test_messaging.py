"""Messaging apps: generated credentials and the project's connectors end to end.

Each connector is built by Rasa's own loader from the generated
``credentials.yml``, mounted with Rasa's ``register`` on a real Sanic server on
loopback, and sent a provider webhook in the provider's documented shape. The
providers' APIs are a fake HTTP server on loopback; each client library is
pointed at it through the library's own configuration point. A forged or
malformed webhook must be refused with a 4xx before anything reaches the
assistant or the provider's API.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import stat
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Coroutine, Dict, Iterator, List, Mapping, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import yaml
from rasa.core.channels.channel import InputChannel, UserMessage, register
from rasa.core.run import create_http_input_channels
from sanic import Sanic
from twilio.request_validator import RequestValidator

from bot.channels.credentials import (
    FACEBOOK_CONNECTOR,
    SLACK_CONNECTOR,
    TELEGRAM_CONNECTOR,
    TWILIO_CONNECTOR,
    ChannelConfigError,
    channel_credentials,
    write_credentials,
)
from bot.channels.facebook import FacebookInput
from bot.channels.slack import SlackInput
from bot.channels.telegram import SECRET_TOKEN_HEADER, TelegramInput
from bot.channels.twilio import TwilioInput
from bot.settings import PROJECT_ROOT, load_settings

BASE = PROJECT_ROOT / "credentials.yml"
REPLY = "Thanks! Your order ORD-100001 is on its way."

TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TELEGRAM_BOT = "shop_support_bot"
TELEGRAM_SECRET = "webhook-secret_0123456789"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-auth-token"
FACEBOOK_SECRET = "facebook-app-secret"
FACEBOOK_PAGE_TOKEN = "facebook-page-token"
SLACK_TOKEN = "xoxb-slack-bot-token"
SLACK_SECRET = "slack-signing-secret"

TELEGRAM_ENV = {
    "TELEGRAM_ACCESS_TOKEN": TELEGRAM_TOKEN,
    "TELEGRAM_VERIFY": TELEGRAM_BOT,
    "TELEGRAM_WEBHOOK_URL": "https://shop.example.com/webhooks/telegram/webhook",
    "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
}
TWILIO_ENV = {
    "TWILIO_ACCOUNT_SID": TWILIO_SID,
    "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    "TWILIO_NUMBER": "+15005550006",
}
FACEBOOK_ENV = {
    "FACEBOOK_VERIFY": "facebook-verify-token",
    "FACEBOOK_SECRET": FACEBOOK_SECRET,
    "FACEBOOK_PAGE_ACCESS_TOKEN": FACEBOOK_PAGE_TOKEN,
}
SLACK_ENV = {
    "SLACK_TOKEN": SLACK_TOKEN,
    "SLACK_SIGNING_SECRET": SLACK_SECRET,
    "SLACK_CHANNEL": "C0SUPPORT",
}
ALL_ENV = {**TELEGRAM_ENV, **TWILIO_ENV, **FACEBOOK_ENV, **SLACK_ENV}
CONNECTORS = {
    "telegram": (TELEGRAM_CONNECTOR, TelegramInput),
    "twilio": (TWILIO_CONNECTOR, TwilioInput),
    "facebook": (FACEBOOK_CONNECTOR, FacebookInput),
    "slack": (SLACK_CONNECTOR, SlackInput),
}


# --- channel_credentials ---------------------------------------------------------------


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A base credentials file with the always-on channels."""
    path = tmp_path / "base-credentials.yml"
    path.write_text("rest:\nsocketio:\n  user_message_evt: user_uttered\n")
    return path


def test_without_messaging_variables_only_the_base_channels_are_on(base: Path) -> None:
    assert channel_credentials({"PATH": "/usr/bin"}, base) == {
        "rest": None,
        "socketio": {"user_message_evt": "user_uttered"},
    }


def test_generated_channels_start_from_the_projects_credentials() -> None:
    credentials = channel_credentials(SLACK_ENV, BASE)

    assert credentials == {
        **yaml.safe_load(BASE.read_text()),
        SLACK_CONNECTOR: credentials[SLACK_CONNECTOR],
    }
    assert "rest" in credentials


def test_every_configured_channel_is_added_with_rasas_credential_keys(base: Path) -> None:
    credentials = channel_credentials(ALL_ENV, base)

    assert credentials[TELEGRAM_CONNECTOR] == {
        "access_token": TELEGRAM_TOKEN,
        "verify": TELEGRAM_BOT,
        "webhook_url": "https://shop.example.com/webhooks/telegram/webhook",
        "secret_token": TELEGRAM_SECRET,
    }
    assert credentials[TWILIO_CONNECTOR] == {
        "account_sid": TWILIO_SID,
        "auth_token": TWILIO_TOKEN,
        "twilio_number": "+15005550006",
    }
    assert credentials[FACEBOOK_CONNECTOR] == {
        "verify": "facebook-verify-token",
        "secret": FACEBOOK_SECRET,
        "page-access-token": FACEBOOK_PAGE_TOKEN,
    }
    assert credentials[SLACK_CONNECTOR] == {
        "slack_token": SLACK_TOKEN,
        "slack_signing_secret": SLACK_SECRET,
        "slack_channel": "C0SUPPORT",
    }
    assert not {"telegram", "twilio", "facebook", "slack"} & set(credentials)
    assert credentials["socketio"] == {"user_message_evt": "user_uttered"}


def test_slack_channel_is_optional() -> None:
    env = {key: value for key, value in SLACK_ENV.items() if key != "SLACK_CHANNEL"}

    assert channel_credentials(env, BASE)[SLACK_CONNECTOR] == {
        "slack_token": SLACK_TOKEN,
        "slack_signing_secret": SLACK_SECRET,
    }


def test_optional_urls_are_passed_to_the_connectors() -> None:
    env = {
        **TELEGRAM_ENV,
        "TELEGRAM_API_URL": "http://127.0.0.1:8081",
        **TWILIO_ENV,
        "TWILIO_WEBHOOK_URL": "https://shop.example.com/webhooks/twilio/webhook",
    }

    credentials = channel_credentials(env, BASE)

    assert credentials[TELEGRAM_CONNECTOR]["api_url"] == "http://127.0.0.1:8081"
    assert (
        credentials[TWILIO_CONNECTOR]["webhook_url"]
        == "https://shop.example.com/webhooks/twilio/webhook"
    )


@pytest.mark.parametrize("secret", ["has space", "semi;colon", "x" * 257, "pärchen"])
def test_a_telegram_secret_token_telegram_would_refuse_stops_the_start(secret: str) -> None:
    with pytest.raises(ChannelConfigError, match="TELEGRAM_SECRET_TOKEN must be") as error:
        channel_credentials({**TELEGRAM_ENV, "TELEGRAM_SECRET_TOKEN": secret}, BASE)

    assert error.value.missing == ("TELEGRAM_SECRET_TOKEN",)


@pytest.mark.parametrize("number", ["+14155238886", "whatsapp:+14155238886"])
def test_whatsapp_number_makes_twilio_reply_on_whatsapp(number: str) -> None:
    env = {
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_NUMBER": number,
    }

    twilio = channel_credentials(env, BASE)[TWILIO_CONNECTOR]
    assert twilio["twilio_number"] == "whatsapp:+14155238886"


def test_blank_variables_count_as_unset(base: Path) -> None:
    env = {name: " " for name in ALL_ENV}

    assert set(channel_credentials(env, base)) == {"rest", "socketio"}


@pytest.mark.parametrize(
    ("env", "channel", "missing"),
    [
        ({**TELEGRAM_ENV, "TELEGRAM_VERIFY": ""}, "telegram", ("TELEGRAM_VERIFY",)),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://x"},
            "telegram",
            ("TELEGRAM_ACCESS_TOKEN", "TELEGRAM_VERIFY", "TELEGRAM_SECRET_TOKEN"),
        ),
        (
            {k: v for k, v in TELEGRAM_ENV.items() if k != "TELEGRAM_SECRET_TOKEN"},
            "telegram",
            ("TELEGRAM_SECRET_TOKEN",),
        ),
        (
            {"TWILIO_WEBHOOK_URL": "https://x"},
            "twilio",
            ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_NUMBER"),
        ),
        ({"TWILIO_NUMBER": "+15005550006"}, "twilio", ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")),
        (
            {"TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN},
            "twilio",
            ("TWILIO_NUMBER",),
        ),
        ({**FACEBOOK_ENV, "FACEBOOK_SECRET": ""}, "facebook", ("FACEBOOK_SECRET",)),
        ({"SLACK_CHANNEL": "C0SUPPORT"}, "slack", ("SLACK_TOKEN", "SLACK_SIGNING_SECRET")),
        ({"SLACK_TOKEN": SLACK_TOKEN}, "slack", ("SLACK_SIGNING_SECRET",)),
    ],
)
def test_partly_configured_channel_names_the_missing_variable(
    env: Dict[str, str], channel: str, missing: Tuple[str, ...]
) -> None:
    with pytest.raises(ChannelConfigError) as error:
        channel_credentials(env, BASE)

    assert error.value.channel == channel
    assert error.value.missing == missing
    for name in missing:
        assert name in str(error.value)


def test_sms_and_whatsapp_numbers_together_are_refused() -> None:
    env = {**TWILIO_ENV, "TWILIO_WHATSAPP_NUMBER": "+14155238886"}

    with pytest.raises(ChannelConfigError, match="not both"):
        channel_credentials(env, BASE)


def test_written_file_is_private_and_loads_as_rasa_channels(tmp_path: Path) -> None:
    path = write_credentials(load_settings({"BOT_VAR_DIR": str(tmp_path)}), FACEBOOK_ENV)

    assert path == tmp_path / "credentials.yml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = yaml.safe_load(path.read_text())
    assert list(written) == [*yaml.safe_load(BASE.read_text()), FACEBOOK_CONNECTOR]
    (channel,) = create_http_input_channels(FACEBOOK_CONNECTOR, str(path))
    assert channel.name() == "facebook"
    assert list(tmp_path.glob(".credentials-*")) == []


def test_every_messaging_app_is_served_by_the_projects_connector(tmp_path: Path) -> None:
    path = write_credentials(load_settings({"BOT_VAR_DIR": str(tmp_path)}), ALL_ENV)

    channels = {channel.name(): channel for channel in create_http_input_channels(None, str(path))}

    for name, (_, connector) in CONNECTORS.items():
        assert type(channels[name]) is connector, name


def test_rewriting_replaces_a_channel_that_was_switched_off(tmp_path: Path) -> None:
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path)})
    write_credentials(settings, SLACK_ENV)

    path = write_credentials(settings, {})

    assert yaml.safe_load(path.read_text()) == yaml.safe_load(BASE.read_text())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_partly_configured_channel_writes_nothing(tmp_path: Path) -> None:
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path)})

    with pytest.raises(ChannelConfigError):
        write_credentials(settings, {"SLACK_TOKEN": SLACK_TOKEN})

    assert not (tmp_path / "credentials.yml").exists()
    assert list(tmp_path.glob(".credentials-*")) == []


# --- fake provider APIs on loopback -----------------------------------------------------


@dataclass
class ApiCall:
    """One request the connector made to a provider's API."""

    method: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    body: bytes

    def fields(self) -> Dict[str, Any]:
        """The request's parameters, whatever the encoding (JSON, form, multipart)."""
        content_type = self.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            return dict(json.loads(self.body))
        if content_type.startswith("multipart/form-data"):
            message = BytesParser().parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + self.body
            )
            return {
                str(part.get_param("name", header="content-disposition")): bytes(
                    part.get_payload(decode=True)
                ).decode()
                for part in message.walk()
                if not part.is_multipart()
            }
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}


def _provider_response(call: ApiCall) -> Tuple[int, Dict[str, Any]]:
    """What each provider's API answers, in its documented shape."""
    if call.path.startswith("/bot"):  # Telegram Bot API
        method = call.path.rsplit("/", 1)[-1]
        if method == "getMe":
            result: Any = {
                "id": 123456789,
                "is_bot": True,
                "first_name": "Shop",
                "username": TELEGRAM_BOT,
            }
        elif method == "sendMessage":
            sent = call.fields()
            result = {
                "message_id": 2,
                "date": int(time.time()),
                "chat": {"id": int(sent["chat_id"]), "type": "private"},
                "text": sent["text"],
            }
        else:
            result = True
        return 200, {"ok": True, "result": result}
    if call.path.endswith("/Messages.json"):  # Twilio REST API
        sent = call.fields()
        return 201, {
            "sid": "SM" + "1" * 32,
            "account_sid": TWILIO_SID,
            "to": sent["To"],
            "from": sent["From"],
            "body": sent["Body"],
            "status": "queued",
        }
    if call.path.endswith("/me/messages"):  # Facebook Graph API (Send API)
        return 200, {"recipient_id": "USER_PSID", "message_id": "m_reply"}
    if call.path == "/api/chat.postMessage":  # Slack Web API
        return 200, {"ok": True, "channel": "D0123", "ts": "1503435956.000247"}
    return 404, {"error": "unknown endpoint"}


class FakeProviderApi:
    """A loopback HTTP server that records every call and answers like the provider."""

    def __init__(self) -> None:
        self.calls: List[ApiCall] = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                call = ApiCall(
                    method=self.command,
                    path=url.path,
                    query=parse_qs(url.query),
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=self.rfile.read(length),
                )
                calls.append(call)
                status, payload = _provider_response(call)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._handle()

            def do_POST(self) -> None:  # noqa: N802
                self._handle()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def calls_to(self, suffix: str) -> List[ApiCall]:
        """The recorded calls whose path ends with ``suffix``."""
        return [call for call in self.calls if call.path.endswith(suffix)]


def _with_defaults(cls: type, **defaults: Any) -> Callable[..., None]:
    """``cls.__init__`` with library configuration arguments defaulted."""
    original = cls.__init__  # type: ignore[misc]

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        for name, value in defaults.items():
            kwargs.setdefault(name, value)
        original(self, *args, **kwargs)

    return init


@pytest.fixture
def provider_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProviderApi]:
    """Points every provider library at one fake API server on loopback."""
    import fbmessenger
    import twilio.base.client_base
    from aiogram.bot.api import TelegramAPIServer
    from aiogram.bot.base import BaseBot
    from slack_sdk.web.async_client import AsyncWebClient
    from twilio.http.http_client import TwilioHttpClient

    api = FakeProviderApi()
    api.thread.start()
    # aiogram: the Bot's `server` argument (the hook for a local Bot API server).
    monkeypatch.setattr(
        BaseBot, "__init__", _with_defaults(BaseBot, server=TelegramAPIServer.from_base(api.url))
    )

    # twilio: the client's HTTP client, which every API request goes through.
    class LoopbackTwilioHttpClient(TwilioHttpClient):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            return super().request(
                method, url.replace("https://api.twilio.com", api.url), *args, **kwargs
            )

    monkeypatch.setattr(twilio.base.client_base, "TwilioHttpClient", LoopbackTwilioHttpClient)

    # fbmessenger: the client's `graph_url`, which it derives from its API version.
    original_messenger_init = fbmessenger.MessengerClient.__init__

    def messenger_init(self: Any, page_access_token: str, **kwargs: Any) -> None:
        original_messenger_init(self, page_access_token, **kwargs)
        self.graph_url = f"{api.url}/v{self.api_version}"

    monkeypatch.setattr(fbmessenger.MessengerClient, "__init__", messenger_init)
    # slack_sdk: the Web API client's `base_url` argument.
    monkeypatch.setattr(
        AsyncWebClient, "__init__", _with_defaults(AsyncWebClient, base_url=f"{api.url}/api/")
    )
    yield api
    api.server.shutdown()
    api.server.server_close()


# --- the project's connectors on a real Sanic server ------------------------------------


@dataclass
class RecordingAgent:
    """Stands in for Rasa's agent: records each message and replies through its channel."""

    messages: List[UserMessage] = field(default_factory=list)
    replied: threading.Event = field(default_factory=threading.Event)

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_message(message.sender_id, REPLY)
        self.replied.set()


def _generated_channel(tmp_path: Path, env: Mapping[str, str], name: str) -> InputChannel:
    """The input channel Rasa's own loader builds from the generated credentials file."""
    path = write_credentials(load_settings({"BOT_VAR_DIR": str(tmp_path)}), env)
    connector, cls = CONNECTORS[name]
    # What `rasa run --credentials <path> --connector <class path>` builds.
    (channel,) = create_http_input_channels(connector, str(path))
    assert type(channel) is cls
    assert channel.name() == name
    return channel


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets one process start several Sanic apps, as Rasa's own tests do."""
    monkeypatch.setattr(Sanic, "test_mode", True)


@dataclass
class Served:
    """A channel served on loopback."""

    url: str
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Runs a coroutine on the server's event loop, as Rasa's HTTP API would."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)


@contextmanager
def serving(channel: InputChannel, agent: RecordingAgent) -> Iterator[Served]:
    """Serves the channel like ``rasa run`` does; yields its webhook URL."""
    app = Sanic(f"messaging_{channel.name()}_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = agent
    # Registered before the server's loop runs, as in `rasa run`.
    register([channel], app, route="/webhooks/")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stopping = asyncio.Event()
    failures: List[BaseException] = []

    async def serve() -> None:
        server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()
        try:
            await server.before_start()
        except Exception as error:
            failures.append(error)
            started.set()
            return
        await server.after_start()
        started.set()
        await stopping.wait()
        await server.before_stop()
        for connection in server.connections:
            connection.close_if_idle()
        server.close()
        await server.wait_closed()
        await server.after_stop()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "the Sanic server did not start"
    if failures:
        thread.join(10)
        sock.close()
        raise failures[0]
    try:
        yield Served(f"http://127.0.0.1:{port}/webhooks/{channel.name()}/webhook", loop)
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(10)
        sock.close()


# --- provider webhooks, in the shapes the providers document ----------------------------


def telegram_update(text: str) -> Dict[str, Any]:
    user = {"id": 1111111, "is_bot": False, "first_name": "Jane", "username": "janedoe"}
    return {
        "update_id": 10000,
        "message": {
            "message_id": 1365,
            "from": {**user, "language_code": "en"},
            "chat": {**user, "type": "private"},
            "date": 1441645532,
            "text": text,
        },
    }


def twilio_sms(text: str, sender: str = "+447700900123") -> Dict[str, str]:
    return {
        "ToCountry": "US",
        "SmsMessageSid": "SM" + "2" * 32,
        "NumMedia": "0",
        "SmsSid": "SM" + "2" * 32,
        "SmsStatus": "received",
        "ToCity": "",
        "FromZip": "",
        "Body": text,
        "FromCountry": "GB",
        "To": TWILIO_ENV["TWILIO_NUMBER"],
        "NumSegments": "1",
        "MessageSid": "SM" + "2" * 32,
        "AccountSid": TWILIO_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def twilio_headers(url: str, form: Dict[str, str], token: str = TWILIO_TOKEN) -> Dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(token).compute_signature(url, form),
    }


def facebook_event(text: str) -> Dict[str, Any]:
    return {
        "object": "page",
        "entry": [
            {
                "id": "PAGE_ID",
                "time": 1458692752478,
                "messaging": [
                    {
                        "sender": {"id": "USER_PSID"},
                        "recipient": {"id": "PAGE_ID"},
                        "timestamp": 1458692752478,
                        "message": {"mid": "m_mid.1457764197618:41d102a3e1ae206a38", "text": text},
                    }
                ],
            }
        ],
    }


def facebook_headers(body: bytes, secret: str = FACEBOOK_SECRET) -> Dict[str, str]:
    sha1 = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    sha256 = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Hub-Signature": f"sha1={sha1}",
        "X-Hub-Signature-256": f"sha256={sha256}",
    }


def slack_event(text: str) -> Dict[str, Any]:
    return {
        "token": "verification-token",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "event": {
            "type": "message",
            "channel": "D0123",
            "user": "U2147483697",
            "text": text,
            "ts": "1355517523.000005",
            "event_ts": "1355517523.000005",
            "channel_type": "im",
        },
        "type": "event_callback",
        "event_id": "Ev0001",
        "event_time": 1355517523,
        "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
    }


def slack_headers(body: bytes, secret: str = SLACK_SECRET) -> Dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }


def _json(payload: Dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def telegram_headers(secret: str = TELEGRAM_SECRET) -> Dict[str, str]:
    return {"Content-Type": "application/json", SECRET_TOKEN_HEADER: secret}


# --- a customer's message reaches the assistant and the reply reaches the provider -------


def test_telegram_webhook_is_registered_with_its_secret_when_the_server_starts(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    channel = _generated_channel(tmp_path, TELEGRAM_ENV, "telegram")
    channel.blueprint(RecordingAgent().handle_message)
    assert provider_api.calls == [], "nothing is sent before the server runs"

    with serving(channel, RecordingAgent()):
        (registered,) = provider_api.calls_to("/setWebhook")

    assert registered.path == f"/bot{TELEGRAM_TOKEN}/setWebhook"
    assert registered.fields() == {
        "url": TELEGRAM_ENV["TELEGRAM_WEBHOOK_URL"],
        "secret_token": TELEGRAM_SECRET,
    }
    assert [call.path.rsplit("/", 1)[-1] for call in provider_api.calls] == ["getMe", "setWebhook"]


def test_a_token_of_another_bot_stops_the_start(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    from rasa.shared.exceptions import InvalidConfigException

    channel = _generated_channel(
        tmp_path, {**TELEGRAM_ENV, "TELEGRAM_VERIFY": "someone_elses_bot"}, "telegram"
    )

    with (
        pytest.raises(InvalidConfigException, match="someone_elses_bot"),
        serving(channel, RecordingAgent()),
    ):
        pass

    assert provider_api.calls_to("/setWebhook") == []


def test_telegram_api_url_points_the_bot_at_a_self_hosted_bot_api_server(
    tmp_path: Path,
) -> None:
    local_api = FakeProviderApi()
    local_api.thread.start()
    try:
        env = {**TELEGRAM_ENV, "TELEGRAM_API_URL": local_api.url}
        channel = _generated_channel(tmp_path, env, "telegram")
        agent = RecordingAgent()
        with serving(channel, agent) as served:
            answer = requests.post(
                served.url, json=telegram_update("hi"), headers=telegram_headers(), timeout=10
            )
            assert agent.replied.wait(10)
    finally:
        local_api.server.shutdown()
        local_api.server.server_close()

    assert answer.status_code == 200
    assert [call.path.rsplit("/", 1)[-1] for call in local_api.calls] == [
        "getMe",
        "setWebhook",
        "sendMessage",
    ]


def test_telegram_message_reaches_the_assistant_and_reply_is_sent(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, TELEGRAM_ENV, "telegram")

    with serving(channel, agent) as served:
        answer = requests.post(
            served.url,
            json=telegram_update("Where is my order?"),
            headers=telegram_headers(),
            timeout=10,
        )
        assert agent.replied.wait(10)

    # Rasa 3.6's connector answers 500 here: its Bot's session was made on a
    # loop that `asyncio.run()` had already closed ("Event loop is closed").
    assert answer.status_code == 200
    assert [(m.sender_id, m.text, m.input_channel) for m in agent.messages] == [
        ("1111111", "Where is my order?", "telegram")
    ]
    (sent,) = provider_api.calls_to("/sendMessage")
    assert sent.path == f"/bot{TELEGRAM_TOKEN}/sendMessage"
    assert sent.fields() == {"chat_id": "1111111", "text": REPLY}


def test_an_agent_reply_reaches_the_telegram_chat_through_the_latest_channel(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    channel = _generated_channel(tmp_path, TELEGRAM_ENV, "telegram")

    with serving(channel, RecordingAgent()) as served:
        # What Rasa's HTTP API does for POST /conversations/…/tracker/events
        # with output_channel=latest: ask the input channel for an output channel.
        served.run(
            channel.get_output_channel().send_text_message("1111111", "Hi, Sam here.\n\nOne sec.")
        )
        served.run(channel.get_output_channel().send_text_message("1111111", "Found it."))

    assert [call.fields() for call in provider_api.calls_to("/sendMessage")] == [
        {"chat_id": "1111111", "text": "Hi, Sam here."},
        {"chat_id": "1111111", "text": "One sec."},
        {"chat_id": "1111111", "text": "Found it."},
    ]
    assert len(provider_api.calls_to("/setWebhook")) == 1, "replies do not re-register the webhook"


def test_an_update_the_assistant_does_not_answer_is_acknowledged(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, TELEGRAM_ENV, "telegram")
    sticker = telegram_update("")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "CAACAgIAAxkBAAE", "width": 512, "height": 512}

    with serving(channel, agent) as served:
        answer = requests.post(served.url, json=sticker, headers=telegram_headers(), timeout=10)

    # A 2xx, or Telegram would deliver the update again and again.
    assert answer.status_code == 200
    assert agent.messages == []


@pytest.mark.parametrize(
    ("env", "sender", "reply_from"),
    [
        (TWILIO_ENV, "+447700900123", "+15005550006"),
        (
            {
                **{k: v for k, v in TWILIO_ENV.items() if k != "TWILIO_NUMBER"},
                "TWILIO_WHATSAPP_NUMBER": "+14155238886",
            },
            "whatsapp:+447700900123",
            "whatsapp:+14155238886",
        ),
    ],
    ids=["sms", "whatsapp"],
)
def test_twilio_message_reaches_the_assistant_and_reply_is_sent(
    tmp_path: Path,
    provider_api: FakeProviderApi,
    env: Dict[str, str],
    sender: str,
    reply_from: str,
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, env, "twilio")

    with serving(channel, agent) as served:
        form = twilio_sms("I'd like to return my boots", sender=sender)
        answer = requests.post(
            served.url, data=form, headers=twilio_headers(served.url, form), timeout=10
        )
        assert agent.replied.wait(10)

    assert answer.status_code == 204
    assert [(m.sender_id, m.text, m.input_channel) for m in agent.messages] == [
        (sender, "I'd like to return my boots", "twilio")
    ]
    (sent,) = provider_api.calls_to("/Messages.json")
    assert sent.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert sent.fields() == {"To": sender, "From": reply_from, "Body": REPLY}
    assert sent.headers["authorization"].startswith("Basic ")


def test_twilio_behind_a_proxy_checks_the_signature_of_the_public_url(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    public = "https://shop.example.com/webhooks/twilio/webhook"
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, {**TWILIO_ENV, "TWILIO_WEBHOOK_URL": public}, "twilio")
    form = twilio_sms("Where is ORD-100001?")

    with serving(channel, agent) as served:
        signed_for_local = requests.post(
            served.url, data=form, headers=twilio_headers(served.url, form), timeout=10
        )
        signed_for_public = requests.post(
            served.url, data=form, headers=twilio_headers(public, form), timeout=10
        )
        assert agent.replied.wait(10)

    assert (signed_for_local.status_code, signed_for_public.status_code) == (403, 204)
    assert [m.text for m in agent.messages] == ["Where is ORD-100001?"]


def test_facebook_message_reaches_the_assistant_and_reply_is_sent(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, FACEBOOK_ENV, "facebook")

    with serving(channel, agent) as served:
        body = _json(facebook_event("My parcel arrived damaged"))
        answer = requests.post(served.url, data=body, headers=facebook_headers(body), timeout=10)

    assert answer.status_code == 200
    assert [(m.sender_id, m.text, m.input_channel) for m in agent.messages] == [
        ("USER_PSID", "My parcel arrived damaged", "facebook")
    ]
    sends = provider_api.calls_to("/me/messages")
    assert all(call.query["access_token"] == [FACEBOOK_PAGE_TOKEN] for call in sends)
    messages = [call.fields() for call in sends]
    assert {"recipient": {"id": "USER_PSID"}, "sender_action": "typing_on"} in messages
    assert {
        "messaging_type": "RESPONSE",
        "notification_type": "REGULAR",
        "recipient": {"id": "USER_PSID"},
        "message": {"text": REPLY},
    } in messages


def test_every_message_of_a_facebook_batch_reaches_the_assistant(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, FACEBOOK_ENV, "facebook")
    batch = facebook_event("Hello")
    second = facebook_event("Where is ORD-100001?")["entry"][0]
    second["messaging"][0]["sender"] = {"id": "OTHER_PSID"}
    batch["entry"][0]["messaging"].append(
        {**batch["entry"][0]["messaging"][0], "message": {"mid": "m_2", "text": "Still there?"}}
    )
    batch["entry"].append(second)

    with serving(channel, agent) as served:
        body = _json(batch)
        answer = requests.post(served.url, data=body, headers=facebook_headers(body), timeout=10)

    assert answer.status_code == 200
    assert [(m.sender_id, m.text) for m in agent.messages] == [
        ("USER_PSID", "Hello"),
        ("USER_PSID", "Still there?"),
        ("OTHER_PSID", "Where is ORD-100001?"),
    ]


def test_facebook_signature_sha1_counts_only_when_meta_sends_no_sha256(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, FACEBOOK_ENV, "facebook")
    body = _json(facebook_event("Hi"))
    sha1_only = {k: v for k, v in facebook_headers(body).items() if k != "X-Hub-Signature-256"}
    wrong_sha256 = {
        **facebook_headers(body),
        "X-Hub-Signature-256": facebook_headers(body, secret="wrong")["X-Hub-Signature-256"],
    }

    with serving(channel, agent) as served:
        refused = requests.post(served.url, data=body, headers=wrong_sha256, timeout=10)
        accepted = requests.post(served.url, data=body, headers=sha1_only, timeout=10)

    assert (refused.status_code, accepted.status_code) == (403, 200)
    assert [m.text for m in agent.messages] == ["Hi"]


def test_facebook_subscription_check_needs_the_verify_token(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    channel = _generated_channel(tmp_path, FACEBOOK_ENV, "facebook")
    check = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}

    with serving(channel, RecordingAgent()) as served:
        right = requests.get(
            served.url,
            params={**check, "hub.verify_token": FACEBOOK_ENV["FACEBOOK_VERIFY"]},
            timeout=10,
        )
        wrong = requests.get(served.url, params={**check, "hub.verify_token": "guess"}, timeout=10)

    assert (right.status_code, right.text) == (200, "1158201444")
    assert wrong.status_code == 403
    assert "1158201444" not in wrong.text


def test_slack_message_reaches_the_assistant_and_reply_is_sent(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, SLACK_ENV, "slack")

    with serving(channel, agent) as served:
        body = _json(slack_event("Can I speak to a person?"))
        answer = requests.post(served.url, data=body, headers=slack_headers(body), timeout=10)
        assert agent.replied.wait(10)

    assert answer.status_code == 200
    assert [(m.sender_id, m.text, m.input_channel) for m in agent.messages] == [
        ("U2147483697", "Can I speak to a person?", "slack")
    ]
    (sent,) = provider_api.calls_to("/chat.postMessage")
    assert sent.headers["authorization"] == f"Bearer {SLACK_TOKEN}"
    assert sent.fields()["channel"] == "D0123"
    assert sent.fields()["text"] == REPLY


def test_slack_url_verification_is_answered(tmp_path: Path, provider_api: FakeProviderApi) -> None:
    channel = _generated_channel(tmp_path, SLACK_ENV, "slack")
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = _json({"token": "t", "challenge": challenge, "type": "url_verification"})

    with serving(channel, RecordingAgent()) as served:
        answer = requests.post(served.url, data=body, headers=slack_headers(body), timeout=10)

    assert answer.status_code == 200
    assert answer.json() == challenge


# --- forged or malformed webhooks are refused and nothing is processed -------------------


def _forged(provider: str, url: str, how: str) -> Dict[str, Any]:
    """A webhook request with a wrong or missing signature (Telegram: secret token)."""
    if provider == "telegram":
        # Telegram's only authenticity proof is the X-Telegram-Bot-Api-Secret-Token
        # header set with setWebhook(secret_token=…); a forger does not know it.
        headers = telegram_headers("a-guessed-secret") if how == "wrong" else {}
        return {"json": telegram_update("forged"), "headers": headers}
    if provider == "twilio":
        form = twilio_sms("forged")
        headers = twilio_headers(url, form, token="wrong-token")
        if how == "missing":
            del headers["X-Twilio-Signature"]
        return {"data": form, "headers": headers}
    if provider == "facebook":
        body = _json(facebook_event("forged"))
        headers = facebook_headers(body, secret="wrong-secret")
        if how == "missing":
            headers = {"Content-Type": "application/json"}
        return {"data": body, "headers": headers}
    body = _json(slack_event("forged"))
    headers = slack_headers(body, secret="wrong-secret")
    if how == "missing":
        headers = {"Content-Type": "application/json"}
    return {"data": body, "headers": headers}


PROVIDER_ENV = {
    "telegram": TELEGRAM_ENV,
    "twilio": TWILIO_ENV,
    "facebook": FACEBOOK_ENV,
    "slack": SLACK_ENV,
}
PROVIDER_SENDS = {
    "telegram": "/sendMessage",
    "twilio": "/Messages.json",
    "facebook": "/me/messages",
    "slack": "/chat.postMessage",
}


@pytest.mark.parametrize("how", ["wrong", "missing"])
@pytest.mark.parametrize("provider", ["telegram", "twilio", "facebook", "slack"])
def test_forged_webhook_is_refused(
    tmp_path: Path, provider_api: FakeProviderApi, provider: str, how: str
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, PROVIDER_ENV[provider], provider)

    with serving(channel, agent) as served:
        answer = requests.post(served.url, timeout=10, **_forged(provider, served.url, how))
        time.sleep(0.3)  # Slack hands messages to a background task

    assert answer.status_code == 403
    assert agent.messages == []
    assert provider_api.calls_to(PROVIDER_SENDS[provider]) == []


def test_slack_refuses_a_correctly_signed_but_stale_call(
    tmp_path: Path, provider_api: FakeProviderApi
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, SLACK_ENV, "slack")
    body = _json(slack_event("replayed"))
    stale = str(int(time.time()) - 600)
    digest = hmac.new(SLACK_SECRET.encode(), f"v0:{stale}:".encode() + body, hashlib.sha256)
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stale,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }

    with serving(channel, agent) as served:
        answer = requests.post(served.url, data=body, headers=headers, timeout=10)
        time.sleep(0.3)

    assert answer.status_code == 403
    assert agent.messages == []


def _without(payload: Dict[str, Any], *path: str) -> Dict[str, Any]:
    """A deep copy of ``payload`` without the field at ``path``."""
    copy = json.loads(json.dumps(payload))
    parent = copy
    for key in path[:-1]:
        parent = parent[key][0] if isinstance(parent[key], list) else parent[key]
    del parent[path[-1]]
    return copy


def _signed(provider: str, url: str, body: bytes) -> Dict[str, Any]:
    if provider == "telegram":
        return {"data": body, "headers": telegram_headers()}
    if provider == "facebook":
        return {"data": body, "headers": facebook_headers(body)}
    return {"data": body, "headers": slack_headers(body)}


MALFORMED_BODIES = [
    ("telegram", b"{not json"),
    ("telegram", b"[1, 2]"),
    ("telegram", _json(_without(telegram_update("hi"), "update_id"))),
    ("telegram", _json(_without(telegram_update("hi"), "message", "chat"))),
    ("telegram", _json({"update_id": 1, "message": "hi"})),
    ("facebook", b"{not json"),
    ("facebook", _json({"object": "page"})),
    ("facebook", _json(_without(facebook_event("hi"), "entry", "messaging", "sender"))),
    ("facebook", _json({"object": "page", "entry": ["hi"]})),
    ("slack", b"{not json"),
    ("slack", b"[]"),
    ("slack", _json(_without(slack_event("hi"), "event", "user"))),
    ("slack", _json({**slack_event("hi"), "event": "hi"})),
]


@pytest.mark.parametrize(("provider", "body"), MALFORMED_BODIES)
def test_malformed_webhook_is_refused(
    tmp_path: Path, provider_api: FakeProviderApi, provider: str, body: bytes
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, PROVIDER_ENV[provider], provider)

    with serving(channel, agent) as served:
        answer = requests.post(served.url, timeout=10, **_signed(provider, served.url, body))
        time.sleep(0.3)

    assert answer.status_code == 400
    assert agent.messages == []
    assert provider_api.calls_to(PROVIDER_SENDS[provider]) == []


@pytest.mark.parametrize(
    "form",
    [
        {"AccountSid": TWILIO_SID, "Body": "no sender"},
        {k: v for k, v in twilio_sms("x").items() if k != "Body"},
        {**twilio_sms("x"), "From": ""},
    ],
    ids=["no-sender", "no-body", "blank-sender"],
)
def test_malformed_twilio_message_is_refused(
    tmp_path: Path, provider_api: FakeProviderApi, form: Dict[str, str]
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, TWILIO_ENV, "twilio")

    with serving(channel, agent) as served:
        answer = requests.post(
            served.url, data=form, headers=twilio_headers(served.url, form), timeout=10
        )

    assert answer.status_code == 400
    assert agent.messages == []
    assert provider_api.calls_to("/Messages.json") == []


@pytest.mark.parametrize(
    "form", [{}, {"payload": "{not json"}, {"payload": "[1]"}], ids=["none", "not-json", "list"]
)
def test_malformed_slack_interaction_is_refused(
    tmp_path: Path, provider_api: FakeProviderApi, form: Dict[str, str]
) -> None:
    agent = RecordingAgent()
    channel = _generated_channel(tmp_path, SLACK_ENV, "slack")
    body = urlencode(form).encode()
    headers = {**slack_headers(body), "Content-Type": "application/x-www-form-urlencoded"}

    with serving(channel, agent) as served:
        answer = requests.post(served.url, data=body, headers=headers, timeout=10)
        time.sleep(0.3)

    assert answer.status_code == 400
    assert agent.messages == []
