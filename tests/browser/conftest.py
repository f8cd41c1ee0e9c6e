"""The real bot service, a fake Rasa server and headless Chromium, for tests of the console.

* The bot service runs as ``python -m bot serve --no-consumer`` in a subprocess, on a
  free loopback port, with its own ``BOT_VAR_DIR`` (a fresh SQLite shop database,
  migrated and seeded with the demo shop by ``prepare_database``).
* Rasa is replaced by a small aiohttp server on loopback that records every request
  the service sends to its HTTP API (``RASA_PORT`` points the service at it).
* Customer messages are written to the handoff tables the way the event-broker
  consumer writes them, so no Rasa event broker is needed.
* Chromium is Debian's ``/usr/bin/chromium`` (``scripts/install-browser.sh``), driven
  by Playwright's Python package; Playwright never downloads a browser here.

Without Chromium or Playwright the tests are skipped, except under CI (``CI`` set),
where they fail: CI must install both.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import jwt
import pytest
from aiohttp import web

from bot.settings import PROJECT_ROOT, Settings, load_settings
from tests.conftest import free_port

CHROMIUM_PATH = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = PROJECT_ROOT / "results" / "screenshots"
RASA_JWT_SECRET = "browser-test-rasa-secret-0123456789abcdef"
AGENT_SESSION_KEY = "browser-test-agent-session-key-0123456789abcdef"
SERVICE_START_SECONDS = 60.0


def _missing_browser_tools() -> Optional[str]:
    if not os.access(CHROMIUM_PATH, os.X_OK):
        return f"{CHROMIUM_PATH} is missing: run scripts/install-browser.sh as root"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed in this environment"
    return None


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium; skips (fails under CI) when it or Playwright is missing."""
    missing = _missing_browser_tools()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run under CI, but {missing}")
        pytest.skip(missing)
    return CHROMIUM_PATH


# ---- fake Rasa ----------------------------------------------------------------------


@dataclass
class RasaRequest:
    """One request the bot service sent to the (fake) Rasa HTTP API."""

    method: str
    path: str
    query: Dict[str, str]
    body: Any
    token_claims: Optional[Dict[str, Any]]

    def events(self) -> List[Dict[str, Any]]:
        """The events of a ``tracker/events`` request."""
        return list(self.body) if isinstance(self.body, list) else []


@dataclass
class FakeRasa:
    """A loopback HTTP server that answers like Rasa's HTTP API and records each request."""

    port: int = 0
    requests: List[RasaRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: RasaRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def received(self) -> List[RasaRequest]:
        with self._lock:
            return list(self.requests)

    def wait_for(
        self, matches: Callable[[RasaRequest], bool], timeout: float = 10.0
    ) -> RasaRequest:
        """Returns the first recorded request that ``matches``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            for request in self.received():
                if matches(request):
                    return request
            if time.monotonic() > deadline:
                raise AssertionError(
                    "Rasa never received the expected request; it got: "
                    + json.dumps([r.__dict__ for r in self.received()], default=str)
                )
            time.sleep(0.05)


def _fake_rasa_app(fake: FakeRasa) -> web.Application:
    async def tracker_events(request: web.Request) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        body = await request.json()
        fake.record(
            RasaRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                body=body,
                token_claims=_claims(request),
            )
        )
        return web.json_response({"sender_id": conversation_id, "events": body, "paused": False})

    async def tracker(request: web.Request) -> web.Response:
        return web.json_response({"sender_id": request.match_info["conversation_id"], "events": []})

    app = web.Application()
    app.router.add_post("/conversations/{conversation_id}/tracker/events", tracker_events)
    app.router.add_get("/conversations/{conversation_id}/tracker", tracker)
    return app


def _claims(request: web.Request) -> Optional[Dict[str, Any]]:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        claims: Dict[str, Any] = jwt.decode(token, RASA_JWT_SECRET, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return None
    return claims


@pytest.fixture(scope="module")
def fake_rasa() -> Iterator[FakeRasa]:
    """The fake Rasa server, running in its own thread and event loop."""
    fake = FakeRasa(port=free_port())
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_fake_rasa_app(fake), access_log=None)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", fake.port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="fake-rasa", daemon=True)
    thread.start()
    assert started.wait(10), "the fake Rasa server did not start"
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# ---- the bot service ----------------------------------------------------------------


@dataclass
class ConsoleService:
    """The running bot service and direct access to its database."""

    url: str
    settings: Settings
    process: subprocess.Popen  # type: ignore[type-arg]
    log_path: Path
    engine: Any

    def session(self) -> Any:
        from bot.db.engine import session_scope

        return session_scope(self.engine)

    def create_agent(self, name: str, password: str, role: str = "agent") -> int:
        """Adds an agent the way ``python -m bot agents create`` does; returns the id."""
        from bot.db.models import AgentRole
        from bot.db.repositories.agents import create_agent
        from bot.service.passwords import hash_password

        with self.session() as session:
            return int(create_agent(session, name, hash_password(password), AgentRole(role)).id)

    def customer_id(self, email: str) -> int:
        from bot.db.repositories.customers import find_customer_by_email

        with self.session() as session:
            customer = find_customer_by_email(session, email)
            assert customer is not None, f"the demo shop has no customer {email}"
            return int(customer.id)

    def create_ticket(
        self,
        conversation_id: str,
        reason: str,
        *,
        customer_id: Optional[int],
        transcript: List[Dict[str, Any]],
        not_understood: List[str],
        last_intents: List[str],
        channel: str = "rest",
    ) -> int:
        """Queues a waiting ticket with a context packet in the shape of the contract."""
        from bot.db.repositories.handoffs import create_ticket

        with self.session() as session:
            context = context_packet(
                session,
                customer_id,
                reason=reason,
                transcript=transcript,
                not_understood=not_understood,
                last_intents=last_intents,
                channel=channel,
            )
            ticket = create_ticket(
                session,
                conversation_id,
                reason,
                context,
                channel=channel,
                customer_id=customer_id,
                now=datetime.now(timezone.utc) - timedelta(minutes=4),
            )
            return int(ticket.id)

    def customer_says(self, ticket_id: int, text: str, source_id: str) -> None:
        """Records a customer message as the event-broker consumer does."""
        from bot.db.models import HandoffSender
        from bot.db.repositories.handoffs import add_message, get_ticket

        with self.session() as session:
            ticket = get_ticket(session, ticket_id)
            assert ticket is not None
            add_message(session, ticket, HandoffSender.CUSTOMER, text, source_id)

    def ticket_state(self, ticket_id: int) -> Dict[str, Any]:
        from bot.db.repositories.handoffs import get_ticket

        with self.session() as session:
            ticket = get_ticket(session, ticket_id)
            assert ticket is not None
            return {
                "status": ticket.status.value,
                "claimed_by_id": ticket.claimed_by_id,
                "messages": [(m.sender.value, m.text) for m in ticket.messages],
            }


def context_packet(
    session: Any,
    customer_id: Optional[int],
    *,
    reason: str,
    transcript: List[Dict[str, Any]],
    not_understood: List[str],
    last_intents: List[str],
    channel: str,
) -> Dict[str, Any]:
    """A context packet as the handoff action stores it, from the demo shop's data."""
    from bot.handoff.context import customer_profile
    from bot.identity.history import load_customer_history

    customer: Optional[Dict[str, Any]] = None
    if customer_id is not None:
        history = load_customer_history(session, customer_id, date.today())
        assert history is not None
        customer = customer_profile(history)
    start = datetime.now(timezone.utc) - timedelta(minutes=10)
    scores = [0.1, -0.35, -0.62, -0.86]
    return {
        "customer": customer,
        "transcript": transcript,
        "sentiment_timeline": [
            {
                "at": (start + timedelta(minutes=2 * i)).isoformat(),
                "score": score,
                "label": _label(score),
            }
            for i, score in enumerate(scores)
        ],
        "reason": reason,
        "last_intents": last_intents,
        "not_understood": not_understood,
        "channel": channel,
    }


def _label(score: float) -> str:
    if score <= -0.05:
        return "negative"
    return "positive" if score >= 0.05 else "neutral"


def _service_env(var_dir: Path, service_port: int, rasa_port: int) -> Dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in (
            "DATABASE_URL",
            "TRACKER_STORE_URL",
            "EVENT_BROKER_URL",
            "LOCK_STORE_URL",
            "BOT_ENV",
        )
    }
    env.update(
        {
            "PYTHONPATH": str(PROJECT_ROOT),
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "BOT_VAR_DIR": str(var_dir),
            "BOT_HOST": "127.0.0.1",
            "SERVICE_PORT": str(service_port),
            "RASA_PORT": str(rasa_port),
            "RASA_JWT_SECRET": RASA_JWT_SECRET,
            "AGENT_SESSION_KEY": AGENT_SESSION_KEY,
            "LOG_LEVEL": "INFO",
        }
    )
    return env


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + SERVICE_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the bot service exited with {process.returncode}:\n{_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the bot service did not answer within 60 s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="module")
def console_service(
    chromium_path: Path, fake_rasa: FakeRasa, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleService]:
    """Starts ``python -m bot serve`` against a fresh demo-shop database and the fake Rasa."""
    from bot.db.bootstrap import prepare_database
    from bot.db.engine import create_engine_for_url

    var_dir = tmp_path_factory.mktemp("console-var")
    port = free_port()
    env = _service_env(var_dir, port, fake_rasa.port)
    settings = load_settings(env)
    prepare_database(settings.database_url)
    log_path = var_dir / "service.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--no-consumer"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    engine = create_engine_for_url(settings.database_url)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log_path)
        yield ConsoleService(
            url=url, settings=settings, process=process, log_path=log_path, engine=engine
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        engine.dispose()


# ---- the browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    """Headless Chromium, launched once per module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class WatchedPage:
    """A browser page, with the dialogs it opened and the script errors it raised."""

    page: Any
    dialogs: List[str] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)


@pytest.fixture
def watched_page(browser: Any) -> Iterator[WatchedPage]:
    """A fresh browser context and page; dialogs are recorded and dismissed."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    watched = WatchedPage(page)

    def on_dialog(dialog: Any) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    try:
        yield watched
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """``results/screenshots/``, created on first use."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
