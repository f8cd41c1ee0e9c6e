"""The follow-up list: conversations a person should look at again, one item per conversation.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import FollowUp, FollowUpStatus, utcnow


def raise_follow_up(
    session: Session,
    conversation_id: str,
    reason: str,
    priority: int,
    *,
    customer_id: Optional[int] = None,
    now: Optional[datetime] = None,
) -> FollowUp:
    """Creates the conversation's follow-up item, or updates the one it has.

    An existing item keeps its assignee and notes; its priority only goes up,
    a new reason is added to the old ones, and a finished item is reopened.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id).
        reason: What happened, e.g. ``two negative messages in a row``.
        priority: How urgent it is; higher is more urgent.
        customer_id: The verified customer, if any.
        now: The time; the current time by default.

    Returns:
        The item.
    """
    moment = now or utcnow()
    item: Optional[FollowUp] = session.execute(
        select(FollowUp).where(FollowUp.conversation_id == conversation_id)
    ).scalar_one_or_none()
    if item is None:
        item = FollowUp(
            conversation_id=conversation_id,
            customer_id=customer_id,
            reason=reason[:200],
            priority=priority,
            status=FollowUpStatus.OPEN,
            notes="",
            created_at=moment,
            updated_at=moment,
        )
        session.add(item)
        session.flush()
        return item
    reasons = [part.strip() for part in item.reason.split(";") if part.strip()]
    if reason not in reasons:
        reasons.append(reason)
    item.reason = "; ".join(reasons)[:200]
    item.priority = max(item.priority, priority)
    if customer_id is not None:
        item.customer_id = customer_id
    if item.status == FollowUpStatus.DONE:
        item.status = FollowUpStatus.OPEN
    item.updated_at = moment
    session.flush()
    return item


def get_follow_up(session: Session, follow_up_id: int) -> Optional[FollowUp]:
    """Returns the item with ``follow_up_id``, or ``None``."""
    item: Optional[FollowUp] = session.get(FollowUp, follow_up_id)
    return item


def list_follow_ups(
    session: Session, status: Optional[FollowUpStatus] = None, limit: int = 500
) -> List[FollowUp]:
    """Lists items, most urgent first, then newest; all statuses when ``status`` is ``None``."""
    query = (
        select(FollowUp)
        .order_by(FollowUp.priority.desc(), FollowUp.updated_at.desc(), FollowUp.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(FollowUp.status == status)
    return list(session.execute(query).scalars())


def update_follow_up(
    session: Session,
    item: FollowUp,
    *,
    status: Optional[FollowUpStatus] = None,
    assignee_id: Optional[int] = None,
    clear_assignee: bool = False,
    notes: Optional[str] = None,
    now: Optional[datetime] = None,
) -> FollowUp:
    """Changes an item's status, assignee or notes; arguments left out stay as they are."""
    if status is not None:
        item.status = status
    if clear_assignee:
        item.assignee_id = None
    elif assignee_id is not None:
        item.assignee_id = assignee_id
    if notes is not None:
        item.notes = notes
    item.updated_at = now or utcnow()
    session.flush()
    return item
