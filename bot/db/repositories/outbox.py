"""The outbox: e-mails the assistant has written and a mail relay will deliver.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import OutboxMessage, utcnow


def add_outbox_message(
    session: Session, recipient: str, subject: str, body: str, now: Optional[datetime] = None
) -> OutboxMessage:
    """Queues an e-mail for delivery.

    Args:
        session: Open database session.
        recipient: Address to deliver to.
        subject: Subject line.
        body: Plain-text body.
        now: When it was written, timezone-aware; the current time by default.

    Returns:
        The new row, flushed.

    Raises:
        ValueError: When ``recipient`` is empty.
    """
    if not isinstance(recipient, str) or not recipient.strip():
        raise ValueError(f"recipient must be a non-empty string, got {recipient!r}")
    message = OutboxMessage(
        recipient=recipient.strip(), subject=subject, body=body, created_at=now or utcnow()
    )
    session.add(message)
    session.flush()
    return message


def list_outbox_messages(
    session: Session, recipient: Optional[str] = None, limit: int = 50
) -> List[OutboxMessage]:
    """Returns queued e-mails, newest first.

    Args:
        session: Open database session.
        recipient: Only the e-mails to this exact address; every e-mail when omitted.
        limit: Maximum number of e-mails to return.

    Raises:
        ValueError: When ``limit`` is not positive.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    query = select(OutboxMessage)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    messages = session.execute(
        query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)
    ).scalars()
    return list(messages)
