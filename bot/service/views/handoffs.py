"""The handoff queue API: list tickets, read and send messages, claim, resolve."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from aiohttp import web
from sqlalchemy.orm import Session

from bot.db.models import HandoffMessage, HandoffStatus
from bot.db.repositories.agents import get_agent
from bot.db.repositories.handoffs import get_ticket, list_tickets, messages_since
from bot.handoff.service import TicketNotFoundError
from bot.service.auth import current_agent
from bot.service.views.common import (
    HANDOFFS,
    MAX_ID,
    InvalidRequestError,
    in_transaction,
    json_object,
    json_response,
    path_id,
    query_int,
)
from bot.service.views.presenters import message_json, ticket_json

STATUS_FILTERS = {status.value: status for status in HandoffStatus}


def _status_filter(request: web.Request) -> Optional[HandoffStatus]:
    raw = request.query.get("status", "").strip().lower()
    if not raw or raw == "all":
        return None
    if raw not in STATUS_FILTERS:
        raise InvalidRequestError(
            f"status must be one of {', '.join(STATUS_FILTERS)} (or left out for all)."
        )
    return STATUS_FILTERS[raw]


def _ticket(session: Session, ticket_id: int) -> Dict[str, Any]:
    ticket = get_ticket(session, ticket_id)
    if ticket is None:
        raise TicketNotFoundError(ticket_id)
    return ticket_json(session, ticket)


async def list_handoffs(request: web.Request) -> web.Response:
    """``GET /api/handoffs?status=waiting|claimed|resolved``: tickets, oldest first."""
    status = _status_filter(request)

    def load(session: Session) -> List[Dict[str, Any]]:
        return [ticket_json(session, ticket) for ticket in list_tickets(session, status)]

    return json_response({"handoffs": await in_transaction(request, load)})


async def show_handoff(request: web.Request) -> web.Response:
    """``GET /api/handoffs/{id}``: one ticket with its context packet."""
    ticket_id = path_id(request)
    return json_response(await in_transaction(request, lambda s: _ticket(s, ticket_id)))


async def list_messages(request: web.Request) -> web.Response:
    """``GET /api/handoffs/{id}/messages?after=N``: the messages after message ``N``."""
    ticket_id = path_id(request)
    after = query_int(request, "after", 0, 0, MAX_ID)

    def load(session: Session) -> List[Dict[str, Any]]:
        if get_ticket(session, ticket_id) is None:
            raise TicketNotFoundError(ticket_id)
        return [
            message_json(
                message, get_agent(session, message.agent_id) if message.agent_id else None
            )
            for message in messages_since(session, ticket_id, after)
        ]

    return json_response({"messages": await in_transaction(request, load)})


async def post_message(request: web.Request) -> web.Response:
    """``POST /api/handoffs/{id}/messages`` with ``{"text"}``: reply to the customer."""
    ticket_id = path_id(request)
    actor = current_agent(request)
    body = await json_object(request)
    message_id = await request.app[HANDOFFS].reply(ticket_id, actor, body.get("text"))

    def load(session: Session) -> Dict[str, Any]:
        message = session.get(HandoffMessage, message_id)
        return message_json(message, get_agent(session, actor.id))

    return json_response(await in_transaction(request, load), status=201)


async def claim_handoff(request: web.Request) -> web.Response:
    """``POST /api/handoffs/{id}/claim``: take a waiting ticket; 409 when someone was faster."""
    ticket_id = path_id(request)
    await request.app[HANDOFFS].claim(ticket_id, current_agent(request))
    return json_response(await in_transaction(request, lambda s: _ticket(s, ticket_id)))


async def resolve_handoff(request: web.Request) -> web.Response:
    """``POST /api/handoffs/{id}/resolve``: hand the conversation back to the assistant."""
    ticket_id = path_id(request)
    await request.app[HANDOFFS].resolve(ticket_id, current_agent(request))
    return json_response(await in_transaction(request, lambda s: _ticket(s, ticket_id)))
