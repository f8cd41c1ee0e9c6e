"""The context packet an agent gets with a handed-off conversation.

Built from the tracker's events when the conversation joins the queue and
stored as JSON in ``HandoffTicket.context``::

    {"customer": null | {"id", "name", "tier", "points_balance",
                         "recent_orders": [{"number", "placed_at", "status",
                                            "first_product", "total_cents", "currency"}],
                         "open_returns", "open_cases"},
     "transcript": [{"sender": "customer" | "bot", "text", "at"}],
     "sentiment_timeline": [{"at", "score", "label"}],
     "reason": str, "last_intents": [str], "not_understood": [str], "channel": str | null}

Every text is redacted with :func:`bot.nlp.redaction.redact` (emails, phone
numbers and card numbers; order numbers stay). The customer's profile is
included only for a customer verified in the conversation.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from sqlalchemy.orm import Session

from bot.identity.history import CustomerHistory, load_customer_history
from bot.nlp.redaction import redact

TRANSCRIPT_LIMIT = 40
INTENTS_LIMIT = 5
NOT_UNDERSTOOD_LIMIT = 10
FALLBACK_INTENT = "nlu_fallback"


def _at(event: Mapping[str, Any]) -> Optional[str]:
    timestamp = event.get("timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat()


def _parse_data(event: Mapping[str, Any]) -> Mapping[str, Any]:
    parse_data = event.get("parse_data")
    return parse_data if isinstance(parse_data, Mapping) else {}


def _intent(event: Mapping[str, Any]) -> Optional[str]:
    intent = _parse_data(event).get("intent") or {}
    name = intent.get("name") if isinstance(intent, Mapping) else None
    return str(name) if name else None


def _since_restart(events: Iterable[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    history = list(events)
    for index in range(len(history) - 1, -1, -1):
        if history[index].get("event") == "restart":
            return history[index + 1 :]
    return history


def _users(events: Sequence[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    return [event for event in events if event.get("event") == "user"]


def _button_title(payload: str, earlier: Sequence[Mapping[str, Any]]) -> Optional[str]:
    for event in reversed(earlier):
        if event.get("event") != "bot":
            continue
        for button in (event.get("data") or {}).get("buttons") or []:
            if str(button.get("payload") or "") == payload:
                return str(button.get("title") or "") or None
        return None
    return None


def _customer_text(event: Mapping[str, Any], earlier: Sequence[Mapping[str, Any]]) -> str:
    """What the customer said; a button reads as the title they tapped."""
    text = str(event.get("text") or "")
    if not text.startswith("/"):
        return text
    title = _button_title(text, earlier)
    if title:
        return f'Tapped "{title}"'
    return f"Tapped a button ({_intent(event) or 'unknown'})"


def transcript(
    events: Iterable[Mapping[str, Any]], limit: int = TRANSCRIPT_LIMIT
) -> List[Dict[str, Any]]:
    """The latest messages of the conversation, redacted, oldest first.

    Args:
        events: The conversation's events.
        limit: How many messages to keep at most.
    """
    history = _since_restart(events)
    lines: List[Dict[str, Any]] = []
    for index, event in enumerate(history):
        kind = event.get("event")
        if kind == "user":
            text = _customer_text(event, history[:index])
            sender = "customer"
        elif kind == "bot" and event.get("text"):
            text = str(event["text"])
            sender = "bot"
        else:
            continue
        lines.append({"sender": sender, "text": redact(text), "at": _at(event)})
    return lines[-limit:] if limit else lines


def sentiment_timeline(events: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The sentiment of each customer message that has one, oldest first."""
    timeline = []
    for event in _users(_since_restart(events)):
        sentiment = _parse_data(event).get("sentiment")
        if not isinstance(sentiment, Mapping) or not isinstance(
            sentiment.get("score"), (int, float)
        ):
            continue
        timeline.append(
            {
                "at": _at(event),
                "score": float(sentiment["score"]),
                "label": str(sentiment.get("label") or ""),
            }
        )
    return timeline


def last_intents(events: Iterable[Mapping[str, Any]], limit: int = INTENTS_LIMIT) -> List[str]:
    """The intents of the latest customer messages, oldest first."""
    intents = [intent for event in _users(_since_restart(events)) if (intent := _intent(event))]
    return intents[-limit:]


def not_understood(
    events: Iterable[Mapping[str, Any]], limit: int = NOT_UNDERSTOOD_LIMIT
) -> List[str]:
    """What the customer wrote that the assistant did not understand, redacted, oldest first."""
    texts = [
        redact(str(event.get("text") or ""))
        for event in _users(_since_restart(events))
        if _intent(event) == FALLBACK_INTENT and event.get("text")
    ]
    return texts[-limit:]


def latest_channel(events: Iterable[Mapping[str, Any]]) -> Optional[str]:
    """The channel of the customer's latest message (``rest``, ``socketio`` …), if known."""
    channel = None
    for event in events:
        if event.get("event") == "user" and event.get("input_channel"):
            channel = str(event["input_channel"])
    return channel


def customer_profile(history: CustomerHistory) -> Dict[str, Any]:
    """The verified customer's profile and recent orders, as the packet holds them."""
    return {
        "id": history.customer_id,
        "name": history.name,
        "tier": history.tier.value,
        "points_balance": history.points_balance,
        "recent_orders": [
            {
                "number": order.number,
                "placed_at": order.placed_at.isoformat(),
                "status": order.status.value,
                "first_product": order.first_product,
                "total_cents": order.total_cents,
                "currency": order.currency,
            }
            for order in history.recent_orders
        ],
        "open_returns": list(history.open_returns),
        "open_cases": list(history.open_cases),
    }


def build_context(
    events: Iterable[Mapping[str, Any]],
    *,
    reason: str,
    customer: Optional[Mapping[str, Any]] = None,
    channel: Optional[str] = None,
) -> Dict[str, Any]:
    """Builds the context packet from the conversation's events.

    Args:
        events: The conversation's events as the action server receives them.
        reason: Why the conversation goes to a person.
        customer: The verified customer's profile (:func:`customer_profile`), or ``None``.
        channel: The customer's channel; the latest message's channel by default.

    Returns:
        The packet, ready to be stored as JSON.
    """
    history = list(events)
    return {
        "customer": dict(customer) if customer is not None else None,
        "transcript": transcript(history),
        "sentiment_timeline": sentiment_timeline(history),
        "reason": reason,
        "last_intents": last_intents(history),
        "not_understood": not_understood(history),
        "channel": channel or latest_channel(history),
    }


def load_context(
    session: Session,
    events: Iterable[Mapping[str, Any]],
    *,
    reason: str,
    customer_id: Optional[int],
    channel: Optional[str],
    today: date,
    conversation_id: Optional[str] = None,
) -> Dict[str, Any]:
    """Builds the context packet, with the profile of the verified customer from the database.

    Args:
        session: Open database session (read only).
        events: The conversation's events.
        reason: Why the conversation goes to a person.
        customer_id: The customer verified in this conversation, or ``None``.
        channel: The customer's channel, if known.
        today: The current date, for the customer's history.
        conversation_id: The conversation, so it is not counted as an earlier one.
    """
    customer = None
    if customer_id is not None:
        history = load_customer_history(session, customer_id, today, conversation_id)
        customer = customer_profile(history) if history is not None else None
    return build_context(events, reason=reason, customer=customer, channel=channel)
