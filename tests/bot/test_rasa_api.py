from __future__ import annotations

import time
from typing import Any, AsyncIterator, Dict, List

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.rasa_api import RasaClient, RasaUnavailableError, service_token
from tests.conftest import free_port

SECRET = "rasa-secret-for-the-client-test"


class FakeRasa:
    def __init__(self) -> None:
        self.seen: List[Dict[str, Any]] = []
        self.status = 200

    async def append(self, request: web.Request) -> web.Response:
        self.seen.append(
            {
                "path": request.raw_path.split("?")[0],
                "query": request.query_string,
                "auth": request.headers.get("Authorization", ""),
                "body": await request.json(),
            }
        )
        if self.status != 200:
            return web.json_response({"message": "nope"}, status=self.status)
        return web.json_response({"sender_id": request.match_info["id"], "paused": False})

    async def tracker(self, request: web.Request) -> web.Response:
        self.seen.append({"path": request.raw_path, "auth": request.headers["Authorization"]})
        return web.json_response({"sender_id": request.match_info["id"], "events": []})


@pytest.fixture
async def rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/conversations/{id}/tracker/events", fake.append)
    app.router.add_get("/conversations/{id}/tracker", fake.tracker)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield fake, f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


def claims_of(header: str) -> Dict[str, Any]:
    assert header.startswith("Bearer ")
    return dict(jwt.decode(header.removeprefix("Bearer "), SECRET, algorithms=["HS256"]))


async def test_append_events_posts_them_with_side_effects_and_a_valid_jwt(
    rasa: tuple[FakeRasa, str],
) -> None:
    fake, url = rasa
    events = [{"event": "bot", "text": "Hello from Sam", "metadata": {"agent": "Sam"}}]
    async with aiohttp.ClientSession() as http:
        tracker = await RasaClient(url + "/", SECRET, http).append_events("conv 42/a", events)
    assert tracker == {"sender_id": "conv 42/a", "paused": False}
    [request] = fake.seen
    assert request["path"] == "/conversations/conv%2042%2Fa/tracker/events"
    assert request["query"] == "output_channel=latest&execute_side_effects=true"
    assert request["body"] == events
    claims = claims_of(request["auth"])
    assert claims["user"] == {"username": "bot-service", "role": "admin"}
    assert time.time() < claims["exp"] <= time.time() + 300


async def test_side_effects_and_channel_can_be_chosen(rasa: tuple[FakeRasa, str]) -> None:
    fake, url = rasa
    async with aiohttp.ClientSession() as http:
        await RasaClient(url, SECRET, http).append_events(
            "c1", [{"event": "resume"}], output_channel="rest", execute_side_effects=False
        )
    assert fake.seen[0]["query"] == "output_channel=rest&execute_side_effects=false"


async def test_get_tracker(rasa: tuple[FakeRasa, str]) -> None:
    fake, url = rasa
    async with aiohttp.ClientSession() as http:
        tracker = await RasaClient(url, SECRET, http).get_tracker("conv-7")
    assert tracker == {"sender_id": "conv-7", "events": []}
    assert fake.seen[0]["path"] == "/conversations/conv-7/tracker"
    assert claims_of(fake.seen[0]["auth"])["user"]["role"] == "admin"


@pytest.mark.parametrize("status", [401, 500])
async def test_an_error_answer_raises(rasa: tuple[FakeRasa, str], status: int) -> None:
    fake, url = rasa
    fake.status = status
    async with aiohttp.ClientSession() as http:
        with pytest.raises(RasaUnavailableError, match=f"HTTP {status}"):
            await RasaClient(url, SECRET, http).append_events("c1", [{"event": "resume"}])


async def test_an_unreachable_server_raises() -> None:
    async with aiohttp.ClientSession() as http:
        client = RasaClient(f"http://127.0.0.1:{free_port()}", SECRET, http, timeout_seconds=2)
        with pytest.raises(RasaUnavailableError, match="failed"):
            await client.append_events("c1", [{"event": "resume"}])


def test_a_token_signed_with_another_secret_does_not_verify() -> None:
    token = service_token(SECRET, now=1_700_000_000)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "other", algorithms=["HS256"], options={"verify_exp": False})
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["exp"] == 1_700_000_300
