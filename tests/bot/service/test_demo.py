"""The demo shop page and its demo customer's token."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import AsyncIterator, Dict

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.identity.tokens import verify_customer_token
from bot.service.app import init_app
from bot.settings import Settings, load_settings
from tests.bot.service.conftest import AGENT_KEY, RASA_SECRET, FakeRasa
from tests.support.database import database_url_of

CUSTOMER_SECRET = "customer-secret-for-tests"


def _settings(
    tmp_path: Path, fake_rasa: FakeRasa, service_engine: object, **extra: str
) -> Settings:
    env: Dict[str, str] = {
        "BOT_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url_of(service_engine),  # type: ignore[arg-type]
        "BOT_HOST": "127.0.0.1",
        "RASA_PORT": str(fake_rasa.port),
        "RASA_JWT_SECRET": RASA_SECRET,
        "AGENT_SESSION_KEY": AGENT_KEY,
        "CUSTOMER_TOKEN_SECRET": CUSTOMER_SECRET,
        "EVENT_BROKER_URL": f"sqlite:///{tmp_path / 'events.db'}",
    }
    env.update(extra)
    return load_settings(env)


@pytest.fixture
async def seeded(service_engine: object) -> None:
    from bot.db.engine import session_scope
    from bot.db.seed import seed_demo

    with session_scope(service_engine) as session:  # type: ignore[arg-type]
        seed_demo(session, date.today())


@asynccontextmanager
async def _client(settings: Settings) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(init_app(settings, consume_events=False))) as client:
        yield client


async def test_the_demo_page_points_the_widget_at_rasa_and_runs_no_inline_script(
    client: TestClient, settings: Settings
) -> None:
    response = await client.get("/demo")
    assert response.status == 200
    html = await response.text()
    assert f'data-socket-url="{settings.rasa_url}"' in html
    assert 'src="/widget.js"' in html
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    assert all('src="' in attributes and not body.strip() for attributes, body in scripts)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert f"connect-src 'self' {settings.rasa_url} ws://127.0.0.1:{settings.rasa_port};" in policy


async def test_the_public_rasa_url_reaches_the_page_and_its_policy(
    tmp_path: Path, fake_rasa: FakeRasa, service_engine: object
) -> None:
    settings = _settings(
        tmp_path, fake_rasa, service_engine, PUBLIC_RASA_URL="https://chat.shop.example/"
    )
    async with _client(settings) as client:
        response = await client.get("/demo")
        assert 'data-socket-url="https://chat.shop.example"' in await response.text()
        policy = response.headers["Content-Security-Policy"]
        assert "connect-src 'self' https://chat.shop.example wss://chat.shop.example;" in policy
        console = await client.get("/console")
        assert "wss://chat.shop.example" in console.headers["Content-Security-Policy"]


async def test_the_demo_customer_gets_a_signed_token(
    client: TestClient, seeded: None, service_engine: object
) -> None:
    from bot.db.engine import session_scope
    from bot.db.repositories.customers import find_customer_by_email

    response = await client.post("/api/demo/customer-token")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["name"] == "Jane Doe"
    assert body["email"] == "jane.doe@example.com"
    assert body["expires_in"] == 3600
    with session_scope(service_engine) as session:  # type: ignore[arg-type]
        jane = find_customer_by_email(session, "jane.doe@example.com")
        assert jane is not None
        jane_id = jane.id
    assert verify_customer_token(body["token"], CUSTOMER_SECRET) == jane_id
    assert verify_customer_token(body["token"], "another-shops-secret") is None


async def test_without_the_seeded_customer_the_token_is_refused_with_the_fix(
    client: TestClient,
) -> None:
    response = await client.post("/api/demo/customer-token")
    assert response.status == 404
    assert "seed-demo" in (await response.json())["error"]


async def test_with_the_demo_switched_off_there_is_no_page_and_no_token(
    tmp_path: Path, fake_rasa: FakeRasa, service_engine: object, seeded: None
) -> None:
    settings = _settings(tmp_path, fake_rasa, service_engine, DEMO_ENABLED="false")
    async with _client(settings) as client:
        page = await client.get("/demo")
        assert page.status == 404
        assert "switched off" in await page.text()
        token = await client.post("/api/demo/customer-token")
        assert token.status == 404
        assert "token" not in await token.json()


def test_the_demo_is_on_in_development_and_off_in_production(tmp_path: Path) -> None:
    secret = "Zq8vN2rT5wX1yB4cE7gJ0kM3pS6uV9aD"
    production = {
        "BOT_ENV": "production",
        "BOT_VAR_DIR": str(tmp_path),
        "RASA_JWT_SECRET": secret + "r",
        "AGENT_SESSION_KEY": secret + "a",
        "CUSTOMER_TOKEN_SECRET": secret + "c",
        "DATABASE_URL": "postgresql://shop:Kf83jd92LmQp47Xz@db.internal:5432/shop",
        "TRACKER_STORE_URL": "postgresql://shop:Kf83jd92LmQp47Xz@db.internal:5432/tracker",
        "EVENT_BROKER_URL": "amqp://shop:Kf83jd92LmQp47Xz@mq.internal:5672/",
        "LOCK_STORE_URL": "redis://redis.internal:6379/1",
        "SOCKETIO_REDIS_URL": "redis://redis.internal:6379/2",
    }
    assert load_settings({"BOT_VAR_DIR": str(tmp_path)}).demo_enabled is True
    assert load_settings(production).demo_enabled is False
    assert load_settings({**production, "DEMO_ENABLED": "yes"}).demo_enabled is True
