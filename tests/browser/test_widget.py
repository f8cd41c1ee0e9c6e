"""The website chat widget on the demo page, in headless Chromium, against the real assistant.

The action server, the Rasa server (with the trained model and the project's
``credentials.yml``, so the widget talks to the real ``SecureSocketIOInput``)
and the bot service run as subprocesses on free ports with their own
``BOT_VAR_DIR``. An agent works the queue through the bot service's HTTP API,
as the console does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import requests

from bot.db.engine import get_engine, session_scope
from bot.db.models import AgentRole, SatisfactionRating
from bot.db.repositories.agents import create_agent
from bot.runtime.processes import Supervisor, action_server_spec, rasa_server_spec, service_spec
from bot.service.passwords import hash_password
from bot.service.views.widget import WIDGET_DIR
from bot.settings import Settings, load_settings
from tests.browser.conftest import WatchedPage
from tests.conftest import free_port

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.server]

AGENT = "Sam"
AGENT_PASSWORD = "a-long-widget-test-password-42"
XSS = "<img src=x onerror=alert(1)>"
AGENT_REPLY = "Hi Jane, Sam here. I've checked ORD-100001: https://shop.example/track/100001"
SESSION_KEY_PREFIX = "shop-support-chat:"


@dataclass
class Stack:
    """The running assistant and an agent's API session."""

    settings: Settings
    agent_token: str = ""

    @property
    def demo_url(self) -> str:
        return f"{self.settings.service_url}/demo"

    def agent(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = requests.request(
            method,
            f"{self.settings.service_url}{path}",
            headers={"Authorization": f"Bearer {self.agent_token}"},
            timeout=60,
            **kwargs,
        )
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response


@pytest.fixture(scope="module")
def widget_bundle() -> Path:
    """``build/widget/widget.js``, which ``make widget`` builds (``make test`` does it first)."""
    bundle = WIDGET_DIR / "widget.js"
    if not bundle.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{bundle} is missing: CI must build the widget (make widget)")
        pytest.skip("the chat widget is not built; run `make widget`")
    return bundle


@pytest.fixture(scope="module")
def stack(
    chromium_path: Path,
    widget_bundle: Path,
    trained_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    from bot.db.bootstrap import prepare_database

    var_dir = tmp_path_factory.mktemp("widget-var")
    settings = load_settings(
        {
            "BOT_ENV": "development",
            "BOT_VAR_DIR": str(var_dir),
            "BOT_HOST": "127.0.0.1",
            "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()),
            "SERVICE_PORT": str(free_port()),
        }
    )
    prepare_database(settings.database_url)
    with session_scope(get_engine(settings.database_url)) as session:
        create_agent(session, AGENT, hash_password(AGENT_PASSWORD), AgentRole.AGENT)
    supervisor = Supervisor(settings, var_dir / "logs")
    try:
        supervisor.start(action_server_spec(settings))
        # Loading the model takes minutes when the machine's two cores are busy.
        supervisor.start(replace(rasa_server_spec(settings, trained_model), startup_timeout=600))
        supervisor.start(service_spec(settings))
        login = requests.post(
            f"{settings.service_url}/api/login",
            json={"name": AGENT, "password": AGENT_PASSWORD},
            timeout=30,
        )
        login.raise_for_status()
        yield Stack(settings, login.json()["token"])
    finally:
        supervisor.stop_all()


def _expect() -> Any:
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    return expect


def _open_widget(page: Any) -> None:
    launcher = page.get_by_role("button", name=re.compile(r"^Open chat"))
    if launcher.is_visible():
        launcher.click()


def _say(page: Any, text: str) -> None:
    page.get_by_label("Type your message").fill(text)
    page.get_by_label("Type your message").press("Enter")


def _conversation_id(page: Any) -> str:
    session = page.evaluate(
        """prefix => {
            const key = Object.keys(localStorage)
                .find(k => k.startsWith(prefix) && k.endsWith(':session'));
            return key ? JSON.parse(localStorage.getItem(key)) : null;
        }""",
        SESSION_KEY_PREFIX,
    )
    assert isinstance(session, str) and "." in session, f"no signed session stored: {session!r}"
    return session.split(".")[0]


def _waiting_ticket(stack: Stack, conversation_id: str) -> Dict[str, Any]:
    waiting = stack.agent("GET", "/api/handoffs", params={"status": "waiting"}).json()
    [ticket] = [t for t in waiting["handoffs"] if t["conversation_id"] == conversation_id]
    return ticket


def test_a_customer_chats_reloads_logs_in_talks_to_an_agent_and_rates_the_help(
    stack: Stack, watched_page: WatchedPage, screenshot_dir: Path
) -> None:
    expect = _expect()
    page = watched_page.page
    log = page.get_by_role("log", name="Conversation")

    # 1. The demo shop page with the widget; open it.
    page.goto(stack.demo_url)
    launcher = page.get_by_role("button", name=re.compile(r"^Open chat"))
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    dialog = page.get_by_role("dialog", name="Customer support")
    expect(dialog).to_be_visible()
    expect(page.get_by_label("Type your message")).to_be_focused()

    # 2. An FAQ: the answer, then the feedback question with its buttons.
    _say(page, "how long do I have to send something back?")
    expect(log.locator(".msg-customer")).to_have_text(
        ["You: how long do I have to send something back?"]
    )
    expect(log).to_contain_text("Did that answer your question?")
    expect(page.get_by_role("group", name="Suggested replies").get_by_role("button")).to_have_count(
        2
    )
    answer = log.locator(".msg-bot").first.inner_text()
    assert "days" in answer.lower(), answer
    page.screenshot(path=str(screenshot_dir / "widget-faq.png"))
    conversation_id = _conversation_id(page)

    # 3. Reload: the same conversation, its history shown again (from the server).
    page.reload()
    _open_widget(page)
    expect(log).to_contain_text("how long do I have to send something back?")
    expect(log).to_contain_text("Did that answer your question?")
    expect(log.locator(".msg-bot").first).to_have_text(answer)
    assert _conversation_id(page) == conversation_id

    # 4. Log in as the demo customer; the assistant then reports her own order.
    switch = page.get_by_role("switch", name="Log in as a demo customer")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(page.locator("#demo-login-status")).to_have_text("Logged in as Jane Doe.")
    _say(page, "where is my order?")
    expect(log).to_contain_text("Which order is it about?")  # her recent orders, as buttons
    _say(page, "ORD-100001")
    status = log.locator(".msg-bot").filter(has_text="ORD-100001")
    expect(status.first).to_be_visible()
    expect(status.first).not_to_contain_text("email")
    expect(log).not_to_contain_text("6-digit code")  # the signed token replaces the code
    assert _conversation_id(page) == conversation_id
    page.screenshot(path=str(screenshot_dir / "widget-order-status.png"))

    # 5. A person: the conversation is queued; the agent claims it and replies.
    _say(page, "I need to talk to a person, not a bot")
    expect(log).to_contain_text("in the queue")
    ticket = _waiting_ticket(stack, conversation_id)
    page.get_by_label("Type your message").press("Escape")  # closed: the reply is unread
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()
    stack.agent("POST", f"/api/handoffs/{ticket['id']}/claim")
    stack.agent("POST", f"/api/handoffs/{ticket['id']}/messages", json={"text": AGENT_REPLY})
    unread = page.get_by_role("button", name="Open chat: Customer support (1 unread message)")
    expect(unread).to_be_visible()
    expect(unread.locator(".badge")).to_have_text("1")
    unread.click()
    expect(launcher.locator(".badge")).to_be_hidden()
    expect(log.locator(".notice")).to_have_text([f"An agent has joined the chat: {AGENT}"])
    agent_message = log.locator(".msg-agent")
    expect(agent_message).to_have_count(1)
    expect(agent_message).to_contain_text(f"{AGENT} · Support team")
    expect(agent_message).to_contain_text("I've checked ORD-100001")
    link = agent_message.get_by_role("link", name="https://shop.example/track/100001")
    expect(link).to_have_attribute("href", "https://shop.example/track/100001")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    page.screenshot(path=str(screenshot_dir / "widget-agent.png"))

    # 6. The agent resolves: back with the assistant, and the customer rates with stars.
    stack.agent("POST", f"/api/handoffs/{ticket['id']}/resolve")
    expect(log.locator(".msg-bot").last).to_contain_text("how would you rate the help")
    expect(log).to_contain_text("You're back with the assistant")
    stars = page.get_by_role("group", name="Rate the help you got, from 1 to 5 stars")
    expect(stars.get_by_role("button")).to_have_count(5)
    page.screenshot(path=str(screenshot_dir / "widget-csat.png"))
    stars.get_by_role("button", name="5 stars out of 5").click()
    expect(log).to_contain_text("Thank you for the 5 stars")
    expect(log.locator(".msg-customer").last).to_have_text("You: 5 ★★★★★")

    with session_scope(get_engine(stack.settings.database_url)) as session:
        rating = (
            session.query(SatisfactionRating)
            .filter(SatisfactionRating.conversation_id == conversation_id)
            .one()
        )
        assert rating.csat == 5
        assert rating.human_involved is True

    # The whole conversation survives another reload, the agent's part still marked.
    page.reload()
    _open_widget(page)
    expect(log.locator(".msg-agent")).to_contain_text("I've checked ORD-100001")
    expect(log.locator(".notice")).to_have_text([f"An agent has joined the chat: {AGENT}"])
    expect(log).to_contain_text("Thank you for the 5 stars")
    expect(log.locator(".msg-customer").filter(has_text="★")).to_have_text(["You: 5 ★★★★★"])
    page.screenshot(path=str(screenshot_dir / "widget-history.png"))
    assert watched_page.dialogs == []
    assert watched_page.errors == []


def test_markup_in_a_message_is_shown_as_text_and_never_runs(
    stack: Stack, watched_page: WatchedPage, screenshot_dir: Path
) -> None:
    expect = _expect()
    page = watched_page.page
    log = page.get_by_role("log", name="Conversation")
    page.goto(stack.demo_url)
    _open_widget(page)

    _say(page, XSS)
    expect(log.locator(".msg-customer")).to_have_text([f"You: {XSS}"])
    expect(log.locator(".msg-bot").first).to_be_visible()
    conversation_id = _conversation_id(page)
    assert page.locator("img").count() == 0

    # The same text from a person, and after a reload from the history, is text too.
    _say(page, "let me talk to a human please")
    expect(log).to_contain_text("in the queue")
    ticket = _waiting_ticket(stack, conversation_id)
    stack.agent("POST", f"/api/handoffs/{ticket['id']}/claim")
    stack.agent(
        "POST",
        f"/api/handoffs/{ticket['id']}/messages",
        json={"text": f"You wrote {XSS} and [this](javascript:alert(2)) is no link"},
    )
    agent_message = log.locator(".msg-agent")
    expect(agent_message).to_contain_text(f"You wrote {XSS}")
    expect(agent_message.get_by_role("link")).to_have_count(0)
    page.reload()
    _open_widget(page)
    expect(log.locator(".msg-customer").first).to_have_text(f"You: {XSS}")
    expect(log.locator(".msg-agent")).to_contain_text("[this](javascript:alert(2))")
    page.screenshot(path=str(screenshot_dir / "widget-markup.png"))

    assert page.locator("img").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert watched_page.dialogs == []
    assert watched_page.errors == []
    stack.agent("POST", f"/api/handoffs/{ticket['id']}/resolve")
