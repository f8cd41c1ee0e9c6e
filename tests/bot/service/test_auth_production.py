"""Agent console cookies are Secure, HttpOnly and SameSite in production."""

from __future__ import annotations

import dataclasses

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.service.auth import CSRF_COOKIE, SESSION_COOKIE, set_session_cookies
from bot.service.views.common import SETTINGS
from bot.settings import load_settings


def cookies_for(environment: str, tmp_path) -> dict:
    settings = dataclasses.replace(
        load_settings({"BOT_VAR_DIR": str(tmp_path / "var")}), environment=environment
    )
    app = web.Application()
    app[SETTINGS] = settings
    request = make_mocked_request("POST", "/api/login", app=app)  # plain HTTP behind a proxy
    response = web.Response()
    set_session_cookies(request, response, "token")
    return response.cookies


def test_production_cookies_are_secure_even_when_tls_ends_at_the_proxy(tmp_path):
    cookies = cookies_for("production", tmp_path)

    session, csrf = cookies[SESSION_COOKIE], cookies[CSRF_COOKIE]
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Strict")
    assert (csrf["secure"], csrf["samesite"]) == (True, "Strict")
    assert not csrf["httponly"]  # the console reads it for the CSRF header


def test_development_cookies_work_over_plain_http(tmp_path):
    cookies = cookies_for("development", tmp_path)

    assert not cookies[SESSION_COOKIE]["secure"]
    assert cookies[SESSION_COOKIE]["httponly"] is True
