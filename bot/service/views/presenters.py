"""The JSON shapes of the API: tickets, messages, follow-ups and agents."""

from __future__ import annotations

from typing import Any, Dict, Optional

from sqlalchemy.orm import Session

from bot.db.models import Agent, FollowUp, HandoffMessage, HandoffStatus, HandoffTicket
from bot.db.repositories.handoffs import queue_position
from bot.handoff.service import parse_context
from bot.service.views.common import iso


def agent_ref(agent: Optional[Agent]) -> Optional[Dict[str, Any]]:
    """``{"id", "name"}`` of an agent, or ``None``."""
    return {"id": agent.id, "name": agent.name} if agent is not None else None


def agent_json(agent: Agent) -> Dict[str, Any]:
    """An agent as the API shows it (never the password hash)."""
    return {"id": agent.id, "name": agent.name, "role": agent.role.value, "active": agent.active}


def ticket_json(session: Session, ticket: HandoffTicket) -> Dict[str, Any]:
    """A handoff ticket with its context packet and, while waiting, its queue position."""
    context = parse_context(ticket)
    customer = context.get("customer")
    customer_name = customer.get("name") if isinstance(customer, dict) else None
    return {
        "id": ticket.id,
        "conversation_id": ticket.conversation_id,
        "channel": ticket.channel,
        "status": ticket.status.value,
        "reason": ticket.reason,
        "created_at": iso(ticket.created_at),
        "claimed_at": iso(ticket.claimed_at),
        "claimed_by": agent_ref(ticket.claimed_by),
        "resolved_at": iso(ticket.resolved_at),
        "queue_position": (
            queue_position(session, ticket) if ticket.status == HandoffStatus.WAITING else None
        ),
        "customer_name": customer_name if isinstance(customer_name, str) else None,
        "context": context,
    }


def message_json(message: HandoffMessage, agent: Optional[Agent]) -> Dict[str, Any]:
    """A message of a handed-off conversation."""
    return {
        "id": message.id,
        "sender": message.sender.value,
        "agent": agent.name if agent is not None else None,
        "text": message.text,
        "created_at": iso(message.created_at),
    }


def follow_up_json(item: FollowUp) -> Dict[str, Any]:
    """A follow-up item."""
    return {
        "id": item.id,
        "conversation_id": item.conversation_id,
        "customer_id": item.customer_id,
        "reason": item.reason,
        "priority": item.priority,
        "status": item.status.value,
        "assignee": agent_ref(item.assignee),
        "notes": item.notes,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
    }
