"""Conversations as the support team follows them, and the sentiment of each customer message.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction. The bot service's event consumer keeps these rows
up to date from Rasa's event broker; :func:`add_message_sentiment` records a
message once per ``(conversation_id, message_id)``, so replaying the broker
changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import Conversation, MessageSentiment, SentimentLabel, utcnow

# Column sizes of the models, so long values are cut instead of failing on PostgreSQL.
_CHANNEL_LENGTH = 64
_INTENT_LENGTH = 100


def _clip(value: Optional[str], length: int) -> Optional[str]:
    return value[:length] if value else None


def get_conversation(session: Session, conversation_id: str) -> Optional[Conversation]:
    """Returns the conversation with Rasa sender id ``conversation_id``, or ``None``."""
    conversation: Optional[Conversation] = session.execute(
        select(Conversation).where(Conversation.conversation_id == conversation_id)
    ).scalar_one_or_none()
    return conversation


def get_or_create_conversation(
    session: Session,
    conversation_id: str,
    *,
    channel: Optional[str] = None,
    now: Optional[datetime] = None,
) -> Conversation:
    """Returns the conversation, creating it on its first event.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id).
        channel: The customer's channel (``rest``, ``socketio`` …); fills in a
            conversation whose channel is not known yet.
        now: When the conversation started; the current time by default.

    Returns:
        The conversation, flushed so that it has an id.
    """
    conversation = get_conversation(session, conversation_id)
    if conversation is None:
        moment = now or utcnow()
        conversation = Conversation(
            conversation_id=conversation_id,
            channel=_clip(channel, _CHANNEL_LENGTH),
            started_at=moment,
            last_message_at=moment,
            customer_messages=0,
            fallback_messages=0,
            mood=0.0,
            negative_streak=0,
            human_involved=False,
        )
        try:
            with session.begin_nested():
                session.add(conversation)
        except IntegrityError:
            # Another writer created it in the meantime.
            existing = get_conversation(session, conversation_id)
            if existing is None:
                raise
            conversation = existing
    if conversation.channel is None and channel:
        conversation.channel = _clip(channel, _CHANNEL_LENGTH)
    return conversation


def set_conversation_customer(
    session: Session, conversation: Conversation, customer_id: int
) -> Conversation:
    """Remembers which verified customer the conversation is with.

    Args:
        session: Open database session.
        conversation: The conversation.
        customer_id: Primary key of the verified customer.

    Returns:
        The conversation.
    """
    conversation.customer_id = customer_id
    session.flush()
    return conversation


def record_customer_message(
    session: Session,
    conversation: Conversation,
    *,
    label: SentimentLabel,
    mood: float,
    fallback: bool,
    at: datetime,
) -> Conversation:
    """Counts a customer message and updates the conversation's mood and streak.

    A negative message extends the run of negative messages, any other ends it.

    Args:
        session: Open database session.
        conversation: The conversation.
        label: How the message sounded.
        mood: The conversation's new rolling mood, -1..1.
        fallback: The assistant did not understand the message.
        at: When the customer wrote it; ``last_message_at`` never goes back.

    Returns:
        The conversation.

    Raises:
        ValueError: When ``mood`` is outside -1..1.
    """
    if not -1.0 <= mood <= 1.0:
        raise ValueError(f"mood must be from -1 to 1, got {mood}")
    conversation.customer_messages = (conversation.customer_messages or 0) + 1
    if fallback:
        conversation.fallback_messages = (conversation.fallback_messages or 0) + 1
    conversation.mood = mood
    if label == SentimentLabel.NEGATIVE:
        conversation.negative_streak = (conversation.negative_streak or 0) + 1
    else:
        conversation.negative_streak = 0
    conversation.last_label = label
    if conversation.last_message_at is None or at > conversation.last_message_at:
        conversation.last_message_at = at
    session.flush()
    return conversation


def reset_negative_streak(session: Session, conversation: Conversation) -> Conversation:
    """Ends the conversation's run of negative messages, e.g. when a new session starts."""
    conversation.negative_streak = 0
    session.flush()
    return conversation


def find_message_sentiment(
    session: Session, conversation_id: str, message_id: str
) -> Optional[MessageSentiment]:
    """Returns the logged sentiment of one message, or ``None``."""
    row: Optional[MessageSentiment] = session.execute(
        select(MessageSentiment).where(
            MessageSentiment.conversation_id == conversation_id,
            MessageSentiment.message_id == message_id,
        )
    ).scalar_one_or_none()
    return row


def add_message_sentiment(
    session: Session,
    *,
    conversation_id: str,
    message_id: str,
    score: float,
    label: SentimentLabel,
    text_redacted: str,
    channel: Optional[str] = None,
    intent: Optional[str] = None,
    customer_id: Optional[int] = None,
    created_at: Optional[datetime] = None,
) -> Optional[MessageSentiment]:
    """Logs the sentiment of a customer message, once per message.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id).
        message_id: Rasa's id of the user message.
        score: Sentiment, -1..1.
        label: ``negative``, ``neutral`` or ``positive``.
        text_redacted: The message with personal data already redacted.
        channel: The channel it came through.
        intent: The intent the assistant recognised.
        customer_id: The verified customer, if any.
        created_at: When the customer wrote it; the current time by default.

    Returns:
        The new row, or ``None`` when this message was logged before.

    Raises:
        ValueError: When ``score`` is outside -1..1 or ``message_id`` is empty.
    """
    if not -1.0 <= score <= 1.0:
        raise ValueError(f"score must be from -1 to 1, got {score}")
    if not message_id:
        raise ValueError("message_id must not be empty")
    if find_message_sentiment(session, conversation_id, message_id) is not None:
        return None
    row = MessageSentiment(
        conversation_id=conversation_id,
        message_id=message_id,
        channel=_clip(channel, _CHANNEL_LENGTH),
        intent=_clip(intent, _INTENT_LENGTH),
        customer_id=customer_id,
        score=score,
        label=label,
        text_redacted=text_redacted,
        created_at=created_at or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another writer may have logged the same message in the meantime.
        if find_message_sentiment(session, conversation_id, message_id) is None:
            raise
        return None
    return row


def list_message_sentiments(session: Session, conversation_id: str) -> List[MessageSentiment]:
    """Returns a conversation's logged messages, oldest first."""
    return list(
        session.execute(
            select(MessageSentiment)
            .where(MessageSentiment.conversation_id == conversation_id)
            .order_by(MessageSentiment.created_at, MessageSentiment.id)
        ).scalars()
    )
