"""Support-team agents who log in to the console and work the handoff queue.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction. Passwords arrive already hashed
(:mod:`bot.service.passwords`).
"""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import Agent, AgentRole, utcnow

MAX_NAME_LENGTH = 80


class InvalidAgentNameError(ValueError):
    """A name is empty or too long."""


class AgentExistsError(ValueError):
    """Another agent already has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"An agent called {name!r} already exists.")
        self.name = name


def normalize_agent_name(name: str) -> str:
    """Returns a log-in name with surrounding spaces removed.

    Raises:
        InvalidAgentNameError: When the name is empty or longer than 80 characters.
    """
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidAgentNameError("An agent needs a name.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidAgentNameError(f"Agent names can have at most {MAX_NAME_LENGTH} characters.")
    return cleaned


def create_agent(
    session: Session,
    name: str,
    password_hash: str,
    role: AgentRole = AgentRole.AGENT,
    *,
    now: Optional[datetime] = None,
) -> Agent:
    """Adds an active agent.

    Args:
        session: Open database session.
        name: Log-in and display name; unique, compared without regard to case.
        password_hash: The hashed password.
        role: ``agent`` or ``admin``.
        now: Creation time; the current time by default.

    Returns:
        The new agent, flushed (it has an id).

    Raises:
        AgentExistsError: When the name is taken.
        InvalidAgentNameError: When the name is empty or too long.
    """
    cleaned = normalize_agent_name(name)
    if find_agent_by_name(session, cleaned) is not None:
        raise AgentExistsError(cleaned)
    agent = Agent(
        name=cleaned,
        password_hash=password_hash,
        role=role,
        active=True,
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(agent)
    except IntegrityError:
        raise AgentExistsError(cleaned) from None
    return agent


def get_agent(session: Session, agent_id: int) -> Optional[Agent]:
    """Returns the agent with ``agent_id``, or ``None``."""
    agent: Optional[Agent] = session.get(Agent, agent_id)
    return agent


def get_active_agent(session: Session, agent_id: int) -> Optional[Agent]:
    """Returns the agent with ``agent_id`` if they may still log in, else ``None``."""
    agent = get_agent(session, agent_id)
    return agent if agent is not None and agent.active else None


def find_agent_by_name(session: Session, name: str) -> Optional[Agent]:
    """Returns the agent with this name (any case, spaces trimmed), or ``None``."""
    cleaned = " ".join(name.split())
    if not cleaned:
        return None
    agent: Optional[Agent] = session.execute(
        select(Agent).where(func.lower(Agent.name) == cleaned.lower()).limit(1)
    ).scalar_one_or_none()
    return agent


def list_agents(session: Session, *, include_inactive: bool = False) -> List[Agent]:
    """Lists agents by name; only active ones unless ``include_inactive``."""
    query = select(Agent).order_by(func.lower(Agent.name), Agent.id)
    if not include_inactive:
        query = query.where(Agent.active.is_(True))
    return list(session.execute(query).scalars())
