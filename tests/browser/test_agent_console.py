"""The agent console in headless Chromium: log in, claim, reply, resolve; follow-ups; dashboard."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.browser.conftest import ConsoleService, FakeRasa, RasaRequest, WatchedPage

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
PASSWORD = "correct horse battery"
REPLY = "Hello Jane, I'm so sorry about the wait. I've checked ORD-100001 and it leaves today."
BACK_WITH_ASSISTANT = "You're back with the assistant"
NOTES = "Called Jane back; replacement sent."
MINUS = "\N{MINUS SIGN}"
IMAGE_LOADED = (
    "id => { const i = document.getElementById(id); return i.complete && i.naturalWidth > 0; }"
)


def _expect() -> Any:
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    return expect


def _log_in(page: Any, url: str, path: str, name: str, password: str) -> None:
    page.goto(f"{url}{path}")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def _events_request(conversation_id: str, wanted: Dict[str, Any]):  # type: ignore[no-untyped-def]
    def matches(request: RasaRequest) -> bool:
        return request.path == f"/conversations/{conversation_id}/tracker/events" and any(
            all(event.get(key) == value for key, value in wanted.items())
            for event in request.events()
        )

    return matches


def test_agent_logs_in_claims_replies_and_hands_back(
    console_service: ConsoleService,
    fake_rasa: FakeRasa,
    watched_page: WatchedPage,
    screenshot_dir: Path,
) -> None:
    expect = _expect()
    page = watched_page.page
    name = f"Priya {uuid.uuid4().hex[:6]}"
    agent_id = console_service.create_agent(name, PASSWORD, "agent")
    jane = console_service.customer_id("jane.doe@example.com")
    conversation_id = f"browser-{uuid.uuid4().hex}"
    ticket_id = console_service.create_ticket(
        conversation_id,
        "strongly negative message",
        customer_id=jane,
        transcript=[
            {"sender": "customer", "text": "Where is ORD-100001?", "at": "2024-05-02T10:01:00Z"},
            {"sender": "bot", "text": "It is on its way.", "at": "2024-05-02T10:01:02Z"},
            {"sender": "customer", "text": XSS, "at": "2024-05-02T10:02:00Z"},
            {
                "sender": "customer",
                "text": "STILL WAITING, third time asking!!! Mail me at [email]",
                "at": "2024-05-02T10:03:00Z",
            },
        ],
        not_understood=["the parcel thing again " + XSS],
        last_intents=["order_status", "complaint", "request_human"],
    )

    # A wrong password is refused with a clear message and no session.
    _log_in(page, console_service.url, "/console", name, "not the password")
    expect(page.get_by_role("alert")).to_contain_text("don't match")
    expect(page.locator("#app")).to_be_hidden()
    page.screenshot(path=str(screenshot_dir / "console-login.png"))

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#who-name")).to_have_text(f"{name} (agent)")

    # The ticket waits in the queue; selecting it shows the context packet.
    ticket_button = page.locator(f'#waiting-list [data-ticket-id="{ticket_id}"]')
    expect(ticket_button).to_contain_text("Jane Doe")
    expect(ticket_button).to_contain_text("strongly negative message")
    ticket_button.click()
    expect(page.locator("#ticket-title")).to_have_text("Jane Doe")
    expect(page.locator("#context-facts")).to_contain_text("strongly negative message")
    expect(page.locator("#recent-orders")).to_contain_text("ORD-10000")
    expect(page.locator("#sentiment-timeline li")).to_have_count(4)
    expect(page.locator("#sentiment-timeline")).to_contain_text(f"{MINUS}0.86 negative")
    expect(page.locator("#last-intents")).to_contain_text("request_human")
    expect(page.locator("#transcript")).to_contain_text("STILL WAITING, third time asking!!!")
    expect(page.locator("#reply-button")).to_be_disabled()

    # A live customer message that looks like HTML is shown as text, never run.
    console_service.customer_says(ticket_id, XSS, f"test:{uuid.uuid4().hex}")
    live_customer = page.locator("#live-messages .message-customer .message-text")
    expect(live_customer).to_have_text(XSS)
    expect(page.locator("#transcript .message-text").filter(has_text="onerror")).to_have_text(XSS)
    expect(page.locator("#not-understood")).to_contain_text(XSS)
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#ticket img").count() == 0
    page.screenshot(path=str(screenshot_dir / "console-queue.png"), full_page=True)

    # Claim, then reply: the reply reaches Rasa as a bot event and shows in the transcript.
    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator("#ticket-summary")).to_contain_text("Claimed by you")
    expect(page.locator(f'#claimed-list [data-ticket-id="{ticket_id}"]')).to_be_visible()
    expect(page.locator("#reply-text")).to_be_focused()
    page.get_by_label("Reply to the customer").fill(REPLY)
    page.get_by_role("button", name="Send reply").click()
    agent_message = page.locator("#live-messages .message-agent")
    expect(agent_message.locator(".message-text")).to_have_text(REPLY)
    expect(agent_message.locator(".message-sender")).to_have_text(name)
    expect(page.locator("#reply-text")).to_have_value("")

    sent = fake_rasa.wait_for(_events_request(conversation_id, {"event": "bot", "text": REPLY}))
    assert sent.method == "POST"
    assert sent.query == {"output_channel": "latest", "execute_side_effects": "true"}
    assert sent.token_claims is not None and sent.token_claims["user"]["role"] == "admin"
    page.screenshot(path=str(screenshot_dir / "console-reply.png"), full_page=True)

    # Resolve and hand back: Rasa gets the resume event and the customer is told.
    page.get_by_role("button", name="Resolve and hand back").click()
    expect(page.locator("#ticket-summary")).to_have_attribute("data-status", "resolved")
    expect(page.locator("#status")).to_contain_text("Handed back to the assistant")
    expect(page.locator(f'[data-ticket-id="{ticket_id}"]')).to_have_count(0)
    expect(page.locator("#reply-button")).to_be_disabled()
    resumed = fake_rasa.wait_for(_events_request(conversation_id, {"event": "resume"}))
    assert any(
        event.get("event") == "bot" and BACK_WITH_ASSISTANT in str(event.get("text"))
        for event in resumed.events()
    )
    assert resumed.query == {"output_channel": "latest", "execute_side_effects": "true"}
    page.screenshot(path=str(screenshot_dir / "console-resolved.png"), full_page=True)

    state = console_service.ticket_state(ticket_id)
    assert state["status"] == "resolved"
    assert state["claimed_by_id"] == agent_id
    assert ("agent", REPLY) in state["messages"]
    assert ("customer", XSS) in state["messages"]
    assert watched_page.dialogs == []
    assert watched_page.errors == []


def test_follow_ups_can_be_assigned_annotated_and_closed(
    console_service: ConsoleService, watched_page: WatchedPage, screenshot_dir: Path
) -> None:
    from bot.db.repositories.follow_ups import get_follow_up, raise_follow_up

    expect = _expect()
    page = watched_page.page
    name = f"Admin {uuid.uuid4().hex[:6]}"
    admin_id = console_service.create_agent(name, PASSWORD, "admin")
    jane = console_service.customer_id("jane.doe@example.com")
    with console_service.session() as session:
        urgent = raise_follow_up(
            session, f"fu-{uuid.uuid4().hex}", "complaint", 90, customer_id=jane
        ).id
        calm = raise_follow_up(
            session, f"fu-{uuid.uuid4().hex}", "message at or below the sentiment threshold", 15
        ).id

    _log_in(page, console_service.url, "/console/followups", name, PASSWORD)
    rows = page.locator("#followups-body tr")
    expect(rows.first).to_have_attribute("data-followup-id", str(urgent))
    expect(page.locator(f'tr[data-followup-id="{calm}"]')).to_be_visible()
    priorities = [int(text) for text in page.locator("#followups-body .priority").all_inner_texts()]
    assert priorities == sorted(priorities, reverse=True)
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", "/api/followups.csv?status=open"
    )

    page.get_by_label(f"Assignee of follow-up {urgent}", exact=True).select_option(label=name)
    expect(page.locator("#status")).to_contain_text(f"assigned to {name}")
    page.get_by_label(f"Notes of follow-up {urgent}", exact=True).fill(NOTES)
    page.get_by_role("button", name=f"Save notes of follow-up {urgent}").click()
    expect(page.locator("#status")).to_contain_text("saved")
    page.get_by_label(f"Status of follow-up {urgent}", exact=True).select_option("done")
    expect(page.locator("#status")).to_contain_text("now done")
    page.screenshot(path=str(screenshot_dir / "console-followups.png"), full_page=True)

    with console_service.session() as session:
        item = get_follow_up(session, urgent)
        assert item is not None
        assert item.status.value == "done"
        assert item.assignee_id == admin_id
        assert item.notes == NOTES

    # The open list no longer shows the finished item.
    page.get_by_role("button", name="Refresh").click()
    expect(page.locator(f'tr[data-followup-id="{urgent}"]')).to_have_count(0)
    assert watched_page.errors == []


def test_dashboard_shows_numbers_and_charts_to_admins_only(
    console_service: ConsoleService, browser: Any, watched_page: WatchedPage, screenshot_dir: Path
) -> None:
    expect = _expect()
    page = watched_page.page
    admin = f"Boss {uuid.uuid4().hex[:6]}"
    console_service.create_agent(admin, PASSWORD, "admin")
    console_service.create_ticket(
        f"dash-{uuid.uuid4().hex}",
        "verification locked",
        customer_id=None,
        transcript=[],
        not_understood=[],
        last_intents=["order_status"],
    )

    _log_in(page, console_service.url, "/console/dashboard", admin, PASSWORD)
    expect(page.locator("#headline .card")).to_have_count(9)
    expect(page.locator("#headline")).to_contain_text("Conversations")
    expect(page.locator("#reasons-table")).to_contain_text("verification locked")
    for chart in ("sentiment", "escalations", "csat"):
        image = page.locator(f"#chart-{chart}")
        expect(image).to_have_attribute("src", re.compile(rf"^/api/metrics/charts/{chart}\.png"))
        page.wait_for_function(IMAGE_LOADED, arg=f"chart-{chart}")
    page.screenshot(path=str(screenshot_dir / "console-dashboard.png"), full_page=True)
    assert watched_page.errors == []

    # An agent without the admin role is told why there are no numbers.
    agent = f"Sam {uuid.uuid4().hex[:6]}"
    console_service.create_agent(agent, PASSWORD, "agent")
    context = browser.new_context()
    try:
        other = context.new_page()
        _log_in(other, console_service.url, "/console/dashboard", agent, PASSWORD)
        expect(other.locator("#status")).to_contain_text("Only an admin can see the dashboard")
        expect(other.locator("#dashboard-content")).to_be_hidden()
        expect(other.get_by_role("link", name="Dashboard")).to_be_hidden()
    finally:
        context.close()
