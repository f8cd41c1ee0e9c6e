"""Rasa's event tables: the SQL tracker store's and the SQL event broker's ``events``.

Rasa creates both tables itself (``rasa/core/tracker_store.py``,
``SQLTrackerStore.SQLEvent``; ``rasa/core/brokers/sql.py``); the tracker
store's is declared here, and the broker's in :mod:`bot.events.source`, so
that deleting conversations does not import Rasa. Every function works on
either table (both have ``sender_id`` and the event as JSON in ``data``),
takes a session bound to that store's engine and never commits.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Collection, Iterator, List, Optional, Set

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, inspect, select
from sqlalchemy.orm import Session

metadata = MetaData()
TRACKER_EVENTS = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    # Seconds since the epoch, as Rasa stores an event's time.
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

# Far below SQLite's limit on bound parameters in one statement.
_BATCH = 500


def _batches(sender_ids: Collection[str]) -> Iterator[List[str]]:
    ordered = sorted(sender_ids)
    for start in range(0, len(ordered), _BATCH):
        yield ordered[start : start + _BATCH]


def sql_broker_url(event_broker_url: str) -> Optional[str]:
    """Returns the broker's URL when it keeps events in a database table, else ``None``.

    Rasa's SQL broker keeps every event in its ``events`` table; a RabbitMQ
    broker (``amqp://``) keeps no copy once the bot service consumed it.

    Args:
        event_broker_url: ``settings.event_broker_url``.
    """
    scheme = event_broker_url.split("://", 1)[0].lower()
    return None if scheme in ("amqp", "amqps") else event_broker_url


def table_exists(session: Session, table: Table) -> bool:
    """Tells whether Rasa has created ``table`` in the session's database yet.

    Args:
        session: Session bound to the store's engine.
        table: :data:`TRACKER_EVENTS` or the broker's table.
    """
    return bool(inspect(session.connection()).has_table(table.name))


def _slot_value_matches(payload: str, slot: str, expected: str) -> bool:
    try:
        event = json.loads(payload)
    except ValueError:
        return False
    if not isinstance(event, dict) or event.get("event") != "slot" or event.get("name") != slot:
        return False
    value = event.get("value")
    return not isinstance(value, bool) and str(value).strip() == expected


def sender_ids_with_slot(session: Session, table: Table, slot: str, value: object) -> Set[str]:
    """Returns the conversations in which ``slot`` was ever set to ``value``.

    Args:
        session: Session bound to the store's engine.
        table: :data:`TRACKER_EVENTS` or the broker's table.
        slot: The slot's name, e.g. ``customer_id``.
        value: The value looked for; compared as text, so ``7`` matches ``"7"``.
    """
    expected = str(value)
    # A cheap pre-filter in SQL; the JSON check below decides.
    query = select(table.c.sender_id, table.c.data).where(
        table.c.sender_id.is_not(None), table.c.data.like(f'%"{slot}"%')
    )
    return {
        sender_id
        for sender_id, payload in session.execute(query)
        if payload and _slot_value_matches(payload, slot, expected)
    }


def count_events(session: Session, table: Table, sender_ids: Collection[str]) -> int:
    """Counts the events of the given conversations.

    Args:
        session: Session bound to the store's engine.
        table: :data:`TRACKER_EVENTS` or the broker's table.
        sender_ids: The conversations.
    """
    total = 0
    for batch in _batches(sender_ids):
        query = select(func.count()).select_from(table).where(table.c.sender_id.in_(batch))
        total += int(session.execute(query).scalar_one())
    return total


def delete_events(session: Session, table: Table, sender_ids: Collection[str]) -> int:
    """Deletes every event of the given conversations.

    Args:
        session: Session bound to the store's engine.
        table: :data:`TRACKER_EVENTS` or the broker's table.
        sender_ids: The conversations.

    Returns:
        How many events were deleted.
    """
    total = 0
    for batch in _batches(sender_ids):
        result = session.execute(table.delete().where(table.c.sender_id.in_(batch)))
        total += int(result.rowcount or 0)
    return total


def senders_inactive_since(session: Session, cutoff: datetime) -> Set[str]:
    """Returns the tracker store's conversations whose newest event is older than ``cutoff``.

    Args:
        session: Session bound to the tracker store's engine.
        cutoff: Timezone-aware moment.
    """
    newest = func.max(TRACKER_EVENTS.c.timestamp)
    query = (
        select(TRACKER_EVENTS.c.sender_id)
        .group_by(TRACKER_EVENTS.c.sender_id)
        .having(newest < cutoff.timestamp())
    )
    return set(session.execute(query).scalars())


def senders_active_since(session: Session, cutoff: datetime) -> Set[str]:
    """Returns the tracker store's conversations with an event at or after ``cutoff``.

    Args:
        session: Session bound to the tracker store's engine.
        cutoff: Timezone-aware moment.
    """
    query = (
        select(TRACKER_EVENTS.c.sender_id)
        .where(TRACKER_EVENTS.c.timestamp >= cutoff.timestamp())
        .distinct()
    )
    return set(session.execute(query).scalars())
