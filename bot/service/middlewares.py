"""Middlewares: JSON errors, authentication of every API route, security headers.

:data:`ERROR_STATUSES` is the one place where domain errors become HTTP statuses.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any, Awaitable, Callable, Dict, Tuple, Type
from urllib.parse import urlsplit

from aiohttp import web

from bot.db.repositories.agents import AgentExistsError, InvalidAgentNameError
from bot.handoff.service import (
    ClaimLostError,
    DeliveryFailedError,
    InvalidReplyError,
    NotTicketOwnerError,
    TicketNotClaimedError,
    TicketNotFoundError,
    TicketResolvedError,
)
from bot.service.auth import (
    AGENT_REQUEST_KEY,
    ForbiddenError,
    NotAuthenticatedError,
    TooManyAttemptsError,
    authenticate,
)
from bot.service.passwords import WeakPasswordError
from bot.service.views.common import SETTINGS, InvalidRequestError, NotFoundError
from bot.service.views.widget import HistoryUnavailableError, InvalidChatSessionError
from bot.settings import Settings

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ERROR_STATUSES: Tuple[Tuple[Type[Exception], int], ...] = (
    (InvalidRequestError, 400),
    (InvalidReplyError, 400),
    (WeakPasswordError, 400),
    (InvalidAgentNameError, 400),
    (NotAuthenticatedError, 401),
    (ForbiddenError, 403),
    (InvalidChatSessionError, 403),
    (NotTicketOwnerError, 403),
    (NotFoundError, 404),
    (TicketNotFoundError, 404),
    (ClaimLostError, 409),
    (TicketResolvedError, 409),
    (TicketNotClaimedError, 409),
    (AgentExistsError, 409),
    (TooManyAttemptsError, 429),
    (DeliveryFailedError, 502),
    (HistoryUnavailableError, 503),
)
"""Each domain error and the HTTP status it answers with; the first match wins."""

PUBLIC_API_PATHS = frozenset(
    {"/api/login", "/api/logout", "/api/health", "/api/demo/customer-token"}
)
INTERNAL_ERROR = "Something went wrong on our side. Please try again in a moment."
NOT_FOUND_PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Not found</title></head>"
    "<body><h1>Page not found</h1><p>{message}</p><p><a href='/console'>Go to the console</a></p>"
    "</body></html>"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self' {rasa}; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
# Pages on a shop's own origins call these with the widget: no cookies, the body is the credential.
CROSS_ORIGIN_PATHS = frozenset({"/widget/history"})


def content_security_policy(settings: Settings) -> str:
    """The pages' CSP; ``connect-src`` also allows the Rasa server the widget talks to."""
    parts = urlsplit(settings.browser_rasa_url)
    socket_scheme = "wss" if parts.scheme == "https" else "ws"
    rasa = f"{parts.scheme}://{parts.netloc} {socket_scheme}://{parts.netloc}"
    return CONTENT_SECURITY_POLICY.format(rasa=rasa)


def status_of(error: Exception) -> int:
    """Returns the HTTP status for a domain error; 500 for anything unexpected."""
    for error_type, status in ERROR_STATUSES:
        if isinstance(error, error_type):
            return status
    return 500


def error_body(message: str, details: Dict[str, Any]) -> Dict[str, Any]:
    """The JSON body of an error response."""
    body: Dict[str, Any] = {"error": message}
    body.update(details)
    return body


def _is_api(request: web.Request) -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turns domain errors and HTTP errors of API routes into JSON ``{"error": ...}``."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        if _is_api(request):
            return web.json_response(
                {"error": error.reason}, status=error.status, headers=_allow_header(error)
            )
        if error.status == 404:
            return web.Response(
                text=NOT_FOUND_PAGE.format(message="There is no page at this address."),
                status=404,
                content_type="text/html",
            )
        raise
    except Exception as error:
        status = status_of(error)
        if status == 500:
            logger.exception("Unexpected error on %s %s", request.method, request.path)
            return web.json_response({"error": INTERNAL_ERROR}, status=500)
        details = getattr(error, "details", {}) or {}
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        if status == 404 and not _is_api(request):
            return web.Response(
                text=NOT_FOUND_PAGE.format(message=escape(str(error))),
                status=404,
                content_type="text/html",
            )
        return web.json_response(error_body(str(error), details), status=status, headers=headers)


def _allow_header(error: web.HTTPException) -> Dict[str, str]:
    allow = error.headers.get("Allow")
    return {"Allow": allow} if allow else {}


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Requires a logged-in agent on every API route except log-in, log-out and health."""
    if _is_api(request) and request.path not in PUBLIC_API_PATHS:
        request[AGENT_REQUEST_KEY] = await authenticate(request)
    return await handler(request)


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Adds headers that keep pages out of frames and API answers out of caches."""
    response = await handler(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault(
        "Content-Security-Policy", content_security_policy(request.app[SETTINGS])
    )
    if _is_api(request):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def cross_origin_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Lets the widget on a shop's pages read the answers (errors too) of its endpoints."""
    response = await handler(request)
    if request.path in CROSS_ORIGIN_PATHS:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def setup_middlewares(app: web.Application) -> None:
    """Installs the middlewares, outermost first."""
    app.middlewares.extend(
        [security_headers_middleware, cross_origin_middleware, error_middleware, auth_middleware]
    )
