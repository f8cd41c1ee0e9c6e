"""Agents: everyone may list them (to assign follow-ups); admins add new ones."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from aiohttp import web
from sqlalchemy.orm import Session

from bot.db.models import AgentRole
from bot.db.repositories.agents import create_agent, list_agents
from bot.service.auth import require_admin
from bot.service.passwords import check_password_strength, hash_password
from bot.service.views.common import (
    InvalidRequestError,
    in_transaction,
    json_object,
    json_response,
)
from bot.service.views.presenters import agent_json

ROLES = {role.value: role for role in AgentRole}


async def list_all_agents(request: web.Request) -> web.Response:
    """``GET /api/agents``: active agents by name."""

    def load(session: Session) -> List[Dict[str, Any]]:
        return [agent_json(agent) for agent in list_agents(session)]

    return json_response({"agents": await in_transaction(request, load)})


async def add_agent(request: web.Request) -> web.Response:
    """``POST /api/agents`` (admin) with ``{"name", "password", "role"}``."""
    require_admin(request)
    body = await json_object(request)
    name, password, role = body.get("name"), body.get("password"), body.get("role", "agent")
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestError("Please give the new agent a name.")
    if not isinstance(password, str):
        raise InvalidRequestError("Please give the new agent a password.")
    if role not in ROLES:
        raise InvalidRequestError("role must be agent or admin.")
    check_password_strength(password)
    password_hash = await asyncio.to_thread(hash_password, password)

    def create(session: Session) -> Dict[str, Any]:
        return agent_json(create_agent(session, name, password_hash, ROLES[role]))

    return json_response(await in_transaction(request, create), status=201)
