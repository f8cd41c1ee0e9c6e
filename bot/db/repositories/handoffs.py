"""The handoff queue: tickets for conversations handed to the support team, and their messages.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction. :func:`claim_ticket` is a single conditional
UPDATE, so two agents claiming the same ticket at the same moment cannot both win.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, List, Mapping, Optional

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import (
    HandoffMessage,
    HandoffSender,
    HandoffStatus,
    HandoffTicket,
    utcnow,
)

OPEN_STATUSES = (HandoffStatus.WAITING, HandoffStatus.CLAIMED)


def create_ticket(
    session: Session,
    conversation_id: str,
    reason: str,
    context: Mapping[str, Any],
    *,
    channel: Optional[str] = None,
    customer_id: Optional[int] = None,
    now: Optional[datetime] = None,
) -> HandoffTicket:
    """Puts a conversation in the queue, or returns its ticket if it is already there.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id).
        reason: Why it was handed off, e.g. ``customer asked for a person``.
        context: The context packet for the agent; stored as JSON.
        channel: The customer's channel (``rest``, ``socketio``, ``telegram`` …).
        customer_id: The verified customer, if any.
        now: The time of the handoff; the current time by default.

    Returns:
        The new ticket, or the conversation's ticket that is still open.
    """
    existing = open_ticket_of_conversation(session, conversation_id)
    if existing is not None:
        return existing
    ticket = HandoffTicket(
        conversation_id=conversation_id,
        channel=channel,
        customer_id=customer_id,
        reason=reason,
        status=HandoffStatus.WAITING,
        context=json.dumps(context, ensure_ascii=False, default=str),
        created_at=now or utcnow(),
    )
    session.add(ticket)
    session.flush()
    return ticket


def get_ticket(session: Session, ticket_id: int) -> Optional[HandoffTicket]:
    """Returns the ticket with ``ticket_id``, or ``None``."""
    ticket: Optional[HandoffTicket] = session.get(HandoffTicket, ticket_id)
    return ticket


def open_ticket_of_conversation(session: Session, conversation_id: str) -> Optional[HandoffTicket]:
    """Returns the conversation's ticket that is waiting or claimed, or ``None``."""
    ticket: Optional[HandoffTicket] = session.execute(
        select(HandoffTicket)
        .where(
            HandoffTicket.conversation_id == conversation_id,
            HandoffTicket.status.in_(OPEN_STATUSES),
        )
        .order_by(HandoffTicket.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return ticket


def list_tickets(
    session: Session, status: Optional[HandoffStatus] = None, limit: int = 200
) -> List[HandoffTicket]:
    """Lists tickets, oldest waiting first; all statuses when ``status`` is ``None``."""
    query = select(HandoffTicket).order_by(HandoffTicket.created_at, HandoffTicket.id).limit(limit)
    if status is not None:
        query = query.where(HandoffTicket.status == status)
    return list(session.execute(query).scalars())


def queue_position(session: Session, ticket: HandoffTicket) -> int:
    """Returns the ticket's place among waiting tickets: 1 means next in line."""
    ahead = session.execute(
        select(func.count(HandoffTicket.id)).where(
            HandoffTicket.status == HandoffStatus.WAITING,
            (HandoffTicket.created_at < ticket.created_at)
            | ((HandoffTicket.created_at == ticket.created_at) & (HandoffTicket.id < ticket.id)),
        )
    ).scalar_one()
    return int(ahead) + 1


def claim_ticket(
    session: Session, ticket_id: int, agent_id: int, now: Optional[datetime] = None
) -> bool:
    """Gives a waiting ticket to an agent.

    Args:
        session: Open database session.
        ticket_id: The ticket.
        agent_id: The agent claiming it.
        now: The time of the claim; the current time by default.

    Returns:
        Whether this agent got it: ``False`` when someone else claimed it
        first, or it is not waiting any more.
    """
    result = session.execute(
        update(HandoffTicket)
        .where(HandoffTicket.id == ticket_id, HandoffTicket.status == HandoffStatus.WAITING)
        .values(status=HandoffStatus.CLAIMED, claimed_by_id=agent_id, claimed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def resolve_ticket(session: Session, ticket_id: int, now: Optional[datetime] = None) -> bool:
    """Closes an open ticket.

    Returns:
        Whether it was open: ``False`` for an unknown or already resolved ticket.
    """
    result = session.execute(
        update(HandoffTicket)
        .where(HandoffTicket.id == ticket_id, HandoffTicket.status.in_(OPEN_STATUSES))
        .values(status=HandoffStatus.RESOLVED, resolved_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def add_message(
    session: Session,
    ticket: HandoffTicket,
    sender: HandoffSender,
    text: str,
    source_id: str,
    *,
    agent_id: Optional[int] = None,
    now: Optional[datetime] = None,
) -> Optional[HandoffMessage]:
    """Adds a message to the ticket's conversation, once per ``source_id``.

    Args:
        session: Open database session.
        ticket: The ticket.
        sender: Who wrote it.
        text: The message, redacted of personal data where it came from the customer.
        source_id: Where it came from (broker event, API request); a second
            message with the same source is ignored.
        agent_id: The agent who wrote it, for agent messages.
        now: When it was written; the current time by default.

    Returns:
        The new message, or ``None`` when this source was already recorded.
    """
    exists = session.execute(
        select(HandoffMessage.id).where(HandoffMessage.source_id == source_id)
    ).first()
    if exists is not None:
        return None
    message = HandoffMessage(
        ticket_id=ticket.id,
        sender=sender,
        agent_id=agent_id,
        text=text,
        source_id=source_id,
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # Another consumer recorded the same source in the meantime.
        return None
    return message


def messages_since(session: Session, ticket_id: int, after_id: int = 0) -> List[HandoffMessage]:
    """Returns the ticket's messages with an id above ``after_id``, oldest first."""
    return list(
        session.execute(
            select(HandoffMessage)
            .where(HandoffMessage.ticket_id == ticket_id, HandoffMessage.id > after_id)
            .order_by(HandoffMessage.id)
        ).scalars()
    )
