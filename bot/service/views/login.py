"""Log-in, log-out and who am I."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional

from aiohttp import web
from sqlalchemy.orm import Session

from bot.db.repositories.agents import find_agent_by_name
from bot.service.auth import (
    LOGIN_THROTTLE,
    NotAuthenticatedError,
    actor_of,
    clear_session_cookies,
    current_agent,
    issue_token,
    set_session_cookies,
)
from bot.service.passwords import MAX_PASSWORD_LENGTH, dummy_verify, verify_password
from bot.service.views.common import (
    SETTINGS,
    InvalidRequestError,
    in_transaction,
    json_object,
    json_response,
)

WRONG_CREDENTIALS = "That name and password don't match an active agent."


def _identity(actor: Any) -> Dict[str, Any]:
    return {"id": actor.id, "name": actor.name, "role": actor.role.value}


async def login(request: web.Request) -> web.Response:
    """``POST /api/login`` with ``{"name", "password"}``: a token and the session cookies."""
    body = await json_object(request)
    name, password = body.get("name"), body.get("password")
    if not isinstance(name, str) or not name.strip() or not isinstance(password, str):
        raise InvalidRequestError("Please send your name and password.")
    if len(password) > MAX_PASSWORD_LENGTH or len(name) > 200:
        raise NotAuthenticatedError(WRONG_CREDENTIALS)
    throttle = request.app[LOGIN_THROTTLE]
    throttle.check(name)

    def load(session: Session) -> Optional[tuple[Any, str]]:
        agent = find_agent_by_name(session, name)
        if agent is None or not agent.active:
            return None
        return actor_of(agent), agent.password_hash

    found = await in_transaction(request, load)
    if found is None:
        await asyncio.to_thread(dummy_verify, password)
        throttle.failed(name)
        raise NotAuthenticatedError(WRONG_CREDENTIALS)
    actor, password_hash = found
    if not await asyncio.to_thread(verify_password, password, password_hash):
        throttle.failed(name)
        raise NotAuthenticatedError(WRONG_CREDENTIALS)
    throttle.succeeded(name)
    token = issue_token(request.app[SETTINGS].agent_session_key, actor)
    response = json_response({"token": token, "agent": _identity(actor)})
    set_session_cookies(request, response, token)
    return response


async def logout(request: web.Request) -> web.Response:
    """``POST /api/logout``: removes the session cookies."""
    response = json_response({"ok": True})
    clear_session_cookies(response)
    return response


async def me(request: web.Request) -> web.Response:
    """``GET /api/me``: the logged-in agent."""
    return json_response({"agent": _identity(current_agent(request))})
