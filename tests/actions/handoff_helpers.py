"""Shared helpers for the handoff, apology and rating action tests."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker

from bot.db.engine import get_engine, session_scope
from bot.db.models import Customer, HandoffTicket
from bot.db.repositories.handoffs import queue_position

# A Wednesday at noon in Dublin (UTC in winter): the team is in.
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
SUNDAY_NOON = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def tracker_of(
    events: List[Dict[str, Any]],
    slots: Optional[Dict[str, Any]] = None,
    sender_id: str = "conv",
    active_loop: Optional[str] = None,
) -> Tracker:
    """A tracker whose latest message is the last user event, as Rasa sends it."""
    latest = next((e for e in reversed(events) if e["event"] == "user"), None)
    latest_message = dict(latest["parse_data"]) if latest else {}
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message=latest_message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def customer_id_of(settings, email: str) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return int(session.query(Customer.id).filter_by(email=email).scalar())


def other_customer(settings, not_email: str) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return int(
            session.query(Customer.id)
            .filter(Customer.email != not_email)
            .order_by(Customer.id)
            .first()[0]
        )


def ticket_of(settings, sender_id: str) -> Dict[str, Any]:
    """The conversation's only ticket, with its context and queue place."""
    with session_scope(get_engine(settings.database_url)) as session:
        [ticket] = session.query(HandoffTicket).filter_by(conversation_id=sender_id).all()
        return {
            "id": ticket.id,
            "reason": ticket.reason,
            "status": ticket.status.value,
            "channel": ticket.channel,
            "customer_id": ticket.customer_id,
            "context": json.loads(ticket.context),
            "position": queue_position(session, ticket),
        }


def freeze_clock(monkeypatch: pytest.MonkeyPatch, moment: datetime = WEDNESDAY_NOON) -> datetime:
    """Makes the handoff action see ``moment`` as the current time."""
    monkeypatch.setattr("actions.handoff.utc_now", lambda: moment)
    return moment
