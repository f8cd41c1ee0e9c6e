"""What one Rasa event changes in the shop database.

:func:`handle_event` takes one decoded event and an open session, and never
commits: the consumer owns the transaction (and moves its cursor in it).

* ``user``: the message's sentiment is logged (from the parse data our NLU
  component filled in, or scored here when it is missing), its text redacted
  of personal data; the conversation's counters, rolling mood and run of
  negative messages are updated; a follow-up is raised when the message is at
  or below ``follow_up_threshold``, is the second negative one in a row, or is
  a complaint; and while the conversation has an open handoff ticket, the
  message is added to it for the agent.
* ``slot`` ``customer_id``: the conversation is linked to the verified customer.
* ``slot`` ``escalation_flag`` set by the damaged-item flow (see
  :func:`is_damaged_item_flag`): follow-up ``damaged item flagged``.
* ``session_started`` and ``restart`` end the run of negative messages.

Every other Rasa event is known and needs nothing here; an event of an unknown
type is logged and skipped, and an event that cannot be read raises
:class:`MalformedEventError`. A message seen before (same conversation and
message id) changes nothing, so replaying the broker is harmless.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple

from sqlalchemy.orm import Session

from bot.db.models import Customer, HandoffSender, SentimentLabel, utcnow
from bot.db.repositories.conversations import (
    add_message_sentiment,
    get_conversation,
    get_or_create_conversation,
    record_customer_message,
    reset_negative_streak,
    set_conversation_customer,
)
from bot.db.repositories.follow_ups import raise_follow_up
from bot.db.repositories.handoffs import add_message, open_ticket_of_conversation
from bot.events.priority import priority_for
from bot.handoff.escalation import DAMAGED_ITEM_FLAGGED, flag_reason
from bot.nlp.mood import next_mood
from bot.nlp.redaction import redact
from bot.nlp.sentiment import label_for, score_text

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)

REASON_AT_THRESHOLD = "message at or below the sentiment threshold"
REASON_NEGATIVE_STREAK = "two negative messages in a row"
REASON_COMPLAINT = "complaint"
REASON_DAMAGED_ITEM = "damaged item flagged"

FALLBACK_INTENT = "nlu_fallback"
COMPLAINT_INTENT = "complaint"
CUSTOMER_ID_SLOT = "customer_id"
ESCALATION_FLAG_SLOT = "escalation_flag"
NEGATIVE_STREAK_FOR_FOLLOW_UP = 2

# Rasa 3.6 event types (``type_name`` in rasa/shared/core/events.py) that change
# nothing here.
_IGNORED_EVENTS = frozenset(
    {
        "bot",
        "action",
        "pause",
        "resume",
        "user_featurization",
        "entities",
        "rewind",
        "reset_slots",
        "reminder",
        "cancel_reminder",
        "undo",
        "export",
        "followup",
        "agent",
        "active_loop",
        "form",
        "loop_interrupted",
        "form_validation",
        "action_execution_rejected",
    }
)
_SESSION_BOUNDARIES = frozenset({"session_started", "restart"})

_CONVERSATION_ID_LENGTH = 255
_MESSAGE_ID_LENGTH = 64


class MalformedEventError(ValueError):
    """An event the consumer cannot read: not JSON, not an object, or missing what it needs."""


@dataclass(frozen=True)
class EventRules:
    """The thresholds event handling applies.

    Attributes:
        follow_up_threshold: A message scoring at or below this (-1..1) puts
            the conversation on the follow-up list.
    """

    follow_up_threshold: float = -0.5

    @classmethod
    def from_settings(cls, settings: Settings) -> EventRules:
        """Returns the rules configured in ``settings``."""
        return cls(follow_up_threshold=settings.follow_up_threshold)


@dataclass(frozen=True)
class EventOutcome:
    """What handling one event did, for logs and tests.

    Attributes:
        event: The event's type (``user``, ``slot`` …).
        handled: The event type is one this module knows.
        duplicate: A user message that had been processed before.
        follow_up_reasons: Reasons a follow-up was raised for.
        relayed: The message was added to an open handoff ticket.
    """

    event: str
    handled: bool = True
    duplicate: bool = False
    follow_up_reasons: Tuple[str, ...] = ()
    relayed: bool = False


def decode_event(payload: Optional[str]) -> Dict[str, Any]:
    """Decodes a broker payload into an event dict.

    Args:
        payload: The JSON text Rasa published.

    Raises:
        MalformedEventError: When it is not a JSON object with an ``event`` type.
    """
    if payload is None:
        raise MalformedEventError("the broker row has no data")
    try:
        event = json.loads(payload)
    except (TypeError, ValueError) as error:
        raise MalformedEventError(f"not JSON: {error}") from None
    if not isinstance(event, dict):
        raise MalformedEventError(f"not a JSON object but {type(event).__name__}")
    if not isinstance(event.get("event"), str) or not event["event"]:
        raise MalformedEventError("no event type")
    return event


def handle_event(
    session: Session,
    event: Mapping[str, Any],
    rules: EventRules,
    *,
    source_id: str,
    sender_id: Optional[str] = None,
) -> EventOutcome:
    """Applies one Rasa event to the database.

    Args:
        session: Open database session; not committed here.
        event: The decoded event, as Rasa publishes it to the broker.
        rules: Thresholds to apply.
        source_id: Stable id of the broker record (``broker:<row id>``), used
            for a user message that carries no ``message_id``.
        sender_id: The conversation as the broker stored it, used when the
            event itself names none.

    Returns:
        What was done.

    Raises:
        MalformedEventError: When the event lacks what its type needs.
    """
    kind = event.get("event")
    if not isinstance(kind, str) or not kind:
        raise MalformedEventError("no event type")
    if kind in _IGNORED_EVENTS:
        return EventOutcome(kind)
    if kind not in ("user", "slot") and kind not in _SESSION_BOUNDARIES:
        logger.warning("Skipping broker event %s of unknown type %r", source_id, kind)
        return EventOutcome(kind, handled=False)
    conversation_id = _conversation_id(event, sender_id)
    if kind == "user":
        return _handle_user(session, event, rules, conversation_id, source_id)
    if kind == "slot":
        return _handle_slot(session, event, conversation_id)
    conversation = get_conversation(session, conversation_id)
    if conversation is not None:
        reset_negative_streak(session, conversation)
    return EventOutcome(kind)


def follow_up_reasons(
    score: float, negative_streak: int, intent: Optional[str], threshold: float
) -> Tuple[str, ...]:
    """Returns why a customer message puts its conversation on the follow-up list.

    Args:
        score: The message's sentiment, -1..1.
        negative_streak: Negative messages in a row, this one included.
        intent: The recognised intent.
        threshold: ``follow_up_threshold``.

    Returns:
        The reasons, in a fixed order; empty when no follow-up is needed.
    """
    reasons = []
    if score <= threshold:
        reasons.append(REASON_AT_THRESHOLD)
    if negative_streak >= NEGATIVE_STREAK_FOR_FOLLOW_UP:
        reasons.append(REASON_NEGATIVE_STREAK)
    if intent == COMPLAINT_INTENT:
        reasons.append(REASON_COMPLAINT)
    return tuple(reasons)


def is_damaged_item_flag(value: Any) -> bool:
    """Tells whether an ``escalation_flag`` value comes from the damaged-item flow.

    Args:
        value: The slot's new value.
    """
    return flag_reason(value) == DAMAGED_ITEM_FLAGGED


def _handle_user(
    session: Session,
    event: Mapping[str, Any],
    rules: EventRules,
    conversation_id: str,
    source_id: str,
) -> EventOutcome:
    text = event.get("text")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise MalformedEventError(f"user text is {type(text).__name__}, not a string")
    parse_data = event.get("parse_data")
    if not isinstance(parse_data, Mapping):
        parse_data = {}
    intent = _intent_name(parse_data)
    score, label = _sentiment(parse_data, text)
    message_id = _message_id(event) or source_id
    at = _event_time(event)
    channel = _optional_text(event.get("input_channel"))

    conversation = get_or_create_conversation(session, conversation_id, channel=channel, now=at)
    redacted = redact(text)
    logged = add_message_sentiment(
        session,
        conversation_id=conversation_id,
        message_id=message_id,
        score=score,
        label=label,
        text_redacted=redacted,
        channel=channel or conversation.channel,
        intent=intent,
        customer_id=conversation.customer_id,
        created_at=at,
    )
    if logged is None:
        return EventOutcome("user", duplicate=True)
    record_customer_message(
        session,
        conversation,
        label=label,
        mood=next_mood(conversation.mood or 0.0, score),
        fallback=intent == FALLBACK_INTENT,
        at=at,
    )
    reasons = follow_up_reasons(
        score, conversation.negative_streak, intent, rules.follow_up_threshold
    )
    if reasons:
        priority = priority_for(session, score, conversation.customer_id)
        for reason in reasons:
            raise_follow_up(
                session,
                conversation_id,
                reason,
                priority,
                customer_id=conversation.customer_id,
                now=at,
            )
    relayed = _relay_to_ticket(session, conversation_id, redacted, message_id, at)
    return EventOutcome("user", follow_up_reasons=reasons, relayed=relayed)


def _relay_to_ticket(
    session: Session, conversation_id: str, text: str, source_id: str, at: datetime
) -> bool:
    """Adds a customer message to the conversation's open ticket.

    The message that led to the handoff was written before the ticket was
    opened and is already in the ticket's context packet, so only messages
    from the ticket's creation on are added.
    """
    ticket = open_ticket_of_conversation(session, conversation_id)
    if ticket is None or at < ticket.created_at:
        return False
    added = add_message(session, ticket, HandoffSender.CUSTOMER, text, source_id, now=at)
    return added is not None


def _handle_slot(session: Session, event: Mapping[str, Any], conversation_id: str) -> EventOutcome:
    name = event.get("name")
    value = event.get("value")
    if name == CUSTOMER_ID_SLOT:
        customer_id = _customer_id(value)
        if customer_id is None:
            return EventOutcome("slot")
        if session.get(Customer, customer_id) is None:
            logger.warning(
                "Conversation %s names customer %s, who does not exist", conversation_id, value
            )
            return EventOutcome("slot")
        conversation = get_or_create_conversation(session, conversation_id, now=_event_time(event))
        set_conversation_customer(session, conversation, customer_id)
        return EventOutcome("slot")
    if name == ESCALATION_FLAG_SLOT and is_damaged_item_flag(value):
        at = _event_time(event)
        conversation = get_or_create_conversation(session, conversation_id, now=at)
        priority = priority_for(session, conversation.mood or 0.0, conversation.customer_id)
        raise_follow_up(
            session,
            conversation_id,
            REASON_DAMAGED_ITEM,
            priority,
            customer_id=conversation.customer_id,
            now=at,
        )
        return EventOutcome("slot", follow_up_reasons=(REASON_DAMAGED_ITEM,))
    return EventOutcome("slot")


def _conversation_id(event: Mapping[str, Any], fallback: Optional[str]) -> str:
    candidate = event.get("sender_id") or fallback
    if not isinstance(candidate, str) or not candidate.strip():
        raise MalformedEventError("no sender_id")
    if len(candidate) > _CONVERSATION_ID_LENGTH:
        raise MalformedEventError(f"sender_id longer than {_CONVERSATION_ID_LENGTH} characters")
    return candidate


def _message_id(event: Mapping[str, Any]) -> Optional[str]:
    value = event.get("message_id")
    if isinstance(value, str) and value and len(value) <= _MESSAGE_ID_LENGTH:
        return value
    return None


def _intent_name(parse_data: Mapping[str, Any]) -> Optional[str]:
    intent = parse_data.get("intent")
    if isinstance(intent, Mapping):
        return _optional_text(intent.get("name"))
    return None


def _sentiment(parse_data: Mapping[str, Any], text: str) -> Tuple[float, SentimentLabel]:
    """Returns the message's score and label, from the parse data or scored now."""
    sentiment = parse_data.get("sentiment")
    if isinstance(sentiment, Mapping):
        score = _number(sentiment.get("score"))
        if score is not None and -1.0 <= score <= 1.0:
            label = sentiment.get("label")
            if label not in {member.value for member in SentimentLabel}:
                label = label_for(score)
            return score, SentimentLabel(label)
    scored = score_text(text)
    return float(scored.score), SentimentLabel(scored.label)


def _customer_id(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if number > 0 else None
    return None


def _event_time(event: Mapping[str, Any]) -> datetime:
    """Returns when the event happened; now when its timestamp is missing or absurd."""
    stamp = _number(event.get("timestamp"))
    if stamp is not None:
        try:
            return datetime.fromtimestamp(stamp, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass
    return utcnow()


def _number(value: Any) -> Optional[float]:
    """Returns ``value`` as a finite float, or ``None`` when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _optional_text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None
