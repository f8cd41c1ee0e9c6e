"""What a customer has going on with support: open returns, open cases, earlier conversations.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.models import (
    OPEN_CASE_STATUSES,
    OPEN_RETURN_STATUSES,
    AuditEntry,
    Conversation,
    ReturnRequest,
    SupportCase,
)

# How a verification is recorded in the audit trail (see bot.identity.codes).
VERIFICATION_ENTITY = "conversation"
VERIFICATION_FIELD = "verified_customer_id"


@dataclass(frozen=True)
class ConversationActivity:
    """The customer's earlier conversations with the assistant.

    Attributes:
        count: Conversations in which the customer proved who they are.
        last_at: When the most recent of them was verified, or ``None``.
        last_sentiment: How the customer's last message in that conversation
            sounded (``negative``, ``neutral``, ``positive``), or ``None``.
    """

    count: int
    last_at: Optional[datetime]
    last_sentiment: Optional[str] = None


def open_return_references(session: Session, customer_id: int) -> Tuple[str, ...]:
    """Returns the RMA ids of the customer's returns still in progress, newest first.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
    """
    rows = session.execute(
        select(ReturnRequest.rma)
        .where(
            ReturnRequest.customer_id == customer_id,
            ReturnRequest.status.in_(OPEN_RETURN_STATUSES),
        )
        .order_by(ReturnRequest.created_at.desc(), ReturnRequest.id.desc())
    ).scalars()
    return tuple(rows)


def open_case_references(session: Session, customer_id: int) -> Tuple[str, ...]:
    """Returns the references of the customer's open support cases, newest first.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
    """
    rows = session.execute(
        select(SupportCase.reference)
        .where(
            SupportCase.customer_id == customer_id,
            SupportCase.status.in_(OPEN_CASE_STATUSES),
        )
        .order_by(SupportCase.created_at.desc(), SupportCase.id.desc())
    ).scalars()
    return tuple(rows)


def earlier_conversations(
    session: Session, customer_id: int, current_conversation_id: Optional[str] = None
) -> ConversationActivity:
    """Counts the conversations in which the customer was verified, except the current one.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
        current_conversation_id: The conversation asking, which does not count.
    """
    query = select(
        func.count(func.distinct(AuditEntry.entity_id)), func.max(AuditEntry.created_at)
    ).where(
        AuditEntry.entity == VERIFICATION_ENTITY,
        AuditEntry.field == VERIFICATION_FIELD,
        AuditEntry.new_value == str(customer_id),
    )
    if current_conversation_id is not None:
        query = query.where(AuditEntry.entity_id != current_conversation_id)
    count, last_at = session.execute(query).one()
    if not count:
        return ConversationActivity(0, None)
    last_conversation = session.execute(
        query.with_only_columns(AuditEntry.entity_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).scalar_one()
    label = session.execute(
        select(Conversation.last_label).where(Conversation.conversation_id == last_conversation)
    ).scalar_one_or_none()
    return ConversationActivity(int(count), last_at, label.value if label is not None else None)
