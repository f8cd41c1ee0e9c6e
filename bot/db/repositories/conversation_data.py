"""What the application database keeps per conversation: its activity, and deleting it.

A conversation (Rasa's sender id) leaves rows in many tables: the
conversation itself, its sentiment log, handoff tickets and their
transcripts, follow-ups, FAQ feedback, unanswered questions and identity
checks. :data:`RETENTION_RECORDS` lists them, in an order that deletes
children before parents; :data:`ERASURE_RECORDS` adds what an erasure removes
as well (ratings and the audit trail of the conversation).

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Collection, Dict, Iterator, List, Sequence, Set

from sqlalchemy import delete, func, select, union_all
from sqlalchemy.orm import Session

from bot.db.models import (
    AuditEntry,
    Conversation,
    FaqFeedback,
    FollowUp,
    HandoffMessage,
    HandoffTicket,
    MessageSentiment,
    SatisfactionRating,
    UnansweredQuestion,
    VerificationChallenge,
    VerificationLockout,
)

# Far below SQLite's limit on bound parameters in one statement.
_BATCH = 500


@dataclass(frozen=True)
class ConversationRecord:
    """One kind of row that belongs to a conversation.

    Attributes:
        table: The table's name, as reports show it.
        delete_for: Builds the statement that deletes the rows of some
            conversations.
    """

    table: str
    delete_for: Callable[[List[str]], Any]


def _by_column(model: Any) -> ConversationRecord:
    column = model.conversation_id
    return ConversationRecord(model.__tablename__, lambda ids: delete(model).where(column.in_(ids)))


def _handoff_messages(ids: List[str]) -> Any:
    tickets = select(HandoffTicket.id).where(HandoffTicket.conversation_id.in_(ids))
    return delete(HandoffMessage).where(HandoffMessage.ticket_id.in_(tickets))


HANDOFF_MESSAGES = ConversationRecord(HandoffMessage.__tablename__, _handoff_messages)
CONVERSATIONS = _by_column(Conversation)

# What the retention job deletes for a conversation past its time.
RETENTION_RECORDS: Sequence[ConversationRecord] = (
    HANDOFF_MESSAGES,
    _by_column(HandoffTicket),
    _by_column(FollowUp),
    _by_column(MessageSentiment),
    _by_column(FaqFeedback),
    _by_column(UnansweredQuestion),
    _by_column(VerificationChallenge),
    _by_column(VerificationLockout),
    CONVERSATIONS,
)

# What erasing a customer deletes for each of their conversations.
ERASURE_RECORDS: Sequence[ConversationRecord] = (
    *RETENTION_RECORDS[:-1],
    _by_column(SatisfactionRating),
    _by_column(AuditEntry),
    CONVERSATIONS,
)


def batches(ids: Collection[str]) -> Iterator[List[str]]:
    """Yields the ids sorted, in lists small enough for one ``IN (…)``."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), _BATCH):
        yield ordered[start : start + _BATCH]


def delete_conversation_records(
    session: Session, conversation_ids: Collection[str], records: Sequence[ConversationRecord]
) -> Dict[str, int]:
    """Deletes the rows of the given conversations from each table in ``records``.

    Args:
        session: Open database session.
        conversation_ids: Rasa sender ids.
        records: :data:`RETENTION_RECORDS`, :data:`ERASURE_RECORDS` or a part of them.

    Returns:
        Rows deleted per table, for every table in ``records``.
    """
    counts = {record.table: 0 for record in records}
    for batch in batches(conversation_ids):
        for record in records:
            statement = record.delete_for(batch).execution_options(synchronize_session=False)
            counts[record.table] += int(session.execute(statement).rowcount or 0)
    session.expire_all()
    return counts


def _activity() -> Any:
    """Every moment something happened in a conversation: (conversation_id, at)."""
    return union_all(
        select(Conversation.conversation_id, Conversation.last_message_at.label("at")),
        select(MessageSentiment.conversation_id, MessageSentiment.created_at),
        select(HandoffTicket.conversation_id, HandoffTicket.created_at),
        select(HandoffTicket.conversation_id, HandoffTicket.resolved_at),
        select(HandoffTicket.conversation_id, HandoffMessage.created_at).join(
            HandoffMessage, HandoffMessage.ticket_id == HandoffTicket.id
        ),
        select(FollowUp.conversation_id, FollowUp.updated_at),
        select(FaqFeedback.conversation_id, FaqFeedback.created_at),
        select(UnansweredQuestion.conversation_id, UnansweredQuestion.created_at),
        select(VerificationChallenge.conversation_id, VerificationChallenge.created_at),
        select(VerificationLockout.conversation_id, VerificationLockout.locked_until),
    ).subquery("activity")


def conversations_inactive_since(session: Session, cutoff: datetime) -> Set[str]:
    """Returns the conversations whose last activity here is older than ``cutoff``.

    Args:
        session: Open database session.
        cutoff: Timezone-aware moment.
    """
    activity = _activity()
    query = (
        select(activity.c.conversation_id)
        .group_by(activity.c.conversation_id)
        .having(func.max(activity.c.at) < cutoff)
    )
    return set(session.execute(query).scalars())


def conversations_active_since(session: Session, cutoff: datetime) -> Set[str]:
    """Returns the conversations with activity here at or after ``cutoff``.

    Args:
        session: Open database session.
        cutoff: Timezone-aware moment.
    """
    activity = _activity()
    query = select(activity.c.conversation_id).where(activity.c.at >= cutoff).distinct()
    return set(session.execute(query).scalars())
