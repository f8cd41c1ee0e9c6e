"""What every handler shares: application keys, request errors, JSON and database helpers."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Callable, Dict, Optional, TypeVar

import aiohttp
from aiohttp import web
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.handoff.service import HandoffService, run_in_transaction
from bot.rasa_api import RasaClient
from bot.settings import Settings

T = TypeVar("T")

# The largest id PostgreSQL's INTEGER holds; anything above is simply unknown.
MAX_ID = 2**31 - 1

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
ENGINE: web.AppKey[Engine] = web.AppKey("engine", Engine)
HTTP: web.AppKey[aiohttp.ClientSession] = web.AppKey("http", aiohttp.ClientSession)
RASA: web.AppKey[RasaClient] = web.AppKey("rasa", RasaClient)
HANDOFFS: web.AppKey[HandoffService] = web.AppKey("handoffs", HandoffService)


class RequestError(Exception):
    """Base class of errors in what the client sent or asked for."""

    details: Dict[str, Any] = {}


class InvalidRequestError(RequestError):
    """The request body or a parameter is not usable (HTTP 400)."""


class NotFoundError(RequestError):
    """The thing asked for does not exist (HTTP 404)."""


async def in_transaction(request: web.Request, work: Callable[[Session], T]) -> T:
    """Runs ``work(session)`` in one committed transaction, in a worker thread.

    Args:
        request: The current request (for the application's engine).
        work: Reads or changes the database; its result is returned.
    """
    return await asyncio.to_thread(run_in_transaction, request.app[ENGINE], work)


async def json_object(request: web.Request) -> Dict[str, Any]:
    """Returns the request body as a JSON object.

    Raises:
        InvalidRequestError: When the body is not a JSON object.
    """
    try:
        body = await request.json()
    except ValueError:
        raise InvalidRequestError("Please send a JSON object in the request body.") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("Please send a JSON object in the request body.")
    return body


def path_id(request: web.Request, name: str = "id") -> int:
    """Returns a numeric id from the URL path.

    Raises:
        NotFoundError: When it is not a usable id (the route only matches digits).
    """
    raw = request.match_info[name]
    value = int(raw) if raw.isdigit() else 0
    if not 0 < value <= MAX_ID:
        raise NotFoundError("There is nothing with that id.")
    return value


def query_int(request: web.Request, name: str, default: int, minimum: int, maximum: int) -> int:
    """Returns an integer query parameter within bounds.

    Raises:
        InvalidRequestError: When it is not a whole number in the range.
    """
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequestError(f"{name} must be a whole number.") from None
    if not minimum <= value <= maximum:
        raise InvalidRequestError(f"{name} must be from {minimum} to {maximum}.")
    return value


def iso(moment: Optional[datetime]) -> Optional[str]:
    """Formats a timestamp for JSON (ISO 8601 with offset), or ``None``."""
    return moment.isoformat() if moment is not None else None


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON response that is never cached."""
    return web.json_response(data, status=status, headers={"Cache-Control": "no-store"})
