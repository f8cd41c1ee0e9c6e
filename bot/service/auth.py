"""Agent authentication: signed session tokens, cookies with CSRF double-submit, roles.

A token is an HS256 JWT signed with ``settings.agent_session_key`` with claims
``sub`` (agent id), ``name``, ``role`` and ``exp``. API clients send it as
``Authorization: Bearer <token>``; the console gets it in the HttpOnly cookie
``agent_session``. A cookie-authenticated request that changes something must
also send the header ``X-CSRF-Token`` equal to the readable cookie ``agent_csrf``,
which a page on another site cannot read.

Every request re-reads the agent, so a deactivated agent or a changed role
takes effect at once.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Deque, Dict, Optional

import jwt
from aiohttp import web

from bot.db.models import Agent, AgentRole, utcnow
from bot.db.repositories.agents import get_active_agent
from bot.handoff.service import Actor
from bot.service.views.common import SETTINGS, in_transaction

SESSION_COOKIE = "agent_session"
CSRF_COOKIE = "agent_csrf"
CSRF_HEADER = "X-CSRF-Token"
TOKEN_LIFETIME = timedelta(hours=12)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
AGENT_REQUEST_KEY = "agent"
ALGORITHM = "HS256"


class AuthError(Exception):
    """Base class of authentication and authorisation errors."""

    details: Dict[str, Any] = {}


class NotAuthenticatedError(AuthError):
    """No valid token came with the request (HTTP 401)."""

    def __init__(self, message: str = "Please log in.") -> None:
        super().__init__(message)


class ForbiddenError(AuthError):
    """The agent is logged in but may not do this (HTTP 403)."""


class TooManyAttemptsError(AuthError):
    """Too many failed log-ins for one name (HTTP 429)."""

    def __init__(self) -> None:
        super().__init__(
            "Too many failed attempts for this name. Please wait a few minutes and try again."
        )


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says about its agent."""

    agent_id: int
    name: str
    role: str


def actor_of(agent: Agent) -> Actor:
    """The acting agent as the use cases see it."""
    return Actor(id=agent.id, name=agent.name, role=agent.role)


def issue_token(key: str, agent: Actor, now: Optional[datetime] = None) -> str:
    """Signs a session token for ``agent``, valid for twelve hours.

    Args:
        key: ``settings.agent_session_key``.
        agent: The agent who logged in.
        now: Issue time; the current time by default.
    """
    issued = now or utcnow()
    payload = {
        "sub": str(agent.id),
        "name": agent.name,
        "role": agent.role.value,
        "iat": int(issued.timestamp()),
        "exp": int((issued + TOKEN_LIFETIME).timestamp()),
    }
    return str(jwt.encode(payload, key, algorithm=ALGORITHM))


def read_token(key: str, token: str) -> TokenClaims:
    """Checks a token's signature and expiry and returns its claims.

    Raises:
        NotAuthenticatedError: When the token is malformed, forged or expired.
    """
    try:
        payload = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
        agent_id = int(payload["sub"])
    except jwt.ExpiredSignatureError:
        raise NotAuthenticatedError("Your session has expired; please log in again.") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise NotAuthenticatedError("Please log in again.") from None
    return TokenClaims(
        agent_id=agent_id, name=str(payload.get("name", "")), role=str(payload.get("role", ""))
    )


def _bearer_token(request: web.Request) -> Optional[str]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def check_csrf(request: web.Request) -> None:
    """Rejects a cookie-authenticated change without the matching CSRF header.

    Raises:
        ForbiddenError: When the header is missing or differs from the cookie.
    """
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not header or not hmac.compare_digest(cookie, header):
        raise ForbiddenError(
            "This request is missing its security token; please reload the page and try again."
        )


async def authenticate(request: web.Request) -> Actor:
    """Returns the agent making the request.

    Raises:
        NotAuthenticatedError: Without a valid token, or for an agent who is
            no longer active.
        ForbiddenError: For a cookie-authenticated change without the CSRF header.
    """
    token = _bearer_token(request)
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotAuthenticatedError()
        check_csrf(request)
    claims = read_token(request.app[SETTINGS].agent_session_key, token)

    def load(session: Any) -> Optional[Actor]:
        agent = get_active_agent(session, claims.agent_id)
        return actor_of(agent) if agent is not None else None

    actor = await in_transaction(request, load)
    if actor is None:
        raise NotAuthenticatedError("This account is no longer active; please log in again.")
    return actor


def current_agent(request: web.Request) -> Actor:
    """Returns the agent the middleware authenticated for this request.

    Raises:
        NotAuthenticatedError: When the request was not authenticated.
    """
    actor = request.get(AGENT_REQUEST_KEY)
    if not isinstance(actor, Actor):
        raise NotAuthenticatedError()
    return actor


def require_admin(request: web.Request) -> Actor:
    """Returns the current agent if they are an admin.

    Raises:
        ForbiddenError: For an agent without the admin role.
    """
    actor = current_agent(request)
    if actor.role != AgentRole.ADMIN:
        raise ForbiddenError("Only an admin can see or do this.")
    return actor


def set_session_cookies(request: web.Request, response: web.StreamResponse, token: str) -> None:
    """Sets the HttpOnly session cookie and the readable CSRF cookie.

    Both are ``SameSite=Strict``; they are ``Secure`` over HTTPS and always in
    production, where TLS ends at a proxy in front of the service.
    """
    max_age = int(TOKEN_LIFETIME.total_seconds())
    secure = request.secure or request.app[SETTINGS].environment == "production"
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        max_age=max_age,
        path="/",
        httponly=False,
        samesite="Strict",
        secure=secure,
    )


def clear_session_cookies(response: web.StreamResponse) -> None:
    """Removes both session cookies."""
    response.del_cookie(SESSION_COOKIE, path="/")
    response.del_cookie(CSRF_COOKIE, path="/")


class LoginThrottle:
    """Counts failed log-ins per name and blocks the name after too many.

    Args:
        max_failures: Failures allowed within ``window_seconds``.
        window_seconds: How long a failure counts.
    """

    def __init__(self, max_failures: int = 5, window_seconds: float = 300.0) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._failures: Dict[str, Deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, name: str, now: Optional[float] = None) -> None:
        """Raises when ``name`` has failed too often recently.

        Raises:
            TooManyAttemptsError: When the name is blocked for now.
        """
        with self._lock:
            key = name.lower()
            recent = self._recent(key, now)
            if not recent:
                del self._failures[key]
            elif len(recent) >= self._max:
                raise TooManyAttemptsError()

    def failed(self, name: str, now: Optional[float] = None) -> None:
        """Records a failed log-in for ``name``."""
        with self._lock:
            self._recent(name.lower(), now).append(time.monotonic() if now is None else now)

    def succeeded(self, name: str) -> None:
        """Forgets the failures of ``name`` after a successful log-in."""
        with self._lock:
            self._failures.pop(name.lower(), None)

    def _recent(self, key: str, now: Optional[float]) -> Deque[float]:
        moment = time.monotonic() if now is None else now
        recent = self._failures.setdefault(key, deque())
        while recent and moment - recent[0] > self._window:
            recent.popleft()
        return recent


LOGIN_THROTTLE: web.AppKey[LoginThrottle] = web.AppKey("login_throttle", LoginThrottle)
