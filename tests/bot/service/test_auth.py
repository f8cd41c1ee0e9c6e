from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from bot.db.models import utcnow
from bot.service import passwords
from bot.service.auth import CSRF_COOKIE, SESSION_COOKIE, LoginThrottle, TooManyAttemptsError
from bot.service.views import pages
from tests.bot.service.conftest import AGENT_KEY, PASSWORD, Team

PROTECTED = [
    ("GET", "/api/handoffs"),
    ("GET", "/api/handoffs/1"),
    ("GET", "/api/handoffs/1/messages"),
    ("POST", "/api/handoffs/1/claim"),
    ("POST", "/api/handoffs/1/messages"),
    ("POST", "/api/handoffs/1/resolve"),
    ("GET", "/api/followups"),
    ("PATCH", "/api/followups/1"),
    ("GET", "/api/followups.csv"),
    ("GET", "/api/metrics"),
    ("GET", "/api/metrics/charts/csat.png"),
    ("GET", "/api/me"),
    ("GET", "/api/agents"),
]
ADMIN_ONLY = [
    ("GET", "/api/metrics"),
    ("GET", "/api/metrics/charts/sentiment.png"),
    ("GET", "/api/followups.csv"),
    ("POST", "/api/agents"),
]


async def login(client: TestClient, name: str, password: str = PASSWORD) -> dict:
    response = await client.post("/api/login", json={"name": name, "password": password})
    assert response.status == 200, await response.text()
    return await response.json()


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_api_route_needs_a_logged_in_agent(
    client: TestClient, team: Team, method: str, path: str
) -> None:
    response = await client.request(method, path, json={})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (await response.json()) == {"error": "Please log in."}


@pytest.mark.parametrize(("method", "path"), ADMIN_ONLY)
async def test_admin_routes_refuse_agents(
    client: TestClient, team: Team, method: str, path: str
) -> None:
    response = await client.request(method, path, headers=team.auth("Sam"), json={})
    assert response.status == 403
    assert (await response.json()) == {"error": "Only an admin can see or do this."}


async def test_login_returns_a_token_and_sets_both_cookies(client: TestClient, team: Team) -> None:
    response = await client.post("/api/login", json={"name": "sam ", "password": PASSWORD})
    assert response.status == 200
    body = await response.json()
    assert body["agent"] == {"id": team.members["Sam"].id, "name": "Sam", "role": "agent"}
    claims = jwt.decode(body["token"], AGENT_KEY, algorithms=["HS256"])
    assert claims["sub"] == str(team.members["Sam"].id)
    assert (claims["name"], claims["role"]) == ("Sam", "agent")
    assert claims["exp"] > utcnow().timestamp() + 3600
    cookies = response.cookies
    assert cookies[SESSION_COOKIE].value == body["token"]
    assert cookies[SESSION_COOKIE]["httponly"] is True
    assert cookies[SESSION_COOKIE]["samesite"] == "Strict"
    assert cookies[CSRF_COOKIE]["samesite"] == "Strict"
    assert not cookies[CSRF_COOKIE]["httponly"]
    assert len(cookies[CSRF_COOKIE].value) >= 32


@pytest.mark.parametrize(
    ("name", "password"),
    [("Sam", "wrong password"), ("Nobody", PASSWORD), ("Sam", ""), ("Sam", "x" * 300)],
)
async def test_wrong_credentials_get_the_same_polite_401(
    client: TestClient, team: Team, name: str, password: str
) -> None:
    response = await client.post("/api/login", json={"name": name, "password": password})
    assert response.status == 401
    assert (await response.json()) == {
        "error": "That name and password don't match an active agent."
    }
    assert SESSION_COOKIE not in response.cookies


async def test_a_deactivated_agent_cannot_log_in_nor_use_an_old_token(
    client: TestClient, team: Team
) -> None:
    token = team.token("Priya")
    team.deactivate("Priya")
    response = await client.post("/api/login", json={"name": "Priya", "password": PASSWORD})
    assert response.status == 401
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 401
    assert "no longer active" in (await response.json())["error"]


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"name": 3, "password": "x"}'])
async def test_login_with_a_bad_body_is_a_400(client: TestClient, team: Team, body: str) -> None:
    response = await client.post(
        "/api/login", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert "error" in await response.json()


async def test_bearer_token_identifies_the_agent(client: TestClient, team: Team) -> None:
    response = await client.get("/api/me", headers=team.auth("Ada"))
    assert response.status == 200
    assert (await response.json())["agent"] == {
        "id": team.members["Ada"].id,
        "name": "Ada",
        "role": "admin",
    }


async def test_forged_and_expired_tokens_are_refused(client: TestClient, team: Team) -> None:
    forged = jwt.encode(
        {"sub": str(team.members["Ada"].id), "role": "admin", "exp": 9999999999},
        "not-the-key",
        algorithm="HS256",
    )
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status == 401
    expired = team.token("Ada", now=utcnow() - timedelta(hours=13))
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status == 401
    assert (await response.json()) == {"error": "Your session has expired; please log in again."}
    unsigned = jwt.encode({"sub": "1", "exp": 9999999999}, None, algorithm="none")
    response = await client.get("/api/me", headers={"Authorization": f"Bearer {unsigned}"})
    assert response.status == 401


async def test_the_role_comes_from_the_database_not_the_token(
    client: TestClient, team: Team
) -> None:
    # A token claiming "admin" for an agent does not make them one.
    claims = {"sub": str(team.members["Sam"].id), "role": "admin", "exp": 9999999999}
    token = jwt.encode(claims, AGENT_KEY, algorithm="HS256")
    response = await client.get("/api/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 403


async def test_cookie_session_needs_the_csrf_header_for_changes(
    client: TestClient, team: Team, make_ticket
) -> None:
    ticket_id = make_ticket("conv-csrf")
    await login(client, "Sam")
    assert (await client.get("/api/me")).status == 200

    response = await client.post(f"/api/handoffs/{ticket_id}/claim")
    assert response.status == 403
    assert "security token" in (await response.json())["error"]

    response = await client.post(
        f"/api/handoffs/{ticket_id}/claim", headers={"X-CSRF-Token": "guessed"}
    )
    assert response.status == 403

    csrf = client.session.cookie_jar.filter_cookies(client.make_url("/"))[CSRF_COOKIE].value
    response = await client.post(f"/api/handoffs/{ticket_id}/claim", headers={"X-CSRF-Token": csrf})
    assert response.status == 200
    assert (await response.json())["claimed_by"]["name"] == "Sam"


async def test_logout_ends_the_cookie_session(client: TestClient, team: Team) -> None:
    await login(client, "Sam")
    response = await client.post("/api/logout")
    assert response.status == 200
    assert (await client.get("/api/me")).status == 401


async def test_repeated_failures_block_the_name_for_a_while(client: TestClient, team: Team) -> None:
    for _ in range(5):
        response = await client.post("/api/login", json={"name": "Ada", "password": "guess"})
        assert response.status == 401
    response = await client.post("/api/login", json={"name": "Ada", "password": PASSWORD})
    assert response.status == 429
    assert "Too many failed attempts" in (await response.json())["error"]
    # Another agent is not affected.
    await login(client, "Sam")


def test_throttle_forgets_old_failures() -> None:
    throttle = LoginThrottle(max_failures=2, window_seconds=60)
    throttle.failed("ada", now=0)
    throttle.failed("ADA", now=1)
    with pytest.raises(TooManyAttemptsError):
        throttle.check("Ada", now=30)
    throttle.check("Ada", now=62)


def test_password_hashes_are_salted_and_checked() -> None:
    first = passwords.hash_password("a long passphrase")
    second = passwords.hash_password("a long passphrase")
    assert first != second
    assert first.startswith("scrypt$")
    assert "a long passphrase" not in first
    assert passwords.verify_password("a long passphrase", first)
    assert passwords.verify_password("a long passphrase", second)
    assert not passwords.verify_password("a long passphras", first)
    assert not passwords.verify_password("a long passphrase", "md5$abc")
    assert not passwords.verify_password("a long passphrase", "")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(passwords.WeakPasswordError, match="at least 8"):
        passwords.hash_password("short")


async def test_health_is_public_and_answers_carry_security_headers(client: TestClient) -> None:
    response = await client.get("/api/health")
    assert response.status == 200
    assert (await response.json()) == {"status": "ok"}
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


async def test_unknown_api_route_is_a_json_404(client: TestClient, team: Team) -> None:
    response = await client.get("/api/nothing-here", headers=team.auth("Sam"))
    assert response.status == 404
    assert (await response.json()) == {"error": "Not Found"}


@pytest.fixture
def static_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "static"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("outside", encoding="utf-8")
    monkeypatch.setattr(pages, "STATIC_DIR", root)
    return root


async def test_console_pages_are_served_from_the_static_directory(
    client: TestClient, static_dir: Path
) -> None:
    (static_dir / "console.html").write_text("<h1>Queue</h1>", encoding="utf-8")
    (static_dir / "console.js").write_text("console.log(1)", encoding="utf-8")
    response = await client.get("/console")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert await response.text() == "<h1>Queue</h1>"
    response = await client.get("/static/console.js")
    assert response.status == 200
    assert await response.text() == "console.log(1)"
    response = await client.get("/", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (302, "/console")


async def test_a_missing_page_is_a_polite_404(client: TestClient, static_dir: Path) -> None:
    for path in ("/console/dashboard", "/console/followups", "/static/missing.js", "/nowhere"):
        response = await client.get(path)
        assert response.status == 404
        assert response.content_type == "text/html"
        assert "Page not found" in await response.text()
    response = await client.get("/console/dashboard")
    assert "not installed yet" in await response.text()


async def test_static_files_cannot_escape_their_directory(
    client: TestClient, static_dir: Path
) -> None:
    url = client.make_url("/static/%2E%2E/secret.txt")
    response = await client.session.get(URL(str(url), encoded=True))
    assert response.status == 404
    assert "outside" not in await response.text()
