"""The chat widget's script and the history of a chat, served by the bot service."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator, Dict, List

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.session_tokens import ConversationSigner, conversation_key
from bot.service.views import widget
from tests.bot.service.conftest import AGENT_KEY, FakeRasa

CSAT_BUTTONS = [
    {"title": f"{score} {'★' * score}", "payload": f'/rate_conversation{{"csat_score":"{score}"}}'}
    for score in range(1, 6)
]


class TrackerRasa(FakeRasa):
    """A fake Rasa whose trackers hold the events a test gives them."""

    def __init__(self) -> None:
        super().__init__()
        self.trackers: Dict[str, List[Dict[str, Any]]] = {}

    async def handle(self, request: web.Request) -> web.Response:
        response = await super().handle(request)
        if self.status >= 400 or not request.path.endswith("/tracker"):
            return response
        conversation_id = request.match_info["id"]
        return web.json_response(
            {"sender_id": conversation_id, "events": self.trackers.get(conversation_id, [])}
        )


@pytest.fixture
async def fake_rasa() -> AsyncIterator[TrackerRasa]:
    fake = TrackerRasa()
    app = web.Application()
    app.router.add_route("*", "/conversations/{id}/{tail:.*}", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.port = int(server.port or 0)
    try:
        yield fake
    finally:
        await server.close()


def signer(key: str = AGENT_KEY) -> ConversationSigner:
    return ConversationSigner(conversation_key(key))


async def test_the_widget_script_is_javascript_that_browsers_may_cache_and_revalidate(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "widget.js").write_text("console.log('chat');\n", encoding="utf-8")
    monkeypatch.setattr(widget, "WIDGET_DIR", tmp_path)

    response = await client.get("/widget.js")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert await response.text() == "console.log('chat');\n"

    again = await client.get("/widget.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304


async def test_an_unbuilt_widget_gets_a_clear_503(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(widget, "WIDGET_DIR", tmp_path / "missing")
    response = await client.get("/widget.js")
    assert response.status == 503
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Cache-Control"] == "no-store"
    assert "make widget" in await response.text()


async def test_the_history_shows_what_the_customer_saw_for_a_signed_session(
    client: TestClient, fake_rasa: TrackerRasa
) -> None:
    issued = signer().issue()
    fake_rasa.trackers[issued.conversation_id] = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "user", "text": "Where is my order?", "parse_data": {}},
        {
            "event": "bot",
            "text": "Let me check.\n\nWhich order do you mean?",
            "data": {"buttons": [{"title": "ORD-100001", "payload": "/inform"}]},
            "metadata": {"utter_action": "utter_ask_order"},
        },
        {"event": "user", "text": "/inform", "parse_data": {}},
        {"event": "bot", "text": "Here's a photo.", "data": {"image": "https://shop.example/p.png"}},
        {"event": "pause"},
        {"event": "bot", "text": "Hi, Sam here.", "metadata": {"agent": "Sam"}},
        {"event": "resume"},
        {"event": "bot", "text": "How did we do?", "data": {"buttons": CSAT_BUTTONS}},
        {"event": "user", "text": '/rate_conversation{"csat_score":"4"}', "parse_data": {}},
        {"event": "user", "text": "   "},
    ]

    response = await client.post("/widget/history", json={"session": issued.session_token})

    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-store"
    assert (await response.json())["messages"] == [
        {"sender": "customer", "text": "Where is my order?"},
        {"sender": "bot", "text": "Let me check."},
        {
            "sender": "bot",
            "text": "Which order do you mean?",
            "quick_replies": [
                {"content_type": "text", "title": "ORD-100001", "payload": "/inform"}
            ],
        },
        {"sender": "customer", "text": "ORD-100001"},
        {"sender": "bot", "text": "Here's a photo."},
        {
            "sender": "bot",
            "attachment": {"type": "image", "payload": {"src": "https://shop.example/p.png"}},
        },
        {"sender": "bot", "text": "Hi, Sam here.", "metadata": {"agent": "Sam"}},
        {
            "sender": "bot",
            "text": "How did we do?",
            "quick_replies": [{"content_type": "text", **button} for button in CSAT_BUTTONS],
        },
        {"sender": "customer", "text": "4 ★★★★"},
    ]
    [asked] = [r for r in fake_rasa.requests if r.method == "GET"]
    assert asked.path == f"/conversations/{issued.conversation_id}/tracker"


@pytest.mark.parametrize(
    "session",
    [
        "bare-id",
        None,
        42,
        "0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef." + "A" * 43,
    ],
)
async def test_a_session_this_assistant_did_not_sign_reads_nothing(
    client: TestClient, fake_rasa: TrackerRasa, session: Any
) -> None:
    response = await client.post("/widget/history", json={"session": session})
    assert response.status == 403
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "reload the page" in (await response.json())["error"]
    assert fake_rasa.requests == []


async def test_a_session_signed_with_another_key_reads_nothing(
    client: TestClient, fake_rasa: TrackerRasa
) -> None:
    other = signer("another-deployments-session-key").issue()
    fake_rasa.trackers[other.conversation_id] = [{"event": "user", "text": "my address"}]
    response = await client.post("/widget/history", json={"session": other.session_token})
    assert response.status == 403
    assert fake_rasa.requests == []


async def test_the_history_is_politely_unavailable_while_rasa_is_down(
    client: TestClient, fake_rasa: TrackerRasa
) -> None:
    fake_rasa.status = 500
    session = signer().issue().session_token
    response = await client.post("/widget/history", json={"session": session})
    assert response.status == 503
    assert "try again in a moment" in (await response.json())["error"]


async def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    response = await client.post("/widget/history", data="session=abc")
    assert response.status == 400
    assert "JSON object" in (await response.json())["error"]


async def test_shop_pages_on_other_origins_may_ask_for_the_history(client: TestClient) -> None:
    response = await client.options(
        "/widget/history",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    # Agent API answers are still not readable from other origins.
    api = await client.get("/api/health", headers={"Origin": "https://shop.example"})
    assert "Access-Control-Allow-Origin" not in api.headers
